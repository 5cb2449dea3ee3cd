//! Request handlers, one module per resource and one file per action. Routes are wired in
//! [`crate::router`].

pub mod acls;
pub mod audit_events;
pub mod cas;
pub mod certificate_requests;
pub mod containers;
pub mod health;
pub mod jobs;
pub mod metrics;
pub mod orders;
pub mod paging;
pub mod path;
pub mod quotas;
pub mod secret_consumers;
pub mod secret_metadata;
pub mod secret_stores;
pub mod secrets;
pub mod transport_keys;
pub mod versions;

use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// Parses a resource id from a path, refusing as Barbican does:
/// 404 `Not Found. Provided <what> id is invalid.` Only the canonical form of a version-4 UUID
/// (lowercase, hyphenated: every id Portcullis hands out) is an id.
pub fn parse_id(raw: &str, what: &str) -> ApiResult<Uuid> {
    let invalid = || invalid_id(what);
    let id = Uuid::try_parse(raw).map_err(|_| invalid())?;
    let canonical = id.hyphenated().to_string() == raw;
    if !canonical || id.get_version_num() != 4 || id.get_variant() != uuid::Variant::RFC4122 {
        return Err(invalid());
    }
    Ok(id)
}

/// Barbican's 404 for an id that is not one: `Not Found. Provided <what> id is invalid.`
pub fn invalid_id(what: &str) -> ApiError {
    ApiError::NotFound(format!("Not Found. Provided {what} id is invalid."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_v4_ids() {
        let id = Uuid::new_v4();
        assert_eq!(parse_id(&id.to_string(), "secret").unwrap(), id);
        for bad in [
            id.to_string().to_uppercase(),
            id.simple().to_string(),
            format!("{{{id}}}"),
            Uuid::nil().to_string(),
            "x".into(),
        ] {
            assert!(parse_id(&bad, "secret").is_err(), "{bad}");
        }
    }
}
