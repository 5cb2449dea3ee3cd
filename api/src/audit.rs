//! The audit trail: one `audit_events` row (and one `tracing` event with target `audit`) per
//! request that reads a payload, changes something, or is refused.
//!
//! Recorded, once the response is decided:
//! - every read of a payload: `GET /v1/secrets/{id}/payload`, and `GET /v1/secrets/{id}` with a
//!   non-JSON `Accept` (Barbican's older payload form);
//! - every /v1 request that is not a GET or HEAD (creates, updates, deletes, whatever the outcome);
//! - every 401 and 403, on any route (the dashboard and admin routes included).
//!
//! A row holds the time, project, user, action (the policy rule name, e.g. `secret:decrypt`, or
//! `<METHOD> <route template>` where no rule applies), method, route template, target (the path
//! acted on; for a create, the new resource's path), status, outcome (`allowed`, `denied`,
//! `failed`, or `cancelled` when the request was dropped before answering, status 499) and the
//! request id. Never a body, a query string, a header or a token.
//!
//! **A failed audit write.** The change (if any) has committed by then, so failing the response
//! would tell the client something false; the event is logged at `error` with every field instead
//! (target `audit`, so the log still carries the trail). The exception is a successful payload
//! read: if its disclosure cannot be recorded the payload is not sent, and the client gets 503.
//! But for a full disk (SQLITE_FULL, Postgres 53100): that lasts until an operator frees space,
//! and refusing every payload read until then would take down every application that reads its
//! keys, so the payload is sent and the log (written elsewhere) is the event's record.
//! A 503 answer is sent without waiting for its event, which is written in the background.
//!
//! # Layout
//! - [`record`]: the middleware (in [`crate::router`], inside the request id layer).
//! - [`capture_caller`]: hands the /v1 caller to [`record`] through [`CallerSlot`].
//! - `action_of`: route template and method → policy rule name.

use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portcullis_store::Timestamp;
use portcullis_store::audit_events::{self, NewEvent};

use crate::context::Caller;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::policy::Action;
use crate::state::AppState;

/// Where the caller's identity, once decided on /v1, is left for [`record`] (request extensions
/// do not flow back out of inner layers).
#[derive(Clone, Default)]
pub struct CallerSlot(Arc<Mutex<Option<Caller>>>);

impl CallerSlot {
    fn take(&self) -> Option<Caller> {
        self.0.lock().ok().and_then(|mut c| c.take())
    }
}

/// On /v1, inside `require_caller`: copies the identified caller into the request's [`CallerSlot`].
pub async fn capture_caller(req: Request, next: Next) -> Response {
    if let (Some(slot), Some(caller)) = (req.extensions().get::<CallerSlot>(), req.extensions().get::<Caller>())
        && let Ok(mut s) = slot.0.lock()
    {
        *s = Some(caller.clone());
    }
    next.run(req).await
}

/// What is known of a request before it runs.
struct Seen {
    method: Method,
    route: Option<String>,
    path: String,
    request_id: Option<String>,
    payload_accept: bool,
    headers: HeaderMap,
}

impl Seen {
    /// Whether the request is audited whatever its status.
    fn always_audited(&self) -> bool {
        let v1 = self.path == "/v1" || self.path.starts_with("/v1/");
        let read = self.method == Method::GET || self.method == Method::HEAD;
        (v1 && !read) || self.reads_payload()
    }

    fn reads_payload(&self) -> bool {
        match self.route.as_deref().and_then(|r| action_of(&self.method, r)) {
            Some(Action::SecretDecrypt) => true,
            Some(Action::SecretGet) => self.payload_accept,
            _ => false,
        }
    }

