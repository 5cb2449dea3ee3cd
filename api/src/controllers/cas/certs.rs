//! `GET /v1/cas/{id}/cacert` and `GET /v1/cas/{id}/intermediates`: the CA's certificate and the
//! chain above it, as PEM text. The local CA is a root: it has no intermediates.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::context::Caller;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

#[utoipa::path(get, path = "/v1/cas/{id}/cacert", tag = "cas")]
pub async fn cacert(State(app): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    caller.authorize(Action::CaGet, None)?;
    let ca = super::load(&mut app.db.acquire().await?, &id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain")], ca.ca_certificate).into_response())
}

#[utoipa::path(get, path = "/v1/cas/{id}/intermediates", tag = "cas")]
pub async fn intermediates(State(app): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    caller.authorize(Action::CaGet, None)?;
    super::load(&mut app.db.acquire().await?, &id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain")], String::new()).into_response())
}
