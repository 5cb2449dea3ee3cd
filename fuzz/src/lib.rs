//! What the fuzz targets in `fuzz_targets/` share: reading a body as the API reads it, a fixed
//! clock, and the check every refusal must pass.
//!
//! Each target calls the parsers through [`portcullis_api::fuzzing`] and asserts properties of
//! what they accept, not only that they do not panic. Run them with `just fuzz [SECONDS]`.

use portcullis_api::fuzzing::{ApiError, json_object, strip_whitespace};
use portcullis_store::Timestamp;
use serde_json::{Map, Value};

/// The server's default `max_secret_bytes`.
pub const MAX_SECRET_BYTES: usize = 20_000;

/// A fixed "now", so a crashing input replays the same way on any day.
pub fn now() -> Timestamp {
    Timestamp::parse("2030-01-01T00:00:00").expect("a valid timestamp")
}

/// The body as a handler receives it (parsed, every string stripped), or `None` where the API
/// refuses it first: then the refusal must be a 400.
pub fn body(data: &[u8], schema: &'static str) -> Option<Map<String, Value>> {
    match json_object(data, schema) {
        Ok(obj) => {
            // Stripping is done once and for all: doing it again changes nothing.
            let mut again = Value::Object(obj.clone());
            strip_whitespace(&mut again);
            assert_eq!(again, Value::Object(obj.clone()), "a stripped body has an unstripped string");
            Some(obj)
        }
        Err(e) => {
            assert_eq!(e.status().as_u16(), 400, "a body that is not a JSON object: {e:?}");
            None
        }
    }
}

/// A validator's refusal is the client's fault (4xx), never a 500.
pub fn assert_refusal(e: &ApiError) {
    assert!(e.status().is_client_error(), "a refusal that is not a 4xx: {e:?}");
}

/// The first byte picks one of `n` validators; the rest is the body.
pub fn pick(data: &[u8], n: u8) -> Option<(u8, &[u8])> {
    let (first, rest) = data.split_first()?;
    Some((first % n, rest))
}

/// A string field of a body, if it is one.
pub fn text<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

/// The HS256 secret of the JWT targets' verifier.
pub const JWT_SECRET: &[u8] = b"the fuzz targets' HS256 secret, 32 bytes or more";

/// The JWT targets' clock (seconds since the epoch): tokens expire relative to it.
pub const JWT_NOW: i64 = 1_900_000_000;
