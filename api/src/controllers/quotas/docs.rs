//! The documented shapes of the quota bodies, for the OpenAPI document only (the handlers read
//! and write raw JSON; `project.rs` validates as Barbican's `ProjectQuotaValidator`).

// Built by the document's schema functions only, never as values.
#![allow(dead_code)]

use utoipa::ToSchema;

/// A project's effective quotas: its own settings, the configured defaults for the rest. A
/// negative value is unlimited, 0 allows none.
#[derive(ToSchema)]
pub struct EffectiveQuotas {
    pub secrets: i64,
    pub orders: i64,
    pub containers: i64,
    /// Consumers, of secrets and of containers each.
    pub consumers: i64,
    /// Reported only: projects cannot create certificate authorities.
    pub cas: i64,
}

/// `GET /v1/quotas`.
#[derive(ToSchema)]
#[schema(example = json!({"quotas": {"secrets": -1, "orders": -1, "containers": -1, "consumers": -1, "cas": -1}}))]
pub struct QuotasBody {
    pub quotas: EffectiveQuotas,
}

/// One project's quota settings; `null` where it uses the configured default.
#[derive(ToSchema)]
pub struct QuotaSettings {
    #[schema(required = true)]
    pub secrets: Option<i32>,
    #[schema(required = true)]
    pub orders: Option<i32>,
    #[schema(required = true)]
    pub containers: Option<i32>,
    #[schema(required = true)]
    pub consumers: Option<i32>,
    #[schema(required = true)]
    pub cas: Option<i32>,
}

/// `GET /v1/project-quotas/{project_id}`.
#[derive(ToSchema)]
#[schema(example = json!({"project_quotas": {"secrets": 10, "orders": null, "containers": 5, "consumers": null, "cas": null}}))]
pub struct ProjectQuotasBody {
    pub project_quotas: QuotaSettings,
}

/// One project with quotas set.
#[derive(ToSchema)]
pub struct ProjectQuotasEntry {
    pub project_id: String,
    pub project_quotas: QuotaSettings,
}

/// `GET /v1/project-quotas`: a page of the projects with quotas set, oldest setting first.
#[derive(ToSchema)]
#[schema(example = json!({
    "project_quotas": [{"project_id": "p1", "project_quotas": {"secrets": 10, "orders": null, "containers": 5, "consumers": null, "cas": null}}],
    "total": 1
}))]
pub struct ProjectQuotasList {
    pub project_quotas: Vec<ProjectQuotasEntry>,
    /// How many projects have quotas set.
    pub total: i64,
    /// The next page, when there is one.
    #[schema(format = "uri")]
    pub next: Option<String>,
    /// The previous page, when this one is not the first.
    #[schema(format = "uri")]
    pub previous: Option<String>,
}

/// `PUT /v1/project-quotas/{project_id}`: the values to set. Each is a 32-bit integer (negative:
/// unlimited, 0: none allowed); `null` is refused. A project's first PUT sets the values given
/// (the others stay unset), later ones change only those given.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaUpdate {
    #[serde(default)]
    pub secrets: i32,
    #[serde(default)]
    pub orders: i32,
    #[serde(default)]
    pub containers: i32,
    #[serde(default)]
    pub consumers: i32,
    #[serde(default)]
    pub cas: i32,
}

/// `PUT /v1/project-quotas/{project_id}`'s body: `project_quotas` and nothing else.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"project_quotas": {"secrets": 10, "containers": 5}}))]
pub struct ProjectQuotasUpdate {
    pub project_quotas: QuotaUpdate,
}
