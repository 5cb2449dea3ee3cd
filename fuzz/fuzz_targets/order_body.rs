//! `POST /v1/orders` bodies: the `Order` schema, the `Secret` rules on a key order's `meta`, and
//! the certificate-order rules. An accepted order is one the worker can be handed: a bit length
//! that is a multiple of 8, an algorithm, a DN that parses, a CSR whose signature checked out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_api::fuzzing::{CertificateRequest, MAX_BIT_LENGTH, OrderSpec, PayloadKind, new_order};
use portcullis_fuzz::{MAX_SECRET_BYTES, assert_refusal, body, now, text};
use portcullis_plugins::{Csr, parse_dn};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some(obj) = body(data, "Order") else { return };
    let order = match new_order(&obj, MAX_SECRET_BYTES, now()) {
        Ok(order) => order,
        Err(e) => return assert_refusal(&e),
    };
    assert_eq!(Some(order.kind().as_str()), text(&obj, "type"));
    let sent = obj.get("meta").and_then(Value::as_object).expect("an order without a meta object");
    // The stored meta keeps every key the client sent.
    assert!(sent.keys().all(|k| order.meta.contains_key(k)));
    let bits_ok = |b: i64| b % 8 == 0 && (1..=MAX_BIT_LENGTH).contains(&b);
    let generated = match &order.spec {
        OrderSpec::Key(k) => Some((&k.algorithm, k.bit_length, k.expiration, k.payload_content_type)),
        OrderSpec::Asymmetric(a) => Some((&a.algorithm, a.bit_length, a.expiration, a.payload_content_type)),
        OrderSpec::Certificate(c) => {
            assert!(c.profile.is_none() || c.ca_id.is_some(), "a profile without a ca_id");
            match &c.request {
                CertificateRequest::Custom { subject_dn, bit_length, .. } => {
                    assert!(bits_ok(i64::from(*bit_length)));
                    assert!(parse_dn(subject_dn).is_ok());
                }
                CertificateRequest::StoredKey { container_ref, subject_dn } => {
                    assert!(!container_ref.is_empty());
                    assert!(parse_dn(subject_dn).is_ok());
                }
                CertificateRequest::SimpleCmc { csr_der } => {
                    assert!(Csr::from_der(csr_der.clone()).is_ok(), "an accepted CSR does not read back");
                }
            }
            None
        }
    };
    if let Some((algorithm, bit_length, expiration, content_type)) = generated {
        assert!(!algorithm.is_empty());
        assert!(bits_ok(i64::from(bit_length)), "bit length {bit_length}");
        assert!(expiration.is_none_or(|t| t > now()));
        assert!(order.meta.contains_key("name") && order.meta.contains_key("expiration"));
        assert!(sent.get("payload").is_none_or(Value::is_null), "a key order with a payload");
        let sent_type = text(sent, "payload_content_type").filter(|ct| !ct.is_empty());
        assert_eq!(content_type, sent_type.and_then(PayloadKind::from_content_type));
    }
});
