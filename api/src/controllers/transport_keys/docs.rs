//! The documented shapes of `/v1/transport_keys` bodies, for the OpenAPI document only (the
//! handlers read and write raw JSON; see `create.rs` for the checks these describe).

// Built by the document's schema functions only, never as values.
#![allow(dead_code)]

use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// `POST /v1/transport_keys`: a public key to publish. String values are stripped of
/// surrounding whitespace before they are checked; other properties are ignored.
#[derive(ToSchema)]
#[schema(example = json!({
    "plugin_name": "simple_crypto",
    "transport_key": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"
}))]
pub struct TransportKeyCreate {
    /// The plugin the key is for: 1 to 255 characters, not all whitespace, no NUL.
    #[schema(
        max_length = 255,
        pattern = r"^[^\u0000]*[^\u0000\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$"
    )]
    pub plugin_name: String,
    /// One PEM block of a public key or certificate; see [`public_pem`].
    #[schema(schema_with = public_pem)]
    pub transport_key: String,
}

/// `transport_key`: one PEM block of a public key or certificate whose base64 body decodes (the
/// last group padded with zero bits, as the server's decoder wants).
fn public_pem() -> Object {
    let quad = "(?:[A-Za-z0-9+/]{4})";
    let padded = "(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)";
    let body = format!(r"(?:[ \t]*{quad}+[ \t]*\r?\n)*[ \t]*(?:{quad}+{padded}?|{padded})[ \t]*\r?\n");
    let pattern = format!(
        r"^[ \t\r\n]*-----BEGIN (PUBLIC KEY|RSA PUBLIC KEY|CERTIFICATE)-----[ \t]*\r?\n{body}[ \t]*-----END \1-----[ \t\r\n]*$"
    );
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(
            "One PEM block of a public key or certificate (`PUBLIC KEY`, `RSA PUBLIC KEY` or `CERTIFICATE`) \
             with a base64 body. A private key is refused: every caller can read transport keys.",
        ))
        .build()
}

/// The answer to a create: where the new key is.
#[derive(ToSchema)]
#[schema(example = json!({"transport_key_ref": "http://127.0.0.1:9311/v1/transport_keys/8b2a4f57-8c6f-4f0b-a0f5-07e5d5a3f2c1"}))]
pub struct TransportKeyRef {
    #[schema(format = "uri")]
    pub transport_key_ref: String,
}

/// One transport key, with its PEM text.
#[derive(ToSchema)]
#[schema(example = json!({
    "transport_key_ref": "http://127.0.0.1:9311/v1/transport_keys/8b2a4f57-8c6f-4f0b-a0f5-07e5d5a3f2c1",
    "plugin_name": "simple_crypto",
    "transport_key": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n",
    "status": "ACTIVE",
    "created": "2026-01-31T12:00:00.123456",
    "updated": "2026-01-31T12:00:00.123456"
}))]
pub struct TransportKey {
    #[schema(format = "uri")]
    pub transport_key_ref: String,
    pub plugin_name: String,
    /// The PEM text as registered (stripped of surrounding whitespace).
    pub transport_key: String,
    /// Always `ACTIVE` (deleted keys are not shown).
    #[schema(example = "ACTIVE")]
    pub status: String,
    /// When it was registered: naive UTC ISO 8601, as Barbican writes times.
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$")]
    pub created: String,
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$")]
    pub updated: String,
}

/// A page of transport keys, oldest first: their refs only.
#[derive(ToSchema)]
#[schema(example = json!({
    "transport_keys": ["http://127.0.0.1:9311/v1/transport_keys/8b2a4f57-8c6f-4f0b-a0f5-07e5d5a3f2c1"],
    "total": 1
}))]
pub struct TransportKeyList {
    /// Each key's `transport_key_ref`.
    pub transport_keys: Vec<String>,
    /// How many keys match, over every page.
    pub total: i64,
    /// The next page, when there is one.
    #[schema(format = "uri")]
    pub next: Option<String>,
    /// The previous page, when this one is not the first.
    #[schema(format = "uri")]
    pub previous: Option<String>,
}
