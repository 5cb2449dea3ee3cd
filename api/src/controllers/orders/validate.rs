//! The `Order` schema of `POST /v1/orders`, validated as Barbican's `TypeOrderValidator` does:
//! the draft-03 top level (`type`, `meta`), then per type:
//!
//! - `key` and `asymmetric`: `meta` goes through the `Secret` rules under the schema name
//!   `Secret' within 'Order`, then must have no `payload`, an `algorithm`, and a `bit_length`
//!   that is a multiple of 8.
//! - `certificate` (a Portcullis extension: Barbican removed these orders in 2024, and its enum
//!   would say `'certificate' is not one of ['key', 'asymmetric']`): Barbican's historical
//!   certificate-order rules, with `subject_dn`, `key_type` and `bit_length` for `custom`
//!   requests.
//!
//! Only what Barbican refuses at `POST` is refused here. An unknown algorithm, or a bit length
//! the crypto plugin cannot generate (`aes` 512), is accepted (202). The worker then fails the
//! order, as Barbican's does.

use std::fmt;

use base64::Engine as _;
use portcullis_store::Timestamp;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::controllers::secrets::validate::{
    MAX_BIT_LENGTH, PayloadKind, SecretSchema, decode_base64, validate_secret,
};
use crate::error::{ApiError, ApiResult};
use crate::schema::Fields;

pub const SCHEMA: &str = "Order";

/// The order types, in the order the enum message lists them.
pub const ORDER_TYPES: &[&str] = &["key", "asymmetric", "certificate"];

/// The certificate request types (`request_type`). `custom` is the default.
pub const CERTIFICATE_REQUEST_TYPES: &[&str] = &["simple-cmc", "full-cmc", "stored-key", "custom"];

/// The key a `custom` certificate request generates when `meta` names none.
pub const DEFAULT_CERTIFICATE_KEY_TYPE: &str = "rsa";
pub const DEFAULT_CERTIFICATE_BIT_LENGTH: i32 = 2048;

/// Barbican's `UnsupportedField` message: a bit length that is not a multiple of 8.
const UNSUPPORTED_FIELD: &str = "Provided field value is not supported";

/// An order's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    /// A symmetric key, stored as one secret.
    Key,
    /// A key pair, stored as an `rsa` container of secrets.
    Asymmetric,
    /// A certificate issued by a CA.
    Certificate,
}

impl OrderKind {
    /// The `type` as clients send it and GET shows it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Asymmetric => "asymmetric",
            Self::Certificate => "certificate",
        }
    }

    /// Parses a `type` exactly as the schema's enum does: case-sensitive.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "key" => Some(Self::Key),
            "asymmetric" => Some(Self::Asymmetric),
            "certificate" => Some(Self::Certificate),
            _ => None,
        }
    }
}

/// A validated `POST /v1/orders` body.
#[derive(Clone, PartialEq)]
pub struct NewOrder {
    /// The `meta` to store and to show in `GET /v1/orders/{id}`, as Barbican stores it: the
    /// client's keys in the client's order, unknown keys kept. For `key` and `asymmetric` orders,
    /// `name` is set (`null` when absent) and then `expiration` (`null` when absent or blank,
    /// otherwise naive UTC with microseconds, `2099-01-01T05:00:00.000000`), each appended at
    /// the end when the client did not send it. That is why Barbican's GET shows
    /// `..., "name": null, "expiration": null}`. Certificate `meta` is stored as given.
    ///
    /// Like Barbican's, this includes an asymmetric order's `passphrase` in clear.
    pub meta: Map<String, Value>,
    /// What to generate, typed for the worker.
    pub spec: OrderSpec,
}

impl NewOrder {
    pub fn kind(&self) -> OrderKind {
        match self.spec {
            OrderSpec::Key(_) => OrderKind::Key,
            OrderSpec::Asymmetric(_) => OrderKind::Asymmetric,
            OrderSpec::Certificate(_) => OrderKind::Certificate,
        }
    }
}

impl fmt::Debug for NewOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut meta = self.meta.clone();
        if let Some(p) = meta.get_mut("passphrase") {
            *p = Value::String("***".into());
        }
        f.debug_struct("NewOrder").field("meta", &meta).field("spec", &self.spec).finish()
    }
}

/// What an order asks the worker to generate, one variant per [`OrderKind`].
#[derive(Debug, Clone, PartialEq)]
pub enum OrderSpec {
    Key(KeyOrderMeta),
    Asymmetric(AsymmetricOrderMeta),
    Certificate(CertificateOrderMeta),
}

/// A `key` order's `meta`: the secret to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyOrderMeta {
    pub name: Option<String>,
    /// As given (`aes`, or something no plugin supports: the worker decides).
    pub algorithm: String,
    /// In `1..=32767` and a multiple of 8. The worker decides whether the algorithm supports it.
    pub bit_length: i32,
    pub mode: Option<String>,
    /// The content type the generated secret is served as. `None` when absent, null or empty:
    /// Barbican then uses `application/octet-stream`.
    pub payload_content_type: Option<PayloadKind>,
    pub expiration: Option<Timestamp>,
}

/// An `asymmetric` order's `meta`: the key pair to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct AsymmetricOrderMeta {
    pub name: Option<String>,
    pub algorithm: String,
    pub bit_length: i32,
    /// Accepted as Barbican's schema accepts it. Key-pair generation ignores it.
    pub mode: Option<String>,
    pub payload_content_type: Option<PayloadKind>,
    pub expiration: Option<Timestamp>,
    /// The passphrase to encrypt the private key with, stored as a third secret. `None` when
    /// absent or falsy in Python's sense (`""`, `0`, `false`, `null`, `[]`, `{}`).
    pub passphrase: Option<Passphrase>,
}

