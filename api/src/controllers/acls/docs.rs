//! ACLs as the OpenAPI document describes them: the `ACL` body of `PUT`/`PATCH`, exactly as
//! [`super::validate`] checks it, and an ACL as the routes show it.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::controllers::secrets::docs::timestamp_out;

/// The `read` ACL to set. Nothing else is allowed in it.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadAclChange {
    /// The users (ids of at most 255 characters) who may read the resource, whatever their project
    /// or roles; duplicates are dropped. `PUT` without it: none; `PATCH` without it: unchanged.
    #[schema(required = false, inline)]
    pub users: Vec<UserId>,
    /// Whether the project's users keep their usual access. `PUT` without it: true; `PATCH`
    /// without it: unchanged.
    #[schema(rename = "project-access", required = false)]
    pub project_access: bool,
}

/// A user id.
#[derive(ToSchema)]
#[schema(value_type = String, max_length = 255, example = "2b8f9b1e8a4b4e0c9b1f3f0a7c1d2e3f")]
pub struct UserId(pub String);

/// The body of `PUT`/`PATCH .../acl`. `read` is the only operation with an ACL; `{}` (or
/// `{"read": {}}`) resets the ACL with `PUT` and changes nothing with `PATCH`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"read": {"users": ["2b8f9b1e8a4b4e0c9b1f3f0a7c1d2e3f"], "project-access": false}}))]
pub struct AclChange {
    #[schema(required = false)]
    pub read: ReadAclChange,
}

fn created() -> Object {
    timestamp_out("When the ACL was set (UTC).")
}

fn updated() -> Object {
    timestamp_out("When it was last changed (UTC).")
}

/// The `read` ACL. Without an ACL set, only `project-access` (true) is shown.
#[derive(ToSchema)]
pub struct ReadAcl {
    /// Whether the project's users have their usual access.
    #[schema(rename = "project-access")]
    pub project_access: bool,
    /// The users who may read the resource whatever their project or roles.
    #[schema(required = false)]
    pub users: Vec<String>,
    #[schema(required = false, schema_with = created)]
    pub created: String,
    #[schema(required = false, schema_with = updated)]
    pub updated: String,
}

/// A resource's ACL, by operation.
#[derive(ToSchema)]
#[schema(example = json!({"read": {"project-access": false, "users": ["2b8f9b1e8a4b4e0c9b1f3f0a7c1d2e3f"],
    "created": "2026-11-24T14:58:07.512406", "updated": "2026-11-24T14:58:07.568580"}}))]
pub struct Acl {
    pub read: ReadAcl,
}

/// Where the ACL is.
#[derive(ToSchema)]
#[schema(example = json!({"acl_ref": "http://127.0.0.1:9311/v1/secrets/2e1d5044-224b-4c91-9840-81f9286fa0ae/acl"}))]
pub struct AclRef {
    #[schema(format = "uri")]
    pub acl_ref: String,
}

/// JSON `null`: what Barbican answers a deleted ACL with.
pub struct Null;

impl PartialSchema for Null {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::Null).description(Some("`null`.")).build().into()
    }
}

impl ToSchema for Null {
    fn name() -> std::borrow::Cow<'static, str> {
        "AclDeleted".into()
    }
}
