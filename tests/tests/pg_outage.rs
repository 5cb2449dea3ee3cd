//! A Postgres outage under load, end to end (issue #6, point 4): `portcullis serve` and a separate
//! `portcullis worker` on a private Postgres cluster ([`PgCluster`]), a steady load of secret
//! creates and key orders, and the cluster stopped (`pg_ctl stop -m immediate`) for ten seconds.
//!
//! What a client must see: during the outage, 503 with Barbican's error body, within the request
//! timeout; never a 500, a hang or a dropped connection. Afterwards, without a restart of either
//! process, writes succeed again; every secret answered 201 reads back with its payload, and every
//! order answered 202 is listed and ends ACTIVE or ERROR (none stuck PENDING).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portcullis_tests::*;

/// How long the database is down.
const OUTAGE: Duration = Duration::from_secs(10);
/// The server's `request_timeout_secs`: shorter than the outage, so a request that waited for
/// the database to come back would show as a hang.
const REQUEST_TIMEOUT_SECS: u64 = 8;
/// Scheduling slack on top of the request timeout (two shared cores).
const SLACK: Duration = Duration::from_millis(1500);
/// Clients creating secrets, each one request at a time; one more posts orders.
const SECRET_CLIENTS: usize = 3;
/// Pause between a client's requests: a steady load, not a flood.
const PAUSE: Duration = Duration::from_millis(20);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Secret,
    Order,
}

/// One request and what came of it.
#[derive(Debug, Clone)]
struct Sample {
    kind: Kind,
    sent: Instant,
    answered: Instant,
    /// `None`: no HTTP answer (connection refused or cut, client timeout).
    status: Option<u16>,
    body: String,
    /// The payload sent, for secrets.
    payload: String,
}

impl Sample {
    fn latency(&self) -> Duration {
        self.answered - self.sent
    }

