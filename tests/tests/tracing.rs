//! Tracing end to end: the server exports its spans over OTLP/HTTP (protobuf) to a real receiver
//! in the test, and one trace follows a certificate order from the client's request through the
//! `orders` job (a failed attempt and its retry) and each certificate step, under the client's
//! own `traceparent`; no span carries a payload; logs carry the trace and request ids.
//!
//! Run with `--nocapture` to see the trace printed as a tree.
//!
//! # Layout
//! - `Receiver`, `collect`: the OTLP/HTTP receiver (`POST /v1/traces`) and the spans it kept.
//! - `Span`, `Trace`: a received span, flattened; lookups, parent chains, the printed tree.
//! - the test, on both backends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as OtelStatus;
use portcullis_tests::*;
use prost::Message;

/// A received span, flattened: ids in hex, attribute values as text.
#[derive(Debug, Clone)]
struct Span {
    service: String,
    trace_id: String,
    span_id: String,
    parent: String,
    name: String,
    attrs: HashMap<String, String>,
    /// Event names and their attribute values (log lines inside the span).
    events: Vec<String>,
    error: bool,
}

impl Span {
    fn attr(&self, key: &str) -> &str {
        self.attrs.get(key).map_or("", String::as_str)
    }
}

type Spans = Arc<Mutex<Vec<Span>>>;

/// An OTLP/HTTP receiver on a loopback port.
struct Receiver {
    endpoint: String,
    spans: Spans,
}

