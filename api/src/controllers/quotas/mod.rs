//! Quotas: how many secrets, orders, containers and consumers a project may hold.
//!
//! - `GET /v1/quotas`: the caller's project's effective quotas.
//! - `GET /v1/project-quotas`: the projects with quotas set, paged.
//! - `GET/PUT/DELETE /v1/project-quotas/{project_id}`: one project's settings (admins).
//!
//! Every create path calls [`enforce`] once, inside its write transaction and before its insert;
//! the count and the lock that makes it race-free live in [`portcullis_store::quotas::reserve`].
//!
//! # Layout
//! - this file: the configured defaults and [`enforce`].
//! - `get.rs`: `GET /v1/quotas`.
//! - `project.rs`: `/v1/project-quotas` and its validation.
//! - `docs.rs`: the bodies as documented types, for the OpenAPI document.

mod docs;
pub mod get;
pub mod project;

use portcullis_store::Tx;
use portcullis_store::quotas::{self, Quotas, Reservation, Resource};

use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::state::App;

/// The configured default quotas (`quota_*`).
pub fn defaults(config: &Config) -> Quotas {
    Quotas {
        secrets: config.quota_secrets,
        orders: config.quota_orders,
        containers: config.quota_containers,
        consumers: config.quota_consumers,
        cas: config.quota_cas,
    }
}

/// Refuses the create of one more `resource` in `project` beyond its quota: 403 with Barbican's
/// `QuotaReached` wording for the operation, nothing written. Call inside the create's
/// transaction `tx`, before its insert, so the count and the insert are one atomic step.
pub async fn enforce(app: &App, tx: &mut Tx, project: &str, resource: Resource) -> ApiResult<()> {
    match quotas::reserve(tx, project, resource, &defaults(&app.config)).await? {
        Reservation::Allowed => Ok(()),
        Reservation::Reached { quota, count } => {
            tracing::info!(project_id = project, resource = resource.quota_name(), quota, count, "quota reached");
            Err(ApiError::Forbidden(format!(
                "{} issue seen - Creation not allowed because a quota has been reached.",
                operation(resource)
            )))
        }
    }
}

/// Barbican's operation name for the create of `resource` (its `handle_exceptions` label).
fn operation(resource: Resource) -> &'static str {
    match resource {
        Resource::Secrets => "Secret creation",
        Resource::Orders => "Order creation",
        Resource::Containers => "Container creation",
        Resource::SecretConsumers => "SecretConsumer creation",
        Resource::ContainerConsumers => "ContainerConsumer creation",
    }
}
