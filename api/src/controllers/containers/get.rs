//! `GET /v1/containers/{id}`: one container, with its secret references and consumers.

use axum::Json;
use axum::extract::{Path, State};

use super::view::{ContainerView, container_view};
use crate::context::{Caller, Hrefs};
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

#[utoipa::path(get, path = "/v1/containers/{id}", tag = "containers")]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Path(id): Path<String>,
) -> ApiResult<Json<ContainerView>> {
    let mut conn = app.db.acquire().await?;
    let container = super::load(&mut conn, &caller, &id, Action::ContainerGet).await?;
    Ok(Json(container_view(&mut conn, &hrefs, &container).await?))
}
