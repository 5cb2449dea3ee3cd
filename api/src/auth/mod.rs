//! Authentication: who is calling, decided once per request by the [`Authenticator`] held in
//! [`crate::state::App`] (used by [`crate::middleware::require_caller`] on /v1 and by the
//! dashboard's admin gate).
//!
//! Two modes (`auth` / `PORTCULLIS_AUTH`):
//! - `noauth` (default): Barbican's unauthenticated context, the `X-Project-Id`, `X-User-Id` and
//!   `X-Roles` headers (see [`crate::context::identify`]). Anyone who can reach the port can claim
//!   any project and role, so [`check_bind`] refuses it on a non-loopback `bind` unless
//!   `allow_noauth_on_public_bind` is set.
//! - `jwt`: a bearer token signed with a configured key (HS256 secret, RS256/ES256 public keys);
//!   its claims name the project, user and roles, and those headers are ignored.
//!
//! Under the new default policy (`enforce_new_defaults`, the default) roles are expanded as
//! Keystone's default implied roles: admin ⇒ member ⇒ reader. Under the legacy policy they are
//! used as given.
//!
//! # Layout
//! - this file: [`Authenticator`], implied roles, the bind check.
//! - `jwt.rs`: parsing and verifying a token, checking and mapping its claims.
//! - `keys.rs`: the verification keys (secret file, PEM, JWKS) and the signature check.

pub mod jwt;
pub mod keys;

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use axum::http::HeaderMap;

use crate::config::{AuthMode, Config};
use crate::context::{Caller, identify};
use crate::error::ApiError;
use jwt::{ClaimNames, JwtVerifier, Rejection};
use keys::KeySet;

/// Identifies callers according to the configured mode.
#[derive(Debug)]
pub struct Authenticator {
    mode: Mode,
    /// Copied into every [`Caller`]; also switches implied roles on.
    enforce_new_defaults: bool,
}

#[derive(Debug)]
enum Mode {
    NoAuth,
    Jwt(Box<JwtVerifier>),
}

impl Authenticator {
    /// `noauth` mode.
    pub fn noauth(enforce_new_defaults: bool) -> Self {
        Self { mode: Mode::NoAuth, enforce_new_defaults }
    }

    /// `jwt` mode with `verifier`.
    pub fn jwt(verifier: JwtVerifier, enforce_new_defaults: bool) -> Self {
        Self { mode: Mode::Jwt(Box::new(verifier)), enforce_new_defaults }
    }

