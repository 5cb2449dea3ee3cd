//! The `SecretMetadata` (`PUT /metadata`) and `SecretMetadatum` (`POST /metadata`,
//! `PUT /metadata/{key}`) schemas, with Barbican's checks in Barbican's order.

use serde_json::{Map, Value};

use crate::body::SchemaName;
use crate::error::{ApiError, ApiResult};
use crate::schema::{Fields, py_repr};

pub const METADATA_SCHEMA: &str = "SecretMetadata";
pub const METADATUM_SCHEMA: &str = "SecretMetadatum";

/// Longest key or value: the metadatum schema's `maxLength`, and the width of Barbican's columns.
pub const MAX_LEN: usize = 255;

pub struct MetadataSchema;
impl SchemaName for MetadataSchema {
    const NAME: &'static str = METADATA_SCHEMA;
}

pub struct MetadatumSchema;
impl SchemaName for MetadatumSchema {
    const NAME: &'static str = METADATUM_SCHEMA;
}

fn invalid_key() -> ApiError {
    ApiError::BadRequest("Invalid Key. Key must be URL safe.".into())
}

/// Barbican's `^[A-Za-z0-9_-]*$` (the empty key included).
fn url_safe(key: &str) -> bool {
    key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Validates a `{"metadata": {k: v, ...}}` body; returns the pairs with lowercased keys.
pub fn metadata(body: Map<String, Value>) -> ApiResult<Vec<(String, String)>> {
    let f = Fields::new(METADATA_SCHEMA, &body);
    f.require("metadata")?;
    let raw = f.object("metadata")?.cloned().unwrap_or_default();

    // Barbican walks the keys in order, checking each key then its value, and re-inserts a key
    // that is not lowercase under its lowercase form, reading values as they are at that moment:
    // a capitalised spelling (`A`) beats its lowercase twin (`a`) wherever it stands, and among
    // capitalised spellings the last wins. Replaying that on a copy gives the same pairs and the
    // same first error.
    let mut pairs = raw.clone();
    for key in raw.keys() {
        if !url_safe(key) {
            return Err(invalid_key());
        }
        let Some(Value::String(value)) = pairs.get(key).cloned() else {
            return Err(ApiError::BadRequest("Invalid Metadata. Keys and Values must be Strings.".into()));
        };
        let lower = key.to_ascii_lowercase();
        if lower != *key {
            pairs.remove(key);
            pairs.insert(lower, Value::String(value));
        }
    }
    // Every value left is a string: each was checked, or copied from a checked one.
    let out: Vec<(String, String)> =
        pairs.into_iter().filter_map(|(k, v)| if let Value::String(s) = v { Some((k, s)) } else { None }).collect();
    // Not a Barbican check (its schema has no limit here; its database refuses with a 500): our
    // limit, worded as the schema would word it.
    for (key, value) in &out {
        if let Some(long) = [key, value].into_iter().find(|t| t.chars().count() > MAX_LEN) {
            return Err(f.err(format!("{} is too long", py_repr(&Value::String(long.clone()))), "metadata"));
        }
    }
    Ok(out)
}

/// Validates a `{"key": k, "value": v}` body; returns the lowercased key and the value.
pub fn metadatum(body: Map<String, Value>) -> ApiResult<(String, String)> {
    let f = Fields::new(METADATUM_SCHEMA, &body);
    f.deny_unknown(&["key", "value"])?;
    // jsonschema reports the error of the greatest property name first: `value` before `key`.
    let value = required_string(&f, "value")?;
    let key = required_string(&f, "key")?;
    if !url_safe(&key) {
        return Err(invalid_key());
    }
    Ok((key.to_ascii_lowercase(), value))
}

fn required_string(f: &Fields<'_>, name: &str) -> ApiResult<String> {
    f.require(name)?;
    Ok(f.string(name, MAX_LEN, false)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The body as a request delivers it: parsed and stripped.
    fn obj(v: Value) -> Map<String, Value> {
        crate::body::json_object(&serde_json::to_vec(&v).unwrap(), METADATA_SCHEMA).unwrap()
    }

    fn message(e: ApiError) -> String {
        match e {
            ApiError::Schema { reason, property, .. } => format!("{reason} | {property}"),
            ApiError::BadRequest(d) => d,
            other => format!("{other}"),
        }
    }

    #[test]
    fn metadata_replays_barbican_lowercasing() {
        let mut got = metadata(obj(json!({"metadata": {"A": "1", "a": "2", "Mixed_Key-1": " v "}}))).unwrap();
        got.sort();
        assert_eq!(got, vec![("a".into(), "1".into()), ("mixed_key-1".into(), "v".into())]);
        let mut got = metadata(obj(json!({"metadata": {"a": "2", "A": "1"}}))).unwrap();
        got.sort();
        assert_eq!(got, vec![("a".into(), "1".into())]);
    }

    #[test]
    fn metadata_errors_in_barbican_order() {
        let err = |v: Value| message(metadata(obj(v)).unwrap_err());
        assert_eq!(err(json!({})), "'metadata' is a required property | metadata");
        assert_eq!(err(json!({"metadata": " x "})), "'x' is not of type 'object' | metadata");
        assert_eq!(
            err(json!({"metadata": {"ok": 1, "bad key": "x"}})),
            "Invalid Metadata. Keys and Values must be Strings."
        );
        assert_eq!(err(json!({"metadata": {"bad key": 1}})), "Invalid Key. Key must be URL safe.");
        assert_eq!(
            err(json!({"metadata": {"k": "v".repeat(256)}})),
            format!("'{}' is too long | metadata", "v".repeat(256))
        );
    }

    #[test]
    fn metadatum_errors_in_jsonschema_order() {
        let err = |v: Value| message(metadatum(obj(v)).unwrap_err());
        assert_eq!(err(json!({})), "'value' is a required property | value");
        assert_eq!(err(json!({"key": 1})), "'value' is a required property | value");
        assert_eq!(err(json!({"value": 1})), "1 is not of type 'string' | value");
        assert_eq!(err(json!({"value": "v"})), "'key' is a required property | key");
        assert_eq!(
            err(json!({"key": 1, "value": "v", "x": 1})),
            "Additional properties are not allowed ('x' was unexpected) | None"
        );
        assert_eq!(err(json!({"key": "a b", "value": "v"})), "Invalid Key. Key must be URL safe.");
        assert_eq!(
            metadatum(obj(json!({"key": " Shape ", "value": " round "}))).unwrap(),
            ("shape".into(), "round".into())
        );
    }
}
