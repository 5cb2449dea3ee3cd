//! [`LocalCa`]: a CA whose ECDSA P-256 key and self-signed certificate Portcullis keeps itself.
//!
//! # Layout
//! - [`LocalCa::generate`] / [`LocalCa::from_parts`]: a new CA, or the stored one.
//! - [`Profile`]: what `server` and `client` certificates may do.
//! - [`CertificateAuthority::issue`]: CSR in, certificate out; then the helpers it uses (subject
//!   alternative names, serial numbers, validity).
//!
//! What an issued certificate holds: the CSR's subject (byte for byte: a subject rcgen would
//! re-encode differently is refused) and public key; the CSR's subject alternative names, or
//! when it has none a DNS (or IP) name taken from the CN when that looks like a host name; the
//! profile's key usages; a random 128-bit serial; the CA's AKI and its own SKI; validity from one
//! minute ago (clock skew) for `cert_validity_days`, cut at the CA's own expiry. Everything else a
//! CSR asks for, CA:TRUE in particular, is ignored: the profile decides.

use std::fmt;
use std::net::IpAddr;
use std::time::SystemTime;

use rcgen::string::Ia5String;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PublicKeyData, SanType, SerialNumber, SubjectPublicKeyInfo,
};
use ring::rand::{SecureRandom, SystemRandom};
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use zeroize::Zeroizing;

use super::csr::{BAD_FORMAT, load_private_key};
use super::{CaError, CertificateAuthority, Csr, IssuedCertificate, dn, pem_decode, pem_encode};

/// The profiles, default first.
const PROFILES: &[&str] = &["server", "client"];

/// How far `notBefore` is set in the past, for relying parties whose clocks run behind.
const BACKDATE: Duration = Duration::minutes(1);

/// A certificate profile of the local CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// TLS server: serverAuth; digitalSignature, and keyEncipherment for RSA keys (RFC 5480 and
    /// RFC 8410 forbid it for EC and Ed25519 keys).
    Server,
    /// TLS client: clientAuth; digitalSignature.
    Client,
}

impl Profile {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "server" => Some(Self::Server),
            "client" => Some(Self::Client),
            _ => None,
        }
    }

    fn apply(self, params: &mut CertificateParams, rsa: bool) {
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        match self {
            Self::Server => {
                if rsa {
                    params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
                }
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            }
            Self::Client => params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth],
        }
    }
}

/// The local CA: its key and self-signed CA certificate. The caller keeps the key (encrypted at
/// rest); this type only turns key PEM into a CA and back. `Debug` shows no key.
pub struct LocalCa {
    ca_pem: String,
    ca_der: Vec<u8>,
    ca_not_after: OffsetDateTime,
    key: Zeroizing<KeyPair>,
    cert_validity: Duration,
}

impl LocalCa {
    /// A new CA: an ECDSA P-256 key (ring, through rcgen) and a self-signed certificate for
    /// `CN=<common_name>` (basicConstraints CA:TRUE with pathLen 0, since it signs only end
    /// entities; keyCertSign and cRLSign), valid `ca_validity_days`. Returns the CA and its
    /// private key as PKCS#8 PEM (`PRIVATE KEY`) for the caller to store.
    pub fn generate(
        common_name: &str,
        ca_validity_days: u32,
        cert_validity_days: u32,
    ) -> Result<(LocalCa, Zeroizing<String>), CaError> {
        if common_name.trim().is_empty() || ca_validity_days == 0 {
            return Err(CaError::internal("a CA needs a common name and a validity of at least one day"));
        }
        let key = Zeroizing::new(
            KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
                .map_err(|e| CaError::internal(format!("CA key generation failed: {e}")))?,
        );
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.serial_number = Some(random_serial()?);
        params.not_before = now - BACKDATE;
        params.not_after = now + Duration::days(ca_validity_days.into());
        let cert = params
            .self_signed(&*key)
            .map_err(|e| CaError::internal(format!("signing the CA certificate failed: {e}")))?;
        let key_pem = Zeroizing::new(pem_encode("PRIVATE KEY", key.serialized_der()));
        let ca = Self::from_parts(&pem_encode("CERTIFICATE", cert.der()), &key_pem, cert_validity_days)?;
        Ok((ca, key_pem))
    }

