//! Request handlers, one module per resource and one file per action. Routes are wired in
//! [`crate::router`].

pub mod paging;
pub mod secrets;
pub mod versions;

use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// Parses a resource id from a path, refusing as Barbican does:
/// 404 `Not Found. Provided <what> id is invalid.`
pub fn parse_id(raw: &str, what: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound(format!("Not Found. Provided {what} id is invalid.")))
}