/// An asymmetric order's `passphrase`, which Barbican does not type-check at `POST`.
#[derive(Clone, PartialEq)]
pub enum Passphrase {
    Text(Zeroizing<String>),
    /// A truthy value that is not a string (`5`, `true`, `["x"]`). Barbican accepts the order and
    /// its worker fails it, so this is for the worker to refuse.
    NotText,
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(_) => f.write_str("Passphrase(***)"),
            Self::NotText => f.write_str("Passphrase(not text)"),
        }
    }
}

/// A `certificate` order's `meta`.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateOrderMeta {
    pub request: CertificateRequest,
    /// The CA to send the request to. Its existence is checked against the store, not here.
    pub ca_id: Option<String>,
    /// A CA-specific certificate profile. Requires `ca_id`.
    pub profile: Option<String>,
    pub requestor_name: Option<String>,
    pub requestor_email: Option<String>,
    pub requestor_phone: Option<String>,
}

/// A certificate order's `request_type` and the data that type needs. `full-cmc` is a known type
/// that is refused, as Barbican refused it.
#[derive(Debug, Clone, PartialEq)]
pub enum CertificateRequest {
    /// `simple-cmc`: a PKCS#10 CSR, held as DER. Its structure is checked here. Its signature is
    /// not (this crate has no signature verification), so the CA must verify it.
    SimpleCmc { csr_der: Vec<u8> },
    /// `stored-key`: certify the key pair of an existing `rsa` container. The container is
    /// looked up (exists, is `rsa`, readable by the caller) by the route, not here.
    StoredKey { container_ref: String, subject_dn: String },
    /// `custom` (the default): generate a key pair and certify it for `subject_dn`.
    Custom { subject_dn: String, key_type: String, bit_length: i32 },
}

/// Validates a `POST /v1/orders` body (already stripped, see [`crate::body`]). `now` decides
/// whether an expiration is in the past; `max_secret_bytes` bounds a `meta.payload` as it
/// bounds a secret's.
pub fn new_order(body: &Map<String, Value>, max_secret_bytes: usize, now: Timestamp) -> ApiResult<NewOrder> {
    let top = Fields::new(SCHEMA, body);
    // jsonschema reports an error on `type` before one on `meta` (its best match prefers the
    // greater property name), and a type error before an enum error.
    let kind = top.one_of("type", ORDER_TYPES)?.as_deref().and_then(OrderKind::parse);
    let kind = kind.ok_or_else(|| top.err("'type' is a required property", "type"))?;
    let meta = top.object("meta")?.ok_or_else(|| top.err("'meta' is a required property", "meta"))?;
    match kind {
        OrderKind::Key => {
            let (meta, generated) = generated_key(meta, "key", "key", max_secret_bytes, now)?;
            Ok(NewOrder { meta, spec: OrderSpec::Key(generated) })
        }
        OrderKind::Asymmetric => {
            let (stored, generated) = generated_key(meta, "asymmetric", "asymmetric key", max_secret_bytes, now)?;
            let passphrase = passphrase(meta.get("passphrase"));
            let KeyOrderMeta { name, algorithm, bit_length, mode, payload_content_type, expiration } = generated;
            let spec =
                AsymmetricOrderMeta { name, algorithm, bit_length, mode, payload_content_type, expiration, passphrase };
            Ok(NewOrder { meta: stored, spec: OrderSpec::Asymmetric(spec) })
        }
        OrderKind::Certificate => {
            let spec = certificate(meta)?;
            Ok(NewOrder { meta: meta.clone(), spec: OrderSpec::Certificate(spec) })
        }
    }
}

/// The rules shared by `key` and `asymmetric` orders (`_validate_key_meta`,
/// `_validate_asymmetric_meta`). `payload_word` and `required_word` are the two ways Barbican's
/// messages name the type: `'payload' not allowed for asymmetric type order` but
/// `'algorithm' is required field for asymmetric key type order`.
fn generated_key(
    meta: &Map<String, Value>,
    payload_word: &str,
    required_word: &str,
    max_secret_bytes: usize,
    now: Timestamp,
) -> ApiResult<(Map<String, Value>, KeyOrderMeta)> {
    let secret = validate_secret(meta, SecretSchema::OrderMeta, max_secret_bytes, now)?;
    let invalid = |reason: String| ApiError::schema(SCHEMA, reason, "meta");
    if secret.payload.is_some() {
        return Err(invalid(format!("'payload' not allowed for {payload_word} type order")));
    }
    // Barbican tests truthiness: an empty algorithm is a missing one.
    let Some(algorithm) = secret.algorithm.filter(|a| !a.is_empty()) else {
        return Err(invalid(format!("'algorithm' is required field for {required_word} type order")));
    };
    let Some(bit_length) = secret.bit_length else {
        return Err(invalid(format!("'bit_length' is required field for {required_word} type order")));
    };
    if bit_length % 8 != 0 {
        return Err(ApiError::BadRequest(UNSUPPORTED_FIELD.into()));
    }

    // Barbican's validator writes `name` and `expiration` back into the meta it stores.
    let mut stored = meta.clone();
    stored.insert("name".into(), secret.name.clone().map_or(Value::Null, Value::String));
    stored.insert("expiration".into(), secret.expiration.map_or(Value::Null, |t| Value::String(stored_time(t))));
    let payload_content_type = meta
        .get("payload_content_type")
        .and_then(Value::as_str)
        .filter(|ct| !ct.is_empty())
        .and_then(PayloadKind::from_content_type);
    let generated = KeyOrderMeta {
        name: secret.name,
        algorithm,
        bit_length,
        mode: secret.mode,
        payload_content_type,
        expiration: secret.expiration,
    };
    Ok((stored, generated))
}

