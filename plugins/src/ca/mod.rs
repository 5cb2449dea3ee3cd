//! The certificate authority behind `certificate` orders: reading and writing PKCS#10 CSRs,
//! RFC 4514 distinguished names, and a local CA that signs CSRs.
//!
//! Built on rcgen (CSR and certificate writing, signing with ring) and x509-parser (reading
//! CSRs and certificates, checking CSR self-signatures with ring).
//!
//! # Layout
//! - this file: the [`CertificateAuthority`] trait, [`IssuedCertificate`], [`CaError`] and the PEM
//!   armour shared by the others.
//! - [`csr`]: [`Csr`], [`parse_csr`] (what a `simple-cmc` order sends) and [`build_csr`] (a CSR for
//!   a key pair Portcullis holds: `custom` and `stored-key` orders).
//! - [`dn`]: [`parse_dn`] (RFC 4514, with the rules Barbican's ldap3 applied), the subject of a CSR
//!   as an RFC 4514 string, and names as rcgen writes them.
//! - [`local`]: [`LocalCa`], an ECDSA P-256 CA whose key the caller keeps (encrypted at rest).
//!
//! # Distinguished names
//! Strings follow RFC 4514: the last RDN of the string is the first one encoded, so
//! `CN=www.example.com,O=Example` is encoded as `O=Example` then `CN=www.example.com`, as
//! OpenSSL's `-nameopt RFC2253` and Python's `cryptography` read and print it. rcgen 0.14 can
//! write neither a multi-valued RDN (`CN=a+OU=b`) nor one attribute type twice (`DC=a,DC=b`), so
//! such subjects are refused with [`CaError::BadRequest`] rather than silently changed.
//!
//! # Secrets
//! Errors and `Debug` output never carry key material or passphrases. Decrypted private keys live
//! in [`Zeroizing`] buffers; the key objects ring builds from them cannot be cleared (ring's
//! limitation) and die with their owner.

pub mod csr;
pub mod dn;
pub mod local;
#[cfg(test)]
mod tests;

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

pub use csr::{Csr, build_csr, parse_csr};
pub use dn::{AvaValue, parse_dn, parse_rdns};
pub use local::LocalCa;

/// A certificate a CA issued, with what an order records about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// The certificate (`-----BEGIN CERTIFICATE-----`).
    pub certificate_pem: String,
    /// The chain from the certificate's issuer up to and including the CA certificate, PEM
    /// certificates concatenated. For [`LocalCa`], its CA certificate.
    pub intermediates_pem: String,
    /// The serial number, lowercase hex without separators (`3f9a…`).
    pub serial_hex: String,
    pub not_after: SystemTime,
}

/// A CA that signs CSRs. Sync and CPU-bound: async callers run it on a blocking thread.
pub trait CertificateAuthority: Send + Sync {
    /// The CA certificate (PEM).
    fn ca_certificate_pem(&self) -> &str;

    /// The profiles it knows; the first is the default.
    fn profiles(&self) -> &[&'static str];

    /// Signs `csr` under `profile` (`None`: the default). What the request asked and the CA cannot
    /// do (an unknown profile, a key type it does not certify, …) is [`CaError::BadRequest`];
    /// failures of the CA itself are [`CaError::Internal`].
    fn issue(&self, csr: &Csr, profile: Option<&str>) -> Result<IssuedCertificate, CaError>;
}

/// Why a CSR was not read, built or signed. Messages name the request's problem, never key bytes.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The request cannot be served as asked: the order fails with 400.
    #[error("{0}")]
    BadRequest(String),
    /// The CA or a library failed: 500.
    #[error("{0}")]
    Internal(String),
}

impl CaError {
    /// The HTTP status an order failing with this error records as `error_status_code`.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Internal(_) => 500,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into())
    }
}

/// PEM armour (RFC 7468: 64-column base64, LF line ends) around `der`. Encoded straight into
/// the result, with no intermediate copy, so wrapping it in [`Zeroizing`] covers a key's PEM.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let mut out = String::with_capacity(der.len() * 4 / 3 + der.len() / 48 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in der.chunks(48) {
        STANDARD.encode_string(chunk, &mut out);
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// The DER inside the first `-----BEGIN <label>-----` block of `text`, for the first of `labels`
/// that has one, with that label. Lenient as the old validator was: the block may sit anywhere,
/// and whitespace in the body is ignored (clients paste PEM with spaces for newlines).
pub(crate) fn pem_decode<'l>(text: &str, labels: &[&'l str]) -> Option<(&'l str, Zeroizing<Vec<u8>>)> {
    labels.iter().find_map(|&label| {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let after = &text[text.find(&begin)? + begin.len()..];
        let body = &after[..after.find(&end)?];
        // The body of a private key's PEM is as secret as the key.
        let body: Zeroizing<String> = Zeroizing::new(body.chars().filter(|c| !c.is_ascii_whitespace()).collect());
        let mut der = Zeroizing::new(Vec::with_capacity(body.len() * 3 / 4));
        STANDARD.decode_vec(body.as_bytes(), &mut der).ok()?;
        Some((label, der))
    })
}
