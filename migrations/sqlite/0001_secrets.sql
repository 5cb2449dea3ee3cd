-- SQLite dialect of postgres/0001_secrets.sql: UUIDs are 16-byte BLOBs, timestamps are
-- fixed-width UTC TEXT (YYYY-MM-DDTHH:MM:SS.ffffffZ) so they sort and compare as strings.
-- Secrets foundation: crypto stores, project KEKs, secrets and their payloads, user metadata,
-- consumers and containers. Rows the API deletes are kept with deleted = true (Barbican's soft
-- delete); ciphertext is the exception: it is erased when its secret is deleted.

-- One row per configured crypto store. key_check is a fixed label sealed under the store's master
-- key: a process started with another key fails to open it and refuses to start.
CREATE TABLE crypto_stores (
    name        TEXT PRIMARY KEY,
    plugin      TEXT NOT NULL,
    key_check   BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- One key-encryption key per project and store, stored wrapped by the store's master key
-- (Barbican's kek_data). Rotating the master key re-wraps these rows and nothing else.
CREATE TABLE project_keks (
    id           BLOB PRIMARY KEY,
    project_id   TEXT NOT NULL,
    store_name   TEXT NOT NULL REFERENCES crypto_stores (name),
    wrapped_key  BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (project_id, store_name)
);

CREATE TABLE secrets (
    id            BLOB PRIMARY KEY,
    project_id    TEXT NOT NULL,
    name          TEXT,
    secret_type   TEXT NOT NULL,
    algorithm     TEXT,
    bit_length    INTEGER,
    mode          TEXT,
    expiration    TEXT,
    creator_id    TEXT,
    status        TEXT NOT NULL,
    content_type  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0,
    deleted_at    TEXT
);
CREATE INDEX secrets_project_created ON secrets (project_id, created_at) WHERE deleted = 0;

-- The encrypted payload: nonce || AES-256-GCM ciphertext || tag, sealed under the project KEK
-- with associated data naming the secret and its project.
CREATE TABLE secret_payloads (
    secret_id   BLOB PRIMARY KEY REFERENCES secrets (id),
    kek_id      BLOB NOT NULL REFERENCES project_keks (id),
    ciphertext  BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE secret_user_metadata (
    secret_id   BLOB NOT NULL REFERENCES secrets (id),
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (secret_id, key)
);

CREATE TABLE secret_consumers (
    id             BLOB PRIMARY KEY,
    secret_id      BLOB NOT NULL REFERENCES secrets (id),
    project_id     TEXT NOT NULL,
    service        TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deleted        INTEGER NOT NULL DEFAULT 0,
    deleted_at     TEXT
);
CREATE UNIQUE INDEX secret_consumers_unique
    ON secret_consumers (secret_id, service, resource_type, resource_id) WHERE deleted = 0;

CREATE TABLE containers (
    id          BLOB PRIMARY KEY,
    project_id  TEXT NOT NULL,
    name        TEXT,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    creator_id  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    deleted_at  TEXT
);
CREATE INDEX containers_project_created ON containers (project_id, created_at) WHERE deleted = 0;

CREATE TABLE container_secrets (
    container_id  BLOB NOT NULL REFERENCES containers (id),
    secret_id     BLOB NOT NULL REFERENCES secrets (id),
    name          TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX container_secrets_container ON container_secrets (container_id);
CREATE INDEX container_secrets_secret ON container_secrets (secret_id);

CREATE TABLE container_consumers (
    id            BLOB PRIMARY KEY,
    container_id  BLOB NOT NULL REFERENCES containers (id),
    project_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    url           TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0,
    deleted_at    TEXT
);
CREATE UNIQUE INDEX container_consumers_unique
    ON container_consumers (container_id, name, url) WHERE deleted = 0;
