//! Prometheus metrics: one process-wide registry of counters and histograms that the API, the job
//! workers and the crypto plugins record into, and the rendering of `GET /metrics`.
//!
//! Two kinds of values:
//! - **process counters and histograms**, kept here ([`metrics()`]): HTTP requests, job deliveries,
//!   orders created, crypto operations. They count what *this* process did since it started.
//! - **scrape-time gauges** ([`Scrape`]): jobs by state, queue depth and lag, orders by status,
//!   read from the database by the scrape handler and rendered with the rest. They are the same
//!   whichever process is scraped, and survive restarts.
//!
//! Label values are route templates, queue names, states and other fixed vocabularies: never an
//! id, a project, a payload or anything a client typed freely (see [`keygen_kind`]).
//!
//! The exposition is OpenMetrics text ([`CONTENT_TYPE`]), which Prometheus scrapes natively.
//!
//! # Layout
//! - [`Metrics`], [`metrics()`]: the registry and its recorders (`http_request`, `job_delivery`,
//!   `order_created`, `crypto_op`).
//! - [`Scrape`] and its rows: the values read at scrape time; [`Metrics::render`] writes both.
//! - label sets and bucket boundaries, private.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every job state the `portcullis_jobs` gauge reports, zero when no row is in it.
pub const JOB_STATES: [&str; 6] = ["pending", "retried", "running", "done", "failed", "killed"];

/// Request latency buckets (seconds): most requests are a few milliseconds; the request timeout is
/// 30 s by default.
const HTTP_BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Job run-time buckets (seconds): AES keys take microseconds, RSA 4096 seconds; the job timeout
/// is 120 s by default.
const JOB_BUCKETS: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    queue: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrderTypeLabels {
    r#type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CryptoLabels {
    operation: &'static str,
    kind: &'static str,
    outcome: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The process's counters and histograms. Recording is a hash lookup under a read lock plus an
/// atomic add: label sets are `&'static str`s, so nothing is allocated once a series exists.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: HistogramFamily<HttpLabels>,
    job_deliveries: Family<DeliveryLabels, Counter>,
    job_duration: HistogramFamily<DeliveryLabels>,
    orders_created: Family<OrderTypeLabels, Counter>,
    crypto_ops: Family<CryptoLabels, Counter>,
}

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration: HistogramFamily<HttpLabels> =
            Family::new_with_constructor(|| Histogram::new(HTTP_BUCKETS.iter().copied()));
        let job_deliveries = Family::<DeliveryLabels, Counter>::default();
        let job_duration: HistogramFamily<DeliveryLabels> =
            Family::new_with_constructor(|| Histogram::new(JOB_BUCKETS.iter().copied()));
        let orders_created = Family::<OrderTypeLabels, Counter>::default();
        let crypto_ops = Family::<CryptoLabels, Counter>::default();
        registry.register(
            "portcullis_http_requests",
            "HTTP requests answered, by route template (unmatched: no route), method and status",
            http_requests.clone(),
        );
        registry.register_with_unit(
            "portcullis_http_request_duration",
            "HTTP request latency, by route template, method and status",
            Unit::Seconds,
            http_duration.clone(),
        );
        registry.register(
            "portcullis_job_deliveries",
            "Job deliveries run by this process's workers, by queue and outcome (done, retried, failed, \
             exhausted: retried on its last attempt)",
            job_deliveries.clone(),
        );
        registry.register_with_unit(
            "portcullis_job_run_duration",
            "Run time of job deliveries in this process, by queue and outcome",
            Unit::Seconds,
            job_duration.clone(),
        );
        registry.register(
            "portcullis_orders_created",
            "Orders accepted by this process's API, by type",
            orders_created.clone(),
        );
        registry.register(
            "portcullis_crypto_operations",
            "Crypto operations in this process: operation encrypt/decrypt with kind payload or kek, keygen \
             with kind the key algorithm; outcome ok or error",
            crypto_ops.clone(),
        );
        Metrics { registry, http_requests, http_duration, job_deliveries, job_duration, orders_created, crypto_ops }
    }

    /// One answered HTTP request. `route` is the matched route template (`/v1/secrets/{id}`).
    pub fn http_request(&self, method: &'static str, route: &'static str, status: u16, elapsed: Duration) {
        let labels = HttpLabels { method, route, status };
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration.get_or_create(&labels).observe(elapsed.as_secs_f64());
    }

    /// One job delivery that ended with `outcome` after running for `elapsed`.
    pub fn job_delivery(&self, queue: &'static str, outcome: &'static str, elapsed: Duration) {
        let labels = DeliveryLabels { queue, outcome };
        self.job_deliveries.get_or_create(&labels).inc();
        self.job_duration.get_or_create(&labels).observe(elapsed.as_secs_f64());
    }

    /// One order accepted (stored, with its job) by the API.
    pub fn order_created(&self, order_type: &'static str) {
        self.orders_created.get_or_create(&OrderTypeLabels { r#type: order_type }).inc();
    }

    /// One crypto operation (`encrypt`, `decrypt`, `keygen`) of `kind`.
    pub fn crypto_op(&self, operation: &'static str, kind: &'static str, ok: bool) {
        let outcome = if ok { "ok" } else { "error" };
        self.crypto_ops.get_or_create(&CryptoLabels { operation, kind, outcome }).inc();
    }

    /// The whole exposition: this process's metrics, then `scrape`'s gauges, then `# EOF`.
    pub fn render(&self, scrape: &Scrape) -> String {
        let mut out = String::with_capacity(16 * 1024);
        // Writing to a String cannot fail; an encoding error would be a bug in a label value.
        let _ = text::encode_registry(&mut out, &self.registry)
            .and_then(|()| text::encode_registry(&mut out, &scrape.registry()))
            .and_then(|()| text::encode_eof(&mut out));
        out
    }
}

/// The key algorithm of a keygen request as a label: one of the algorithms Portcullis generates,
/// or `other` (the request's text is the client's and must not become a label value).
pub fn keygen_kind(algorithm: &str) -> &'static str {
    const KNOWN: [&str; 8] = ["aes", "hmacsha1", "hmacsha256", "hmacsha384", "hmacsha512", "rsa", "ec", "ed25519"];
    let algorithm = algorithm.trim();
    KNOWN.into_iter().find(|k| k.eq_ignore_ascii_case(algorithm)).unwrap_or("other")
}

