//! The documented shapes of `/v1/orders` bodies, for the OpenAPI document only (the handlers
//! validate raw JSON, see [`super::validate`]).
//!
//! `POST /v1/orders` is a `oneOf` by `type`; a certificate order's `meta` is a `oneOf` by
//! `request_type`. What JSON Schema cannot say is in the descriptions and the 400 response: a
//! CSR that must verify, a CA or container that must exist.
//!
//! Also here, shared with the other resources' `docs` modules: [`raw_schema`] and
//! [`with_keywords`] (JSON Schema keywords utoipa has no builder for).

use utoipa::openapi::schema::{Object, OneOf, Schema, SchemaType};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// A schema written as raw JSON Schema, for keywords utoipa has no builder for (`not`, `const`,
/// `if`/`then`, `contains`): every key goes out through the object's flattened extensions.
pub fn raw_schema(keywords: serde_json::Value) -> Schema {
    let mut object = Object::with_type(SchemaType::AnyValue);
    object.extensions = Some(as_map(keywords).into_iter().collect());
    Schema::Object(object)
}

/// `schema` (an object schema) with more raw JSON Schema keywords, as in [`raw_schema`].
pub fn with_keywords(schema: RefOr<Schema>, keywords: serde_json::Value) -> RefOr<Schema> {
    match schema {
        RefOr::T(Schema::Object(mut object)) => {
            object.extensions.get_or_insert_with(Default::default).extend(as_map(keywords));
            RefOr::T(Schema::Object(object))
        }
        other => panic!(
            "with_keywords needs an object schema, got a {}",
            if matches!(other, RefOr::Ref(_)) { "ref" } else { "composite" }
        ),
    }
}

fn as_map(keywords: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match keywords {
        serde_json::Value::Object(map) => map,
        other => panic!("JSON Schema keywords must be an object, got {other}"),
    }
}

/// A `oneOf` of component schemas, by name.
fn one_of(names: &[&str], description: &str) -> RefOr<Schema> {
    let mut one_of = OneOf::new();
    one_of.items = names.iter().map(|n| RefOr::Ref(Ref::from_schema_name(*n))).collect();
    one_of.description = Some(description.into());
    RefOr::T(Schema::OneOf(one_of))
}

/// What Rust's `str::trim` strips (Unicode `White_Space`), which is how request strings are
/// stripped before they are checked. Spelled out: `\s` differs between regex dialects.
const WHITESPACE: &str = r"[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// A string that is not blank once stripped: it has a character outside [`WHITESPACE`]. (Derived
/// fields repeat it literally: utoipa's `pattern` takes a literal.)
const NOT_BLANK: &str = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// The body of `POST /v1/orders`: an order of one of three types, each with its own `meta`.
pub struct OrderCreate;

impl PartialSchema for OrderCreate {
    fn schema() -> RefOr<Schema> {
        one_of(
            &["KeyOrder", "AsymmetricOrder", "CertificateOrder"],
            "An order: `type` says what to generate, `meta` how. Properties the server does not \
             know are accepted and ignored.",
        )
    }
}

impl ToSchema for OrderCreate {
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        out.push(("KeyOrder".into(), KeyOrder::schema()));
        out.push(("AsymmetricOrder".into(), AsymmetricOrder::schema()));
        out.push(("CertificateOrder".into(), CertificateOrder::schema()));
        <KeyOrder as ToSchema>::schemas(out);
        <AsymmetricOrder as ToSchema>::schemas(out);
        <CertificateOrder as ToSchema>::schemas(out);
    }
}

