//! Job tracing: a job carries the trace context of the span that enqueued it in its apalis
//! **metadata** (W3C `traceparent`, and the originating `request_id`; never in its payload), and
//! each delivery runs in a span that continues that trace. So one trace shows
//! `POST /v1/orders` → `enqueue orders` → `process_type_order` → `enqueue certificate_steps` →
//! `certificate_step csr` → ... ; a retried delivery is a span of its own under the same parent.
//!
//! The delivery span (`job`) carries the queue, the job id, the attempt, the order id (every job
//! of an order has `order_id` in its payload; certificate steps `step` too), the outcome, and on a
//! failed attempt its error (the span's status is then an error). Outcome errors name stores and
//! database failures, never secret material (see `Failure` in `orders/`). Log lines written
//! during a delivery carry these fields, its `trace_id` and the enqueuing `request_id`.
//!
//! With OpenTelemetry export off the same metadata is written and read: only the ids are made,
//! so that logs of a request and of the jobs it caused share a trace id.
//!
//! # Layout
//! - [`metadata`]: the current context as the metadata of a job being enqueued.
//! - [`delivery`], [`Delivery::run`]: a delivery's span, under the context its metadata names.
//! - [`record_attempt`], [`record_outcome`]: what `worker::run_one` learns as it goes.

use std::collections::HashMap;
use std::future::Future;

use apalis::prelude::MetadataStore;
use portcullis_observability::trace_context::{self, Origin};
use serde_json::Value;
use tracing::Instrument;
use tracing::field::Empty;

use crate::{CertificateStepTask, Job, OrderTask, Outcome};

/// The metadata of a job enqueued here: the current span's (or request's, or delivery's)
/// context. `None` outside any (e.g. a job enqueued at start-up).
pub(crate) fn metadata() -> Option<MetadataStore> {
    let entries = trace_context::job_metadata();
    (!entries.is_empty()).then(|| {
        MetadataStore::from_map(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<HashMap<_, _>>())
    })
}

/// The span of one delivery of job `id` of `queue`, and what it runs under.
pub(crate) struct Delivery {
    span: tracing::Span,
    origin: Origin,
}

/// Makes the span of a delivery: a child of the span that enqueued the job, or the root of a new
/// trace if the job carries no (valid) context.
pub(crate) fn delivery(queue: &'static str, id: &str, args: &Value, meta: &MetadataStore) -> Delivery {
    let (parent, request_id) = trace_context::from_metadata(|k| meta.get(k));
    let (step, order_id) = (args.get("step").and_then(Value::as_str), args.get("order_id").and_then(Value::as_str));
    let span = tracing::info_span!(
        parent: None,
        "job",
        otel.name = %span_name(queue, step),
        otel.kind = "consumer",
        otel.status_code = Empty,
        otel.status_description = Empty,
        queue,
        job_id = %id,
        attempt = Empty,
        order_id,
        step,
        outcome = Empty,
        error = Empty,
        request_id = request_id.as_deref(),
        trace_id = Empty,
    );
    let own = trace_context::adopt(&span, parent.as_ref());
    Delivery { span, origin: Origin { trace: own, request_id } }
}

impl Delivery {
    /// Runs the delivery inside its span, with its context current (for the jobs it enqueues).
    pub(crate) fn run<F: Future>(self, fut: F) -> impl Future<Output = F::Output> {
        self.origin.scope(fut.instrument(self.span))
    }
}

/// `process_type_order` (Barbican's name for an order's job), `certificate_step <step>`, or the
/// queue's name.
fn span_name(queue: &str, step: Option<&str>) -> String {
    match (queue, step) {
        (OrderTask::QUEUE, _) => "process_type_order".to_owned(),
        (CertificateStepTask::QUEUE, Some(step)) => format!("certificate_step {step}"),
        (queue, _) => queue.to_owned(),
    }
}

/// Records the delivery's 1-based attempt on the current delivery span.
pub(crate) fn record_attempt(attempt: u32) {
    tracing::Span::current().record("attempt", attempt);
}

/// Records how the delivery ended on the current delivery span: `done`, `failed`, `retry` or
/// `exhausted` (a retry on the last attempt); anything but `done` marks the span an error.
pub(crate) fn record_outcome(outcome: &Outcome, last_attempt: bool) {
    let span = tracing::Span::current();
    let (name, error) = match outcome {
        Outcome::Done => ("done", None),
        Outcome::Failed { error } => ("failed", Some(error)),
        Outcome::Retry { error, .. } if last_attempt => ("exhausted", Some(error)),
        Outcome::Retry { error, .. } => ("retry", Some(error)),
    };
    span.record("outcome", name);
    if let Some(error) = error {
        span.record("error", error.as_str());
        span.record("otel.status_code", "ERROR");
        span.record("otel.status_description", error.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_named_for_the_order_pipeline() {
        assert_eq!(span_name("orders", None), "process_type_order");
        assert_eq!(span_name("certificate_steps", Some("csr")), "certificate_step csr");
        assert_eq!(span_name("other", Some("x")), "other");
    }
}
