//! Who is calling and how to name things back to them.
//!
//! Callers are identified by [`crate::auth::Authenticator`]. [`identify`] is its `noauth` mode:
//! Barbican's unauthenticated-context headers `X-Project-Id` (required on /v1 resources),
//! `X-User-Id` and `X-Roles`. A request without `X-Roles` gets `admin`, as Barbican's
//! unauthenticated context does.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller of a /v1 request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub project_id: String,
    pub user_id: Option<String>,
    pub roles: Vec<String>,
    /// Whether Barbican's current default policy applies (`true`) or its legacy roles
    /// (`PORTCULLIS_ENFORCE_NEW_DEFAULTS=false`); see [`crate::policy`].
    pub enforce_new_defaults: bool,
}

/// `noauth` mode's caller, from the headers (roles as given). Project ids are opaque strings of at most 36 characters, as in
/// Barbican's schema.
pub fn identify(headers: &HeaderMap) -> Result<Caller, ApiError> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| !s.is_empty());
    let project_id = text("x-project-id").ok_or_else(|| ApiError::BadRequest("Missing X-Project-Id".into()))?;
    if project_id.len() > 36 {
        return Err(ApiError::BadRequest("X-Project-Id must be at most 36 characters".into()));
    }
    let user_id = text("x-user-id").map(str::to_owned);
    let roles = text("x-roles")
        .map(|r| r.split(',').map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_else(|| vec!["admin".to_owned()]);
    Ok(Caller { project_id: project_id.to_owned(), user_id, roles, enforce_new_defaults: true })
}

impl Caller {
    /// Whether the caller holds the admin role (operator endpoints).
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == "admin")
    }

    /// Refuses a caller without the admin role, with Barbican's policy wording.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() { Ok(()) } else { Err(ApiError::Forbidden("Forbidden: the admin role is required.".into())) }
    }
}

impl<S> FromRequestParts<S> for Caller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // The /v1 middleware has already identified the caller; elsewhere, the configured mode
        // decides (never the headers alone, which `jwt` mode ignores).
        match parts.extensions.get::<Caller>() {
            Some(c) => Ok(c.clone()),
            None => AppState::from_ref(state).auth.identify(&parts.headers),
        }
    }
}

/// Builds `*_ref` URLs: the configured `host_href`, else `http://<Host header>` (Barbican's
/// default).
#[derive(Debug, Clone)]
pub struct Hrefs {
    base: String,
}

impl Hrefs {
    pub fn new(base: impl Into<String>) -> Self {
        Self { base: base.into().trim_end_matches('/').to_owned() }
    }

    /// `<base>/<path>`, path without a leading slash.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path)
    }

    pub fn secret(&self, id: &uuid::Uuid) -> String {
        self.url(&format!("v1/secrets/{id}"))
    }

    pub fn container(&self, id: &uuid::Uuid) -> String {
        self.url(&format!("v1/containers/{id}"))
    }

    pub fn order(&self, id: &uuid::Uuid) -> String {
        self.url(&format!("v1/orders/{id}"))
    }

    pub fn ca(&self, id: &uuid::Uuid) -> String {
        self.url(&format!("v1/cas/{id}"))
    }

    /// The id in a `secret_ref`-style URL pointing at `collection` (`secrets`, `containers`), if
    /// the URL has that shape. The host part is not checked: clients may reach us by other names.
    pub fn parse_ref(reference: &str, collection: &str) -> Option<uuid::Uuid> {
        let path = reference.trim_end_matches('/');
        let (head, id) = path.rsplit_once('/')?;
        if !head.ends_with(&format!("/{collection}")) && head != collection {
            return None;
        }
        uuid::Uuid::parse_str(id).ok()
    }
}

impl<S> FromRequestParts<S> for Hrefs
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let app = AppState::from_ref(state);
        if let Some(base) = &app.config.host_href {
            return Ok(Hrefs::new(base.clone()));
        }
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
            .map(str::to_owned)
            .unwrap_or_else(|| app.config.bind.to_string());
        Ok(Hrefs::new(format!("http://{host}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_refs_of_the_right_collection() {
        let id = uuid::Uuid::new_v4();
        assert_eq!(Hrefs::parse_ref(&format!("http://h:9311/v1/secrets/{id}"), "secrets"), Some(id));
        assert_eq!(Hrefs::parse_ref(&format!("http://h/v1/containers/{id}"), "secrets"), None);
        assert_eq!(Hrefs::parse_ref("http://h/v1/secrets/nope", "secrets"), None);
    }

    #[test]
    fn project_header_is_required() {
        let mut h = HeaderMap::new();
        assert!(identify(&h).is_err());
        h.insert("x-project-id", "p1".parse().unwrap());
        h.insert("x-roles", "Admin, member".parse().unwrap());
        let c = identify(&h).unwrap();
        assert_eq!(c.project_id, "p1");
        assert_eq!(c.roles, vec!["admin", "member"]);
        assert!(c.is_admin());
    }

    #[test]
    fn roles_default_to_admin_without_the_header() {
        let mut h = HeaderMap::new();
        h.insert("x-project-id", "p1".parse().unwrap());
        assert!(identify(&h).unwrap().is_admin());
        h.insert("x-roles", "member,reader".parse().unwrap());
        let c = identify(&h).unwrap();
        assert!(!c.is_admin());
        assert!(c.require_admin().is_err());
    }
}
