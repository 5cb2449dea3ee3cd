//! The engine against real databases: every test runs on SQLite (a temp file) and on Postgres (a
//! throwaway database on `TEST_POSTGRES_URL`; the Postgres half fails if it is unreachable).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portcullis_jobs::{
    EnqueueOptions, Enqueued, Handler, Job, JobContext, Outcome, RetryPolicy, WorkerOptions, enqueue, prune_finished,
    setup, start_workers, worker_name,
};
use portcullis_store::db::{Db, PoolSettings, Tx};
use portcullis_tests::PgDatabase;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

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
struct TestDb {
    db: Db,
    url: String,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

async fn open(backend: Backend) -> TestDb {
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
struct Ping {
    n: u32,
}

impl Job for Ping {
    const QUEUE: &'static str = "ping";
}

fn fast_options() -> WorkerOptions {
    WorkerOptions {
        concurrency: 4,
        orphan_timeout: Duration::from_secs(3),
        poll_interval: Duration::from_millis(100),
        shutdown_grace: Duration::from_secs(5),
        retry: RetryPolicy { base: Duration::from_millis(50), cap: Duration::from_millis(200) },
    }
}

/// A shutdown future and the sender that fires it.
fn shutdown() -> (tokio::sync::oneshot::Sender<()>, impl Future<Output = ()> + Send + 'static) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    (tx, async move {
        let _ = rx.await;
    })
}

type Runs = Arc<Mutex<HashMap<u32, u32>>>;

fn count(runs: &Runs, n: u32) -> u32 {
    runs.lock().expect("lock").get(&n).copied().unwrap_or(0)
}

async fn eventually(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "not within {secs} s: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn enqueue_committed(db: &Db, job: &Ping, opts: EnqueueOptions) -> Enqueued {
    let mut tx = db.begin().await.expect("begin");
    let res = enqueue(&mut tx, job, opts).await.expect("enqueue");
    tx.commit().await.expect("commit");
    res
}

fn new_id(e: Enqueued) -> String {
    match e {
        Enqueued::New(id) => id,
        Enqueued::Duplicate => panic!("expected a new job"),
    }
}

