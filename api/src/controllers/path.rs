//! Path parameters of secret routes that always fail as Barbican-shaped JSON.

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `Path<T>`, except that a parameter axum cannot decode (bad percent-encoding, invalid UTF-8)
/// is a JSON 404 naming what was not found, instead of axum's plain-text 400: such an id or key
/// cannot exist.
pub struct SecretPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for SecretPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(t)) => Ok(SecretPath(t)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let param = match e.kind() {
                    axum::extract::path::ErrorKind::InvalidUtf8InPathParam { key } => key.as_str(),
                    _ => "id",
                };
                Err(ApiError::NotFound(match param {
                    "key" => "Secret metadata not found.".into(),
                    "consumer_id" => "Not Found. Provided consumer id is invalid.".into(),
                    _ => "Not Found. Provided secret id is invalid.".into(),
                }))
            }
            Err(other) => Err(ApiError::Internal(anyhow::anyhow!("path parameters: {other}"))),
        }
    }
}
