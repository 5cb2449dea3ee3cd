//! The documented shapes of `/v1/secret-stores` bodies, for the OpenAPI document only (the
//! handlers write raw JSON; see `mod.rs`'s `view`).

// Built by the document's schema functions only, never as values.
#![allow(dead_code)]

use utoipa::ToSchema;

/// One configured secret store, as Barbican shows it.
#[derive(ToSchema)]
#[schema(example = json!({
    "secret_store_ref": "http://127.0.0.1:9311/v1/secret-stores/5d0c8a5e-3c3b-4bbf-9d6b-2f4c0f3ad1a7",
    "name": "primary",
    "secret_store_plugin": "store_crypto",
    "crypto_plugin": "simple_crypto",
    "global_default": true,
    "status": "ACTIVE",
    "created": "2026-01-31T12:00:00.123456",
    "updated": "2026-01-31T12:00:00.123456"
}))]
pub struct SecretStore {
    #[schema(format = "uri")]
    pub secret_store_ref: String,
    /// The store's name in the configuration (`[[secret_stores]]`).
    pub name: String,
    /// Barbican's secret-store plugin: always `store_crypto`.
    pub secret_store_plugin: String,
    /// The crypto plugin that seals the store's payloads.
    pub crypto_plugin: String,
    /// Whether new secrets go here when their project prefers no store.
    pub global_default: bool,
    /// Always `ACTIVE`.
    pub status: String,
    /// Naive UTC ISO 8601, as Barbican writes times.
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$")]
    pub created: String,
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$")]
    pub updated: String,
}

/// Every configured store (not paged, as in Barbican).
#[derive(ToSchema)]
pub struct SecretStoreList {
    pub secret_stores: Vec<SecretStore>,
}
