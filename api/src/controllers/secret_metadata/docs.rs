//! A secret's user metadata as the OpenAPI document describes it: the `SecretMetadata` and
//! `SecretMetadatum` bodies, exactly as [`super::validate`] checks them.

use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use crate::controllers::secrets::docs::{string, ws};

/// A key as a URL names it, or a map key: Barbican's URL-safe characters.
const KEY: &str = "^[A-Za-z0-9_-]*$";

fn metadata_map() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "Key/value pairs. Keys are URL-safe (`A-Z a-z 0-9 _ -`, else 400 `Invalid Key. Key must be URL \
             safe.`) and stored lowercased (a capitalised spelling wins over its lowercase twin); keys and values \
             are at most 255 characters, and values are strings (values are stripped of surrounding whitespace).",
        ))
        .property_names(Some(string("A key.").pattern(Some(KEY)).max_length(Some(255))))
        .additional_properties(Some(string("A value.").max_length(Some(255))))
        .examples([json!({"shape": "round", "color": "red"})])
        .build()
}

fn metadatum_key() -> Object {
    let ws = ws();
    string("The key: URL-safe (`A-Z a-z 0-9 _ -`, else 400), stored lowercased.")
        .pattern(Some(format!("^{ws}[A-Za-z0-9_-]*{ws}$")))
        .max_length(Some(255))
        .examples([json!("shape")])
        .build()
}

/// A secret's metadata: `PUT /v1/secrets/{id}/metadata` replaces every pair with these (other
/// properties of the body are ignored), `GET` lists them.
#[derive(ToSchema)]
pub struct SecretMetadata {
    #[schema(schema_with = metadata_map)]
    pub metadata: std::collections::HashMap<String, String>,
}

/// Where a secret's metadata is.
#[derive(ToSchema)]
#[schema(example = json!({
    "metadata_ref": "http://127.0.0.1:9311/v1/secrets/2e1d5044-224b-4c91-9840-81f9286fa0ae/metadata"
}))]
pub struct SecretMetadataRef {
    #[schema(format = "uri")]
    pub metadata_ref: String,
}

/// One key and its value. Nothing else is allowed in the body.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"key": "shape", "value": "round"}))]
pub struct SecretMetadatum {
    #[schema(schema_with = metadatum_key)]
    pub key: String,
    /// The value, stripped of surrounding whitespace.
    #[schema(max_length = 255)]
    pub value: String,
}

/// One key and its value, as stored.
#[derive(ToSchema)]
#[schema(example = json!({"key": "shape", "value": "round"}))]
pub struct SecretMetadatumView {
    /// The key, lowercase.
    pub key: String,
    pub value: String,
}
