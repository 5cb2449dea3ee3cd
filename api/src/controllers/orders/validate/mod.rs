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
//!
//! # Layout
//! - this file: [`new_order`], the order types ([`NewOrder`], [`OrderSpec`], …) and the `key` and
//!   `asymmetric` rules.
//! - `certificate`: the `certificate` rules and types ([`CertificateOrderMeta`],
//!   [`CertificateRequest`]); CSRs and DNs are read by `portcullis_plugins`.
//! - `tests`: the unit tests, Barbican's transcripts first.

mod certificate;
#[cfg(test)]
mod tests;

use std::fmt;

use portcullis_store::Timestamp;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

pub use self::certificate::{CERTIFICATE_REQUEST_TYPES, CertificateOrderMeta, CertificateRequest};
use crate::controllers::secrets::validate::{PayloadKind, SecretSchema, validate_secret};
use crate::error::{ApiError, ApiResult};
use crate::schema::Fields;

pub const SCHEMA: &str = "Order";

/// The order types, in the order the enum message lists them.
pub const ORDER_TYPES: &[&str] = &["key", "asymmetric", "certificate"];

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
            let spec = certificate::meta(meta)?;
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
