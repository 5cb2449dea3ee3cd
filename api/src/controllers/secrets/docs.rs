//! The secrets resource as the OpenAPI document describes it: request bodies, responses and
//! query parameters, as documented types (the handlers read raw JSON; these exist for the
//! document only, see [`crate::openapi`]).
//!
//! The schemas say what the validators in [`super::validate`] and [`super::list`] accept, so a
//! client (or a fuzzer) that follows them is not refused for the shape of its request. JSON
//! Schema keywords utoipa has no field for (`not`) go through schema extensions, which are
//! serialized inline: see [`with_not`].

use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

mod future;
mod query;
pub use query::{DeleteQuery, Paging, PutQuery, SecretListQuery};

/// The characters Rust's `str::trim` removes, as a regex class body: the server strips every
/// request string of them before checking it.
const WS: &str = r"\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// Whitespace as the server strips it, repeated.
pub fn ws() -> String {
    format!("[{WS}]*")
}

/// A string that is not blank once stripped.
pub fn not_blank() -> String {
    format!("[^{WS}]")
}

/// A calendar date `YYYY-MM-DD` (every one of them valid, 29 February in leap years only).
const DATE: &str = concat!(
    r"(?:\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)",
    r"|02-(?:0[1-9]|1\d|2[0-8]))|(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)",
);

/// What may follow a date: `THH:MM`, `THH:MM:SS`, a fraction of a second and an offset.
const TIME: &str = r"(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?)?)?";

/// The date-times the server parses, each a valid one (it reads a few more spellings).
pub fn timestamp() -> String {
    format!("{DATE}{TIME}")
}

/// The timestamps the server writes: UTC without an offset, microseconds when not zero.
pub const TIMESTAMP_OUT: &str = r"^[+-]?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{6})?$";

/// Adds JSON Schema's `not` to `object`.
pub fn with_not(mut object: Object, not: Value) -> Object {
    object.extensions.get_or_insert_with(Extensions::default).insert("not".into(), not);
    object
}

/// A string schema.
pub fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).description(Some(description))
}

/// A property that must be absent: no value satisfies it.
pub fn absent(description: &str) -> Object {
    with_not(ObjectBuilder::new().schema_type(SchemaType::AnyValue).description(Some(description)).build(), json!({}))
}

/// A timestamp the server wrote.
pub fn timestamp_out(description: &str) -> Object {
    string(description).pattern(Some(TIMESTAMP_OUT)).examples([json!("2026-11-24T14:58:07.512406")]).build()
}

/// A new secret's `expiration`; an order's `meta.expiration` too (same rules).
pub fn expiration() -> Object {
    let ws = ws();
    // What the server refuses as past cannot be a fixed pattern: see `future`.
    let first = chrono::Utc::now().date_naive() + chrono::Days::new(2);
    let date = future::dates_from(first);
    string(&format!(
        "When the secret expires: ISO 8601, a date or a date and time (UTC unless it has an offset). It must \
         be in the future (400 `'expiration' is before current time`); the pattern admits the dates from {first} \
         on, two days after this document was made. Empty means never."
    ))
    .max_length(Some(255))
    .pattern(Some(format!("^{ws}(?:{date}{TIME})?{ws}$")))
    .examples([json!("2030-01-01T00:00:00Z")])
    .build()
}

fn text_payload() -> Object {
    string(
        "The secret, as text. At most `max_secret_bytes` bytes (20000 by default; more is 413); \
         not blank (400 `If 'payload' specified, must be non empty`).",
    )
    .pattern(Some(not_blank()))
    .examples([json!("s3cr3t")])
    .build()
}

/// Base64 as leniently as the server (and Python's `b64decode`) decodes it: characters outside
/// the alphabet are skipped, `=` ends a group of two or three, only an incomplete last group is
/// an error; and not blank.
fn base64_payload() -> Object {
    let (a, i, j) = ("[A-Za-z0-9+/]", "[^A-Za-z0-9+/]", "[^A-Za-z0-9+/=]");
    let group = format!("{a}{i}*{a}{j}*(?:=|{a}{j}*[A-Za-z0-9+/=])");
    let ws = ws();
    string(
        "The secret's bytes, base64-encoded. At most `max_secret_bytes` characters (20000 by default; \
         more is 413); not blank. Characters outside the base64 alphabet are skipped, as Python's \
         `b64decode` skips them; an incomplete last group is 400 `Invalid payload for payload_content_encoding`.",
    )
    .pattern(Some(format!("^(?:{i}*(?:{group}{i}*)+|{ws}[^A-Za-z0-9+/{WS}]{i}*)$")))
    .examples([json!("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")])
    .build()
}

