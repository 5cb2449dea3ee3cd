//! The `ACL` schema of `PUT`/`PATCH .../acl`, worded as Barbican's jsonschema validator words it:
//! `{"read": {"users": [string (≤255)], "project-access": boolean}}`, nothing else. Errors inside
//! `read` name the property `read` (Barbican reports the second element of the schema path).

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::schema::{Fields, py_repr};

pub const SCHEMA: &str = "ACL";

/// The most characters a user id may have.
const MAX_USER_ID: usize = 255;

/// A validated body: the `read` ACL's fields as given (`None` where absent).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AclBody {
    /// `None` when `read` is absent or empty (`{"read": {}}`), which Barbican skips.
    pub read: Option<ReadSpec>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReadSpec {
    /// The user ids, deduplicated, in the order given.
    pub users: Option<Vec<String>>,
    pub project_access: Option<bool>,
}

/// Validates a (stripped) JSON object body.
pub fn acl_body(obj: &Map<String, Value>) -> ApiResult<AclBody> {
    Fields::new(SCHEMA, obj).deny_unknown(&["read"])?;
    let err = |reason: String| ApiError::schema(SCHEMA, reason, "read");
    let read = match obj.get("read") {
        None => return Ok(AclBody::default()),
        Some(Value::Object(m)) => m,
        Some(other) => return Err(err(format!("{} is not of type 'object'", py_repr(other)))),
    };
    Fields::new(SCHEMA, read).deny_unknown(&["users", "project-access"]).map_err(|e| match e {
        ApiError::Schema { reason, .. } => err(reason),
        other => other,
    })?;
    let users = match read.get("users") {
        None => None,
        Some(Value::Array(items)) => {
            let mut users: Vec<String> = Vec::with_capacity(items.len());
            for item in items {
                let Value::String(u) = item else {
                    return Err(err(format!("{} is not of type 'string'", py_repr(item))));
                };
                if u.chars().count() > MAX_USER_ID {
                    return Err(err(format!("{} is too long", py_repr(item))));
                }
                if !users.contains(u) {
                    users.push(u.clone());
                }
            }
            Some(users)
        }
        Some(other) => return Err(err(format!("{} is not of type 'array'", py_repr(other)))),
    };
    let project_access = match read.get("project-access") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => return Err(err(format!("{} is not of type 'boolean'", py_repr(other)))),
    };
    let empty = read.is_empty();
    Ok(AclBody { read: (!empty).then_some(ReadSpec { users, project_access }) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> Result<AclBody, String> {
        acl_body(v.as_object().unwrap()).map_err(|e| match e {
            ApiError::Schema { reason, property, .. } => format!("{reason} | {property}"),
            other => other.to_string(),
        })
    }

    #[test]
    fn schema_as_barbican() {
        assert_eq!(
            check(json!({"write": {"users": ["x"]}})).unwrap_err(),
            "Additional properties are not allowed ('write' was unexpected) | None"
        );
        assert_eq!(check(json!({"read": []})).unwrap_err(), "[] is not of type 'object' | read");
        assert_eq!(check(json!({"read": {"users": "a"}})).unwrap_err(), "'a' is not of type 'array' | read");
        assert_eq!(check(json!({"read": {"users": [1]}})).unwrap_err(), "1 is not of type 'string' | read");
        assert_eq!(
            check(json!({"read": {"project-access": "yes"}})).unwrap_err(),
            "'yes' is not of type 'boolean' | read"
        );
        assert_eq!(
            check(json!({"read": {"group": 1}})).unwrap_err(),
            "Additional properties are not allowed ('group' was unexpected) | read"
        );
        assert!(check(json!({"read": {"users": ["a".repeat(256)]}})).unwrap_err().ends_with("is too long | read"));
        assert_eq!(check(json!({"read": {}})).unwrap(), AclBody { read: None });
        assert_eq!(
            check(json!({"read": {"users": ["b", "a", "b"], "project-access": false}})).unwrap().read.unwrap(),
            ReadSpec { users: Some(vec!["b".into(), "a".into()]), project_access: Some(false) }
        );
    }
}