    fn is_2xx(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

#[derive(Default)]
struct Load {
    samples: Mutex<Vec<Sample>>,
    stop: AtomicBool,
}

impl Load {
    fn acked(&self, kind: Kind) -> usize {
        self.samples.lock().unwrap().iter().filter(|s| s.kind == kind && s.is_2xx()).count()
    }
}

async fn client_loop(base: String, project: String, kind: Kind, client: usize, load: Arc<Load>) {
    // Well past the server's own timeout: a request the server leaves hanging shows as a latency.
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("http client");
    for n in 0.. {
        if load.stop.load(Ordering::Relaxed) {
            break;
        }
        let payload = format!("outage client {client} n {n} {}", uuid::Uuid::new_v4());
        let (path, body) = match kind {
            Kind::Secret => (
                "/v1/secrets",
                json!({"name": format!("outage-{client}-{n}"), "payload": payload, "payload_content_type": "text/plain"}),
            ),
            Kind::Order => (
                "/v1/orders",
                json!({"type": "key", "meta": {"name": format!("outage-{n}"), "algorithm": "aes", "bit_length": 256,
                       "mode": "cbc", "payload_content_type": "application/octet-stream"}}),
            ),
        };
        let sent = Instant::now();
        let resp = http.post(format!("{base}{path}")).header("X-Project-Id", &project).json(&body).send().await;
        let (status, body) = match resp {
            Ok(r) => {
                let status = r.status().as_u16();
                (Some(status), r.text().await.unwrap_or_else(|e| format!("(body cut: {e})")))
            }
            Err(e) => (None, e.to_string()),
        };
        let sample = Sample { kind, sent, answered: Instant::now(), status, body, payload };
        load.samples.lock().unwrap().push(sample);
        tokio::time::sleep(PAUSE).await;
    }
}

/// The reference a 2xx answer carries.
fn reference(s: &Sample) -> String {
    let key = if s.kind == Kind::Secret { "secret_ref" } else { "order_ref" };
    let v: Value = serde_json::from_str(&s.body).unwrap_or_else(|e| panic!("2xx body is not JSON ({e}): {}", s.body));
    v[key].as_str().unwrap_or_else(|| panic!("no {key} in {v}")).to_owned()
}

/// A 503 carries Barbican's error body.
fn assert_barbican_503(s: &Sample) {
    let v: Value = serde_json::from_str(&s.body).unwrap_or_else(|e| panic!("503 body is not JSON ({e}): {}", s.body));
    assert_eq!(v["code"], 503, "{v}");
    assert_eq!(v["title"], "Service Unavailable", "{v}");
    assert!(v["description"].as_str().is_some_and(|d| !d.is_empty()), "{v}");
}

/// Waits until `pred` holds for the load, at most `secs`.
async fn wait_for(load: &Load, secs: u64, what: &str, pred: impl Fn(&Load) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !pred(load) {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every order of the project (ref → status), through the list's pages.
async fn listed_orders(c: &Client) -> BTreeMap<String, String> {
    let mut orders = BTreeMap::new();
    loop {
        let page = c.get(&format!("/v1/orders?limit=100&offset={}", orders.len())).await.expect(200).json();
        let items = page["orders"].as_array().expect("orders").clone();
        if items.is_empty() {
            return orders;
        }
        for o in items {
            let order_ref = o["order_ref"].as_str().expect("order_ref").to_owned();
            orders.insert(order_ref, o["status"].as_str().expect("status").to_owned());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_under_load_answers_503_and_recovers_by_itself() {
    binary(); // built before the clock starts
    let cluster = PgCluster::start();
    let storage = cluster.storage().await;
    let timeout = REQUEST_TIMEOUT_SECS.to_string();
    // Each order's job takes at least 500 ms, so that the outage cuts some in the middle.
    let env = [("PORTCULLIS_REQUEST_TIMEOUT_SECS", timeout.as_str()), ("PORTCULLIS_FAULTS", "orders=sleep:500")];
    let server = TestServer::start_on(&storage, &env);
    let mut worker = Worker::start(&storage, &env);
    let project = project();
    let c = server.client(&project);

    let load = Arc::new(Load::default());
    let mut clients: Vec<_> = (0..SECRET_CLIENTS)
        .map(|i| tokio::spawn(client_loop(server.base.clone(), project.clone(), Kind::Secret, i, load.clone())))
        .collect();
    clients.push(tokio::spawn(client_loop(server.base.clone(), project.clone(), Kind::Order, 0, load.clone())));
    wait_for(&load, 30, "20 secrets and 3 orders before the outage", |l| {
        l.acked(Kind::Secret) >= 20 && l.acked(Kind::Order) >= 3
    })
    .await;

    let stopped = Instant::now();
    cluster.stop_immediate();
    // Readiness says so while the database is down.
    let ready = server.anonymous().get("/health/ready").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "readiness during the outage: {}", ready.text());
    tokio::time::sleep(OUTAGE.saturating_sub(stopped.elapsed())).await;
    cluster.restart();
    let restarted = Instant::now();
    // Back to steady 2xx by itself: wait for the first, then keep the load on for a while.
    let is_back = |l: &Load| l.samples.lock().unwrap().iter().any(|s| s.answered > restarted && s.is_2xx());
    wait_for(&load, 30, "a 2xx after Postgres came back", is_back).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    load.stop.store(true, Ordering::Relaxed);
    let stopped_load = Instant::now();
    for client in clients {
        tokio::time::timeout(Duration::from_secs(90), client).await.expect("client ended").expect("client task");
    }
    let samples = load.samples.lock().unwrap().clone();

    // Every answer, before, during and after: 2xx or 503 with Barbican's body, within the timeout.
    let limit = Duration::from_secs(REQUEST_TIMEOUT_SECS) + SLACK;
    for s in &samples {
        match s.status {
            Some(200..=299) => {}
            Some(503) => assert_barbican_503(s),
            _ => panic!("{:?} answered {:?}: {}\nserver logs:\n{}", s.kind, s.status, s.body, server.logs()),
        }
        assert!(s.latency() <= limit, "a request took {:?} (limit {limit:?}): {s:?}", s.latency());
    }
    assert!(samples.iter().filter(|s| s.answered < stopped).all(Sample::is_2xx), "503 before the outage");

    // The numbers: requests sent while the database was down, and the way back.
    let during: Vec<&Sample> = samples.iter().filter(|s| s.sent >= stopped && s.sent < restarted).collect();
    let count = |pred: &dyn Fn(&Sample) -> bool| during.iter().filter(|s| pred(s)).count();
    let (ok, unavailable) = (count(&|s| s.is_2xx()), count(&|s| s.status == Some(503)));
    let max_latency = during.iter().map(|s| s.latency()).max().unwrap_or_default();
    let first_2xx = samples.iter().filter(|s| s.answered > restarted && s.is_2xx()).map(|s| s.answered).min();
    let back_after = first_2xx.expect("a 2xx after the restart") - restarted;
    let after_back: Vec<&Sample> = samples.iter().filter(|s| s.sent > restarted + back_after).collect();
    let failed_after: Vec<&&Sample> = after_back.iter().filter(|s| !s.is_2xx()).collect();
    eprintln!(
        "outage of {:.1} s: {} requests sent during it: {ok} 2xx, {unavailable} 503, {} other; max latency \
         {:.0} ms; first 2xx {:.0} ms after Postgres was back; then {} requests, {} not 2xx",
        (restarted - stopped).as_secs_f64(),
        during.len(),
        during.len() - ok - unavailable,
        max_latency.as_secs_f64() * 1000.0,
        back_after.as_secs_f64() * 1000.0,
        after_back.len(),
        failed_after.len(),
    );
    assert!(unavailable > 0, "no request saw the outage");
    assert!(back_after < Duration::from_secs(15), "the server took {back_after:?} to recover");
    assert!(failed_after.is_empty(), "requests failed after the recovery: {failed_after:?}");
    assert!(worker.wait_exit(Duration::ZERO).is_none(), "the worker process died:\n{}", worker.logs());
    c.get("/health/ready").await.expect(200);

    // Every accepted order is listed and settles, ACTIVE or ERROR, by itself: none stuck PENDING.
    let orders: Vec<String> = samples.iter().filter(|s| s.kind == Kind::Order && s.is_2xx()).map(reference).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let listed = loop {
        let listed = listed_orders(&c).await;
        let pending: Vec<&String> = orders.iter().filter(|o| listed.get(*o).is_none_or(|s| s == "PENDING")).collect();
        if pending.is_empty() {
            break listed;
        }
        assert!(Instant::now() < deadline, "orders unlisted or PENDING 60 s after the load: {pending:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let settled_after = restarted.elapsed();
    let mut statuses = BTreeMap::<&str, usize>::new();
    for order_ref in &orders {
        let status = listed[order_ref].as_str();
        assert!(status == "ACTIVE" || status == "ERROR", "order {order_ref} is {status}");
        *statuses.entry(status).or_default() += 1;
    }
    // Every acknowledged secret is there with its payload.
    let secrets: Vec<&Sample> = samples.iter().filter(|s| s.kind == Kind::Secret && s.is_2xx()).collect();
    for s in &secrets {
        let r = c.payload(&reference(s), Some("text/plain")).await;
        assert_eq!((r.status, r.text()), (StatusCode::OK, s.payload.clone()), "acknowledged secret {}", reference(s));
    }
    eprintln!(
        "{} accepted orders all settled {statuses:?} by {:.1} s after Postgres was back (the load ran until \
         {:.1} s); {} acknowledged secrets read back; server and worker still up",
        orders.len(),
        settled_after.as_secs_f64(),
        (stopped_load - restarted).as_secs_f64(),
        secrets.len(),
    );
    drop(worker);
    drop(server);
    drop(storage);
    drop(cluster);
}
