-- SQLite dialect of postgres/0003_certificates.sql (UUIDs as BLOBs, timestamps as fixed-width TEXT).
-- Certificate orders (a Portcullis extension: Barbican removed them in 2024).
--
-- certificate_authorities: the CAs an order can be sent to. The local CA's private key is sealed
-- by the KEK hierarchy like any payload: under the KEK of the reserved project
-- '_portcullis_ca', with the CA's id as the AAD's secret id. The certificate is public.
CREATE TABLE certificate_authorities (
    id              BLOB PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    plugin_name     TEXT NOT NULL,
    description     TEXT,
    ca_certificate  TEXT NOT NULL,
    key_kek_id      BLOB NOT NULL REFERENCES project_keks (id),
    key_ciphertext  BLOB NOT NULL,
    expiration      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- certificate_requests: one row per certificate order, the state its chained jobs share. `step`
-- names the step that runs next (key, csr, submit, wait, store, done); every step moves it on
-- with a guarded UPDATE in the transaction that does the step's work and enqueues the next job,
-- so a step delivered twice finds the guard false and changes nothing.
-- ca_status is the CA's answer: HELD (waiting for an admin), APPROVED, REJECTED or ISSUED.
-- Everything here is public material: the CSR, the certificate and its chain. The key pair lives
-- in the rsa container key_container_id names.
CREATE TABLE certificate_requests (
    order_id          BLOB PRIMARY KEY REFERENCES orders (id),
    project_id        TEXT NOT NULL,
    ca_id             BLOB NOT NULL REFERENCES certificate_authorities (id),
    request_type      TEXT NOT NULL,
    profile           TEXT,
    subject_dn        TEXT,
    step              TEXT NOT NULL,
    key_container_id  BLOB,
    csr               TEXT,
    ca_status         TEXT,
    ca_reason         TEXT,
    checks            INTEGER NOT NULL DEFAULT 0,
    certificate       TEXT,
    intermediates     TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX certificate_requests_ca_status ON certificate_requests (ca_status, created_at);
