//! The entry points of the fuzz targets in `fuzz/` (cargo-fuzz, `just fuzz`): every parser and
//! validator that reads bytes a client sent, reached without I/O so a target runs them thousands
//! of times a second. Exists for the fuzz crate only (hidden from the docs); the server does not
//! use it.
//!
//! Most entry points are the crate's own public functions, re-exported so the targets depend on
//! this module alone; the rest wrap crate-internal functions ([`microversion`],
//! [`payload_accept`], [`audit_filter`]) or build the fixed inputs a target needs
//! ([`hs256_verifier`], [`subject_csr`]).

use std::sync::OnceLock;

use axum::extract::Query;
use axum::http::{HeaderValue, Uri};
use portcullis_plugins::{CaError, Csr, KeyGenPlugin, KeyGenerator, build_csr};
use portcullis_store::audit_events::EventFilter;
use zeroize::Zeroizing;

use crate::auth::jwt::{ClaimNames, JwtVerifier};
use crate::auth::keys::{self, KeySet};
use crate::controllers::secrets::payload::{Operation, Want};
use crate::error::ApiResult;
use crate::middleware::ApiVersion;

pub use crate::auth::jwt::Rejection;
pub use crate::body::{json_object, media_type, strip_whitespace};
pub use crate::controllers::acls::validate::acl_body;
pub use crate::controllers::containers::validate::{CONTAINER_TYPES, consumer as container_consumer};
pub use crate::controllers::containers::validate::{container_secret, new_container};
pub use crate::controllers::orders::validate::{CERTIFICATE_REQUEST_TYPES, CertificateRequest, OrderSpec, new_order};
pub use crate::controllers::paging::{MAX_LIMIT, nav_query, page_from};
pub use crate::controllers::secret_consumers::validate::consumer as secret_consumer;
pub use crate::controllers::secret_metadata::validate::{MAX_LEN as MAX_METADATA_LEN, metadata, metadatum};
pub use crate::controllers::secrets::list::parse_filter as secret_filter;
pub use crate::controllers::secrets::validate::{MAX_BIT_LENGTH, PayloadKind, SECRET_TYPES};
pub use crate::controllers::secrets::validate::{decode_base64, new_secret};
pub use crate::error::ApiError;

/// `OpenStack-API-Version` as the microversion middleware reads it (`None`: header absent).
pub fn microversion(header: Option<&HeaderValue>) -> ApiResult<ApiVersion> {
    crate::middleware::requested_version(header)
}

/// The content type `GET .../payload` answers with for an `Accept` value and a stored content
/// type, or its refusal.
pub fn payload_accept(accept: Option<&str>, stored: &str) -> ApiResult<&'static str> {
    Ok(match crate::controllers::secrets::payload::negotiate(accept, stored, Operation::PayloadRetrieval)? {
        Want::Text => "text/plain",
        Want::Binary(content_type) => content_type,
    })
}

/// The filters of `GET /v1/audit-events`.
pub fn audit_filter(params: &[(String, String)]) -> ApiResult<EventFilter> {
    crate::controllers::audit_events::parse_filter(params)
}

/// The query parameters of a request to `/v1/secrets?<query>` as a list handler receives them
/// (axum's `Query`), or `None` when that is no valid request target.
pub fn query_params(query: &str) -> Option<Vec<(String, String)>> {
    let uri: Uri = format!("/v1/secrets?{query}").parse().ok()?;
    Query::<Vec<(String, String)>>::try_from_uri(&uri).ok().map(|Query(params)| params)
}

/// A `jwt`-mode verifier holding one HS256 `secret` (at least 32 bytes), requiring `iss` `idp`
/// and `aud` `portcullis`, with 60 s of leeway; claims `project_id`, `sub` and `roles`.
pub fn hs256_verifier(secret: &[u8]) -> JwtVerifier {
    let mut set = KeySet::default();
    set.push(keys::hs256(secret).expect("a fuzz HS256 secret of at least 32 bytes"));
    JwtVerifier {
        keys: set,
        issuer: Some("idp".into()),
        audience: Some("portcullis".into()),
        leeway_secs: 60,
        claims: ClaimNames { project: "project_id".into(), user: "sub".into(), roles: "roles".into() },
    }
}

/// The CSR a `custom` certificate order's worker builds for `subject_dn`, signed with one Ed25519
/// key made on first use (Ed25519: the cheapest key to sign with).
pub fn subject_csr(subject_dn: &str) -> Result<Csr, CaError> {
    static KEY: OnceLock<Zeroizing<String>> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        KeyGenPlugin::new().generate_asymmetric("ed25519", 256, None).expect("an Ed25519 key").private_key_pem
    });
    build_csr(key, None, subject_dn)
}
