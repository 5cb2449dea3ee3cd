//! `jwt` mode: `Authorization: Bearer <compact JWS>` verified with ring, then its claims checked
//! and mapped onto a [`Caller`].
//!
//! Order of checks: the token's shape, its header (`alg` among HS256/RS256/ES256, no `crit`), the
//! signature, and only then the claims (`exp` required, `nbf`, `iss`, `aud`, with a leeway on the
//! times): nothing in an unsigned or forged token is looked at beyond its header.
//!
//! Every refusal is a [`Rejection`], answered 401 with Barbican's error body; the token itself
//! is never logged or echoed.

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Map, Value};

use super::keys::{Alg, KeySet};
use crate::context::Caller;

/// Tokens longer than this are refused unparsed.
const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Barbican's project id column width (as for `X-Project-Id`).
const MAX_PROJECT_ID_CHARS: usize = 36;

/// Which claims carry the caller's project, user and roles.
#[derive(Debug, Clone)]
pub struct ClaimNames {
    pub project: String,
    pub user: String,
    pub roles: String,
}

/// Checks tokens against the configured keys and expectations.
#[derive(Debug)]
pub struct JwtVerifier {
    pub keys: KeySet,
    /// Required `iss`, if configured.
    pub issuer: Option<String>,
    /// Required member of `aud`, if configured.
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: i64,
    pub claims: ClaimNames,
}

/// Why a request was not authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Missing,
    Malformed(&'static str),
    UnsupportedAlg,
    BadSignature,
    Expired,
    NotYetValid,
    WrongIssuer,
    WrongAudience,
    BadClaim(String),
}

impl Rejection {
    /// The error description sent to the client.
    pub fn description(&self) -> String {
        let what = match self {
            Self::Missing => "no bearer token was presented".to_owned(),
            Self::Malformed(why) => format!("the token is malformed ({why})"),
            Self::UnsupportedAlg => "the token's algorithm is not accepted (HS256, RS256 or ES256 only)".to_owned(),
            Self::BadSignature => "the token's signature is not valid for any configured key".to_owned(),
            Self::Expired => "the token has expired".to_owned(),
            Self::NotYetValid => "the token is not valid yet".to_owned(),
            Self::WrongIssuer => "the token was issued by an issuer this service does not accept".to_owned(),
            Self::WrongAudience => "the token was not issued for this service (aud)".to_owned(),
            Self::BadClaim(why) => why.clone(),
        };
        format!("The request you have made requires authentication: {what}.")
    }
}

impl JwtVerifier {
    /// The caller a request's bearer token names. `now` is seconds since the epoch.
    pub fn authenticate(&self, headers: &HeaderMap, now: i64) -> Result<Caller, Rejection> {
        let token = bearer(headers)?;
        let claims = self.verify(token, now)?;
        self.caller(&claims)
    }

    /// Verifies a compact JWS and its registered claims; returns the claims.
    pub fn verify(&self, token: &str, now: i64) -> Result<Map<String, Value>, Rejection> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Rejection::Malformed("too long"));
        }
        let mut parts = token.split('.');
        let (Some(head), Some(body), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(Rejection::Malformed("not three dot-separated parts"));
        };
        let header = json_object(head).ok_or(Rejection::Malformed("the header is not base64url JSON"))?;
        let alg = header.get("alg").and_then(Value::as_str).ok_or(Rejection::Malformed("no alg"))?;
        let alg = Alg::parse(alg).ok_or(Rejection::UnsupportedAlg)?;
        if header.contains_key("crit") {
            return Err(Rejection::Malformed("critical header extensions are not supported"));
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(k)) => Some(k.as_str()),
            Some(_) => return Err(Rejection::Malformed("kid is not a string")),
        };
        let sig = B64URL.decode(sig).map_err(|_| Rejection::Malformed("the signature is not base64url"))?;
        let signed = &token[..head.len() + 1 + body.len()];
        if !self.keys.verify(alg, kid, signed.as_bytes(), &sig) {
            return Err(Rejection::BadSignature);
        }
        let claims = json_object(body).ok_or(Rejection::Malformed("the claims are not base64url JSON"))?;
        self.check_claims(&claims, now)?;
        Ok(claims)
    }

    fn check_claims(&self, claims: &Map<String, Value>, now: i64) -> Result<(), Rejection> {
        let exp = numeric_date(claims, "exp")?.ok_or_else(|| Rejection::BadClaim("the token has no exp".into()))?;
        if now >= exp.saturating_add(self.leeway_secs) {
            return Err(Rejection::Expired);
        }
        if let Some(nbf) = numeric_date(claims, "nbf")?
            && now.saturating_add(self.leeway_secs) < nbf
        {
            return Err(Rejection::NotYetValid);
        }
        if let Some(iss) = &self.issuer
            && claims.get("iss").and_then(Value::as_str) != Some(iss.as_str())
        {
            return Err(Rejection::WrongIssuer);
        }
        if let Some(aud) = &self.audience {
            let ok = match claims.get("aud") {
                Some(Value::String(a)) => a == aud,
                Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(aud.as_str())),
                _ => false,
            };
            if !ok {
                return Err(Rejection::WrongAudience);
            }
        }
        Ok(())
    }

    /// Maps verified claims onto a caller (roles as given; implied roles are added later).
    pub fn caller(&self, claims: &Map<String, Value>) -> Result<Caller, Rejection> {
        let names = &self.claims;
        let text = |name: &str| match claims.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
            Some(_) => Err(Rejection::BadClaim(format!("the token's {name} claim is not a string"))),
        };
        let project_id = text(&names.project)?
            .ok_or_else(|| Rejection::BadClaim(format!("the token has no {} claim", names.project)))?;
        if project_id.chars().count() > MAX_PROJECT_ID_CHARS {
            return Err(Rejection::BadClaim(format!(
                "the token's {} claim is longer than {MAX_PROJECT_ID_CHARS} characters",
                names.project
            )));
        }
        let user_id = text(&names.user)?;
        let roles = roles(claims.get(&names.roles)).ok_or_else(|| {
            Rejection::BadClaim(format!("the token's {} claim is not a list of strings", names.roles))
        })?;
        Ok(Caller { project_id, user_id, roles, enforce_new_defaults: true })
    }
}

/// The token of the request's single `Authorization: Bearer` header.
fn bearer(headers: &HeaderMap) -> Result<&str, Rejection> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(if headers.contains_key(header::AUTHORIZATION) {
            Rejection::Malformed("more than one Authorization header")
        } else {
            Rejection::Missing
        });
    };
    let value = value.to_str().map_err(|_| Rejection::Malformed("the Authorization header is not text"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(Rejection::Malformed("the Authorization header is not `Bearer <token>`")),
    }
}

fn json_object(part: &str) -> Option<Map<String, Value>> {
    let bytes = B64URL.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A NumericDate claim (seconds, possibly fractional), or `None` when absent.
fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, Rejection> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| Rejection::BadClaim(format!("the token's {name} claim is not a number"))),
    }
}

/// Roles as a JSON array of strings or one comma-separated string, lowercased as `X-Roles` is.
/// A token without the claim has no roles.
fn roles(claim: Option<&Value>) -> Option<Vec<String>> {
    let clean = |s: &str| Some(s.trim().to_lowercase()).filter(|s| !s.is_empty());
    match claim {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::String(s)) => Some(s.split(',').filter_map(clean).collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(clean))
            .collect::<Option<Vec<_>>>()
            .map(|roles| roles.into_iter().flatten().collect()),
        Some(_) => None,
    }
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