    fn event(&self, status: u16, target: String, caller: Option<&Caller>) -> NewEvent {
        let route = self.route.clone().unwrap_or_else(|| "unmatched".into());
        let action = match action_of(&self.method, &route) {
            Some(Action::SecretGet) if self.reads_payload() => Action::SecretDecrypt.name().to_owned(),
            Some(a) => a.name().to_owned(),
            None => format!("{} {route}", self.method),
        };
        let outcome = match status {
            401 | 403 => "denied",
            499 => "cancelled",
            s if s < 400 => "allowed",
            _ => "failed",
        };
        NewEvent {
            created_at: Timestamp::now(),
            request_id: self.request_id.clone(),
            project_id: caller.map(|c| c.project_id.clone()),
            user_id: caller.and_then(|c| c.user_id.clone()),
            action,
            method: self.method.to_string(),
            route,
            target: clip(target),
            status: i32::from(status),
            outcome: outcome.into(),
        }
    }
}

/// Records the request in the audit trail if it is audited (see the module docs).
pub async fn record(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let slot = CallerSlot::default();
    req.extensions_mut().insert(slot.clone());
    let seen = Seen {
        method: req.method().clone(),
        route: req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()),
        path: req.uri().path().to_owned(),
        request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        payload_accept: payload_accept(req.headers()),
        headers: req.headers().clone(),
    };
    // Dropped before the response (timeout, client gone): recorded as cancelled.
    let mut guard = Cancelled { app: Some(app.clone()), seen: Some(seen), slot: slot.clone() };
    let resp = next.run(req).await;
    let (app, seen) = (guard.app.take().expect("armed"), guard.seen.take().expect("armed"));

    let status = resp.status();
    let denied = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
    if !(denied || seen.always_audited()) {
        return resp;
    }
    // The caller /v1 identified; else (the dashboard, or a refusal before /v1's own check) who
    // the credentials name, if anyone.
    let caller = slot.take().or_else(|| app.auth.identify(&seen.headers).ok());
    let event = seen.event(status.as_u16(), target_of(&seen, &resp), caller.as_ref());
    if status == StatusCode::SERVICE_UNAVAILABLE {
        // Most likely the database is down and the handler already waited the pool's acquire
        // timeout: waiting for it again here would double the client's wait, past
        // `request_timeout_secs` (tests/tests/pg_outage.rs). Written in the background instead,
        // or logged at error if the database stays away.
        tokio::spawn(async move {
            let _ = write(&app, &event).await;
        });
        return resp;
    }
    let written = write(&app, &event).await;
    if let Err(e) = written
        && seen.reads_payload()
        && status.is_success()
        && !portcullis_store::db::is_storage_full(&e)
    {
        // Not recorded, not disclosed. (On a full disk, `write` logged the whole event.)
        return ApiError::Unavailable("the audit trail cannot be written".into()).into_response();
    }
    resp
}

/// Appends the event and traces it; a failure is logged loudly with the whole event.
async fn write(app: &AppState, e: &NewEvent) -> Result<(), sqlx::Error> {
    let result = async {
        let mut tx = app.db.begin().await?;
        audit_events::insert(&mut tx, e).await?;
        tx.commit().await
    }
    .await;
    match &result {
        Ok(()) => tracing::info!(
            target: "audit", project_id = e.project_id, user_id = e.user_id, action = %e.action,
            method = %e.method, route = %e.route, audit_target = %e.target, status = e.status,
            outcome = %e.outcome, request_id = e.request_id, "audit event"
        ),
        Err(err) => tracing::error!(
            target: "audit", project_id = e.project_id, user_id = e.user_id, action = %e.action,
            method = %e.method, route = %e.route, audit_target = %e.target, status = e.status,
            outcome = %e.outcome, request_id = e.request_id, error = %err,
            "AUDIT WRITE FAILED: this event is missing from audit_events"
        ),
    }
    result
}

/// Records a request whose future was dropped before it answered, if it is always audited.
struct Cancelled {
    app: Option<AppState>,
    seen: Option<Seen>,
    slot: CallerSlot,
}

impl Drop for Cancelled {
    fn drop(&mut self) {
        let (Some(app), Some(seen)) = (self.app.take(), self.seen.take()) else { return };
        if !seen.always_audited() {
            return;
        }
        let event = seen.event(499, seen.path.clone(), self.slot.take().as_ref());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = write(&app, &event).await;
            });
        }
    }
}

