//! Key pairs: RSA via RustCrypto `rsa` (ring cannot generate RSA keys), EC and Ed25519 via ring,
//! all written out as PKCS#8 / SubjectPublicKeyInfo PEM.
//!
//! Every random byte, the RSA primes' included, comes from ring's `SystemRandom`, so one source
//! has to be trusted rather than two.

use pkcs8::der::asn1::{BitStringRef, OctetStringRef};
use pkcs8::der::pem::PemLabel;
use pkcs8::pkcs5::pbes2;
use pkcs8::spki::AlgorithmIdentifier;
use pkcs8::{
    Document, EncodePrivateKey, EncodePublicKey, EncryptedPrivateKeyInfoRef, LineEnding, ObjectIdentifier,
    PrivateKeyInfoRef, SecretDocument, SubjectPublicKeyInfo, SubjectPublicKeyInfoRef,
};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, EcdsaSigningAlgorithm,
    Ed25519KeyPair, KeyPair as _,
};
use rsa::rand_core::{TryCryptoRng, TryRng};
use zeroize::Zeroizing;

use super::{KeyGenError, normalise};

/// PBKDF2-HMAC-SHA256 rounds for passphrase-protected keys: OWASP's current figure and `pkcs5`'s
/// default (Python's `BestAvailableEncryption` uses only 2,048). PBKDF2 rather than scrypt because
/// more PKCS#8 readers know it (Java's has no scrypt).
pub const PBKDF2_ITERATIONS: u32 = 600_000;

const RSA_BITS: [u32; 3] = [2048, 3072, 4096];
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// A generated key pair, PEM-encoded. `Debug` shows neither key.
pub struct KeyPair {
    /// Normalised algorithm name: `rsa`, `ec` or `ed25519`.
    pub algorithm: &'static str,
    pub bit_length: u32,
    /// Whether `private_key_pem` is `ENCRYPTED PRIVATE KEY` (a passphrase was given).
    pub encrypted: bool,
    /// PKCS#8: `-----BEGIN PRIVATE KEY-----` or `-----BEGIN ENCRYPTED PRIVATE KEY-----`.
    pub private_key_pem: Zeroizing<String>,
    /// SubjectPublicKeyInfo: `-----BEGIN PUBLIC KEY-----`.
    pub public_key_pem: String,
}

pub(super) fn generate(
    rng: &SystemRandom,
    algorithm: &str,
    bit_length: u32,
    passphrase: Option<&str>,
) -> Result<KeyPair, KeyGenError> {
    let algorithm = normalise(Some(algorithm)).unwrap_or_default();
    let invalid = |reason| KeyGenError::invalid(&algorithm, bit_length, None, reason);
    let (name, pkcs8, public_key_pem) = match algorithm.as_str() {
        "rsa" if RSA_BITS.contains(&bit_length) => {
            let (pkcs8, public) = rsa_pair(rng, bit_length)?;
            ("rsa", pkcs8, public)
        }
        "rsa" => return Err(invalid("bit_length must be 2048, 3072 or 4096")),
        "ec" => {
            let (alg, curve) = match bit_length {
                256 => (&ECDSA_P256_SHA256_ASN1_SIGNING, SECP256R1),
                384 => (&ECDSA_P384_SHA384_ASN1_SIGNING, SECP384R1),
                _ => return Err(invalid("bit_length must be 256 (P-256) or 384 (P-384)")),
            };
            let (pkcs8, public) = ec_pair(rng, alg, curve)?;
            ("ec", pkcs8, public)
        }
        "ed25519" if bit_length == 256 => {
            let (pkcs8, public) = ed25519_pair(rng)?;
            ("ed25519", pkcs8, public)
        }
        "ed25519" => return Err(invalid("bit_length must be 256")),
        _ => return Err(KeyGenError::UnsupportedAlgorithm { algorithm }),
    };
    // Barbican encrypts only `if passphrase:`, so an empty one means none.
    let passphrase = passphrase.filter(|p| !p.is_empty());
    let private_key_pem = match passphrase {
        Some(passphrase) => encrypted_pem(rng, &pkcs8, passphrase)?,
        None => pkcs8.to_pem(PrivateKeyInfoRef::PEM_LABEL, LineEnding::LF).map_err(|_| encoding())?,
    };
    Ok(KeyPair { algorithm: name, bit_length, encrypted: passphrase.is_some(), private_key_pem, public_key_pem })
}

