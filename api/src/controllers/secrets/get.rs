//! `GET /v1/secrets/{id}`: the secret's metadata; with a non-JSON `Accept` (Barbican's
//! deprecated form), its payload.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::payload::{Operation, serve_payload};
use super::view::SecretView;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::SecretPath;
use crate::error::ApiResult;
use crate::middleware::ApiVersion;
use crate::policy::Action;
use crate::state::AppState;

#[utoipa::path(get, path = "/v1/secrets/{id}", tag = "secrets")]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    version: ApiVersion,
    headers: HeaderMap,
    SecretPath(id): SecretPath<String>,
) -> ApiResult<Response> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
    let mut conn = app.db.acquire().await?;
    // A non-JSON Accept reads the payload: Barbican checks `secret:decrypt` instead.
    let payload = !(accept.is_empty() || accept == "application/json" || accept == "*/*");
    let action = if payload { Action::SecretDecrypt } else { Action::SecretGet };
    let secret = super::load_as(&mut conn, &caller, &id, action, "Secret retrieval").await?;
    if payload {
        return serve_payload(&app, &mut conn, &secret, Some(accept), Operation::SecretRetrieval).await;
    }
    let consumers = if version.at_least(1) { Some(super::consumers_of(&mut conn, &secret).await?) } else { None };
    Ok(Json(SecretView::new(&secret, &hrefs, consumers)).into_response())
}
