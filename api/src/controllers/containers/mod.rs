//! `/v1/containers`: Barbican's containers resource — named groups of secret references — with
//! their secret links and consumers.
//!
//! Another project's container is reachable only through its read ACL; refused, it is "not
//! found" (404), never "forbidden": its existence is not revealed (Barbican would answer 403).
//!
//! # Layout
//! - [`create`]: `POST /v1/containers`.
//! - [`get`]: `GET /v1/containers/{id}`.
//! - [`list`]: `GET /v1/containers`, paged, filtered by `name` and `type`.
//! - [`delete`]: `DELETE /v1/containers/{id}`.
//! - [`secrets`]: `POST`/`DELETE /v1/containers/{id}/secrets` (generic containers' links).
//! - [`consumers`]: `/v1/containers/{id}/consumers` and `/consumers/{consumer_id}`.
//! - [`validate`]: the `Container`, `ContainerSecret` and `Consumer` schemas.
//! - [`view`]: the JSON shapes of a container and a consumer.
//! - [`docs`]: the documented request and response bodies (OpenAPI only).

pub mod consumers;
pub mod create;
pub mod delete;
pub mod docs;
pub mod get;
pub mod list;
pub mod secrets;
pub mod validate;
pub mod view;

use axum::extract::Request;
use portcullis_store::AsConn;
use portcullis_store::acls::{self, AclEntity};
use portcullis_store::containers::{self, Container};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::body::{json_object, parse_object, read_limited};
use crate::context::Caller;
use crate::controllers::parse_id;
use crate::error::{ApiError, ApiResult};
use crate::policy::{Action, Entity, Target};

/// Barbican's 404 for a missing, deleted or (here) another project's container.
pub fn container_not_found() -> ApiError {
    ApiError::NotFound("Secrets container not found.".into())
}

/// Loads a live container by its path id, whatever its project, and authorizes `action` on it
/// with its read ACL (another project's container the policy refuses is "not found").
pub async fn load(c: &mut impl AsConn, caller: &Caller, raw_id: &str, action: Action) -> ApiResult<Container> {
    let id = parse_id(raw_id, "container")?;
    let container = containers::find_any_project(c, id).await?.ok_or_else(container_not_found)?;
    let acl = acls::read_acl(c, AclEntity::Container, id).await?;
    let target = Target::with_acl(
        Entity::Container,
        &container.project_id,
        container.creator_id.as_deref(),
        acl.as_ref().map(|a| (a.users.as_slice(), a.project_access)),
    );
    caller.authorize(action, Some(&target))?;
    Ok(container)
}

/// In a write transaction: locks the live container `id` of `project_id` (an authorized
/// container's) and reads it. A container deleted since the first lookup is "not found" here.
pub async fn lock(c: &mut impl AsConn, project_id: &str, id: Uuid) -> ApiResult<Container> {
    if !containers::lock_live(c, project_id, id).await? {
        return Err(container_not_found());
    }
    containers::find(c, project_id, id).await?.ok_or_else(container_not_found)
}

/// Reads a JSON object body as Barbican's `load_body` does (every string stripped). With
/// `require_json`, a `Content-Type` other than `application/json` is 415 first; some Barbican
/// routes (`DELETE .../secrets`) accept any. Sub-resource handlers call this after the container
/// lookup, so an unknown container is 404 whatever the body, as in Barbican.
pub async fn read_body(
    req: Request,
    limit: usize,
    schema: &'static str,
    require_json: bool,
) -> ApiResult<Map<String, Value>> {
    if require_json {
        return parse_object(req, limit, schema).await;
    }
    json_object(&read_limited(req.into_body(), limit).await?, schema)
}

/// The live secret of the caller's project that `secret_ref` names, if any. A ref that is not a
/// `.../secrets/<uuid>` URL names nothing (Barbican's host check is deliberately not applied:
/// clients reach us under several names).
pub async fn referenced_secret(
    c: &mut impl AsConn,
    caller: &Caller,
    secret_ref: &str,
    now: portcullis_store::Timestamp,
) -> ApiResult<Option<portcullis_store::secrets::Secret>> {
    match crate::context::Hrefs::parse_ref(secret_ref, "secrets") {
        Some(id) => Ok(portcullis_store::secrets::find(c, &caller.project_id, id, now).await?),
        None => Ok(None),
    }
}
