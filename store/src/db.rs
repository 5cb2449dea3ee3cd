//! The database handle: Postgres in production, SQLite as the zero-setup default, chosen by the
//! URL's scheme (vaultwarden's pattern).
//!
//! Repositories write one SQL text that both dialects accept (`$n` placeholders, `RETURNING`,
//! `ON CONFLICT`, partial indexes) and run it through [`on_conn!`], which expands the body once
//! per backend so each gets sqlx's native, typed executor.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Which database a deployment runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A pool on one of the two backends. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Postgres(PgPool),
    /// SQLite admits one writer at a time. Write transactions queue on the gate (one permit)
    /// inside the process instead of polling SQLite's busy handler, whose sleeps turn a queue of
    /// 16 writers into second-long tail latencies.
    Sqlite(SqlitePool, Arc<Semaphore>),
}

/// Pool settings from the configuration.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_connections: 16, acquire_timeout: Duration::from_secs(5) }
    }
}

/// A connection borrowed from a pool or a transaction, for one repository call.
pub enum ConnRef<'a> {
    Postgres(&'a mut PgConnection),
    Sqlite(&'a mut SqliteConnection),
}

/// Anything a repository can run a query on: a pooled connection or an open transaction.
pub trait AsConn: Send {
    fn conn(&mut self) -> ConnRef<'_>;
}

/// A connection checked out of the pool.
pub enum Conn {
    Postgres(PoolConnection<Postgres>),
    Sqlite(PoolConnection<Sqlite>),
}

/// An open transaction; dropped without [`Tx::commit`] it rolls back. On SQLite it holds the
/// process's writer permit until it ends.
pub enum Tx {
    Postgres(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>, OwnedSemaphorePermit),
}

impl AsConn for Conn {
    fn conn(&mut self) -> ConnRef<'_> {
        match self {
            Conn::Postgres(c) => ConnRef::Postgres(c),
            Conn::Sqlite(c) => ConnRef::Sqlite(c),
        }
    }
}

impl AsConn for Tx {
    fn conn(&mut self) -> ConnRef<'_> {
        match self {
            Tx::Postgres(t) => ConnRef::Postgres(t),
            Tx::Sqlite(t, _) => ConnRef::Sqlite(t),
        }
    }
}

/// Runs `$body` with `$c` bound to the backend's own `&mut XConnection`.
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $crate::db::AsConn::conn($conn) {
            $crate::db::ConnRef::Postgres($c) => $body,
            $crate::db::ConnRef::Sqlite($c) => $body,
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("DATABASE_URL must start with postgres://, postgresql:// or sqlite: (got scheme {0:?})")]
    Scheme(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Db {
    /// Opens a pool for `url`. SQLite files are created if missing and run in WAL mode with
    /// `synchronous=FULL`, so an acknowledged write survives a crash of the process or the host.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Db, ConnectError> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "postgres" | "postgresql" => {
                let opts = PgConnectOptions::from_str(url)?;
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    .connect_with(opts)
                    .await?;
                Ok(Db::Postgres(pool))
            }
            "sqlite" => {
                let opts = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    // LIKE filters match case-sensitively, as on Postgres.
                    .pragma("case_sensitive_like", "ON");
                // Opening a connection switches the file to WAL, which SQLite refuses with
                // "database is locked" (not waiting on busy_timeout) while another process
                // holds its migration lock: processes started together retry for a while.
                let mut attempt = 0;
                let pool = loop {
                    let opened = SqlitePoolOptions::new()
                        .max_connections(settings.max_connections.min(8))
                        .acquire_timeout(settings.acquire_timeout)
                        // SQLite rolls a transaction back by itself on some errors (SQLITE_FULL
                        // on a full disk); sqlx's own ROLLBACK then fails and it goes on counting
                        // the connection as inside a transaction, so every later BEGIN on it
                        // fails, long after the disk has room again (tests/tests/disk_full.rs).
                        // Such a connection is closed rather than handed out.
                        .before_acquire(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
                        .connect_with(opts.clone())
                        .await;
                    match opened {
                        Err(sqlx::Error::Database(e)) if is_locked(e.as_ref()) && attempt < 100 => {
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        other => break other?,
                    }
                };
                Ok(Db::Sqlite(pool, Arc::new(Semaphore::new(1))))
            }
            other => Err(ConnectError::Scheme(other.to_owned())),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Postgres(_) => Backend::Postgres,
            Db::Sqlite(..) => Backend::Sqlite,
        }
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> Result<(), ConnectError> {
        match self {
            Db::Postgres(p) => portcullis_migrations::POSTGRES.run(p).await?,
            Db::Sqlite(p, _) => {
                // sqlx takes no lock on SQLite, so two processes starting together on a fresh
                // file would both apply the same migration and one would fail ("table already
                // exists"). Holding the write lock for the whole run makes the second wait, then
                // find everything applied. (Each migration runs in a savepoint inside it.)
                let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
                portcullis_migrations::SQLITE.run(&mut tx).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Whether every migration this binary knows has been applied (for readiness checks).
    pub async fn migrations_applied(&self) -> Result<bool, sqlx::Error> {
        let (migrator, applied): (&sqlx::migrate::Migrator, i64) = match self {
            Db::Postgres(p) => (
                &portcullis_migrations::POSTGRES,
                sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success").fetch_one(p).await?,
            ),
            Db::Sqlite(p, _) => (
                &portcullis_migrations::SQLITE,
                sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success").fetch_one(p).await?,
            ),
        };
        Ok(applied as usize >= migrator.iter().count())
    }

    pub async fn acquire(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Db::Postgres(p) => Conn::Postgres(p.acquire().await?),
            Db::Sqlite(p, _) => Conn::Sqlite(p.acquire().await?),
        })
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so a transaction that reads before it writes waits for the lock instead of
    /// failing with SQLITE_BUSY half-way.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
            Db::Sqlite(p, gate) => {
                let permit = gate.clone().acquire_owned().await.map_err(|_| sqlx::Error::PoolClosed)?;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, permit)
            }
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Postgres(p) => p.close().await,
            Db::Sqlite(p, gate) => {
                gate.close();
                p.close().await
            }
        }
    }
}

