//! `POST /v1/secrets` bodies: the `Secret` schema and the one-step payload rules. What validates
//! is what was sent: each field as given, the payload decoded by its content type's rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_api::fuzzing::{MAX_BIT_LENGTH, PayloadKind, SECRET_TYPES, decode_base64, new_secret};
use portcullis_fuzz::{MAX_SECRET_BYTES, assert_refusal, body, now, text};

fuzz_target!(|data: &[u8]| {
    let Some(obj) = body(data, "Secret") else { return };
    let secret = match new_secret(&obj, MAX_SECRET_BYTES, now()) {
        Ok(secret) => secret,
        Err(e) => return assert_refusal(&e),
    };
    assert!(SECRET_TYPES.contains(&secret.secret_type.as_str()));
    assert_eq!(secret.secret_type, text(&obj, "secret_type").unwrap_or("opaque"));
    assert_eq!(secret.name.as_deref(), text(&obj, "name"));
    assert_eq!(secret.algorithm.as_deref(), text(&obj, "algorithm"));
    assert_eq!(secret.mode.as_deref(), text(&obj, "mode"));
    for field in [&secret.name, &secret.algorithm, &secret.mode].into_iter().flatten() {
        assert!(field.chars().count() <= 255);
    }
    assert!(secret.bit_length.is_none_or(|b| (1..=MAX_BIT_LENGTH).contains(&i64::from(b))));
    assert!(secret.expiration.is_none_or(|t| t > now()), "an expiration in the past was accepted");

    let sent = text(&obj, "payload");
    let Some(payload) = &secret.payload else {
        assert!(sent.is_none(), "a payload was sent but none kept");
        return;
    };
    let sent = sent.expect("a payload was kept that was not sent");
    let content_type = text(&obj, "payload_content_type").expect("a payload without a content type");
    assert_eq!(Some(payload.kind), PayloadKind::from_content_type(content_type));
    let encoding = text(&obj, "payload_content_encoding");
    match payload.kind {
        PayloadKind::Text => {
            assert_eq!(encoding, None, "a text payload with an encoding");
            assert_eq!(payload.bytes.as_slice(), sent.as_bytes());
        }
        PayloadKind::Binary(_) => {
            assert_eq!(encoding, Some("base64"), "a binary payload without base64");
            assert_eq!(Some(payload.bytes.as_slice()), decode_base64(sent).as_deref().map(Vec::as_slice));
        }
    }
    assert!(sent.len() <= MAX_SECRET_BYTES);
});
