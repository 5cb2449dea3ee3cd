//! Every route Portcullis serves, in one place: route → controller.

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use axum::routing::post;

use crate::controllers::acls::handlers as acls;
use crate::controllers::jobs;
use crate::controllers::{audit_events, quotas};
use crate::controllers::{cas, certificate_requests, containers, orders};
use crate::controllers::{health, metrics};
use crate::controllers::{secret_consumers, secret_metadata};
use crate::controllers::{secret_stores, transport_keys};
use crate::controllers::{secrets, versions};
use crate::error::error_body;
use crate::middleware::{microversion, request_id, require_caller};
use crate::state::AppState;

/// The application's router. Paths are matched after trailing slashes are trimmed (see
/// [`crate::serve`]), so `/v1/secrets/` — what python-barbicanclient sends — is `/v1/secrets`.
pub fn router(state: AppState) -> Router {
    let limits = crate::hardening::Limits::from_config(&state.config);
    let v1 = Router::new()
        .route("/v1", get(versions::v1))
        .route("/v1/secrets", get(secrets::list::list).post(secrets::create::create))
        .route(
            "/v1/secrets/{id}",
            get(secrets::get::show).put(secrets::payload::put_payload).delete(secrets::delete::delete),
        )
        .route("/v1/secrets/{id}/payload", get(secrets::payload::get_payload))
        .route(
            "/v1/secrets/{id}/acl",
            get(acls::secret_get).put(acls::secret_put).patch(acls::secret_patch).delete(acls::secret_delete),
        )
        .route(
            "/v1/containers/{id}/acl",
            get(acls::container_get)
                .put(acls::container_put)
                .patch(acls::container_patch)
                .delete(acls::container_delete),
        )
        .route("/v1/containers", get(containers::list::list).post(containers::create::create))
        .route("/v1/containers/{id}", get(containers::get::show).delete(containers::delete::delete))
        .route("/v1/containers/{id}/secrets", post(containers::secrets::add).delete(containers::secrets::remove))
        .route(
            "/v1/containers/{id}/consumers",
            get(containers::consumers::list).post(containers::consumers::add).delete(containers::consumers::remove),
        )
        .route("/v1/containers/{id}/consumers/{consumer_id}", get(containers::consumers::show))
        .route(
            "/v1/secrets/{id}/metadata",
            get(secret_metadata::list::list)
                .put(secret_metadata::replace::replace)
                .post(secret_metadata::create::create),
        )
        .route(
            "/v1/secrets/{id}/metadata/{key}",
            get(secret_metadata::get::show)
                .put(secret_metadata::update::update)
                .delete(secret_metadata::delete::delete),
        )
        .route(
            "/v1/secrets/{id}/consumers",
            get(secret_consumers::list::list)
                .post(secret_consumers::create::create)
                .delete(secret_consumers::delete::delete),
        )
        .route("/v1/secrets/{id}/consumers/{consumer_id}", get(secret_consumers::get::show))
        .route(
            "/v1/orders",
            get(orders::list::list).post(orders::create::create).put(orders::create::update_not_supported),
        )
        .route("/v1/orders/{id}", get(orders::get::show).delete(orders::delete::delete))
        .route("/v1/cas", get(cas::list))
        .route("/v1/cas/{id}", get(cas::show))
        .route("/v1/cas/{id}/cacert", get(cas::certs::cacert))
        .route("/v1/cas/{id}/intermediates", get(cas::certs::intermediates))
        .route("/v1/admin/certificate-requests", get(certificate_requests::list))
        .route("/v1/admin/certificate-requests/{order_id}/approve", post(certificate_requests::decide::approve))
        .route("/v1/admin/certificate-requests/{order_id}/reject", post(certificate_requests::decide::reject))
        .route("/v1/admin/jobs", get(jobs::list))
        .route("/v1/admin/jobs/{id}", get(jobs::show).delete(jobs::verbs::discard))
        .route("/v1/admin/jobs/{id}/retry", post(jobs::verbs::retry))
        .route("/v1/admin/jobs/{id}/cancel", post(jobs::verbs::cancel))
        .route("/v1/quotas", get(quotas::get::show))
        .route("/v1/project-quotas", get(quotas::project::list))
        .route(
            "/v1/project-quotas/{project_id}",
            get(quotas::project::show).put(quotas::project::put).delete(quotas::project::delete),
        )
        .route("/v1/audit-events", get(audit_events::list))
        .route("/v1/secret-stores", get(secret_stores::list::list))
        .route("/v1/secret-stores/global-default", get(secret_stores::list::global_default))
        .route("/v1/secret-stores/preferred", get(secret_stores::list::preferred))
        .route("/v1/secret-stores/{id}", get(secret_stores::get::show))
        .route(
            "/v1/secret-stores/{id}/preferred",
            post(secret_stores::preferred::set).delete(secret_stores::preferred::clear),
        )
        .route("/v1/transport_keys", get(transport_keys::list::list).post(transport_keys::create::create))
        .route("/v1/transport_keys/{id}", get(transport_keys::get::show).delete(transport_keys::delete::delete))
        .method_not_allowed_fallback(method_not_allowed)
        // Project scoping is decided before any /v1 handler runs.
        // Inside require_caller: hands the caller to the audit layer.
        .route_layer(from_fn(crate::audit::capture_caller))
        .route_layer(from_fn_with_state(state.clone(), require_caller));

    Router::new()
        .route("/", get(versions::root))
        .route("/healthcheck", get(versions::healthcheck))
        .merge(ops_routes())
        .merge(v1)
        // The job dashboard, admin only (crate::dashboard).
        .merge(crate::dashboard::routes(&state))
        .fallback(not_found)
        // Limits for every route, the fallbacks included (crate::hardening); inside the request
        // id and microversion layers, so their refusals carry those headers too.
        .layer(from_fn_with_state(limits.clone(), crate::hardening::time_limit))
        .layer(from_fn_with_state(limits.clone(), crate::hardening::limit_body))
        .layer(from_fn_with_state(limits, crate::hardening::limit_headers))
        .layer(from_fn(microversion))
        // Sees every response (and the request id): the audit trail (crate::audit).
        .layer(from_fn_with_state(state.clone(), crate::audit::record))
        .layer(from_fn(request_id))
        // Outermost of the router's layers, so requests refused by the others are counted too.
        .layer(from_fn(crate::metrics::track))
        .with_state(state)
}

/// Operations endpoints, unauthenticated like /healthcheck (README "Metrics and health").
fn ops_routes() -> Router<AppState> {
    Router::new()
        .route("/metrics", get(metrics::metrics))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
}

/// What a `portcullis worker` process serves (`worker_ops_bind`): the operations endpoints only,
/// so its jobs can be scraped and probed like the API's.
pub fn ops_router(state: AppState) -> Router {
    ops_routes().fallback(not_found).layer(from_fn(request_id)).layer(from_fn(crate::metrics::track)).with_state(state)
}

async fn not_found() -> axum::response::Response {
    error_body(axum::http::StatusCode::NOT_FOUND, "".into())
}

async fn method_not_allowed() -> axum::response::Response {
    error_body(axum::http::StatusCode::METHOD_NOT_ALLOWED, "".into())
}