/// How Barbican stores a datetime inside order meta (oslo `jsonutils`: `%Y-%m-%dT%H:%M:%S.%f`,
/// naive UTC, always six fraction digits). Unlike entity timestamps, the fraction is kept when
/// zero.
fn stored_time(t: Timestamp) -> String {
    t.0.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Python truthiness decides whether Barbican makes a passphrase secret.
fn passphrase(value: Option<&Value>) -> Option<Passphrase> {
    match value {
        _ if !is_truthy(value) => None,
        Some(Value::String(s)) => Some(Passphrase::Text(Zeroizing::new(s.clone()))),
        _ => Some(Passphrase::NotText),
    }
}

/// Python's `bool()` of a JSON value.
fn is_truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null | Value::Bool(false)) => false,
        Some(Value::Bool(true)) => true,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// Barbican's historical `_validate_certificate_meta`, with Portcullis's `custom` fields.
fn certificate(meta: &Map<String, Value>) -> ApiResult<CertificateOrderMeta> {
    if meta.get("payload").is_some_and(|p| !p.is_null()) {
        return Err(ApiError::schema(SCHEMA, "'payload' not allowed for certificate type order", "meta"));
    }
    let ca_id = cert_string(meta, "ca_id")?;
    let profile = cert_string(meta, "profile")?;
    let requestor_name = cert_string(meta, "requestor_name")?;
    let requestor_email = cert_string(meta, "requestor_email")?;
    let requestor_phone = cert_string(meta, "requestor_phone")?;
    // A profile is CA-specific (Barbican: "Missing required metadata field for ca_id").
    if profile.is_some() && ca_id.is_none() {
        return Err(ApiError::schema(
            SCHEMA,
            "'ca_id' is required field for certificate type order with a 'profile'",
            "meta",
        ));
    }
    let request_type = match meta.get("request_type") {
        None => "custom",
        Some(Value::String(s)) if CERTIFICATE_REQUEST_TYPES.contains(&s.as_str()) => s.as_str(),
        Some(_) => return Err(ApiError::BadRequest("Invalid Certificate Request Type".into())),
    };
    let request = match request_type {
        "simple-cmc" => {
            let data = required_cert_string(meta, "request_data")?;
            CertificateRequest::SimpleCmc { csr_der: pkcs10_der(&data)? }
        }
        "full-cmc" => return Err(ApiError::BadRequest("Full CMC Requests are not yet supported.".into())),
        "stored-key" => {
            let container_ref = required_cert_string(meta, "container_ref")?;
            let subject_dn = subject_dn(meta)?;
            if is_truthy(meta.get("extensions")) {
                return Err(ApiError::BadRequest(
                    "Extensions are not yet supported.  Specify a valid profile instead.".into(),
                ));
            }
            CertificateRequest::StoredKey { container_ref, subject_dn }
        }
        _ => {
            let subject_dn = subject_dn(meta)?;
            let key_type = cert_string(meta, "key_type")?.unwrap_or_else(|| DEFAULT_CERTIFICATE_KEY_TYPE.into());
            let bit_length = Fields::new(SCHEMA, meta)
                .integer("bit_length", 1, MAX_BIT_LENGTH, true)
                .map_err(in_meta)?
                .map_or(DEFAULT_CERTIFICATE_BIT_LENGTH, |b| b as i32);
            if bit_length % 8 != 0 {
                return Err(ApiError::BadRequest(UNSUPPORTED_FIELD.into()));
            }
            CertificateRequest::Custom { subject_dn, key_type, bit_length }
        }
    };
    Ok(CertificateOrderMeta { request, ca_id, profile, requestor_name, requestor_email, requestor_phone })
}

/// Errors in certificate meta name the top-level property, `meta`, as jsonschema would for a
/// schema nested in `Order`.
fn in_meta(e: ApiError) -> ApiError {
    match e {
        ApiError::Schema { schema, reason, .. } => ApiError::Schema { schema, reason, property: "meta".into() },
        other => other,
    }
}

/// An optional string of certificate meta: `null` and `""` are absent.
fn cert_string(meta: &Map<String, Value>, key: &str) -> ApiResult<Option<String>> {
    let value = Fields::new(SCHEMA, meta).string(key, usize::MAX, true).map_err(in_meta)?;
    Ok(value.filter(|s| !s.is_empty()))
}

fn required_cert_string(meta: &Map<String, Value>, key: &str) -> ApiResult<String> {
    cert_string(meta, key)?.ok_or_else(|| {
        ApiError::schema(SCHEMA, format!("'{key}' is required field for certificate type order"), "meta")
    })
}

fn subject_dn(meta: &Map<String, Value>) -> ApiResult<String> {
    let dn = required_cert_string(meta, "subject_dn")?;
    if !is_valid_dn(&dn) {
        return Err(ApiError::BadRequest(format!("Invalid subject DN: {dn}")));
    }
    Ok(dn)
}

