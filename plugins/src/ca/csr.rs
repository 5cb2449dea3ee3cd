//! PKCS#10 certification requests: reading one a client sent ([`parse_csr`]) and writing one for
//! a key Portcullis holds ([`build_csr`]).
//!
//! # Layout
//! - [`Csr`]: a CSR whose structure and self-signature have been checked.
//! - [`parse_csr`]: PEM, base64 of PEM (Barbican's simple-cmc `request_data`) or DER in.
//! - [`build_csr`]: PKCS#8 private key (plain or encrypted) and RFC 4514 subject in.

use std::fmt;

use pkcs8::EncryptedPrivateKeyInfoRef;
use rcgen::{CertificateParams, KeyPair};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::FromDer;
use zeroize::Zeroizing;

use super::{CaError, dn, pem_decode, pem_encode};

/// Barbican's message when `request_data` is not base64 (its `PayloadDecodingError`).
pub const UNDECODABLE: &str = "Unable to decode request data.";
/// Barbican's message when the data is not a (validly signed) PKCS#10 request.
pub const BAD_FORMAT: &str = "Invalid PKCS10 Data: Bad format";

/// PEM labels of a CSR: RFC 7468's, and the one Netscape and old OpenSSL wrote.
const CSR_LABELS: &[&str] = &["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"];

/// A PKCS#10 CSR whose DER structure and self-signature have been checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Csr {
    der: Vec<u8>,
    subject: String,
}

impl Csr {
    /// Checks `der` as [`parse_csr`] does: one `CertificationRequest` (version 1) and nothing
    /// after it, signed by the key it carries, with an algorithm ring verifies (RSA PKCS#1 v1.5 or
    /// PSS, ECDSA P-256/P-384, Ed25519).
    pub fn from_der(der: Vec<u8>) -> Result<Self, CaError> {
        let bad_format = || CaError::bad_request(BAD_FORMAT);
        let (rest, request) = X509CertificationRequest::from_der(&der).map_err(|_| bad_format())?;
        let info = &request.certification_request_info;
        if !rest.is_empty() || info.version.0 != 0 {
            return Err(bad_format());
        }
        request.verify_signature().map_err(|_| bad_format())?;
        let subject = dn::to_rfc4514(&info.subject);
        Ok(Self { der, subject })
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// `-----BEGIN CERTIFICATE REQUEST-----`, 64 columns, LF line ends.
    pub fn pem(&self) -> String {
        pem_encode(CSR_LABELS[0], &self.der)
    }

    /// The subject as an RFC 4514 string (`CN=www.example.com,O=Example`: the last RDN encoded
    /// comes first), readable by [`super::parse_dn`].
    pub fn subject(&self) -> String {
        self.subject.clone()
    }
}

impl fmt::Debug for Csr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Csr")
            .field("subject", &self.subject)
            .field("der", &format_args!("<{} bytes>", self.der.len()))
            .finish()
    }
}

/// Parses a PKCS#10 CSR given as PEM text, as base64 of the PEM text (Barbican's simple-cmc
/// `request_data`, which Barbican ran through `b64decode` and a PEM load), or as DER (any input
/// that is not UTF-8: a DER CSR never is, its length bytes are not). Checks the structure and the
/// self-signature.
///
/// Errors are [`CaError::BadRequest`] with Barbican's messages: [`UNDECODABLE`] when the text is
/// neither PEM nor base64, [`BAD_FORMAT`] for anything else.
pub fn parse_csr(request_data: &[u8]) -> Result<Csr, CaError> {
    let Ok(text) = std::str::from_utf8(request_data) else {
        return Csr::from_der(request_data.to_vec());
    };
    let text = text.trim_start();
    let decoded;
    let pem = if text.starts_with("-----BEGIN") {
        text
    } else {
        let bytes = lenient_base64(text.as_bytes()).ok_or_else(|| CaError::bad_request(UNDECODABLE))?;
        decoded = String::from_utf8(bytes).map_err(|_| CaError::bad_request(BAD_FORMAT))?;
        decoded.as_str()
    };
    let (_, der) = pem_decode(pem, CSR_LABELS).ok_or_else(|| CaError::bad_request(BAD_FORMAT))?;
    Csr::from_der(der.to_vec())
}