fn rsa_pair(rng: &SystemRandom, bit_length: u32) -> Result<(SecretDocument, String), KeyGenError> {
    let key = rsa::PrivateKey::new(&mut RingRng(rng), bit_length as usize).map_err(|e| match e {
        rsa::Error::Rng => KeyGenError::Random,
        _ => KeyGenError::Internal("RSA key generation failed"),
    })?;
    let pkcs8 = key.to_pkcs8_der().map_err(|_| encoding())?;
    let public = key.to_public_key().to_public_key_pem(LineEnding::LF).map_err(|_| encoding())?;
    Ok((pkcs8, public))
}

fn ec_pair(
    rng: &SystemRandom,
    alg: &'static EcdsaSigningAlgorithm,
    curve: ObjectIdentifier,
) -> Result<(SecretDocument, String), KeyGenError> {
    let doc = EcdsaKeyPair::generate_pkcs8(alg, rng).map_err(|_| KeyGenError::Random)?;
    // Parsing the document back is the only way ring hands out the public point.
    let pair = EcdsaKeyPair::from_pkcs8(alg, doc.as_ref(), rng)
        .map_err(|_| KeyGenError::Internal("ring rejected its own EC key"))?;
    let public = spki_pem(ID_EC_PUBLIC_KEY, Some(curve), pair.public_key().as_ref())?;
    Ok((secret_document(doc.as_ref())?, public))
}

fn ed25519_pair(rng: &SystemRandom) -> Result<(SecretDocument, String), KeyGenError> {
    let doc = Ed25519KeyPair::generate_pkcs8(rng).map_err(|_| KeyGenError::Random)?;
    let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref())
        .map_err(|_| KeyGenError::Internal("ring rejected its own Ed25519 key"))?;
    // RFC 8410: Ed25519 AlgorithmIdentifiers have absent parameters.
    let public = spki_pem(ID_ED25519, None, pair.public_key().as_ref())?;
    // ring writes PKCS#8 v2 (RFC 5958, public key attached), which OpenSSL 3.0 refuses to read
    // ("unsupported"); v1 is what OpenSSL itself writes and what RFC 8410 shows.
    let mut info = PrivateKeyInfoRef::try_from(doc.as_ref()).map_err(|_| encoding())?;
    info.public_key = None;
    Ok((SecretDocument::encode_msg(&info).map_err(|_| encoding())?, public))
}

/// Copies ring's PKCS#8 bytes into a document that is zeroized on drop. (ring's own `Document`
/// is not, and cannot be reached to clear; it dies with this call's stack frame.)
fn secret_document(der: &[u8]) -> Result<SecretDocument, KeyGenError> {
    SecretDocument::try_from(der).map_err(|_| encoding())
}

fn spki_pem(oid: ObjectIdentifier, params: Option<ObjectIdentifier>, public: &[u8]) -> Result<String, KeyGenError> {
    let spki = SubjectPublicKeyInfo {
        algorithm: AlgorithmIdentifier { oid, parameters: params },
        subject_public_key: BitStringRef::from_bytes(public).map_err(|_| encoding())?,
    };
    Document::encode_msg(&spki)
        .and_then(|doc| doc.to_pem(SubjectPublicKeyInfoRef::PEM_LABEL, LineEnding::LF))
        .map_err(|_| encoding())
}

/// PKCS#8 `EncryptedPrivateKeyInfo`, PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC: what
/// `openssl pkcs8 -topk8 -v2 aes-256-cbc` and Python's `BestAvailableEncryption` (Barbican's
/// choice) produce, so any PKCS#8 reader opens it.
fn encrypted_pem(
    rng: &SystemRandom,
    pkcs8: &SecretDocument,
    passphrase: &str,
) -> Result<Zeroizing<String>, KeyGenError> {
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rng.fill(&mut salt).map_err(|_| KeyGenError::Random)?;
    rng.fill(&mut iv).map_err(|_| KeyGenError::Random)?;
    let params = pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(PBKDF2_ITERATIONS, &salt, iv)
        .map_err(|_| KeyGenError::Internal("PBES2 parameters rejected"))?;
    let ciphertext = params
        .encrypt(passphrase, pkcs8.as_bytes())
        .map_err(|_| KeyGenError::Internal("private key encryption failed"))?;
    let info = EncryptedPrivateKeyInfoRef {
        encryption_algorithm: params.into(),
        encrypted_data: OctetStringRef::new(&ciphertext).map_err(|_| encoding())?,
    };
    SecretDocument::try_from(info)
        .and_then(|doc| doc.to_pem(EncryptedPrivateKeyInfoRef::PEM_LABEL, LineEnding::LF).map_err(Into::into))
        .map_err(|_| encoding())
}

fn encoding() -> KeyGenError {
    KeyGenError::Internal("key encoding failed")
}

