-- SQLite dialect of postgres/0006_secret_stores.sql: UUIDs are 16-byte BLOBs, timestamps are
-- fixed-width UTC TEXT (YYYY-MM-DDTHH:MM:SS.ffffffZ) so they sort and compare as strings.
-- Secret stores (Barbican's multiple backends) and transport keys.
--
-- Each configured store is a crypto_stores row (created with its key check at start-up). The
-- rows gain the id the API names them by (assigned once, the first time the store is synced
-- from the configuration, so it is stable across restarts) and the global-default flag. A
-- secret's store is the store of the KEK that sealed its payload (secret_payloads.kek_id →
-- project_keks.store_name): it is always opened by that store, whatever the project prefers.
ALTER TABLE crypto_stores ADD COLUMN id BLOB;
ALTER TABLE crypto_stores ADD COLUMN global_default INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX crypto_stores_id ON crypto_stores (id);

-- A project's preferred store for new secrets (Barbican's project_secret_store).
CREATE TABLE project_secret_stores (
    project_id  TEXT PRIMARY KEY,
    store_name  TEXT NOT NULL REFERENCES crypto_stores (name),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX project_secret_stores_store ON project_secret_stores (store_name);

-- Transport keys registered by an operator: public keys, stored as the PEM text given.
CREATE TABLE transport_keys (
    id             BLOB PRIMARY KEY,
    plugin_name    TEXT NOT NULL,
    transport_key  TEXT NOT NULL,
    status         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deleted        INTEGER NOT NULL DEFAULT 0,
    deleted_at     TEXT
);
CREATE INDEX transport_keys_created ON transport_keys (created_at) WHERE deleted = 0;
