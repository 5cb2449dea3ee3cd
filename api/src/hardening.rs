//! Limits every request meets, whatever its route, and CORS. Each refusal is Barbican's error
//! body, never a bare status.
//!
//! - [`limit_headers`]: headers over `max_header_bytes` → 431.
//! - [`limit_body`]: a body over `max_request_bytes` → 413, from its `Content-Length` at once,
//!   and from the bytes read for chunked bodies (every handler reads through the cap).
//! - [`time_limit`]: a request running longer than `request_timeout_secs` → 503.
//! - [`refuse_nul`]: a NUL (`%00`) in the path or query → 400.
//! - [`cors`]: the CORS layer, only when `cors_allowed_origins` is set. Off, no response carries
//!   `Access-Control-*` headers and preflights get no CORS answer, so browsers refuse
//!   cross-origin calls.
//!
//! The limits are layered in [`crate::router`] (inside the request id and microversion layers,
//! outermost first: headers, body, time); CORS in [`crate::serve`], outermost of all.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::Config;
use crate::error::{ApiError, error_body};

/// The limits, from the configuration.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_header_bytes: usize,
    pub max_request_bytes: usize,
    pub timeout: Duration,
}

impl Limits {
    pub fn from_config(config: &Config) -> Arc<Self> {
        Arc::new(Self {
            max_header_bytes: config.max_header_bytes,
            max_request_bytes: config.max_request_bytes,
            timeout: Duration::from_secs(config.request_timeout_secs),
        })
    }
}

/// The size of the headers as sent: `name: value\r\n` each.
fn header_bytes(req: &Request) -> usize {
    req.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum()
}

/// Refuses requests whose headers total more than `max_header_bytes` (431).
pub async fn limit_headers(State(limits): State<Arc<Limits>>, req: Request, next: Next) -> Response {
    if header_bytes(&req) > limits.max_header_bytes {
        return error_body(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("The request's headers are larger than {} bytes.", limits.max_header_bytes).into(),
        );
    }
    next.run(req).await
}

/// Caps every request body at `max_request_bytes` (413).
pub async fn limit_body(State(limits): State<Arc<Limits>>, req: Request, next: Next) -> Response {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_request_bytes as u64) {
        return ApiError::TooLarge.into_response();
    }
    let (parts, body) = req.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limits.max_request_bytes));
    let resp = next.run(Request::from_parts(parts, body)).await;
    // axum's own extractors (`Bytes`) answer an over-long body with a plain-text 413.
    let is_json = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().ends_with(b"json"));
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        return ApiError::TooLarge.into_response();
    }
    resp
}

/// Stops a request that runs longer than `request_timeout_secs` (503; what it did so far is
/// dropped, so open database transactions roll back).
pub async fn time_limit(State(limits): State<Arc<Limits>>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limits.timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::warn!(timeout_secs = limits.timeout.as_secs(), "request timed out");
            error_body(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "The request did not complete within {} seconds and was stopped. Retry later.",
                    limits.timeout.as_secs()
                )
                .into(),
            )
        }
    }
}

/// Refuses a NUL character (`%00`) in the path or query (400). No id or filter holds one, and
/// PostgreSQL cannot take text that does, so without this the backends would answer such a
/// request differently (SQLite: as any unknown value; PostgreSQL: an error).
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    let uri = req.uri();
    if uri.path().contains("%00") || uri.query().is_some_and(|q| q.contains("%00")) {
        return ApiError::BadRequest("The request's path or query holds a NUL character (%00).".into()).into_response();
    }
    next.run(req).await
}

/// The CORS layer for the configured origins, or `None` when CORS is off.
pub fn cors(config: &Config) -> Option<CorsLayer> {
    // Checked by `Config::validate`.
    let origins: Vec<HeaderValue> =
        config.cors_origins().iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    if origins.is_empty() {
        return None;
    }
    let name = HeaderName::from_static;
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                name("openstack-api-version"),
                name("x-project-id"),
                name("x-user-id"),
                name("x-roles"),
                name("x-auth-token"),
                name("traceparent"),
            ])
            .expose_headers([header::LOCATION, name("x-openstack-request-id"), name("openstack-api-version")])
            .max_age(Duration::from_secs(3600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_is_off_unless_origins_are_set() {
        assert!(cors(&Config::default()).is_none());
        let c = Config { cors_allowed_origins: Some(" , ".into()), ..Config::default() };
        assert!(cors(&c).is_none());
        let c =
            Config { cors_allowed_origins: Some("https://a.example, https://b.example/".into()), ..Config::default() };
        assert_eq!(c.cors_origins(), vec!["https://a.example", "https://b.example"]);
        assert!(cors(&c).is_some());
    }

    #[test]
    fn header_bytes_count_names_and_values() {
        let req = Request::builder().header("x-a", "12345").body(Body::empty()).unwrap();
        assert_eq!(header_bytes(&req), 3 + 5 + 4);
    }
}