fn absent_payload() -> Object {
    absent("Absent in this form: a body with `payload` takes one of the other two.")
}

fn absent_without_payload() -> Object {
    absent("Not allowed without `payload` (400 `payload must be provided when payload_content_type is specified`).")
}

fn absent_with_text() -> Object {
    absent("Not allowed with a text payload (400 `payload_content_encoding is not one of None`).")
}

fn absent_with_payload() -> Object {
    absent("Not allowed with a payload: no configured secret store supports transport keys (400).")
}

/// The kind of secret (`opaque` when a new secret does not say).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SecretType {
    Symmetric,
    Passphrase,
    Private,
    Public,
    Certificate,
    Opaque,
}

/// What all three forms of a new secret share. String values are stripped of surrounding
/// whitespace before they are checked.
#[derive(ToSchema)]
pub struct SecretAttributes {
    /// A human-readable name; need not be unique.
    #[schema(max_length = 255, example = "db-password")]
    pub name: Option<String>,
    #[schema(required = false, inline)]
    pub secret_type: SecretType,
    /// The algorithm the secret is for (free text).
    #[schema(required = false, max_length = 255, example = "aes")]
    pub algorithm: String,
    /// Its length in bits.
    #[schema(required = false, minimum = 1, maximum = 32767, example = 256)]
    pub bit_length: i32,
    /// The algorithm's mode (free text).
    #[schema(required = false, max_length = 255, example = "cbc")]
    pub mode: String,
    #[schema(required = false, schema_with = expiration)]
    pub expiration: String,
}

/// The text content types (case and whitespace are ignored).
#[derive(ToSchema)]
pub enum TextContentType {
    #[serde(rename = "text/plain")]
    TextPlain,
    #[serde(rename = "text/plain;charset=utf-8")]
    TextPlainUtf8,
    #[serde(rename = "text/plain; charset=utf-8")]
    TextPlainUtf8Spaced,
}

/// The binary content types (case and whitespace are ignored).
#[derive(ToSchema)]
pub enum BinaryContentType {
    #[serde(rename = "application/octet-stream")]
    OctetStream,
    #[serde(rename = "application/pkcs8")]
    Pkcs8,
}

/// How a payload sent in JSON is encoded: only `base64`, for a binary payload (accepted and
/// unused without one).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PayloadEncoding {
    Base64,
}

/// `"false"`: without a payload, asking for a transport key is 400 (no configured store has
/// one).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TransportKeyNotNeeded {
    False,
}

/// `"true"` or `"false"`; with a payload it changes nothing.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TransportKeyNeeded {
    True,
    False,
}

/// A secret without a payload: the payload follows with `PUT /v1/secrets/{id}`.
#[derive(ToSchema)]
pub struct NewSecretWithoutPayload {
    #[serde(flatten)]
    pub attributes: SecretAttributes,
    #[schema(schema_with = absent_payload)]
    pub payload: Option<String>,
    #[schema(schema_with = absent_without_payload)]
    pub payload_content_type: Option<String>,
    #[schema(required = false, inline)]
    pub payload_content_encoding: PayloadEncoding,
    #[schema(required = false, inline)]
    pub transport_key_needed: TransportKeyNotNeeded,
    /// Accepted and unused without a payload.
    #[schema(required = false)]
    pub transport_key_id: String,
}

/// A secret with a text payload, stored as `text/plain` and served as UTF-8.
#[derive(ToSchema)]
pub struct NewSecretWithText {
    #[serde(flatten)]
    pub attributes: SecretAttributes,
    #[schema(schema_with = text_payload)]
    pub payload: String,
    #[schema(inline)]
    pub payload_content_type: TextContentType,
    #[schema(schema_with = absent_with_text)]
    pub payload_content_encoding: Option<String>,
    #[schema(required = false, inline)]
    pub transport_key_needed: TransportKeyNeeded,
    #[schema(schema_with = absent_with_payload)]
    pub transport_key_id: Option<String>,
}

/// A secret with a binary payload, sent base64-encoded.
#[derive(ToSchema)]
pub struct NewSecretWithBytes {
    #[serde(flatten)]
    pub attributes: SecretAttributes,
    #[schema(schema_with = base64_payload)]
    pub payload: String,
    #[schema(inline)]
    pub payload_content_type: BinaryContentType,
    #[schema(inline)]
    pub payload_content_encoding: PayloadEncoding,
    #[schema(required = false, inline)]
    pub transport_key_needed: TransportKeyNeeded,
    #[schema(schema_with = absent_with_payload)]
    pub transport_key_id: Option<String>,
}

