//! Request tracing: the span every request runs in, continuing the caller's W3C trace.
//!
//! The span (`request`) carries the route template (axum's [`MatchedPath`], never the raw path,
//! which holds ids), the method, the response status, the project (recorded by
//! [`crate::middleware::require_caller`]), the request id and the trace id. Never a body, a
//! header value other than these, a payload, a passphrase, a key or a token. Exported to
//! OpenTelemetry as a server span named `<METHOD> <route>` when export is on
//! (`portcullis_observability::otel`); its status is an error for a 5xx answer.
//!
//! An incoming `traceparent` makes the request span its child; the response's `traceparent`
//! names the request span, so a client can find its request in the traces (export on) or the
//! logs (the `trace_id` field, export on or off: see `portcullis_observability::trace_context`).
//! Jobs the request enqueues carry the same context on (`portcullis_jobs::enqueue`).
//!
//! # Layout
//! - [`traced`]: runs the rest of a request inside its span (called by
//!   [`crate::middleware::request_id`]).

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use portcullis_observability::trace_context::{self, Origin, TRACEPARENT, TraceParent};
use tracing::Instrument;
use tracing::field::Empty;

/// Runs `next` inside the request's span, as a child of the caller's `traceparent` if it sent a
/// valid one, and answers with the span's own `traceparent`.
pub async fn traced(req: Request, request_id: &str, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let span = tracing::info_span!(
        "request",
        otel.name = %route.as_deref().map_or_else(|| method.clone(), |r| format!("{method} {r}")),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %method,
        http.route = route.as_deref(),
        http.response.status_code = Empty,
        request_id = %request_id,
        project_id = Empty,
        trace_id = Empty,
    );
    let parent = req.headers().get(TRACEPARENT).and_then(|v| v.to_str().ok()).and_then(TraceParent::parse);
    let own = trace_context::adopt(&span, parent.as_ref());
    let origin = Origin { trace: own, request_id: Some(request_id.to_owned()) };
    let mut resp = origin.scope(next.run(req).instrument(span.clone())).await;
    let status = resp.status();
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    if let Ok(v) = HeaderValue::from_str(&own.to_string()) {
        resp.headers_mut().insert(TRACEPARENT, v);
    }
    resp
}
