//! `/v1/secrets/{id}/consumers`: services that declared they use a secret (Barbican's
//! consumers.py, secret half). Served at every microversion.
//!
//! Consumers show in secret bodies from microversion 1.1 and, from 1.2, keep a secret from being
//! deleted without `?force=true` (see [`crate::controllers::secrets`]).
//!
//! # Layout
//! - [`list`]: `GET /v1/secrets/{id}/consumers` — paged, oldest first.
//! - [`create`]: `POST /v1/secrets/{id}/consumers` — registers a consumer (idempotent).
//! - [`delete`]: `DELETE /v1/secrets/{id}/consumers` — removes one, named in the JSON body.
//! - [`get`]: `GET /v1/secrets/{id}/consumers/{consumer_id}`.
//! - [`validate`]: the `Secret Consumer` schema.
//! - [`docs`]: the same and a consumer, as the OpenAPI document describes them.

pub mod create;
pub mod delete;
pub mod docs;
pub mod get;
pub mod list;
pub mod validate;

use portcullis_store::AsConn;
use portcullis_store::secret_consumers::SecretConsumer;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::context::Hrefs;
use crate::controllers::secrets::{self, view::SecretView};
use crate::error::ApiResult;

/// A consumer as its own resource: `{created, updated, status, service, resource_type, resource_id}`.
fn full_view(c: &SecretConsumer) -> Value {
    json!({
        "created": c.created_at.to_barbican(),
        "updated": c.updated_at.to_barbican(),
        "status": "ACTIVE",
        "service": c.service,
        "resource_type": c.resource_type,
        "resource_id": c.resource_id,
    })
}

/// What consumer writes answer with (Barbican's `_return_secret_data`): the secret as it is now,
/// with `consumers` whatever the microversion. The caller was authorized on it already.
async fn secret_body(c: &mut impl AsConn, hrefs: &Hrefs, secret_id: Uuid) -> ApiResult<SecretView> {
    let secret = portcullis_store::secrets::find_any_project(c, secret_id, portcullis_store::Timestamp::now())
        .await?
        .ok_or_else(|| crate::error::ApiError::NotFound("Secret not found.".into()))?;
    let consumers = secrets::consumers_of(c, &secret).await?;
    Ok(SecretView::new(&secret, hrefs, Some(consumers)))
}
