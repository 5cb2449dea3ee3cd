//! `GET /v1/secrets`: a project's live secrets, paged, filtered and sorted as Barbican does.
//!
//! Filters: `name`, `alg`, `mode`, `bits`, `secret_type`, and `created`/`updated`/`expiration`
//! as comma-separated `gt:`/`gte:`/`lt:`/`lte:`/bare (equal) timestamps. `sort` is a
//! comma-separated list of `key[:asc|desc]`. `acl_only=true` lists, instead of the project's
//! secrets, those of any project whose read ACL names the caller's user.

use axum::Json;
use axum::extract::{Query, State};
use portcullis_store::Timestamp;
use portcullis_store::query::{Cmp, Dir};
use portcullis_store::secrets::{self, SecretFilter, SortKey};
use serde_json::{Map, Value};

use super::docs::{Paging, SecretList, SecretListQuery};
use super::view::{SecretView, consumers_by_secret};
use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, nav_query, page_from};
use crate::error::{ApiError, ApiResult};
use crate::middleware::ApiVersion;
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

fn invalid_query() -> ApiError {
    ApiError::BadRequest("URI provided invalid query string parameters.".into())
}

/// List secrets
///
/// The project's live secrets, a page at a time, filtered and sorted as Barbican does. From
/// microversion 1.1 each secret lists its consumers.
#[utoipa::path(
    get,
    path = "/v1/secrets",
    tag = "secrets",
    operation_id = "secrets_list",
    params(SecretListQuery, Paging),
    responses(
        (status = 200, description = "A page of secrets.", body = SecretList, example = json!({
            "secrets": [{
                "created": "2026-11-24T14:58:07.512406", "updated": "2026-11-24T14:58:07.512406",
                "status": "ACTIVE", "name": "db-password", "secret_type": "opaque", "expiration": null,
                "algorithm": null, "bit_length": null, "mode": null, "creator_id": null,
                "content_types": {"default": "text/plain"},
                "secret_ref": "http://127.0.0.1:9311/v1/secrets/2e1d5044-224b-4c91-9840-81f9286fa0ae"}],
            "total": 3,
            "next": "http://127.0.0.1:9311/v1/secrets?limit=1&offset=1"})),
        (status = 400, description = "A date filter or `sort` is malformed or contradicts itself \
            (`URI provided invalid query string parameters.`).", body = ErrorBody),
    )
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    version: ApiVersion,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<Map<String, Value>>> {
    caller.authorize(Action::SecretsGet, None)?;
    let mut filter = parse_filter(&params)?;
    // `acl_only=true` (any case): the secrets whose read ACL lists the caller, in any project,
    // instead of the project's; ignored without a user id, as Barbican ignores it.
    if params.iter().any(|(k, v)| k == "acl_only" && v.eq_ignore_ascii_case("true")) {
        filter.acl_user = caller.user_id.clone();
    }
    let page = page_from(&params);
    let mut conn = app.db.acquire().await?;
    let (rows, total) = secrets::list(&mut conn, &caller.project_id, &filter, page, Timestamp::now()).await?;
    // Consumers (from 1.1) for the whole page in one query.
    let mut consumers = if version.at_least(1) {
        let ids: Vec<_> = rows.iter().map(|s| s.id).collect();
        Some(consumers_by_secret(&mut conn, &ids).await?)
    } else {
        None
    };
    let mut items = Vec::with_capacity(rows.len());
    for s in &rows {
        let listed = consumers.as_mut().map(|by_secret| by_secret.remove(&s.id).unwrap_or_default());
        items.push(serde_json::to_value(SecretView::new(s, &hrefs, listed)).map_err(anyhow::Error::from)?);
    }
    let mut body = Map::new();
    body.insert("secrets".into(), Value::Array(items));
    add_nav(&mut body, "secrets", &hrefs, "secrets", &nav_query(&params), page, total);
    Ok(Json(body))
}

