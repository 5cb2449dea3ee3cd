//! The `Container`, `ContainerSecret` and `Consumer` schemas, checked as Barbican checks them.
//!
//! Bodies arrive stripped ([`crate::body::strip_whitespace`]). Barbican then runs jsonschema and
//! reports only its "best match": the error at the shallowest place in the document, among
//! equals the one with the greatest path (`type` before `secret_refs` before `name`), among errors at one place the first
//! by schema keyword order. [`Violations`] reproduces that choice, so a body with several faults
//! gets the same message as from Barbican. The container's own rules (duplicate names and ids,
//! the names an `rsa` or `certificate` container may use) follow the schema.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::schema::{py_list, py_repr};

pub const CONTAINER: &str = "Container";
pub const CONTAINER_SECRET: &str = "ContainerSecret";
pub const CONSUMER: &str = "Consumer";

pub const CONTAINER_TYPES: &[&str] = &["generic", "rsa", "certificate"];

/// A validated `POST /v1/containers` body.
#[derive(Debug)]
pub struct NewContainer {
    pub name: Option<String>,
    pub kind: String,
    pub refs: Vec<RefIn>,
}

/// One `{name, secret_ref}` of a body, `name` absent or null as `None`.
#[derive(Debug, Clone)]
pub struct RefIn {
    pub name: Option<String>,
    pub secret_ref: String,
}

/// A validated consumer body.
#[derive(Debug)]
pub struct ConsumerIn {
    pub name: String,
    pub url: String,
}

/// A step of an instance path; keys and indexes compare as Python compares them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Index(usize),
    Key(&'static str),
}

/// jsonschema's best match among the errors of one document, fed in jsonschema's order.
struct Violations {
    schema: &'static str,
    best: Option<(Vec<Step>, String, &'static str)>,
}

impl Violations {
    fn new(schema: &'static str) -> Self {
        Self { schema, best: None }
    }

    /// Records an error at instance `path`, reported against top-level `property` (`None` for
    /// errors about the whole object). Replaces the current best only if strictly better, so the
    /// first of equals wins, as with Python's `max`.
    fn add(&mut self, path: Vec<Step>, reason: String, property: &'static str) {
        let better = match &self.best {
            None => true,
            Some((p, _, _)) => path.len() < p.len() || (path.len() == p.len() && path > *p),
        };
        if better {
            self.best = Some((path, reason, property));
        }
    }

