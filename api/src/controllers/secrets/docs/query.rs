//! The query parameters of `GET /v1/secrets`, and the paging every list shares, as the document
//! describes them: what [`crate::controllers::secrets::list`] and [`crate::controllers::paging`]
//! read. Several are read leniently, as Barbican reads them (a malformed value is ignored), so
//! their schemas accept any string beside the documented integer or boolean.

use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, SchemaFormat};

use super::{string, timestamp, with_not, ws};

/// An integer within `min..=max`, or any other string (read as the parameter says).
fn lenient_integer(min: i64, max: Option<i64>, default: Option<i64>) -> Schema {
    let integer = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(min))
        .maximum(max)
        .default(default.map(Value::from));
    AnyOfBuilder::new().item(integer).item(other_value()).build().into()
}

/// Any other string a lenient parameter takes, except a NUL, which no query may hold
/// ([`crate::hardening::refuse_nul`]).
fn other_value() -> ObjectBuilder {
    string("Any other value, read as described.").pattern(Some(r"^[^\u0000]*$"))
}

/// `limit` and `offset`, read as Barbican's `clean_paging_values` reads them.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// How many items a page has, 1 to 100 (default 10). A smaller or larger integer is
    /// clamped; anything else means 10.
    #[param(schema_with = limit)]
    pub limit: Option<i64>,
    /// How many items to skip (default 0). A negative integer or anything else means 0.
    #[param(schema_with = offset)]
    pub offset: Option<i64>,
}

fn limit() -> Schema {
    lenient_integer(1, Some(100), Some(10))
}

fn offset() -> Schema {
    lenient_integer(0, None, Some(0))
}

/// The sort keys of the secrets list.
const SORT_KEY: &str = "(created|updated|expiration|name|algorithm|bit_length|mode|secret_type|status)";

/// The filters and sort of `GET /v1/secrets`. Unknown parameters are ignored.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SecretListQuery {
    /// Only secrets with exactly this name; empty means no filter.
    #[param(value_type = String, required = false, example = "db-password")]
    pub name: Option<String>,
    /// Only secrets with exactly this algorithm; empty means no filter.
    #[param(value_type = String, required = false, example = "aes")]
    pub alg: Option<String>,
    /// Only secrets with exactly this mode; empty means no filter.
    #[param(value_type = String, required = false, example = "cbc")]
    pub mode: Option<String>,
    /// Only secrets of this bit length. As in Barbican, a value that is not a positive integer
    /// is ignored.
    #[param(schema_with = bits)]
    pub bits: Option<i64>,
    /// Only secrets of exactly this type (`symmetric`, `passphrase`, `private`, `public`,
    /// `certificate` or `opaque`; another value matches none); empty means no filter.
    #[param(value_type = String, required = false, example = "symmetric")]
    pub secret_type: Option<String>,
    /// Only secrets created at times matching every comparison (see the schema).
    #[param(schema_with = date_filter)]
    pub created: Option<String>,
    /// Only secrets last changed at times matching every comparison (see the schema).
    #[param(schema_with = date_filter)]
    pub updated: Option<String>,
    /// Only secrets expiring at times matching every comparison (see the schema); secrets that
    /// never expire match none.
    #[param(schema_with = date_filter)]
    pub expiration: Option<String>,
    /// The order: a comma-separated list of `key`, `key:asc` or `key:desc`, each key at most once
    /// (else 400), keys from `created`, `updated`, `expiration`, `name`, `algorithm`,
    /// `bit_length`, `mode`, `secret_type`, `status`; then oldest first. Empty means the default.
    #[param(schema_with = sort)]
    pub sort: Option<String>,
    /// `true` (in any case): instead of the project's secrets, those of any project whose read ACL
    /// names the caller's user (none without a user id). Any other value is ignored.
    #[param(schema_with = acl_only)]
    pub acl_only: Option<bool>,
}

fn bits() -> Schema {
    lenient_integer(1, None, None)
}

/// A date filter: comma-separated comparisons (`gt:`, `gte:`, `lt:`, `lte:` or none: equal), at
/// most one lower bound, one upper bound and one equality, and no equality with `gte`/`lte`.
fn date_filter() -> Schema {
    let ws = ws();
    let item = format!("(?:(?:gt|gte|lt|lte):)?{}", timestamp());
    let pattern = format!("^{ws}(?:{item}(?:,{item})*)?{ws}$");
    let clash = format!(r"(?:^{ws}|,)(?:gte?:.*,gte?:|lte?:.*,lte?:|\d.*,(?:\d|[gl]te:)|[gl]te:.*,\d)");
    let description = "A comma-separated list of ISO 8601 times, each prefixed with `gt:`, `gte:`, `lt:` or `lte:`, \
                       or bare for equality, e.g. `gt:2016-01-01T00:00:00,lt:2017-01-01`. At most one lower bound, \
                       one upper bound and one equality, and no equality beside `gte`/`lte`: else 400. Empty means \
                       no filter.";
    let schema = string(description).pattern(Some(pattern)).examples([json!("gte:2020-01-01T00:00:00Z")]).build();
    with_not(schema, json!({"pattern": clash})).into()
}

fn sort() -> Schema {
    let ws = ws();
    let key = SORT_KEY.replacen('(', "(?:", 1);
    let item = format!("{ws}{key}(?::(?:asc|desc))?{ws}");
    let pattern = format!("^(?:{item}(?:,{item})*)?$");
    // A key used twice: the first capture group, again later in the list.
    let repeat = format!(r"(?:^|,){ws}{SORT_KEY}(?::(?:asc|desc))?{ws},(?:[^,]*,)*{ws}\1(?::|{ws}(?:,|$))");
    let schema = string("Sort keys.").pattern(Some(pattern)).examples([json!("created:desc,name")]).build();
    with_not(schema, json!({"pattern": repeat})).into()
}

fn acl_only() -> Schema {
    AnyOfBuilder::new().item(ObjectBuilder::new().schema_type(Type::Boolean)).item(other_value()).build().into()
}

/// The query of `PUT /v1/secrets/{id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PutQuery {
    /// The transport key the payload is wrapped with. No configured secret store supports
    /// transport keys, so a request that names one is 400, as in Barbican.
    #[param(schema_with = no_transport_key)]
    pub transport_key_id: Option<String>,
}

fn no_transport_key() -> Schema {
    super::absent("Not allowed: no configured secret store supports transport keys (400).").into()
}

/// The query of `DELETE /v1/secrets/{id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// From microversion 1.2: delete the secret even if it has consumers. A boolean as oslo reads
    /// one: `1`, `t`, `true`, `on`, `y`, `yes` or `0`, `f`, `false`, `off`, `n`, `no`, in any
    /// case (default false); from 1.2 another value is 400, once the secret is found. Before 1.2
    /// it is not read, as in Barbican.
    #[param(schema_with = force, example = "true")]
    pub force: Option<String>,
}

fn force() -> Schema {
    let ws = ws();
    let word = "1|0|[Tt](?:[Rr][Uu][Ee])?|[Ff](?:[Aa][Ll][Ss][Ee])?|[Oo](?:[Nn]|[Ff][Ff])|[Yy](?:[Ee][Ss])?|[Nn][Oo]?";
    AnyOfBuilder::new()
        .item(string("A boolean word.").pattern(Some(format!("^{ws}(?:{word}){ws}$"))))
        .item(other_value().description(Some("Any other value: 400 from microversion 1.2, unread before.")))
        .build()
        .into()
}
