//! `/v1/secret-stores`: Barbican's multiple secret-store backends.
//!
//! Each configured `[[secret_stores]]` entry is a store; a project may prefer one for its new
//! secrets, else they go to the global default. Without configured stores (one implicit store)
//! every resource here is 404, as Barbican answers with multiple backends disabled.
//!
//! # Layout
//! - [`list`]: `GET /v1/secret-stores`, `GET /v1/secret-stores/global-default`,
//!   `GET /v1/secret-stores/preferred`.
//! - [`get`]: `GET /v1/secret-stores/{id}`.
//! - [`preferred`]: `POST` and `DELETE /v1/secret-stores/{id}/preferred`.
//! - `docs.rs`: the bodies as documented types, for the OpenAPI document.
//! - this file: the enabled check, loading a store by its path id, and the JSON shape.

mod docs;
pub mod get;
pub mod list;
pub mod preferred;

use portcullis_store::AsConn;
use portcullis_store::secret_stores::{self, STORE_PLUGIN, SecretStore};
use serde_json::{Value, json};

use crate::App;
use crate::context::Hrefs;
use crate::error::{ApiError, ApiResult};

/// Refuses when no `[[secret_stores]]` are configured, with Barbican's wording.
pub fn require_enabled(app: &App) -> ApiResult<()> {
    if app.config.secret_stores.is_empty() {
        return Err(ApiError::NotFound(
            "Not Found. Multiple backends support is not enabled in service configuration.".into(),
        ));
    }
    Ok(())
}

pub(crate) fn store_not_found() -> ApiError {
    ApiError::NotFound("Not Found. Secret store not found.".into())
}

/// The store a `/v1/secret-stores/{id}` path names. Barbican looks the id up as given, so an id
/// that is not a UUID (or does not decode) is simply a store that does not exist.
pub async fn load(c: &mut impl AsConn, raw: &str) -> ApiResult<SecretStore> {
    let Ok(id) = uuid::Uuid::try_parse(raw) else { return Err(store_not_found()) };
    if id.hyphenated().to_string() != raw {
        return Err(store_not_found());
    }
    secret_stores::find(c, id).await?.ok_or_else(store_not_found)
}

/// A store as Barbican shows it (`SecretStores.to_dict_fields`, with `store_plugin` renamed
/// `secret_store_plugin` and the id given as `secret_store_ref`).
pub fn view(s: &SecretStore, hrefs: &Hrefs) -> Value {
    json!({
        "secret_store_ref": hrefs.url(&format!("v1/secret-stores/{}", s.id)),
        "name": s.name,
        "secret_store_plugin": STORE_PLUGIN,
        "crypto_plugin": s.plugin,
        "global_default": s.global_default,
        "status": "ACTIVE",
        "created": s.created_at.to_barbican(),
        "updated": s.updated_at.to_barbican(),
    })
}