/// Checks a distinguished name as Barbican did (ldap3's `parse_dn`, RFC 4514): RDNs separated
/// by `,` (or `+` within one), each `type=value`. The type is a keyword (`CN`, `x-ext`). The value
/// is non-empty, and escapes `"#+,;<=>`, leading or trailing spaces, as `\c` or `\hh`. A value
/// may instead be `#` and hex pairs (ldap3 wrongly refused those).
pub fn is_valid_dn(dn: &str) -> bool {
    let mut avas = Vec::new();
    let (mut start, mut escaped) = (0, false);
    for (i, c) in dn.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' | '+' => {
                avas.push(&dn[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    avas.push(&dn[start..]);
    avas.into_iter().all(is_valid_ava)
}

fn is_valid_ava(ava: &str) -> bool {
    let Some((kind, value)) = ava.split_once('=') else { return false };
    let mut kind_chars = kind.chars();
    let keyword = kind_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && kind_chars.all(|c| c.is_ascii_alphanumeric() || c == '-');
    keyword && is_valid_dn_value(value)
}

fn is_valid_dn_value(value: &str) -> bool {
    if let Some(hex) = value.strip_prefix('#') {
        return !hex.is_empty() && hex.len() % 2 == 0 && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    if value.is_empty() || value.starts_with(' ') || (value.ends_with(' ') && !value.ends_with("\\ ")) {
        return false;
    }
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(' ' | '"' | '#' | '+' | ',' | ';' | '<' | '=' | '>' | '\\' | '\0') => {}
                Some(h) if h.is_ascii_hexdigit() => {
                    if !chars.next().is_some_and(|l| l.is_ascii_hexdigit()) {
                        return false;
                    }
                }
                _ => return false,
            },
            '"' | '#' | '+' | ',' | ';' | '<' | '=' | '>' | '\0' => return false,
            _ => {}
        }
    }
    true
}

/// A simple-CMC `request_data` as DER. Barbican expected the PEM CSR base64-encoded again
/// (`b64decode`, then a PEM load); Portcullis also takes the PEM text itself. Messages are
/// Barbican's: `Unable to decode request data.` (PayloadDecodingError) and
/// `Invalid PKCS10 Data: Bad format`.
fn pkcs10_der(request_data: &str) -> ApiResult<Vec<u8>> {
    let bad_format = || ApiError::BadRequest("Invalid PKCS10 Data: Bad format".into());
    let pem = if request_data.starts_with("-----BEGIN") {
        Zeroizing::new(request_data.to_owned())
    } else {
        let bytes =
            decode_base64(request_data).ok_or_else(|| ApiError::BadRequest("Unable to decode request data.".into()))?;
        Zeroizing::new(String::from_utf8(bytes.to_vec()).map_err(|_| bad_format())?)
    };
    let der = ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]
        .into_iter()
        .find_map(|label| pem_body(&pem, label))
        .ok_or_else(bad_format)?;
    if is_pkcs10(&der) { Ok(der) } else { Err(bad_format()) }
}

/// The DER inside the first `-----BEGIN <label>-----` block of `pem`.
fn pem_body(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let after = &pem[pem.find(&begin)? + begin.len()..];
    let body: String = after[..after.find(&end)?].chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// The shape of a PKCS#10 `CertificationRequest`: a SEQUENCE of the request info (a SEQUENCE
/// starting with the INTEGER version), the signature algorithm (a SEQUENCE) and the signature
/// (a non-empty BIT STRING), with nothing after it.
fn is_pkcs10(der: &[u8]) -> bool {
    let Some((0x30, request, [])) = der_tlv(der) else { return false };
    let Some((0x30, info, rest)) = der_tlv(request) else { return false };
    let Some((0x02, _version, _)) = der_tlv(info) else { return false };
    let Some((0x30, _algorithm, rest)) = der_tlv(rest) else { return false };
    matches!(der_tlv(rest), Some((0x03, signature, [])) if !signature.is_empty())
}

/// One DER element: its (single-byte) tag, its content and what follows it.
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = match first {
        0..=0x7f => usize::from(first),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7f);
            if rest.len() < n {
                return None;
            }
            let (bytes, after) = rest.split_at(n);
            rest = after;
            bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        }
        _ => return None,
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;
    use serde_json::json;

    use super::*;
    use crate::schema::py_list;

    /// A real CSR (`openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256
    /// -subj "/CN=portcullis.example/O=Portcullis"`).
    const CSR_PEM: &str = "-----BEGIN CERTIFICATE REQUEST-----
