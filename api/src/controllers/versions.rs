//! Version discovery (`GET /`, `GET /v1`) and Barbican's `GET /healthcheck`; at the end, the
//! documented shapes of the version documents (module `docs`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::context::Hrefs;
use crate::middleware::ApiVersion;
use crate::state::AppState;

fn links(hrefs: &Hrefs) -> Value {
    json!([
        {"rel": "self", "href": hrefs.url("v1/")},
        {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}
    ])
}

fn v1_document(hrefs: &Hrefs) -> Value {
    json!({
        "id": "v1",
        "status": "stable",
        "links": links(hrefs),
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.key-manager-v1+json"}]
    })
}

/// List the API versions
///
/// Answers 300 Multiple Choices, as Barbican. Clients that send a microversion (1.1 or later)
/// get the microversion-aware document, with the minimum and maximum versions.
#[utoipa::path(
    get,
    path = "/",
    tag = "versions",
    operation_id = "versions_list",
    responses((status = 300, description = "The versions served: one, v1.", body = docs::Versions))
)]
pub async fn root(version: ApiVersion, hrefs: Hrefs) -> Response {
    let body = if version.at_least(1) {
        json!({"versions": [{
            "id": "v1", "status": "CURRENT",
            "min_version": "1.0", "max_version": format!("1.{}", ApiVersion::MAX.0),
            "links": links(&hrefs)
        }]})
    } else {
        json!({"versions": {"values": [v1_document(&hrefs)]}})
    };
    (StatusCode::MULTIPLE_CHOICES, Json(body)).into_response()
}

/// Show the v1 API version
#[utoipa::path(
    get,
    path = "/v1",
    tag = "versions",
    operation_id = "version_v1_get",
    responses((status = 200, description = "The v1 version document.", body = docs::V1))
)]
pub async fn v1(hrefs: Hrefs) -> Json<Value> {
    Json(json!({"version": v1_document(&hrefs)}))
}

/// Barbican's health check
///
/// `OK` when the database answers and its migrations are applied. No credentials needed.
#[utoipa::path(
    get,
    path = "/healthcheck",
    tag = "operations",
    operation_id = "healthcheck",
    responses(
        (status = 200, description = "Healthy.", body = String, content_type = "text/plain", example = "OK"),
        (status = 503, description = "The database does not answer or lacks migrations.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn healthcheck(State(app): State<AppState>) -> Response {
    match app.db.migrations_applied().await {
        Ok(true) => (StatusCode::OK, "OK").into_response(),
        _ => crate::error::ApiError::Unavailable("healthcheck failed".into()).into_response(),
    }
}

/// The documented shapes of the version documents, for the OpenAPI document only.
mod docs {
    // Built by the document's schema functions only, never as values.
    #![allow(dead_code)]

    use utoipa::ToSchema;

    #[derive(ToSchema)]
    pub struct Link {
        /// `self` (the v1 root) or `describedby` (the documentation).
        pub rel: String,
        #[schema(format = "uri")]
        pub href: String,
        /// `text/html`, on `describedby`.
        #[serde(rename = "type")]
        pub media_type: Option<String>,
    }

    #[derive(ToSchema)]
    pub struct MediaType {
        pub base: String,
        #[serde(rename = "type")]
        pub media_type: String,
    }

    /// A version as Barbican describes it without microversions.
    #[derive(ToSchema)]
    pub struct Version {
        /// `v1`.
        pub id: String,
        /// `stable`.
        pub status: String,
        pub links: Vec<Link>,
        #[serde(rename = "media-types")]
        pub media_types: Vec<MediaType>,
    }

    /// A version with the microversions it serves.
    #[derive(ToSchema)]
    pub struct MicroVersion {
        /// `v1`.
        pub id: String,
        /// `CURRENT`.
        pub status: String,
        /// `1.0`.
        pub min_version: String,
        /// `1.2`.
        pub max_version: String,
        pub links: Vec<Link>,
    }

    #[derive(ToSchema)]
    pub struct VersionValues {
        pub values: Vec<Version>,
    }

    /// Without a microversion (1.0).
    #[derive(ToSchema)]
    #[schema(example = json!({"versions": {"values": [{"id": "v1", "status": "stable",
        "links": [{"rel": "self", "href": "http://127.0.0.1:9311/v1/"},
                  {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.key-manager-v1+json"}]}]}}))]
    pub struct VersionsV10 {
        pub versions: VersionValues,
    }

    /// With a microversion of 1.1 or later.
    #[derive(ToSchema)]
    #[schema(example = json!({"versions": [{"id": "v1", "status": "CURRENT", "min_version": "1.0", "max_version": "1.2",
        "links": [{"rel": "self", "href": "http://127.0.0.1:9311/v1/"},
                  {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}]}]}))]
    pub struct VersionsV11 {
        pub versions: Vec<MicroVersion>,
    }

    /// `GET /`'s document, by the microversion asked for.
    #[derive(ToSchema)]
    #[serde(untagged)]
    pub enum Versions {
        V10(VersionsV10),
        V11(VersionsV11),
    }

    /// `GET /v1`.
    #[derive(ToSchema)]
    pub struct V1 {
        pub version: Version,
    }
}
