//! The `certificate` order type (a Portcullis extension: Barbican removed these orders in 2024):
//! Barbican's historical `_validate_certificate_meta`, with `subject_dn`, `key_type` and
//! `bit_length` for `custom` requests.
//!
//! # Layout
//! - [`CertificateOrderMeta`] and [`CertificateRequest`]: what the worker gets.
//! - [`meta`]: the rules, then the helpers for certificate meta strings and DNs.
//!
//! CSRs (`simple-cmc`) are parsed and their self-signatures verified here, with
//! [`portcullis_plugins::parse_csr`]; subject DNs are checked with [`portcullis_plugins::parse_dn`]
//! (RFC 4514 under ldap3's rules). Whether the CA can write a DN (rcgen cannot write `DC=a,DC=b`)
//! is for the worker to find out, as Barbican's plugins did.

use portcullis_plugins::{CaError, parse_csr, parse_dn};
use portcullis_store::certificate_requests::custom_key;
use serde_json::{Map, Value};

use super::{SCHEMA, UNSUPPORTED_FIELD, is_truthy};
use crate::controllers::secrets::validate::MAX_BIT_LENGTH;
use crate::error::{ApiError, ApiResult};
use crate::schema::Fields;

/// The certificate request types (`request_type`). `custom` is the default.
pub const CERTIFICATE_REQUEST_TYPES: &[&str] = &["simple-cmc", "full-cmc", "stored-key", "custom"];

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
    /// `simple-cmc`: a PKCS#10 CSR, held as DER. Its structure and self-signature are checked
    /// here ([`portcullis_plugins::parse_csr`]), so `Csr::from_der` of these bytes succeeds.
    SimpleCmc { csr_der: Vec<u8> },
    /// `stored-key`: certify the key pair of an existing `rsa` container. The container is
    /// looked up (exists, is `rsa`, readable by the caller) by the route, not here.
    StoredKey { container_ref: String, subject_dn: String },
    /// `custom` (the default): generate a key pair and certify it for `subject_dn`.
    Custom { subject_dn: String, key_type: String, bit_length: u32 },
}

/// Barbican's historical `_validate_certificate_meta`, with Portcullis's `custom` fields.
pub(super) fn meta(meta: &Map<String, Value>) -> ApiResult<CertificateOrderMeta> {
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
            // Barbican's messages: `Unable to decode request data.`, `Invalid PKCS10 Data: Bad format`.
            let csr = parse_csr(data.as_bytes()).map_err(ca_error)?;
            CertificateRequest::SimpleCmc { csr_der: csr.der().to_vec() }
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
            cert_string(meta, "key_type")?;
            Fields::new(SCHEMA, meta).integer("bit_length", 1, MAX_BIT_LENGTH, true).map_err(in_meta)?;
            // What the worker will generate, defaults included.
            let (key_type, bit_length) = custom_key(meta);
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
    if parse_dn(&dn).is_err() {
        return Err(ApiError::BadRequest(format!("Invalid subject DN: {dn}")));
    }
    Ok(dn)
}

fn ca_error(e: CaError) -> ApiError {
    match e {
        CaError::BadRequest(message) => ApiError::BadRequest(message),
        CaError::Internal(message) => ApiError::Internal(anyhow::anyhow!(message)),
    }
}
