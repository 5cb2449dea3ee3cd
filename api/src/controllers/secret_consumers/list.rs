//! `GET /v1/secrets/{id}/consumers`: a secret's live consumers, oldest first, paged as Barbican
//! pages (`limit`, `offset`, `next`/`previous` under `secrets/{id}/consumers`).

use axum::Json;
use axum::extract::{Query, State};
use portcullis_store::secret_consumers;
use serde_json::{Map, Value};

use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, page_from};
use crate::controllers::path::SecretPath;
use crate::controllers::secrets;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

#[utoipa::path(get, path = "/v1/secrets/{id}/consumers", tag = "secret-consumers")]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    SecretPath(id): SecretPath<String>,
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
