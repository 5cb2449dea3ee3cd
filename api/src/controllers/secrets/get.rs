//! `GET /v1/secrets/{id}`: the secret's metadata; with a non-JSON `Accept` (Barbican's
//! deprecated form), its payload.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::docs::{NotAcceptableBody, PayloadBytes, PayloadText, Secret};
use super::payload::{Operation, serve_payload};
use super::view::SecretView;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::error::ApiResult;
use crate::middleware::ApiVersion;
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// Show a secret
///
/// Its metadata as JSON (with `Accept` absent, `application/json` or `*/*`); from microversion
/// 1.1 with its consumers. Any other `Accept` reads the payload instead, as
/// `GET /v1/secrets/{id}/payload` does (Barbican's deprecated form), under the `secret:decrypt`
/// policy.
#[utoipa::path(
    get,
    path = "/v1/secrets/{id}",
    tag = "secrets",
    operation_id = "secret_get",
    params(("id" = uuid::Uuid, Path, description = "The secret's id.")),
    responses(
        (status = 200, description = "The secret's metadata, or its payload for a payload `Accept`.",
            headers(("Cache-Control" = String, description = "`no-store` on a payload.")),
            content(
                (Secret = "application/json"),
                (PayloadText = "text/plain"),
                (PayloadBytes = "application/octet-stream"),
                (PayloadBytes = "application/pkcs8"),
            )),
        (status = 400, description = "`Accept` names a payload type in a spelling the server does not serve \
            (e.g. `TEXT/PLAIN`).", body = ErrorBody),
        (status = 404, description = "No such secret in the caller's reach (another project's is not found \
            either), or, for a payload `Accept`, the secret has no payload.", body = ErrorBody),
        (status = 406, description = "`Accept` names no payload type, or `text/plain` for bytes that are not \
            UTF-8 (Barbican's body, `description` null for the former); or the microversion is not served.",
            body = NotAcceptableBody),
    )
)]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    version: ApiVersion,
    headers: HeaderMap,
    IdPath(id): IdPath<String>,
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
