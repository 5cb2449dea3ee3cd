//! Crashes, end to end through real processes (issue #6, point 4): a `portcullis serve` on
//! SQLite killed with SIGKILL under a load of secret creates, and a `portcullis worker` killed
//! with SIGKILL while it holds each step of a certificate order in turn.
//!
//! What must hold afterwards: every write the server acknowledged is there, byte for byte, in a
//! database file SQLite still calls sound; and every order still ends ACTIVE, with its results
//! made exactly once. Timing only bounds the waits; nothing here asserts speed.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portcullis_tests::*;

// ----- a server killed under load -------------------------------------------------------------

/// Kills of the server, each under load.
const ROUNDS: usize = 3;
/// Clients creating secrets at once.
const CLIENTS: usize = 6;

/// A secret the server answered 201 for: its ref and the payload it was sent.
#[derive(Debug, Clone)]
struct Acked {
    secret_ref: String,
    payload: String,
}

/// What one round of load saw.
#[derive(Debug, Default)]
struct Load {
    acked: Mutex<Vec<Acked>>,
    /// Answers other than 201 while the server was up (none expected).
    refused: Mutex<Vec<String>>,
    /// Requests that got no answer: the server died under them.
    cut: AtomicUsize,
}

/// A payload unlike any other, of varying length (so rows span pages differently), with no
/// leading or trailing whitespace (the server trims it).
fn payload(round: usize, client: usize, n: usize) -> String {
    let filler = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(1 + (n * 7 + client * 13) % 50);
    format!("round {round} client {client} secret {n} {} {filler}", uuid::Uuid::new_v4())
}

/// One client creating secrets until the server stops answering.
async fn create_until_cut(base: String, project: String, round: usize, client: usize, load: Arc<Load>) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("http client");
    for n in 0.. {
        let payload = payload(round, client, n);
        let body = json!({"name": format!("crash-{round}-{client}-{n}"), "payload": payload,
                          "payload_content_type": "text/plain"});
        let sent = http.post(format!("{base}/v1/secrets")).header("X-Project-Id", &project).json(&body).send().await;
        let resp = match sent {
            Ok(r) => r,
            Err(_) => break,
        };
        let status = resp.status();
        let Ok(bytes) = resp.bytes().await else { break };
        if status != StatusCode::CREATED {
            load.refused.lock().unwrap().push(format!("{status}: {}", String::from_utf8_lossy(&bytes)));
            continue;
        }
        let json: Value = serde_json::from_slice(&bytes).expect("201 body is JSON");
        let secret_ref = json["secret_ref"].as_str().expect("secret_ref").to_owned();
        load.acked.lock().unwrap().push(Acked { secret_ref, payload });
    }
    load.cut.fetch_add(1, Ordering::Relaxed);
}

/// Every acknowledged secret reads back from the server at `c` with its exact payload.
async fn check_acked(c: &Client, acked: &[Acked]) {
    for a in acked {
        let r = c.payload(&rebase(&a.secret_ref, &c.base), Some("text/plain")).await;
        assert_eq!(r.status, StatusCode::OK, "acknowledged secret {} is gone: {}", a.secret_ref, r.text());
        assert_eq!(r.text(), a.payload, "acknowledged secret {} reads back changed", a.secret_ref);
    }
}

/// `PRAGMA integrity_check` says "ok" and `PRAGMA foreign_key_check` finds nothing, on the file
/// as the crash left it (opening it replays the WAL).
async fn check_sqlite_file(storage: &Storage) {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&storage.database_url()).await.expect("open the crashed file");
    let integrity: Vec<String> =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await.expect("integrity_check");
    assert_eq!(integrity, ["ok"], "PRAGMA integrity_check");
    let dangling = sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut conn).await.expect("foreign_key_check");
    assert!(dangling.is_empty(), "PRAGMA foreign_key_check found {} rows with dangling references", dangling.len());
    conn.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_server_killed_under_load_keeps_every_acknowledged_secret() {
    binary(); // built before the clock starts
    let storage = Storage::new(Backend::Sqlite).await;
    let project = project();
    let started = Instant::now();
    let mut acked: Vec<Acked> = Vec::new();
    for round in 0..ROUNDS {
        let server = TestServer::start_on(&storage, &[]);
        let c = server.client(&project);
        check_acked(&c, &acked).await;

        let load = Arc::new(Load::default());
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| tokio::spawn(create_until_cut(server.base.clone(), project.clone(), round, i, load.clone())))
            .collect();
        // Under way before the kill; a different moment each round.
        let deadline = Instant::now() + Duration::from_secs(30);
        while load.acked.lock().unwrap().len() < 50 {
            assert!(Instant::now() < deadline, "fewer than 50 creates in 30 s:\n{}", server.logs());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300 + 350 * round as u64)).await;
        server.kill();
        let killed = Instant::now();
        for client in clients {
            tokio::time::timeout(Duration::from_secs(30), client).await.expect("client ended").expect("client task");
        }
        assert_eq!(load.cut.load(Ordering::Relaxed), CLIENTS);
        let refused = load.refused.lock().unwrap().clone();
        assert!(refused.is_empty(), "creates refused while the server was up: {refused:?}");
        let round_acked = load.acked.lock().unwrap().clone();
        eprintln!(
            "round {round}: killed the server with {} creates acknowledged this round ({:.1} s in), \
             clients cut off {:.0} ms after",
            round_acked.len(),
            started.elapsed().as_secs_f64(),
            killed.elapsed().as_secs_f64() * 1000.0,
        );
        acked.extend(round_acked);
        check_sqlite_file(&storage).await;
    }

    let server = TestServer::start_on(&storage, &[]);
    let c = server.client(&project);
    check_acked(&c, &acked).await;
    // Creates cut off by a kill may or may not have committed; none was made twice.
    let total = c.secret_total().await;
    assert!(total >= acked.len() as i64 && total <= (acked.len() + ROUNDS * CLIENTS) as i64, "{total}");
    drop(server);
    check_sqlite_file(&storage).await;
    eprintln!(
        "{ROUNDS} kills, {} acknowledged secrets all read back ({total} stored), in {:.1} s",
        acked.len(),
        started.elapsed().as_secs_f64()
    );
}

