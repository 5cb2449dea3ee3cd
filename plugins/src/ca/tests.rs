//! Tests across the CA modules: real OpenSSL CSRs, CSRs built from keygen's keys, and
//! certificates issued by [`LocalCa`] checked against the CA with x509-parser.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;

use super::*;
use crate::keygen::{KeyGenPlugin, KeyGenerator};

/// `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj "/CN=portcullis.example/O=Portcullis"`.
const CSR_PEM: &str = "-----BEGIN CERTIFICATE REQUEST-----
MIHuMIGUAgEAMDIxGzAZBgNVBAMMEnBvcnRjdWxsaXMuZXhhbXBsZTETMBEGA1UE
CgwKUG9ydGN1bGxpczBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFIGvePtjmyG
m/+Kj2Rsove8y5iBpvzU8RIV1SPtGG1zcPNHSmDrFwPs6+EuqFX0eeq2T3mDWvj1
UEJtQgV1wVugADAKBggqhkjOPQQDAgNJADBGAiEAxQw+qCi4BuyByxor85u9NqoW
e7761GgrXHPJZiSwbQoCIQCpn/ZNEHeo1phurNlQLKCpQ3EghfBBpIVewdUTM0Vv
1Q==
-----END CERTIFICATE REQUEST-----";

/// P-384 key signed with SHA-256; SANs of every kind the CA issues; asks for CA:TRUE and
/// keyCertSign, which the CA must ignore. Subject `/C=GB/O=Example Ltd/CN=svc`.
const SAN_CSR_PEM: &str = "-----BEGIN CERTIFICATE REQUEST-----
MIIBzDCCAVECAQAwMTELMAkGA1UEBhMCR0IxFDASBgNVBAoMC0V4YW1wbGUgTHRk
MQwwCgYDVQQDDANzdmMwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAATqAOxo2aNMA1V1
cQoKbOy72s3hXXchq+AdMSnoa9HPYyItgK/ESukLhsXuETnpII7xgu0fzd1F7+8B
9VluSzP8TNtmAkQa6E9d6H5ibSbj2jNng+8ucTkHB9xfq+GPzQ2ggaAwgZ0GCSqG
SIb3DQEJDjGBjzCBjDBsBgNVHREEZTBjgg9zdmMuZXhhbXBsZS5jb22CESouc3Zj
LmV4YW1wbGUuY29thwQKAAAHhxAAAAAAAAAAAAAAAAAAAAABgQ9vcHNAZXhhbXBs
ZS5jb22GFHNwaWZmZTovL2V4YW1wbGUvc3ZjMA8GA1UdEwEB/wQFMAMBAf8wCwYD
VR0PBAQDAgIEMAoGCCqGSM49BAMCA2kAMGYCMQD4DTrwCruzWeqk97fbTnHJ3Iu9
YV2NKSoZ2ZNGQNEdZMAYcwurzCvwCxL0L3k1UIsCMQDyC8UKD/QKCNkGloUWqsVf
Vxu0jwW9OVy4UyJF9myYxhPbnjbNe1BEYRKPNTAsxa0=
-----END CERTIFICATE REQUEST-----";

/// `-subj "/DC=com/DC=example/CN=host.example.com"`: DC twice, which rcgen cannot write.
const DC_CSR_PEM: &str = "-----BEGIN CERTIFICATE REQUEST-----
MIIBAzCBqwIBADBJMRMwEQYKCZImiZPyLGQBGRYDY29tMRcwFQYKCZImiZPyLGQB
GRYHZXhhbXBsZTEZMBcGA1UEAwwQaG9zdC5leGFtcGxlLmNvbTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABNYPaqQngfQklGumC1Jb4wlCsUu9srCEIAQBxCNk4cr7
Pyzna6SkVDXpA8SVJO5CCCi0ecIHW7DlxjTzOEAXgA6gADAKBggqhkjOPQQDAgNH
ADBEAiAaFTpAQqgrVxh6TM4RQdAyWZZuQLZrQFiz0Oj+VT9EmAIganHFBptR9odG
I5jk3E6jdYZ384/00uSG2eN49sG7nUI=
-----END CERTIFICATE REQUEST-----";

