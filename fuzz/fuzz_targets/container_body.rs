//! Container bodies: `POST /v1/containers` (`Container`), `POST`/`DELETE .../secrets`
//! (`ContainerSecret`) and `POST`/`DELETE .../consumers` (`Consumer`). The first byte picks the
//! schema (`0`, `1`, `2`), the rest is the body.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use portcullis_api::fuzzing::{CONTAINER_TYPES, container_consumer, container_secret, new_container};
use portcullis_fuzz::{assert_refusal, body, pick, text};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((schema, data)) = pick(data, 3) else { return };
    let chars = |s: &str| s.chars().count();
    match schema {
        0 => {
            let Some(obj) = body(data, "Container") else { return };
            let container = match new_container(&obj) {
                Ok(c) => c,
                Err(e) => return assert_refusal(&e),
            };
            assert!(CONTAINER_TYPES.contains(&container.kind.as_str()));
            assert_eq!(Some(container.kind.as_str()), text(&obj, "type"));
            assert!(container.name.as_deref().is_none_or(|n| chars(n) <= 255));
            let sent = obj.get("secret_refs").and_then(Value::as_array).map_or(0, Vec::len);
            assert_eq!(container.refs.len(), sent);
            let names: HashSet<Option<&str>> = container.refs.iter().map(|r| r.name.as_deref()).collect();
            for r in &container.refs {
                assert!(!r.secret_ref.is_empty());
                assert!(r.name.as_deref().is_none_or(|n| chars(n) <= 255));
            }
            let required: &[&str] = match container.kind.as_str() {
                "rsa" => &["public_key", "private_key"],
                "certificate" => &["certificate"],
                _ => &[],
            };
            if !container.refs.is_empty() {
                assert!(required.iter().all(|n| names.contains(&Some(*n))), "{:?} lacks {required:?}", container.refs);
            }
        }
        1 => {
            let Some(obj) = body(data, "ContainerSecret") else { return };
            match container_secret(&obj) {
                Ok(r) => {
                    assert!(!r.secret_ref.is_empty());
                    assert_eq!(Some(r.secret_ref.as_str()), text(&obj, "secret_ref"));
                    assert!(r.name.as_deref().is_none_or(|n| chars(n) <= 255));
                }
                Err(e) => assert_refusal(&e),
            }
        }
        _ => {
            let Some(obj) = body(data, "Consumer") else { return };
            match container_consumer(&obj) {
                Ok(c) => {
                    assert!((1..=36).contains(&chars(&c.name)), "{:?}", c.name);
                    assert!((1..=255).contains(&chars(&c.url)), "{:?}", c.url);
                }
                Err(e) => assert_refusal(&e),
            }
        }
    }
});
