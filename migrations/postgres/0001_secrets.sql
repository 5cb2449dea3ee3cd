-- Secrets foundation: crypto stores, project KEKs, secrets and their payloads, user metadata,
-- consumers and containers. Rows the API deletes are kept with deleted = true (Barbican's soft
-- delete); ciphertext is the exception: it is erased when its secret is deleted.

-- One row per configured crypto store. key_check is a fixed label sealed under the store's master
-- key: a process started with another key fails to open it and refuses to start.
CREATE TABLE crypto_stores (
    name        TEXT PRIMARY KEY,
    plugin      TEXT NOT NULL,
    key_check   BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- One key-encryption key per project and store, stored wrapped by the store's master key
-- (Barbican's kek_data). Rotating the master key re-wraps these rows and nothing else.
CREATE TABLE project_keks (
    id           UUID PRIMARY KEY,
    project_id   TEXT NOT NULL,
    store_name   TEXT NOT NULL REFERENCES crypto_stores (name),
    wrapped_key  BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (project_id, store_name)
);

CREATE TABLE secrets (
    id            UUID PRIMARY KEY,
    project_id    TEXT NOT NULL,
    name          TEXT,
    secret_type   TEXT NOT NULL,
    algorithm     TEXT,
    bit_length    INTEGER,
    mode          TEXT,
    expiration    TIMESTAMPTZ,
    creator_id    TEXT,
    status        TEXT NOT NULL,
    content_type  TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    deleted       BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at    TIMESTAMPTZ
);
CREATE INDEX secrets_project_created ON secrets (project_id, created_at) WHERE NOT deleted;

-- The encrypted payload: nonce || AES-256-GCM ciphertext || tag, sealed under the project KEK
-- with associated data naming the secret and its project.
CREATE TABLE secret_payloads (
    secret_id   UUID PRIMARY KEY REFERENCES secrets (id),
    kek_id      UUID NOT NULL REFERENCES project_keks (id),
    ciphertext  BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE secret_user_metadata (
    secret_id   UUID NOT NULL REFERENCES secrets (id),
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (secret_id, key)
);

CREATE TABLE secret_consumers (
    id             UUID PRIMARY KEY,
    secret_id      UUID NOT NULL REFERENCES secrets (id),
    project_id     TEXT NOT NULL,
    service        TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    deleted        BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at     TIMESTAMPTZ
);
CREATE UNIQUE INDEX secret_consumers_unique
    ON secret_consumers (secret_id, service, resource_type, resource_id) WHERE NOT deleted;

CREATE TABLE containers (
    id          UUID PRIMARY KEY,
    project_id  TEXT NOT NULL,
    name        TEXT,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    creator_id  TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at  TIMESTAMPTZ
);
CREATE INDEX containers_project_created ON containers (project_id, created_at) WHERE NOT deleted;

CREATE TABLE container_secrets (
    container_id  UUID NOT NULL REFERENCES containers (id),
    secret_id     UUID NOT NULL REFERENCES secrets (id),
    name          TEXT,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX container_secrets_container ON container_secrets (container_id);
CREATE INDEX container_secrets_secret ON container_secrets (secret_id);

CREATE TABLE container_consumers (
    id            UUID PRIMARY KEY,
    container_id  UUID NOT NULL REFERENCES containers (id),
    project_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    url           TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    deleted       BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX container_consumers_unique
    ON container_consumers (container_id, name, url) WHERE NOT deleted;
