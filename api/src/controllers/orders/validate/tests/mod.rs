//! Unit tests of the `Order` validator.
//!
//! # Layout
//! - this file: the helpers, Barbican's transcripts, the top-level schema, `key` and `asymmetric`
//!   meta.
//! - [`certificate`]: `certificate` meta (Portcullis's extension of Barbican's historical validator).

mod certificate;

use axum::response::IntoResponse;
use serde_json::json;

use super::*;
use crate::schema::py_list;

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
    assert!(matches!(order.spec, OrderSpec::Key(KeyOrderMeta { payload_content_type: Some(PayloadKind::Text), .. })));
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
        meta_schema("If 'payload' is supplied, 'payload_content_type' must also be supplied.", "payload_content_type")
    );
    assert_eq!(
        refused(json!({"type": "key", "meta": {"payload": null}})),
        meta_schema("None is not of type 'string'", "payload")
    );
    // LimitExceeded (413) comes before the order's own rule, as in Barbican.
    let big = "a".repeat(20_001);
    let (status, _) = refused(json!({"type": "key", "meta": {"payload": big, "payload_content_type": "text/plain"}}));
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
    assert_eq!(refused(json!({"type": "asymmetric", "meta": {"algorithm": "rsa", "bit_length": 2047}})), unsupported());
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
