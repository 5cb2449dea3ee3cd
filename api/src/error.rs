//! [`ApiError`]: every failure a handler can return, rendered as Barbican's error body
//! `{"code": N, "title": "...", "description": "..."}`. Internal causes are logged, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_store::VaultError;
use serde_json::json;

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request body that does not satisfy a resource's schema, worded as Barbican's validator:
    /// `Provided object does not match schema '<schema>': <reason>. Invalid property: '<property>'`.
    #[error("schema {schema}: {reason} ({property})")]
    Schema { schema: &'static str, reason: String, property: String },
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No valid credentials (`auth = jwt`): 401 with a `WWW-Authenticate: Bearer` challenge.
    /// `token_presented` adds `error="invalid_token"` to the challenge (RFC 6750 §3.1).
    #[error("unauthorized: {description}")]
    Unauthorized { description: String, token_presented: bool },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// Body or payload over the configured limits.
    #[error("request too large")]
    TooLarge,
    /// Too large, worded for an operation (`Secret update issue seen - Provided information too
    /// large to process.`).
    #[error("request too large: {0}")]
    TooLargeDetail(String),
    /// Request `Content-Type` not among the listed ones.
    #[error("unsupported media type")]
    UnsupportedMediaType(&'static [&'static str]),
    /// No representation matches `Accept`, or the microversion is not served.
    #[error("not acceptable")]
    NotAcceptable(Option<String>),
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    /// The database is unreachable or saturated: the client may retry.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The database's disk is full. 507 rather than 503: it lasts until an operator frees space,
    /// so a prompt retry will not help, and the status says which resource ran out.
    #[error("storage full: {0}")]
    StorageFull(String),
    /// A stored ciphertext failed authentication: tampered with or moved between rows.
    #[error("stored payload failed integrity verification")]
    Integrity,
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn schema(schema: &'static str, reason: impl Into<String>, property: impl Into<String>) -> Self {
        Self::Schema { schema, reason: reason.into(), property: property.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Schema { .. } | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge | Self::TooLargeDetail(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            Self::Integrity | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn description(&self) -> serde_json::Value {
        match self {
            Self::Schema { schema, reason, property } => {
                format!("Provided object does not match schema '{schema}': {reason}. Invalid property: '{property}'")
                    .into()
            }
            Self::BadRequest(d)
            | Self::Unauthorized { description: d, .. }
            | Self::NotFound(d)
            | Self::Forbidden(d)
            | Self::Conflict(d)
            | Self::TooLargeDetail(d) => d.clone().into(),
            Self::TooLarge => "Provided information too large to process".into(),
            Self::UnsupportedMediaType(types) => {
                let list: Vec<String> = types.iter().map(|t| format!("'{t}'")).collect();
                format!("Unexpected content type. Expected content types are: [{}]", list.join(", ")).into()
            }
            Self::NotAcceptable(d) => d.clone().map(Into::into).unwrap_or(serde_json::Value::Null),
            Self::MethodNotAllowed(_) => "".into(),
            Self::Unavailable(_) => {
                "The service is temporarily unavailable: its database cannot be reached. Retry later.".into()
            }
            Self::StorageFull(_) => {
                "The service's storage is full: nothing can be written until the operator frees space.".into()
            }
            Self::Integrity => "The secret's stored payload failed integrity verification and cannot be decrypted. \
                                It was altered or moved outside Portcullis; contact the operator."
                .into(),
            Self::Internal(_) => {
                "An unexpected error occurred. It has been logged; retry later or contact the operator.".into()
            }
        }
    }
}

/// The title Barbican (webob) gives a status. These are the standard reason phrases, except
/// where webob kept the RFC 2616 names.
pub fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        416 => "Request Range Not Satisfiable",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

/// Barbican's error body for `status`, with `description`.
pub fn error_body(status: StatusCode, description: serde_json::Value) -> Response {
    let title = title(status);
    (status, Json(json!({"code": status.as_u16(), "title": title, "description": description}))).into_response()
}

impl ApiError {
    /// The response for this error (for layers that need a concrete response type).
    pub fn into_response_body(self) -> Response {
        self.into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(e) => tracing::error!(error = ?e, "request failed"),
            Self::Unavailable(e) => tracing::warn!(error = %e, "database unavailable"),
            Self::StorageFull(e) => tracing::error!(error = %e, "the database's storage is full"),
            Self::Integrity => tracing::error!("a stored ciphertext failed authentication"),
            _ => {}
        }
        let mut resp = error_body(status, self.description());
        match self {
            Self::MethodNotAllowed(allow) => {
                resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            // RFC 6750 §3; keystonemiddleware sends `Keystone uri=...` here, which names a
            // Keystone that this deployment does not have.
            Self::Unauthorized { token_presented, .. } => {
                let challenge = if token_presented {
                    r#"Bearer realm="portcullis", error="invalid_token""#
                } else {
                    r#"Bearer realm="portcullis""#
                };
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
            }
            _ => {}
        }
        resp
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        use portcullis_store::db::{is_storage_full, is_unavailable};
        if is_storage_full(&e) {
            return ApiError::StorageFull(e.to_string());
        }
        match e {
            // The same outages the workers wait out (`is_unavailable`); a closed pool is this
            // process shutting down, which the client may also retry elsewhere.
            ref e if is_unavailable(e) => ApiError::Unavailable(e.to_string()),
            sqlx::Error::PoolClosed => ApiError::Unavailable(e.to_string()),
            // PostgreSQL's text cannot hold NUL (22021); SQLite's can. Bodies reach the database
            // with whatever strings the client sent, so this is the client's error, not ours.
            sqlx::Error::Database(ref db) if db.code().as_deref() == Some("22021") => {
                ApiError::BadRequest("The request holds a NUL character (\\u0000), which cannot be stored.".into())
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

/// A job engine failure: its database errors are answered as any other's (an outage is 503).
impl From<portcullis_jobs::JobError> for ApiError {
    fn from(e: portcullis_jobs::JobError) -> Self {
        match e {
            portcullis_jobs::JobError::Sqlx(e) => e.into(),
            other => ApiError::Internal(anyhow::anyhow!("job queue: {other}")),
        }
    }
}

impl From<VaultError> for ApiError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::Db(db) => db.into(),
            VaultError::Crypto(portcullis_plugins::PluginError::Authentication) | VaultError::ForeignKek(_) => {
                ApiError::Integrity
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_barbican() {
        assert_eq!(ApiError::TooLarge.status(), 413);
        assert_eq!(title(StatusCode::PAYLOAD_TOO_LARGE), "Request Entity Too Large");
        assert_eq!(title(StatusCode::UNSUPPORTED_MEDIA_TYPE), "Unsupported Media Type");
        assert_eq!(ApiError::schema("Secret", "x", "y").status(), 400);
        assert_eq!(ApiError::Unavailable("x".into()).status(), 503);
        assert_eq!(ApiError::StorageFull("x".into()).status(), 507);
        assert_eq!(
            ApiError::UnsupportedMediaType(&["application/json"]).description(),
            "Unexpected content type. Expected content types are: ['application/json']"
        );
    }
}
