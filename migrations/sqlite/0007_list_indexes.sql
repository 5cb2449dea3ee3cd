-- The lists' partial indexes said `WHERE deleted = 0` while every query says `NOT deleted`, and
-- SQLite only uses a partial index whose condition it finds in the query's own terms: each list
-- scanned the whole table and sorted it. Rebuilt with the queries' condition, and secrets with
-- `expiration` too, which the list and its count filter on (see postgres/0007).
DROP INDEX secrets_project_created;
CREATE INDEX secrets_project_created ON secrets (project_id, created_at, expiration) WHERE NOT deleted;
DROP INDEX containers_project_created;
CREATE INDEX containers_project_created ON containers (project_id, created_at) WHERE NOT deleted;
DROP INDEX orders_project_created;
CREATE INDEX orders_project_created ON orders (project_id, created_at) WHERE NOT deleted;
DROP INDEX transport_keys_created;
CREATE INDEX transport_keys_created ON transport_keys (created_at) WHERE NOT deleted;
