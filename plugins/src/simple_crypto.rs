//! `simple_crypto`: AES-256-GCM (ring) under a local master key, as Barbican's plugin of that
//! name, with random 96-bit nonces and associated data on every seal.
//!
//! # Format
//! Every sealed value is `nonce (12 bytes) || ciphertext || tag (16 bytes)`.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::crypto::{CryptoPlugin, Kek, PluginError};
use crate::master_key::MasterKey;

const KEY_CHECK_LABEL: &[u8] = b"portcullis master key check";

/// The built-in crypto plugin.
pub struct SimpleCrypto {
    master: LessSafeKey,
    rng: SystemRandom,
}

impl SimpleCrypto {
    pub fn new(master: &MasterKey) -> Self {
        Self { master: aead_key(master.bytes()), rng: SystemRandom::new() }
    }

    fn seal(&self, key: &LessSafeKey, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, PluginError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| PluginError::Random)?;
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let mut body = out.split_off(NONCE_LEN);
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut body)
            .map_err(|_| PluginError::Malformed("plaintext too long"))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    fn open(key: &LessSafeKey, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, PluginError> {
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(PluginError::Authentication);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| PluginError::Authentication)?;
        let mut buf = Zeroizing::new(body.to_vec());
        let len = key.open_in_place(nonce, Aad::from(aad), &mut buf).map_err(|_| PluginError::Authentication)?.len();
        buf.truncate(len);
        Ok(buf)
    }
}

fn aead_key(bytes: &[u8; 32]) -> LessSafeKey {
    // A 32-byte slice is always a valid AES-256 key.
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("AES-256 key is 32 bytes"))
}

impl CryptoPlugin for SimpleCrypto {
    fn plugin_name(&self) -> &'static str {
        "simple_crypto"
    }

    fn key_check(&self, store: &str) -> Result<Vec<u8>, PluginError> {
        self.seal(&self.master, KEY_CHECK_LABEL, store.as_bytes())
    }

    fn verify_key_check(&self, store: &str, check: &[u8]) -> bool {
        Self::open(&self.master, check, store.as_bytes()).is_ok_and(|label| label.as_slice() == KEY_CHECK_LABEL)
    }

    fn generate_wrapped_kek(&self, aad: &[u8]) -> Result<Vec<u8>, PluginError> {
        let mut kek = Zeroizing::new([0u8; 32]);
        self.rng.fill(kek.as_mut()).map_err(|_| PluginError::Random)?;
        self.seal(&self.master, kek.as_ref(), aad)
    }

    fn unwrap_kek(&self, wrapped: &[u8], aad: &[u8]) -> Result<Kek, PluginError> {
        let raw = Self::open(&self.master, wrapped, aad)?;
        let bytes: [u8; 32] = raw.as_slice().try_into().map_err(|_| PluginError::Malformed("KEK is not 32 bytes"))?;
        Ok(Kek(Zeroizing::new(bytes)))
    }

    fn wrap_kek(&self, kek: &Kek, aad: &[u8]) -> Result<Vec<u8>, PluginError> {
        self.seal(&self.master, kek.bytes(), aad)
    }

    fn encrypt(&self, kek: &Kek, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, PluginError> {
        self.seal(&aead_key(kek.bytes()), plaintext, aad)
    }

    fn decrypt(&self, kek: &Kek, ciphertext: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, PluginError> {
        Self::open(&aead_key(kek.bytes()), ciphertext, aad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin(byte: u8) -> SimpleCrypto {
        SimpleCrypto::new(&MasterKey::from_bytes([byte; 32]))
    }

    #[test]
    fn payload_round_trips_and_is_bound_to_its_aad() {
        let p = plugin(1);
        let kek = p.unwrap_kek(&p.generate_wrapped_kek(b"kek").unwrap(), b"kek").unwrap();
        let sealed = p.encrypt(&kek, b"hello world", b"secret-a").unwrap();
        assert!(!sealed.windows(11).any(|w| w == b"hello world"));
        assert_eq!(p.decrypt(&kek, &sealed, b"secret-a").unwrap().as_slice(), b"hello world");
        assert!(matches!(p.decrypt(&kek, &sealed, b"secret-b"), Err(PluginError::Authentication)));
    }

    #[test]
    fn another_master_key_cannot_unwrap_or_pass_the_check() {
        let (a, b) = (plugin(1), plugin(2));
        let wrapped = a.generate_wrapped_kek(b"kek").unwrap();
        assert!(b.unwrap_kek(&wrapped, b"kek").is_err());
        let check = a.key_check("default").unwrap();
        assert!(a.verify_key_check("default", &check));
        assert!(!b.verify_key_check("default", &check));
        assert!(!a.verify_key_check("other", &check));
    }

    #[test]
    fn rewrapping_keeps_the_kek() {
        let (a, b) = (plugin(1), plugin(2));
        let kek = a.unwrap_kek(&a.generate_wrapped_kek(b"k").unwrap(), b"k").unwrap();
        let sealed = a.encrypt(&kek, b"data", b"s").unwrap();
        let rewrapped = b.wrap_kek(&kek, b"k").unwrap();
        let kek_b = b.unwrap_kek(&rewrapped, b"k").unwrap();
        assert_eq!(b.decrypt(&kek_b, &sealed, b"s").unwrap().as_slice(), b"data");
    }
}
