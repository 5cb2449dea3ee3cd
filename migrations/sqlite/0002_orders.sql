-- SQLite dialect of postgres/0002_orders.sql: UUIDs are 16-byte BLOBs, timestamps are
-- fixed-width UTC TEXT (YYYY-MM-DDTHH:MM:SS.ffffffZ) so they sort and compare as strings.
-- Orders: asynchronous generation of a key (one secret) or a key pair (an rsa container). A row
-- is inserted PENDING together with its job; the worker moves it to ACTIVE or ERROR exactly once
-- (every transition is guarded on status = 'PENDING' AND NOT deleted).
--
-- meta is the client's order meta as JSON text, in the client's key order, WITHOUT an asymmetric
-- order's passphrase: that is sealed like any payload, as the secret passphrase_secret_id names
-- (created with the order, later linked into the rsa container as private_key_passphrase).
-- error_status_code is text because Barbican shows it as a string ("400").
CREATE TABLE orders (
    id                    BLOB PRIMARY KEY,
    project_id            TEXT NOT NULL,
    type                  TEXT NOT NULL,
    status                TEXT NOT NULL,
    meta                  TEXT NOT NULL,
    sub_status            TEXT,
    sub_status_message    TEXT,
    secret_id             BLOB,
    container_id          BLOB,
    passphrase_secret_id  BLOB REFERENCES secrets (id),
    error_status_code     TEXT,
    error_reason          TEXT,
    creator_id            TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    deleted               INTEGER NOT NULL DEFAULT 0,
    deleted_at            TEXT
);
CREATE INDEX orders_project_created ON orders (project_id, created_at) WHERE deleted = 0;
