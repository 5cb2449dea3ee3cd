//! The documented shapes of `/v1/containers` bodies, for the OpenAPI document only (the handlers
//! validate raw JSON, see [`super::validate`] and [`super::view`]).
//!
//! The reference-name rules of `rsa` and `certificate` containers are written as JSON Schema
//! (`contains`); what it cannot say (unique names and secret ids in a `generic` container, a
//! secret that must exist) is in the descriptions and the 400/404 responses.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use crate::controllers::orders::docs::with_keywords;

/// The body of `POST /v1/containers`: [`ContainerFields`] and the reference-name rules.
pub struct ContainerCreate;

impl PartialSchema for ContainerCreate {
    fn schema() -> RefOr<Schema> {
        let names_for = |kind: &str, names: &[&str], needed: &[&str]| {
            let named = |name: &str| serde_json::json!({"required": ["name"], "properties": {"name": {"const": name}}});
            let at_most_once: Vec<_> = names
                .iter()
                .map(|n| serde_json::json!({"contains": named(n), "minContains": 0, "maxContains": 1}))
                .collect();
            let present: Vec<_> = needed.iter().map(|n| serde_json::json!({"contains": named(n)})).collect();
            serde_json::json!({
                "if": {"required": ["type"], "properties": {"type": {"const": kind}}},
                "then": {"properties": {"secret_refs": {
                    "items": {"required": ["name"], "properties": {"name": {"enum": names}}},
                    "allOf": at_most_once,
                    // An empty list is allowed; a non-empty one must have the required names.
                    "anyOf": [{"maxItems": 0}, {"allOf": present}],
                }}},
            })
        };
        with_keywords(
            ContainerFields::schema(),
            serde_json::json!({
                "allOf": [
                    names_for(
                        "rsa",
                        &["public_key", "private_key", "private_key_passphrase"],
                        &["public_key", "private_key"],
                    ),
                    names_for(
                        "certificate",
                        &["certificate", "private_key", "private_key_passphrase", "intermediates"],
                        &["certificate"],
                    ),
                ],
            }),
        )
    }
}

impl ToSchema for ContainerCreate {
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        <ContainerFields as ToSchema>::schemas(out);
    }
}

/// A container. `generic` containers hold any secrets under unique names; `rsa` and
/// `certificate` containers hold the named parts of a key pair or a certificate, each once.
/// Properties the server does not know are ignored.
#[derive(ToSchema)]
#[schema(example = json!({"name": "tls", "type": "certificate", "secret_refs": [
    {"name": "certificate", "secret_ref": "http://localhost:9311/v1/secrets/3f5b93ec-86f5-479a-bf4e-6f59b4039ff9"},
    {"name": "private_key", "secret_ref": "http://localhost:9311/v1/secrets/1b0a5d7e-2f1c-4c55-9d0e-7a0e7f6d2c11"}
]}))]
pub struct ContainerFields {
    #[schema(max_length = 255)]
    pub name: Option<String>,
    #[schema(rename = "type")]
    pub kind: ContainerType,
    /// The secrets to hold, each a live secret of the caller's project (else 404). Names must be
    /// unique (a missing name and a null one count as two different names) and so must the
    /// secrets (by the last segment of `secret_ref`): duplicates are a 400. `rsa` containers
    /// take `public_key` and `private_key` (both required) and `private_key_passphrase`;
    /// `certificate` containers take `certificate` (required), `private_key`,
    /// `private_key_passphrase` and `intermediates`. An empty list is always allowed.
    #[schema(nullable = false)]
    pub secret_refs: Option<Vec<SecretRefIn>>,
}

/// A container's type.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ContainerType {
    Generic,
    Rsa,
    Certificate,
}

/// One secret of a new container.
#[derive(ToSchema)]
pub struct SecretRefIn {
    /// The secret's name in the container.
    #[schema(max_length = 255)]
    pub name: Option<String>,
    /// The secret's URL (`.../v1/secrets/{id}`; any host).
    #[schema(
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
        example = "http://localhost:9311/v1/secrets/3f5b93ec-86f5-479a-bf4e-6f59b4039ff9"
    )]
    pub secret_ref: String,
}

/// The body of `POST` and `DELETE /v1/containers/{id}/secrets`: one link of a `generic`
/// container. Properties the server does not know are ignored.
#[derive(ToSchema)]
#[schema(example = json!({
    "name": "api-token", "secret_ref": "http://localhost:9311/v1/secrets/3f5b93ec-86f5-479a-bf4e-6f59b4039ff9"
}))]
pub struct ContainerSecret {
    /// The secret's name in the container; a secret may be linked under several names.
    #[schema(max_length = 255, nullable = false)]
    pub name: Option<String>,
    /// The secret's URL (`.../v1/secrets/{id}`; any host).
    #[schema(pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")]
    pub secret_ref: String,
}

/// The body of `POST` and `DELETE /v1/containers/{id}/consumers`: a service using the
/// container. Properties the server does not know are ignored.
#[derive(ToSchema)]
#[schema(example = json!({"name": "lbaas", "URL": "http://lbaas.example.com/v2/listeners/7a3b"}))]
pub struct ConsumerIn {
    /// The consumer's name (at most 36 characters once stripped).
    #[schema(
        max_length = 36,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub name: String,
    /// The consumer's URL (at most 255 characters once stripped).
    #[schema(
        rename = "URL",
        max_length = 255,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub url: String,
}

