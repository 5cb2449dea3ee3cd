//! Secret metadata and secret consumer bodies: `PUT .../metadata` (`SecretMetadata`),
//! `POST .../metadata` (`SecretMetadatum`) and `POST`/`DELETE .../consumers`
//! (`Secret Consumer`). The first byte picks the schema (`0`, `1`, `2`), the rest is the body.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use portcullis_api::fuzzing::{MAX_METADATA_LEN, metadata, metadatum, secret_consumer};
use portcullis_fuzz::{assert_refusal, body, pick};

/// A stored metadata key: lowercase and URL-safe (Barbican's `^[A-Za-z0-9_-]*$`, lowercased).
fn stored_key(key: &str) -> bool {
    key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fuzz_target!(|data: &[u8]| {
    let Some((schema, data)) = pick(data, 3) else { return };
    let short = |s: &str| s.chars().count() <= MAX_METADATA_LEN;
    match schema {
        0 => {
            let Some(obj) = body(data, "SecretMetadata") else { return };
            match metadata(obj) {
                Ok(pairs) => {
                    let keys: HashSet<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
                    assert_eq!(keys.len(), pairs.len(), "a key twice: {pairs:?}");
                    assert!(pairs.iter().all(|(k, v)| stored_key(k) && short(k) && short(v)), "{pairs:?}");
                }
                Err(e) => assert_refusal(&e),
            }
        }
        1 => {
            let Some(obj) = body(data, "SecretMetadatum") else { return };
            match metadatum(obj) {
                Ok((key, value)) => assert!(stored_key(&key) && short(&key) && short(&value)),
                Err(e) => assert_refusal(&e),
            }
        }
        _ => {
            let Some(obj) = body(data, "Secret Consumer") else { return };
            match secret_consumer(obj) {
                Ok(c) => {
                    assert!(!c.service.is_empty() && !c.resource_type.is_empty() && !c.resource_id.is_empty());
                    assert!(c.service.chars().count() <= 255 && c.resource_type.chars().count() <= 255);
                }
                Err(e) => assert_refusal(&e),
            }
        }
    }
});
