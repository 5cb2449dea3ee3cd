//! The server's database read (and, for tests of redelivery, written) directly: apalis's jobs
//! rows, counts and text rows with one query per backend, and statements the database may refuse.

use sqlx::Connection;

use crate::{Backend, Storage};

/// One row of apalis's jobs table (`Jobs` on SQLite, `apalis.jobs` on Postgres).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub job_type: String,
    pub status: String,
    pub attempts: i64,
    pub idempotency_key: Option<String>,
    /// The worker that fetched it last (kept after it finishes).
    pub lock_by: Option<String>,
    /// apalis's result JSON, e.g. `{"Err": "..."}`.
    pub last_result: Option<String>,
    /// Seconds until `run_at` by the database's clock (negative: due).
    pub due_in_secs: f64,
}

const SQLITE_JOBS: &str = "SELECT id, job_type, status, attempts, idempotency_key, lock_by, last_result, \
     CAST(run_at - strftime('%s', 'now') AS REAL) AS due_in_secs FROM Jobs ORDER BY id";
const POSTGRES_JOBS: &str = "SELECT id, job_type, status, attempts::int8 AS attempts, idempotency_key, lock_by, \
     last_result::text AS last_result, EXTRACT(EPOCH FROM run_at - now())::float8 AS due_in_secs \
     FROM apalis.jobs ORDER BY id";

impl Storage {
    /// Every job row, oldest first.
    pub async fn jobs(&self) -> Vec<JobRow> {
        let url = self.database_url();
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open sqlite");
                sqlx::query_as(SQLITE_JOBS).fetch_all(&mut c).await.expect("read jobs")
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("open postgres");
                sqlx::query_as(POSTGRES_JOBS).fetch_all(&mut c).await.expect("read jobs")
            }
        }
    }

    /// The first job of an order (its idempotency key is the order's id), if any.
    pub async fn order_job(&self, order_id: &str) -> Option<JobRow> {
        self.jobs().await.into_iter().find(|j| j.idempotency_key.as_deref() == Some(order_id))
    }

    /// One number from a per-backend query (e.g. a count).
    pub async fn scalar(&self, sqlite: &'static str, postgres: &'static str) -> i64 {
        let url = self.database_url();
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open sqlite");
                sqlx::query_scalar(sqlite).fetch_one(&mut c).await.expect("query")
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("open postgres");
                sqlx::query_scalar(postgres).fetch_one(&mut c).await.expect("query")
            }
        }
    }

    /// Runs a per-backend statement with one text parameter (`$1`); returns the rows affected.
    pub async fn execute(&self, sqlite: &'static str, postgres: &'static str, arg: &str) -> u64 {
        let url = self.database_url();
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open sqlite");
                sqlx::query(sqlite).bind(arg).execute(&mut c).await.expect("execute").rows_affected()
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("open postgres");
                sqlx::query(postgres).bind(arg).execute(&mut c).await.expect("execute").rows_affected()
            }
        }
    }
}

impl Storage {
    /// One number from a per-backend query with one text parameter (`$1`), e.g. a project's count.
    pub async fn scalar_for(&self, sqlite: &'static str, postgres: &'static str, arg: &str) -> i64 {
        let url = self.database_url();
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open sqlite");
                sqlx::query_scalar(sqlite).bind(arg).fetch_one(&mut c).await.expect("query")
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("open postgres");
                sqlx::query_scalar(postgres).bind(arg).fetch_one(&mut c).await.expect("query")
            }
        }
    }

    /// Every row of a per-backend query returning one text column.
    pub async fn texts(&self, sqlite: &'static str, postgres: &'static str) -> Vec<String> {
        let url = self.database_url();
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open sqlite");
                sqlx::query_scalar(sqlite).fetch_all(&mut c).await.expect("query")
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("open postgres");
                sqlx::query_scalar(postgres).fetch_all(&mut c).await.expect("query")
            }
        }
    }

    /// Runs one SQL statement (both dialects) and returns the database's refusal, if any.
    pub async fn try_execute(&self, sql: &'static str) -> Result<u64, String> {
        let url = self.database_url();
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open sqlite");
                sqlx::query(sql).execute(&mut c).await.map(|r| r.rows_affected()).map_err(|e| e.to_string())
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("open postgres");
                sqlx::query(sql).execute(&mut c).await.map(|r| r.rows_affected()).map_err(|e| e.to_string())
            }
        }
    }
}
