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
//! - [`docs`]: the OpenAPI schemas of these routes' bodies and parameters.

pub mod create;
pub mod delete;
pub mod docs;
pub mod get;
pub mod list;
pub mod payload;
pub mod validate;
pub mod view;

use portcullis_store::acls::{self, AclEntity};
use portcullis_store::secrets::{self, Secret};
use portcullis_store::{AsConn, Timestamp};

use crate::context::Caller;
use crate::controllers::parse_id;
use crate::error::{ApiError, ApiResult};
use crate::policy::{Action, Entity, Target};

/// Loads a live secret by its path id, whatever its project, and authorizes `action` on it with
/// its read ACL. Another project's secret the policy refuses is "not found", as an unknown id:
/// its existence is not revealed.
pub async fn load(c: &mut impl AsConn, caller: &Caller, raw_id: &str, action: Action) -> ApiResult<Secret> {
    load_as(c, caller, raw_id, action, action.operation()).await
}

/// [`load`], naming the operation of a 403 as the handler's own (see `Caller::authorize_as`).
pub async fn load_as(
    c: &mut impl AsConn,
    caller: &Caller,
    raw_id: &str,
    action: Action,
    operation: &str,
) -> ApiResult<Secret> {
    let id = parse_id(raw_id, "secret")?;
    let secret = secrets::find_any_project(c, id, Timestamp::now())
        .await?
        .ok_or_else(|| ApiError::NotFound("Secret not found.".into()))?;
    let acl = acls::read_acl(c, AclEntity::Secret, id).await?;
    let target = Target::with_acl(
        Entity::Secret,
        &secret.project_id,
        secret.creator_id.as_deref(),
        acl.as_ref().map(|a| (a.users.as_slice(), a.project_access)),
    );
    caller.authorize_as(action, Some(&target), operation)?;
    Ok(secret)
}

/// The live consumers of `secret`, as `{service, resource_type, resource_id}` objects (shown in
/// secret bodies from microversion 1.1, and blocking deletion from 1.2).
pub async fn consumers_of(c: &mut impl AsConn, secret: &Secret) -> ApiResult<Vec<serde_json::Value>> {
    let mut by_secret = view::consumers_by_secret(c, &[secret.id]).await?;
    Ok(by_secret.remove(&secret.id).unwrap_or_default())
}