/// A `key` order: a symmetric key, stored as one secret (the order's `secret_ref`).
#[derive(ToSchema)]
#[schema(example = json!({"type": "key", "meta": {
    "name": "db-key", "algorithm": "aes", "bit_length": 256, "mode": "cbc",
    "payload_content_type": "application/octet-stream"
}}))]
pub struct KeyOrder {
    #[schema(rename = "type", inline)]
    pub kind: KeyOrderType,
    pub meta: GeneratedKeyMeta,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum KeyOrderType {
    Key,
}

/// An `asymmetric` order: a key pair, stored as an `rsa` container of `private_key`,
/// `public_key` and, with a passphrase, `private_key_passphrase` (the order's `container_ref`).
#[derive(ToSchema)]
#[schema(example = json!({"type": "asymmetric", "meta": {"name": "signing", "algorithm": "rsa", "bit_length": 2048}}))]
pub struct AsymmetricOrder {
    #[schema(rename = "type", inline)]
    pub kind: AsymmetricOrderType,
    pub meta: GeneratedKeyMeta,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum AsymmetricOrderType {
    Asymmetric,
}

/// A `certificate` order (kept by Portcullis; Barbican removed them): a certificate from a CA,
/// stored as a `certificate` container (the order's `container_ref`).
#[derive(ToSchema)]
#[schema(example = json!({"type": "certificate", "meta": {
    "subject_dn": "CN=www.example.com", "key_type": "ec", "bit_length": 256
}}))]
pub struct CertificateOrder {
    #[schema(rename = "type", inline)]
    pub kind: CertificateOrderType,
    pub meta: CertificateOrderMeta,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum CertificateOrderType {
    Certificate,
}

/// The `meta` of `key` and `asymmetric` orders, checked with a secret's rules (Barbican's
/// `Secret' within 'Order` schema). Whether the algorithm, mode and bit length can be generated
/// is for the worker to find: the order is accepted and ends in ERROR (`error_status_code`
/// "400") if not. Unknown properties are kept and shown back in the order's `meta`.
#[derive(ToSchema)]
pub struct GeneratedKeyMeta {
    /// The generated secrets' name.
    #[schema(max_length = 255)]
    pub name: Option<String>,
    /// Key orders: `aes`, `hmacsha1`, `hmacsha256`, `hmacsha384` or `hmacsha512`. Asymmetric
    /// orders: `rsa`, `ec` or `ed25519`.
    #[schema(
        max_length = 255,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
        example = "aes"
    )]
    pub algorithm: String,
    /// In bits. `aes`: 128, 192, 256 (512 with `xts`); HMAC: 64 to 256; `rsa`: 2048, 3072,
    /// 4096; `ec`: 256, 384; `ed25519`: 256.
    #[schema(minimum = 1, maximum = 32767, multiple_of = 8, example = 256)]
    pub bit_length: i32,
    /// The AES mode: `cbc` (and absent), `ctr`, `gcm` or `xts`. Asymmetric orders ignore it.
    #[schema(max_length = 255, nullable = false, example = "cbc")]
    pub mode: Option<String>,
    #[schema(schema_with = secret_type)]
    pub secret_type: Option<String>,
    // The same rules as a secret's `expiration`.
    #[schema(schema_with = crate::controllers::secrets::docs::expiration)]
    pub expiration: Option<String>,
    #[schema(schema_with = payload_content_type)]
    pub payload_content_type: Option<String>,
    #[schema(schema_with = base64_only)]
    pub payload_content_encoding: Option<String>,
    #[schema(schema_with = transport_key_needed)]
    pub transport_key_needed: Option<String>,
    #[schema(nullable = false)]
    pub transport_key_id: Option<String>,
    #[schema(schema_with = passphrase)]
    pub passphrase: Option<String>,
    #[schema(schema_with = no_payload)]
    pub payload: Option<String>,
}

fn secret_type() -> Schema {
    raw_schema(serde_json::json!({
        "type": "string",
        "enum": ["symmetric", "passphrase", "private", "public", "certificate", "opaque"],
        "description": "Accepted as a secret's `secret_type` is; the generated secrets' types do not depend on it.",
    }))
}

// The fields below are `schema_with` ones: utoipa drops a field's doc comment for them, so their
// descriptions are part of the schema.

fn payload_content_type() -> Schema {
    raw_schema(serde_json::json!({
        "description": "The content type the generated secret is served as (`application/octet-stream` \
            when null or empty). Compared without case and spaces.",
        "type": ["string", "null"],
        "enum": [
            null, "", "text/plain", "text/plain;charset=utf-8", "text/plain; charset=utf-8",
            "application/octet-stream", "application/pkcs8",
        ],
    }))
}

fn base64_only() -> Schema {
    raw_schema(serde_json::json!({
        "description": "Accepted as in a secret's body; it has no effect on a generated secret.",
        "type": "string",
        "enum": ["base64"],
    }))
}

fn transport_key_needed() -> Schema {
    raw_schema(serde_json::json!({"type": "string", "enum": ["true", "false"]}))
}