/// Reads the list filters. Unknown parameters are ignored, as Barbican ignores them.
pub fn parse_filter(params: &[(String, String)]) -> ApiResult<SecretFilter> {
    let mut f = SecretFilter::default();
    // An empty text filter is no filter (Barbican tests each with `if value:`).
    let text = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
    for (key, raw) in params {
        let value = raw.trim();
        match key.as_str() {
            "name" => f.name = text(raw),
            "alg" => f.algorithm = text(raw),
            "mode" => f.mode = text(raw),
            // Barbican ignores a non-numeric or non-positive `bits`.
            "bits" => f.bit_length = value.parse::<i64>().ok().filter(|b| *b > 0),
            "secret_type" => f.secret_type = text(raw),
            // Empty date filters and sorts are ignored, as Barbican ignores them.
            "created" | "updated" | "expiration" | "sort" if value.is_empty() => {}
            "created" => f.created = parse_dates(value)?,
            "updated" => f.updated = parse_dates(value)?,
            "expiration" => f.expiration = parse_dates(value)?,
            "sort" => f.sort = parse_sort(value)?,
            _ => {}
        }
    }
    Ok(f)
}

/// `gt:2016-01-01T00:00:00,lt:2017-01-01` → conditions. A repeated or contradictory bound is
/// refused, as Barbican refuses it.
fn parse_dates(value: &str) -> ApiResult<Vec<(Cmp, Timestamp)>> {
    let mut out: Vec<(Cmp, Timestamp)> = Vec::new();
    for part in value.split(',') {
        let (cmp, text) = match part.split_once(':') {
            Some(("gt", t)) => (Cmp::Gt, t),
            Some(("gte", t)) => (Cmp::Gte, t),
            Some(("lt", t)) => (Cmp::Lt, t),
            Some(("lte", t)) => (Cmp::Lte, t),
            _ => (Cmp::Eq, part),
        };
        let ts = Timestamp::parse(text).ok_or_else(invalid_query)?;
        let seen = |cs: &[Cmp]| out.iter().any(|(c, _)| cs.contains(c));
        let clash = match cmp {
            Cmp::Gt => seen(&[Cmp::Gt, Cmp::Gte]),
            Cmp::Gte => seen(&[Cmp::Gt, Cmp::Gte, Cmp::Eq]),
            Cmp::Lt => seen(&[Cmp::Lt, Cmp::Lte]),
            Cmp::Lte => seen(&[Cmp::Lt, Cmp::Lte, Cmp::Eq]),
            Cmp::Eq => seen(&[Cmp::Eq, Cmp::Gte, Cmp::Lte]),
        };
        if clash {
            return Err(invalid_query());
        }
        out.push((cmp, ts));
    }
    Ok(out)
}

/// `created:desc,name` → sort keys; unknown keys, unknown directions or repeats are refused.
fn parse_sort(value: &str) -> ApiResult<Vec<(SortKey, Dir)>> {
    let mut out: Vec<(SortKey, Dir)> = Vec::new();
    for part in value.split(',').map(str::trim) {
        let mut bits = part.split(':');
        let key = SortKey::parse(bits.next().unwrap_or_default()).ok_or_else(invalid_query)?;
        let dir = match bits.next() {
            None | Some("asc") => Dir::Asc,
            Some("desc") => Dir::Desc,
            Some(_) => return Err(invalid_query()),
        };
        if bits.next().is_some() || out.iter().any(|(k, _)| *k == key) {
            return Err(invalid_query());
        }
        out.push((key, dir));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_filters_refuse_clashes() {
        assert_eq!(parse_dates("gt:2016-01-01T00:00:00,lt:2017-01-01").unwrap().len(), 2);
        assert!(parse_dates("gt:2016-01-01,2016-01-02").is_ok());
        assert!(parse_dates("2016-01-01,gte:2016-01-02").is_err());
        assert!(parse_dates("gt:notadate").is_err());
    }

    #[test]
    fn sort_keys_are_checked() {
        assert_eq!(
            parse_sort("created:desc,name").unwrap(),
            vec![(SortKey::Created, Dir::Desc), (SortKey::Name, Dir::Asc)]
        );
        assert!(parse_sort("bogus").is_err());
        assert!(parse_sort("name,name").is_err());
        assert!(parse_sort("name:up").is_err());
    }
}