/// The body of `POST /v1/secrets`: one of three forms, told apart by `payload` and
/// `payload_content_type`. Other properties are ignored.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum NewSecret {
    WithoutPayload(NewSecretWithoutPayload),
    WithText(NewSecretWithText),
    WithBytes(NewSecretWithBytes),
}

/// Where the new secret is.
#[derive(ToSchema)]
#[schema(example = json!({"secret_ref": "http://127.0.0.1:9311/v1/secrets/2e1d5044-224b-4c91-9840-81f9286fa0ae"}))]
pub struct SecretRef {
    #[schema(format = "uri")]
    pub secret_ref: String,
}

/// A consumer as a secret lists it.
#[derive(ToSchema)]
pub struct SecretConsumerBrief {
    pub service: String,
    pub resource_type: String,
    pub resource_id: String,
}

/// The content types of a secret's payload.
#[derive(ToSchema)]
pub enum StoredContentType {
    #[serde(rename = "text/plain")]
    TextPlain,
    #[serde(rename = "application/octet-stream")]
    OctetStream,
    #[serde(rename = "application/pkcs8")]
    Pkcs8,
}

/// The payload's content type, under `default`.
#[derive(ToSchema)]
pub struct ContentTypes {
    #[schema(inline)]
    pub default: StoredContentType,
}

fn created() -> Object {
    timestamp_out("When it was created (UTC).")
}

fn updated() -> Object {
    timestamp_out("When it was last changed (UTC).")
}

fn expiration_out() -> Object {
    let mut schema = timestamp_out("When the secret expires (UTC), or null.");
    schema.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    schema
}

/// A secret's metadata, as Barbican shows it.
#[derive(ToSchema)]
#[schema(example = json!({
    "created": "2026-11-24T14:58:07.512406", "updated": "2026-11-24T14:58:07.512406",
    "status": "ACTIVE", "name": "db-password", "secret_type": "opaque", "expiration": null,
    "algorithm": null, "bit_length": null, "mode": null, "creator_id": null, "consumers": [],
    "content_types": {"default": "text/plain"},
    "secret_ref": "http://127.0.0.1:9311/v1/secrets/2e1d5044-224b-4c91-9840-81f9286fa0ae"
}))]
pub struct Secret {
    #[schema(schema_with = created)]
    pub created: String,
    #[schema(schema_with = updated)]
    pub updated: String,
    /// Always `ACTIVE`.
    pub status: String,
    #[schema(required = true)]
    pub name: Option<String>,
    #[schema(inline)]
    pub secret_type: SecretType,
    #[schema(schema_with = expiration_out, required = true)]
    pub expiration: Option<String>,
    #[schema(required = true)]
    pub algorithm: Option<String>,
    #[schema(required = true)]
    pub bit_length: Option<i32>,
    #[schema(required = true)]
    pub mode: Option<String>,
    /// The user who created it, when known.
    #[schema(required = true)]
    pub creator_id: Option<String>,
    /// Its consumers; present from microversion 1.1 on (and in consumer writes' answers).
    #[schema(required = false)]
    pub consumers: Vec<SecretConsumerBrief>,
    /// Present once the secret has a payload.
    #[schema(required = false)]
    pub content_types: ContentTypes,
    #[schema(format = "uri")]
    pub secret_ref: String,
}

/// A page of secrets. `next` and `previous` link the neighbouring pages, with the same filters.
#[derive(ToSchema)]
pub struct SecretList {
    pub secrets: Vec<Secret>,
    /// How many secrets match, over all pages.
    pub total: i64,
    #[schema(required = false, format = "uri")]
    pub next: String,
    #[schema(required = false, format = "uri")]
    pub previous: String,
}

/// A payload as text, UTF-8.
#[derive(ToSchema)]
#[schema(value_type = String, example = "s3cr3t")]
pub struct PayloadText(pub String);

/// A payload as raw bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PayloadBytes(pub Vec<u8>);

/// A payload to upload as text: UTF-8, not empty.
#[derive(ToSchema)]
#[schema(value_type = String, min_length = 1, example = "s3cr3t")]
pub struct NewPayloadText(pub String);

/// A payload to upload as bytes, not empty (or, with `Content-Encoding: base64`, their base64
/// text).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary, min_length = 1)]
pub struct NewPayloadBytes(pub Vec<u8>);

/// Barbican's error body for a payload that cannot be served as asked: `description` is null
/// when the `Accept` value is not a payload type at all.
#[derive(ToSchema)]
#[schema(example = json!({"code": 406, "title": "Not Acceptable", "description": null}))]
pub struct NotAcceptableBody {
    pub code: u16,
    pub title: String,
    #[schema(required = true)]
    pub description: Option<String>,
}