/// `201` to `POST /v1/containers` and `POST /v1/containers/{id}/secrets`.
#[derive(ToSchema)]
#[schema(example = json!({
    "container_ref": "http://localhost:9311/v1/containers/23a967a6-ef7e-4122-80bc-9641f52110ba"
}))]
pub struct ContainerRef {
    pub container_ref: String,
}

/// A container.
#[derive(ToSchema)]
#[schema(example = json!({
    "created": "2026-11-25T00:59:07.019016", "updated": "2026-11-25T00:59:07.019016",
    "status": "ACTIVE", "name": null, "type": "rsa", "creator_id": null,
    "secret_refs": [
        {"name": "private_key", "secret_ref": "http://localhost:9311/v1/secrets/1b0a5d7e-2f1c-4c55-9d0e-7a0e7f6d2c11"},
        {"name": "public_key", "secret_ref": "http://localhost:9311/v1/secrets/3f5b93ec-86f5-479a-bf4e-6f59b4039ff9"}
    ],
    "consumers": [{"name": "lbaas", "URL": "http://lbaas.example.com/v2/listeners/7a3b"}],
    "container_ref": "http://localhost:9311/v1/containers/23a967a6-ef7e-4122-80bc-9641f52110ba"
}))]
pub struct Container {
    /// UTC, `YYYY-MM-DDTHH:MM:SS.ffffff`, no offset (as Barbican prints it).
    pub created: String,
    pub updated: String,
    /// Always `ACTIVE`: deleted containers are not shown.
    #[schema(example = "ACTIVE")]
    pub status: String,
    #[schema(required = true)]
    pub name: Option<String>,
    #[schema(rename = "type")]
    pub kind: ContainerType,
    /// Who created the container (the token's user; null without one).
    #[schema(required = true)]
    pub creator_id: Option<String>,
    pub secret_refs: Vec<SecretRefOut>,
    pub consumers: Vec<ConsumerRef>,
    pub container_ref: String,
}

/// One secret of a container.
#[derive(ToSchema)]
pub struct SecretRefOut {
    #[schema(required = true)]
    pub name: Option<String>,
    pub secret_ref: String,
}

/// A consumer as listed in its container.
#[derive(ToSchema)]
pub struct ConsumerRef {
    pub name: String,
    #[schema(rename = "URL")]
    pub url: String,
}

/// A page of the project's containers, oldest first.
#[derive(ToSchema)]
#[schema(example = json!({"containers": [{
    "created": "2026-11-25T00:59:07.019016", "updated": "2026-11-25T00:59:07.019016",
    "status": "ACTIVE", "name": "api", "type": "generic", "creator_id": null,
    "secret_refs": [
        {"name": "token", "secret_ref": "http://localhost:9311/v1/secrets/3f5b93ec-86f5-479a-bf4e-6f59b4039ff9"}
    ],
    "consumers": [],
    "container_ref": "http://localhost:9311/v1/containers/23a967a6-ef7e-4122-80bc-9641f52110ba"
}], "total": 3, "next": "http://localhost:9311/v1/containers?limit=1&offset=1"}))]
pub struct ContainerList {
    pub containers: Vec<Container>,
    /// How many containers match, in all.
    pub total: i64,
    /// The next page, when there is one.
    #[schema(nullable = false)]
    pub next: Option<String>,
    /// The previous page, when this one is not the first.
    #[schema(nullable = false)]
    pub previous: Option<String>,
}

/// A consumer of a container, on its own.
#[derive(ToSchema)]
#[schema(example = json!({"created": "2026-11-25T01:02:03.000000", "updated": "2026-11-25T01:02:03.000000",
    "status": "ACTIVE", "name": "lbaas", "URL": "http://lbaas.example.com/v2/listeners/7a3b"}))]
pub struct Consumer {
    pub created: String,
    pub updated: String,
    /// Always `ACTIVE`: removed consumers are not shown.
    pub status: String,
    pub name: String,
    #[schema(rename = "URL")]
    pub url: String,
}

/// A page of a container's consumers, by name.
#[derive(ToSchema)]
#[schema(example = json!({"consumers": [{
    "created": "2026-11-25T01:02:03.000000", "updated": "2026-11-25T01:02:03.000000",
    "status": "ACTIVE", "name": "lbaas", "URL": "http://lbaas.example.com/v2/listeners/7a3b"}], "total": 1}))]
pub struct ConsumerList {
    pub consumers: Vec<Consumer>,
    pub total: i64,
    #[schema(nullable = false)]
    pub next: Option<String>,
    #[schema(nullable = false)]
    pub previous: Option<String>,
}

/// The filters of `GET /v1/containers` (with [`crate::openapi::PageParams`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContainerFilters {
    /// Containers whose name matches this SQL `LIKE` pattern (`%` and `_` are wildcards); empty
    /// filters nothing.
    #[param(nullable = false)]
    pub name: Option<String>,
    /// Containers of this type; empty filters nothing, an unknown type matches none.
    #[param(rename = "type", nullable = false)]
    pub kind: Option<String>,
}
