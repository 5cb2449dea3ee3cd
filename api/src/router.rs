//! Every route Portcullis serves, in one place: route → controller. Each route is registered with
//! utoipa-axum's `routes!`, which adds its operation (the handler's `#[utoipa::path]`) to the
//! OpenAPI document at the same time (see [`crate::openapi`]).

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
use crate::openapi::ApiDoc;
use crate::state::AppState;

/// The application's router. Paths are matched after trailing slashes are trimmed (see
/// [`crate::serve`]), so `/v1/secrets/` — what python-barbicanclient sends — is `/v1/secrets`.
pub fn router(state: AppState) -> Router {
    let limits = crate::hardening::Limits::from_config(&state.config);
    let (v1, v1_doc) = v1_routes().split_for_parts();
    let v1 = v1
        .method_not_allowed_fallback(method_not_allowed)
        // Project scoping is decided before any /v1 handler runs.
        // Inside require_caller: hands the caller to the audit layer.
        .route_layer(from_fn(crate::audit::capture_caller))
        .route_layer(from_fn_with_state(state.clone(), require_caller));
    let (open, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(versions::root))
        .routes(routes!(versions::healthcheck))
        .merge(ops_routes())
        .split_for_parts();
    doc.merge(v1_doc);

    Router::new()
        .merge(open)
        .merge(v1)
        .merge(crate::openapi::routes(crate::openapi::finish(doc)))
        // The job dashboard, admin only (crate::dashboard).
        .merge(crate::dashboard::routes(&state))
        // Every route's 405 is Barbican's error body too (axum adds the `Allow` header); /v1's
        // is set above, inside its caller check.
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        // Limits for every route, the fallbacks included (crate::hardening); inside the request
        // id and microversion layers, so their refusals carry those headers too.
        .layer(from_fn(crate::hardening::refuse_nul))
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

/// Every /v1 route, each registered with its operation in the OpenAPI document (`routes!` takes
/// the path from the handler's `#[utoipa::path]`; one `routes!` per path).
fn v1_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        // /v1
        .routes(routes!(versions::v1))
        // /v1/secrets
        .routes(routes!(secrets::list::list, secrets::create::create))
        // /v1/secrets/{id}
        .routes(routes!(secrets::get::show, secrets::payload::put_payload, secrets::delete::delete))
        // /v1/secrets/{id}/payload
        .routes(routes!(secrets::payload::get_payload))
        // /v1/secrets/{id}/acl
        .routes(routes!(acls::secret_get, acls::secret_put, acls::secret_patch, acls::secret_delete))
        // /v1/containers/{id}/acl
        .routes(routes!(acls::container_get, acls::container_put, acls::container_patch, acls::container_delete))
        // /v1/containers
        .routes(routes!(containers::list::list, containers::create::create))
        // /v1/containers/{id}
        .routes(routes!(containers::get::show, containers::delete::delete))
        // /v1/containers/{id}/secrets
        .routes(routes!(containers::secrets::add, containers::secrets::remove))
        // /v1/containers/{id}/consumers
        .routes(routes!(containers::consumers::list, containers::consumers::add, containers::consumers::remove))
        // /v1/containers/{id}/consumers/{consumer_id}
        .routes(routes!(containers::consumers::show))
        // /v1/secrets/{id}/metadata
        .routes(routes!(
            secret_metadata::list::list,
            secret_metadata::replace::replace,
            secret_metadata::create::create
        ))
        // /v1/secrets/{id}/metadata/{key}
        .routes(routes!(secret_metadata::get::show, secret_metadata::update::update, secret_metadata::delete::delete))
        // /v1/secrets/{id}/consumers
        .routes(routes!(
            secret_consumers::list::list,
            secret_consumers::create::create,
            secret_consumers::delete::delete
        ))
        // /v1/secrets/{id}/consumers/{consumer_id}
        .routes(routes!(secret_consumers::get::show))
        // /v1/orders
        .routes(routes!(orders::list::list, orders::create::create, orders::create::update_not_supported))
        // /v1/orders/{id}
        .routes(routes!(orders::get::show, orders::delete::delete))
        // /v1/cas
        .routes(routes!(cas::list))
        // /v1/cas/{id}
        .routes(routes!(cas::show))
        // /v1/cas/{id}/cacert
        .routes(routes!(cas::certs::cacert))
        // /v1/cas/{id}/intermediates
        .routes(routes!(cas::certs::intermediates))
        // /v1/admin/certificate-requests
        .routes(routes!(certificate_requests::list))
        // /v1/admin/certificate-requests/{order_id}/approve
        .routes(routes!(certificate_requests::decide::approve))
        // /v1/admin/certificate-requests/{order_id}/reject
        .routes(routes!(certificate_requests::decide::reject))
        // /v1/admin/jobs
        .routes(routes!(jobs::list))
        // /v1/admin/jobs/{id}
        .routes(routes!(jobs::show, jobs::verbs::discard))
        // /v1/admin/jobs/{id}/retry
        .routes(routes!(jobs::verbs::retry))
        // /v1/admin/jobs/{id}/cancel
        .routes(routes!(jobs::verbs::cancel))
        // /v1/quotas
        .routes(routes!(quotas::get::show))
        // /v1/project-quotas
        .routes(routes!(quotas::project::list))
        // /v1/project-quotas/{project_id}
        .routes(routes!(quotas::project::show, quotas::project::put, quotas::project::delete))
        // /v1/audit-events
        .routes(routes!(audit_events::list))
        // /v1/secret-stores
        .routes(routes!(secret_stores::list::list))
        // /v1/secret-stores/global-default
        .routes(routes!(secret_stores::list::global_default))
        // /v1/secret-stores/preferred
        .routes(routes!(secret_stores::list::preferred))
        // /v1/secret-stores/{id}
        .routes(routes!(secret_stores::get::show))
        // /v1/secret-stores/{id}/preferred
        .routes(routes!(secret_stores::preferred::set, secret_stores::preferred::clear))
        // /v1/transport_keys
        .routes(routes!(transport_keys::list::list, transport_keys::create::create))
        // /v1/transport_keys/{id}
        .routes(routes!(transport_keys::get::show, transport_keys::delete::delete))
}

/// Operations endpoints, unauthenticated like /healthcheck (README "Metrics and health").
fn ops_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics::metrics)).routes(routes!(health::live)).routes(routes!(health::ready))
}

/// What a `portcullis worker` process serves (`worker_ops_bind`): the operations endpoints only,
/// so its jobs can be scraped and probed like the API's.
pub fn ops_router(state: AppState) -> Router {
    let (ops, _) = ops_routes().split_for_parts();
    ops.method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(from_fn(request_id))
        .layer(from_fn(crate::metrics::track))
        .with_state(state)
}

async fn not_found() -> axum::response::Response {
    error_body(axum::http::StatusCode::NOT_FOUND, "".into())
}

async fn method_not_allowed() -> axum::response::Response {
    error_body(axum::http::StatusCode::METHOD_NOT_ALLOWED, "".into())
}
