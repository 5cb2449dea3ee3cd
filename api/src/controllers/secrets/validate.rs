//! The `Secret` schema and Barbican's payload rules: which content types are accepted, which
//! encoding each needs, and how large a payload may be.

use base64::Engine as _;
use portcullis_store::Timestamp;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::{ApiError, ApiResult};
use crate::schema::Fields;

pub const SCHEMA: &str = "Secret";

/// Which object the `Secret` schema checks. Barbican validates an order's `meta` with the same
/// validator, named `Secret' within 'Order` in messages (so they read `schema 'Secret' within
/// 'Order'`), and there a `payload_content_type` needs no payload: it only has to be supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSchema {
    /// A `POST /v1/secrets` body.
    Secret,
    /// The `meta` of a `key` or `asymmetric` order.
    OrderMeta,
}

impl SecretSchema {
    /// The schema name Barbican's messages give.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Secret => SCHEMA,
            Self::OrderMeta => "Secret' within 'Order",
        }
    }
}

pub const SECRET_TYPES: &[&str] = &["symmetric", "passphrase", "private", "public", "certificate", "opaque"];

/// Content types a one-step `POST /v1/secrets` accepts, as Barbican lists them.
pub const PAYLOAD_CONTENT_TYPES: &[&str] = &[
    "text/plain",
    "text/plain;charset=utf-8",
    "text/plain; charset=utf-8",
    "application/octet-stream",
    "application/pkcs8",
];

/// The largest bit length the schema accepts.
pub const MAX_BIT_LENGTH: i64 = 32767;

/// How a stored payload is kept and served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    /// UTF-8 text, stored as `text/plain`.
    Text,
    /// Raw bytes, stored as `application/octet-stream` or `application/pkcs8`.
    Binary(&'static str),
}

impl PayloadKind {
    /// Normalises a payload content type (`text/plain; charset=utf-8` → text).
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let compact: String = ct.to_ascii_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
        match compact.as_str() {
            "text/plain" | "text/plain;charset=utf-8" => Some(Self::Text),
            "application/octet-stream" => Some(Self::Binary("application/octet-stream")),
            "application/pkcs8" => Some(Self::Binary("application/pkcs8")),
            _ => None,
        }
    }

    /// The content type recorded for the secret.
    pub fn stored_content_type(self) -> &'static str {
        match self {
            Self::Text => "text/plain",
            Self::Binary(ct) => ct,
        }
    }
}

/// A payload ready to seal. Its bytes are zeroized when dropped.
pub struct PlainPayload {
    pub bytes: Zeroizing<Vec<u8>>,
    pub kind: PayloadKind,
}

/// A validated `POST /v1/secrets` body.
pub struct NewSecret {
    pub name: Option<String>,
    pub secret_type: String,
    pub algorithm: Option<String>,
    pub bit_length: Option<i32>,
    pub mode: Option<String>,
    pub expiration: Option<Timestamp>,
    pub payload: Option<PlainPayload>,
}

/// Validates a create-secret body against the `Secret` schema and the payload rules.
pub fn new_secret(obj: &Map<String, Value>, max_secret_bytes: usize, now: Timestamp) -> ApiResult<NewSecret> {
    validate_secret(obj, SecretSchema::Secret, max_secret_bytes, now)
}

/// Validates `obj` against the `Secret` schema and the payload rules, as a secret body or as an
/// order's `meta` (see [`SecretSchema`]).
pub fn validate_secret(
    obj: &Map<String, Value>,
    schema: SecretSchema,
    max_secret_bytes: usize,
    now: Timestamp,
) -> ApiResult<NewSecret> {
    let f = Fields::new(schema.name(), obj);
    // Types as in Barbican's schema: only `name` and `payload_content_type` may be null.
    let name = f.string("name", 255, true)?.map(|n| n.trim().to_owned());
    let algorithm = f.string("algorithm", 255, false)?;
    let mode = f.string("mode", 255, false)?;
    let bit_length = f.integer("bit_length", 1, MAX_BIT_LENGTH, false)?.map(|b| b as i32);
    f.string("secret_type", 80, false)?;
    let secret_type = f.one_of("secret_type", SECRET_TYPES)?.unwrap_or_else(|| "opaque".into());
    f.string("expiration", 255, false)?;
    let content_type = f.string("payload_content_type", 255, true)?;
    f.string("payload_content_encoding", 255, false)?;
    let encoding = f.one_of("payload_content_encoding", &["base64"])?;
    let raw_payload = f.string("payload", usize::MAX, false)?;
    f.one_of("transport_key_needed", &["true", "false"])?;
    f.string("transport_key_id", usize::MAX, false)?;
    // After the schema, in Barbican's order: expiration, then the payload rules.
    let expiration = expiration(&f, now)?;

    let payload = match raw_payload {
        None => {
            if obj.contains_key("payload_content_type") {
                match schema {
                    SecretSchema::Secret => {
                        return Err(f.err("payload must be provided when payload_content_type is specified", "payload"));
                    }
                    // An order's meta: a non-empty content type only has to be a supported one.
                    SecretSchema::OrderMeta => {
                        if let Some(ct) = content_type.as_deref().filter(|ct| !ct.is_empty()) {
                            PayloadKind::from_content_type(ct).ok_or_else(|| unsupported_content_type(&f))?;
                        }
                    }
                }
            }
            None
        }
        Some(text) => Some(payload(&f, &text, content_type.as_deref(), encoding.as_deref(), max_secret_bytes)?),
    };
    Ok(NewSecret { name, secret_type, algorithm, bit_length, mode, expiration, payload })
}

