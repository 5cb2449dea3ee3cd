//! `GET /v1/cas/{id}/cacert` and `GET /v1/cas/{id}/intermediates`: the CA's certificate and the
//! chain above it, as PEM text. The local CA is a root: it has no intermediates.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::context::Caller;
use crate::controllers::path::IdPath;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

/// Get a CA's certificate.
#[utoipa::path(
    get,
    path = "/v1/cas/{id}/cacert",
    tag = "cas",
    operation_id = "ca_certificate",
    params(("id" = String, Path, format = Uuid, description = "The CA's id.")),
    responses(
        (status = 200, description = "The CA's certificate, PEM.", body = String, content_type = "text/plain",
            example = "-----BEGIN \
                CERTIFICATE-----\nMIIBfzCCASWgAwIBAgIQSBgnc+4GK3nh6ZE06qiaQzAKBggqhkjOPQQDAjAeMRww\n...\n-----END \
                CERTIFICATE-----\n"),
        (status = 404, description = "No CA has this id (`Not Found. CA not found.`).",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn cacert(State(app): State<AppState>, caller: Caller, IdPath(id): IdPath<String>) -> ApiResult<Response> {
    caller.authorize(Action::CaGet, None)?;
    let ca = super::load(&mut app.db.acquire().await?, &id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain")], ca.ca_certificate).into_response())
}

/// Get a CA's intermediates.
///
/// The chain between the CA's certificate and its root, PEM. The local CA is a root, so this is
/// empty for it.
#[utoipa::path(
    get,
    path = "/v1/cas/{id}/intermediates",
    tag = "cas",
    operation_id = "ca_intermediates",
    params(("id" = String, Path, format = Uuid, description = "The CA's id.")),
    responses(
        (status = 200, description = "The intermediate certificates, PEM (empty for a root CA).", body = String,
            content_type = "text/plain", example = ""),
        (status = 404, description = "No CA has this id (`Not Found. CA not found.`).",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn intermediates(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath<String>,
) -> ApiResult<Response> {
    caller.authorize(Action::CaGet, None)?;
    super::load(&mut app.db.acquire().await?, &id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain")], String::new()).into_response())
}
