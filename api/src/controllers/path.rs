//! [`IdPath`]: the path parameters of every `/v1` route, failing as Barbican-shaped JSON.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, MatchedPath, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::controllers::{cas, certificate_requests, invalid_id, jobs, orders, quotas, secret_stores};
use crate::error::ApiError;

/// `Path<T>`, except that a parameter axum cannot decode (bad percent-encoding, invalid UTF-8)
/// is the route's own JSON 404, the one it gives for an id that does not exist, instead of
/// axum's plain-text 400: such an id cannot exist.
pub struct IdPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for IdPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(t)) => Ok(IdPath(t)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let param = match e.kind() {
                    ErrorKind::InvalidUtf8InPathParam { key } => key.as_str(),
                    _ => "id",
                };
                let route = parts.extensions.get::<MatchedPath>().map_or("", MatchedPath::as_str);
                Err(undecodable(route, param))
            }
            Err(other) => Err(ApiError::Internal(anyhow::anyhow!("path parameters: {other}"))),
        }
    }
}

/// The 404 for an undecodable `param` of `route`.
fn undecodable(route: &str, param: &str) -> ApiError {
    match param {
        "key" => return ApiError::NotFound("Secret metadata not found.".into()),
        "consumer_id" => return invalid_id("consumer"),
        _ => {}
    }
    let resource = route.strip_prefix("/v1/").unwrap_or(route);
    let prefix = |p: &str| resource.starts_with(p);
    if prefix("secrets/") {
        invalid_id("secret")
    } else if prefix("containers/") {
        invalid_id("container")
    } else if prefix("transport_keys/") {
        invalid_id("transport key")
    } else if prefix("orders/") {
        orders::order_not_found()
    } else if prefix("cas/") {
        cas::ca_not_found()
    } else if prefix("admin/certificate-requests/") {
        certificate_requests::not_found()
    } else if prefix("admin/jobs/") {
        jobs::not_found()
    } else if prefix("project-quotas/") {
        quotas::project::not_found()
    } else if prefix("secret-stores/") {
        secret_stores::store_not_found()
    } else {
        ApiError::NotFound("".into())
    }
}
