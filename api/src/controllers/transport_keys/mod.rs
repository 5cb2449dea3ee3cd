//! `/v1/transport_keys`: Barbican's transport keys, public keys an operator registers for
//! wrapping secrets in transit. They belong to no project: every caller may read them, only an
//! admin may add or delete one.
//!
//! Portcullis's crypto plugin (`simple_crypto`) cannot use transport keys, as Barbican's cannot;
//! [`secret_fields`] answers a secret's `transport_key_needed` / `transport_key_id` the way
//! Barbican does then.
//!
//! # Layout
//! - [`list`]: `GET /v1/transport_keys` (paged, `plugin_name` filter).
//! - [`create`]: `POST /v1/transport_keys`, and the PEM check.
//! - [`get`]: `GET /v1/transport_keys/{id}`; [`delete`]: `DELETE /v1/transport_keys/{id}`.
//! - [`secret_fields`]: the transport-key fields of `POST /v1/secrets`.
//! - `docs.rs`: the bodies as documented types, for the OpenAPI document.
//! - this file: refs, loading a key by its path id, and the JSON shape.

pub mod create;
pub mod delete;
mod docs;
pub mod get;
pub mod list;
pub mod secret_fields;

use portcullis_store::transport_keys::TransportKey;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::context::Hrefs;
use crate::error::ApiError;

/// `<base>/v1/transport_keys/<id>`.
pub fn href(hrefs: &Hrefs, id: &Uuid) -> String {
    hrefs.url(&format!("v1/transport_keys/{id}"))
}

pub fn not_found() -> ApiError {
    ApiError::NotFound("Not Found. Transport Key not found.".into())
}

/// A transport key with its PEM text.
pub fn view(k: &TransportKey, hrefs: &Hrefs) -> Value {
    json!({
        "transport_key_ref": href(hrefs, &k.id),
        "plugin_name": k.plugin_name,
        "transport_key": k.transport_key,
        "status": k.status,
        "created": k.created_at.to_barbican(),
        "updated": k.updated_at.to_barbican(),
    })
}