fn expiration(f: &Fields<'_>, now: Timestamp) -> ApiResult<Option<Timestamp>> {
    let Some(text) = f.string("expiration", 255, false)? else { return Ok(None) };
    if text.trim().is_empty() {
        return Ok(None);
    }
    let ts = Timestamp::parse(&text).ok_or_else(|| f.err("Invalid date for 'expiration'", "expiration"))?;
    if ts <= now {
        return Err(f.err("'expiration' is before current time", "expiration"));
    }
    Ok(Some(ts))
}

/// Applies Barbican's one-step payload rules and decodes the payload.
fn payload(
    f: &Fields<'_>,
    text: &str,
    content_type: Option<&str>,
    encoding: Option<&str>,
    max_secret_bytes: usize,
) -> ApiResult<PlainPayload> {
    let Some(ct) = content_type else {
        return Err(
            f.err("If 'payload' is supplied, 'payload_content_type' must also be supplied.", "payload_content_type")
        );
    };
    let kind = PayloadKind::from_content_type(ct).ok_or_else(|| unsupported_content_type(f))?;
    match (kind, encoding.map(str::to_ascii_lowercase).as_deref()) {
        (PayloadKind::Text, None) | (PayloadKind::Binary(_), Some("base64")) => {}
        (PayloadKind::Text, Some(_)) => {
            return Err(f.err("payload_content_encoding is not one of None", "payload_content_encoding"));
        }
        (PayloadKind::Binary(_), _) => {
            return Err(
                f.err("payload_content_encoding is not one of ['base64', 'binary']", "payload_content_encoding")
            );
        }
    }
    if text.len() > max_secret_bytes {
        return Err(ApiError::TooLarge);
    }
    // Barbican strips every string of a request body before validating it.
    let text = text.trim();
    if text.is_empty() {
        return Err(f.err("If 'payload' specified, must be non empty", "payload"));
    }
    let bytes = match kind {
        PayloadKind::Text => Zeroizing::new(text.as_bytes().to_vec()),
        PayloadKind::Binary(_) => {
            decode_base64(text).ok_or_else(|| f.err("Invalid payload for payload_content_encoding", "payload"))?
        }
    };
    Ok(PlainPayload { bytes, kind })
}

fn unsupported_content_type(f: &Fields<'_>) -> ApiError {
    f.err(
        format!("payload_content_type is not one of {}", crate::schema::py_list(PAYLOAD_CONTENT_TYPES)),
        "payload_content_type",
    )
}

/// Decodes base64 as leniently as Python's `b64decode` (Barbican's decoder): characters outside
/// the alphabet are skipped, a group completed by `=` ends there, and only an incomplete final
/// group is an error. So `ab!cd`, `YQ===` and `YQ==YQ==` decode while `abc` and `YQ` do not.
pub fn decode_base64(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 3 / 4));
    let mut group = Zeroizing::new(String::with_capacity(4));
    for ch in text.chars() {
        match ch {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' => {
                group.push(ch);
                if group.len() == 4 {
                    out.extend_from_slice(&LENIENT.decode(group.as_bytes()).ok()?);
                    group.clear();
                }
            }
            '=' if group.len() >= 2 => {
                out.extend_from_slice(&LENIENT.decode(group.as_bytes()).ok()?);
                group.clear();
            }
            _ => {}
        }
    }
    group.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(body: Value) -> ApiResult<NewSecret> {
        new_secret(body.as_object().unwrap(), 20_000, Timestamp::now())
    }

    fn reason(body: Value) -> String {
        match check(body) {
            Err(ApiError::Schema { reason, .. }) => reason,
            Err(e) => format!("{e}"),
            Ok(_) => "accepted".into(),
        }
    }

    #[test]
    fn payload_rules_as_barbican() {
        assert_eq!(
            reason(
                json!({"payload": "aGVsbG8=", "payload_content_type": "text/plain", "payload_content_encoding": "base64"})
            ),
            "payload_content_encoding is not one of None"
        );
        assert_eq!(
            reason(json!({"payload": "hello", "payload_content_type": "application/octet-stream"})),
            "payload_content_encoding is not one of ['base64', 'binary']"
        );
        assert_eq!(
            reason(
                json!({"payload": "!!!notbase64", "payload_content_type": "application/octet-stream", "payload_content_encoding": "base64"})
            ),
            "Invalid payload for payload_content_encoding"
        );
        assert_eq!(
            reason(json!({"payload": "", "payload_content_type": "text/plain"})),
            "If 'payload' specified, must be non empty"
        );
        assert_eq!(
            reason(json!({"payload": "x", "payload_content_type": "text/plain", "expiration": "2000-01-01T00:00:00Z"})),
            "'expiration' is before current time"
        );
        assert!(matches!(
            check(json!({"payload": "a".repeat(20_001), "payload_content_type": "text/plain"})),
            Err(ApiError::TooLarge)
        ));
        let ok = check(json!({"payload": "AAEC", "payload_content_type": "application/octet-stream", "payload_content_encoding": "base64"})).unwrap();
        assert_eq!(ok.payload.unwrap().bytes.as_slice(), &[0, 1, 2]);
        assert_eq!(
            reason(json!({"payload_content_type": "text/plain"})),
            "payload must be provided when payload_content_type is specified"
        );
    }

    #[test]
    fn base64_is_as_lenient_as_python() {
        for ok in ["ab!cd", "YQ===", "YQ==YQ==", "====", "aGVsbG8="] {
            assert!(decode_base64(ok).is_some(), "{ok}");
        }
        for bad in ["abc", "YQ", "a", "!!!notbase64"] {
            assert!(decode_base64(bad).is_none(), "{bad}");
        }
        assert_eq!(decode_base64("aGVs\nbG8=").unwrap().as_slice(), b"hello");
    }
}