fn passphrase() -> Schema {
    raw_schema(serde_json::json!({
        "description": "Asymmetric orders: the passphrase the private key is encrypted with, kept as a \
            third secret (`private_key_passphrase`) and never shown in `meta`. Any value is accepted, as \
            Barbican accepts it; a truthy value that is not a string makes the order ERROR. Key orders \
            ignore it.",
    }))
}

fn no_payload() -> Schema {
    raw_schema(serde_json::json!({"description": "Not allowed: an order generates its secret.", "not": {}}))
}

/// The `meta` of a certificate order: [`CertificateMetaCommon`], one variant per `request_type`,
/// and `profile` needing `ca_id`.
pub struct CertificateOrderMeta;

impl PartialSchema for CertificateOrderMeta {
    fn schema() -> RefOr<Schema> {
        with_keywords(
            CertificateMetaCommon::schema(),
            serde_json::json!({
                "oneOf": [
                    {"$ref": "#/components/schemas/CustomCertificateMeta"},
                    {"$ref": "#/components/schemas/StoredKeyCertificateMeta"},
                    {"$ref": "#/components/schemas/SimpleCmcCertificateMeta"},
                ],
                // Blank strings are absent (the body is stripped, then Barbican tests truthiness).
                "if": {"required": ["profile"], "properties": {"profile": {"type": "string", "pattern": NOT_BLANK}}},
                "then": {"required": ["ca_id"], "properties": {"ca_id": {"type": "string", "pattern": NOT_BLANK}}},
            }),
        )
    }
}

impl ToSchema for CertificateOrderMeta {
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        <CertificateMetaCommon as ToSchema>::schemas(out);
        out.push(("CustomCertificateMeta".into(), CustomCertificateMeta::schema()));
        out.push(("StoredKeyCertificateMeta".into(), StoredKeyCertificateMeta::schema()));
        out.push(("SimpleCmcCertificateMeta".into(), SimpleCmcCertificateMeta::schema()));
    }
}

/// A certificate order's `meta`: `request_type` picks the variant (`custom` when absent); the
/// properties here apply to all, null or blank meaning absent. `profile` requires `ca_id`, and a
/// `ca_id` that names no CA is a 400 (`Invalid CA_ID`). Unknown properties are kept and shown
/// back in the order's `meta`.
#[derive(ToSchema)]
pub struct CertificateMetaCommon {
    /// The id of the CA to send the request to (`GET /v1/cas`); the local CA when absent.
    pub ca_id: Option<String>,
    /// A CA-specific certificate profile: `server` (the local CA's default) or `client`.
    /// Requires `ca_id`.
    #[schema(example = "server")]
    pub profile: Option<String>,
    pub requestor_name: Option<String>,
    pub requestor_email: Option<String>,
    pub requestor_phone: Option<String>,
    #[schema(schema_with = null_payload)]
    pub payload: Option<String>,
}

fn null_payload() -> Schema {
    raw_schema(serde_json::json!({
        "description": "Not allowed (null is tolerated): the CA issues the certificate.",
        "type": "null",
    }))
}

/// `custom` (the default `request_type`): a new key pair of `key_type` and `bit_length`, and a
/// certificate for `subject_dn`. The result container also holds the key pair.
#[derive(ToSchema)]
pub struct CustomCertificateMeta {
    #[schema(inline, nullable = false)]
    pub request_type: Option<CustomRequestType>,
    #[schema(schema_with = subject_dn)]
    pub subject_dn: String,
    /// `rsa` (when absent or null) or `ec`; another type makes the order ERROR.
    #[schema(example = "ec")]
    pub key_type: Option<String>,
    /// 2048 for `rsa` and 256 for `ec` when absent or null.
    #[schema(minimum = 1, maximum = 32767, multiple_of = 8, example = 256)]
    pub bit_length: Option<i32>,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum CustomRequestType {
    Custom,
}

/// `stored-key`: a certificate for the key pair of an `rsa` container of the project, which
/// must hold a `private_key` (else a 400 `Invalid container: ...`).
#[derive(ToSchema)]
pub struct StoredKeyCertificateMeta {
    #[schema(inline)]
    pub request_type: StoredKeyRequestType,
    /// The container's URL (`.../v1/containers/{id}`).
    #[schema(
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
        example = "http://localhost:9311/v1/containers/0fc1b52f-2232-454a-af52-518aaba2bf69"
    )]
    pub container_ref: String,
    #[schema(schema_with = subject_dn)]
    pub subject_dn: String,
    #[schema(schema_with = no_extensions)]
    pub extensions: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum StoredKeyRequestType {
    StoredKey,
}

