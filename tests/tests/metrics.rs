//! `GET /metrics`: after a few requests and key orders, the counters moved (HTTP requests by route
//! template, job deliveries, jobs and orders read from the database, crypto operations); the
//! exposition parses; and no line carries a project, secret or order id.
//!
//! # Layout
//! - the test, per backend ([`both_backends!`]);
//! - `Exposition`: a small parser of the text format (`name{labels} value` lines).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use portcullis_tests::*;

/// One sample line: metric name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A parsed exposition. Parsing panics on any line that is neither a comment nor a sample.
struct Exposition {
    text: String,
    samples: Vec<Sample>,
}

impl Exposition {
    fn parse(text: String) -> Exposition {
        let samples = text.lines().filter(|l| !l.starts_with('#')).map(parse_sample).collect();
        Exposition { text, samples }
    }

    /// The value of the sample `name` whose labels include all of `labels`; 0 when absent.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
            .map(|s| s.value)
            .sum()
    }

    fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.samples
            .iter()
            .any(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
    }
}

fn parse_sample(line: &str) -> Sample {
    fn bad<T>(line: &str) -> T {
        panic!("not a sample line: {line:?}")
    }
    let name_end = line.find(['{', ' ']).unwrap_or_else(|| bad(line));
    let name = &line[..name_end];
    let valid_name = name
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_alphabetic() || "_:".contains(c) || (i > 0 && c.is_ascii_digit()));
    if name.is_empty() || !valid_name {
        bad::<()>(line);
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(body) = rest.strip_prefix('{') {
        let mut body = body;
        loop {
            if let Some(after) = body.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = body.find("=\"").unwrap_or_else(|| bad(line));
            let key = body[..eq].to_owned();
            let value_start = &body[eq + 2..];
            // Values may hold escaped quotes; route templates hold `{` and `}`.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in value_start.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end.unwrap_or_else(|| bad(line));
            labels.insert(key, value_start[..end].to_owned());
            body = &value_start[end + 1..];
            body = body.strip_prefix(',').unwrap_or(body);
        }
    }
    let value = rest.strip_prefix(' ').unwrap_or_else(|| bad(line));
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().unwrap_or_else(|_| bad(line)),
    };
    Sample { name: name.to_owned(), labels, value }
}

const KEY_ORDER: &str = r#"{"type": "key", "meta": {"algorithm": "aes", "bit_length": 256, "mode": "cbc"}}"#;

/// Scrapes until `ready` holds (the job row is marked Done just after its order goes ACTIVE), at
/// most 15 s; returns the last exposition either way.
async fn scrape_until(server: &TestServer, ready: impl Fn(&Exposition) -> bool) -> Exposition {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = server.anonymous().get("/metrics").await.expect(200);
        let content_type = r.header("content-type").unwrap_or_default();
        assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
        let text = r.text();
        assert!(text.ends_with("# EOF\n"), "exposition must end with # EOF:\n{text}");
        let e = Exposition::parse(text);
        if ready(&e) || Instant::now() > deadline {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

both_backends!(metrics_move_with_requests_jobs_orders_and_crypto, |backend| async move {
    let (server, _storage) = start(backend).await;
    // Start-up already sealed and opened keys (the local CA's), so crypto is checked as deltas.
    let before = scrape_until(&server, |_| true).await;
    let project = project();
    let c = server.client(&project);
    let secret_ref = c.create_text_secret("metrics", "s3cr3t").await;
    c.get(&secret_ref).await.expect(200);
    c.payload(&secret_ref, Some("text/plain")).await.expect(200);
    let mut ids = vec![project.clone(), id_of(&secret_ref)];
    let body: Value = serde_json::from_str(KEY_ORDER).unwrap();
    for _ in 0..3 {
        let order_ref = c.post_order(&body).await;
        let order = c.settled_order(&order_ref).await;
        assert_eq!(order["status"], "ACTIVE", "{order}");
        ids.push(id_of(&order_ref));
        ids.push(id_of(order["secret_ref"].as_str().expect("secret_ref")));
    }
    server.anonymous().get("/no/such/route/42").await.expect(404);

    let e = scrape_until(&server, |e| {
        e.value("portcullis_job_deliveries_total", &[("queue", "orders")]) >= 3.0
            && e.value("portcullis_jobs", &[("queue", "orders"), ("state", "done")]) >= 3.0
    })
    .await;

    // HTTP, by route template (never the raw path) and method and status.
    let orders_post = [("route", "/v1/orders"), ("method", "POST"), ("status", "202")];
    assert_eq!(e.value("portcullis_http_requests_total", &orders_post), 3.0, "{}", e.text);
    assert_eq!(e.value("portcullis_http_request_duration_seconds_count", &orders_post), 3.0);
    assert!(e.has("portcullis_http_request_duration_seconds_bucket", &[("route", "/v1/orders"), ("le", "+Inf")]));
    assert!(e.value("portcullis_http_requests_total", &[("route", "/v1/orders/{id}"), ("method", "GET")]) >= 3.0);
    assert_eq!(e.value("portcullis_http_requests_total", &[("route", "/v1/secrets/{id}/payload")]), 1.0);
    assert_eq!(e.value("portcullis_http_requests_total", &[("route", "unmatched"), ("status", "404")]), 1.0);

    // Jobs: this process's deliveries, and the table read at scrape.
    assert_eq!(e.value("portcullis_job_deliveries_total", &[("queue", "orders"), ("outcome", "done")]), 3.0);
    assert_eq!(e.value("portcullis_job_run_duration_seconds_count", &[("queue", "orders"), ("outcome", "done")]), 3.0);
    assert_eq!(e.value("portcullis_jobs", &[("queue", "orders"), ("state", "done")]), 3.0, "{}", e.text);
    for state in ["pending", "retried", "running", "failed", "killed"] {
        assert!(e.has("portcullis_jobs", &[("queue", "orders"), ("state", state)]), "state {state}:\n{}", e.text);
    }
    assert!(e.has("portcullis_jobs", &[("queue", "certificate_steps"), ("state", "pending")]));
    assert_eq!(e.value("portcullis_job_queue_depth", &[("queue", "orders")]), 0.0);
    assert!(e.has("portcullis_job_queue_oldest_pending_age_seconds", &[("queue", "orders")]));
    assert_eq!(e.value("portcullis_database_up", &[]), 1.0);

    // Orders: accepted by the API, and by status in the table.
    assert_eq!(e.value("portcullis_orders_created_total", &[("type", "key")]), 3.0);
    assert_eq!(e.value("portcullis_orders", &[("type", "key"), ("status", "ACTIVE")]), 3.0);

    // Crypto: three AES keys generated; four payloads sealed (the secret and the keys); one opened.
    let op = |operation, kind| {
        let labels = [("operation", operation), ("kind", kind), ("outcome", "ok")];
        e.value("portcullis_crypto_operations_total", &labels)
            - before.value("portcullis_crypto_operations_total", &labels)
    };
    assert_eq!(op("keygen", "aes"), 3.0);
    assert_eq!(op("encrypt", "payload"), 4.0);
    assert_eq!(op("decrypt", "payload"), 1.0);
    assert!(op("encrypt", "kek") >= 1.0, "the project's KEK was made");

    // Nothing identifying: no project, secret or order id anywhere, no raw /v1 path with an id.
    for line in e.text.lines() {
        for id in &ids {
            assert!(!line.contains(id.as_str()), "metric line carries an id ({id}): {line}");
        }
    }
});