/// Decodes base64 as leniently as Python's `b64decode` (Barbican's decoder): characters outside
/// the alphabet are skipped, a group completed by `=` ends there, and only an incomplete final
/// group is an error. (The API's secret payloads use the same rules.)
fn lenient_base64(text: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut group = Vec::with_capacity(4);
    for &b in text {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => {
                group.push(b);
                if group.len() == 4 {
                    out.extend_from_slice(&LENIENT.decode(&group).ok()?);
                    group.clear();
                }
            }
            b'=' if group.len() >= 2 => {
                out.extend_from_slice(&LENIENT.decode(&group).ok()?);
                group.clear();
            }
            _ => {}
        }
    }
    group.is_empty().then_some(out)
}

/// Builds and signs a CSR for `subject_dn` (RFC 4514, e.g. `CN=www.example.com,O=Example`) with a
/// PKCS#8 private key in PEM: `PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` opened with `passphrase`.
/// Keys: RSA (2048 bits and up, signed with SHA-256), EC P-256/P-384, Ed25519, which is what
/// [`crate::keygen`] makes. The CSR carries no extensions: the CA's profile decides them.
///
/// A DN that does not parse, that rcgen cannot write faithfully (see [`super::dn`]), or a key that
/// cannot be read or opened is [`CaError::BadRequest`].
pub fn build_csr(private_key_pem: &str, passphrase: Option<&str>, subject_dn: &str) -> Result<Csr, CaError> {
    let rdns = dn::parse_rdns(subject_dn)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = dn::to_rcgen(&rdns)?;
    let key = load_private_key(private_key_pem, passphrase)?;
    let request =
        params.serialize_request(&*key).map_err(|e| CaError::internal(format!("writing the CSR failed: {e}")))?;
    Csr::from_der(request.der().to_vec()).map_err(|_| CaError::internal("the CSR just written does not verify"))
}

/// A PKCS#8 PEM private key as an rcgen key pair (ring underneath), decrypting it first when it
/// is `ENCRYPTED PRIVATE KEY`. Every buffer holding key bytes is zeroized.
pub(crate) fn load_private_key(pem: &str, passphrase: Option<&str>) -> Result<Zeroizing<KeyPair>, CaError> {
    const PLAIN: &str = "PRIVATE KEY";
    const ENCRYPTED: &str = "ENCRYPTED PRIVATE KEY";
    let (label, der) = pem_decode(pem, &[PLAIN, ENCRYPTED]).ok_or_else(|| {
        CaError::bad_request("The private key is not a PKCS#8 PEM ('PRIVATE KEY' or 'ENCRYPTED PRIVATE KEY').")
    })?;
    let der = if label == ENCRYPTED {
        // Barbican treats an empty passphrase as none.
        let passphrase = passphrase
            .filter(|p| !p.is_empty())
            .ok_or_else(|| CaError::bad_request("The private key is encrypted and no passphrase was given."))?;
        let info = EncryptedPrivateKeyInfoRef::try_from(der.as_slice())
            .map_err(|_| CaError::bad_request("The encrypted private key is malformed."))?;
        let plain = info
            .decrypt(passphrase)
            .map_err(|_| CaError::bad_request("The private key could not be decrypted with the given passphrase."))?;
        plain.to_bytes()
    } else {
        der
    };
    let key = KeyPair::try_from(der.as_slice()).map_err(|_| {
        CaError::bad_request(
            "Unsupported private key: RSA (2048 bits or more), EC P-256/P-384 and Ed25519 are supported.",
        )
    })?;
    Ok(Zeroizing::new(key))
}