/// Ed25519, `-subj "/CN=a+OU=b" -multivalue-rdn`.
const MULTI_VALUED_CSR_PEM: &str = "-----BEGIN CERTIFICATE REQUEST-----
MIGVMEkCAQAwFjEUMAgGA1UEAwwBYTAIBgNVBAsMAWIwKjAFBgMrZXADIQBCFu4t
binL3jCKZpjDdbTTPN2loobHnhlM0OEs3eag8qAAMAUGAytlcANBAFmm8Cb4sf51
mZwF20b9Nxof92X0dWvsAyrQg/5aS8eTQuGC+fFZHRhK6uUBz1DB+eDDX3e6R0R5
mZvrdOIO6wc=
-----END CERTIFICATE REQUEST-----";

/// RSA-1024 signed with SHA-1 (`-newkey rsa:1024 -sha1 -subj /CN=weak.example`).
const RSA_1024_CSR_PEM: &str = "-----BEGIN CERTIFICATE REQUEST-----
MIIBVjCBwAIBADAXMRUwEwYDVQQDDAx3ZWFrLmV4YW1wbGUwgZ8wDQYJKoZIhvcN
AQEBBQADgY0AMIGJAoGBALwYdyA0QmmVw/C97ksH8WkjKirGrX/z+6HTNPtHARS6
GIWt4azx9lJGWpAgabXLU30TpCbhx7T2nSwv71ONEGhDfxxv0d72v2pdjt/5DyCV
XoM69777yi3VLW7CmonnwGNbOt6fqwWdx7iwk1eG+oWvLPOE+k/n9lQ+o+FhhFnx
AgMBAAGgADANBgkqhkiG9w0BAQUFAAOBgQB5f0Ayd3l1W2QIHt+qNMoPSjZUb0pE
lOjQbig5NmxPYBan3WUkZFewB5Jdx5IAD0O0iRg+GzJiBcaYB6VDSy+guQWoSkhc
FMJsQJshcfOSUpkH1FecyHEc+SBU4a+C4MZztMH2ASE8o5CxvV3oKeFi5uIO3avD
MjNI8PFzbUTFYQ==
-----END CERTIFICATE REQUEST-----";

fn der_of(pem: &str) -> Vec<u8> {
    pem_decode(pem, &["CERTIFICATE REQUEST", "CERTIFICATE"]).expect("PEM").1.to_vec()
}

fn bad_request(result: Result<impl std::fmt::Debug, CaError>) -> String {
    match result {
        Err(CaError::BadRequest(message)) => message,
        other => panic!("expected BadRequest, got {other:?}"),
    }
}

fn test_ca() -> LocalCa {
    LocalCa::generate("Portcullis Test CA", 3650, 30).expect("CA generates").0
}

/// The issued certificate, checked against the CA: signature, issuer name, AKI = CA's SKI,
/// not a CA, and the CSR's subject and key carried over unchanged.
fn check_chain<'a>(ca: &LocalCa, csr: &Csr, issued: &IssuedCertificate, der: &'a [u8]) -> X509Certificate<'a> {
    let ca_der = der_of(ca.ca_certificate_pem());
    let (_, ca_cert) = X509Certificate::from_der(&ca_der).expect("CA cert parses");
    let (rest, cert) = X509Certificate::from_der(der).expect("issued cert parses");
    assert!(rest.is_empty());
    cert.verify_signature(Some(ca_cert.public_key())).expect("signed by the CA key");
    assert_eq!(cert.issuer().as_raw(), ca_cert.subject().as_raw());
    let aki = cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.as_ref().map(|k| k.0.to_vec()),
        _ => None,
    });
    let ca_ski = ca_cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::SubjectKeyIdentifier(ski) => Some(ski.0.to_vec()),
        _ => None,
    });
    assert!(aki.is_some() && aki == ca_ski, "AKI {aki:?} vs CA SKI {ca_ski:?}");
    assert!(!cert.is_ca());
    let (_, request) =
        x509_parser::certification_request::X509CertificationRequest::from_der(csr.der()).expect("CSR parses");
    assert_eq!(cert.subject().as_raw(), request.certification_request_info.subject.as_raw());
    assert_eq!(cert.public_key().raw, request.certification_request_info.subject_pki.raw);
    assert_eq!(issued.intermediates_pem, ca.ca_certificate_pem());
    let serial: String = cert.raw_serial().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!((issued.serial_hex.as_str(), issued.serial_hex.len()), (serial.as_str(), 32));
    cert
}

fn sans(cert: &X509Certificate<'_>) -> Vec<String> {
    let san = cert.subject_alternative_name().expect("one SAN extension").expect("SAN present");
    san.value.general_names.iter().map(|n| format!("{n}")).collect()
}

fn ekus(cert: &X509Certificate<'_>) -> (bool, bool) {
    let eku = cert.extended_key_usage().expect("one EKU").expect("EKU present").value;
    (eku.server_auth, eku.client_auth)
}

