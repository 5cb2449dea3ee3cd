//! The engine against real databases: every test runs on SQLite (a temp file) and on Postgres (a
//! throwaway database on `TEST_POSTGRES_URL`; the Postgres half fails if it is unreachable).
//!
//! # Layout
//! - `support/`: the test database, the `Ping` job, fast worker options, waits.
//! - this file: delivery, retries, exhaustion, idempotency, panics, timeouts, injected faults,
//!   cancellation, retention and orphan rescue.

#[macro_use]
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use apalis::prelude::BoxDynError;
use portcullis_jobs::{
    EnqueueOptions, Enqueued, Faults, Handler, JobContext, Outcome, WorkerOptions, cancel_order_jobs, enqueue,
    prune_finished, setup, start_workers, worker_name,
};
use portcullis_store::db::{Db, PoolSettings, Tx};
use support::*;

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

/// A hook that ran (`exhausted` or `failed`) and for which `Ping`.
type Hook = (&'static str, u32);

/// Answers `outcome` to every delivery; records runs, and which hook ran for which job.
struct Scripted {
    outcome: Outcome,
    runs: Runs,
    hooks: Arc<Mutex<Vec<Hook>>>,
}

impl Scripted {
    fn new(outcome: Outcome) -> Self {
        Scripted { outcome, runs: Runs::default(), hooks: Arc::default() }
    }

    fn hooks(&self) -> Arc<Mutex<Vec<Hook>>> {
        self.hooks.clone()
    }
}

impl Handler<Ping> for Scripted {
    async fn handle(&self, job: Ping, _ctx: JobContext) -> Outcome {
        *self.runs.lock().expect("lock").entry(job.n).or_default() += 1;
        self.outcome.clone()
    }

    async fn exhausted(&self, _tx: &mut Tx, job: Ping, _ctx: &JobContext, _error: &str) -> Result<(), BoxDynError> {
        self.hooks.lock().expect("lock").push(("exhausted", job.n));
        Ok(())
    }

    async fn failed(&self, _tx: &mut Tx, job: Ping, _ctx: &JobContext, _error: &str) -> Result<(), BoxDynError> {
        self.hooks.lock().expect("lock").push(("failed", job.n));
        Ok(())
    }
}

both_backends!(exhausted_hook_runs_once, |backend| async move {
    let t = open(backend).await;
    let id = new_id(enqueue_committed(&t.db, &Ping { n: 3 }, EnqueueOptions::default().max_attempts(3)).await);
    let handler = Scripted::new(Outcome::retry("still down"));
    let (runs, hooks) = (handler.runs.clone(), handler.hooks());
    let (stop, signal) = shutdown();
    let workers = start_workers(&t.db, handler, fast_options(), signal);
    eventually("exhausted", 20, || !hooks.lock().expect("lock").is_empty()).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(*hooks.lock().expect("lock"), vec![("exhausted", 3)], "hook called once");
    assert_eq!(count(&runs, 3), 3, "ran max_attempts times, then never again");
    let (status, attempts, _) = row(&t.db, &id).await.expect("row");
    assert_eq!((status.as_str(), attempts), ("Killed", 3));
    let _ = stop.send(());
    workers.join().await;
});

both_backends!(failed_outcome_kills_at_once_with_the_failed_hook, |backend| async move {
    let t = open(backend).await;
    let id = new_id(enqueue_committed(&t.db, &Ping { n: 4 }, EnqueueOptions::default()).await);
    let handler = Scripted::new(Outcome::failed("cannot ever work"));
    let (runs, hooks) = (handler.runs.clone(), handler.hooks());
    let (stop, signal) = shutdown();
    let workers = start_workers(&t.db, handler, fast_options(), signal);
    eventually_row(&t.db, &id, "Killed").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(*hooks.lock().expect("lock"), vec![("failed", 4)]);
    assert_eq!(count(&runs, 4), 1, "never retried");
    assert_eq!(row(&t.db, &id).await.expect("row").1, 1);
    assert!(last_result(&t.db, &id).await.unwrap_or_default().contains("cannot ever work"));
    let _ = stop.send(());
    workers.join().await;
});

both_backends!(delivery_over_the_timeout_is_retried, |backend| async move {
    let t = open(backend).await;
    let id = new_id(enqueue_committed(&t.db, &Ping { n: 6 }, EnqueueOptions::default()).await);
    let runs = Runs::default();
    let handler = {
        let runs = runs.clone();
        move |job: Ping, ctx: JobContext| {
            let runs = runs.clone();
            async move {
                *runs.lock().expect("lock").entry(job.n).or_default() += 1;
                if ctx.attempt == 1 {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
                Outcome::Done
            }
        }
    };
    let (stop, signal) = shutdown();
    let opts = WorkerOptions { timeout: Duration::from_secs(1), ..fast_options() };
    let workers = start_workers(&t.db, handler, opts, signal);
    eventually_row(&t.db, &id, "Done").await;
    assert_eq!(count(&runs, 6), 2, "cut short once, then done");
    assert_eq!(row(&t.db, &id).await.expect("row").1, 2);
    let _ = stop.send(());
    workers.join().await;
});

both_backends!(shutdown_lets_jobs_in_hand_finish_within_the_grace, |backend| async move {
    let t = open(backend).await;
    let runs = Runs::default();
    // First delivery: job 1 takes 1.5 s, job 2 far longer than any grace period.
    let handler = |runs: Runs| {
        move |job: Ping, ctx: JobContext| {
            let runs = runs.clone();
            async move {
                *runs.lock().expect("lock").entry(job.n).or_default() += 1;
                if ctx.attempt == 1 {
                    tokio::time::sleep(Duration::from_millis(if job.n == 1 { 1500 } else { 60_000 })).await;
                }
                Outcome::Done
            }
        }
    };
    for (n, grace, status) in [(1, 10, "Done"), (2, 1, "Running")] {
        let id = new_id(enqueue_committed(&t.db, &Ping { n }, EnqueueOptions::default()).await);
        let (stop, signal) = shutdown();
        let opts = WorkerOptions { shutdown_grace: Duration::from_secs(grace), ..fast_options() };
        let workers = start_workers(&t.db, handler(runs.clone()), opts, signal);
        eventually("the job is in hand", 15, || count(&runs, n) == 1).await;
        let _ = stop.send(());
        tokio::time::timeout(Duration::from_secs(grace + 5), workers.join()).await.expect("stopped within the grace");
        assert_eq!(row(&t.db, &id).await.expect("row").0, status, "job {n}");
    }
    // The abandoned job is rescued once the stopped worker's heartbeats are old.
    let id = job_ids(&t.db).await.pop().expect("job 2");
    let (stop, signal) = shutdown();
    let workers = start_workers(&t.db, handler(runs.clone()), fast_options(), signal);
    eventually("the abandoned job runs again", 20, || count(&runs, 2) == 2).await;
    eventually_row(&t.db, &id, "Done").await;
    let _ = stop.send(());
    workers.join().await;
});

both_backends!(injected_faults_come_before_the_handler, |backend| async move {
    let t = open(backend).await;
    // (spec, status, attempts, handler runs, hooks)
    let cases: [(&str, &str, i64, u32, &[Hook]); 4] = [
        ("ping=transient:2", "Done", 3, 1, &[]),
        ("ping=panic:1,sleep:100", "Done", 2, 1, &[]),
        ("*=permanent", "Killed", 1, 0, &[("failed", 2)]),
        ("other=permanent", "Done", 1, 1, &[]),
    ];
    for (n, (spec, status, attempts, runs, hooks)) in cases.into_iter().enumerate() {
        let n = n as u32;
        let id = new_id(enqueue_committed(&t.db, &Ping { n }, EnqueueOptions::default()).await);
        let handler = Scripted::new(Outcome::Done);
        let (ran, called) = (handler.runs.clone(), handler.hooks());
        let (stop, signal) = shutdown();
        let opts = WorkerOptions { faults: Faults::parse(spec).expect("spec"), ..fast_options() };
        let workers = start_workers(&t.db, handler, opts, signal);
        eventually_row(&t.db, &id, status).await;
        assert_eq!(row(&t.db, &id).await.expect("row").1, attempts, "{spec}");
        assert_eq!(count(&ran, n), runs, "{spec}");
        assert_eq!(*called.lock().expect("lock"), hooks, "{spec}");
        let _ = stop.send(());
        workers.join().await;
    }
});

both_backends!(cancel_order_jobs_kills_the_orders_waiting_jobs, |backend| async move {
    let t = open(backend).await;
    let (order, other) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let keyed = |key: String, n: u32| {
        let db = t.db.clone();
        async move { new_id(enqueue_committed(&db, &Ping { n }, EnqueueOptions::default().idempotency_key(key)).await) }
    };
    let first = keyed(order.to_string(), 1).await;
    let step = keyed(format!("{order}:csr"), 2).await;
    let retrying = keyed(format!("{order}:sign:1"), 3).await;
    let running = keyed(format!("{order}:store"), 4).await;
    let not_ours = [keyed(other.to_string(), 5).await, keyed(format!("{order}x"), 6).await];
    let sql = |sqlite: &'static str, postgres: &'static str, id: String| {
        let db = t.db.clone();
        async move {
            match &db {
                Db::Sqlite(p, _) => sqlx::query(sqlite).bind(id).execute(p).await.map(|r| r.rows_affected()),
                Db::Postgres(p) => sqlx::query(postgres).bind(id).execute(p).await.map(|r| r.rows_affected()),
            }
            .expect("update row");
        }
    };
    sql(
        "UPDATE Jobs SET attempts = 1, run_at = strftime('%s', 'now') + 600 WHERE id = $1",
        "UPDATE apalis.jobs SET attempts = 1, run_at = now() + interval '10 minutes' WHERE id = $1",
        retrying.clone(),
    )
    .await;
    sql(
        "UPDATE Jobs SET status = 'Running' WHERE id = $1",
        "UPDATE apalis.jobs SET status = 'Running' WHERE id = $1",
        running.clone(),
    )
    .await;

    let mut tx = t.db.begin().await.expect("begin");
    assert_eq!(cancel_order_jobs(&mut tx, order).await.expect("cancel"), 3);
    tx.commit().await.expect("commit");
    for id in [&first, &step, &retrying] {
        assert_eq!(row(&t.db, id).await.expect("row").0, "Killed");
        let result = last_result(&t.db, id).await.expect("result");
        assert!(result.contains("cancelled: order deleted") && result.contains("Err"), "{result}");
    }
    assert_eq!(row(&t.db, &running).await.expect("row").0, "Running", "a running job is left alone");
    for id in &not_ours {
        assert_eq!(row(&t.db, id).await.expect("row").0, "Pending");
    }
    let mut tx = t.db.begin().await.expect("begin");
    assert_eq!(cancel_order_jobs(&mut tx, order).await.expect("cancel again"), 0);
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
