//! `/v1/secrets/{id}/acl` and `/v1/containers/{id}/acl`: who, beyond the policy's project roles,
//! may read a secret or container (Barbican's acls.py).
//!
//! - `GET`: `{"read": {"project-access", "users", "created", "updated"}}`, or the default
//!   `{"read": {"project-access": true}}` when none is set.
//! - `PUT` (JSON `{"read": {"users": [...], "project-access": bool}}`): replaces the ACL; a
//!   missing `project-access` is true, missing `users` none. `{}` or `{"read": {}}` resets it.
//! - `PATCH` (same body): merges; only the given fields change.
//! - `DELETE`: back to the default; 200 with a JSON `null`, as Barbican.
//!
//! `PUT`/`PATCH` answer 200 `{"acl_ref": ".../acl"}`. Order of checks, as Barbican's: the
//! resource (404, also for another project's), the policy (403), the content type (415), the
//! body (400). The policy target carries no ACL data here, as in Barbican: under the current
//! defaults only the project admin and the owning member manage an ACL.
//!
//! # Layout
//! - this file: [`Kind`], loading and authorizing the resource, the response shapes.
//! - [`handlers`]: the eight routes.
//! - [`validate`]: the `ACL` schema.
//! - [`docs`]: the bodies, as the OpenAPI document describes them.

pub mod docs;
pub mod handlers;
pub mod validate;

use portcullis_store::acls::{self, Acl, AclEntity};
use portcullis_store::{AsConn, Timestamp, containers, secrets};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::context::{Caller, Hrefs};
use crate::controllers::parse_id;
use crate::error::{ApiError, ApiResult};
use crate::policy::{Action, Entity, Target};

/// Which resource an ACL route names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Secret,
    Container,
}

/// A verb on an ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Write,
    Delete,
}

impl Kind {
    fn entity(self) -> AclEntity {
        match self {
            Kind::Secret => AclEntity::Secret,
            Kind::Container => AclEntity::Container,
        }
    }

    fn action(self, verb: Verb) -> Action {
        match (self, verb) {
            (Kind::Secret, Verb::Get) => Action::SecretAclsGet,
            (Kind::Secret, Verb::Write) => Action::SecretAclsPutPatch,
            (Kind::Secret, Verb::Delete) => Action::SecretAclsDelete,
            (Kind::Container, Verb::Get) => Action::ContainerAclsGet,
            (Kind::Container, Verb::Write) => Action::ContainerAclsPutPatch,
            (Kind::Container, Verb::Delete) => Action::ContainerAclsDelete,
        }
    }

    /// `{base}/v1/<resources>/{id}/acl`.
    fn acl_ref(self, hrefs: &Hrefs, id: &Uuid) -> String {
        match self {
            Kind::Secret => format!("{}/acl", hrefs.secret(id)),
            Kind::Container => format!("{}/acl", hrefs.container(id)),
        }
    }
}

/// Finds the live secret or container of a path id, whatever its project, and authorizes `verb`
/// on its ACL. Returns its id.
pub async fn load(c: &mut impl AsConn, caller: &Caller, kind: Kind, raw_id: &str, verb: Verb) -> ApiResult<Uuid> {
    let (id, project_id, creator_id, entity) = match kind {
        Kind::Secret => {
            let id = parse_id(raw_id, "secret")?;
            let s = secrets::find_any_project(c, id, Timestamp::now())
                .await?
                .ok_or_else(|| ApiError::NotFound("Secret not found.".into()))?;
            (id, s.project_id, s.creator_id, Entity::Secret)
        }
        Kind::Container => {
            let id = parse_id(raw_id, "container")?;
            let ct = containers::find_any_project(c, id)
                .await?
                .ok_or_else(crate::controllers::containers::container_not_found)?;
            (id, ct.project_id, ct.creator_id, Entity::Container)
        }
    };
    caller.authorize(kind.action(verb), Some(&Target::bare(entity, &project_id, creator_id.as_deref())))?;
    Ok(id)
}

/// The ACLs of a resource as Barbican shows them; the default ACL when it has none.
pub async fn view(c: &mut impl AsConn, kind: Kind, id: Uuid) -> ApiResult<Value> {
    let all = acls::all(c, kind.entity(), id).await?;
    if all.is_empty() {
        return Ok(json!({"read": {"project-access": true}}));
    }
    let mut out = Map::new();
    for acl in &all {
        out.insert(acl.operation.clone(), acl_view(acl));
    }
    Ok(Value::Object(out))
}

/// One operation's ACL, keys in Barbican's order.
fn acl_view(acl: &Acl) -> Value {
    json!({
        "project-access": acl.project_access,
        "users": acl.users,
        "created": acl.created_at.to_barbican(),
        "updated": acl.updated_at.to_barbican(),
    })
}
