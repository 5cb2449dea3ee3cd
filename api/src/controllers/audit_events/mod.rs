//! `GET /v1/audit-events`: the audit trail (see [`crate::audit`]), for the audit and admin roles
//! (`audit_events:get`). Admins see every project's events; anyone else only their project's.
//!
//! Paged as our other lists (`limit`, `offset`, `total`, `next`/`previous`), oldest first, so
//! pages stay put as events are appended. Filters: `project_id`, `user_id`, `action`, `outcome`
//! (`allowed`, `denied`, `failed`, `cancelled`), `target` (a path or a `*_ref` URL: events on it
//! and below it), `since` (inclusive) and `until` (exclusive) as ISO 8601 times.
//!
//! # Layout
//! - this file: the handler, its filters and the view of an event.
//! - `docs.rs`: the bodies as documented types, for the OpenAPI document.

mod docs;

use axum::Json;
use axum::extract::{Query, State};
use portcullis_store::Timestamp;
use portcullis_store::audit_events::{self, Event, EventFilter};
use serde_json::{Map, Value, json};

use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, nav_query, page_from};
use crate::error::{ApiError, ApiResult};
use crate::policy::Action;
use crate::state::AppState;

const OUTCOMES: [&str; 4] = ["allowed", "denied", "failed", "cancelled"];

/// List audit events
///
/// The audit trail, oldest first, paged. Admins see every project's events; anyone else only
/// their own project's. Empty filter values are ignored.
#[utoipa::path(
    get,
    path = "/v1/audit-events",
    tag = "audit-events",
    operation_id = "audit_events_list",
    params(
        crate::openapi::PageParams,
        ("project_id" = Option<String>, Query,
            description = "Only this project's events. Anyone but an admin may name only their own project."),
        ("user_id" = Option<String>, Query, description = "Only this user's events."),
        ("action" = Option<String>, Query, description = "Only this action (e.g. `secret:decrypt`)."),
        ("outcome" = Option<String>, Query, description = "Only events that ended so.",
            pattern = r"^[ \t]*(allowed|denied|failed|cancelled)?[ \t]*$"),
        ("target" = Option<String>, Query,
            description = "Only events on this path (`/v1/...`, or a `*_ref` URL) and below it."),
        ("since" = inline(Option<crate::openapi::TimeFilter>), Query, description = "Events at or after this time: an ISO 8601 time, with an offset or naive (UTC). Empty means no bound."),
        ("until" = inline(Option<crate::openapi::TimeFilter>), Query, description = "Events before this time: an ISO 8601 time, with an offset or naive (UTC). Empty means no bound."),
    ),
    responses(
        (status = 200, description = "A page of events.", body = docs::AuditEventList),
        (status = 400, description = "`outcome`, `since` or `until` is malformed.", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an audit or admin caller, or a non-admin naming another project.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<Map<String, Value>>> {
    caller.authorize(Action::AuditEventsGet, None)?;
    let mut filter = parse_filter(&params)?;
    if !caller.is_admin() {
        match &filter.project_id {
            Some(p) if *p != caller.project_id => {
                return Err(ApiError::Forbidden(
                    "Forbidden: only admins may read other projects' audit events.".into(),
                ));
            }
            _ => filter.project_id = Some(caller.project_id.clone()),
        }
    }
    let page = page_from(&params);
    let (rows, total) = audit_events::list(&mut app.db.acquire().await?, &filter, page).await?;
    let mut body = Map::new();
    body.insert("audit_events".into(), Value::Array(rows.iter().map(view).collect()));
    add_nav(&mut body, "audit_events", &hrefs, "audit-events", &nav_query(&params), page, total);
    Ok(Json(body))
}

fn view(e: &Event) -> Value {
    json!({
        "id": e.id,
        "created": e.created_at,
        "request_id": e.request_id,
        "project_id": e.project_id,
        "user_id": e.user_id,
        "action": e.action,
        "method": e.method,
        "route": e.route,
        "target": e.target,
        "status": e.status,
        "outcome": e.outcome,
    })
}

/// Reads the filters; an empty value is no filter, unknown parameters are ignored (as on our
/// other lists), a malformed time or outcome is 400.
pub(crate) fn parse_filter(params: &[(String, String)]) -> ApiResult<EventFilter> {
    let mut f = EventFilter::default();
    for (key, raw) in params {
        let v = raw.trim();
        if v.is_empty() {
            continue;
        }
        let time = |what: &str| {
            Timestamp::parse(v).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "Invalid '{what}': expected an ISO 8601 time such as 2026-01-31T12:00:00."
                ))
            })
        };
        match key.as_str() {
            "project_id" => f.project_id = Some(v.to_owned()),
            "user_id" => f.user_id = Some(v.to_owned()),
            "action" => f.action = Some(v.to_owned()),
            "outcome" if OUTCOMES.contains(&v) => f.outcome = Some(v.to_owned()),
            "outcome" => {
                return Err(ApiError::BadRequest(format!(
                    "Invalid 'outcome': expected one of {}.",
                    OUTCOMES.join(", ")
                )));
            }
            // A ref URL names the same path as its /v1/... part.
            "target" => f.target = Some(v.find("/v1/").map_or(v, |i| &v[i..]).to_owned()),
            "since" => f.since = Some(time("since")?),
            "until" => f.until = Some(time("until")?),
            _ => {}
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn filters_parse_and_refuse_bad_values() {
        let f = parse_filter(&p(&[("target", "http://h:9311/v1/secrets/x"), ("outcome", "denied"), ("user_id", "")]))
            .unwrap();
        assert_eq!(f.target.as_deref(), Some("/v1/secrets/x"));
        assert_eq!(f.outcome.as_deref(), Some("denied"));
        assert!(f.user_id.is_none());
        assert!(parse_filter(&p(&[("since", "yesterday")])).is_err());
        assert!(parse_filter(&p(&[("outcome", "maybe")])).is_err());
    }
}
