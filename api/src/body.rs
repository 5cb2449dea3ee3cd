//! Request bodies: size limits, content types and JSON, refused with Barbican's errors before a
//! handler sees them.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::schema::py_repr;
use crate::state::AppState;

/// Reads a body of at most `limit` bytes; larger is 413.
pub async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| ApiError::TooLarge)
}

/// The request's media type without parameters, lowercased (`text/plain; charset=utf-8` →
/// `text/plain`), or `None` if absent.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
}

/// Names the Barbican schema a body is validated against, for error messages.
pub trait SchemaName {
    const NAME: &'static str;
}

/// A JSON object body for the schema `S`, read only when the handler calls [`JsonBody::read`]:
/// Barbican enforces the policy before it reads the body, so a refused caller gets its 403/404
/// whatever it sent. `read` refuses: another content type (415), a body over the request limit
/// (413), text that is not JSON (400 "Malformed JSON"), JSON that is not an object (400, worded
/// for `S`). String values come stripped, as Barbican's `load_body` strips them.
pub struct JsonBody<S: SchemaName> {
    req: Request,
    limit: usize,
    schema: std::marker::PhantomData<S>,
}

impl<S: SchemaName> FromRequest<AppState> for JsonBody<S> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        Ok(JsonBody { req, limit: state.config.max_request_bytes, schema: std::marker::PhantomData })
    }
}

impl<S: SchemaName> JsonBody<S> {
    /// Reads and parses the body; call after the policy check.
    pub async fn read(self) -> Result<Map<String, Value>, ApiError> {
        parse_object(self.req, self.limit, S::NAME).await
    }
}

/// The shared parsing of [`JsonBody`].
pub async fn parse_object(req: Request, limit: usize, schema: &'static str) -> Result<Map<String, Value>, ApiError> {
    if media_type(req.headers()).as_deref() != Some("application/json") {
        return Err(ApiError::UnsupportedMediaType(&["application/json"]));
    }
    let bytes = read_limited(req.into_body(), limit).await?;
    json_object(&bytes, schema)
}

/// Parses bytes as a JSON object with every string value stripped: 400 "Malformed JSON" for
/// text that is not JSON, a schema-worded 400 for JSON that is not an object.
pub fn json_object(bytes: &[u8], schema: &'static str) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| ApiError::BadRequest("Malformed JSON".into()))?;
    match value {
        Value::Object(mut map) => {
            map.values_mut().for_each(strip_whitespace);
            Ok(map)
        }
        other => Err(ApiError::schema(schema, format!("{} is not of type 'object'", py_repr(&other)), "None")),
    }
}

/// Barbican's `strip_whitespace`: every string value of a body, at any depth, is stripped of
/// leading and trailing whitespace before validation. Keys are left alone.
pub fn strip_whitespace(v: &mut Value) {
    match v {
        Value::String(s) => {
            let trimmed = s.trim();
            if trimmed.len() != s.len() {
                *s = trimmed.to_owned();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_whitespace),
        Value::Object(map) => map.values_mut().for_each(strip_whitespace),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strips_every_string_value() {
        let mut v = json!({" key ": " a ", "list": [" b", {"c": "c\n"}], "n": 1});
        strip_whitespace(&mut v);
        assert_eq!(v, json!({" key ": "a", "list": ["b", {"c": "c"}], "n": 1}));
    }
}