fn no_extensions() -> Schema {
    raw_schema(serde_json::json!({
        "description": "Not supported: only a falsy value (null, false, 0, blank, [], {}) is accepted.",
        "anyOf": [{"enum": [null, false, 0, [], {}]}, {"type": "string", "pattern": format!("^{WHITESPACE}*$")}],
    }))
}

/// `simple-cmc`: a certificate for the client's own PKCS#10 request.
#[derive(ToSchema)]
pub struct SimpleCmcCertificateMeta {
    #[schema(inline)]
    pub request_type: SimpleCmcRequestType,
    /// The CSR: PEM (`-----BEGIN CERTIFICATE REQUEST-----`) or base64 of the PEM. One that does
    /// not parse or whose signature does not verify is a 400 (`Invalid PKCS10 Data: Bad
    /// format`).
    #[schema(pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")]
    pub request_data: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum SimpleCmcRequestType {
    SimpleCmc,
}

/// The DN grammar of `portcullis_plugins::parse_dn`. The pattern allows hex escapes of ASCII
/// bytes only (escaped UTF-8 sequences are accepted too), so it is a little narrower.
fn subject_dn() -> Schema {
    // A value's first and last characters: not special, and not whitespace (the last could be
    // stripped with the DN's surrounding whitespace, the first may not be a space).
    let edge = format!(r##"[^"#+,;<=>\\\x00{}]"##, &WHITESPACE[1..WHITESPACE.len() - 1]);
    const INNER: &str = r##"[^"#+,;<=>\\\x00]"##;
    const ESCAPE: &str = r##"\\(?:[ "#+,;<=>\\\x00]|[0-7][0-9A-Fa-f])"##;
    // An escaped space cannot end the DN: stripping would take the space and leave the `\`.
    const LAST_ESCAPE: &str = r##"\\(?:["#+,;<=>\\\x00]|[0-7][0-9A-Fa-f])"##;
    let value =
        format!("(?:#(?:[0-9A-Fa-f]{{2}})+|(?:(?:{edge}|{ESCAPE})(?:{INNER}|{ESCAPE})*)?(?:{edge}|{LAST_ESCAPE}))");
    let ava = format!("[A-Za-z][A-Za-z0-9-]*={value}");
    raw_schema(serde_json::json!({
        "description": "The certificate's subject, an RFC 4514 DN as `ldap3` reads it: `type=value` pairs \
            joined by `,` (or `+` inside one RDN), no spaces around them; `\"#+,;<=>\\`, NUL, and a leading \
            or trailing space escaped as `\\c` or `\\hh`; or a value of `#` and hex pairs. The CA must be \
            able to write it (known attribute types, each once), or the order ends in ERROR.",
        "type": "string",
        // Surrounding whitespace is stripped before the DN is read.
        "pattern": format!(r"^{WHITESPACE}*{ava}(?:[,+]{ava})*{WHITESPACE}*$"),
        "example": "CN=www.example.com,O=Example",
    }))
}

/// `202` to `POST /v1/orders`: where to poll the order.
#[derive(ToSchema)]
#[schema(example = json!({"order_ref": "http://localhost:9311/v1/orders/680ff290-ff31-46e0-97a9-7763837358fb"}))]
pub struct OrderRef {
    #[schema(example = "http://localhost:9311/v1/orders/680ff290-ff31-46e0-97a9-7763837358fb")]
    pub order_ref: String,
}

/// An order as `GET` shows it. Properties with nothing to say are left out, never null: a
/// PENDING order has no result refs, only an ERROR one has `error_status_code` and
/// `error_reason`, and `sub_status` appears once a worker has touched the order.
#[derive(ToSchema)]
#[schema(example = json!({
    "created": "2026-11-25T00:59:06.748778", "updated": "2026-11-25T00:59:06.764704",
    "status": "ACTIVE", "type": "key",
    "meta": {"algorithm": "aes", "bit_length": 256, "mode": "cbc", "name": null, "expiration": null},
    "sub_status": "Unknown", "sub_status_message": "Unknown",
    "secret_ref": "http://localhost:9311/v1/secrets/3f5b93ec-86f5-479a-bf4e-6f59b4039ff9",
    "order_ref": "http://localhost:9311/v1/orders/680ff290-ff31-46e0-97a9-7763837358fb"
}))]
pub struct Order {
    /// UTC, `YYYY-MM-DDTHH:MM:SS.ffffff`, no offset (as Barbican prints it).
    pub created: String,
    pub updated: String,
    #[schema(inline)]
    pub status: OrderStatus,
    #[schema(rename = "type", inline)]
    pub kind: OrderType,
    /// The `meta` as sent, without an asymmetric order's `passphrase`. Key and asymmetric
    /// orders' `meta` always has `name` and `expiration` (null when not given; the expiration
    /// as naive UTC with microseconds).
    #[schema(value_type = Object)]
    pub meta: serde_json::Value,
    /// Who created the order (the token's user; absent without one).
    #[schema(nullable = false)]
    pub creator_id: Option<String>,
    /// ERROR orders: the HTTP status that describes the failure, as a string (`"400"`: the
    /// request cannot be fulfilled; `"500"`: an internal failure).
    #[schema(nullable = false, example = "400")]
    pub error_status_code: Option<String>,
    /// ERROR orders: why.
    #[schema(nullable = false)]
    pub error_reason: Option<String>,
    /// Where the order is: `Unknown` for key and asymmetric orders; certificate orders step
    /// through `cert_key_ready`, `cert_request_built`, `cert_request_pending` (the CA holds the
    /// request), `cert_generated` (or `cert_data_invalid`).
    #[schema(nullable = false, example = "cert_generated")]
    pub sub_status: Option<String>,
    #[schema(nullable = false)]
    pub sub_status_message: Option<String>,
    /// ACTIVE key orders: the generated secret.
    #[schema(nullable = false)]
    pub secret_ref: Option<String>,
    #[schema(example = "http://localhost:9311/v1/orders/680ff290-ff31-46e0-97a9-7763837358fb")]
    pub order_ref: String,
    /// ACTIVE asymmetric and certificate orders: the container of the results.
    #[schema(nullable = false)]
    pub container_ref: Option<String>,
}

