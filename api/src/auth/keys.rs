//! The keys JWTs are verified with, loaded once at start-up, and the signature check itself
//! (ring).
//!
//! - HS256: a shared secret read from a file (at least 32 bytes, RFC 7518 §3.2; trailing line
//!   breaks are not part of it).
//! - RS256 / ES256: public keys from one file, either PEM (`PUBLIC KEY` SubjectPublicKeyInfo
//!   blocks, `RSA PUBLIC KEY` PKCS#1 blocks, or `CERTIFICATE`s whose key is used) or a JWKS JSON
//!   document (`{"keys": [...]}` or one bare JWK) with RSA `n`/`e` and EC P-256 `x`/`y` keys.
//!
//! Each key verifies one algorithm only, fixed by what it is: a token's `alg` picks the key
//! kind, so an RS256 public key can never be used as an HS256 secret (algorithm confusion).

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ring::signature::{self, RsaPublicKeyComponents};
use serde_json::Value;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY};
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::{PublicKey, RSAPublicKey};
use x509_parser::x509::SubjectPublicKeyInfo;
use zeroize::Zeroizing;

/// The JWS algorithms accepted; anything else (including `none`) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Hs256,
    Rs256,
    Es256,
}

impl Alg {
    pub fn parse(name: &str) -> Option<Alg> {
        match name {
            "HS256" => Some(Alg::Hs256),
            "RS256" => Some(Alg::Rs256),
            "ES256" => Some(Alg::Es256),
            _ => None,
        }
    }
}

/// The shortest HS256 secret accepted: the hash's output size.
pub const MIN_HS256_SECRET_BYTES: usize = 32;
/// The smallest RSA modulus accepted, as ring's verifier requires.
const MIN_RSA_BITS: usize = 2048;

enum Material {
    Hmac(ring::hmac::Key),
    Rsa(RsaPublicKeyComponents<Vec<u8>>),
    /// An uncompressed P-256 point (`04 || x || y`).
    Ec(Vec<u8>),
}

/// One verification key and the `kid` it was published under, if any.
pub struct VerifyingKey {
    kid: Option<String>,
    material: Material,
}

impl VerifyingKey {
    fn alg(&self) -> Alg {
        match self.material {
            Material::Hmac(_) => Alg::Hs256,
            Material::Rsa(_) => Alg::Rs256,
            Material::Ec(_) => Alg::Es256,
        }
    }

    fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        match &self.material {
            // Constant-time comparison of the MAC.
            Material::Hmac(key) => ring::hmac::verify(key, message, sig).is_ok(),
            Material::Rsa(rsa) => rsa.verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig).is_ok(),
            Material::Ec(point) => signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(message, sig)
                .is_ok(),
        }
    }
}

/// Key material never prints.
impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({:?}, kid {:?})", self.alg(), self.kid)
    }
}

/// Every configured key.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<VerifyingKey>,
}

