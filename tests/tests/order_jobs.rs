//! The job engine's promises, end to end through the real binary on both backends: transient,
//! permanent and panicking failures (injected with `PORTCULLIS_FAULTS`, which debug builds
//! accept), the job timeout, a job delivered twice, deleting a PENDING order, a graceful stop
//! with a job in hand, a worker killed under load, and several workers sharing the queue.
//!
//! Timing only bounds the waits (so a broken promise fails instead of hanging); nothing here
//! asserts speed. The wake-up tests bound their waits far below the fallback poll, so they fail
//! only if no wake-up happens at all.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use portcullis_tests::*;

const FAILURE_SEEN: &str = "Process TypeOrder failure seen - please contact site administrator.";

fn key_order() -> Value {
    json!({"type": "key", "meta": {"name": "k", "algorithm": "aes", "bit_length": 256, "mode": "cbc",
                                   "payload_content_type": "application/octet-stream"}})
}

/// Waits until the job of order `order_id` satisfies `pred`; panics with its last state after
/// `secs`.
async fn wait_job(storage: &Storage, order_id: &str, secs: u64, pred: impl Fn(&JobRow) -> bool) -> JobRow {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let job = storage.order_job(order_id).await;
        if let Some(j) = job.as_ref().filter(|j| pred(j)) {
            return j.clone();
        }
        assert!(Instant::now() < deadline, "job of order {order_id} not as expected after {secs} s: {job:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A job row's `last_result`, parsed.
fn result(job: &JobRow) -> Value {
    serde_json::from_str(job.last_result.as_deref().unwrap_or("null")).expect("last_result is JSON")
}

/// Waits until `count` (a per-backend query) reaches `n`; panics after `secs`.
async fn wait_count(storage: &Storage, sqlite: &'static str, postgres: &'static str, n: i64, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let got = storage.scalar(sqlite, postgres).await;
        if got >= n {
            return;
        }
        assert!(Instant::now() < deadline, "{got} of {n} after {secs} s: {sqlite}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const ACTIVE_ORDERS: &str = "SELECT count(*) FROM orders WHERE status = 'ACTIVE'";
// A job is Done just after its order is ACTIVE (the worker's next transaction).
const DONE_JOBS_SQLITE: &str = "SELECT count(*) FROM Jobs WHERE status = 'Done'";
const DONE_JOBS_POSTGRES: &str = "SELECT count(*) FROM apalis.jobs WHERE status = 'Done'";
const SECRETS: &str = "SELECT count(*) FROM secrets";
const ORDER_SECRETS: &str = "SELECT count(DISTINCT secret_id) FROM orders WHERE status = 'ACTIVE'";

/// Posts `n` key orders; returns their refs.
async fn post_orders(c: &Client, n: usize) -> Vec<String> {
    let mut refs = Vec::with_capacity(n);
    for _ in 0..n {
        refs.push(c.post_order(&key_order()).await);
    }
    refs
}

both_backends!(a_bad_fault_spec_stops_the_binary_naming_the_key, |backend| async move {
    let storage = Storage::new(backend).await;
    let (ok, out) = storage.run(&["config"], &[("PORTCULLIS_FAULTS", "orders=explode")]);
    assert!(!ok && out.contains("faults (PORTCULLIS_FAULTS)") && out.contains("explode"), "{out}");
    let (ok, out) = storage.run(&["config"], &[("PORTCULLIS_FAULTS", "orders = transient:2 ; *=sleep:10")]);
    assert!(ok && out.contains(r#"faults = "orders=transient:2;*=sleep:10""#), "{out}");
    // (A release build refuses any PORTCULLIS_FAULTS: `Faults::parse` is an error there.)
});

both_backends!(transient_failures_are_retried_with_durable_backoff, |backend| async move {
    let storage = Storage::new(backend).await;
    let env = [("PORTCULLIS_FAULTS", "orders=transient:2"), ("PORTCULLIS_JOB_RETRY_BASE_SECS", "2")];
    let server = TestServer::start_on(&storage, &env);
    assert!(server.logs().contains("FAULT INJECTION IS ACTIVE"), "{}", server.logs());
    let c = server.client(&project());
    let order_ref = c.post_order(&key_order()).await;
    let id = id_of(&order_ref);
    // Between deliveries the row waits in the database: Pending, with run_at pushed out.
    let waiting =
        wait_job(&storage, &id, 20, |j| j.status == "Pending" && j.attempts >= 1 && j.due_in_secs > 0.0).await;
    assert!(waiting.last_result.as_deref().unwrap_or_default().contains("injected fault: transient"), "{waiting:?}");
    let o = c.settled_order(&order_ref).await;
    assert_eq!(o["status"], "ACTIVE", "{o}");
    let done = wait_job(&storage, &id, 10, |j| j.status == "Done").await;
    assert_eq!(done.attempts, 3, "two injected failures, then the real delivery: {done:?}");
    assert_eq!(c.secret_total().await, 1);
});

both_backends!(exhausted_retries_end_the_order_in_error, |backend| async move {
    let storage = Storage::new(backend).await;
    let env = [
        ("PORTCULLIS_FAULTS", "orders=transient"),
        ("PORTCULLIS_JOB_MAX_ATTEMPTS", "3"),
        ("PORTCULLIS_JOB_RETRY_BASE_SECS", "1"),
    ];
    let server = TestServer::start_on(&storage, &env);
    let c = server.client(&project());
    let order_ref = c.post_order(&key_order()).await;
    let o = c.settled_order(&order_ref).await;
    assert_eq!((o["status"].as_str(), o["error_status_code"].as_str()), (Some("ERROR"), Some("500")), "{o}");
    let reason = o["error_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("could not be processed after 3 attempts"), "{o}");
    let job = wait_job(&storage, &id_of(&order_ref), 10, |j| j.status == "Killed").await;
    assert_eq!(job.attempts, 3, "{job:?}");
    assert!(job.last_result.as_deref().unwrap_or_default().contains("injected fault"), "{job:?}");
    assert_eq!(c.secret_total().await, 0);
});

both_backends!(permanent_failure_errors_the_order_at_once, |backend| async move {
    let storage = Storage::new(backend).await;
    let env = [("PORTCULLIS_FAULTS", "orders=permanent"), ("PORTCULLIS_JOB_RETRY_BASE_SECS", "1")];
    let server = TestServer::start_on(&storage, &env);
    let c = server.client(&project());
    // An asymmetric order with a passphrase: its failure path also deletes the passphrase secret.
    let meta = json!({"algorithm": "rsa", "bit_length": 2048, "passphrase": "pass-phrase-1"});
    for body in [key_order(), json!({"type": "asymmetric", "meta": meta})] {
        let order_ref = c.post_order(&body).await;
        let o = c.settled_order(&order_ref).await;
        assert_eq!((o["status"].as_str(), o["error_status_code"].as_str()), (Some("ERROR"), Some("500")), "{o}");
        assert_eq!(o["error_reason"], FAILURE_SEEN, "{o}");
        let job = wait_job(&storage, &id_of(&order_ref), 10, |j| j.status == "Killed").await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let again = storage.order_job(&id_of(&order_ref)).await.expect("job");
        assert_eq!((job.attempts, again.attempts, again.status.as_str()), (1, 1, "Killed"), "never retried");
    }
    assert_eq!(c.secret_total().await, 0, "nothing generated, the passphrase secret deleted");
});

both_backends!(a_panicking_handler_is_retried_and_never_escapes, |backend| async move {
    let storage = Storage::new(backend).await;
    let env = [("PORTCULLIS_FAULTS", "orders=panic:1"), ("PORTCULLIS_JOB_RETRY_BASE_SECS", "1")];
    let server = TestServer::start_on(&storage, &env);
    let c = server.client(&project());
    for order_ref in post_orders(&c, 2).await {
        let o = c.settled_order(&order_ref).await;
        assert_eq!(o["status"], "ACTIVE", "{o}");
        let job = wait_job(&storage, &id_of(&order_ref), 10, |j| j.status == "Done").await;
        assert_eq!(job.attempts, 2, "the panic counted as a transient failure: {job:?}");
    }
    assert!(server.logs().contains("job handler panicked"), "{}", server.logs());
    c.get("/v1/orders").await.expect(200);
    assert_eq!(c.secret_total().await, 2);
});

both_backends!(a_delivery_over_the_job_timeout_is_a_transient_failure, |backend| async move {
    let storage = Storage::new(backend).await;
    let env = [
        ("PORTCULLIS_FAULTS", "orders=sleep:3000"),
        ("PORTCULLIS_JOB_TIMEOUT_SECS", "1"),
        ("PORTCULLIS_JOB_MAX_ATTEMPTS", "2"),
        ("PORTCULLIS_JOB_RETRY_BASE_SECS", "1"),
    ];
    let server = TestServer::start_on(&storage, &env);
    let c = server.client(&project());
    let order_ref = c.post_order(&key_order()).await;
    let o = c.settled_order(&order_ref).await;
    assert_eq!((o["status"].as_str(), o["error_status_code"].as_str()), (Some("ERROR"), Some("500")), "{o}");
    assert!(o["error_reason"].as_str().unwrap_or_default().contains("after 2 attempts"), "{o}");
    let job = wait_job(&storage, &id_of(&order_ref), 10, |j| j.status == "Killed").await;
    assert_eq!(job.attempts, 2, "{job:?}");
    assert!(job.last_result.as_deref().unwrap_or_default().contains("timed out"), "{job:?}");
});

both_backends!(a_job_delivered_twice_produces_one_result, |backend| async move {
    let storage = Storage::new(backend).await;
    let server = TestServer::start_on(&storage, &[]);
    let c = server.client(&project());
    let asymmetric = json!({"type": "asymmetric", "meta": {"algorithm": "rsa", "bit_length": 2048}});
    let refs = [c.post_order(&key_order()).await, c.post_order(&asymmetric).await];
    let mut first = Vec::new();
    for r in &refs {
        let o = c.settled_order(r).await;
        assert_eq!(o["status"], "ACTIVE", "{o}");
        first.push(o);
        wait_job(&storage, &id_of(r), 10, |j| j.status == "Done").await;
    }
    // What a lost acknowledgement looks like: the finished jobs are handed out again.
    let requeued = storage
        .execute(
            "UPDATE Jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL, done_at = NULL, \
             run_at = strftime('%s', 'now') WHERE job_type = $1",
            "UPDATE apalis.jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL, done_at = NULL, \
             run_at = now() WHERE job_type = $1",
            "orders",
        )
        .await;
    assert_eq!(requeued, 2);
    for (r, before) in refs.iter().zip(&first) {
        let job = wait_job(&storage, &id_of(r), 15, |j| j.status == "Done" && j.attempts == 2).await;
        assert_eq!(result(&job), json!({"Ok": null}), "{job:?}");
        let after = c.get(r).await.expect(200).json();
        assert_eq!((&after["secret_ref"], &after["container_ref"]), (&before["secret_ref"], &before["container_ref"]));
    }
    assert_eq!(storage.scalar(SECRETS, SECRETS).await, 3, "one key, one key pair: nothing made twice");
    let containers = "SELECT count(*) FROM containers";
    assert_eq!(storage.scalar(containers, containers).await, 1);
});

both_backends!(deleting_a_pending_order_cancels_its_job, |backend| async move {
    let storage = Storage::new(backend).await;
    let api = TestServer::start_api(&storage, &[]);
    let c = api.client(&project());
    let order_ref = c.post_order(&key_order()).await;
    let id = id_of(&order_ref);
    assert_eq!(storage.order_job(&id).await.expect("job").status, "Pending");
    c.delete(&order_ref).await.expect(204);
    let job = storage.order_job(&id).await.expect("job");
    assert_eq!((job.status.as_str(), job.attempts), ("Killed", 0), "{job:?}");
    assert_eq!(result(&job), json!({"Err": "cancelled: order deleted"}), "apalis's result format");

    let _worker = Worker::start(&storage, &[]);
    // A live order goes ACTIVE, so the worker is running; the deleted one stays untouched.
    let live = c.post_order(&key_order()).await;
    assert_eq!(c.settled_order(&live).await["status"], "ACTIVE");
    tokio::time::sleep(Duration::from_secs(2)).await;
    c.get(&order_ref).await.expect_error(404, "Order not found.");
    let job = storage.order_job(&id).await.expect("job");
    assert_eq!((job.status.as_str(), job.attempts), ("Killed", 0), "{job:?}");
    assert_eq!(storage.scalar(SECRETS, SECRETS).await, 1, "only the live order's key");
});

/// The fallback poll is far longer than any wait below, and heartbeats (after which an idle
/// worker also looks) rarer still: only a wake-up on enqueue starts these jobs in time.
const NO_POLLING: [(&str, &str); 2] =
    [("PORTCULLIS_JOB_POLL_INTERVAL_MS", "300000"), ("PORTCULLIS_JOB_ORPHAN_TIMEOUT_SECS", "900")];
const WOKEN_WITHIN: Duration = Duration::from_secs(15);

both_backends!(a_new_job_wakes_the_idle_workers, |backend| async move {
    let storage = Storage::new(backend).await;
    let server = TestServer::start_on(&storage, &NO_POLLING);
    let c = server.client(&project());
    for _ in 0..3 {
        let order_ref = c.post_order(&key_order()).await;
        let o = c.wait_order(&order_ref, WOKEN_WITHIN, |o| o["status"] != "PENDING").await;
        assert_eq!(o["status"], "ACTIVE", "{o}");
    }
    // A chain of jobs, each enqueued by the previous step's transaction in the worker.
    let meta = json!({"request_type": "custom", "subject_dn": "CN=wake.example", "key_type": "ec", "bit_length": 256});
    let order_ref = c.post_order(&json!({"type": "certificate", "meta": meta})).await;
    let o = c.wait_order(&order_ref, WOKEN_WITHIN, |o| o["status"] != "PENDING").await;
    assert_eq!(o["status"], "ACTIVE", "{o}");
});

/// A `portcullis worker` hears of the API process's commits through Postgres's `NOTIFY` (on
/// SQLite it only polls).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_separate_worker_is_woken_through_postgres() {
    let storage = Storage::new(Backend::Postgres).await;
    let api = TestServer::start_api(&storage, &[]);
    let _worker = Worker::start(&storage, &NO_POLLING);
    let c = api.client(&project());
    for _ in 0..3 {
        let order_ref = c.post_order(&key_order()).await;
        let o = c.wait_order(&order_ref, WOKEN_WITHIN, |o| o["status"] != "PENDING").await;
        assert_eq!(o["status"], "ACTIVE", "{o}");
    }
}

both_backends!(sigterm_lets_the_job_in_hand_finish, |backend| async move {
    let storage = Storage::new(backend).await;
    let api = TestServer::start_api(&storage, &[]);
    let mut worker = Worker::start(&storage, &[("PORTCULLIS_FAULTS", "orders=sleep:3000")]);
    let c = api.client(&project());
    let order_ref = c.post_order(&key_order()).await;
    let id = id_of(&order_ref);
    wait_job(&storage, &id, 15, |j| j.status == "Running").await;
    let asked = Instant::now();
    worker.terminate();
    let status = worker.wait_exit(Duration::from_secs(25)).expect("worker still running 25 s after SIGTERM");
    assert!(status.success(), "{status}\n{}", worker.logs());
    eprintln!("worker stopped {:.1} s after SIGTERM, its job finished", asked.elapsed().as_secs_f64());
    let o = c.get(&order_ref).await.expect(200).json();
    assert_eq!(o["status"], "ACTIVE", "finished before the process exited: {o}\n{}", worker.logs());
    let job = storage.order_job(&id).await.expect("job");
    assert_eq!((job.status.as_str(), job.attempts), ("Done", 1), "{job:?}");
    assert!(!worker.logs().contains("abandoning jobs in hand"), "{}", worker.logs());
});

both_backends!(a_killed_worker_loses_no_order_and_doubles_none, |backend| async move {
    const N: i64 = 200;
    let storage = Storage::new(backend).await;
    let api = TestServer::start_api(&storage, &[]);
    let c = api.client(&project());
    let refs = post_orders(&c, N as usize).await;
    let env = [
        ("PORTCULLIS_FAULTS", "orders=sleep:250"),
        ("PORTCULLIS_JOB_ORPHAN_TIMEOUT_SECS", "3"),
        ("PORTCULLIS_WORKER_CONCURRENCY", "8"),
    ];
    let victim = Worker::start(&storage, &env);
    let _survivor = Worker::start(&storage, &env);
    let victim_pid = format!("-{}-", victim.pid());
    let started = Instant::now();
    wait_count(&storage, ACTIVE_ORDERS, ACTIVE_ORDERS, N / 2, 60).await;

    let in_hand = |j: &JobRow| matches!(j.status.as_str(), "Running" | "Queued");
    let held: Vec<JobRow> = storage
        .jobs()
        .await
        .into_iter()
        .filter(|j| in_hand(j) && j.lock_by.as_deref().is_some_and(|w| victim.owns(w)))
        .collect();
    let active_at_kill = storage.scalar(ACTIVE_ORDERS, ACTIVE_ORDERS).await;
    victim.kill();
    let killed = Instant::now();
    wait_count(&storage, ACTIVE_ORDERS, ACTIVE_ORDERS, N, 120).await;
    let drained = killed.elapsed();
    wait_count(&storage, DONE_JOBS_SQLITE, DONE_JOBS_POSTGRES, N, 10).await;

    let jobs = storage.jobs().await;
    let rescued: Vec<&JobRow> = jobs.iter().filter(|j| j.attempts > 1).collect();
    eprintln!(
        "[{backend:?}] {N} orders, 2 workers; killed one {:.1} s in, with {active_at_kill} orders ACTIVE and {} jobs \
         in its hands; the other drained the rest in {:.1} s; {} jobs were delivered again",
        (killed - started).as_secs_f64(),
        held.len(),
        drained.as_secs_f64(),
        rescued.len(),
    );
    // A job in the victim's hands was finished by it before it died, or delivered again.
    for j in &held {
        let now = jobs.iter().find(|r| r.id == j.id).expect("held job");
        let by_victim = now.lock_by.as_deref().is_some_and(|w| w.contains(&victim_pid));
        assert!(now.attempts >= 2 || by_victim, "{now:?}");
    }
    assert_eq!(storage.scalar(SECRETS, SECRETS).await, N, "exactly one secret per order");
    assert_eq!(storage.scalar(ORDER_SECRETS, ORDER_SECRETS).await, N);
    for r in refs.iter().step_by(20) {
        let o = c.get(r).await.expect(200).json();
        assert_eq!(o["status"], "ACTIVE", "{o}");
        c.payload(o["secret_ref"].as_str().expect("secret_ref"), Some("application/octet-stream")).await.expect(200);
    }
});

both_backends!(several_workers_share_the_queue_and_run_each_job_once, |backend| async move {
    const N: i64 = 60;
    let storage = Storage::new(backend).await;
    let api = TestServer::start_api(&storage, &[]);
    let c = api.client(&project());
    post_orders(&c, N as usize).await;
    let env = [("PORTCULLIS_FAULTS", "orders=sleep:200"), ("PORTCULLIS_WORKER_CONCURRENCY", "2")];
    let workers: Vec<Worker> = (0..3).map(|_| Worker::start(&storage, &env)).collect();
    wait_count(&storage, ACTIVE_ORDERS, ACTIVE_ORDERS, N, 90).await;
    wait_count(&storage, DONE_JOBS_SQLITE, DONE_JOBS_POSTGRES, N, 10).await;

    let jobs = storage.jobs().await;
    let mut per_worker = BTreeMap::new();
    for j in &jobs {
        assert_eq!((j.status.as_str(), j.attempts), ("Done", 1), "each job ran once: {j:?}");
        let by = j.lock_by.as_deref().unwrap_or_default();
        let w = workers.iter().position(|w| w.owns(by)).expect("done by one of the workers");
        *per_worker.entry(w).or_insert(0) += 1;
    }
    eprintln!("[{backend:?}] {N} jobs per worker process: {per_worker:?}");
    assert!(per_worker.len() >= 2, "the load is shared: {per_worker:?}");
    assert_eq!(storage.scalar(SECRETS, SECRETS).await, N);
});
