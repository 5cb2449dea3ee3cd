//! The payload content-type and encoding rules on their own: content-type normalisation, the
//! `Accept` negotiation of `GET .../payload`, the request media type, and the lenient base64
//! decoder (Python's `b64decode`), which must agree with a strict decoder on canonical input.
//!
//! Input: `content type \n accept \n payload`.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use portcullis_api::fuzzing::{PayloadKind, decode_base64, media_type, payload_accept};

const SERVED: &[&str] = &["text/plain", "application/octet-stream", "application/pkcs8"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.splitn(3, '\n');
    let (content_type, accept, payload) =
        (lines.next().unwrap_or_default(), lines.next().unwrap_or_default(), lines.next().unwrap_or_default());

    // Normalising a content type is idempotent and lands on one of the stored types.
    if let Some(kind) = PayloadKind::from_content_type(content_type) {
        let stored = kind.stored_content_type();
        assert!(SERVED.contains(&stored));
        assert_eq!(PayloadKind::from_content_type(stored), Some(kind));
    }

    // Negotiation serves one of the stored types, and exactly what was asked for when it names one.
    for stored in SERVED.iter().copied().chain([content_type]) {
        match payload_accept(Some(accept), stored) {
            Ok(served) => {
                assert!(SERVED.contains(&served));
                if SERVED.contains(&accept.trim()) {
                    assert_eq!(served, accept.trim());
                }
            }
            Err(e) => assert!(matches!(e.status().as_u16(), 400 | 406), "{e:?}"),
        }
    }

    // The request's media type: lowercase, trimmed, without parameters.
    if let Ok(value) = axum_header(content_type) {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(axum::http::header::CONTENT_TYPE, value);
        if let Some(media) = media_type(&headers) {
            assert!(!media.contains(';') && media == media.trim() && media == media.to_ascii_lowercase());
        }
    }

    // Lenient base64: canonical text decodes as a strict decoder decodes it, any bytes encoded
    // decode back, and what decodes is never longer than three quarters of the text.
    if let Ok(strict) = STANDARD.decode(payload) {
        assert_eq!(decode_base64(payload).as_deref().map(Vec::as_slice), Some(strict.as_slice()));
    }
    let encoded = STANDARD.encode(payload.as_bytes());
    assert_eq!(decode_base64(&encoded).as_deref().map(Vec::as_slice), Some(payload.as_bytes()));
    if let Some(decoded) = decode_base64(payload) {
        assert!(decoded.len() * 4 <= payload.len() * 3);
    }
});

fn axum_header(text: &str) -> Result<axum::http::HeaderValue, axum::http::header::InvalidHeaderValue> {
    axum::http::HeaderValue::from_str(text)
}