#[test]
fn parses_an_openssl_csr_in_every_accepted_form() {
    let der = der_of(CSR_PEM);
    let from_pem = parse_csr(CSR_PEM.as_bytes()).expect("PEM");
    assert_eq!(from_pem.der(), der.as_slice());
    // RFC 4514 order: the last RDN encoded (O) comes first.
    assert_eq!(from_pem.subject(), "O=Portcullis,CN=portcullis.example");
    let wrapped = STANDARD.encode(CSR_PEM);
    assert_eq!(parse_csr(wrapped.as_bytes()).expect("base64 of PEM"), from_pem);
    assert_eq!(parse_csr(&der).expect("DER"), from_pem);
    // Python's b64decode skips what is not base64, and so do we; PEM armour may sit in text.
    let noisy = format!("{}\n{}", &wrapped[..20], &wrapped[20..]);
    assert_eq!(parse_csr(noisy.as_bytes()).expect("noisy base64"), from_pem);
    assert_eq!(parse_csr(format!("\n  {CSR_PEM}\n").as_bytes()).expect("padded PEM"), from_pem);
    let one_line = CSR_PEM.replace('\n', " ");
    assert_eq!(parse_csr(one_line.as_bytes()).expect("PEM on one line"), from_pem);
    let new_label = CSR_PEM.replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST");
    assert_eq!(parse_csr(new_label.as_bytes()).expect("NEW CERTIFICATE REQUEST"), from_pem);
    // The PEM written back is the canonical armour of the same DER.
    assert_eq!(from_pem.pem().trim_end(), CSR_PEM);
    assert_eq!(parse_csr(DC_CSR_PEM.as_bytes()).unwrap().subject(), "CN=host.example.com,DC=example,DC=com");
    assert_eq!(parse_csr(MULTI_VALUED_CSR_PEM.as_bytes()).unwrap().subject(), "CN=a+OU=b");
}

#[test]
fn refuses_what_is_not_a_validly_signed_csr_with_barbicans_messages() {
    assert_eq!(bad_request(parse_csr(b"xx")), "Unable to decode request data.");
    let bad_format = "Invalid PKCS10 Data: Bad format";
    assert_eq!(bad_request(parse_csr(STANDARD.encode("hello").as_bytes())), bad_format);
    assert_eq!(bad_request(parse_csr(STANDARD.encode([0xff, 0xfe]).as_bytes())), bad_format);
    assert_eq!(bad_request(parse_csr(CSR_PEM.replace("CERTIFICATE REQUEST", "CERTIFICATE").as_bytes())), bad_format);
    assert_eq!(bad_request(parse_csr(b"")), bad_format);
    let der = der_of(CSR_PEM);
    let armour = |der: &[u8]| pem_encode("CERTIFICATE REQUEST", der);
    assert_eq!(bad_request(parse_csr(armour(&der[..der.len() - 1]).as_bytes())), bad_format);
    let mut trailing = der.clone();
    trailing.push(0);
    assert_eq!(bad_request(parse_csr(armour(&trailing).as_bytes())), bad_format);
    // Bytes that are not UTF-8 are DER; a CSR's DER never is UTF-8 (its length bytes are not).
    assert_eq!(bad_request(parse_csr(&[0x30, 0x81, 0x00])), bad_format);

    // Well-formed, but signed over other bytes: a changed subject letter, a changed signature byte.
    let mut tampered = der.clone();
    let at = tampered.windows(10).position(|w| w == b"portcullis").expect("CN in the DER");
    tampered[at] = b'P';
    assert_eq!(bad_request(parse_csr(armour(&tampered).as_bytes())), bad_format);
    let mut tampered = der.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(bad_request(parse_csr(&tampered)), bad_format);
}

#[test]
fn builds_csrs_from_keygen_keys() {
    let plugin = KeyGenPlugin::new();
    let subject = "CN=www.example.com,O=Example\\, Inc.,C=GB";
    for (algorithm, bits) in [("rsa", 2048), ("ec", 256), ("ec", 384), ("ed25519", 256)] {
        let pair = plugin.generate_asymmetric(algorithm, bits, None).expect("generates");
        let csr = build_csr(&pair.private_key_pem, None, subject).unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        assert_eq!(csr.subject(), subject, "{algorithm}");
        // Its own parser agrees, from DER and from PEM; the key is the pair's public key.
        assert_eq!(parse_csr(csr.pem().as_bytes()).expect("PEM parses back"), csr);
        let (_, request) =
            x509_parser::certification_request::X509CertificationRequest::from_der(csr.der()).expect("parses");
        let public_der = pem_decode(&pair.public_key_pem, &["PUBLIC KEY"]).expect("public PEM").1;
        assert_eq!(request.certification_request_info.subject_pki.raw, public_der.as_slice(), "{algorithm}");
    }
}

