//! Portcullis's HTTP API: a Barbican v1-compatible secrets service.
//!
//! # Layout
//! - [`router`]: every route, wired to its controller.
//! - [`controllers`]: one module per resource, one file per action.
//! - [`audit`]: the audit trail of payload reads, changes and refusals.
//! - [`auth`]: authentication modes (`noauth`, `jwt` bearer tokens) and implied roles.
//! - [`policy`]: Barbican's policy as one table ([`policy::Action`]), checked by every controller.
//! - [`hardening`]: limits on headers, bodies and time for every request; CORS.
//! - [`context`]: who is calling ([`context::Caller`]) and how refs are built ([`context::Hrefs`]).
//! - [`middleware`]: request ids, microversions, caller identity.
//! - [`body`], [`schema`]: request bodies and Barbican-worded validation.
//! - [`error`]: [`error::ApiError`], Barbican's error body.
//! - [`config`]: settings from file and environment.
//! - [`state`]: [`state::AppState`], what handlers share.
//! - [`startup`]: opening the database and the key hierarchy.
//! - [`dashboard`]: the job dashboard at `/dashboard` (apalis's board), admin only.
//! - [`metrics`]: per-request metrics and metered crypto plugins; [`health`]: readiness checks.
//! - [`openapi`]: the OpenAPI document at `/v1/openapi.json` and the reference page at `/docs`.
//! - [`trace`]: the span of every request, continuing the caller's W3C trace (`traceparent`).
//!
//! A request's path: [`router`] → `controllers::<resource>::<action>` → `portcullis_store`
//! repositories and the [`portcullis_store::KekHierarchy`] → `portcullis_plugins`.

pub mod audit;
pub mod auth;
pub mod body;
pub mod config;
pub mod context;
pub mod controllers;
pub mod dashboard;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod hardening;
pub mod health;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod policy;
pub mod router;
pub mod schema;
pub mod startup;
pub mod state;
pub mod trace;

use std::future::Future;
use std::time::Duration;

use axum::ServiceExt;
use axum::extract::Request;
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::normalize_path::NormalizePathLayer;

pub use state::{App, AppState};

/// Serves the API on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The router applies the request limits (crate::hardening); CORS goes outermost, so every
    // answer to an allowed origin, refusals included, is readable by its page.
    let cors = hardening::cors(&state.config);
    let mut app = router::router(state).layer(CatchPanicLayer::custom(|_| {
        tracing::error!("a request handler panicked");
        error::ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response_body()
    }));
    if let Some(cors) = cors {
        app = app.layer(cors);
    }
    let app = NormalizePathLayer::trim_trailing_slash().layer(app);
    axum::serve(listener, ServiceExt::<Request>::into_make_service(app)).with_graceful_shutdown(shutdown).await
}

/// Serves only `/metrics` and `/health/*` ([`router::ops_router`]) on `listener` until `shutdown`:
/// the HTTP side of a `portcullis worker` process.
pub async fn serve_ops(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    let app = router::ops_router(state).layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        timeout,
    ));
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