/// Lets `rsa` draw its primes from ring's `SystemRandom` (rand_core's trait, ring's source).
struct RingRng<'a>(&'a SystemRandom);

/// ring's `Unspecified` implements `std::error::Error` only with ring's `std` feature.
#[derive(Debug)]
struct RngFailed;

impl std::fmt::Display for RngFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("system random source failed")
    }
}

impl std::error::Error for RngFailed {}

impl TryRng for RingRng<'_> {
    type Error = RngFailed;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut buf = [0u8; 4];
        self.try_fill_bytes(&mut buf)?;
        Ok(u32::from_le_bytes(buf))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut buf = [0u8; 8];
        self.try_fill_bytes(&mut buf)?;
        Ok(u64::from_le_bytes(buf))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst).map_err(|_| RngFailed)
    }
}

impl TryCryptoRng for RingRng<'_> {}

#[cfg(test)]
mod tests {
    use pkcs8::der::Decode;
    use pkcs8::{DecodePrivateKey, DecodePublicKey, EncryptedPrivateKeyInfoRef};
    use ring::signature::{ECDSA_P256_SHA256_ASN1, ED25519, UnparsedPublicKey};

    use super::*;
    use crate::keygen::{KeyGenPlugin, KeyGenerator};

    const PRIVATE_HEADER: &str = "-----BEGIN PRIVATE KEY-----\n";
    const ENCRYPTED_HEADER: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n";
    const PUBLIC_HEADER: &str = "-----BEGIN PUBLIC KEY-----\n";

    fn der_of(pem: &str) -> Zeroizing<Vec<u8>> {
        let (_, doc) = SecretDocument::from_pem(pem).expect("PEM parses");
        doc.to_bytes()
    }

    /// The raw public key inside a SubjectPublicKeyInfo PEM, and its algorithm OID.
    fn spki_key(pem: &str) -> (ObjectIdentifier, Option<ObjectIdentifier>, Vec<u8>) {
        let (_, doc) = Document::from_pem(pem).expect("PEM parses");
        let spki = SubjectPublicKeyInfoRef::from_der(doc.as_bytes()).expect("SPKI parses");
        let params = spki.algorithm.parameters.map(|p| p.decode_as::<ObjectIdentifier>().expect("curve OID"));
        (spki.algorithm.oid, params, spki.subject_public_key.raw_bytes().to_vec())
    }

    #[test]
    fn rsa_2048_round_trips_and_the_public_key_matches() {
        let pair = KeyGenPlugin::new().generate_asymmetric("RSA", 2048, None).expect("generates");
        assert_eq!((pair.algorithm, pair.bit_length, pair.encrypted), ("rsa", 2048, false));
        assert!(pair.private_key_pem.starts_with(PRIVATE_HEADER));
        assert!(pair.public_key_pem.starts_with(PUBLIC_HEADER));

        let private = rsa::PrivateKey::from_pkcs8_pem(&pair.private_key_pem).expect("private PEM parses");
        let public = rsa::PublicKey::from_public_key_pem(&pair.public_key_pem).expect("public PEM parses");
        assert_eq!(private.to_public_key(), public);
        assert_eq!(rsa::traits::PublicKeyParts::size(&public), 256);
    }