impl KeySet {
    /// Reads the configured files. `Err` names the file and what is wrong with it; the second
    /// value lists keys skipped as unusable (e.g. a JWKS's encryption or Ed25519 keys).
    pub fn load(hs256_secret_file: Option<&Path>, keys_file: Option<&Path>) -> Result<(KeySet, Vec<String>), String> {
        let mut set = KeySet::default();
        let mut skipped = Vec::new();
        if let Some(path) = hs256_secret_file {
            let secret =
                Zeroizing::new(std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?);
            set.keys.push(hs256(&secret).map_err(|e| format!("{}: {e}", path.display()))?);
        }
        if let Some(path) = keys_file {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let (keys, notes) = parse_public_keys(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            if keys.is_empty() {
                return Err(format!("{}: no usable RS256 or ES256 public key in it", path.display()));
            }
            set.keys.extend(keys);
            skipped.extend(notes.into_iter().map(|n| format!("{}: {n}", path.display())));
        }
        Ok((set, skipped))
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn push(&mut self, key: VerifyingKey) {
        self.keys.push(key);
    }

    /// Whether a key for `alg` (and `kid`, when the token names one) signed `message`. A token
    /// naming a `kid` is checked against keys published under that `kid` and against keys that
    /// have none (PEM keys, the HS256 secret).
    pub fn verify(&self, alg: Alg, kid: Option<&str>, message: &[u8], sig: &[u8]) -> bool {
        self.keys
            .iter()
            .filter(|k| k.alg() == alg)
            .filter(|k| match (kid, &k.kid) {
                (Some(wanted), Some(have)) => wanted == have,
                _ => true,
            })
            .any(|k| k.verify(message, sig))
    }
}

/// The HS256 key for a secret file's bytes.
pub fn hs256(file: &[u8]) -> Result<VerifyingKey, String> {
    let end = file.iter().rposition(|b| !matches!(b, b'\n' | b'\r')).map_or(0, |i| i + 1);
    let secret = &file[..end];
    if secret.len() < MIN_HS256_SECRET_BYTES {
        return Err(format!(
            "an HS256 secret must be at least {MIN_HS256_SECRET_BYTES} bytes, this one has {}",
            secret.len()
        ));
    }
    Ok(VerifyingKey { kid: None, material: Material::Hmac(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret)) })
}

/// Public keys from a PEM or JWKS text; also returns notes on keys skipped.
pub fn parse_public_keys(text: &str) -> Result<(Vec<VerifyingKey>, Vec<String>), String> {
    if text.trim_start().starts_with('{') { parse_jwks(text) } else { parse_pem(text).map(|k| (k, Vec::new())) }
}

fn parse_pem(text: &str) -> Result<Vec<VerifyingKey>, String> {
    let mut keys = Vec::new();
    for (i, block) in Pem::iter_from_buffer(text.as_bytes()).enumerate() {
        let n = i + 1;
        let block = block.map_err(|e| format!("PEM block {n} is not valid PEM: {e}"))?;
        let key = match block.label.as_str() {
            "PUBLIC KEY" => {
                let (_, spki) = SubjectPublicKeyInfo::from_der(&block.contents)
                    .map_err(|e| format!("PEM block {n} is not a SubjectPublicKeyInfo: {e}"))?;
                from_spki(&spki)
            }
            "RSA PUBLIC KEY" => RSAPublicKey::from_der(&block.contents)
                .map_err(|e| format!("PEM block {n} is not a PKCS#1 RSA public key: {e}"))
                .and_then(|(_, rsa)| rsa_key(rsa.modulus, rsa.exponent)),
            "CERTIFICATE" => {
                let cert = block.parse_x509().map_err(|e| format!("PEM block {n} is not a certificate: {e}"))?;
                from_spki(cert.public_key())
            }
            label if label.contains("PRIVATE") => {
                Err(format!("it holds a private key ({label}); give public keys only"))
            }
            label => Err(format!("unexpected {label} block")),
        }
        .map_err(|e| format!("PEM block {n}: {e}"))?;
        keys.push(VerifyingKey { kid: None, material: key });
    }
    if keys.is_empty() {
        return Err("neither PEM public keys nor a JWKS document".into());
    }
    Ok(keys)
}

fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Result<Material, String> {
    match spki.parsed().map_err(|e| format!("unreadable public key: {e}"))? {
        PublicKey::RSA(rsa) => rsa_key(rsa.modulus, rsa.exponent),
        PublicKey::EC(point) => {
            let curve = spki.algorithm.parameters().and_then(|p| p.as_oid().ok());
            if spki.algorithm.algorithm != OID_KEY_TYPE_EC_PUBLIC_KEY || curve.as_ref() != Some(&OID_EC_P256) {
                return Err("an EC key on a curve other than P-256 (only ES256 is supported)".into());
            }
            ec_key(point.data().to_vec())
        }
        _ => Err("neither an RSA nor an EC P-256 key".into()),
    }
}

fn rsa_key(modulus: &[u8], exponent: &[u8]) -> Result<Material, String> {
    let strip = |b: &[u8]| b.iter().position(|&x| x != 0).map_or_else(Vec::new, |i| b[i..].to_vec());
    let (n, e) = (strip(modulus), strip(exponent));
    let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
    if bits < MIN_RSA_BITS {
        return Err(format!("an RSA key of {bits} bits; at least {MIN_RSA_BITS} are required"));
    }
    if e.is_empty() {
        return Err("an RSA key without an exponent".into());
    }
    Ok(Material::Rsa(RsaPublicKeyComponents { n, e }))
}

fn ec_key(point: Vec<u8>) -> Result<Material, String> {
    if point.len() != 65 || point[0] != 4 {
        return Err("an EC key that is not an uncompressed P-256 point".into());
    }
    Ok(Material::Ec(point))
}

fn parse_jwks(text: &str) -> Result<(Vec<VerifyingKey>, Vec<String>), String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let jwks: Vec<Value> = match (doc.get("keys"), doc.get("kty")) {
        (Some(Value::Array(keys)), _) => keys.clone(),
        (None, Some(_)) => vec![doc],
        _ => return Err("a JSON document that is neither a JWKS (`keys` array) nor a JWK".into()),
    };
    let (mut keys, mut skipped) = (Vec::new(), Vec::new());
    for (i, jwk) in jwks.iter().enumerate() {
        let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
        let name = kid.clone().map_or_else(|| format!("key {}", i + 1), |k| format!("key {k:?}"));
        match jwk_material(jwk) {
            Ok(Some(material)) => keys.push(VerifyingKey { kid, material }),
            Ok(None) => skipped.push(format!("{name} skipped: not an RS256 or ES256 signing key")),
            Err(e) => return Err(format!("{name}: {e}")),
        }
    }
    Ok((keys, skipped))
}