/// PENDING until a worker has run the order, then ACTIVE or ERROR.
#[derive(ToSchema)]
#[schema(rename_all = "UPPERCASE")]
pub enum OrderStatus {
    Pending,
    Active,
    Error,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum OrderType {
    Key,
    Asymmetric,
    Certificate,
}

/// A page of the project's orders, oldest first.
#[derive(ToSchema)]
pub struct OrderList {
    pub orders: Vec<Order>,
    /// How many orders the project has in all.
    pub total: i64,
    /// The next page, when there is one.
    #[schema(nullable = false)]
    pub next: Option<String>,
    /// The previous page, when this one is not the first.
    #[schema(nullable = false)]
    pub previous: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn property(schema: RefOr<Schema>, name: &str) -> serde_json::Value {
        serde_json::to_value(schema).unwrap()["properties"][name].clone()
    }

    /// The derived fields spell the "not blank" pattern out; it must stay the complement of
    /// what stripping removes.
    #[test]
    fn not_blank_patterns_agree() {
        assert_eq!(NOT_BLANK, WHITESPACE.replacen('[', "[^", 1));
        assert_eq!(property(GeneratedKeyMeta::schema(), "algorithm")["pattern"], NOT_BLANK);
        assert_eq!(property(StoredKeyCertificateMeta::schema(), "container_ref")["pattern"], NOT_BLANK);
        assert_eq!(property(SimpleCmcCertificateMeta::schema(), "request_data")["pattern"], NOT_BLANK);
        let containers = crate::controllers::containers::docs::SecretRefIn::schema();
        assert_eq!(property(containers, "secret_ref")["pattern"], NOT_BLANK);
    }

    /// `raw_schema` writes its keywords as they are, not as `x-` extensions.
    #[test]
    fn raw_keywords_are_plain_json_schema() {
        let schema = serde_json::to_value(no_payload()).unwrap();
        assert_eq!(schema["not"], serde_json::json!({}));
        let meta = serde_json::to_value(CertificateOrderMeta::schema()).unwrap();
        assert_eq!(meta["type"], "object");
        assert_eq!(meta["oneOf"].as_array().map(Vec::len), Some(3));
        assert_eq!(meta["then"]["required"], serde_json::json!(["ca_id"]));
    }
}
