//! `/v1/secrets`: Barbican's secrets resource.
//!
//! # Layout
//! - [`create`]: `POST /v1/secrets` (one step with a payload, or metadata only).
//! - [`get`]: `GET /v1/secrets/{id}` (metadata; the payload for a non-JSON `Accept`).
//! - [`payload`]: `GET /v1/secrets/{id}/payload` and `PUT /v1/secrets/{id}` (two-step upload).
//! - [`list`]: `GET /v1/secrets` with paging, filters and sort.
//! - [`delete`]: `DELETE /v1/secrets/{id}`.
//! - [`validate`]: the `Secret` schema and Barbican's payload content-type rules.
//! - [`view`]: the JSON shape of a secret.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod payload;
pub mod validate;
pub mod view;

use portcullis_store::secrets::{self, Secret};
use portcullis_store::{AsConn, Timestamp};

use crate::context::Caller;
use crate::controllers::parse_id;
use crate::error::{ApiError, ApiResult};

/// Loads a live secret of the caller's project by its path id. Another project's secret is
/// "not found": its existence is not revealed.
pub async fn load(c: &mut impl AsConn, caller: &Caller, raw_id: &str) -> ApiResult<Secret> {
    let id = parse_id(raw_id, "secret")?;
    secrets::find(c, &caller.project_id, id, Timestamp::now())
        .await?
        .ok_or_else(|| ApiError::NotFound("Secret not found.".into()))
}

/// The live consumers of `secret`, as `{service, resource_type, resource_id}` objects (shown in
/// secret bodies from microversion 1.1, and blocking deletion from 1.2).
pub async fn consumers_of(c: &mut impl AsConn, secret: &Secret) -> ApiResult<Vec<serde_json::Value>> {
    let mut by_secret = view::consumers_by_secret(c, &[secret.id]).await?;
    Ok(by_secret.remove(&secret.id).unwrap_or_default())
}
