//! Unit tests of token verification: tokens minted here with ring.

use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::json;

use super::*;
use crate::auth::keys::{self, KeySet};

const SECRET: &[u8] = b"an hs256 secret of at least 32 bytes";
const NOW: i64 = 1_800_000_000;

fn encode(v: &Value) -> String {
    B64URL.encode(v.to_string())
}

fn hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = format!("{}.{}", encode(header), encode(claims));
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret), input.as_bytes());
    format!("{input}.{}", B64URL.encode(tag.as_ref()))
}

fn claims() -> Value {
    json!({"project_id": "p1", "sub": "alice", "roles": ["Member"], "exp": NOW + 300, "iss": "idp", "aud": ["x", "portcullis"]})
}

fn verifier(keys: KeySet) -> JwtVerifier {
    JwtVerifier {
        keys,
        issuer: Some("idp".into()),
        audience: Some("portcullis".into()),
        leeway_secs: 60,
        claims: ClaimNames { project: "project_id".into(), user: "sub".into(), roles: "roles".into() },
    }
}

fn hs_verifier() -> JwtVerifier {
    let mut set = KeySet::default();
    set.push(keys::hs256(SECRET).unwrap());
    verifier(set)
}

fn check(v: &JwtVerifier, token: &str) -> Result<Caller, Rejection> {
    let mut h = HeaderMap::new();
    h.insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    v.authenticate(&h, NOW)
}

#[test]
fn a_good_hs256_token_maps_its_claims() {
    let c = check(&hs_verifier(), &hs256(&json!({"alg": "HS256", "typ": "JWT"}), &claims(), SECRET)).unwrap();
    assert_eq!((c.project_id.as_str(), c.user_id.as_deref()), ("p1", Some("alice")));
    assert_eq!(c.roles, vec!["member"]);
}

#[test]
fn roles_may_be_a_comma_separated_string_or_absent() {
    let v = hs_verifier();
    let mut cl = claims();
    cl["roles"] = json!("admin, reader");
    assert_eq!(check(&v, &hs256(&json!({"alg": "HS256"}), &cl, SECRET)).unwrap().roles, vec!["admin", "reader"]);
    cl.as_object_mut().unwrap().remove("roles");
    assert!(check(&v, &hs256(&json!({"alg": "HS256"}), &cl, SECRET)).unwrap().roles.is_empty());
    cl["roles"] = json!([1]);
    assert!(matches!(check(&v, &hs256(&json!({"alg": "HS256"}), &cl, SECRET)), Err(Rejection::BadClaim(_))));
}

#[test]
fn bad_tokens_are_refused_for_the_right_reason() {
    let v = hs_verifier();
    let h = json!({"alg": "HS256"});
    let with = |k: &str, val: Value| {
        let mut c = claims();
        c[k] = val;
        hs256(&h, &c, SECRET)
    };
    assert_eq!(
        check(&v, &hs256(&h, &claims(), b"another secret of at least 32 bytes!")).unwrap_err(),
        Rejection::BadSignature
    );
    assert_eq!(check(&v, &with("exp", json!(NOW - 61))).unwrap_err(), Rejection::Expired);
    assert!(check(&v, &with("exp", json!(NOW - 59))).is_ok(), "within the leeway");
    assert_eq!(check(&v, &with("nbf", json!(NOW + 61))).unwrap_err(), Rejection::NotYetValid);
    assert!(check(&v, &with("nbf", json!(NOW + 59))).is_ok(), "within the leeway");
    assert_eq!(check(&v, &with("iss", json!("other"))).unwrap_err(), Rejection::WrongIssuer);
    assert_eq!(check(&v, &with("aud", json!("other"))).unwrap_err(), Rejection::WrongAudience);
    assert!(check(&v, &with("aud", json!("portcullis"))).is_ok(), "aud may be a string");
    assert!(matches!(check(&v, &with("exp", json!("soon"))), Err(Rejection::BadClaim(_))));
    assert!(matches!(check(&v, &with("project_id", json!("x".repeat(37)))), Err(Rejection::BadClaim(_))));
    let mut no_exp = claims();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert!(matches!(check(&v, &hs256(&h, &no_exp, SECRET)), Err(Rejection::BadClaim(_))));
    assert!(matches!(check(&v, "garbage"), Err(Rejection::Malformed(_))));
    assert!(matches!(check(&v, "a.b.c.d.e"), Err(Rejection::Malformed(_))));
    let crit = hs256(&json!({"alg": "HS256", "crit": ["exp"]}), &claims(), SECRET);
    assert!(matches!(check(&v, &crit), Err(Rejection::Malformed(_))));
}

#[test]
fn alg_none_and_unknown_algs_are_refused() {
    let v = hs_verifier();
    let unsigned = format!("{}.{}.", encode(&json!({"alg": "none"})), encode(&claims()));
    assert_eq!(check(&v, &unsigned).unwrap_err(), Rejection::UnsupportedAlg);
    let hs512 = hs256(&json!({"alg": "HS512"}), &claims(), SECRET);
    assert_eq!(check(&v, &hs512).unwrap_err(), Rejection::UnsupportedAlg);
}

#[test]
fn the_authorization_header_must_be_one_bearer_token() {
    let v = hs_verifier();
    assert_eq!(v.authenticate(&HeaderMap::new(), NOW).unwrap_err(), Rejection::Missing);
    let mut h = HeaderMap::new();
    h.insert(header::AUTHORIZATION, "Basic dXNlcjpwdw==".parse().unwrap());
    assert!(matches!(v.authenticate(&h, NOW), Err(Rejection::Malformed(_))));
    let token = hs256(&json!({"alg": "HS256"}), &claims(), SECRET);
    h.insert(header::AUTHORIZATION, format!("bearer {token}").parse().unwrap());
    assert!(v.authenticate(&h, NOW).is_ok(), "the scheme is case-insensitive");
    h.append(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    assert!(matches!(v.authenticate(&h, NOW), Err(Rejection::Malformed(_))));
}

#[test]
fn es256_via_jwks_honours_kid_and_refuses_hs256_confusion() {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let point = pair.public_key().as_ref();
    let jwk = |kid: &str| json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": B64URL.encode(&point[1..33]), "y": B64URL.encode(&point[33..])});
    let jwks = json!({"keys": [jwk("k1")]}).to_string();
    let (keys, _) = keys::parse_public_keys(&jwks).unwrap();
    let mut set = KeySet::default();
    keys.into_iter().for_each(|k| set.push(k));
    let v = verifier(set);
    let sign = |header: Value| {
        let input = format!("{}.{}", encode(&header), encode(&claims()));
        let sig = pair.sign(&rng, input.as_bytes()).unwrap();
        format!("{input}.{}", B64URL.encode(sig.as_ref()))
    };
    assert!(check(&v, &sign(json!({"alg": "ES256", "kid": "k1"}))).is_ok());
    assert!(check(&v, &sign(json!({"alg": "ES256"}))).is_ok(), "no kid: every EC key is tried");
    assert_eq!(check(&v, &sign(json!({"alg": "ES256", "kid": "k2"}))).unwrap_err(), Rejection::BadSignature);
    // The public key's bytes used as an HMAC secret: no HS256 key is configured, so no match.
    let confused = hs256(&json!({"alg": "HS256"}), &claims(), jwks.as_bytes());
    assert_eq!(check(&v, &confused).unwrap_err(), Rejection::BadSignature);
}

#[test]
fn descriptions_name_the_problem_but_not_the_token() {
    let d = Rejection::Expired.description();
    assert_eq!(d, "The request you have made requires authentication: the token has expired.");
}
