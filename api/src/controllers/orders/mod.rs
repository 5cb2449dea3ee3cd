//! `/v1/orders`: Barbican's orders resource (asynchronous generation of keys, key pairs and,
//! as a Portcullis extension, certificates).
//!
//! `POST` stores the order PENDING and its job (`portcullis_jobs::OrderTask`) in one transaction;
//! the `orders` workers then move it to ACTIVE or ERROR. Another project's order, and any id that
//! is not an order's (Barbican does no UUID check here), is 404 `Order not found.`.
//!
//! # Layout
//! - [`create`]: `POST /v1/orders` (202), and `PUT /v1/orders` (405).
//! - [`certificate`]: what a certificate order resolves at `POST` (its CA, its key container).
//! - [`get`]: `GET /v1/orders/{id}`.
//! - [`list`]: `GET /v1/orders`, paged.
//! - [`delete`]: `DELETE /v1/orders/{id}`.
//! - [`validate`]: the `Order` schema and the per-type `meta` rules of `POST /v1/orders`.
//! - [`view`]: the JSON shape of an order.
//! - [`docs`]: the documented request and response bodies (OpenAPI only).

pub mod certificate;
pub mod create;
pub mod delete;
pub mod docs;
pub mod get;
pub mod list;
pub mod validate;
pub mod view;

use portcullis_store::AsConn;
use portcullis_store::orders::{self, Order};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{ApiError, ApiResult};
use crate::policy::{Action, Entity, Target};

/// Barbican's 404 for a missing, deleted or (here) another project's order.
pub fn order_not_found() -> ApiError {
    ApiError::NotFound("Order not found.".into())
}

/// The order id in a path: anything that is not a UUID cannot name an order.
pub fn order_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::try_parse(raw).map_err(|_| order_not_found())
}

/// Loads a live order by its path id, whatever its project, and authorizes `action` on it
/// (another project's order is "not found": orders have no ACL).
pub async fn load(c: &mut impl AsConn, caller: &Caller, raw_id: &str, action: Action) -> ApiResult<Order> {
    let order = orders::find_any_project(c, order_id(raw_id)?).await?.ok_or_else(order_not_found)?;
    caller.authorize(action, Some(&Target::bare(Entity::Order, &order.project_id, order.creator_id.as_deref())))?;
    Ok(order)
}
