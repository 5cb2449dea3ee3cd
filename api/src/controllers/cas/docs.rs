//! The documented shapes of `/v1/cas` bodies, for the OpenAPI document only (the handlers build
//! raw JSON, see [`super::show`]).

use utoipa::ToSchema;

/// A page of certificate authorities, as refs, in creation order.
#[derive(ToSchema)]
#[schema(example = json!({"cas": ["http://localhost:9311/v1/cas/db78583f-1fca-4423-a005-c2b061121bba"], "total": 1}))]
pub struct CaList {
    /// The CAs' URLs.
    pub cas: Vec<String>,
    /// How many CAs there are in all.
    pub total: i64,
    /// The next page, when there is one.
    #[schema(nullable = false)]
    pub next: Option<String>,
    /// The previous page, when this one is not the first.
    #[schema(nullable = false)]
    pub previous: Option<String>,
}

/// A certificate authority, as Barbican's CA resource shows one.
#[derive(ToSchema)]
#[schema(example = json!({
    "ca_ref": "http://localhost:9311/v1/cas/db78583f-1fca-4423-a005-c2b061121bba",
    "name": "local", "description": "The CA built into Portcullis", "plugin_name": "local_ca",
    "plugin_ca_id": "local", "expiration": "2036-11-22T01:33:06.917878", "status": "ACTIVE",
    "meta": [{"name": "local"}, {"description": "The CA built into Portcullis"}],
    "created": "2026-11-25T01:33:06.917876", "updated": "2026-11-25T01:33:06.917876"
}))]
pub struct Ca {
    pub ca_ref: String,
    pub name: String,
    #[schema(required = true)]
    pub description: Option<String>,
    /// The plugin that signs for this CA.
    pub plugin_name: String,
    /// The CA's name within its plugin.
    pub plugin_ca_id: String,
    /// When the CA's certificate expires: UTC, `YYYY-MM-DDTHH:MM:SS.ffffff`, no offset.
    pub expiration: String,
    /// Always `ACTIVE`.
    #[schema(example = "ACTIVE")]
    pub status: String,
    /// `name` and `description` again, as Barbican lists them: `[{"name": ...},
    /// {"description": ...}]`.
    #[schema(value_type = Vec<Object>)]
    pub meta: Vec<serde_json::Value>,
    pub created: String,
    pub updated: String,
}
