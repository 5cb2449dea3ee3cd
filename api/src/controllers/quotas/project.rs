//! `/v1/project-quotas`: quota settings per project, for admins (`project_quotas:*` rules).
//!
//! - `GET /v1/project-quotas`: `{"project_quotas": [{"project_id", "project_quotas": {...}}],
//!   "total"}` plus `next`/`previous`, oldest setting first. Unset values show as `null`.
//! - `GET /v1/project-quotas/{project_id}`: `{"project_quotas": {...}}`; 404 if none are set.
//! - `PUT /v1/project-quotas/{project_id}` `{"project_quotas": {"secrets": 10, ...}}`: 204. As in
//!   Barbican, a first PUT stores the given values (others unset), a later one changes only the
//!   values it names.
//! - `DELETE /v1/project-quotas/{project_id}`: 204, the project is back on the defaults; 404 if
//!   none were set.

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use portcullis_store::Timestamp;
use portcullis_store::quotas::{self, QuotaValues};
use serde_json::{Map, Value, json};

use crate::body::{json_object, media_type, read_limited};
use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, page_from};
use crate::controllers::path::IdPath;
use crate::error::{ApiError, ApiResult};
use crate::policy::Action;
use crate::schema::Fields;
use crate::state::AppState;

/// Barbican's validator name, as error messages quote it.
const SCHEMA: &str = "Project Quota";
const RESOURCES: [&str; 5] = ["secrets", "orders", "containers", "consumers", "cas"];

pub(crate) fn not_found() -> ApiError {
    ApiError::NotFound("Project quotas not found.".into())
}

/// List the projects with quotas set (admin)
///
/// Paged, oldest setting first; unset values are `null`.
#[utoipa::path(
    get,
    path = "/v1/project-quotas",
    tag = "quotas",
    operation_id = "project_quotas_list",
    params(crate::openapi::PageParams),
    responses((status = 200, description = "A page of projects' settings.", body = super::docs::ProjectQuotasList))
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<Map<String, Value>>> {
    caller.authorize(Action::ProjectQuotasGet, None)?;
    let page = page_from(&params);
    let (rows, total) = quotas::list(&mut app.db.acquire().await?, page).await?;
    let items: Vec<Value> =
        rows.iter().map(|r| json!({"project_id": r.project_id, "project_quotas": r.values})).collect();
    let mut body = Map::new();
    body.insert("project_quotas".into(), Value::Array(items));
    // Barbican's links name `project_quotas`, a path it does not serve; ours lead somewhere.
    add_nav(&mut body, "project_quotas", &hrefs, "project-quotas", "", page, total);
    Ok(Json(body))
}

/// Show a project's quota settings (admin)
#[utoipa::path(
    get,
    path = "/v1/project-quotas/{project_id}",
    tag = "quotas",
    operation_id = "project_quotas_get",
    params(("project_id" = String, Path, min_length = 1, max_length = 36, description = "The project's id (as callers' project ids: at most 36 characters).")),
    responses(
        (status = 200, description = "The project's settings; `null` where it uses the default.",
            body = super::docs::ProjectQuotasBody),
        (status = 404, description = "The project has no quotas set.", body = crate::openapi::ErrorBody),
    )
)]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(project_id): IdPath<String>,
) -> ApiResult<Json<Value>> {
    caller.authorize(Action::ProjectQuotasGet, None)?;
    let row = quotas::find(&mut app.db.acquire().await?, &project_id).await?.ok_or_else(not_found)?;
    Ok(Json(json!({ "project_quotas": row.values })))
}

