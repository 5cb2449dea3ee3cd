-- Orders: asynchronous generation of a key (one secret) or a key pair (an rsa container). A row
-- is inserted PENDING together with its job; the worker moves it to ACTIVE or ERROR exactly once
-- (every transition is guarded on status = 'PENDING' AND NOT deleted).
--
-- meta is the client's order meta as JSON text, in the client's key order, WITHOUT an asymmetric
-- order's passphrase: that is sealed like any payload, as the secret passphrase_secret_id names
-- (created with the order, later linked into the rsa container as private_key_passphrase).
-- error_status_code is text because Barbican shows it as a string ("400").
CREATE TABLE orders (
    id                    UUID PRIMARY KEY,
    project_id            TEXT NOT NULL,
    type                  TEXT NOT NULL,
    status                TEXT NOT NULL,
    meta                  TEXT NOT NULL,
    sub_status            TEXT,
    sub_status_message    TEXT,
    secret_id             UUID,
    container_id          UUID,
    passphrase_secret_id  UUID REFERENCES secrets (id),
    error_status_code     TEXT,
    error_reason          TEXT,
    creator_id            TEXT,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    deleted               BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at            TIMESTAMPTZ
);
CREATE INDEX orders_project_created ON orders (project_id, created_at) WHERE NOT deleted;
