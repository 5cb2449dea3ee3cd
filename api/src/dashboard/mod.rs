//! The job dashboard: apalis's board (the apalis-board-api crate: its axum API and its prebuilt
//! web UI) at `/dashboard`, showing the `orders` and `certificate_steps` queues, their jobs by
//! state, and each job's payload (ids only), attempts and last result (its error).
//!
//! - `GET /dashboard` (and `/dashboard/<board route>`, e.g. `/dashboard/queues/orders`): the UI.
//! - `GET /dashboard/assets/<file>`: its script, WebAssembly and stylesheet.
//! - `GET /dashboard/api/v1/...`: the board's JSON API (queues, tasks by status, one task,
//!   workers, overview), read by the UI.
//!
//! **Admin only, read-only.** Every request goes through `admin_only`: the caller is identified
//! as on /v1 (by the configured auth mode, see [`crate::auth`]) and must hold the admin
//! role (403 with Barbican's error body otherwise). Only GET and HEAD pass (405 otherwise), which
//! shuts the board's one mutating endpoint (`PUT .../queues/{queue}/tasks`, pushing a job):
//! operators change jobs through `/v1/admin/jobs` instead, which keeps orders consistent.
//!
//! The embedded UI was built for `/` with its API at `/api/v1` (both compiled into its
//! WebAssembly); `shim.js` maps it onto `/dashboard` in the browser, so the crate's files are
//! served as shipped. Its live-log page stays empty: the board's `sse` feature is off.
//!
//! # Layout
//! - this file: the routes and the admin gate.
//! - `board.rs`: the board's API over our storages, its files, and the page that starts it.
//! - `results.rs`: a failed job's error (its `last_result`) added to the board API's answers.
//! - `shim.js`: the browser-side mapping of the UI onto `/dashboard`.

mod board;
mod results;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::error::error_body;
use crate::state::AppState;

/// Where the board is served.
pub const PREFIX: &str = "/dashboard";
/// Where its UI files are served.
pub const ASSETS: &str = "/dashboard/assets";

/// The dashboard's routes, each behind [`admin_only`].
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(PREFIX, get(page))
        .route(&format!("{ASSETS}/{{file}}"), get(asset))
        // The UI's own routes (`/dashboard/queues/orders`...), when loaded directly.
        .route(&format!("{PREFIX}/{{*path}}"), get(page))
        .nest_service(&format!("{PREFIX}/api/v1"), board::api(&state.db))
        .layer(from_fn_with_state(state.clone(), admin_only))
}

async fn page() -> Response {
    let mut resp = Html(board::page()).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

async fn asset(Path(file): Path<String>) -> Response {
    board::asset(&file)
}

/// Admits admin callers' GET and HEAD requests. The page and the API answer with job data, so
/// no shared cache may keep them, and no other site may frame the page.
async fn admin_only(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let caller = match app.auth.identify(req.headers()) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = caller.authorize(crate::policy::Action::Dashboard, None) {
        return e.into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return error_body(StatusCode::METHOD_NOT_ALLOWED, "The job dashboard is read-only.".into());
    }
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}