    fn finish(self) -> ApiResult<()> {
        match self.best {
            Some((_, reason, property)) => Err(ApiError::schema(self.schema, reason, property)),
            None => Ok(()),
        }
    }
}

/// The string checks of one property: `{"type": "string" | ["string", "null"], "maxLength",
/// "minLength"}`, in that keyword order.
fn check_string(
    v: &mut Violations,
    path: Vec<Step>,
    property: &'static str,
    value: &Value,
    nullable: bool,
    min: usize,
    max: usize,
) {
    match value {
        Value::String(s) => {
            let len = s.chars().count();
            if len > max {
                v.add(path, format!("{} is too long", py_repr(value)), property);
            } else if len < min {
                v.add(path, format!("{} should be non-empty", py_repr(value)), property);
            }
        }
        Value::Null if nullable => {}
        other => {
            let types = if nullable { "'string', 'null'" } else { "'string'" };
            v.add(path, format!("{} is not of type {types}", py_repr(other)), property);
        }
    }
}

fn required(v: &mut Violations, obj: &Map<String, Value>, keys: &[&str], path: Vec<Step>, property: &'static str) {
    for key in keys {
        if !obj.contains_key(*key) {
            v.add(path.clone(), format!("'{key}' is a required property"), property);
        }
    }
}

/// `POST /v1/containers`: the `Container` schema, then Barbican's reference rules.
pub fn new_container(body: &Map<String, Value>) -> ApiResult<NewContainer> {
    let mut v = Violations::new(CONTAINER);
    if let Some(name) = body.get("name") {
        check_string(&mut v, vec![Step::Key("name")], "name", name, true, 0, 255);
    }
    if let Some(kind) = body.get("type") {
        match kind {
            Value::String(s) if CONTAINER_TYPES.contains(&s.as_str()) => {}
            // A non-string fails `type` first; only a string can be reported as off the enum.
            Value::String(_) => v.add(
                vec![Step::Key("type")],
                format!("{} is not one of {}", py_repr(kind), py_list(CONTAINER_TYPES)),
                "type",
            ),
            other => v.add(vec![Step::Key("type")], format!("{} is not of type 'string'", py_repr(other)), "type"),
        }
    }
    if let Some(refs) = body.get("secret_refs") {
        match refs {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let at = vec![Step::Key("secret_refs"), Step::Index(i)];
                    let Value::Object(obj) = item else {
                        v.add(at, format!("{} is not of type 'object'", py_repr(item)), "secret_refs");
                        continue;
                    };
                    required(&mut v, obj, &["secret_ref"], at.clone(), "secret_refs");
                    let field = |k| [at.clone(), vec![Step::Key(k)]].concat();
                    if let Some(n) = obj.get("name") {
                        check_string(&mut v, field("name"), "secret_refs", n, true, 0, 255);
                    }
                    if let Some(r) = obj.get("secret_ref") {
                        check_string(&mut v, field("secret_ref"), "secret_refs", r, false, 1, usize::MAX);
                    }
                }
            }
            other => v.add(
                vec![Step::Key("secret_refs")],
                format!("{} is not of type 'array'", py_repr(other)),
                "secret_refs",
            ),
        }
    }
    required(&mut v, body, &["type"], Vec::new(), "None");
    v.finish()?;

    // The schema has passed: every field has its type.
    let name = body.get("name").and_then(Value::as_str).map(str::to_owned);
    let kind = body.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    let items = body.get("secret_refs").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut refs = Vec::with_capacity(items.len());
    // Barbican's name set counts a missing name as '' and a null one as None: they differ.
    let mut names: HashSet<Option<&str>> = HashSet::new();
    let mut ids: HashSet<&str> = HashSet::new();
    for item in items {
        let secret_ref = item.get("secret_ref").and_then(Value::as_str).unwrap_or_default();
        let name = match item.get("name") {
            None => Some(""),
            Some(n) => n.as_str(),
        };
        names.insert(name);
        ids.insert(secret_id_of(secret_ref));
        refs.push(RefIn {
            name: item.get("name").and_then(Value::as_str).map(str::to_owned),
            secret_ref: secret_ref.to_owned(),
        });
    }
    if refs.is_empty() {
        return Ok(NewContainer { name, kind, refs });
    }
    let bad = |reason: &str| ApiError::schema(CONTAINER, reason, "secret_refs");
    if names.len() != refs.len() {
        return Err(bad("Duplicate reference names are not allowed"));
    }
    if ids.len() != refs.len() {
        return Err(bad("Duplicate secret ids are not allowed"));
    }
    let (allowed, needed, unsupported, missing): (&[&str], &[&str], &str, &str) = match kind.as_str() {
        "rsa" => (
            &["public_key", "private_key", "private_key_passphrase"],
            &["public_key", "private_key"],
            "only 'private_key', 'public_key' and 'private_key_passphrase' reference names are allowed for RSA type",
            // sic: Barbican's message lacks the space after "and".
            "The minimum required reference names are 'public_key' and'private_key' for RSA type",
        ),
        "certificate" => (
            &["certificate", "private_key", "private_key_passphrase", "intermediates"],
            &["certificate"],
            // sic: Barbican's spacing.
            "only 'private_key', 'certificate' , 'private_key_passphrase',  or 'intermediates' reference names are allowed for Certificate type",
            "The minimum required reference name is 'certificate' for Certificate type",
        ),
        _ => return Ok(NewContainer { name, kind, refs }),
    };
    if names.iter().any(|n| !n.is_some_and(|n| allowed.contains(&n))) {
        return Err(bad(unsupported));
    }
    if !needed.iter().all(|n| names.contains(&Some(*n))) {
        return Err(bad(missing));
    }
    Ok(NewContainer { name, kind, refs })
}

/// The secret id Barbican reads from a ref for its duplicate check: the last path segment
/// (`rsplit('/', 2)[1]` when the ref ends in `/`).
fn secret_id_of(secret_ref: &str) -> &str {
    if let Some(head) = secret_ref.strip_suffix('/') {
        // Python: 'a/b/c/'.rsplit('/', 2) == ['a/b', 'c', '']; 'c/' gives ['c', ''].
        match head.rsplit_once('/') {
            Some((_, last)) => last,
            None => "",
        }
    } else {
        secret_ref.rsplit('/').next().unwrap_or(secret_ref)
    }
}

/// `POST`/`DELETE /v1/containers/{id}/secrets`: the `ContainerSecret` schema.
pub fn container_secret(body: &Map<String, Value>) -> ApiResult<RefIn> {
    let mut v = Violations::new(CONTAINER_SECRET);
    if let Some(name) = body.get("name") {
        check_string(&mut v, vec![Step::Key("name")], "name", name, false, 0, 255);
    }
    if let Some(r) = body.get("secret_ref") {
        check_string(&mut v, vec![Step::Key("secret_ref")], "secret_ref", r, false, 1, usize::MAX);
    }
    required(&mut v, body, &["secret_ref"], Vec::new(), "None");
    v.finish()?;
    Ok(RefIn {
        name: body.get("name").and_then(Value::as_str).map(str::to_owned),
        secret_ref: body.get("secret_ref").and_then(Value::as_str).unwrap_or_default().to_owned(),
    })
}

