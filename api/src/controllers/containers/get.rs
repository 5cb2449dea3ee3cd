//! `GET /v1/containers/{id}`: one container, with its secret references and consumers.

use axum::Json;
use axum::extract::State;

use super::docs::Container;
use super::view::{ContainerView, container_view};
use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

/// Show a container.
///
/// A container of the caller's project, or of another project whose read ACL names the caller.
#[utoipa::path(
    get,
    path = "/v1/containers/{id}",
    tag = "containers",
    operation_id = "container_show",
    params(("id" = String, Path, format = Uuid, description = "The container's id.")),
    responses(
        (status = 200, description = "The container, with its secret references and consumers.", body = Container),
        (status = 404, description = "No container with this id that the caller may see (`Secrets container not \
            found.`, or `Not Found. Provided container id is invalid.` for an id that is not a lowercase UUID v4).",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
) -> ApiResult<Json<ContainerView>> {
    let mut conn = app.db.acquire().await?;
    let container = super::load(&mut conn, &caller, &id, Action::ContainerGet).await?;
    Ok(Json(container_view(&mut conn, &hrefs, &container).await?))
}
