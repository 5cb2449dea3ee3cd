//! Version discovery (`GET /`, `GET /v1`) and Barbican's `GET /healthcheck`.

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

/// `GET /`: 300 Multiple Choices. Clients that send a microversion (1.1+) get the
/// microversion-aware document with min and max versions.
#[utoipa::path(get, path = "/", tag = "versions")]
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

/// `GET /v1`: the v1 version document.
#[utoipa::path(get, path = "/v1", tag = "versions")]
pub async fn v1(hrefs: Hrefs) -> Json<Value> {
    Json(json!({"version": v1_document(&hrefs)}))
}

/// `GET /healthcheck` (not project scoped): 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/healthcheck", tag = "operations")]
pub async fn healthcheck(State(app): State<AppState>) -> Response {
    match app.db.migrations_applied().await {
        Ok(true) => (StatusCode::OK, "OK").into_response(),
        _ => crate::error::ApiError::Unavailable("healthcheck failed".into()).into_response(),
    }
}
