//! The `Secret Consumer` schema: `service` and `resource_type` (1–255 characters) and
//! `resource_id` (at least 1), all required; other properties are ignored.

use portcullis_store::secret_consumers::ConsumerKey;
use serde_json::{Map, Value};

use crate::body::SchemaName;
use crate::error::ApiResult;
use crate::schema::Fields;

pub const SCHEMA: &str = "Secret Consumer";

pub struct ConsumerSchema;
impl SchemaName for ConsumerSchema {
    const NAME: &'static str = SCHEMA;
}

/// Required properties, in the order jsonschema reports them missing.
const REQUIRED: [&str; 3] = ["service", "resource_type", "resource_id"];

/// Validates a consumer body (POST and DELETE) into the consumer it names. Errors come in
/// jsonschema's order: the first missing property (a top-level error, hence
/// `Invalid property: 'None'`), then per property, greatest name first.
pub fn consumer(body: Map<String, Value>) -> ApiResult<ConsumerKey> {
    let f = Fields::new(SCHEMA, &body);
    if let Some(missing) = REQUIRED.iter().find(|name| !body.contains_key(**name)) {
        return Err(f.err(format!("'{missing}' is a required property"), "None"));
    }
    let field = |name: &str, max_len: usize| -> ApiResult<String> {
        let text = f.string(name, max_len, false)?.unwrap_or_default();
        if text.is_empty() {
            return Err(f.err("'' should be non-empty", name));
        }
        Ok(text)
    };
    Ok(ConsumerKey {
        service: field("service", 255)?,
        resource_type: field("resource_type", 255)?,
        resource_id: field("resource_id", usize::MAX)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use serde_json::json;

    fn err(v: Value) -> String {
        // The body as a request delivers it: parsed and stripped.
        match consumer(crate::body::json_object(&serde_json::to_vec(&v).unwrap(), SCHEMA).unwrap()) {
            Err(ApiError::Schema { reason, property, .. }) => format!("{reason} | {property}"),
            Err(e) => format!("{e}"),
            Ok(_) => "accepted".into(),
        }
    }

    #[test]
    fn errors_in_jsonschema_order() {
        assert_eq!(err(json!({})), "'service' is a required property | None");
        assert_eq!(err(json!({"service": 1})), "'resource_type' is a required property | None");
        assert_eq!(
            err(json!({"service": 1, "resource_type": 2, "resource_id": 3})),
            "1 is not of type 'string' | service"
        );
        assert_eq!(
            err(json!({"service": "a", "resource_type": " ", "resource_id": ""})),
            "'' should be non-empty | resource_type"
        );
        assert_eq!(
            err(json!({"service": "a", "resource_type": "b", "resource_id": null})),
            "None is not of type 'string' | resource_id"
        );
        assert_eq!(
            err(json!({"service": "s".repeat(256), "resource_type": "b", "resource_id": "c"})),
            format!("'{}' is too long | service", "s".repeat(256))
        );
        assert_eq!(err(json!({"service": " a ", "resource_type": "b", "resource_id": "c", "extra": 1})), "accepted");
    }
}