// ----- a worker killed in each step of a certificate order ------------------------------------

/// How long the worker to be killed holds each job before running it: long enough to start the
/// surviving worker while it holds the step.
const HOLD_MS: u64 = 1500;

/// The steps of a `custom` certificate order, each with the suffix of its job's idempotency key
/// (`<order id>` for `key`, which the order's own job on the `orders` queue runs; `<order
/// id>:<step>` on the `certificate_steps` queue after it; `wait` is run by the `decided` job
/// an admin's approval enqueues).
const STEPS: [(&str, &str); 5] =
    [("key", ""), ("csr", ":csr"), ("submit", ":submit"), ("wait", ":decided"), ("store", ":store")];

const PROJECT_SECRETS: &str = "SELECT count(*) FROM secrets WHERE project_id = $1";
const PROJECT_CONTAINERS: &str = "SELECT count(*) FROM containers WHERE project_id = $1";
const CERTIFICATE_CONTAINERS: &str = "SELECT count(*) FROM containers WHERE project_id = $1 AND type = 'certificate'";
const CERTIFICATE_LINKS: &str = "SELECT count(*) FROM container_secrets l JOIN containers c ON c.id = l.container_id \
     WHERE c.project_id = $1 AND l.name = 'certificate'";

/// Runs openssl; panics with its output on failure.
fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().expect("run openssl");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "openssl {args:?} failed: {text}");
    text
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write temp file");
    path.display().to_string()
}

/// The certificate chains to the CA, names `cn`, and certifies the public key of `key_pem`.
fn check_certificate(ca_pem: &str, cert_pem: &str, cn: &str, key_pem: &str) {
    let dir = tempfile::tempdir().unwrap();
    let ca = write(dir.path(), "ca.pem", ca_pem);
    let cert = write(dir.path(), "cert.pem", cert_pem);
    let key = write(dir.path(), "key.pem", key_pem);
    let verified = openssl(&["verify", "-CAfile", &ca, &cert]);
    assert!(verified.contains(": OK"), "{verified}");
    let subject = openssl(&["x509", "-in", &cert, "-noout", "-subject"]);
    assert!(subject.contains(&format!("CN = {cn}")) || subject.contains(&format!("CN={cn}")), "{subject}");
    let from_cert = openssl(&["x509", "-in", &cert, "-noout", "-pubkey"]);
    let from_key = openssl(&["pkey", "-in", &key, "-pubout"]);
    assert_eq!(from_cert, from_key, "the certificate is not for the order's key");
}

