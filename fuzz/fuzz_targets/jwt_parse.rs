//! Bearer tokens as arbitrary bytes, against a verifier holding one HS256 secret: whatever the
//! bytes, they are refused (a token that verifies must have been signed with the secret, and
//! these were not), both as a token and as an `Authorization` header.
#![no_main]

use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use portcullis_api::auth::jwt::JwtVerifier;
use portcullis_api::fuzzing::hs256_verifier;
use portcullis_fuzz::JWT_NOW;

fuzz_target!(|data: &[u8]| {
    static VERIFIER: OnceLock<JwtVerifier> = OnceLock::new();
    let verifier = VERIFIER.get_or_init(|| hs256_verifier(portcullis_fuzz::JWT_SECRET));
    if let Ok(token) = std::str::from_utf8(data) {
        let verdict = verifier.verify(token, JWT_NOW);
        assert!(verdict.is_err(), "unsigned bytes verified: {token:?}");
    }
    let Ok(value) = HeaderValue::from_bytes(data) else { return };
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, value);
    assert!(verifier.authenticate(&headers, JWT_NOW).is_err(), "an Authorization header of unsigned bytes verified");
});
