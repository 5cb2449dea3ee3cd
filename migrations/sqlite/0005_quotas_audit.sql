-- SQLite dialect of postgres/0005_quotas_audit.sql (timestamps as fixed-width UTC text).
-- Project quotas (Barbican's project_quotas) and the audit trail.

-- Per-project quota overrides, set by admins (PUT /v1/project-quotas/{project_id}). A NULL value
-- means "use the configured default"; negative is unlimited, 0 disables creation. Deleted rows
-- are gone (Barbican does not soft-delete quotas).
CREATE TABLE project_quotas (
    project_id  TEXT PRIMARY KEY,
    secrets     INTEGER,
    orders      INTEGER,
    containers  INTEGER,
    consumers   INTEGER,
    cas         INTEGER,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX project_quotas_created ON project_quotas (created_at);

-- The audit trail: one row per audited request (payload reads, changes, denials). Append-only:
-- the triggers below refuse UPDATE and DELETE. Rows carry who, what, on which resource and how
-- it ended; never a payload, a request body or a token.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  TEXT NOT NULL,
    request_id  TEXT,
    project_id  TEXT,
    user_id     TEXT,
    action      TEXT NOT NULL,
    method      TEXT NOT NULL,
    route       TEXT NOT NULL,
    target      TEXT NOT NULL,
    status      INTEGER NOT NULL,
    outcome     TEXT NOT NULL
);
CREATE INDEX audit_events_project ON audit_events (project_id, id);
CREATE INDEX audit_events_created ON audit_events (created_at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