/// Set a project's quotas (admin)
///
/// As in Barbican, a project's first PUT stores the values given (the others stay unset, so
/// they follow the defaults); a later one changes only the values it names.
#[utoipa::path(
    put,
    path = "/v1/project-quotas/{project_id}",
    tag = "quotas",
    operation_id = "project_quotas_set",
    params(("project_id" = String, Path, min_length = 1, max_length = 36, description = "The project's id (as callers' project ids: at most 36 characters).")),
    request_body(content = super::docs::ProjectQuotasUpdate, content_type = "application/json"),
    responses(
        (status = 204, description = "Set.", links(
            ("show" = (operation_id = "project_quotas_get", parameters(("project_id" = "$request.path.project_id")))),
            ("delete" = (operation_id = "project_quotas_delete", parameters(("project_id" = "$request.path.project_id")))),
        )),
        (status = 400, description = "The body is empty, not JSON, or breaks the schema.", body = crate::openapi::ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = crate::openapi::ErrorBody),
    )
)]
pub async fn put(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(project_id): IdPath<String>,
    req: Request,
) -> ApiResult<StatusCode> {
    caller.authorize(Action::ProjectQuotasPut, None)?;
    // Barbican's order: content type (415), an empty body, then JSON and the schema (400).
    if media_type(req.headers()).as_deref() != Some("application/json") {
        return Err(ApiError::UnsupportedMediaType(&["application/json"]));
    }
    let bytes = read_limited(req.into_body(), app.config.max_request_bytes).await?;
    if bytes.is_empty() {
        return Err(ApiError::BadRequest("Project Quotas issue seen - No data supplied to process..".into()));
    }
    let values = parse(&json_object(&bytes, SCHEMA)?)?;
    // Callers' project ids are at most 36 characters (crate::context): a longer one names no
    // project that could ever use the quotas. Counted in characters, as the document's
    // `maxLength` counts.
    if project_id.is_empty() || project_id.chars().count() > 36 {
        return Err(ApiError::BadRequest("Project id must be 1 to 36 characters.".into()));
    }
    let mut tx = app.db.begin().await?;
    quotas::upsert(&mut tx, &project_id, &values, Timestamp::now()).await?;
    tx.commit().await?;
    tracing::info!(quota_project_id = %project_id, "project quotas set");
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a project's quota settings (admin)
///
/// The project is back on the configured defaults.
#[utoipa::path(
    delete,
    path = "/v1/project-quotas/{project_id}",
    tag = "quotas",
    operation_id = "project_quotas_delete",
    params(("project_id" = String, Path, min_length = 1, max_length = 36, description = "The project's id (as callers' project ids: at most 36 characters).")),
    responses(
        (status = 204, description = "Removed."),
        (status = 404, description = "The project has no quotas set.", body = crate::openapi::ErrorBody),
    )
)]
pub async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(project_id): IdPath<String>,
) -> ApiResult<StatusCode> {
    caller.authorize(Action::ProjectQuotasDelete, None)?;
    let mut tx = app.db.begin().await?;
    if !quotas::delete(&mut tx, &project_id).await? {
        return Err(not_found());
    }
    tx.commit().await?;
    tracing::info!(quota_project_id = %project_id, "project quotas deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Barbican's `ProjectQuotaValidator`: `{"project_quotas": {<resource>: integer}}` and nothing
/// else. jsonschema reports errors inside `project_quotas` under that property, and errors of the
/// top-level object under `None`. Values must fit the database's 32-bit column.
fn parse(body: &Map<String, Value>) -> ApiResult<QuotaValues> {
    let top = Fields::new(SCHEMA, body);
    top.deny_unknown(&["project_quotas"])?;
    let Some(inner) = top.object("project_quotas")? else {
        return Err(top.err("'project_quotas' is a required property", "None"));
    };
    let fields = Fields::new(SCHEMA, inner);
    let under = |e: ApiError| match e {
        ApiError::Schema { schema, reason, .. } => {
            ApiError::Schema { schema, reason, property: "project_quotas".into() }
        }
        other => other,
    };
    fields.deny_unknown(&RESOURCES).map_err(under)?;
    let int = |key: &str| -> ApiResult<Option<i32>> {
        let v = fields.integer(key, i64::from(i32::MIN), i64::from(i32::MAX), false).map_err(under)?;
        Ok(v.map(|v| v as i32))
    };
    Ok(QuotaValues {
        secrets: int("secrets")?,
        orders: int("orders")?,
        containers: int("containers")?,
        consumers: int("consumers")?,
        cas: int("cas")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: Value) -> String {
        match parse(body.as_object().unwrap()).unwrap_err() {
            ApiError::Schema { reason, property, .. } => format!("{reason} | {property}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn validates_as_barbican() {
        let ok = parse(json!({"project_quotas": {"secrets": 5, "cas": -1}}).as_object().unwrap()).unwrap();
        assert_eq!(ok, QuotaValues { secrets: Some(5), cas: Some(-1), ..QuotaValues::default() });
        assert_eq!(err(json!({})), "'project_quotas' is a required property | None");
        assert_eq!(
            err(json!({"project_quotas": {}, "x": 1})),
            "Additional properties are not allowed ('x' was unexpected) | None"
        );
        assert_eq!(err(json!({"project_quotas": 3})), "3 is not of type 'object' | project_quotas");
        assert_eq!(err(json!({"project_quotas": {"secrets": "a"}})), "'a' is not of type 'integer' | project_quotas");
        assert_eq!(err(json!({"project_quotas": {"secrets": null}})), "None is not of type 'integer' | project_quotas");
        assert_eq!(
            err(json!({"project_quotas": {"keys": 1}})),
            "Additional properties are not allowed ('keys' was unexpected) | project_quotas"
        );
        assert!(err(json!({"project_quotas": {"orders": 1u64 << 40}})).contains("greater than the maximum"));
    }
}
