//! `/v1/secrets/{id}/metadata`: a secret's user metadata, free key/value pairs (Barbican's
//! secretmeta.py).
//!
//! Keys match `[A-Za-z0-9_-]*` and are stored lowercased; the key in a URL is used as given, so
//! `/metadata/FOO` never matches (as in Barbican). Keys and values are at most 255 characters.
//!
//! # Layout
//! - [`list`]: `GET /v1/secrets/{id}/metadata` — every pair.
//! - [`replace`]: `PUT /v1/secrets/{id}/metadata` — replaces every pair.
//! - [`create`]: `POST /v1/secrets/{id}/metadata` — adds one key.
//! - [`get`]: `GET /v1/secrets/{id}/metadata/{key}`.
//! - [`update`]: `PUT /v1/secrets/{id}/metadata/{key}` — changes an existing key's value.
//! - [`delete`]: `DELETE /v1/secrets/{id}/metadata/{key}`.
//! - [`validate`]: the `SecretMetadata` and `SecretMetadatum` schemas.
//! - [`docs`]: the same, as the OpenAPI document describes them.

pub mod create;
pub mod delete;
pub mod docs;
pub mod get;
pub mod list;
pub mod replace;
pub mod update;
pub mod validate;

use axum::Json;
use serde_json::{Value, json};

use crate::context::Hrefs;

/// `{base}/v1/secrets/{id}/metadata`.
fn metadata_ref(hrefs: &Hrefs, secret_id: &uuid::Uuid) -> String {
    format!("{}/metadata", hrefs.secret(secret_id))
}

fn not_found() -> crate::error::ApiError {
    crate::error::ApiError::NotFound("Secret metadata not found.".into())
}

/// One pair as Barbican returns it.
fn pair(key: &str, value: &str) -> Json<Value> {
    Json(json!({"key": key, "value": value}))
}
