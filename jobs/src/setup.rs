//! Creates apalis's own tables next to ours, idempotently, at start-up.
//!
//! sqlx's migrator records history in one table per migrator. Ours and apalis's both default to
//! `_sqlx_migrations`, and each would then see the other's rows as "previously applied but
//! missing". apalis's migrator therefore keeps its history in [`APALIS_MIGRATIONS_TABLE`], so
//! neither migrator ever sees the other's versions and `Db::migrations_applied` keeps counting
//! only ours.

use portcullis_store::db::{Db, Tx};
use sqlx::migrate::Migrator;

use crate::JobError;

/// Where apalis's migration history lives (ours stays in `_sqlx_migrations`).
pub const APALIS_MIGRATIONS_TABLE: &str = "_apalis_migrations";

fn postgres_migrator() -> Migrator {
    let mut m = apalis_postgres::PostgresStorage::migrations();
    m.dangerous_set_table_name(APALIS_MIGRATIONS_TABLE);
    m
}

fn sqlite_migrator() -> Migrator {
    let mut m = apalis_sqlite::SqliteStorage::migrations();
    m.dangerous_set_table_name(APALIS_MIGRATIONS_TABLE);
    m
}

/// Applies apalis's pending migrations for the backend of `db`, then our index on its jobs table:
/// `portcullis_jobs_idempotency_key`, the keys compared bytewise, for the prefix range of
/// `cancel_order_jobs` (apalis's own unique index leads with the queue name). Safe to call on
/// every start and from several processes at once.
///
/// Deliberately not `SqliteStorage::setup`: that also sets `PRAGMA synchronous = OFF` on pooled
/// connections, which would drop the durability `Db::connect` promises (`synchronous=FULL`).
pub async fn setup(db: &Db) -> Result<(), JobError> {
    match db {
        // sqlx serialises concurrent Postgres migrators with an advisory lock.
        Db::Postgres(pool) => postgres_migrator().run(pool).await?,
        Db::Sqlite(..) => {
            // As in `Db::migrate`: sqlx takes no lock on SQLite, so run under the write lock
            // (`Db::begin` is `BEGIN IMMEDIATE`); a second process waits, then finds all applied.
            let mut tx = db.begin().await?;
            match &mut tx {
                Tx::Sqlite(t, _) => sqlite_migrator().run(&mut **t).await?,
                Tx::Postgres(_) => unreachable!("Db::Sqlite begins a SQLite transaction"),
            }
            tx.commit().await?;
        }
    }
    let mut tx = db.begin().await?;
    match &mut tx {
        Tx::Sqlite(t, _) => {
            sqlx::query("CREATE INDEX IF NOT EXISTS portcullis_jobs_idempotency_key ON Jobs (idempotency_key)")
                .execute(&mut **t)
                .await?;
        }
        Tx::Postgres(t) => {
            // Two processes creating the same index at once can both pass IF NOT EXISTS and one
            // then fails on the catalog's unique index: serialise them (lock ends with the tx).
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('portcullis_jobs::setup'))").execute(&mut **t).await?;
            // CREATE INDEX locks the table against writes even when the index exists: look first.
            let exists: bool =
                sqlx::query_scalar("SELECT to_regclass('apalis.portcullis_jobs_idempotency_key') IS NOT NULL")
                    .fetch_one(&mut **t)
                    .await?;
            if !exists {
                sqlx::query(
                    "CREATE INDEX portcullis_jobs_idempotency_key ON apalis.jobs ((idempotency_key COLLATE \"C\"))",
                )
                .execute(&mut **t)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
