//! W3C Trace Context for requests and jobs: which trace a request or job delivery belongs to, and
//! how that is handed on (the `traceparent` response header, job metadata).
//!
//! With OpenTelemetry export on ([`crate::otel`]), the ids are the exported spans' own: a request
//! span is made the child of the incoming `traceparent`, a job delivery's span the child of the
//! span that enqueued it. With export off, nothing is recorded, but the ids are still made (a
//! random span id, the incoming or a random trace id): logs, the response's `traceparent` and the
//! jobs a request enqueues share one trace id either way. That costs a few random numbers per
//! request and job, and no OpenTelemetry machinery runs.
//!
//! # Layout
//! - [`TraceParent`]: a `traceparent` value, parsed (strictly) and written.
//! - [`Origin`]: what a request or delivery runs under (its span's context, the request id);
//!   [`Origin::scope`] makes it current for a future, [`current`] reads it.
//! - [`adopt`]: starts a span as the child of a remote parent and returns its own context.
//! - [`job_metadata`], [`from_metadata`]: the current context as job metadata entries and back.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The metadata key (and HTTP header) of the W3C trace context.
pub const TRACEPARENT: &str = "traceparent";
/// The metadata key of the `x-openstack-request-id` of the request that enqueued a job.
pub const REQUEST_ID: &str = "request_id";

/// Set once the OpenTelemetry layer is installed: only then do spans have OpenTelemetry ids.
static OTEL_ON: AtomicBool = AtomicBool::new(false);

pub(crate) fn set_otel_on() {
    OTEL_ON.store(true, Ordering::Relaxed);
}

fn otel_on() -> bool {
    OTEL_ON.load(Ordering::Relaxed)
}

/// A `traceparent` (version 00): trace id, the parent span's id, and the sampled flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub sampled: bool,
}

impl TraceParent {
    /// Parses a `traceparent` as W3C Trace Context says a receiver must: lowercase hex fields of
    /// exact lengths, version `ff` and all-zero ids refused; a later version may carry more
    /// fields after ours. `None` for anything else (the request then starts a new trace).
    pub fn parse(value: &str) -> Option<TraceParent> {
        let value = value.trim();
        let mut parts = value.split('-');
        let (version, trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex =
            |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex(version, 2) || version == "ff" || !hex(trace, 32) || !hex(span, 16) || !hex(flags, 2) {
            return None;
        }
        if version == "00" && parts.next().is_some() {
            return None;
        }
        let trace_id = TraceId::from_hex(trace).ok().filter(|t| *t != TraceId::INVALID)?;
        let span_id = SpanId::from_hex(span).ok().filter(|s| *s != SpanId::INVALID)?;
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(TraceParent { trace_id, span_id, sampled: flags & 1 == 1 })
    }

    fn of(cx: &SpanContext) -> Option<TraceParent> {
        cx.is_valid().then(|| TraceParent { trace_id: cx.trace_id(), span_id: cx.span_id(), sampled: cx.is_sampled() })
    }

    fn remote_context(&self) -> opentelemetry::Context {
        let flags = if self.sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
        let cx = SpanContext::new(self.trace_id, self.span_id, flags, true, TraceState::default());
        opentelemetry::Context::new().with_remote_span_context(cx)
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "00-{}-{}-{:02x}", self.trace_id, self.span_id, u8::from(self.sampled))
    }
}

/// What a request or job delivery runs under: its own span's context (the parent of whatever it
/// starts) and the id of the request it comes from.
#[derive(Debug, Clone)]
pub struct Origin {
    pub trace: TraceParent,
    pub request_id: Option<String>,
}

tokio::task_local! {
    static ORIGIN: Origin;
}

impl Origin {
    /// Runs `fut` with this origin current (see [`current`]).
    pub fn scope<F: Future>(self, fut: F) -> impl Future<Output = F::Output> {
        ORIGIN.scope(self, fut)
    }
}

/// Starts `span` as a child of `parent` (a remote span: the caller's, or the one that enqueued a
/// job) and returns the span's own context. Call before the span is first entered. With export
/// on, these are the exported span's ids; with it off, a random span id under the parent's trace
/// (or a new one). The span's `trace_id` field, if declared, is recorded.
pub fn adopt(span: &Span, parent: Option<&TraceParent>) -> TraceParent {
    let own = if otel_on() && !span.is_disabled() {
        if let Some(p) = parent {
            // Fails only if the span was already started: it then stays where it is.
            let _ = span.set_parent(p.remote_context());
        }
        TraceParent::of(span.context().span().span_context())
    } else {
        None
    };
    let own = own.unwrap_or_else(|| {
        let ids = RandomIdGenerator::default();
        TraceParent {
            trace_id: parent.map_or_else(|| ids.new_trace_id(), |p| p.trace_id),
            span_id: ids.new_span_id(),
            sampled: parent.is_some_and(|p| p.sampled),
        }
    });
    span.record("trace_id", tracing::field::display(own.trace_id));
    own
}

/// The context to hand on from here: with export on, the current span's (the innermost, e.g. an
/// `enqueue` span); else the request's or delivery's [`Origin`]. `None` outside both.
pub fn current() -> Option<Origin> {
    let origin = ORIGIN.try_with(Origin::clone).ok();
    if otel_on()
        && let Some(trace) = TraceParent::of(Span::current().context().span().span_context())
    {
        return Some(Origin { trace, request_id: origin.and_then(|o| o.request_id) });
    }
    origin
}

/// The current context as job metadata entries: `traceparent`, and `request_id` when the job
/// comes from a request. Empty outside a request or delivery.
pub fn job_metadata() -> Vec<(&'static str, String)> {
    let Some(origin) = current() else { return Vec::new() };
    let mut out = vec![(TRACEPARENT, origin.trace.to_string())];
    if let Some(id) = origin.request_id {
        out.push((REQUEST_ID, id));
    }
    out
}

/// The parent context and request id stored in a job's metadata by [`job_metadata`]. Values that
/// do not parse are ignored (the job then starts a trace of its own).
pub fn from_metadata<'a>(get: impl Fn(&str) -> Option<&'a str>) -> (Option<TraceParent>, Option<String>) {
    let parent = get(TRACEPARENT).and_then(TraceParent::parse);
    // A request id is ours (`req-<uuid>`): bounded, so a tampered row cannot flood the logs.
    let request_id = get(REQUEST_ID).filter(|r| r.len() <= 64).map(str::to_owned);
    (parent, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_traceparent() {
        let s = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let tp = TraceParent::parse(s).unwrap();
        assert!(tp.sampled);
        assert_eq!(tp.to_string(), s);
        assert!(!TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap().sampled);
        // A later version may add fields; version 00 may not.
        assert!(TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra").is_some());
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn without_export_ids_are_made_and_the_parent_trace_kept() {
        let span = tracing::info_span!("t", trace_id = tracing::field::Empty);
        let parent = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        let own = adopt(&span, Some(&parent));
        assert_eq!(own.trace_id, parent.trace_id);
        assert_ne!(own.span_id, parent.span_id);
        let root = adopt(&span, None);
        assert_ne!(root.trace_id, TraceId::INVALID);
        assert!(!root.sampled);
    }

    #[test]
    fn metadata_round_trip() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let trace = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        let origin = Origin { trace, request_id: Some("req-1".into()) };
        let meta = rt.block_on(origin.scope(async { job_metadata() }));
        let get = |k: &str| meta.iter().find(|(key, _)| *key == k).map(|(_, v)| v.as_str());
        assert_eq!(from_metadata(get), (Some(trace), Some("req-1".to_owned())));
        assert!(job_metadata().is_empty());
    }
}