    /// The CA from its stored certificate PEM and PKCS#8 key PEM. Checks that the certificate is
    /// a CA's and that the key is its key. Issued certificates are valid `cert_validity_days`.
    /// Every error is [`CaError::Internal`]: these are the server's own files.
    pub fn from_parts(ca_cert_pem: &str, ca_key_pem: &str, cert_validity_days: u32) -> Result<LocalCa, CaError> {
        if cert_validity_days == 0 {
            return Err(CaError::internal("certificates need a validity of at least one day"));
        }
        let (_, der) = pem_decode(ca_cert_pem, &["CERTIFICATE"])
            .ok_or_else(|| CaError::internal("the CA certificate is not PEM"))?;
        let ca_der = der.to_vec();
        let cert = parse_certificate(&ca_der).ok_or_else(|| CaError::internal("the CA certificate does not parse"))?;
        if !cert.is_ca() {
            return Err(CaError::internal("the CA certificate is not a CA certificate (basicConstraints CA:TRUE)"));
        }
        // Its message speaks of the request; here the key is the server's own.
        let key =
            load_private_key(ca_key_pem, None).map_err(|_| CaError::internal("the CA private key is unreadable"))?;
        if key.subject_public_key_info() != cert.public_key().raw {
            return Err(CaError::internal("the CA private key does not belong to the CA certificate"));
        }
        let ca_not_after = cert.validity().not_after.to_datetime();
        Ok(Self {
            ca_pem: pem_encode("CERTIFICATE", &ca_der),
            ca_der,
            ca_not_after,
            key,
            cert_validity: Duration::days(cert_validity_days.into()),
        })
    }
}

impl CertificateAuthority for LocalCa {
    fn ca_certificate_pem(&self) -> &str {
        &self.ca_pem
    }

    fn profiles(&self) -> &[&'static str] {
        PROFILES
    }

    fn issue(&self, csr: &Csr, profile: Option<&str>) -> Result<IssuedCertificate, CaError> {
        let name = profile.unwrap_or(PROFILES[0]);
        let profile = Profile::parse(name).ok_or_else(|| {
            CaError::bad_request(format!("Unknown certificate profile '{name}'. Profiles: {}.", PROFILES.join(", ")))
        })?;
        let (_, request) =
            X509CertificationRequest::from_der(csr.der()).map_err(|_| CaError::bad_request(BAD_FORMAT))?;
        let info = &request.certification_request_info;
        let (public_key, rsa) = certifiable_key(info)?;

        let now = OffsetDateTime::now_utc();
        if self.ca_not_after <= now {
            return Err(CaError::internal("the CA certificate has expired"));
        }
        let mut params = CertificateParams::default();
        params.distinguished_name = dn::x509_to_rcgen(&info.subject)?;
        params.subject_alt_names = subject_alt_names(&request)?;
        if params.subject_alt_names.is_empty() && params.distinguished_name.iter().next().is_none() {
            return Err(CaError::bad_request("The CSR has neither a subject nor subject alternative names."));
        }
        params.serial_number = Some(random_serial()?);
        params.not_before = now - BACKDATE;
        params.not_after = (now + self.cert_validity).min(self.ca_not_after);
        params.is_ca = IsCa::ExplicitNoCa;
        params.use_authority_key_identifier_extension = true;
        profile.apply(&mut params, rsa);

        let issuer = Issuer::from_ca_cert_der(&self.ca_der.as_slice().into(), &*self.key)
            .map_err(|e| CaError::internal(format!("reading the CA certificate failed: {e}")))?;
        let cert =
            params.signed_by(&public_key, &issuer).map_err(|e| CaError::internal(format!("signing failed: {e}")))?;
        let issued =
            parse_certificate(cert.der()).ok_or_else(|| CaError::internal("the issued certificate does not parse"))?;
        // The CSR's subject and key, exactly: rcgen re-encodes names from parsed values.
        if issued.subject().as_raw() != info.subject.as_raw() {
            return Err(CaError::bad_request("The CA cannot reproduce the subject of this CSR exactly."));
        }
        if issued.public_key().raw != info.subject_pki.raw {
            return Err(CaError::bad_request("The CA cannot reproduce the public key of this CSR exactly."));
        }
        Ok(IssuedCertificate {
            certificate_pem: pem_encode("CERTIFICATE", cert.der()),
            intermediates_pem: self.ca_pem.clone(),
            serial_hex: issued.raw_serial().iter().map(|b| format!("{b:02x}")).collect(),
            not_after: SystemTime::from(issued.validity().not_after.to_datetime()),
        })
    }
}

impl fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalCa")
            .field("ca_not_after", &self.ca_not_after)
            .field("cert_validity", &self.cert_validity)
            .field("key", &"***")
            .finish_non_exhaustive()
    }
}

