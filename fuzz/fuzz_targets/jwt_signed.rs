//! Tokens signed with the verifier's HS256 secret, from a fuzzed header and claims
//! (`header JSON \n claims JSON`): a well-formed HS256 header never fails the signature check;
//! the same token with one signature bit flipped, or signed with another secret, always does;
//! what verifies carries the claims that were signed, and maps to a caller within its limits.
#![no_main]

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use libfuzzer_sys::fuzz_target;
use portcullis_api::auth::jwt::JwtVerifier;
use portcullis_api::fuzzing::{Rejection, hs256_verifier};
use portcullis_fuzz::{JWT_NOW, JWT_SECRET};
use serde_json::{Map, Value};

fn sign(head: &[u8], claims: &[u8], secret: &[u8]) -> (String, Vec<u8>) {
    let input = format!("{}.{}", B64URL.encode(head), B64URL.encode(claims));
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret), input.as_bytes());
    (input, tag.as_ref().to_vec())
}

fn object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    static VERIFIER: OnceLock<JwtVerifier> = OnceLock::new();
    let verifier = VERIFIER.get_or_init(|| hs256_verifier(JWT_SECRET));
    let split = data.iter().position(|b| *b == b'\n');
    let (head, claims) = match split {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&br#"{"alg":"HS256","typ":"JWT"}"#[..], data),
    };
    let (input, tag) = sign(head, claims, JWT_SECRET);
    let token = format!("{input}.{}", B64URL.encode(&tag));
    let verdict = verifier.verify(&token, JWT_NOW);

    let header = object(head);
    let well_formed = header.as_ref().is_some_and(|h| {
        h.get("alg").and_then(Value::as_str) == Some("HS256")
            && !h.contains_key("crit")
            && h.get("kid").is_none_or(Value::is_string)
    });
    if token.len() > 8 * 1024 {
        assert_eq!(verdict, Err(Rejection::Malformed("too long")));
        return;
    }
    if !well_formed {
        assert!(verdict.is_err(), "a token with header {header:?} verified");
        return;
    }
    assert_ne!(verdict, Err(Rejection::BadSignature), "a correctly signed token failed its signature check");

    // A token that verifies must have been signed with the secret.
    let mut flipped = tag.clone();
    let bit = usize::from(data.first().copied().unwrap_or(0)) % flipped.len();
    flipped[bit] ^= 1;
    let forged = format!("{input}.{}", B64URL.encode(&flipped));
    assert_eq!(verifier.verify(&forged, JWT_NOW), Err(Rejection::BadSignature));
    let (_, other) = sign(head, claims, b"another secret of at least thirty-two bytes");
    let forged = format!("{input}.{}", B64URL.encode(&other));
    assert_eq!(verifier.verify(&forged, JWT_NOW), Err(Rejection::BadSignature));

    let Ok(verified) = verdict else { return };
    assert_eq!(Some(&verified), object(claims).as_ref(), "verified claims differ from the signed ones");
    assert_eq!(verified.get("iss").and_then(Value::as_str), Some("idp"));
    assert!(verified.contains_key("exp"));
    if let Ok(caller) = verifier.caller(&verified) {
        assert!(!caller.project_id.is_empty() && caller.project_id.chars().count() <= 36);
        assert_eq!(caller.project_id, caller.project_id.trim());
        assert!(caller.roles.iter().all(|r| !r.is_empty() && *r == r.to_lowercase()));
    }
});
