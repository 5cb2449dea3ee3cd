//! `POST /v1/transport_keys` (admin): registers a transport key. Body `{"plugin_name": ...,
//! "transport_key": <PEM>}`; 201 with `transport_key_ref` and a `Location` header.
//!
//! Barbican checks only that both strings are non-empty. Portcullis also requires the key to be
//! PEM of a public key or certificate: a transport key is published to every caller, so a private
//! key pasted here by mistake must not be stored.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use portcullis_store::Timestamp;
use portcullis_store::transport_keys::{self, TransportKey};
use serde_json::json;
use uuid::Uuid;

use crate::body::parse_object;
use crate::context::{Caller, Hrefs};
use crate::error::ApiResult;
use crate::policy::Action;
use crate::schema::Fields;
use crate::state::AppState;

const SCHEMA: &str = "Transport Key";

/// PEM labels a transport key may carry.
const PUBLIC_LABELS: &[&str] = &["PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE"];

/// Register a transport key (admin)
///
/// Stores a public key or certificate (PEM) for `plugin_name`. Every caller can read transport
/// keys, so anything but one PEM block of a public key or certificate is refused.
#[utoipa::path(
    post,
    path = "/v1/transport_keys",
    tag = "transport-keys",
    operation_id = "transport_key_create",
    request_body(content = super::docs::TransportKeyCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered.", body = super::docs::TransportKeyRef,
            headers(("Location" = String, description = "The new key's `transport_key_ref`."))),
        (status = 400, description = "The body is not JSON, not an object, or breaks the schema.",
            body = crate::openapi::ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = crate::openapi::ErrorBody),
    )
)]
pub async fn create(State(app): State<AppState>, caller: Caller, hrefs: Hrefs, req: Request) -> ApiResult<Response> {
    // Barbican's order: policy, then content type, then the body.
    caller.authorize(Action::TransportKeysPost, None)?;
    let body = parse_object(req, app.config.max_request_bytes, SCHEMA).await?;
    let f = Fields::new(SCHEMA, &body);
    let plugin_name = f.string("plugin_name", 255, false)?.unwrap_or_default();
    let transport_key = f.string("transport_key", usize::MAX, false)?.unwrap_or_default();
    if plugin_name.is_empty() {
        return Err(f.err("plugin_name must be provided", "plugin_name"));
    }
    // PostgreSQL's text cannot hold NUL; refused on SQLite too, so both answer alike.
    if plugin_name.contains('\0') {
        return Err(f.err("plugin_name must not contain NUL characters", "plugin_name"));
    }
    if transport_key.is_empty() {
        return Err(f.err("transport_key must be provided", "transport_key"));
    }
    if !is_public_pem(&transport_key) {
        return Err(f.err("transport_key must be a PEM-encoded public key or certificate", "transport_key"));
    }
    let now = Timestamp::now();
    let key = TransportKey {
        id: Uuid::new_v4(),
        plugin_name,
        transport_key,
        status: "ACTIVE".into(),
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db.begin().await?;
    transport_keys::insert(&mut tx, &key).await?;
    tx.commit().await?;
    tracing::info!(transport_key_id = %key.id, "transport key created");
    let url = super::href(&hrefs, &key.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, url.clone())], Json(json!({"transport_key_ref": url})))
        .into_response())
}

/// Whether `text` is one PEM block of a public key or certificate: matching BEGIN/END lines with
/// one of [`PUBLIC_LABELS`] and a body that is non-empty base64.
fn is_public_pem(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else { return false };
    let Some(label) = first.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")) else {
        return false;
    };
    if lines.len() < 3 || !PUBLIC_LABELS.contains(&label) || *last != format!("-----END {label}-----") {
        return false;
    }
    let body: String = lines[1..lines.len() - 1].concat();
    base64::engine::general_purpose::STANDARD.decode(body).is_ok_and(|der| !der.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_pem_blocks() {
        let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        assert!(is_public_pem(pem));
        assert!(!is_public_pem(&pem.replace("PUBLIC KEY", "PRIVATE KEY")));
        assert!(!is_public_pem("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----"));
        assert!(!is_public_pem("-----BEGIN PUBLIC KEY-----\nMCow\n-----END CERTIFICATE-----"));
        assert!(!is_public_pem("not a key"));
    }
}
