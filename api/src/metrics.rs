//! Where the API records into `portcullis_observability::metrics`: a middleware timing every
//! request, and decorators counting the crypto plugins' operations. `GET /metrics` itself is
//! [`crate::controllers::metrics`].
//!
//! # Layout
//! - [`track`]: the per-request middleware (route template, method, status, latency).
//! - [`MeteredCrypto`], [`MeteredKeyGen`]: a [`CryptoPlugin`] / [`KeyGenerator`] wrapped to count
//!   encrypt, decrypt and keygen operations.

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::sync::{LazyLock, PoisonError, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use futures::FutureExt;
use portcullis_observability::metrics::{keygen_kind, metrics};
use portcullis_plugins::{CryptoPlugin, Kek, KeyGenError, KeyGenerator, KeyPair, PluginError};
use zeroize::Zeroizing;

/// The route label of a request no route matched (404s): never the raw path, which may hold ids.
const UNMATCHED: &str = "unmatched";

/// Records every request under its route template (axum's [`MatchedPath`], e.g.
/// `/v1/secrets/{id}`), method and status. Installed with `Router::layer`, so it runs after
/// routing, inside the timeout and panic layers: a request whose future is dropped (the timeout
/// cut it short, or the client left) counts as 503, what the timeout layer answers; a panic as
/// 500, what the panic layer answers.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or(UNMATCHED, |p| intern(p.as_str()));
    let mut done = Recorder { method: method_label(req.method()), route, status: 503, started: Instant::now() };
    match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(resp) => {
            done.status = resp.status().as_u16();
            resp
        }
        Err(panic) => {
            done.status = 500;
            drop(done);
            std::panic::resume_unwind(panic)
        }
    }
}

/// Records the request when dropped, so a request that never finishes is counted too.
struct Recorder {
    method: &'static str,
    route: &'static str,
    status: u16,
    started: Instant,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        metrics().http_request(self.method, self.route, self.status, self.started.elapsed());
    }
}

/// The standard methods by name; anything else (clients may send any token) is `other`.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route template as a `&'static str`, so label sets need no allocation per request. Route
/// templates are the router's, a fixed set, so the leaked strings are bounded.
fn intern(route: &str) -> &'static str {
    static ROUTES: LazyLock<RwLock<HashSet<&'static str>>> = LazyLock::new(Default::default);
    if let Some(r) = ROUTES.read().unwrap_or_else(PoisonError::into_inner).get(route) {
        return r;
    }
    let mut routes = ROUTES.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(r) = routes.get(route) {
        return r;
    }
    let leaked: &'static str = Box::leak(route.to_owned().into_boxed_str());
    routes.insert(leaked);
    leaked
}

/// A crypto plugin that counts its operations: `encrypt`/`decrypt` of kind `payload` (a secret's
/// payload under a project KEK) or `kek` (a project KEK under the master key).
pub struct MeteredCrypto<P>(pub P);

fn count<T, E>(operation: &'static str, kind: &'static str, result: Result<T, E>) -> Result<T, E> {
    metrics().crypto_op(operation, kind, result.is_ok());
    result
}

impl<P: CryptoPlugin> CryptoPlugin for MeteredCrypto<P> {
    fn plugin_name(&self) -> &'static str {
        self.0.plugin_name()
    }

    fn key_check(&self, store: &str) -> Result<Vec<u8>, PluginError> {
        self.0.key_check(store)
    }

    fn verify_key_check(&self, store: &str, check: &[u8]) -> bool {
        self.0.verify_key_check(store, check)
    }

    fn generate_wrapped_kek(&self, aad: &[u8]) -> Result<Vec<u8>, PluginError> {
        count("encrypt", "kek", self.0.generate_wrapped_kek(aad))
    }

    fn unwrap_kek(&self, wrapped: &[u8], aad: &[u8]) -> Result<Kek, PluginError> {
        count("decrypt", "kek", self.0.unwrap_kek(wrapped, aad))
    }

    fn wrap_kek(&self, kek: &Kek, aad: &[u8]) -> Result<Vec<u8>, PluginError> {
        count("encrypt", "kek", self.0.wrap_kek(kek, aad))
    }

    fn encrypt(&self, kek: &Kek, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, PluginError> {
        count("encrypt", "payload", self.0.encrypt(kek, plaintext, aad))
    }

    fn decrypt(&self, kek: &Kek, ciphertext: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, PluginError> {
        count("decrypt", "payload", self.0.decrypt(kek, ciphertext, aad))
    }
}

/// A key generator that counts `keygen` operations by algorithm (from a fixed list, see
/// [`keygen_kind`]). A refused request (unknown algorithm, bad length) counts as an error.
pub struct MeteredKeyGen<G>(pub G);

impl<G: KeyGenerator> KeyGenerator for MeteredKeyGen<G> {
    fn generate_symmetric(
        &self,
        algorithm: &str,
        bit_length: u32,
        mode: Option<&str>,
    ) -> Result<Zeroizing<Vec<u8>>, KeyGenError> {
        count("keygen", keygen_kind(algorithm), self.0.generate_symmetric(algorithm, bit_length, mode))
    }

    fn generate_asymmetric(
        &self,
        algorithm: &str,
        bit_length: u32,
        passphrase: Option<&str>,
    ) -> Result<KeyPair, KeyGenError> {
        count("keygen", keygen_kind(algorithm), self.0.generate_asymmetric(algorithm, bit_length, passphrase))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_interned_once() {
        let a = intern("/v1/secrets/{id}");
        let b = intern(&String::from("/v1/secrets/{id}"));
        assert!(std::ptr::eq(a, b));
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