/// (status, attempts, run_at in the future by the database's clock)
async fn row(db: &Db, id: &str) -> Option<(String, i64, bool)> {
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

async fn job_rows(db: &Db) -> i64 {
    match db {
        Db::Sqlite(p, _) => sqlx::query_scalar("SELECT count(*) FROM Jobs").fetch_one(p).await.expect("count"),
        Db::Postgres(p) => sqlx::query_scalar("SELECT count(*) FROM apalis.jobs").fetch_one(p).await.expect("count"),
    }
}

fn counting(runs: Runs) -> impl Handler<Ping> {
    move |job: Ping, _ctx: JobContext| {
        let runs = runs.clone();
        async move {
            *runs.lock().expect("lock").entry(job.n).or_default() += 1;
            Outcome::Done
        }
    }
}

both_backends!(migrations_coexist_and_rerun, |backend| async move {
    let t = open(backend).await;
    // Again on the same pool, then from a second pool: every run finds everything applied.
    t.db.migrate().await.expect("our migrations, second run");
    setup(&t.db).await.expect("apalis migrations, second run");
    let again = Db::connect(&t.url, &PoolSettings::default()).await.expect("connect");
    again.migrate().await.expect("our migrations, third run");
    setup(&again).await.expect("apalis migrations, third run");
    assert!(again.migrations_applied().await.expect("applied"), "our history counts only our migrations");
    let apalis_rows: i64 = match &again {
        Db::Sqlite(p, _) => sqlx::query_scalar("SELECT count(*) FROM _apalis_migrations").fetch_one(p).await,
        Db::Postgres(p) => sqlx::query_scalar("SELECT count(*) FROM _apalis_migrations").fetch_one(p).await,
    }
    .expect("apalis history");
    assert!(apalis_rows > 5, "apalis keeps its own history ({apalis_rows} rows)");
    again.close().await;
});

both_backends!(rolled_back_never_runs_committed_runs_once, |backend| async move {
    let t = open(backend).await;
    let mut tx = t.db.begin().await.expect("begin");
    enqueue(&mut tx, &Ping { n: 1 }, EnqueueOptions::default()).await.expect("enqueue");
    drop::<Tx>(tx); // rolls back
    enqueue_committed(&t.db, &Ping { n: 2 }, EnqueueOptions::default()).await;
    assert_eq!(job_rows(&t.db).await, 1, "the rolled-back job left no row");

    let runs = Runs::default();
    let (stop, signal) = shutdown();
    let workers = start_workers(&t.db, counting(runs.clone()), fast_options(), signal);
    eventually("job 2 runs", 15, || count(&runs, 2) == 1).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(count(&runs, 2), 1, "ran exactly once");
    assert_eq!(count(&runs, 1), 0, "the rolled-back job never ran");
    let _ = stop.send(());
    workers.join().await;
});

both_backends!(retry_is_held_by_the_database, |backend| async move {
    let t = open(backend).await;
    let id = new_id(enqueue_committed(&t.db, &Ping { n: 7 }, EnqueueOptions::default()).await);
    let runs = Runs::default();
    let handler = {
        let runs = runs.clone();
        move |job: Ping, ctx: JobContext| {
            let runs = runs.clone();
            async move {
                *runs.lock().expect("lock").entry(job.n).or_default() += 1;
                if ctx.attempt == 1 {
                    // Long enough to observe the row while it waits.
                    Outcome::Retry { after: Some(Duration::from_secs(3)), error: "transient".into() }
                } else {
                    Outcome::Done
                }
            }
        }
    };
    let (stop, signal) = shutdown();
    let workers = start_workers(&t.db, handler, fast_options(), signal);
    eventually("first attempt", 15, || count(&runs, 7) == 1).await;
    let mut waiting = None;
    for _ in 0..40 {
        let r = row(&t.db, &id).await.expect("row");
        if r.0 == "Pending" {
            waiting = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (status, attempts, in_future) = waiting.expect("row back to Pending after Retry");
    assert_eq!((status.as_str(), attempts, in_future), ("Pending", 1, true));
    assert_eq!(count(&runs, 7), 1, "not re-run before its run_at");
    eventually("second attempt", 15, || count(&runs, 7) == 2).await;
    let mut done = None;
    for _ in 0..40 {
        if let Some(r) = row(&t.db, &id).await.filter(|r| r.0 == "Done") {
            done = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(done.expect("Done").1, 2, "two attempts recorded");
    let _ = stop.send(());
    workers.join().await;
});

/// Always retries; counts runs and exhausted calls.
struct AlwaysRetry {
    runs: Runs,
    exhausted: Arc<Mutex<Vec<u32>>>,
}

impl Handler<Ping> for AlwaysRetry {
    async fn handle(&self, job: Ping, _ctx: JobContext) -> Outcome {
        *self.runs.lock().expect("lock").entry(job.n).or_default() += 1;
        Outcome::retry("still down")
    }

    async fn exhausted(
        &self,
        _tx: &mut Tx,
        job: Ping,
        _ctx: &JobContext,
        _error: &str,
    ) -> Result<(), apalis::prelude::BoxDynError> {
        self.exhausted.lock().expect("lock").push(job.n);
        Ok(())
    }
}

both_backends!(exhausted_hook_runs_once, |backend| async move {
    let t = open(backend).await;
    let id = new_id(enqueue_committed(&t.db, &Ping { n: 3 }, EnqueueOptions::default().max_attempts(3)).await);
    let runs = Runs::default();
    let exhausted = Arc::new(Mutex::new(Vec::new()));
    let (stop, signal) = shutdown();
    let workers =
        start_workers(&t.db, AlwaysRetry { runs: runs.clone(), exhausted: exhausted.clone() }, fast_options(), signal);
    eventually("exhausted", 20, || !exhausted.lock().expect("lock").is_empty()).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(*exhausted.lock().expect("lock"), vec![3], "hook called once");
    assert_eq!(count(&runs, 3), 3, "ran max_attempts times, then never again");
    let (status, attempts, _) = row(&t.db, &id).await.expect("row");
    assert_eq!((status.as_str(), attempts), ("Killed", 3));
    let _ = stop.send(());
    workers.join().await;
});

both_backends!(idempotency_key_makes_second_enqueue_a_no_op, |backend| async move {
    let t = open(backend).await;
    let opts = EnqueueOptions::default().idempotency_key("order-42-step-2");
    assert!(matches!(enqueue_committed(&t.db, &Ping { n: 1 }, opts.clone()).await, Enqueued::New(_)));
    // Twice more in one transaction, which must stay usable (Postgres aborts a transaction on a
    // unique violation unless it is confined).
    let mut tx = t.db.begin().await.expect("begin");
    assert_eq!(enqueue(&mut tx, &Ping { n: 1 }, opts.clone()).await.expect("enqueue"), Enqueued::Duplicate);
    assert_eq!(enqueue(&mut tx, &Ping { n: 1 }, opts.clone()).await.expect("enqueue"), Enqueued::Duplicate);
    assert!(matches!(
        enqueue(&mut tx, &Ping { n: 2 }, EnqueueOptions::default()).await.expect("enqueue"),
        Enqueued::New(_)
    ));
    tx.commit().await.expect("commit");
    assert_eq!(job_rows(&t.db).await, 2);
});

both_backends!(panicking_handler_is_a_failure_and_worker_survives, |backend| async move {
    let t = open(backend).await;
    let id = new_id(enqueue_committed(&t.db, &Ping { n: 9 }, EnqueueOptions::default()).await);
    let runs = Runs::default();
    let handler = {
        let runs = runs.clone();
        move |job: Ping, ctx: JobContext| {
            let runs = runs.clone();
            async move {
                *runs.lock().expect("lock").entry(job.n).or_default() += 1;
                if job.n == 9 && ctx.attempt == 1 {
                    panic!("boom");
                }
                Outcome::Done
            }
        }
    };
    let (stop, signal) = shutdown();
    let workers = start_workers(&t.db, handler, fast_options(), signal);
    eventually("panicking job retried and done", 20, || count(&runs, 9) == 2).await;
    enqueue_committed(&t.db, &Ping { n: 10 }, EnqueueOptions::default()).await;
    eventually("worker still takes jobs", 15, || count(&runs, 10) == 1).await;
    eventually_row(&t.db, &id, "Done").await;
    let _ = stop.send(());
    workers.join().await;
});

async fn eventually_row(db: &Db, id: &str, status: &str) {
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

both_backends!(two_worker_sets_run_each_job_once, |backend| async move {
    let t = open(backend).await;
    const N: u32 = 60;
    for n in 0..N {
        enqueue_committed(&t.db, &Ping { n }, EnqueueOptions::default()).await;
    }
    let runs = Runs::default();
    let (stop_a, signal_a) = shutdown();
    let (stop_b, signal_b) = shutdown();
    let a = start_workers(&t.db, counting(runs.clone()), fast_options(), signal_a);
    // A second "process": its own pool on the same database.
    let other = Db::connect(&t.url, &PoolSettings::default()).await.expect("connect");
    let b = start_workers(&other, counting(runs.clone()), fast_options(), signal_b);
    eventually("all jobs ran", 30, || runs.lock().expect("lock").len() == N as usize).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    for n in 0..N {
        assert_eq!(count(&runs, n), 1, "job {n} ran once");
    }
    let _ = stop_a.send(());
    let _ = stop_b.send(());
    a.join().await;
    b.join().await;
});

both_backends!(retention_deletes_old_finished_jobs_only, |backend| async move {
    let t = open(backend).await;
    let old = new_id(enqueue_committed(&t.db, &Ping { n: 1 }, EnqueueOptions::default()).await);
    let recent = new_id(enqueue_committed(&t.db, &Ping { n: 2 }, EnqueueOptions::default()).await);
    let pending = new_id(
        enqueue_committed(&t.db, &Ping { n: 3 }, EnqueueOptions::default().run_after(Duration::from_secs(3600))).await,
    );
    let runs = Runs::default();
    let (stop, signal) = shutdown();
    let workers = start_workers(&t.db, counting(runs.clone()), fast_options(), signal);
    eventually_row(&t.db, &old, "Done").await;
    eventually_row(&t.db, &recent, "Done").await;
    let _ = stop.send(());
    workers.join().await;
    match &t.db {
        Db::Sqlite(p, _) => sqlx::query("UPDATE Jobs SET done_at = done_at - 8 * 86400 WHERE id = $1")
            .bind(&old)
            .execute(p)
            .await
            .map(|r| r.rows_affected()),
        Db::Postgres(p) => sqlx::query("UPDATE apalis.jobs SET done_at = done_at - interval '8 days' WHERE id = $1")
            .bind(&old)
            .execute(p)
            .await
            .map(|r| r.rows_affected()),
    }
    .expect("age the job");
    let deleted = prune_finished(&t.db, Duration::from_secs(7 * 86400)).await.expect("prune");
    assert_eq!(deleted, 1);
    assert!(row(&t.db, &old).await.is_none(), "old Done job deleted");
    assert!(row(&t.db, &recent).await.is_some(), "recent Done job kept");
    assert!(row(&t.db, &pending).await.is_some(), "pending job kept");
});

#[test]
fn worker_names_are_unique_per_start() {
    let names: std::collections::HashSet<String> = (0..1000).map(|_| worker_name("orders")).collect();
    assert_eq!(names.len(), 1000);
    let pid = std::process::id().to_string();
    assert!(names.iter().all(|n| n.starts_with("orders-") && n.contains(&format!("-{pid}-"))));
}

both_backends!(job_of_a_dead_worker_is_rescued, |backend| async move {
    let t = open(backend).await;
    let id = new_id(enqueue_committed(&t.db, &Ping { n: 5 }, EnqueueOptions::default()).await);
    // What a SIGKILLed worker leaves behind: its registration, silent for a minute, and the job
    // it held, Running and locked by it.
    match &t.db {
        Db::Sqlite(p, _) => {
            sqlx::query(
                "INSERT INTO Workers (id, worker_type, storage_name, layers, last_seen, started_at) \
                 VALUES ('dead', 'ping', 'SqliteStorage', '', strftime('%s', 'now') - 60, strftime('%s', 'now') - 60)",
            )
            .execute(p)
            .await
            .expect("dead worker");
            sqlx::query("UPDATE Jobs SET status = 'Running', lock_by = 'dead', lock_at = strftime('%s', 'now') - 60 WHERE id = $1")
                .bind(&id)
                .execute(p)
                .await
                .map(|_| ())
        }
        Db::Postgres(p) => {
            sqlx::query(
                "INSERT INTO apalis.workers (id, worker_type, storage_name, layers, last_seen) \
                 VALUES ('dead', 'ping', 'PgStorage', '', now() - interval '60 seconds')",
            )
            .execute(p)
            .await
            .expect("dead worker");
            sqlx::query("UPDATE apalis.jobs SET status = 'Running', lock_by = 'dead', lock_at = now() - interval '60 seconds' WHERE id = $1")
                .bind(&id)
                .execute(p)
                .await
                .map(|_| ())
        }
    }
    .expect("lock the job by the dead worker");
    let runs = Runs::default();
    let (stop, signal) = shutdown();
    let workers = start_workers(&t.db, counting(runs.clone()), fast_options(), signal);
    eventually("the orphaned job runs", 20, || count(&runs, 5) == 1).await;
    eventually_row(&t.db, &id, "Done").await;
    let _ = stop.send(());
    workers.join().await;
});