/// Waits (at most `secs`) until a job row satisfies `pred`; panics with every row otherwise.
async fn wait_for_job(storage: &Storage, secs: u64, pred: impl Fn(&JobRow) -> bool) -> JobRow {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let jobs = storage.jobs().await;
        if let Some(j) = jobs.iter().find(|j| pred(j)) {
            return j.clone();
        }
        assert!(Instant::now() < deadline, "no job as expected after {secs} s: {jobs:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Approves the order's held certificate request, once the CA holds it.
async fn approve_when_held(c: &Client, order_ref: &str) {
    let o = c.wait_order(order_ref, Duration::from_secs(60), |o| o["sub_status"] == "cert_request_pending").await;
    assert_eq!(o["status"], "PENDING", "{o}");
    let approve = format!("/v1/admin/certificate-requests/{}/approve", id_of(order_ref));
    c.send(Method::POST, &approve, None, &[]).await.expect(200);
}

both_backends!(a_worker_killed_in_each_certificate_step_loses_and_doubles_nothing, |backend| async move {
    binary(); // built before the clock starts
    let storage = Storage::new(backend).await;
    // Manual approval, so that the order has a `wait` step; no periodic checks during the test
    // (the `decided` job runs the step).
    let common = [("PORTCULLIS_CA_APPROVAL", "manual"), ("PORTCULLIS_CA_CHECK_INTERVAL_SECS", "3600")];
    let api = TestServer::start_api(&storage, &common);
    let hold = format!("orders=sleep:{HOLD_MS};certificate_steps=sleep:{HOLD_MS}");
    let orphan = ("PORTCULLIS_JOB_ORPHAN_TIMEOUT_SECS", "3");
    let victim_env = [common[0], common[1], orphan, ("PORTCULLIS_FAULTS", hold.as_str())];
    let survivor_env = [common[0], common[1], orphan];
    let ca_pem = {
        let c = api.client(&project());
        let list = c.get("/v1/cas").await.expect(200).json();
        let ca_ref = list["cas"][0].as_str().expect("ca ref").to_owned();
        c.get(&format!("{ca_ref}/cacert")).await.expect(200).text()
    };
    let started = Instant::now();

    for (step, suffix) in STEPS {
        let round = Instant::now();
        let c = api.client(&project());
        let victim = Worker::start(&storage, &victim_env);
        let cn = format!("{step}.crash.example");
        let order_ref = c
            .post_order(&json!({"type": "certificate", "meta": {"request_type": "custom",
                "subject_dn": format!("CN={cn}"), "key_type": "ec", "bit_length": 256, "name": "crash"}}))
            .await;
        let key = format!("{}{suffix}", id_of(&order_ref));
        if matches!(step, "wait" | "store") {
            approve_when_held(&c, &order_ref).await;
        }

        // The victim holds the step's job (it waits HOLD_MS before running it)...
        let is_step = |j: &JobRow| j.idempotency_key.as_deref() == Some(key.as_str());
        let held_by_victim = |j: &JobRow| {
            matches!(j.status.as_str(), "Queued" | "Running") && j.lock_by.as_deref().is_some_and(|w| victim.owns(w))
        };
        let held = wait_for_job(&storage, 60, |j| is_step(j) && held_by_victim(j)).await;
        // ...while a second worker starts, and then it dies.
        let survivor = Worker::start(&storage, &survivor_env);
        let before_kill = storage.jobs().await.into_iter().find(|j| is_step(j)).expect("the step's job");
        assert!(held_by_victim(&before_kill), "the victim ran {step} before it could be killed: {before_kill:?}");
        victim.kill();
        let killed = Instant::now();

        if matches!(step, "key" | "csr" | "submit") {
            approve_when_held(&c, &order_ref).await;
        }
        let o = c.wait_order(&order_ref, Duration::from_secs(60), |o| o["status"] != "PENDING").await;
        assert_eq!((o["status"].as_str(), o["sub_status"].as_str()), (Some("ACTIVE"), Some("cert_generated")), "{o}");
        let rescued = wait_for_job(&storage, 10, |j| is_step(j) && j.status == "Done").await;
        assert!(rescued.attempts > held.attempts, "the {step} job was delivered again: {held:?} then {rescued:?}");
        assert!(rescued.lock_by.as_deref().is_some_and(|w| survivor.owns(w)), "{rescued:?}");

        // One key pair (an rsa container), one certificate and its chain (a certificate
        // container): nothing made twice.
        let project = c.project.clone().expect("project");
        let count = |sql: &'static str| storage.scalar_for(sql, sql, &project);
        assert_eq!(count(PROJECT_SECRETS).await, 4, "private and public key, certificate, chain");
        assert_eq!(count(PROJECT_CONTAINERS).await, 2, "the key pair's and the certificate's");
        assert_eq!(count(CERTIFICATE_CONTAINERS).await, 1);
        assert_eq!(count(CERTIFICATE_LINKS).await, 1);
        let container = c.get(o["container_ref"].as_str().expect("container_ref")).await.expect(200).json();
        let link = |name: &str| {
            container["secret_refs"]
                .as_array()
                .expect("secret_refs")
                .iter()
                .find(|r| r["name"] == name)
                .and_then(|r| r["secret_ref"].as_str())
                .unwrap_or_else(|| panic!("no {name} in {container}"))
                .to_owned()
        };
        let cert = c.payload(&link("certificate"), Some("application/octet-stream")).await.expect(200).text();
        let private_key = c.payload(&link("private_key"), Some("application/octet-stream")).await.expect(200).text();
        check_certificate(&ca_pem, &cert, &cn, &private_key);
        eprintln!(
            "[{backend:?}] {step}: killed the worker holding it {:.1} s into the round; the other finished the \
             order {:.1} s later",
            (killed - round).as_secs_f64(),
            killed.elapsed().as_secs_f64(),
        );
        drop(survivor);
    }
    eprintln!("[{backend:?}] all {} steps in {:.1} s", STEPS.len(), started.elapsed().as_secs_f64());
});