impl Receiver {
    async fn start() -> Receiver {
        let spans = Spans::default();
        let app = axum::Router::new().route("/v1/traces", axum::routing::post(collect)).with_state(spans.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the receiver");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { endpoint, spans }
    }

    fn spans(&self) -> Vec<Span> {
        self.spans.lock().unwrap().clone()
    }
}

fn text(v: &Option<AnyValue>) -> String {
    match v.as_ref().and_then(|v| v.value.as_ref()) {
        Some(Any::StringValue(s)) => s.clone(),
        Some(Any::BoolValue(b)) => b.to_string(),
        Some(Any::IntValue(i)) => i.to_string(),
        Some(Any::DoubleValue(d)) => d.to_string(),
        Some(Any::BytesValue(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn attrs(kvs: &[KeyValue]) -> HashMap<String, String> {
    kvs.iter().map(|kv| (kv.key.clone(), text(&kv.value))).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `POST /v1/traces`: keeps every span of the export request.
async fn collect(State(spans): State<Spans>, body: Bytes) -> impl IntoResponse {
    let req = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export request");
    let mut kept = spans.lock().unwrap();
    for rs in req.resource_spans {
        let resource = rs.resource.map(|r| attrs(&r.attributes)).unwrap_or_default();
        for s in rs.scope_spans.into_iter().flat_map(|ss| ss.spans) {
            let events = s.events.iter().map(|e| format!("{} {:?}", e.name, attrs(&e.attributes))).collect();
            kept.push(Span {
                service: resource.get("service.name").cloned().unwrap_or_default(),
                trace_id: hex(&s.trace_id),
                span_id: hex(&s.span_id),
                parent: hex(&s.parent_span_id),
                name: s.name.clone(),
                attrs: attrs(&s.attributes),
                events,
                error: s.status.as_ref().is_some_and(|st| st.code == OtelStatus::Error as i32),
            });
        }
    }
    // An empty ExportTraceServiceResponse: full success.
    ([(CONTENT_TYPE, "application/x-protobuf")], Vec::<u8>::new())
}

/// The spans received, with lookups.
struct Trace(Vec<Span>);

impl Trace {
    fn named(&self, name: &str) -> Vec<&Span> {
        self.0.iter().filter(|s| s.name == name).collect()
    }

    fn one(&self, name: &str) -> &Span {
        let found = self.named(name);
        assert_eq!(found.len(), 1, "expected one {name:?} span, got {found:#?}");
        found[0]
    }

    fn by_id(&self, id: &str) -> Option<&Span> {
        self.0.iter().find(|s| s.span_id == id)
    }

    /// Names of the ancestors of `span`, nearest first; panics on a broken chain.
    fn ancestors(&self, span: &Span, root_parent: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut parent = span.parent.clone();
        while parent != root_parent {
            let p = self.by_id(&parent).unwrap_or_else(|| panic!("{}: parent {parent} was not exported", span.name));
            out.push(p.name.clone());
            parent = p.parent.clone();
        }
        out
    }

    /// Prints the spans of `trace_id` as a tree under the remote parent `root_parent`.
    fn print(&self, trace_id: &str, root_parent: &str) {
        eprintln!("trace {trace_id} (remote parent {root_parent}):");
        self.print_children(trace_id, root_parent, 1);
    }

    fn print_children(&self, trace_id: &str, parent: &str, depth: usize) {
        for s in self.0.iter().filter(|s| s.trace_id == trace_id && s.parent == parent) {
            let mut notes: Vec<String> = ["attempt", "outcome", "http.response.status_code"]
                .iter()
                .filter(|k| s.attrs.contains_key(**k))
                .map(|k| format!("{k}={}", s.attr(k)))
                .collect();
            if s.error {
                notes.push("ERROR".into());
            }
            eprintln!("{}{} [{}] parent={} {}", "  ".repeat(depth), s.name, s.span_id, s.parent, notes.join(" "));
            self.print_children(trace_id, &s.span_id, depth + 1);
        }
    }
}

fn random_hex(bytes: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..bytes * 2].to_owned()
}

both_backends!(a_certificate_order_is_one_trace, |backend| async move {
    let rx = Receiver::start().await;
    let storage = Storage::new(backend).await;
    let server = TestServer::start_on(
        &storage,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_SERVICE_NAME", "portcullis-test"),
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
            // The order's first delivery fails, so its retry shows as a second span.
            ("PORTCULLIS_FAULTS", "orders=transient:1"),
            ("PORTCULLIS_JOB_RETRY_BASE_SECS", "1"),
        ],
    );
    let (trace_id, caller_span) = (random_hex(16), random_hex(8));
    let c = server.client(&project());

    // A secret whose payload must appear in no span.
    let canary = format!("canary-{}", uuid::Uuid::new_v4().simple());
    let secret_ref = c.create_text_secret("canary", &canary).await;
    assert_eq!(c.payload(&secret_ref, Some("text/plain")).await.expect(200).text(), canary);

    let traced = c.with_header("traceparent", &format!("00-{trace_id}-{caller_span}-01"));
    let r = traced
        .post_json(
            "/v1/orders",
            &json!({"type": "certificate", "meta": {"subject_dn": "CN=t.example", "key_type": "ec", "bit_length": 256}}),
        )
        .await
        .expect(202);
    let request_id = r.header("x-openstack-request-id").expect("x-openstack-request-id");
    let answered = r.header("traceparent").expect("a traceparent response header");
    let (version, rest) = answered.split_once('-').expect("traceparent");
    assert_eq!(version, "00");
    assert!(rest.starts_with(&format!("{trace_id}-")), "{answered}: not in the caller's trace {trace_id}");
    let http_span_id = rest[33..49].to_owned();
    assert_ne!(http_span_id, caller_span, "the response names the server's span, not the caller's");

    let order_ref = r.json()["order_ref"].as_str().expect("order_ref").to_owned();
    let order_id = id_of(&order_ref);
    let order = c.wait_order(&order_ref, Duration::from_secs(60), |o| o["status"] != "PENDING").await;
    assert_eq!(order["status"], "ACTIVE", "{order}");
    // The generated private key must appear in no span either.
    let container = c.get(order["container_ref"].as_str().expect("container_ref")).await.expect(200).json();
    let key_ref = container["secret_refs"]
        .as_array()
        .expect("secret_refs")
        .iter()
        .find(|r| r["name"] == "private_key")
        .and_then(|r| r["secret_ref"].as_str())
        .expect("private_key")
        .to_owned();
    let key_pem = c.payload(&key_ref, Some("application/octet-stream")).await.expect(200).text();
    let key_body: String = key_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(key_body.len() > 40, "{key_pem}");

    // Spans are exported in batches (every 200 ms here): wait for the last step's.
    let deadline = Instant::now() + Duration::from_secs(20);
    let trace = loop {
        let t = Trace(rx.spans());
        let done = t.named("process_type_order").len() >= 2
            && ["csr", "submit", "store"].iter().all(|s| !t.named(&format!("certificate_step {s}")).is_empty())
            && !t.named("POST /v1/orders").is_empty();
        if done {
            break t;
        }
        assert!(
            Instant::now() < deadline,
            "spans not exported in time; got {:#?}\nserver logs:\n{}",
            t.0,
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    trace.print(&trace_id, &caller_span);

    // The request span: a child of the caller's span, named by the route template.
    let http = trace.one("POST /v1/orders");
    assert_eq!((http.trace_id.as_str(), http.parent.as_str()), (trace_id.as_str(), caller_span.as_str()));
    assert_eq!(http.span_id, http_span_id, "the response's traceparent names the request span");
    assert_eq!(http.service, "portcullis-test");
    assert_eq!(http.attr("http.route"), "/v1/orders");
    assert_eq!(http.attr("http.request.method"), "POST");
    assert_eq!(http.attr("http.response.status_code"), "202");
    assert_eq!(http.attr("request_id"), request_id);
    assert_eq!(http.attr("project_id"), c.project.as_deref().unwrap());
    assert_eq!(http.attr("trace_id"), trace_id);

    // The order's job: two deliveries, each its own span under the enqueuing span.
    let enqueue = trace.one("enqueue orders");
    assert_eq!(enqueue.parent, http.span_id);
    let mut attempts = trace.named("process_type_order");
    attempts.sort_by_key(|s| s.attr("attempt").to_owned());
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    for (n, s) in attempts.iter().enumerate() {
        assert_eq!(s.trace_id, trace_id);
        assert_eq!(s.parent, enqueue.span_id, "a delivery's parent is the span that enqueued it");
        assert_eq!(trace.ancestors(s, &caller_span), ["enqueue orders", "POST /v1/orders"]);
        assert_eq!(s.attr("attempt"), (n + 1).to_string());
        assert_eq!((s.attr("queue"), s.attr("order_id")), ("orders", order_id.as_str()));
        assert_eq!(s.attr("request_id"), request_id);
        assert!(!s.attr("job_id").is_empty());
    }
    assert_eq!(attempts[0].attr("job_id"), attempts[1].attr("job_id"));
    let (failed, retried) = (attempts[0], attempts[1]);
    assert!(failed.error && failed.attr("outcome") == "retry", "{failed:#?}");
    assert!(failed.attr("error").contains("injected fault"), "{failed:#?}");
    assert!(!retried.error && retried.attr("outcome") == "done", "{retried:#?}");

    // Each certificate step: same trace, a chain of parents up to the order's successful job.
    for step in ["csr", "submit", "store"] {
        let s = trace.one(&format!("certificate_step {step}"));
        assert_eq!(s.trace_id, trace_id, "{s:#?}");
        let chain = trace.ancestors(s, &caller_span);
        assert!(chain.contains(&"process_type_order".to_owned()), "{step}: {chain:?}");
        assert_eq!(chain.last().map(String::as_str), Some("POST /v1/orders"), "{step}: {chain:?}");
        assert_eq!((s.attr("queue"), s.attr("step"), s.attr("outcome")), ("certificate_steps", step, "done"));
    }
    // The plugin calls and the repositories have spans of their own in the trace.
    for name in ["keygen asymmetric", "ca.build_csr", "ca.issue", "orders.mark_active", "certificate_requests.advance"]
    {
        assert!(trace.named(name).iter().any(|s| s.trace_id == trace_id), "no {name} span in the trace");
    }

    // No payload in any span: names, attributes, events.
    for s in &trace.0 {
        let all = format!("{} {:?} {:?}", s.name, s.attrs, s.events);
        assert!(!all.contains(&canary), "the secret's payload leaked into {s:#?}");
        assert!(!all.contains(&key_body[..40]), "the private key leaked into {s:#?}");
    }

    // Log lines inside the job carry its trace id and the request's id (JSON: the `span` object).
    let logs = server.logs();
    let line = logs.lines().find(|l| l.contains("certificate order active")).expect("the store step's log line");
    let v: Value = serde_json::from_str(line).expect("a JSON log line");
    assert_eq!(v["span"]["trace_id"], trace_id.as_str(), "{line}");
    assert_eq!(v["span"]["request_id"], request_id.as_str(), "{line}");
    assert_eq!(v["span"]["order_id"], order_id.as_str(), "{line}");
});

both_backends!(without_an_endpoint_ids_still_flow_to_logs, |backend| async move {
    let (server, _storage) = start(backend).await;
    let (trace_id, caller_span) = (random_hex(16), random_hex(8));
    let c = server.client(&project()).with_header("traceparent", &format!("00-{trace_id}-{caller_span}-01"));
    let r = c
        .post_json(
            "/v1/orders",
            &json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 256, "mode": "cbc"}}),
        )
        .await;
    let r = r.expect(202);
    let answered = r.header("traceparent").expect("a traceparent response header, export off too");
    assert!(answered.starts_with(&format!("00-{trace_id}-")), "{answered}");
    let request_id = r.header("x-openstack-request-id").expect("request id");
    let order_ref = r.json()["order_ref"].as_str().unwrap().to_owned();
    assert_eq!(c.settled_order(&order_ref).await["status"], "ACTIVE");
    let logs = server.logs();
    let line = logs.lines().find(|l| l.contains("key order active")).expect("the job's log line");
    let v: Value = serde_json::from_str(line).expect("a JSON log line");
    assert_eq!(v["span"]["trace_id"], trace_id.as_str(), "{line}");
    assert_eq!(v["span"]["request_id"], request_id.as_str(), "{line}");
    // A request without one starts a trace of its own.
    let fresh = server.client(&project()).get("/v1/secrets").await.expect(200);
    let tp = fresh.header("traceparent").expect("traceparent");
    assert!(tp.starts_with("00-") && !tp.contains(&trace_id), "{tp}");
});

/// Spans still buffered when the server stops (SIGTERM) are sent before it exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffered_spans_are_flushed_on_shutdown() {
    let rx = Receiver::start().await;
    let storage = Storage::new(Backend::Sqlite).await;
    // A batch delay far beyond the test: only the shutdown flush can deliver the span.
    let env = [("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint.as_str()), ("OTEL_BSP_SCHEDULE_DELAY", "600000")];
    let server = TestServer::start_on(&storage, &env);
    let r = server.client(&project()).get("/v1/secrets").await.expect(200);
    let request_id = r.header("x-openstack-request-id").expect("request id");
    assert!(rx.spans().is_empty(), "exported before the shutdown");
    let pid = server.pid().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !rx.spans().iter().any(|s| s.name == "GET /v1/secrets" && s.attr("request_id") == request_id) {
        assert!(Instant::now() < deadline, "the request span was not flushed at shutdown:\n{}", server.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
