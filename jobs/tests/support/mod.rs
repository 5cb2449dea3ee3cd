//! Helpers of the engine tests: a migrated database per backend, a test job, fast worker
//! options, and waits on conditions and job rows.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portcullis_jobs::{
    EnqueueOptions, Enqueued, Faults, Handler, Job, JobContext, Outcome, RetryPolicy, WorkerOptions, enqueue, setup,
};
use portcullis_store::db::{Db, PoolSettings};
use portcullis_tests::PgDatabase;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `$body` (an async block using `$b: Backend`) as two tests, `<name>::sqlite` and
/// `<name>::postgres`, each bounded to 60 s.
macro_rules! both_backends {
    ($name:ident, |$b:ident| $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let $b = Backend::Sqlite;
                tokio::time::timeout(Duration::from_secs(60), $body).await.expect("test timed out")
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let $b = Backend::Postgres;
                tokio::time::timeout(Duration::from_secs(60), $body).await.expect("test timed out")
            }
        }
    };
}

/// A migrated database with apalis's tables; the files or database go away with it.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

pub async fn open(backend: Backend) -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = match backend {
        Backend::Sqlite => (format!("sqlite://{}", dir.path().join("jobs.sqlite3").display()), None),
        Backend::Postgres => {
            let pg = PgDatabase::create().await;
            (pg.url.clone(), Some(pg))
        }
    };
    let db = Db::connect(&url, &PoolSettings::default()).await.expect("connect");
    db.migrate().await.expect("our migrations");
    setup(&db).await.expect("apalis migrations");
    TestDb { db, url, _dir: dir, _pg: pg }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ping {
    pub n: u32,
}

impl Job for Ping {
    const QUEUE: &'static str = "ping";
}

pub fn fast_options() -> WorkerOptions {
    WorkerOptions {
        concurrency: 4,
        orphan_timeout: Duration::from_secs(3),
        poll_interval: Duration::from_millis(100),
        shutdown_grace: Duration::from_secs(5),
        timeout: Duration::from_secs(30),
        retry: RetryPolicy { base: Duration::from_millis(50), cap: Duration::from_millis(200) },
        faults: Faults::default(),
    }
}

/// A shutdown future and the sender that fires it.
pub fn shutdown() -> (tokio::sync::oneshot::Sender<()>, impl Future<Output = ()> + Send + 'static) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    (tx, async move {
        let _ = rx.await;
    })
}

/// How often each `Ping { n }` ran.
pub type Runs = Arc<Mutex<HashMap<u32, u32>>>;

pub fn count(runs: &Runs, n: u32) -> u32 {
    runs.lock().expect("lock").get(&n).copied().unwrap_or(0)
}

pub async fn eventually(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "not within {secs} s: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn enqueue_committed(db: &Db, job: &Ping, opts: EnqueueOptions) -> Enqueued {
    let mut tx = db.begin().await.expect("begin");
    let res = enqueue(&mut tx, job, opts).await.expect("enqueue");
    tx.commit().await.expect("commit");
    res
}

pub fn new_id(e: Enqueued) -> String {
    match e {
        Enqueued::New(id) => id,
        Enqueued::Duplicate => panic!("expected a new job"),
    }
}

/// (status, attempts, run_at in the future by the database's clock)
pub async fn row(db: &Db, id: &str) -> Option<(String, i64, bool)> {
    match db {
        Db::Sqlite(p, _) => sqlx::query_as(
            "SELECT status, attempts, run_at > CAST(strftime('%s', 'now') AS INTEGER) FROM Jobs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(p)
        .await
        .expect("read row"),
        Db::Postgres(p) => {
            sqlx::query_as("SELECT status, attempts::int8, run_at > now() FROM apalis.jobs WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await
                .expect("read row")
        }
    }
}

/// The row's `last_result`, as text.
pub async fn last_result(db: &Db, id: &str) -> Option<String> {
    match db {
        Db::Sqlite(p, _) => {
            sqlx::query_scalar("SELECT last_result FROM Jobs WHERE id = $1").bind(id).fetch_one(p).await
        }
        Db::Postgres(p) => {
            sqlx::query_scalar("SELECT last_result::text FROM apalis.jobs WHERE id = $1").bind(id).fetch_one(p).await
        }
    }
    .expect("read last_result")
}

/// Every job's id, oldest first.
pub async fn job_ids(db: &Db) -> Vec<String> {
    match db {
        Db::Sqlite(p, _) => sqlx::query_scalar("SELECT id FROM Jobs ORDER BY id").fetch_all(p).await,
        Db::Postgres(p) => sqlx::query_scalar("SELECT id FROM apalis.jobs ORDER BY id").fetch_all(p).await,
    }
    .expect("job ids")
}

pub async fn job_rows(db: &Db) -> i64 {
    match db {
        Db::Sqlite(p, _) => sqlx::query_scalar("SELECT count(*) FROM Jobs").fetch_one(p).await.expect("count"),
        Db::Postgres(p) => sqlx::query_scalar("SELECT count(*) FROM apalis.jobs").fetch_one(p).await.expect("count"),
    }
}

/// Waits (up to 10 s) until the row has `status`.
pub async fn eventually_row(db: &Db, id: &str, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = row(db, id).await;
        if r.as_ref().is_some_and(|r| r.0 == status) {
            return;
        }
        assert!(Instant::now() < deadline, "job {id} not {status}: {r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A handler that counts runs and is done.
pub fn counting(runs: Runs) -> impl Handler<Ping> {
    move |job: Ping, _ctx: JobContext| {
        let runs = runs.clone();
        async move {
            *runs.lock().expect("lock").entry(job.n).or_default() += 1;
            Outcome::Done
        }
    }
}
