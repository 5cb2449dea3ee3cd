//! `GET /v1/secrets/{id}/consumers`: a secret's live consumers, oldest first, paged as Barbican
//! pages (`limit`, `offset`, `next`/`previous` under `secrets/{id}/consumers`).

use axum::Json;
use axum::extract::{Query, State};
use portcullis_store::secret_consumers;
use serde_json::{Map, Value};

use super::docs::SecretConsumerList;
use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, page_from};
use crate::controllers::path::IdPath;
use crate::controllers::secrets;
use crate::controllers::secrets::docs::Paging;
use crate::error::ApiResult;
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// List a secret's consumers
///
/// Its live consumers, oldest first, a page at a time.
#[utoipa::path(
    get,
    path = "/v1/secrets/{id}/consumers",
    tag = "secret-consumers",
    operation_id = "secret_consumers_list",
    params(("id" = uuid::Uuid, Path, description = "The secret's id."), Paging),
    responses(
        (status = 200, description = "A page of consumers.", body = SecretConsumerList, example = json!({
            "consumers": [{"created": "2026-11-24T14:58:07.568580", "updated": "2026-11-24T14:58:07.568580",
                "status": "ACTIVE", "service": "image", "resource_type": "image",
                "resource_id": "123e4567-e89b-12d3-a456-426614174000"}],
            "total": 1})),
        (status = 404, description = "No such secret in the caller's reach.", body = ErrorBody),
    )
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<Map<String, Value>>> {
    let page = page_from(&params);
    let mut conn = app.db.acquire().await?;
    let secret = secrets::load(&mut conn, &caller, &id, Action::SecretConsumersGet).await?;
    let (rows, total) = secret_consumers::list(&mut conn, secret.id, page).await?;
    let mut body = Map::new();
    body.insert("consumers".into(), rows.iter().map(super::full_view).collect());
    add_nav(&mut body, "consumers", &hrefs, &format!("secrets/{}/consumers", secret.id), "", page, total);
    Ok(Json(body))
}