/// Jobs of one queue in one state (one of [`JOB_STATES`]).
#[derive(Debug, Clone)]
pub struct JobCount {
    pub queue: String,
    pub state: &'static str,
    pub count: i64,
}

/// How far behind one queue is.
#[derive(Debug, Clone)]
pub struct QueueLag {
    pub queue: String,
    /// Jobs due now and not yet taken by a worker.
    pub depth: i64,
    /// How long the oldest of those has been due; 0 when none is waiting.
    pub oldest_pending_age_secs: f64,
}

/// Orders of one type in one status.
#[derive(Debug, Clone)]
pub struct OrderCount {
    pub order_type: String,
    pub status: String,
    pub count: i64,
}

/// What the scrape handler read from the database. With `database_up` false the other fields are
/// ignored and their metrics left out (absent rather than a misleading zero).
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    pub database_up: bool,
    pub jobs: Vec<JobCount>,
    pub queues: Vec<QueueLag>,
    pub orders: Vec<OrderCount>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueStateLabels {
    queue: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrderLabels {
    r#type: String,
    status: String,
}

impl Scrape {
    /// A throw-away registry holding this scrape's gauges (built once per scrape: a few dozen
    /// series, so the cost is negligible beside the queries).
    fn registry(&self) -> Registry {
        let mut registry = Registry::default();
        let up = Gauge::<i64>::default();
        up.set(i64::from(self.database_up));
        registry.register("portcullis_database_up", "Whether the database answered this scrape's queries", up);
        if !self.database_up {
            return registry;
        }
        let jobs = Family::<QueueStateLabels, Gauge>::default();
        for j in &self.jobs {
            jobs.get_or_create(&QueueStateLabels { queue: j.queue.clone(), state: j.state }).inc_by(j.count);
        }
        registry.register(
            "portcullis_jobs",
            "Jobs in the jobs table at scrape, by queue and state: pending (never run), retried (waiting for a \
             retry), running (held by a worker), done, failed (retryable, apalis's own), killed (failed for good or \
             cancelled); finished jobs are pruned after job_retention_days",
            jobs,
        );
        let depth = Family::<QueueLabels, Gauge>::default();
        let age = Family::<QueueLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        for q in &self.queues {
            let labels = QueueLabels { queue: q.queue.clone() };
            depth.get_or_create(&labels).set(q.depth);
            age.get_or_create(&labels).set(q.oldest_pending_age_secs);
        }
        registry.register(
            "portcullis_job_queue_depth",
            "Jobs of the queue due now and not yet taken by a worker, at scrape",
            depth,
        );
        registry.register_with_unit(
            "portcullis_job_queue_oldest_pending_age",
            "How long the oldest due, not yet taken job of the queue has been due, at scrape (0: none waiting)",
            Unit::Seconds,
            age,
        );
        let orders = Family::<OrderLabels, Gauge>::default();
        for o in &self.orders {
            let labels = OrderLabels { r#type: o.order_type.clone(), status: o.status.clone() };
            orders.get_or_create(&labels).inc_by(o.count);
        }
        registry.register(
            "portcullis_orders",
            "Orders (not deleted) by type and status, counted in the orders table at scrape: PENDING, and the \
             workers' outcomes ACTIVE and ERROR",
            orders,
        );
        registry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_scrape_gauges() {
        let m = Metrics::new();
        m.http_request("GET", "/v1/secrets/{id}", 200, Duration::from_millis(3));
        m.job_delivery("orders", "done", Duration::from_millis(20));
        m.crypto_op("keygen", keygen_kind("AES"), true);
        let scrape = Scrape {
            database_up: true,
            jobs: vec![JobCount { queue: "orders".into(), state: "done", count: 2 }],
            queues: vec![QueueLag { queue: "orders".into(), depth: 0, oldest_pending_age_secs: 0.0 }],
            orders: vec![OrderCount { order_type: "key".into(), status: "ACTIVE".into(), count: 2 }],
        };
        let text = m.render(&scrape);
        for line in [
            "portcullis_http_requests_total{method=\"GET\",route=\"/v1/secrets/{id}\",status=\"200\"} 1",
            "portcullis_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/secrets/{id}\",status=\"200\"} 1",
            "portcullis_job_deliveries_total{queue=\"orders\",outcome=\"done\"} 1",
            "portcullis_crypto_operations_total{operation=\"keygen\",kind=\"aes\",outcome=\"ok\"} 1",
            "portcullis_jobs{queue=\"orders\",state=\"done\"} 2",
            "portcullis_orders{type=\"key\",status=\"ACTIVE\"} 2",
            "portcullis_database_up 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn database_down_leaves_out_the_scrape_gauges() {
        let text = Metrics::new().render(&Scrape::default());
        assert!(text.contains("portcullis_database_up 0"));
        assert!(!text.contains("portcullis_jobs{"));
    }

    #[test]
    fn keygen_kinds_are_a_fixed_vocabulary() {
        assert_eq!(keygen_kind("RSA"), "rsa");
        assert_eq!(keygen_kind("my-secret-project-name"), "other");
    }
}
