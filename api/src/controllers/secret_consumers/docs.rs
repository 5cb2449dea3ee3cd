//! Secret consumers as the OpenAPI document describes them: the `Secret Consumer` body, exactly
//! as [`super::validate`] checks it, and a consumer as the routes show it.

use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;

use crate::controllers::secrets::docs::{not_blank, string, timestamp_out};

fn service() -> Object {
    string("The consuming service, e.g. `nova`: 1 to 255 characters, not blank.")
        .pattern(Some(not_blank()))
        .max_length(Some(255))
        .examples([json!("image")])
        .build()
}

fn resource_type() -> Object {
    string("The kind of resource that uses the secret: 1 to 255 characters, not blank.")
        .pattern(Some(not_blank()))
        .max_length(Some(255))
        .examples([json!("image")])
        .build()
}

fn resource_id() -> Object {
    string("The id of that resource: not blank.")
        .pattern(Some(not_blank()))
        .examples([json!("123e4567-e89b-12d3-a456-426614174000")])
        .build()
}

/// A consumer, as registered (`POST`) or named for removal (`DELETE`). The three together
/// identify it; strings are stripped of surrounding whitespace, other properties are ignored.
#[derive(ToSchema)]
#[schema(example = json!({"service": "image", "resource_type": "image", "resource_id": "123e4567-e89b-12d3-a456-426614174000"}))]
pub struct SecretConsumerBody {
    #[schema(schema_with = service)]
    pub service: String,
    #[schema(schema_with = resource_type)]
    pub resource_type: String,
    #[schema(schema_with = resource_id)]
    pub resource_id: String,
}

fn created() -> Object {
    timestamp_out("When it was registered (UTC).")
}

fn updated() -> Object {
    timestamp_out("When it was last registered again (UTC).")
}

/// A consumer of a secret.
#[derive(ToSchema)]
#[schema(example = json!({
    "created": "2026-11-24T14:58:07.568580", "updated": "2026-11-24T14:58:07.568580", "status": "ACTIVE",
    "service": "image", "resource_type": "image", "resource_id": "123e4567-e89b-12d3-a456-426614174000"
}))]
pub struct SecretConsumer {
    #[schema(schema_with = created)]
    pub created: String,
    #[schema(schema_with = updated)]
    pub updated: String,
    /// Always `ACTIVE`.
    pub status: String,
    pub service: String,
    pub resource_type: String,
    pub resource_id: String,
}

/// A page of consumers, oldest first. `next` and `previous` link the neighbouring pages.
#[derive(ToSchema)]
pub struct SecretConsumerList {
    pub consumers: Vec<SecretConsumer>,
    /// How many consumers the secret has, over all pages.
    pub total: i64,
    #[schema(required = false, format = "uri")]
    pub next: String,
    #[schema(required = false, format = "uri")]
    pub previous: String,
}