/// SQLITE_BUSY (5) or SQLITE_LOCKED (6), with or without extended code bits.
fn is_locked(e: &dyn sqlx::error::DatabaseError) -> bool {
    e.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// Whether `err` means the database cannot be used right now, though it may be soon: no
/// connection (pool timed out, I/O or TLS failure), a Postgres connection exception (class 08)
/// or shutdown (57P01-57P03), or SQLite busy or locked. Not `PoolClosed`: that is this process
/// shutting down.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => match sqlite_code(db.as_ref()) {
            Some(code) => matches!(code, 5 | 6),
            None => {
                let code = db.code().unwrap_or_default();
                matches!(code.as_ref(), "57P01" | "57P02" | "57P03") || code.starts_with("08")
            }
        },
        _ => false,
    }
}

/// Whether `err` is the database's disk being full: SQLite's SQLITE_FULL (13), Postgres's
/// `disk_full` (53100).
pub fn is_storage_full(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = err else { return false };
    match sqlite_code(db.as_ref()) {
        Some(code) => code == 13,
        None => db.code().is_some_and(|c| c == "53100"),
    }
}

/// A SQLite error's primary result code (extended codes keep it in their low byte); `None` for
/// Postgres, whose SQLSTATEs may look like numbers too.
fn sqlite_code(db: &dyn sqlx::error::DatabaseError) -> Option<i32> {
    db.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
    db.code()?.parse::<i32>().ok().map(|c| c & 0xff)
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Postgres(t) => t.commit().await,
            Tx::Sqlite(t, _permit) => t.commit().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_sqlite_database_is_storage_full_not_unavailable() {
        let path = std::env::temp_dir().join(format!("portcullis-store-{}.sqlite3", uuid::Uuid::new_v4()));
        let settings = PoolSettings { max_connections: 1, ..PoolSettings::default() };
        let db = Db::connect(&format!("sqlite://{}", path.display()), &settings).await.expect("open");
        let Db::Sqlite(pool, _) = &db else { unreachable!() };
        sqlx::query("CREATE TABLE t (x BLOB)").execute(pool).await.expect("create");
        // SQLite's stand-in for a full disk: the file may not grow.
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(pool).await.expect("page_count");
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {pages}"))).execute(pool).await.expect("cap");
        let err = sqlx::query("INSERT INTO t VALUES (zeroblob(1000000))").execute(pool).await.expect_err("full");
        assert!(is_storage_full(&err), "{err}");
        assert!(!is_unavailable(&err), "{err}");
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut) && !is_storage_full(&sqlx::Error::PoolTimedOut));
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