/// A JWK's key, `None` for keys of kinds we do not verify with (other algorithms, encryption).
fn jwk_material(jwk: &Value) -> Result<Option<Material>, String> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    let bytes = |name: &str| -> Result<Vec<u8>, String> {
        let v = field(name).ok_or_else(|| format!("missing `{name}`"))?;
        B64URL.decode(v).map_err(|_| format!("`{name}` is not base64url"))
    };
    if field("use").is_some_and(|u| u != "sig") {
        return Ok(None);
    }
    let alg = field("alg");
    match (field("kty"), alg) {
        (Some("RSA"), None | Some("RS256")) => rsa_key(&bytes("n")?, &bytes("e")?).map(Some),
        (Some("EC"), None | Some("ES256")) if field("crv") == Some("P-256") => {
            let (x, y) = (bytes("x")?, bytes("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err("P-256 coordinates must be 32 bytes each".into());
            }
            ec_key([&[4u8][..], &x, &y].concat()).map(Some)
        }
        (None, _) => Err("missing `kty`".into()),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs256_secret_needs_32_bytes_and_drops_line_breaks() {
        assert!(hs256(b"short\n").is_err());
        let key = hs256(b"0123456789abcdef0123456789abcdef\r\n").unwrap();
        let tag =
            ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"0123456789abcdef0123456789abcdef"), b"m");
        assert!(key.verify(b"m", tag.as_ref()));
        assert!(!key.verify(b"n", tag.as_ref()));
    }

    #[test]
    fn jwks_keeps_signing_keys_and_skips_others() {
        let x = B64URL.encode([1u8; 32]);
        let doc = serde_json::json!({"keys": [
            {"kty": "EC", "crv": "P-256", "x": x, "y": x, "kid": "ec1"},
            {"kty": "OKP", "crv": "Ed25519", "x": x},
            {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
        ]});
        let (keys, skipped) = parse_public_keys(&doc.to_string()).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].alg(), Alg::Es256);
        assert_eq!(keys[0].kid.as_deref(), Some("ec1"));
        assert_eq!(skipped.len(), 2);
    }

    #[test]
    fn bad_key_files_are_refused() {
        assert!(parse_public_keys("not a key").is_err());
        assert!(parse_public_keys("{\"keys\": 3}").is_err());
        let small = serde_json::json!({"kty": "RSA", "n": B64URL.encode([0xffu8; 128]), "e": "AQAB"});
        assert!(parse_public_keys(&small.to_string()).unwrap_err().contains("1024 bits"));
        let private = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(parse_public_keys(private).unwrap_err().contains("private key"));
    }

    #[test]
    fn only_the_token_alg_picks_keys() {
        let mut set = KeySet::default();
        set.push(hs256(&[7u8; 32]).unwrap());
        let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &[7u8; 32]), b"m");
        assert!(set.verify(Alg::Hs256, None, b"m", tag.as_ref()));
        assert!(!set.verify(Alg::Rs256, None, b"m", tag.as_ref()));
        assert!(!set.verify(Alg::Es256, None, b"m", tag.as_ref()));
    }
}
