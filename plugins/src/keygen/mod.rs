//! Key generation for orders: what Barbican's worker asks of a plugin when a `key` or `asymmetric`
//! order runs.
//!
//! Barbican's API accepts any algorithm and bit length that passes the order schema; the check of
//! what can really be generated happens here, in the worker, and a refusal puts the order in ERROR
//! with status code 400 (see [`KeyGenError::status_code`]).
//!
//! # What is supported
//! Algorithm and mode names are matched case-insensitively, as Barbican lowercases them.
//!
//! | algorithm | bit_length | mode |
//! |---|---|---|
//! | `aes` | 128, 192, 256 | none, `cbc`, `ctr`, `gcm` |
//! | `aes` | 256, 512 (two keys) | `xts` |
//! | `hmacsha1`, `hmacsha256`, `hmacsha384`, `hmacsha512` | 64, 128, 192, 256 | none |
//! | `rsa` | 2048, 3072, 4096 | |
//! | `ec` | 256 (P-256), 384 (P-384) | |
//! | `ed25519` | 256 | |
//!
//! Differences from Barbican's `simple_crypto`, all deliberate: `des`/`3des` and `dsa` are not
//! offered (broken or withdrawn), AES keys must be a real AES size (Barbican also takes 64),
//! XTS only for XTS-AES-128/256 (IEEE 1619 defines no other), RSA starts at 2048 and adds 3072,
//! and `ec`/`ed25519` are extra. HMAC lengths are Barbican's list, which is stricter than "any
//! multiple of 8".
//!
//! # Output
//! Symmetric keys are raw bytes in [`Zeroizing`]. Key pairs are PEM: PKCS#8 v1 private keys
//! (`PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` under PBES2 with PBKDF2-SHA256 and AES-256-CBC when
//! a passphrase is given) and SubjectPublicKeyInfo public keys (`PUBLIC KEY`), all readable by
//! OpenSSL 3.0 and Python's `cryptography`. Neither errors nor `Debug` output ever carry key bytes.
//!
//! Generation is CPU-bound and RSA takes tens to hundreds of milliseconds, so async callers should
//! run it on a blocking pool.

mod asymmetric;
mod symmetric;

use std::fmt;

use ring::rand::SystemRandom;
use zeroize::Zeroizing;

pub use asymmetric::{KeyPair, PBKDF2_ITERATIONS};

/// Generates the keys that orders ask for.
pub trait KeyGenerator: Send + Sync {
    /// Random key bytes for a symmetric `algorithm` of `bit_length` bits (for `xts`, the two keys
    /// together). `mode` only constrains which lengths are valid; it does not change the bytes.
    fn generate_symmetric(
        &self,
        algorithm: &str,
        bit_length: u32,
        mode: Option<&str>,
    ) -> Result<Zeroizing<Vec<u8>>, KeyGenError>;

    /// A new key pair as PEM. A non-empty `passphrase` encrypts the private key; an empty one is
    /// treated as none, as Barbican does (`if passphrase:`).
    fn generate_asymmetric(
        &self,
        algorithm: &str,
        bit_length: u32,
        passphrase: Option<&str>,
    ) -> Result<KeyPair, KeyGenError>;
}

/// The built-in generator: ring's system random source for everything, RustCrypto's `rsa` for the
/// RSA primes (ring cannot generate RSA keys).
#[derive(Debug)]
pub struct KeyGenPlugin {
    rng: SystemRandom,
}

impl KeyGenPlugin {
    pub fn new() -> Self {
        Self { rng: SystemRandom::new() }
    }
}

impl Default for KeyGenPlugin {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyGenerator for KeyGenPlugin {
    fn generate_symmetric(
        &self,
        algorithm: &str,
        bit_length: u32,
        mode: Option<&str>,
    ) -> Result<Zeroizing<Vec<u8>>, KeyGenError> {
        symmetric::generate(&self.rng, algorithm, bit_length, mode)
    }

    fn generate_asymmetric(
        &self,
        algorithm: &str,
        bit_length: u32,
        passphrase: Option<&str>,
    ) -> Result<KeyPair, KeyGenError> {
        asymmetric::generate(&self.rng, algorithm, bit_length, passphrase)
    }
}

/// Why no key was generated. Carries the request's algorithm/length/mode, never key material or
/// the passphrase.
#[derive(Debug, thiserror::Error)]
pub enum KeyGenError {
    /// No generator for this algorithm (Barbican's `SecretGenerateSupportedPluginNotFound`).
    #[error("Secret generate supported plugin not found.")]
    UnsupportedAlgorithm { algorithm: String },
    /// The algorithm is known but not with this bit length or mode.
    #[error("{}", invalid_message(.algorithm, *.bit_length, .mode.as_deref(), .reason))]
    InvalidParameters { algorithm: String, bit_length: u32, mode: Option<String>, reason: &'static str },
    /// The system random source failed.
    #[error("system random source failed")]
    Random,
    /// Generating or encoding the key failed (a library error, not the caller's request).
    #[error("key generation failed: {0}")]
    Internal(&'static str),
}

impl KeyGenError {
    /// The HTTP status an order failing with this error records as `error_status_code`: 400 for
    /// what the request asked, 500 for failures of our own.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::UnsupportedAlgorithm { .. } | Self::InvalidParameters { .. } => 400,
            Self::Random | Self::Internal(_) => 500,
        }
    }

    fn invalid(algorithm: &str, bit_length: u32, mode: Option<&str>, reason: &'static str) -> Self {
        Self::InvalidParameters { algorithm: algorithm.to_owned(), bit_length, mode: mode.map(str::to_owned), reason }
    }
}

fn invalid_message(algorithm: &str, bit_length: u32, mode: Option<&str>, reason: &str) -> String {
    let mode = mode.map(|m| format!(" and mode '{m}'")).unwrap_or_default();
    format!("Cannot generate '{algorithm}' key with bit length {bit_length}{mode}: {reason}.")
}

/// Lowercased, trimmed name; blank counts as absent (order meta values arrive stripped, and an
/// empty `mode` means no mode).
fn normalise(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_ascii_lowercase)
}

// Hand-written so a future field cannot leak into logs by a derive.
impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("algorithm", &self.algorithm)
            .field("bit_length", &self.bit_length)
            .field("encrypted", &self.encrypted)
            .field("private_key_pem", &"***")
            .field("public_key_pem", &format_args!("<{} bytes>", self.public_key_pem.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_like_barbican_and_map_to_400() {
        let plugin = KeyGenPlugin::new();
        let err = plugin.generate_symmetric("blowfish", 128, None).unwrap_err();
        assert_eq!(err.to_string(), "Secret generate supported plugin not found.");
        assert_eq!(err.status_code(), 400);

        let err = plugin.generate_symmetric("AES", 100, Some("CBC")).unwrap_err();
        assert!(matches!(err, KeyGenError::InvalidParameters { bit_length: 100, .. }), "{err:?}");
        assert_eq!(err.status_code(), 400);
        assert_eq!(
            err.to_string(),
            "Cannot generate 'aes' key with bit length 100 and mode 'cbc': bit_length must be 128, 192 or 256."
        );
        assert_eq!(KeyGenError::Random.status_code(), 500);
    }

    #[test]
    fn plugin_is_usable_as_a_shared_trait_object() {
        let plugin: std::sync::Arc<dyn KeyGenerator> = std::sync::Arc::new(KeyGenPlugin::new());
        assert_eq!(plugin.generate_symmetric("aes", 256, None).map(|k| k.len()).ok(), Some(32));
    }
}