    #[test]
    fn ec_keys_parse_back_with_ring_and_match_their_public_pem() {
        let rng = SystemRandom::new();
        for (bits, alg, curve) in
            [(256, &ECDSA_P256_SHA256_ASN1_SIGNING, SECP256R1), (384, &ECDSA_P384_SHA384_ASN1_SIGNING, SECP384R1)]
        {
            let pair = KeyGenPlugin::new().generate_asymmetric("ec", bits, None).expect("generates");
            assert!(pair.private_key_pem.starts_with(PRIVATE_HEADER));
            let key = EcdsaKeyPair::from_pkcs8(alg, &der_of(&pair.private_key_pem), &rng).expect("ring parses");
            let (oid, params, public) = spki_key(&pair.public_key_pem);
            assert_eq!((oid, params), (ID_EC_PUBLIC_KEY, Some(curve)));
            assert_eq!(public, key.public_key().as_ref());
        }
        // The public PEM verifies what the private key signs.
        let pair = KeyGenPlugin::new().generate_asymmetric("ec", 256, None).expect("generates");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &der_of(&pair.private_key_pem), &rng)
            .expect("ring parses");
        let sig = key.sign(&rng, b"order").expect("signs");
        let (_, _, public) = spki_key(&pair.public_key_pem);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public).verify(b"order", sig.as_ref()).expect("verifies");
    }

    #[test]
    fn ed25519_parses_back_with_ring_and_matches_its_public_pem() {
        let pair = KeyGenPlugin::new().generate_asymmetric("Ed25519", 256, None).expect("generates");
        assert_eq!(pair.algorithm, "ed25519");
        let der = der_of(&pair.private_key_pem);
        // v1, which OpenSSL 3.0 reads; ring's strict `from_pkcs8` wants v2, so the v1-accepting
        // parser is used and the public key is checked against the PEM below instead.
        assert_eq!(PrivateKeyInfoRef::try_from(der.as_slice()).map(|i| i.version()).ok(), Some(pkcs8::Version::V1));
        let key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).expect("ring parses");
        let (oid, params, public) = spki_key(&pair.public_key_pem);
        assert_eq!((oid, params), (ID_ED25519, None));
        assert_eq!(public, key.public_key().as_ref());
        UnparsedPublicKey::new(&ED25519, public).verify(b"order", key.sign(b"order").as_ref()).expect("verifies");
    }

    #[test]
    fn a_passphrase_encrypts_the_private_key() {
        let pair = KeyGenPlugin::new().generate_asymmetric("ed25519", 256, Some("correct horse")).expect("generates");
        assert!(pair.encrypted);
        assert!(pair.private_key_pem.starts_with(ENCRYPTED_HEADER));
        let der = der_of(&pair.private_key_pem);
        let info = EncryptedPrivateKeyInfoRef::from_der(&der).expect("EncryptedPrivateKeyInfo parses");
        let pbes2 = info.encryption_algorithm.pbes2().expect("PBES2");
        assert_eq!(pbes2.encryption.oid(), pbes2::AES_256_CBC_OID);
        assert_eq!(pbes2.kdf.pbkdf2().map(|p| p.iteration_count), Some(PBKDF2_ITERATIONS));

        assert!(info.decrypt("wrong horse").is_err(), "a wrong passphrase must not open the key");
        let plain = info.decrypt("correct horse").expect("right passphrase decrypts");
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(plain.as_bytes()).expect("decrypted key is a ring PKCS#8 key");
    }

    #[test]
    fn an_empty_passphrase_means_none_as_in_barbican() {
        let pair = KeyGenPlugin::new().generate_asymmetric("ec", 256, Some("")).expect("generates");
        assert!(!pair.encrypted);
        assert!(pair.private_key_pem.starts_with(PRIVATE_HEADER));
    }

    #[test]
    fn encrypted_ec_key_opens_with_ring_after_decryption() {
        let pair = KeyGenPlugin::new().generate_asymmetric("ec", 384, Some("s3cret")).expect("generates");
        let der = der_of(&pair.private_key_pem);
        let info = EncryptedPrivateKeyInfoRef::from_der(&der).expect("parses");
        let plain = info.decrypt("s3cret").expect("decrypts");
        EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, plain.as_bytes(), &SystemRandom::new())
            .expect("ring parses");
        assert!(info.decrypt("S3cret").is_err());
    }

    #[test]
    fn unsupported_algorithms_and_lengths_are_refused() {
        let plugin = KeyGenPlugin::new();
        for alg in ["dsa", "aes", "x25519", "diffie_hellman"] {
            let err = plugin.generate_asymmetric(alg, 2048, None).unwrap_err();
            assert!(matches!(err, KeyGenError::UnsupportedAlgorithm { .. }), "{alg}: {err:?}");
            assert_eq!(err.to_string(), "Secret generate supported plugin not found.");
        }
        // Checked before any (slow) generation starts.
        for (alg, bits) in [("rsa", 1024), ("rsa", 2047), ("rsa", 8192), ("ec", 521), ("ec", 0), ("ed25519", 255)] {
            let err = plugin.generate_asymmetric(alg, bits, None).unwrap_err();
            assert!(matches!(err, KeyGenError::InvalidParameters { .. }), "{alg}/{bits}: {err:?}");
        }
    }

    #[test]
    fn debug_shows_no_key_material() {
        let pair = KeyGenPlugin::new().generate_asymmetric("ed25519", 256, None).expect("generates");
        let debug = format!("{pair:?}");
        assert!(debug.contains("ed25519") && debug.contains("***"), "{debug}");
        for pem in [pair.private_key_pem.as_str(), pair.public_key_pem.as_str()] {
            // No base64 body line of either PEM appears.
            for line in pem.lines().filter(|l| !l.starts_with("-----")) {
                assert!(!debug.contains(line), "Debug leaks PEM line {line}");
            }
        }
        assert!(!debug.contains("BEGIN"), "{debug}");
    }
}
