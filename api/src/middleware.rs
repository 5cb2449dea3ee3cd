//! Cross-cutting request handling: request ids, microversion negotiation, caller identity.
//!
//! Order (outermost first): [`request_id`] → [`microversion`] → [`require_caller`] (on /v1 only).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header::HeaderName};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// The microversion a request is served at: `1.<minor>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion(pub u8);

impl ApiVersion {
    pub const MIN: ApiVersion = ApiVersion(0);
    pub const MAX: ApiVersion = ApiVersion(2);

    /// Whether the caller asked for at least `1.<minor>`.
    pub fn at_least(self, minor: u8) -> bool {
        self.0 >= minor
    }
}

/// This request's id, as sent back in `x-openstack-request-id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static REQUEST_ID: HeaderName = HeaderName::from_static("x-openstack-request-id");
static API_VERSION: HeaderName = HeaderName::from_static("openstack-api-version");

/// Gives every request an id (`req-<uuid>`), runs it inside its span (carrying the id and the
/// trace, see [`crate::trace`]), and returns the id in `x-openstack-request-id`.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = format!("req-{}", uuid::Uuid::new_v4());
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut resp = crate::trace::traced(req, &id, next).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID.clone(), v);
    }
    resp
}

/// Parses `OpenStack-API-Version: key-manager 1.x` (or `latest`) as Barbican does: absent means
/// 1.0, an unparsable version is 400, a version outside 1.0–1.2 is 406. The response names the
/// version served.
pub async fn microversion(mut req: Request, next: Next) -> Response {
    let version = match requested_version(req.headers().get_all(&API_VERSION)) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    req.extensions_mut().insert(version);
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("key-manager 1.{}", version.0)) {
        headers.insert(API_VERSION.clone(), v);
    }
    headers.insert(axum::http::header::VARY, HeaderValue::from_static("openstack-api-version"));
    resp
}

/// The version the `OpenStack-API-Version` header lines ask for, read as Barbican's
/// microversion_parse reads them: the lines joined by commas, and the last `key-manager` entry
/// wins (`key-manager 1.0, key-manager 1.1` is 1.1).
pub(crate) fn requested_version<'a>(lines: impl IntoIterator<Item = &'a HeaderValue>) -> Result<ApiVersion, ApiError> {
    let mut entries = Vec::new();
    for line in lines {
        let text =
            line.to_str().map_err(|_| ApiError::BadRequest("Invalid microversion: header is not text".into()))?;
        // A line may name several services: "key-manager 1.1, compute 2.1".
        entries.extend(text.split(','));
    }
    let Some(value) = entries.iter().rev().find_map(|part| {
        let (service, version) = part.trim().split_once(char::is_whitespace)?;
        service.eq_ignore_ascii_case("key-manager").then(|| version.trim())
    }) else {
        return Ok(ApiVersion::MIN);
    };
    // microversion_parse compares `latest` as written.
    if value == "latest" {
        return Ok(ApiVersion::MAX);
    }
    let invalid = || ApiError::BadRequest(format!("Invalid microversion: invalid version string: {value}"));
    let (major, minor) = value.split_once('.').ok_or_else(invalid)?;
    let (major, minor): (u32, u32) = (major.parse().map_err(|_| invalid())?, minor.parse().map_err(|_| invalid())?);
    if major != 1 || minor > u32::from(ApiVersion::MAX.0) {
        return Err(ApiError::NotAcceptable(Some(format!(
            "Invalid microversion: Unacceptable version header: {value}"
        ))));
    }
    Ok(ApiVersion(minor as u8))
}

/// On /v1: decides who is calling (see [`crate::auth`]) before anything else happens: an
/// unauthenticated request is refused before its body is read.
pub async fn require_caller(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    match app.auth.identify(req.headers()) {
        Ok(caller) => {
            tracing::Span::current().record("project_id", caller.project_id.as_str());
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ApiVersion {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<ApiVersion>().copied().unwrap_or(ApiVersion::MIN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &str) -> Result<ApiVersion, u16> {
        requested_version(Some(&HeaderValue::from_str(v).unwrap())).map_err(|e| e.status().as_u16())
    }

    fn parse_lines(lines: &[&str]) -> Result<ApiVersion, u16> {
        let values: Vec<_> = lines.iter().map(|v| HeaderValue::from_str(v).unwrap()).collect();
        requested_version(&values).map_err(|e| e.status().as_u16())
    }

    #[test]
    fn microversions_as_barbican() {
        assert_eq!(requested_version(None).unwrap(), ApiVersion(0));
        // The last key-manager entry wins, across entries and across header lines.
        assert_eq!(parse("key-manager 1.2, key-manager 1.1"), Ok(ApiVersion(1)));
        assert_eq!(parse("key-manager 1.9, key-manager 1.1"), Ok(ApiVersion(1)));
        assert_eq!(parse_lines(&["key-manager 1.1", "compute 2.1"]), Ok(ApiVersion(1)));
        assert_eq!(parse_lines(&["key-manager 1.1", "key-manager 1.2"]), Ok(ApiVersion(2)));
        assert_eq!(parse_lines(&[]), Ok(ApiVersion(0)));
        assert_eq!(parse("key-manager LATEST"), Err(400));
        assert_eq!(parse("key-manager 1.1"), Ok(ApiVersion(1)));
        assert_eq!(parse("key-manager latest"), Ok(ApiVersion(2)));
        assert_eq!(parse("compute 2.1, key-manager 1.2"), Ok(ApiVersion(2)));
        assert_eq!(parse("key-manager 9.9"), Err(406));
        assert_eq!(parse("key-manager 1.3"), Err(406));
        assert_eq!(parse("key-manager garbage"), Err(400));
    }
}
