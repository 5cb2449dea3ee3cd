//! Portcullis's entities and repositories, on Postgres or SQLite.
//!
//! Every query is scoped to a project and skips soft-deleted rows; what the API deletes stays in
//! the table with `deleted = true`, invisible to clients.
//!
//! The repository calls of the request and job paths (orders, certificate requests, secrets,
//! containers) run in `debug` spans named `<repo>.<fn>`, with no arguments recorded: free when
//! not logged or traced, one span per call in an exported trace.
//!
//! # Layout
//! - [`db`]: [`Db`] (the pool on either backend), transactions, and the [`on_conn!`] macro.
//! - [`timestamp`]: [`Timestamp`], one instant type that both backends store and sort.
//! - [`query`]: list paging, filters and sorting shared by list endpoints.
//! - [`kek_hierarchy`]: crypto stores, project KEKs, sealing and opening payloads.
//! - [`acls`]: `AclRepo` — the read ACLs of secrets and containers.
//! - [`secrets`]: `SecretRepo` functions — secret rows and their encrypted payloads.
//! - [`secret_metadata`]: a secret's user metadata (key/value pairs).
//! - [`secret_consumers`]: services that declared they use a secret.
//! - [`containers`]: `ContainerRepo` functions — containers, their secret links and consumers.
//! - [`orders`]: `OrderRepo` functions — order rows and their guarded PENDING → ACTIVE/ERROR moves.
//! - [`certificate_requests`]: the shared state of a certificate order's chained steps.
//! - [`certificate_authorities`]: `CaRepo` — CA rows, and opening (or creating) the local CA.
//! - [`quotas`]: project quota overrides, and `reserve`, the quota check of every create.
//! - [`audit_events`]: the append-only audit trail.
//! - [`secret_stores`]: the configured secret stores and each project's preferred one.
//! - [`transport_keys`]: `TransportKeyRepo` — transport keys registered by an operator.

pub mod acls;
pub mod audit_events;
pub mod certificate_authorities;
pub mod certificate_requests;
pub mod containers;
pub mod db;
pub mod kek_hierarchy;
pub mod orders;
pub mod query;
pub mod quotas;
pub mod secret_consumers;
pub mod secret_metadata;
pub mod secret_stores;
pub mod secrets;
pub mod timestamp;
pub mod transport_keys;

pub use db::{AsConn, Backend, Conn, ConnectError, Db, PoolSettings, Tx};
pub use kek_hierarchy::{KekHierarchy, VaultError};
pub use timestamp::Timestamp;

/// Errors from a repository call: the database failed, or a constraint refused the write.
pub type DbResult<T> = Result<T, sqlx::Error>;

/// Whether `err` is a unique-constraint violation (a duplicate the client should hear about as a
/// conflict, not a server error).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}