/// `POST`/`DELETE /v1/containers/{id}/consumers`: the `Consumer` schema.
pub fn consumer(body: &Map<String, Value>) -> ApiResult<ConsumerIn> {
    let mut v = Violations::new(CONSUMER);
    if let Some(url) = body.get("URL") {
        check_string(&mut v, vec![Step::Key("URL")], "URL", url, false, 1, 255);
    }
    if let Some(name) = body.get("name") {
        check_string(&mut v, vec![Step::Key("name")], "name", name, false, 1, 36);
    }
    required(&mut v, body, &["name", "URL"], Vec::new(), "None");
    v.finish()?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    Ok(ConsumerIn { name: text("name"), url: text("URL") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reason(r: ApiResult<impl std::fmt::Debug>) -> String {
        match r {
            Err(ApiError::Schema { reason, property, .. }) => format!("{reason} @{property}"),
            other => format!("{other:?}"),
        }
    }

    fn container(body: Value) -> String {
        let mut body = body;
        crate::body::strip_whitespace(&mut body);
        reason(new_container(body.as_object().unwrap()))
    }

    #[test]
    fn best_match_as_jsonschema() {
        // Missing `type` (the whole object) outranks property errors.
        assert_eq!(container(json!({"name": 1})), "'type' is a required property @None");
        // Siblings: the greatest path wins.
        assert_eq!(
            container(json!({"name": 1, "type": "x"})),
            "'x' is not one of ['generic', 'rsa', 'certificate'] @type"
        );
        assert_eq!(
            container(json!({"name": 1, "type": "generic", "secret_refs": 2})),
            "2 is not of type 'array' @secret_refs"
        );
        assert_eq!(container(json!({"type": 1})), "1 is not of type 'string' @type");
        assert_eq!(container(json!({"type": "generic", "name": 7})), "7 is not of type 'string', 'null' @name");
        // Item errors: shallower first, then the later item.
        assert_eq!(
            container(json!({"type": "generic", "secret_refs": [{"name": 1}, "x"]})),
            "'x' is not of type 'object' @secret_refs"
        );
        assert_eq!(
            container(json!({"type": "generic", "secret_refs": [{"name": 1}]})),
            "'secret_ref' is a required property @secret_refs"
        );
        assert_eq!(
            container(json!({"type": "generic", "secret_refs": [{"secret_ref": "  "}]})),
            "'' should be non-empty @secret_refs"
        );
    }

    #[test]
    fn reference_rules() {
        let r = "http://h/v1/secrets/";
        assert_eq!(
            container(
                json!({"type": "generic", "secret_refs": [{"secret_ref": format!("{r}a")}, {"secret_ref": format!("{r}b")}]})
            ),
            "Duplicate reference names are not allowed @secret_refs"
        );
        // A missing name ('') and a null one (None) are different names.
        assert!(container(json!({"type": "generic", "secret_refs": [{"secret_ref": format!("{r}a")}, {"name": null, "secret_ref": format!("{r}b")}]})).starts_with("Ok"));
        assert_eq!(
            container(
                json!({"type": "generic", "secret_refs": [{"name": "x", "secret_ref": format!("{r}a/")}, {"name": "y", "secret_ref": "a"}]})
            ),
            "Duplicate secret ids are not allowed @secret_refs"
        );
        assert_eq!(
            container(json!({"type": "rsa", "secret_refs": [{"name": "public_key", "secret_ref": format!("{r}a")}]})),
            "The minimum required reference names are 'public_key' and'private_key' for RSA type @secret_refs"
        );
        assert!(container(json!({"type": "rsa", "secret_refs": []})).starts_with("Ok"));
    }

    #[test]
    fn consumer_schema() {
        let c = |b: Value| reason(consumer(b.as_object().unwrap()));
        assert_eq!(c(json!({})), "'name' is a required property @None");
        assert_eq!(c(json!({"name": "n"})), "'URL' is a required property @None");
        assert_eq!(c(json!({"name": "n", "URL": ""})), "'' should be non-empty @URL");
        assert_eq!(c(json!({"name": "x".repeat(37), "URL": 1})), format!("'{}' is too long @name", "x".repeat(37)));
    }

    #[test]
    fn secret_ids_as_python_reads_them() {
        assert_eq!(secret_id_of("http://h/v1/secrets/abc"), "abc");
        assert_eq!(secret_id_of("http://h/v1/secrets/abc/"), "abc");
        assert_eq!(secret_id_of("abc"), "abc");
        assert_eq!(secret_id_of("abc/"), "");
    }
}