    /// The configured authenticator. Fails if `jwt` mode has no usable key, or a key file cannot
    /// be read or parsed; the message names the setting.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        if config.auth == AuthMode::NoAuth {
            return Ok(Self::noauth(config.enforce_new_defaults));
        }
        let (keys, skipped) = KeySet::load(config.jwt_hs256_secret_file.as_deref(), config.jwt_keys_file.as_deref())
            .map_err(|e| {
                anyhow::anyhow!(
                    "auth = jwt: unusable key file (jwt_hs256_secret_file / PORTCULLIS_JWT_HS256_SECRET_FILE, \
                     jwt_keys_file / PORTCULLIS_JWT_KEYS_FILE): {e}"
                )
            })?;
        for note in skipped {
            tracing::warn!("{note}");
        }
        if keys.is_empty() {
            bail!(
                "auth = jwt (PORTCULLIS_AUTH) needs a key: set jwt_hs256_secret_file \
                 (PORTCULLIS_JWT_HS256_SECRET_FILE) and/or jwt_keys_file (PORTCULLIS_JWT_KEYS_FILE)"
            );
        }
        for (unset, key, checks) in [
            (config.jwt_issuer.is_none(), "jwt_issuer (PORTCULLIS_JWT_ISSUER)", "by"),
            (config.jwt_audience.is_none(), "jwt_audience (PORTCULLIS_JWT_AUDIENCE)", "for"),
        ] {
            if unset {
                tracing::warn!(
                    "auth = jwt without {key}: tokens signed by the configured keys are accepted whoever they were issued {checks}"
                );
            }
        }
        let verifier = JwtVerifier {
            keys,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            leeway_secs: i64::try_from(config.jwt_leeway_secs).context("jwt_leeway_secs is too large")?,
            claims: ClaimNames {
                project: config.jwt_project_claim.clone(),
                user: config.jwt_user_claim.clone(),
                roles: config.jwt_roles_claim.clone(),
            },
        };
        Ok(Self::jwt(verifier, config.enforce_new_defaults))
    }

    /// Who sent a request with these headers. Refusals are Barbican-shaped errors: 401 in `jwt`
    /// mode, 400 for a missing `X-Project-Id` in `noauth` mode.
    pub fn identify(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let mut caller = match &self.mode {
            Mode::NoAuth => identify(headers)?,
            Mode::Jwt(verifier) => verifier.authenticate(headers, unix_now()).map_err(|r| {
                tracing::info!(reason = ?r, "bearer token refused");
                ApiError::Unauthorized { description: r.description(), token_presented: r != Rejection::Missing }
            })?,
        };
        caller.enforce_new_defaults = self.enforce_new_defaults;
        if self.enforce_new_defaults {
            caller.roles = with_implied_roles(caller.roles);
        }
        Ok(caller)
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Keystone's default implied roles: admin implies member, member implies reader. Order is kept,
/// implied roles follow the ones given, none twice.
pub fn with_implied_roles(mut roles: Vec<String>) -> Vec<String> {
    let has = |roles: &[String], r: &str| roles.iter().any(|x| x == r);
    for (role, implied) in [("admin", "member"), ("member", "reader")] {
        if has(&roles, role) && !has(&roles, implied) {
            roles.push(implied.to_owned());
        }
    }
    roles
}

/// Refuses `noauth` on a non-loopback `bind` unless explicitly allowed, and warns when allowed.
pub fn check_bind(config: &Config) -> anyhow::Result<()> {
    if config.auth != AuthMode::NoAuth || config.bind.ip().is_loopback() {
        return Ok(());
    }
    if !config.allow_noauth_on_public_bind {
        bail!(
            "refusing to start: auth = noauth (PORTCULLIS_AUTH) trusts the X-Project-Id and X-Roles headers of \
             anyone who can connect, and bind (PORTCULLIS_BIND) {} is not a loopback address. Set auth = jwt, \
             bind to 127.0.0.1, or accept the risk with allow_noauth_on_public_bind = true \
             (PORTCULLIS_ALLOW_NOAUTH_ON_PUBLIC_BIND=true)",
            config.bind
        );
    }
    tracing::warn!(
        bind = %config.bind,
        "auth = noauth on a non-loopback address (allow_noauth_on_public_bind): any client can act as any \
         project and role; put an authenticating proxy in front"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn implied_roles_follow_keystone_defaults() {
        let r = |v: &[&str]| with_implied_roles(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(r(&["admin"]), vec!["admin", "member", "reader"]);
        assert_eq!(r(&["member"]), vec!["member", "reader"]);
        assert_eq!(r(&["reader", "creator"]), vec!["reader", "creator"]);
        assert_eq!(r(&["admin", "reader"]), vec!["admin", "reader", "member"]);
    }

    #[test]
    fn callers_carry_the_policy_and_expanded_roles() {
        let h = headers(&[("x-project-id", "p1"), ("x-roles", "admin")]);
        let new = Authenticator::noauth(true).identify(&h).unwrap();
        assert!(new.enforce_new_defaults);
        assert_eq!(new.roles, vec!["admin", "member", "reader"]);
        let legacy = Authenticator::noauth(false).identify(&h).unwrap();
        assert!(!legacy.enforce_new_defaults);
        assert_eq!(legacy.roles, vec!["admin"]);
    }

    #[test]
    fn noauth_is_refused_on_public_binds_unless_allowed() {
        let mut c = Config { bind: "0.0.0.0:9311".parse().unwrap(), ..Config::default() };
        let err = check_bind(&c).unwrap_err().to_string();
        assert!(err.contains("PORTCULLIS_ALLOW_NOAUTH_ON_PUBLIC_BIND") && err.contains("PORTCULLIS_AUTH"), "{err}");
        c.allow_noauth_on_public_bind = true;
        assert!(check_bind(&c).is_ok());
        c = Config { bind: "[::1]:9311".parse().unwrap(), ..Config::default() };
        assert!(check_bind(&c).is_ok());
        c = Config { bind: "0.0.0.0:9311".parse().unwrap(), auth: AuthMode::Jwt, ..Config::default() };
        assert!(check_bind(&c).is_ok());
    }

    #[test]
    fn jwt_mode_needs_a_key() {
        let c = Config { auth: AuthMode::Jwt, ..Config::default() };
        let err = Authenticator::from_config(&c).unwrap_err().to_string();
        assert!(err.contains("PORTCULLIS_JWT_HS256_SECRET_FILE"), "{err}");
        let c =
            Config { auth: AuthMode::Jwt, jwt_keys_file: Some("/nonexistent/keys.pem".into()), ..Config::default() };
        let err = Authenticator::from_config(&c).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/keys.pem"), "{err}");
    }
}