#[test]
fn builds_a_csr_from_an_encrypted_key() {
    let pair = KeyGenPlugin::new().generate_asymmetric("ec", 256, Some("s3cret")).expect("generates");
    let csr = build_csr(&pair.private_key_pem, Some("s3cret"), "CN=enc.example").expect("opens with the passphrase");
    assert_eq!(csr.subject(), "CN=enc.example");
    let wrong = bad_request(build_csr(&pair.private_key_pem, Some("S3cret"), "CN=enc.example"));
    assert_eq!(wrong, "The private key could not be decrypted with the given passphrase.");
    for missing in [None, Some("")] {
        let message = bad_request(build_csr(&pair.private_key_pem, missing, "CN=enc.example"));
        assert_eq!(message, "The private key is encrypted and no passphrase was given.");
    }
}

#[test]
fn build_csr_refuses_bad_subjects_and_keys() {
    let pair = KeyGenPlugin::new().generate_asymmetric("ed25519", 256, None).expect("generates");
    assert_eq!(bad_request(build_csr(&pair.private_key_pem, None, "not a dn")), "Invalid subject DN: not a dn");
    assert!(bad_request(build_csr(&pair.private_key_pem, None, "DC=a,DC=b")).contains("more than once"));
    assert_eq!(
        bad_request(build_csr(&pair.public_key_pem, None, "CN=a")),
        "The private key is not a PKCS#8 PEM ('PRIVATE KEY' or 'ENCRYPTED PRIVATE KEY')."
    );
    let garbage = pem_encode("PRIVATE KEY", b"not a key");
    let message = bad_request(build_csr(&garbage, None, "CN=a"));
    assert!(message.starts_with("Unsupported private key"), "{message}");
}

#[test]
fn issues_certificates_that_chain_to_the_ca() {
    let ca = test_ca();
    assert_eq!(ca.profiles(), ["server", "client"]);
    let plugin = KeyGenPlugin::new();
    for (algorithm, bits) in [("rsa", 2048), ("ec", 256), ("ed25519", 256)] {
        let pair = plugin.generate_asymmetric(algorithm, bits, None).expect("generates");
        let csr = build_csr(&pair.private_key_pem, None, "CN=www.example.com,O=Example").expect("CSR");
        let issued = ca.issue(&csr, None).unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        let der = der_of(&issued.certificate_pem);
        let cert = check_chain(&ca, &csr, &issued, &der);
        // The default profile is `server`; a DNS name comes from the CN.
        assert_eq!(ekus(&cert), (true, false), "{algorithm}");
        assert_eq!(sans(&cert), ["DNSName(www.example.com)"]);
        let usage = cert.key_usage().expect("one KU").expect("KU present").value;
        assert!(usage.digital_signature());
        assert_eq!(usage.key_encipherment(), algorithm == "rsa", "{algorithm}");
        assert!(!usage.key_cert_sign());
        // Valid now, for 30 days.
        let days = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
        assert_eq!(days(issued.not_after), cert.validity().not_after.timestamp());
        let remaining = issued.not_after.duration_since(SystemTime::now()).unwrap();
        assert!(remaining > Duration::from_secs(29 * 86_400) && remaining <= Duration::from_secs(30 * 86_400));
        assert!(cert.validity().is_valid());
    }
}

#[test]
fn issues_from_openssl_csrs_keeping_their_names_and_ignoring_their_ca_request() {
    let ca = test_ca();
    let csr = parse_csr(SAN_CSR_PEM.as_bytes()).expect("parses");
    assert_eq!(csr.subject(), "CN=svc,O=Example Ltd,C=GB");
    let issued = ca.issue(&csr, Some("client")).expect("issues");
    let der = der_of(&issued.certificate_pem);
    let cert = check_chain(&ca, &csr, &issued, &der);
    assert_eq!(ekus(&cert), (false, true));
    assert_eq!(
        sans(&cert),
        [
            "DNSName(svc.example.com)",
            "DNSName(*.svc.example.com)",
            "IPAddress(0a:00:00:07)",
            "IPAddress(00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01)",
            "RFC822Name(ops@example.com)",
            "URI(spiffe://example/svc)",
        ]
    );
    let usage = cert.key_usage().unwrap().unwrap().value;
    assert!(!usage.key_cert_sign() && usage.digital_signature());

    let csr = parse_csr(CSR_PEM.as_bytes()).expect("parses");
    let issued = ca.issue(&csr, Some("server")).expect("issues");
    let der = der_of(&issued.certificate_pem);
    assert_eq!(sans(&check_chain(&ca, &csr, &issued, &der)), ["DNSName(portcullis.example)"]);
}

