//! The crypto plugin contract.

use std::fmt;

use zeroize::Zeroizing;

/// Why a crypto operation failed. Messages never carry key or payload bytes.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The ciphertext does not open under this key and associated data: it was tampered with,
    /// moved to another secret or project, or sealed under another master key.
    #[error("ciphertext failed authentication (tampered, moved, or sealed under another key)")]
    Authentication,
    /// Stored key material has the wrong shape.
    #[error("malformed key material: {0}")]
    Malformed(&'static str),
    /// The system random source failed.
    #[error("system random source failed")]
    Random,
}

/// An unwrapped project key-encryption key. Zeroized on drop; never printed.
pub struct Kek(pub(crate) Zeroizing<[u8; 32]>);

impl Kek {
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kek(***)")
    }
}

/// A crypto store's plugin: wraps project KEKs under its master key and seals payloads under a
/// KEK. Implementations are cheap to call from async code (microseconds for Barbican-sized
/// payloads), so callers do not move them to a blocking pool.
pub trait CryptoPlugin: Send + Sync + 'static {
    /// The plugin's name as recorded beside the store (`simple_crypto`).
    fn plugin_name(&self) -> &'static str;

    /// A value only this master key produces and opens: recorded once per store so that a process
    /// configured with another key can refuse to start instead of failing every request.
    fn key_check(&self, store: &str) -> Result<Vec<u8>, PluginError>;

    /// Whether `check` was produced by [`CryptoPlugin::key_check`] under this master key.
    fn verify_key_check(&self, store: &str, check: &[u8]) -> bool;

    /// Generates a fresh KEK and returns it wrapped under the master key, bound to `aad`.
    fn generate_wrapped_kek(&self, aad: &[u8]) -> Result<Vec<u8>, PluginError>;

    /// Unwraps a KEK produced by [`CryptoPlugin::generate_wrapped_kek`] with the same `aad`.
    fn unwrap_kek(&self, wrapped: &[u8], aad: &[u8]) -> Result<Kek, PluginError>;

    /// Wraps an already unwrapped KEK under this plugin's master key (master-key rotation).
    fn wrap_kek(&self, kek: &Kek, aad: &[u8]) -> Result<Vec<u8>, PluginError>;

    /// Seals `plaintext` under `kek`, bound to `aad`.
    fn encrypt(&self, kek: &Kek, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, PluginError>;

    /// Opens a ciphertext sealed by [`CryptoPlugin::encrypt`] with the same KEK and `aad`.
    fn decrypt(&self, kek: &Kek, ciphertext: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, PluginError>;
}

/// Associated data binding a wrapped KEK to its store, project and row id.
pub fn kek_aad(store: &str, project_id: &str, kek_id: &uuid::Uuid) -> Vec<u8> {
    format!("portcullis/v1/kek/{store}/{project_id}/{kek_id}").into_bytes()
}

/// Associated data binding a payload ciphertext to its project and secret.
pub fn payload_aad(project_id: &str, secret_id: &uuid::Uuid) -> Vec<u8> {
    format!("portcullis/v1/secret/{project_id}/{secret_id}").into_bytes()
}