MIHuMIGUAgEAMDIxGzAZBgNVBAMMEnBvcnRjdWxsaXMuZXhhbXBsZTETMBEGA1UE
CgwKUG9ydGN1bGxpczBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFIGvePtjmyG
m/+Kj2Rsove8y5iBpvzU8RIV1SPtGG1zcPNHSmDrFwPs6+EuqFX0eeq2T3mDWvj1
UEJtQgV1wVugADAKBggqhkjOPQQDAgNJADBGAiEAxQw+qCi4BuyByxor85u9NqoW
e7761GgrXHPJZiSwbQoCIQCpn/ZNEHeo1phurNlQLKCpQ3EghfBBpIVewdUTM0Vv
1Q==
-----END CERTIFICATE REQUEST-----";

    fn check(body: Value) -> ApiResult<NewOrder> {
        new_order(body.as_object().expect("an object"), 20_000, Timestamp::now())
    }

    /// The status and `description` Barbican's error body would carry.
    fn refused(body: Value) -> (u16, String) {
        let err = match check(body.clone()) {
            Err(e) => e,
            Ok(order) => panic!("accepted {body}: {order:?}"),
        };
        let resp = err.into_response();
        let status = resp.status().as_u16();
        let bytes = futures::executor::block_on(axum::body::to_bytes(resp.into_body(), usize::MAX)).unwrap();
        let json: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json["code"], status);
        (status, json["description"].as_str().unwrap_or_default().to_owned())
    }

    fn order_schema(reason: &str, property: &str) -> (u16, String) {
        (400, format!("Provided object does not match schema 'Order': {reason}. Invalid property: '{property}'"))
    }

    fn meta_schema(reason: &str, property: &str) -> (u16, String) {
        (
            400,
            format!(
                "Provided object does not match schema 'Secret' within 'Order': {reason}. Invalid property: '{property}'"
            ),
        )
    }

    fn unsupported() -> (u16, String) {
        (400, "Provided field value is not supported".into())
    }

    fn bad_request(description: &str) -> (u16, String) {
        (400, description.into())
    }

    /// The stored meta as the JSON text Barbican's GET would show (keys in order).
    fn stored(order: &NewOrder) -> String {
        serde_json::to_string(&order.meta).unwrap()
    }

    // ---- The transcripts ----

    #[test]
    fn transcript_key_order_aes_256_cbc() {
        let order = check(json!({"type": "key", "meta": {"name": "order-key", "algorithm": "aes", "bit_length": 256, "mode": "cbc", "payload_content_type": "application/octet-stream"}})).unwrap();
        assert_eq!(order.kind(), OrderKind::Key);
        assert_eq!(
            stored(&order),
            r#"{"name":"order-key","algorithm":"aes","bit_length":256,"mode":"cbc","payload_content_type":"application/octet-stream","expiration":null}"#
        );
        let OrderSpec::Key(key) = order.spec else { panic!("not a key order") };
        assert_eq!(
            key,
            KeyOrderMeta {
                name: Some("order-key".into()),
                algorithm: "aes".into(),
                bit_length: 256,
                mode: Some("cbc".into()),
                payload_content_type: Some(PayloadKind::Binary("application/octet-stream")),
                expiration: None,
            }
        );
    }

    #[test]
    fn transcript_asymmetric_order_rsa_2048() {
        let order = check(json!({"type": "asymmetric", "meta": {"name": "order-rsa", "algorithm": "rsa", "bit_length": 2048, "payload_content_type": "application/octet-stream"}})).unwrap();
        assert_eq!(order.kind(), OrderKind::Asymmetric);
        assert_eq!(
            stored(&order),
            r#"{"name":"order-rsa","algorithm":"rsa","bit_length":2048,"payload_content_type":"application/octet-stream","expiration":null}"#
        );
        let OrderSpec::Asymmetric(pair) = order.spec else { panic!("not an asymmetric order") };
        assert_eq!((pair.algorithm.as_str(), pair.bit_length, pair.mode, pair.passphrase), ("rsa", 2048, None, None));
    }

    #[test]
    fn transcript_unknown_algorithm_is_accepted_for_the_worker_to_fail() {
        let order = check(json!({"type": "key", "meta": {"algorithm": "blowfishy", "bit_length": 256, "mode": "cbc", "payload_content_type": "application/octet-stream"}})).unwrap();
        // The GET of this order shows exactly this meta (then status ERROR, from the worker).
        assert_eq!(
            stored(&order),
            r#"{"algorithm":"blowfishy","bit_length":256,"mode":"cbc","payload_content_type":"application/octet-stream","name":null,"expiration":null}"#
        );
        assert!(matches!(order.spec, OrderSpec::Key(KeyOrderMeta { ref algorithm, .. }) if algorithm == "blowfishy"));
    }

    #[test]
    fn transcript_bit_length_not_a_multiple_of_8() {
        assert_eq!(
            refused(
                json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 123, "mode": "cbc", "payload_content_type": "application/octet-stream"}})
            ),
            unsupported()
        );
    }

    #[test]
    fn transcript_unknown_type_lists_the_three_types() {
        assert_eq!(
            refused(json!({"type": "banana", "meta": {"algorithm": "aes", "bit_length": 256}})),
            order_schema("'banana' is not one of ['key', 'asymmetric', 'certificate']", "type")
        );
        assert_eq!(py_list(ORDER_TYPES), "['key', 'asymmetric', 'certificate']");
    }

    #[test]
    fn transcript_missing_meta() {
        assert_eq!(refused(json!({"type": "key"})), order_schema("'meta' is a required property", "meta"));
    }

    #[test]
    fn transcript_text_plain_key_order() {
        let order = check(json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 256, "mode": "cbc", "payload_content_type": "text/plain"}})).unwrap();
        assert_eq!(
            stored(&order),
            r#"{"algorithm":"aes","bit_length":256,"mode":"cbc","payload_content_type":"text/plain","name":null,"expiration":null}"#
        );
        assert!(matches!(
            order.spec,
            OrderSpec::Key(KeyOrderMeta { payload_content_type: Some(PayloadKind::Text), .. })
        ));
    }

    #[test]
    fn transcript_certificate_type_is_a_portcullis_extension() {
        // Barbican 23 refuses this with `'certificate' is not one of ['key', 'asymmetric']`.
        // Portcullis accepts the type; "xx" then fails as Barbican's certificate validator did.
        assert_eq!(
            refused(json!({"type": "certificate", "meta": {"request_type": "simple-cmc", "request_data": "xx"}})),
            bad_request("Unable to decode request data.")
        );
    }

    // ---- The top-level `Order` schema (draft-03), checked against jsonschema 4.26 ----

    #[test]
    fn order_schema_errors() {
        assert_eq!(refused(json!({})), order_schema("'type' is a required property", "type"));
        assert_eq!(refused(json!({"meta": {}})), order_schema("'type' is a required property", "type"));
        assert_eq!(refused(json!({"meta": 1})), order_schema("'type' is a required property", "type"));
        assert_eq!(refused(json!({"type": 1})), order_schema("1 is not of type 'string'", "type"));
        assert_eq!(refused(json!({"type": null, "meta": {}})), order_schema("None is not of type 'string'", "type"));
        assert_eq!(
            refused(json!({"type": "KEY", "meta": {}})),
            order_schema("'KEY' is not one of ['key', 'asymmetric', 'certificate']", "type")
        );
        assert_eq!(
            refused(json!({"type": "banana", "meta": []})),
            order_schema("'banana' is not one of ['key', 'asymmetric', 'certificate']", "type")
        );
        assert_eq!(refused(json!({"type": "key", "meta": []})), order_schema("[] is not of type 'object'", "meta"));
        assert_eq!(refused(json!({"type": "key", "meta": null})), order_schema("None is not of type 'object'", "meta"));
        // Draft-03 without additionalProperties: other top-level keys are ignored.
        assert!(check(json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 128}, "x": 1})).is_ok());
    }

    // ---- key and asymmetric meta (TypeOrderValidator) ----

    #[test]
    fn payload_not_allowed() {
        let payload =
            json!({"algorithm": "aes", "bit_length": 256, "payload": "abc", "payload_content_type": "text/plain"});
        assert_eq!(
            refused(json!({"type": "key", "meta": payload})),
            order_schema("'payload' not allowed for key type order", "meta")
        );
        assert_eq!(
            refused(json!({"type": "asymmetric", "meta": payload})),
            order_schema("'payload' not allowed for asymmetric type order", "meta")
        );
        // The Secret rules run first: a payload without a content type fails there.
        assert_eq!(
            refused(json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 256, "payload": "abc"}})),
            meta_schema(
                "If 'payload' is supplied, 'payload_content_type' must also be supplied.",
                "payload_content_type"
            )
        );
        assert_eq!(
            refused(json!({"type": "key", "meta": {"payload": null}})),
            meta_schema("None is not of type 'string'", "payload")
        );
        // LimitExceeded (413) comes before the order's own rule, as in Barbican.
        let big = "a".repeat(20_001);
        let (status, _) =
            refused(json!({"type": "key", "meta": {"payload": big, "payload_content_type": "text/plain"}}));
        assert_eq!(status, 413);
    }

    #[test]
    fn algorithm_and_bit_length_required() {
        assert_eq!(
            refused(json!({"type": "key", "meta": {}})),
            order_schema("'algorithm' is required field for key type order", "meta")
        );
        assert_eq!(
            refused(json!({"type": "key", "meta": {"algorithm": "", "bit_length": 256}})),
            order_schema("'algorithm' is required field for key type order", "meta")
        );
        assert_eq!(
            refused(json!({"type": "key", "meta": {"algorithm": "aes"}})),
            order_schema("'bit_length' is required field for key type order", "meta")
        );
        assert_eq!(
            refused(json!({"type": "asymmetric", "meta": {"bit_length": 2048}})),
            order_schema("'algorithm' is required field for asymmetric key type order", "meta")
        );
        assert_eq!(
            refused(json!({"type": "asymmetric", "meta": {"algorithm": "rsa"}})),
            order_schema("'bit_length' is required field for asymmetric key type order", "meta")
        );
        assert_eq!(
            refused(json!({"type": "asymmetric", "meta": {"algorithm": "rsa", "bit_length": 2047}})),
            unsupported()
        );
    }

    #[test]
    fn secret_rules_apply_to_meta() {
        let key = |meta: Value| refused(json!({"type": "key", "meta": meta}));
        assert_eq!(
            key(json!({"algorithm": "aes", "bit_length": 256, "expiration": "2000-01-01T00:00:00Z"})),
            meta_schema("'expiration' is before current time", "expiration")
        );
        assert_eq!(
            key(json!({"algorithm": "aes", "bit_length": 256, "expiration": "someday"})),
            meta_schema("Invalid date for 'expiration'", "expiration")
        );
        assert_eq!(
            key(json!({"algorithm": "aes", "bit_length": 0})),
            meta_schema("0 is less than the minimum of 1", "bit_length")
        );
        assert_eq!(
            key(json!({"algorithm": "aes", "bit_length": 40000})),
            meta_schema("40000 is greater than the maximum of 32767", "bit_length")
        );
        assert_eq!(
            key(json!({"algorithm": "aes", "bit_length": "256"})),
            meta_schema("'256' is not of type 'integer'", "bit_length")
        );
        assert_eq!(key(json!({"algorithm": null})), meta_schema("None is not of type 'string'", "algorithm"));
        assert_eq!(key(json!({"name": 5})), meta_schema("5 is not of type 'string', 'null'", "name"));
        assert_eq!(
            key(json!({"secret_type": "banana"})),
            meta_schema(
                "'banana' is not one of ['symmetric', 'passphrase', 'private', 'public', 'certificate', 'opaque']",
                "secret_type"
            )
        );
        // Nested, a content type needs no payload, but it must be a supported one.
        assert_eq!(
            key(json!({"algorithm": "aes", "bit_length": 256, "payload_content_type": "application/json"})),
            meta_schema(
                "payload_content_type is not one of ['text/plain', 'text/plain;charset=utf-8', 'text/plain; charset=utf-8', 'application/octet-stream', 'application/pkcs8']",
                "payload_content_type"
            )
        );
        for ct in [json!(""), json!(null), json!("text/plain; charset=utf-8"), json!("application/pkcs8")] {
            check(json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 256, "payload_content_type": ct}}))
                .unwrap();
        }
    }

    #[test]
    fn accepted_here_and_failed_by_the_worker() {
        for (kind, algorithm, bits) in
            [("key", "blowfishy", 256), ("key", "aes", 512), ("asymmetric", "rsa", 1000), ("asymmetric", "ec", 256)]
        {
            let order = check(json!({"type": kind, "meta": {"algorithm": algorithm, "bit_length": bits}}));
            assert!(order.is_ok(), "{kind} {algorithm} {bits}");
        }
        // 256.0 is an integer to jsonschema; the meta keeps it as sent.
        let order = check(json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 256.0}})).unwrap();
        assert_eq!(order.meta["bit_length"], json!(256.0));
        assert!(matches!(order.spec, OrderSpec::Key(KeyOrderMeta { bit_length: 256, .. })));
    }

    #[test]
    fn meta_keeps_the_clients_keys_and_normalises_expiration() {
        let order = check(json!({"type": "key", "meta": {"expiration": "2099-01-01T10:00:00+05:00", "algorithm": "aes", "bit_length": 128, "colour": "blue", "name": null}})).unwrap();
        // In place, as Python's dict assignment keeps a key's position; oslo's datetime format.
        assert_eq!(
            stored(&order),
            r#"{"expiration":"2099-01-01T05:00:00.000000","algorithm":"aes","bit_length":128,"colour":"blue","name":null}"#
        );
        let OrderSpec::Key(key) = order.spec else { panic!("not a key order") };
        assert_eq!(key.expiration, Timestamp::parse("2099-01-01T05:00:00Z"));
        assert_eq!(key.name, None);
        // A blank expiration is no expiration.
        let order =
            check(json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 128, "expiration": ""}})).unwrap();
        assert_eq!(order.meta["expiration"], Value::Null);
    }

    #[test]
    fn asymmetric_passphrase() {
        let with = |p: Value| {
            let order =
                check(json!({"type": "asymmetric", "meta": {"algorithm": "rsa", "bit_length": 2048, "passphrase": p}}))
                    .unwrap();
            let OrderSpec::Asymmetric(pair) = order.spec.clone() else { panic!("not asymmetric") };
            (order, pair.passphrase)
        };
        let (order, passphrase) = with(json!("s3cret"));
        assert_eq!(passphrase, Some(Passphrase::Text(Zeroizing::new("s3cret".into()))));
        // Barbican stores it in the meta; at least Debug output hides it.
        assert_eq!(order.meta["passphrase"], "s3cret");
        assert!(!format!("{order:?}").contains("s3cret"));
        assert_eq!(with(json!("")).1, None);
        assert_eq!(with(json!(0)).1, None);
        assert_eq!(with(json!(5)).1, Some(Passphrase::NotText));
    }

    // ---- certificate meta (Portcullis extension of Barbican's historical validator) ----

    fn cert(meta: Value) -> ApiResult<CertificateOrderMeta> {
        match check(json!({"type": "certificate", "meta": meta}))?.spec {
            OrderSpec::Certificate(c) => Ok(c),
            other => panic!("not a certificate order: {other:?}"),
        }
    }

    fn cert_refused(meta: Value) -> (u16, String) {
        refused(json!({"type": "certificate", "meta": meta}))
    }

    #[test]
    fn certificate_simple_cmc() {
        let der = pem_body(CSR_PEM, "CERTIFICATE REQUEST").unwrap();
        // As Barbican expected it: the PEM, base64-encoded again.
        let wrapped = base64::engine::general_purpose::STANDARD.encode(CSR_PEM);
        let c =
            cert(json!({"request_type": "simple-cmc", "request_data": wrapped, "ca_id": "ca-1", "profile": "server"}))
                .unwrap();
        assert_eq!(c.request, CertificateRequest::SimpleCmc { csr_der: der.clone() });
        assert_eq!((c.ca_id.as_deref(), c.profile.as_deref()), (Some("ca-1"), Some("server")));
        // Or the PEM itself.
        let c = cert(json!({"request_type": "simple-cmc", "request_data": CSR_PEM})).unwrap();
        assert_eq!(c.request, CertificateRequest::SimpleCmc { csr_der: der.clone() });

        assert_eq!(
            cert_refused(json!({"request_type": "simple-cmc"})),
            order_schema("'request_data' is required field for certificate type order", "meta")
        );
        assert_eq!(
            cert_refused(json!({"request_type": "simple-cmc", "request_data": "xx"})),
            bad_request("Unable to decode request data.")
        );
        let bad_format = bad_request("Invalid PKCS10 Data: Bad format");
        let not_pem = base64::engine::general_purpose::STANDARD.encode("hello");
        assert_eq!(cert_refused(json!({"request_type": "simple-cmc", "request_data": not_pem})), bad_format);
        let certificate_label = CSR_PEM.replace("CERTIFICATE REQUEST", "CERTIFICATE");
        assert_eq!(cert_refused(json!({"request_type": "simple-cmc", "request_data": certificate_label})), bad_format);
        // Valid PEM armour around DER that is not a CertificationRequest.
        let truncated = format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----",
            base64::engine::general_purpose::STANDARD.encode(&der[..der.len() - 1])
        );
        assert_eq!(cert_refused(json!({"request_type": "simple-cmc", "request_data": truncated})), bad_format);
        assert!(!is_pkcs10(&[0x30, 0x00]));
    }

    #[test]
    fn certificate_custom_is_the_default() {
        let c = cert(json!({"subject_dn": "CN=portcullis.example,O=Example\\, Inc.", "requestor_name": "Ann", "requestor_email": "ann@example.com", "requestor_phone": "555"})).unwrap();
        assert_eq!(
            c.request,
            CertificateRequest::Custom {
                subject_dn: "CN=portcullis.example,O=Example\\, Inc.".into(),
                key_type: "rsa".into(),
                bit_length: 2048
            }
        );
        assert_eq!(c.requestor_name.as_deref(), Some("Ann"));
        assert_eq!(c.requestor_email.as_deref(), Some("ann@example.com"));
        assert_eq!(c.requestor_phone.as_deref(), Some("555"));
        let c =
            cert(json!({"request_type": "custom", "subject_dn": "CN=a", "key_type": "ec", "bit_length": 256})).unwrap();
        assert_eq!(
            c.request,
            CertificateRequest::Custom { subject_dn: "CN=a".into(), key_type: "ec".into(), bit_length: 256 }
        );
        // Certificate meta is stored as given: no name/expiration, no defaults.
        let order = check(json!({"type": "certificate", "meta": {"subject_dn": "CN=a"}})).unwrap();
        assert_eq!(stored(&order), r#"{"subject_dn":"CN=a"}"#);

        assert_eq!(
            cert_refused(json!({"request_type": "custom"})),
            order_schema("'subject_dn' is required field for certificate type order", "meta")
        );
        assert_eq!(
            cert_refused(json!({"subject_dn": ""})),
            order_schema("'subject_dn' is required field for certificate type order", "meta")
        );
        assert_eq!(cert_refused(json!({"subject_dn": "not a dn"})), bad_request("Invalid subject DN: not a dn"));
        assert_eq!(cert_refused(json!({"subject_dn": "CN=a", "bit_length": 2047})), unsupported());
        assert_eq!(
            cert_refused(json!({"subject_dn": "CN=a", "bit_length": "2048"})),
            order_schema("'2048' is not of type 'integer'", "meta")
        );
        assert_eq!(
            cert_refused(json!({"subject_dn": "CN=a", "bit_length": 0})),
            order_schema("0 is less than the minimum of 1", "meta")
        );
        assert_eq!(cert_refused(json!({"subject_dn": 5})), order_schema("5 is not of type 'string', 'null'", "meta"));
    }

    #[test]
    fn certificate_stored_key() {
        let c = cert(json!({"request_type": "stored-key", "container_ref": "http://localhost:9311/v1/containers/x", "subject_dn": "CN=a"})).unwrap();
        assert_eq!(
            c.request,
            CertificateRequest::StoredKey {
                container_ref: "http://localhost:9311/v1/containers/x".into(),
                subject_dn: "CN=a".into()
            }
        );
        assert_eq!(
            cert_refused(json!({"request_type": "stored-key", "subject_dn": "CN=a"})),
            order_schema("'container_ref' is required field for certificate type order", "meta")
        );
        assert_eq!(
            cert_refused(json!({"request_type": "stored-key", "container_ref": "c"})),
            order_schema("'subject_dn' is required field for certificate type order", "meta")
        );
        assert_eq!(
            cert_refused(
                json!({"request_type": "stored-key", "container_ref": "c", "subject_dn": "CN=a", "extensions": "MAA="})
            ),
            bad_request("Extensions are not yet supported.  Specify a valid profile instead.")
        );
    }

    #[test]
    fn certificate_common_rules() {
        assert_eq!(
            cert_refused(json!({"request_type": "full-cmc", "request_data": "x"})),
            bad_request("Full CMC Requests are not yet supported.")
        );
        for bad in [json!("bogus"), json!(null), json!(5), json!("Custom")] {
            assert_eq!(
                cert_refused(json!({"request_type": bad, "subject_dn": "CN=a"})),
                bad_request("Invalid Certificate Request Type")
            );
        }
        assert_eq!(
            cert_refused(json!({"payload": "x", "subject_dn": "CN=a"})),
            order_schema("'payload' not allowed for certificate type order", "meta")
        );
        assert_eq!(
            cert_refused(json!({"profile": "server", "subject_dn": "CN=a"})),
            order_schema("'ca_id' is required field for certificate type order with a 'profile'", "meta")
        );
        assert_eq!(
            cert_refused(json!({"ca_id": 5, "subject_dn": "CN=a"})),
            order_schema("5 is not of type 'string', 'null'", "meta")
        );
    }

    #[test]
    fn distinguished_names_as_ldap3_parses_them() {
        for ok in [
            "CN=example.com,O=Example\\, Inc.,C=US",
            "CN=a+OU=b",
            "CN-x=a",
            "CN=a\\2Cb",
            "CN=\\ padded\\ ",
            "CN=#0403616263",
            "cn=a,o=b",
        ] {
            assert!(is_valid_dn(ok), "{ok}");
        }
        for bad in [
            "",
            "not a dn",
            "=x",
            "CN",
            "CN=",
            "CN=a;O=b",
            "CN=a,",
            ",CN=a",
            "CN=a\\",
            "CN=a\\zz",
            "CN=\"q, y\"",
            "CN=a=b",
            "C N=a",
            "cn = a",
            "CN=a<b",
            "CN=a,,O=b",
            "CN=a+",
            "1CN=a",
            "CN_x=a",
            "CN= a",
            "CN=#123",
        ] {
            assert!(!is_valid_dn(bad), "{bad}");
        }
    }
}
