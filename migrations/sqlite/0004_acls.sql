-- SQLite dialect of postgres/0004_acls.sql (UUIDs as BLOBs, timestamps as TEXT).
-- Access control lists of secrets and containers (Barbican's secret_acls / container_acls and
-- their *_acl_users). Only the `read` operation exists: its users may read the resource from any
-- project, and `project_access = false` withdraws the project-wide access the default policy
-- grants (the creator and project admins keep theirs). A resource without a row has the default
-- ACL `{"read": {"project-access": true}}`. ACL rows are hard-deleted, with their resource.

CREATE TABLE secret_acls (
    secret_id       BLOB NOT NULL REFERENCES secrets (id),
    operation       TEXT NOT NULL,
    project_access  INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (secret_id, operation)
);

CREATE TABLE secret_acl_users (
    secret_id   BLOB NOT NULL,
    operation   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (secret_id, operation, user_id),
    FOREIGN KEY (secret_id, operation) REFERENCES secret_acls (secret_id, operation) ON DELETE CASCADE
);
-- `GET /v1/secrets?acl_only=true`: the secrets whose ACL lists a user.
CREATE INDEX secret_acl_users_user ON secret_acl_users (user_id);

CREATE TABLE container_acls (
    container_id    BLOB NOT NULL REFERENCES containers (id),
    operation       TEXT NOT NULL,
    project_access  INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (container_id, operation)
);

CREATE TABLE container_acl_users (
    container_id  BLOB NOT NULL,
    operation     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (container_id, operation, user_id),
    FOREIGN KEY (container_id, operation) REFERENCES container_acls (container_id, operation) ON DELETE CASCADE
);
