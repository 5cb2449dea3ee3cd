//! Crypto plugins: the envelope-encryption hierarchy that protects every payload.
//!
//! A 256-bit **master key** (one per crypto store) wraps one **KEK** per project; the KEK seals
//! each payload with AES-256-GCM under associated data naming the secret and its project, so a
//! ciphertext moved to another row does not open.
//!
//! # Layout
//! - [`crypto`]: the [`CryptoPlugin`] trait, [`Kek`] and [`PluginError`].
//! - [`simple_crypto`]: the built-in plugin (ring's AES-256-GCM under a local master key).
//! - [`master_key`]: loading, generating and writing master keys.
//! - [`kek_cache`]: a bounded cache of unwrapped KEKs, zeroized on eviction.
//! - [`ca`]: certificate orders: PKCS#10 CSRs ([`parse_csr`], [`build_csr`]), RFC 4514 names
//!   ([`parse_dn`]) and the [`CertificateAuthority`] trait with its [`LocalCa`].
//! - [`keygen`]: key generation for orders ([`KeyGenerator`], [`KeyGenPlugin`]): AES/HMAC keys, and
//!   RSA/EC/Ed25519 key pairs as PKCS#8 and SubjectPublicKeyInfo PEM.

pub mod ca;
pub mod crypto;
pub mod kek_cache;
pub mod keygen;
pub mod master_key;
pub mod simple_crypto;

pub use ca::{CaError, CertificateAuthority, Csr, IssuedCertificate, LocalCa, build_csr, parse_csr, parse_dn};
pub use crypto::{CryptoPlugin, Kek, PluginError, kek_aad, payload_aad};
pub use kek_cache::{CachedKek, KekCache};
pub use keygen::{KeyGenError, KeyGenPlugin, KeyGenerator, KeyPair};
pub use master_key::{MasterKey, MasterKeySource};
pub use simple_crypto::SimpleCrypto;
