//! The transport-key fields of `POST /v1/secrets` and the `transport_key_id` query of
//! `PUT /v1/secrets/{id}`, answered as Barbican answers them when no configured store supports
//! transport keys (its `store_crypto` with `simple_crypto`, like every Portcullis store):
//! - without a payload, `transport_key_needed: "true"` finds no store able to provide a transport
//!   key: 400 `Secret creation issue seen - Secret store supported plugin not found.`;
//! - with a payload, a `transport_key_id` that names no key is 400 `... Provided transport key
//!   was not found.`, and one that does names a plugin no store is: 400 `... No plugin was found
//!   that could support your request.` (`Secret update issue seen - ...` for `PUT`);
//! - otherwise (`transport_key_needed` with a payload, `transport_key_id` without) they are
//!   ignored, as in Barbican.

use portcullis_store::transport_keys;
use serde_json::{Map, Value};

use crate::App;
use crate::error::{ApiError, ApiResult};

fn refused(action: &str, reason: &str) -> ApiError {
    ApiError::BadRequest(format!("{action} issue seen - {reason}."))
}

/// Checks a validated create-secret body (`has_payload`: it carries one). Changes nothing.
pub async fn check(app: &App, body: &Map<String, Value>, has_payload: bool) -> ApiResult<()> {
    if !has_payload {
        let needed = body.get("transport_key_needed").and_then(Value::as_str);
        if needed.is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            return Err(refused("Secret creation", "Secret store supported plugin not found"));
        }
        return Ok(());
    }
    match body.get("transport_key_id").and_then(Value::as_str) {
        Some(id) => Err(wrapped_payload(app, "Secret creation", id).await?),
        None => Ok(()),
    }
}

/// `PUT /v1/secrets/{id}?transport_key_id=`: checked after the payload is read, as Barbican's
/// `store_secret` checks it. Changes nothing.
pub async fn check_put(app: &App, transport_key_id: Option<&str>) -> ApiResult<()> {
    match transport_key_id {
        Some(id) => Err(wrapped_payload(app, "Secret update", id).await?),
        None => Ok(()),
    }
}

/// Why a payload wrapped with transport key `id` is refused: the key is unknown, or no store
/// takes it.
async fn wrapped_payload(app: &App, action: &str, id: &str) -> ApiResult<ApiError> {
    let key = match uuid::Uuid::try_parse(id) {
        Ok(id) => transport_keys::find(&mut app.db.acquire().await?, id).await?,
        Err(_) => None,
    };
    Ok(match key {
        None => refused(action, "Provided transport key was not found"),
        Some(_) => refused(action, "No plugin was found that could support your request"),
    })
}
