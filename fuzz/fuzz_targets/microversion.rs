//! The `OpenStack-API-Version` header: any value either selects a served microversion (1.0–1.2)
//! or is refused with 400 (unparsable) or 406 (not served). A header that names no `key-manager`
//! service selects 1.0.
#![no_main]

use axum::http::HeaderValue;
use libfuzzer_sys::fuzz_target;
use portcullis_api::fuzzing::microversion;

fuzz_target!(|data: &[u8]| {
    // Only what HTTP lets through as a header value reaches the middleware.
    let Ok(header) = HeaderValue::from_bytes(data) else { return };
    match microversion(Some(&header)) {
        Ok(version) => {
            assert!(version.0 <= 2, "served microversion 1.{}", version.0);
            if !String::from_utf8_lossy(data).to_ascii_lowercase().contains("key-manager") {
                assert_eq!(version.0, 0, "a header without key-manager selected 1.{}", version.0);
            }
        }
        Err(e) => assert!(matches!(e.status().as_u16(), 400 | 406), "{e:?}"),
    }
});
