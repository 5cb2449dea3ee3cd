//! Bearer tokens for servers in `auth = jwt` mode: keys made at test time and JWTs signed with
//! them (HS256 with ring's HMAC, RS256 and ES256 with ring's signers; the RSA key comes from
//! Portcullis's own key generator, as ring cannot make RSA keys).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use portcullis_plugins::KeyGenerator as _;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use serde_json::{Value, json};

/// The issuer and audience the test servers expect.
pub const ISSUER: &str = "https://idp.test";
pub const AUDIENCE: &str = "portcullis";

/// Seconds since the epoch, `offset` from now.
pub fn now_plus(offset: i64) -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970");
    now.as_secs() as i64 + offset
}

/// Valid claims for `project`, `user` and `roles`, expiring in five minutes.
pub fn claims(project: &str, user: &str, roles: Value) -> Value {
    json!({
        "iss": ISSUER, "aud": [AUDIENCE], "sub": user, "project_id": project, "roles": roles,
        "iat": now_plus(0), "exp": now_plus(300),
    })
}

fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", B64URL.encode(header.to_string()), B64URL.encode(claims.to_string()))
}

/// An HS256 token (header `{"alg":"HS256","typ":"JWT"}`) signed with `secret`.
pub fn hs256(secret: &[u8], claims: &Value) -> String {
    with_header_hs256(&json!({"alg": "HS256", "typ": "JWT"}), secret, claims)
}

/// An HMAC-SHA256-signed token with any header (e.g. a lying `alg`).
pub fn with_header_hs256(header: &Value, secret: &[u8], claims: &Value) -> String {
    let input = signing_input(header, claims);
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret), input.as_bytes());
    format!("{input}.{}", B64URL.encode(tag.as_ref()))
}

/// An unsigned token: `alg: none` and an empty signature.
pub fn unsigned(claims: &Value) -> String {
    format!("{}.", signing_input(&json!({"alg": "none", "typ": "JWT"}), claims))
}

/// The DER inside a PEM block.
fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    B64.decode(body).expect("PEM base64")
}

/// An RSA-2048 key pair: signs RS256, and publishes as SPKI PEM or as a JWK.
pub struct RsaKey {
    pair: RsaKeyPair,
    pub public_pem: String,
}

impl RsaKey {
    pub fn generate() -> RsaKey {
        let generated =
            portcullis_plugins::KeyGenPlugin::new().generate_asymmetric("rsa", 2048, None).expect("RSA key");
        let pair = RsaKeyPair::from_pkcs8(&pem_der(&generated.private_key_pem)).expect("ring loads the key");
        RsaKey { pair, public_pem: generated.public_key_pem }
    }

    pub fn sign(&self, kid: Option<&str>, claims: &Value) -> String {
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(k) = kid {
            header["kid"] = k.into();
        }
        let input = signing_input(&header, claims);
        let mut sig = vec![0; self.pair.public().modulus_len()];
        self.pair.sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), input.as_bytes(), &mut sig).expect("sign");
        format!("{input}.{}", B64URL.encode(sig))
    }

    pub fn jwk(&self, kid: &str) -> Value {
        let c = signature::RsaPublicKeyComponents::<Vec<u8>>::from(self.pair.public());
        json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": B64URL.encode(&c.n), "e": B64URL.encode(&c.e)})
    }
}

/// A P-256 key pair: signs ES256, and publishes as SPKI PEM or as a JWK.
pub struct EcKey {
    pair: EcdsaKeyPair,
}

/// The SubjectPublicKeyInfo DER prefix of an uncompressed P-256 point (id-ecPublicKey, prime256v1).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

impl EcKey {
    pub fn generate() -> EcKey {
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("EC key");
        EcKey { pair: EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).expect("ring loads the key") }
    }

    pub fn sign(&self, kid: Option<&str>, claims: &Value) -> String {
        let mut header = json!({"alg": "ES256", "typ": "JWT"});
        if let Some(k) = kid {
            header["kid"] = k.into();
        }
        let input = signing_input(&header, claims);
        let sig = self.pair.sign(&SystemRandom::new(), input.as_bytes()).expect("sign");
        format!("{input}.{}", B64URL.encode(sig.as_ref()))
    }

    pub fn public_pem(&self) -> String {
        let der = [&P256_SPKI_PREFIX[..], self.pair.public_key().as_ref()].concat();
        let lines: Vec<String> =
            B64.encode(der).as_bytes().chunks(64).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n"))
    }

    pub fn jwk(&self, kid: &str) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": B64URL.encode(&point[1..33]), "y": B64URL.encode(&point[33..])})
    }
}