#[test]
fn refuses_what_it_cannot_certify() {
    let ca = test_ca();
    let csr = parse_csr(CSR_PEM.as_bytes()).unwrap();
    let err = ca.issue(&csr, Some("codesigning")).unwrap_err();
    assert_eq!(err.to_string(), "Unknown certificate profile 'codesigning'. Profiles: server, client.");
    assert_eq!(err.status_code(), 400);

    let dc = parse_csr(DC_CSR_PEM.as_bytes()).unwrap();
    assert!(bad_request(ca.issue(&dc, None)).contains("more than once"));
    let multi = parse_csr(MULTI_VALUED_CSR_PEM.as_bytes()).unwrap();
    assert!(bad_request(ca.issue(&multi, None)).starts_with("Multi-valued RDNs"));
    // A SHA-1 signature verifies, but a 1024-bit key is not certified.
    let weak = parse_csr(RSA_1024_CSR_PEM.as_bytes()).expect("SHA-1 RSA CSR verifies");
    assert!(bad_request(ca.issue(&weak, None)).starts_with("The CA certifies RSA (2048 bits or more)"));
}

#[test]
fn from_parts_round_trips_and_checks_its_inputs() {
    let (ca, key_pem) = LocalCa::generate("Round Trip CA", 365, 7).expect("generates");
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let ca_pem = ca.ca_certificate_pem().to_owned();
    assert!(!format!("{ca:?}").contains(key_pem.lines().nth(1).unwrap()));

    let again = LocalCa::from_parts(&ca_pem, &key_pem, 7).expect("loads");
    assert_eq!(again.ca_certificate_pem(), ca_pem);
    let csr = parse_csr(CSR_PEM.as_bytes()).unwrap();
    let issued = again.issue(&csr, None).expect("issues");
    let der = der_of(&issued.certificate_pem);
    check_chain(&ca, &csr, &issued, &der);

    // The CA certificate is a CA's, self-signed, with the requested name.
    let ca_der = der_of(&ca_pem);
    let (_, cert) = X509Certificate::from_der(&ca_der).unwrap();
    assert!(cert.is_ca());
    cert.verify_signature(None).expect("self-signed");
    assert_eq!(cert.subject().to_string(), "CN=Round Trip CA");
    let usage = cert.key_usage().unwrap().unwrap().value;
    assert!(usage.key_cert_sign() && usage.crl_sign());

    let internal = |result: Result<LocalCa, CaError>| match result {
        Err(e @ CaError::Internal(_)) => e.status_code(),
        other => panic!("expected Internal, got {other:?}"),
    };
    let (_, other_key) = LocalCa::generate("Other CA", 365, 7).unwrap();
    assert_eq!(internal(LocalCa::from_parts(&ca_pem, &other_key, 7)), 500);
    assert_eq!(internal(LocalCa::from_parts(&issued.certificate_pem, &key_pem, 7)), 500);
    assert_eq!(internal(LocalCa::from_parts("nonsense", &key_pem, 7)), 500);
    assert_eq!(internal(LocalCa::from_parts(&ca_pem, "nonsense", 7)), 500);
    assert_eq!(internal(LocalCa::from_parts(&ca_pem, &key_pem, 0)), 500);
}

#[test]
fn certificates_do_not_outlive_the_ca() {
    let (ca, _) = LocalCa::generate("Short CA", 2, 30).unwrap();
    let issued = ca.issue(&parse_csr(CSR_PEM.as_bytes()).unwrap(), None).unwrap();
    let der = der_of(ca.ca_certificate_pem());
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    assert_eq!(
        issued.not_after.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64,
        cert.validity().not_after.timestamp()
    );
}

#[test]
fn shared_as_a_trait_object() {
    let ca: std::sync::Arc<dyn CertificateAuthority> = std::sync::Arc::new(test_ca());
    assert!(ca.ca_certificate_pem().starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert_eq!(CaError::Internal("x".into()).status_code(), 500);
}
