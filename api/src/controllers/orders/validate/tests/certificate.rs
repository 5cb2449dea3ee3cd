//! `certificate` meta: Portcullis's extension of Barbican's historical validator.

use base64::Engine as _;
use serde_json::json;

use super::*;

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

fn cert(meta: Value) -> ApiResult<CertificateOrderMeta> {
    match check(json!({"type": "certificate", "meta": meta}))?.spec {
        OrderSpec::Certificate(c) => Ok(c),
        other => panic!("not a certificate order: {other:?}"),
    }
}

fn cert_refused(meta: Value) -> (u16, String) {
    refused(json!({"type": "certificate", "meta": meta}))
}

/// The DER inside a PEM (test helper: `portcullis_plugins` does the real parsing).
fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap()
}

#[test]
fn certificate_simple_cmc() {
    let der = pem_der(CSR_PEM);
    // As Barbican expected it: the PEM, base64-encoded again.
    let wrapped = base64::engine::general_purpose::STANDARD.encode(CSR_PEM);
    let c = cert(json!({"request_type": "simple-cmc", "request_data": wrapped, "ca_id": "ca-1", "profile": "server"}))
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
    let armour = |der: &[u8]| {
        format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----",
            base64::engine::general_purpose::STANDARD.encode(der)
        )
    };
    // Valid PEM armour around DER that is not a CertificationRequest.
    assert_eq!(
        cert_refused(json!({"request_type": "simple-cmc", "request_data": armour(&der[..der.len() - 1])})),
        bad_format
    );
    assert_eq!(cert_refused(json!({"request_type": "simple-cmc", "request_data": armour(&[0x30, 0x00])})), bad_format);
    // A well-formed CSR whose self-signature does not cover its bytes: the signature is checked at POST.
    let mut tampered = der.clone();
    let at = tampered.windows(10).position(|w| w == b"portcullis").unwrap();
    tampered[at] = b'P';
    assert_eq!(cert_refused(json!({"request_type": "simple-cmc", "request_data": armour(&tampered)})), bad_format);
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
    let c = cert(json!({"request_type": "custom", "subject_dn": "CN=a", "key_type": "ec", "bit_length": 256})).unwrap();
    assert_eq!(
        c.request,
        CertificateRequest::Custom { subject_dn: "CN=a".into(), key_type: "ec".into(), bit_length: 256 }
    );
    // The key the worker generates: an ec key without a bit_length is 256 bits, an empty
    // key_type is rsa, and a whole float is an integer.
    for (meta, key_type, bit_length) in [
        (json!({"subject_dn": "CN=a", "key_type": "ec"}), "ec", 256),
        (json!({"subject_dn": "CN=a", "key_type": "", "bit_length": null}), "rsa", 2048),
        (json!({"subject_dn": "CN=a", "bit_length": 3072.0}), "rsa", 3072),
    ] {
        let c = cert(meta.clone()).unwrap();
        let want = CertificateRequest::Custom { subject_dn: "CN=a".into(), key_type: key_type.into(), bit_length };
        assert_eq!(c.request, want, "{meta}");
    }
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
        // Accepted at POST; the CA then refuses to write the repeated DC (rcgen cannot).
        "DC=example,DC=com",
    ] {
        let c = cert(json!({"subject_dn": ok})).unwrap_or_else(|e| panic!("{ok}: {e:?}"));
        assert!(matches!(c.request, CertificateRequest::Custom { ref subject_dn, .. } if subject_dn == ok));
    }
    for bad in [
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
        assert_eq!(
            cert_refused(json!({"subject_dn": bad})),
            bad_request(&format!("Invalid subject DN: {bad}")),
            "{bad}"
        );
        assert_eq!(
            cert_refused(json!({"request_type": "stored-key", "container_ref": "c", "subject_dn": bad})),
            bad_request(&format!("Invalid subject DN: {bad}"))
        );
    }
}