/// The path acted on: a create's new resource (its `Location`), else the request's path.
fn target_of(seen: &Seen, resp: &Response) -> String {
    let created = matches!(resp.status(), StatusCode::CREATED | StatusCode::ACCEPTED);
    let location = resp.headers().get(header::LOCATION).and_then(|l| l.to_str().ok());
    match location.filter(|_| created).and_then(|l| l.find("/v1/").map(|i| &l[i..])) {
        Some(path) => path.to_owned(),
        None => seen.path.clone(),
    }
}

/// Whether `GET /v1/secrets/{id}` with these headers asks for the payload (as
/// `controllers::secrets::get` decides).
fn payload_accept(headers: &HeaderMap) -> bool {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
    !(accept.is_empty() || accept == "application/json" || accept == "*/*")
}

/// Paths are client text: keep rows bounded.
fn clip(mut s: String) -> String {
    if s.len() > 512 {
        let mut end = 512;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// The policy rule a route and method fall under, if any. Parameter names are ignored
/// (`/v1/secrets/{id}` and `/v1/secrets/{secret_id}` are one route).
fn action_of(method: &Method, route: &str) -> Option<Action> {
    use Action::*;
    if route == "/dashboard" || route.starts_with("/dashboard/") {
        return Some(Dashboard);
    }
    let mut shape = String::with_capacity(route.len());
    let mut in_param = false;
    for ch in route.chars() {
        match ch {
            '{' => {
                in_param = true;
                shape.push_str("{}");
            }
            '}' => in_param = false,
            c if !in_param => shape.push(c),
            _ => {}
        }
    }
    let m = method.as_str();
    Some(match (shape.as_str(), m) {
        ("/v1/secrets", "GET") => SecretsGet,
        ("/v1/secrets", "POST") => SecretsPost,
        ("/v1/secrets/{}", "GET") => SecretGet,
        ("/v1/secrets/{}", "PUT") => SecretPut,
        ("/v1/secrets/{}", "DELETE") => SecretDelete,
        ("/v1/secrets/{}/payload", "GET") => SecretDecrypt,
        ("/v1/secrets/{}/metadata" | "/v1/secrets/{}/metadata/{}", "GET") => SecretMetaGet,
        ("/v1/secrets/{}/metadata" | "/v1/secrets/{}/metadata/{}", "PUT") => SecretMetaPut,
        ("/v1/secrets/{}/metadata", "POST") => SecretMetaPost,
        ("/v1/secrets/{}/metadata/{}", "DELETE") => SecretMetaDelete,
        ("/v1/secrets/{}/consumers" | "/v1/secrets/{}/consumers/{}", "GET") => SecretConsumersGet,
        ("/v1/secrets/{}/consumers", "POST") => SecretConsumersPost,
        ("/v1/secrets/{}/consumers", "DELETE") => SecretConsumersDelete,
        ("/v1/secrets/{}/acl", "GET") => SecretAclsGet,
        ("/v1/secrets/{}/acl", "PUT" | "PATCH") => SecretAclsPutPatch,
        ("/v1/secrets/{}/acl", "DELETE") => SecretAclsDelete,
        ("/v1/containers", "GET") => ContainersGet,
        ("/v1/containers", "POST") => ContainersPost,
        ("/v1/containers/{}", "GET") => ContainerGet,
        ("/v1/containers/{}", "DELETE") => ContainerDelete,
        ("/v1/containers/{}/secrets", "POST") => ContainerSecretPost,
        ("/v1/containers/{}/secrets", "DELETE") => ContainerSecretDelete,
        ("/v1/containers/{}/consumers", "GET") => ContainerConsumersGet,
        ("/v1/containers/{}/consumers", "POST") => ContainerConsumersPost,
        ("/v1/containers/{}/consumers", "DELETE") => ContainerConsumersDelete,
        ("/v1/containers/{}/consumers/{}", "GET") => ConsumerGet,
        ("/v1/containers/{}/acl", "GET") => ContainerAclsGet,
        ("/v1/containers/{}/acl", "PUT" | "PATCH") => ContainerAclsPutPatch,
        ("/v1/containers/{}/acl", "DELETE") => ContainerAclsDelete,
        ("/v1/orders", "GET") => OrdersGet,
        ("/v1/orders", "POST") => OrdersPost,
        ("/v1/orders" | "/v1/orders/{}", "PUT") => OrdersPut,
        ("/v1/orders/{}", "GET") => OrderGet,
        ("/v1/orders/{}", "DELETE") => OrderDelete,
        ("/v1/quotas", "GET") => QuotasGet,
        ("/v1/project-quotas" | "/v1/project-quotas/{}", "GET") => ProjectQuotasGet,
        ("/v1/project-quotas/{}", "PUT") => ProjectQuotasPut,
        ("/v1/project-quotas/{}", "DELETE") => ProjectQuotasDelete,
        ("/v1/secret-stores", "GET") => SecretStoresGet,
        ("/v1/secret-stores/global-default", "GET") => SecretStoresGetGlobalDefault,
        ("/v1/secret-stores/preferred", "GET") => SecretStoresGetPreferred,
        ("/v1/secret-stores/{}", "GET") => SecretStoreGet,
        ("/v1/secret-stores/{}/preferred", "POST") => SecretStorePreferredPost,
        ("/v1/secret-stores/{}/preferred", "DELETE") => SecretStorePreferredDelete,
        ("/v1/transport_keys", "GET") => TransportKeysGet,
        ("/v1/transport_keys", "POST") => TransportKeysPost,
        ("/v1/transport_keys/{}", "GET") => TransportKeyGet,
        ("/v1/transport_keys/{}", "DELETE") => TransportKeyDelete,
        ("/v1/cas", "GET") => CasGet,
        ("/v1/cas/{}" | "/v1/cas/{}/cacert" | "/v1/cas/{}/intermediates", "GET") => CaGet,
        ("/v1/admin/certificate-requests", "GET") => CertificateRequestsGet,
        ("/v1/admin/certificate-requests/{}/approve" | "/v1/admin/certificate-requests/{}/reject", "POST") => {
            CertificateRequestDecide
        }
        ("/v1/admin/jobs" | "/v1/admin/jobs/{}", "GET") => AdminJobsGet,
        ("/v1/admin/jobs/{}", "DELETE") | ("/v1/admin/jobs/{}/retry" | "/v1/admin/jobs/{}/cancel", "POST") => {
            AdminJobsManage
        }
        ("/v1/audit-events", "GET") => AuditEventsGet,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_map_to_rule_names() {
        let name = |m: Method, r: &str| action_of(&m, r).map(Action::name);
        assert_eq!(name(Method::GET, "/v1/secrets/{id}/payload"), Some("secret:decrypt"));
        assert_eq!(name(Method::PUT, "/v1/secrets/{secret_id}/metadata/{key}"), Some("secret_meta:put"));
        assert_eq!(name(Method::POST, "/v1/admin/jobs/{id}/retry"), Some("admin_jobs:manage"));
        assert_eq!(name(Method::GET, "/dashboard/api/v1/{*rest}"), Some("dashboard:get"));
        assert_eq!(name(Method::PATCH, "/v1/secrets"), None);
    }

    #[test]
    fn unmapped_routes_are_named_by_method_and_template() {
        let seen = Seen {
            method: Method::PATCH,
            route: Some("/v1/secrets".into()),
            path: "/v1/secrets".into(),
            request_id: None,
            payload_accept: false,
            headers: HeaderMap::new(),
        };
        let e = seen.event(405, seen.path.clone(), None);
        assert_eq!((e.action.as_str(), e.outcome.as_str()), ("PATCH /v1/secrets", "failed"));
        assert!(seen.always_audited());
    }

    #[test]
    fn long_paths_are_clipped_on_a_char_boundary() {
        let s = clip("é".repeat(400));
        assert!(s.len() <= 512 && s.chars().all(|c| c == 'é'));
    }
}
