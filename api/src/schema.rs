//! Validation of JSON request bodies, worded as Barbican's jsonschema validator words it, so
//! clients that match on messages keep working:
//! `Provided object does not match schema 'Secret': 'banana' is not one of [...]. Invalid property: 'secret_type'`.

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

/// Python's `repr()` of a JSON value, as jsonschema prints it in messages.
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => py_str(s),
        Value::Array(items) => format!("[{}]", items.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => {
            let parts: Vec<String> = map.iter().map(|(k, v)| format!("{}: {}", py_str(k), py_repr(v))).collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

fn py_str(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// A list in Python's repr: `['a', 'b']`.
pub fn py_list(items: &[&str]) -> String {
    format!("[{}]", items.iter().map(|s| py_str(s)).collect::<Vec<_>>().join(", "))
}

/// Typed reads of one JSON object's fields, failing with the schema's wording.
pub struct Fields<'a> {
    pub schema: &'static str,
    pub obj: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub fn new(schema: &'static str, obj: &'a Map<String, Value>) -> Self {
        Self { schema, obj }
    }

    pub fn err(&self, reason: impl Into<String>, property: &str) -> ApiError {
        ApiError::schema(self.schema, reason, property)
    }

    /// Refuses properties not in `allowed` (`additionalProperties: false`).
    pub fn deny_unknown(&self, allowed: &[&str]) -> ApiResult<()> {
        let extra: Vec<&String> = self.obj.keys().filter(|k| !allowed.contains(&k.as_str())).collect();
        if extra.is_empty() {
            return Ok(());
        }
        let list = extra.iter().map(|k| py_str(k)).collect::<Vec<_>>().join(", ");
        let verb = if extra.len() == 1 { "was" } else { "were" };
        Err(self.err(format!("Additional properties are not allowed ({list} {verb} unexpected)"), "None"))
    }

    pub fn require(&self, key: &str) -> ApiResult<&'a Value> {
        self.obj.get(key).ok_or_else(|| self.err(format!("'{key}' is a required property"), key))
    }

    /// An optional string; `null` is accepted only if `nullable`.
    pub fn string(&self, key: &str, max_len: usize, nullable: bool) -> ApiResult<Option<String>> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Null) if nullable => Ok(None),
            Some(Value::String(s)) if s.chars().count() > max_len => {
                Err(self.err(format!("{} is too long", py_str(s)), key))
            }
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => {
                // jsonschema lists every allowed type: `["string", "null"]` → 'string', 'null'.
                let types = if nullable { "'string', 'null'" } else { "'string'" };
                Err(self.err(format!("{} is not of type {types}", py_repr(other)), key))
            }
        }
    }

    /// An optional string that must be one of `allowed` (`{"type": "string", "enum": [...]}`:
    /// the type is checked first, as jsonschema reports it first).
    pub fn one_of(&self, key: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
            Some(v @ Value::String(_)) => {
                Err(self.err(format!("{} is not one of {}", py_repr(v), py_list(allowed)), key))
            }
            Some(other) => Err(self.err(format!("{} is not of type 'string'", py_repr(other)), key)),
        }
    }

    /// An optional integer within `[min, max]`; `null` accepted if `nullable`.
    pub fn integer(&self, key: &str, min: i64, max: i64, nullable: bool) -> ApiResult<Option<i64>> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Null) if nullable => Ok(None),
            Some(v @ Value::Number(n)) => {
                let Some(i) =
                    n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
                else {
                    return Err(self.err(format!("{} is not of type 'integer'", py_repr(v)), key));
                };
                if i < min {
                    return Err(self.err(format!("{i} is less than the minimum of {min}"), key));
                }
                if i > max {
                    return Err(self.err(format!("{i} is greater than the maximum of {max}"), key));
                }
                Ok(Some(i))
            }
            Some(other) => Err(self.err(format!("{} is not of type 'integer'", py_repr(other)), key)),
        }
    }

    /// An optional boolean.
    pub fn boolean(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.err(format!("{} is not of type 'boolean'", py_repr(other)), key)),
        }
    }

    /// An optional array.
    pub fn array(&self, key: &str) -> ApiResult<Option<&'a Vec<Value>>> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => Err(self.err(format!("{} is not of type 'array'", py_repr(other)), key)),
        }
    }

    /// An optional object.
    pub fn object(&self, key: &str) -> ApiResult<Option<&'a Map<String, Value>>> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(other) => Err(self.err(format!("{} is not of type 'object'", py_repr(other)), key)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repr_matches_python() {
        assert_eq!(py_repr(&json!([1, 2])), "[1, 2]");
        assert_eq!(py_repr(&json!("abc")), "'abc'");
        assert_eq!(py_repr(&json!(null)), "None");
        assert_eq!(py_repr(&json!({"a": true})), "{'a': True}");
    }

    #[test]
    fn messages_match_jsonschema() {
        let obj = json!({"bit_length": "abc", "write": 1}).as_object().unwrap().clone();
        let f = Fields::new("Secret", &obj);
        let e = f.integer("bit_length", 1, 32767, false).unwrap_err();
        assert!(matches!(e, ApiError::Schema { ref reason, .. } if reason == "'abc' is not of type 'integer'"));
        let obj2 = json!({"name": 5, "secret_type": 1}).as_object().unwrap().clone();
        let f2 = Fields::new("Secret", &obj2);
        assert!(
            matches!(f2.string("name", 255, true).unwrap_err(), ApiError::Schema { ref reason, .. } if reason == "5 is not of type 'string', 'null'")
        );
        assert!(
            matches!(f2.one_of("secret_type", &["opaque"]).unwrap_err(), ApiError::Schema { ref reason, .. } if reason == "1 is not of type 'string'")
        );
        let e = f.deny_unknown(&["bit_length"]).unwrap_err();
        assert!(
            matches!(e, ApiError::Schema { ref reason, .. } if reason == "Additional properties are not allowed ('write' was unexpected)")
        );
    }
}