fn parse_certificate(der: &[u8]) -> Option<X509Certificate<'_>> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Some(cert),
        _ => None,
    }
}

/// The CSR's public key as rcgen writes it, if the CA certifies that kind of key; and whether it
/// is RSA. RSA keys under 2048 bits are refused (ring verifies a SHA-1 signature from one).
fn certifiable_key(
    info: &x509_parser::certification_request::X509CertificationRequestInfo<'_>,
) -> Result<(SubjectPublicKeyInfo, bool), CaError> {
    let unsupported =
        || CaError::bad_request("The CA certifies RSA (2048 bits or more), EC P-256/P-384 and Ed25519 keys.");
    let key = SubjectPublicKeyInfo::from_der(info.subject_pki.raw).map_err(|_| unsupported())?;
    let rsa = match info.subject_pki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let modulus = rsa.modulus.iter().position(|&b| b != 0).map_or(&[][..], |i| &rsa.modulus[i..]);
            let bits = modulus.first().map_or(0, |b| modulus.len() * 8 - b.leading_zeros() as usize);
            if bits < 2048 {
                return Err(unsupported());
            }
            true
        }
        _ => false,
    };
    Ok((key, rsa))
}

/// The CSR's requested subject alternative names; if it requests none, one from the CN when that
/// is an IP address or looks like a host name (so `CN=www.example.com` still works in browsers,
/// which ignore the CN).
fn subject_alt_names(request: &X509CertificationRequest<'_>) -> Result<Vec<SanType>, CaError> {
    let mut sans = Vec::new();
    for extension in request.requested_extensions().into_iter().flatten() {
        if let ParsedExtension::SubjectAlternativeName(san) = extension {
            for name in &san.general_names {
                sans.push(san_type(name)?);
            }
        }
    }
    if sans.is_empty() {
        let cn = request.certification_request_info.subject.iter_common_name().last().and_then(|cn| cn.as_str().ok());
        if let Some(cn) = cn {
            if let Ok(ip) = cn.parse::<IpAddr>() {
                sans.push(SanType::IpAddress(ip));
            } else if is_host_name(cn) {
                sans.push(SanType::DnsName(ia5(cn)?));
            }
        }
    }
    Ok(sans)
}

fn san_type(name: &GeneralName<'_>) -> Result<SanType, CaError> {
    Ok(match name {
        GeneralName::DNSName(s) => SanType::DnsName(ia5(s)?),
        GeneralName::RFC822Name(s) => SanType::Rfc822Name(ia5(s)?),
        GeneralName::URI(s) => SanType::URI(ia5(s)?),
        GeneralName::IPAddress(bytes) => {
            let ip = <[u8; 4]>::try_from(*bytes)
                .map(IpAddr::from)
                .or_else(|_| <[u8; 16]>::try_from(*bytes).map(IpAddr::from))
                .map_err(|_| CaError::bad_request("The CSR has a malformed IP address name."))?;
            SanType::IpAddress(ip)
        }
        _ => {
            return Err(CaError::bad_request(
                "The CA issues DNS, IP address, e-mail and URI subject alternative names only.",
            ));
        }
    })
}

fn ia5(s: &str) -> Result<Ia5String, CaError> {
    Ia5String::try_from(s).map_err(|_| CaError::bad_request("Subject alternative names must be ASCII."))
}

/// A DNS name with at least two labels (`admin` or `John Smith` are not host names), each of
/// letters, digits and inner hyphens; the first may be a `*` wildcard.
fn is_host_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().enumerate().all(|(i, label)| {
            (i == 0 && *label == "*")
                || (!label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        })
}

/// 16 random bytes, top bit clear (a positive INTEGER) and the next one set, so the serial
/// always encodes in exactly 16 bytes.
fn random_serial() -> Result<SerialNumber, CaError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).map_err(|_| CaError::internal("system random source failed"))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names() {
        for ok in ["www.example.com", "*.example.com", "a-b.c", "xn--bcher-kva.example"] {
            assert!(is_host_name(ok), "{ok}");
        }
        for bad in ["localhost", "John Smith", "a..b", "-a.b", "a.b-", "a.*.b", "a_b.c", "", "."] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }

    #[test]
    fn serials_are_positive_and_sixteen_bytes() {
        for _ in 0..32 {
            let serial = random_serial().unwrap().to_bytes();
            assert_eq!(serial.len(), 16);
            assert_eq!(serial[0] & 0xc0, 0x40);
        }
    }
}
