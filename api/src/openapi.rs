//! The OpenAPI 3.1 document, served at `GET /v1/openapi.json`, and the API reference page that
//! renders it at `/docs` (Swagger UI, its files built into the binary).
//!
//! The document is generated from the code: every handler carries a `#[utoipa::path]`, and
//! [`crate::router`] registers each route with utoipa-axum's `routes!`, which adds the route and
//! its operation together. What the layers in front of the handlers add is added here once, by
//! [`Conventions`]: on every operation the `OpenStack-API-Version` header, the error responses
//! those layers can give (400, 406, 413, 431, 500, 503) and "no NUL" on free-text path and query
//! parameters; on `/v1` ones also the auth schemes, 401, 403 and 507.
//!
//! # Layout
//! - this file: [`ApiDoc`] (info, tags, shared schemas), [`Conventions`], shared parameter
//!   schemas ([`PageParams`], [`TimeFilter`], [`UuidFilter`]), and the routes that serve the
//!   document and the page.
//! - `#[utoipa::path]` on each handler, beside it: its parameters, body and responses.
//! - `docs.rs` modules beside the controllers: the request and response bodies as documented
//!   types (the controllers validate raw JSON, so the types exist for the document only).

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use serde::Serialize;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{AnyOf, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Components, OpenApi as Document, RefOr, Required, Response, ResponseBuilder};
use utoipa::{IntoParams, Modify, OpenApi, PartialSchema, ToSchema};
use utoipa_swagger_ui::Config;

use crate::error::{ApiError, error_body};

/// Where the document is served (without auth).
pub const DOCUMENT: &str = "/v1/openapi.json";
/// Where the API reference page is served.
pub const DOCS: &str = "/docs";

/// Barbican's error body, the answer to every failed request.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"code": 404, "title": "Not Found", "description": "Not Found. Sorry but your secret is in another castle."}))]
pub struct ErrorBody {
    /// The HTTP status code, repeated.
    pub code: u16,
    /// The status's reason phrase.
    pub title: String,
    /// What went wrong, worded as Barbican does; empty when there is nothing to add.
    pub description: String,
}

/// The document's fixed parts; the operations come from the router.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis",
        description = "A secrets-management service speaking the OpenStack Barbican v1 (key-manager) API, \
                       with durable order processing, a job dashboard and OpenTelemetry tracing.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "versions", description = "Version discovery."),
        (name = "secrets", description = "Secrets and their payloads."),
        (name = "secret-metadata", description = "User-defined key/value metadata on a secret."),
        (name = "secret-consumers", description = "Services registered as using a secret."),
        (name = "acls", description = "Per-user read access to secrets and containers."),
        (name = "containers", description = "Named groups of secrets (generic, rsa, certificate)."),
        (name = "orders", description = "Asynchronous generation of keys, key pairs and certificates."),
        (name = "cas", description = "Certificate authorities that sign certificate orders."),
        (name = "certificate-requests", description = "Certificate orders awaiting an admin's decision."),
        (name = "admin-jobs", description = "The durable jobs behind orders: inspect, retry, cancel."),
        (name = "quotas", description = "Per-project limits on resources."),
        (name = "audit-events", description = "The append-only audit trail."),
        (name = "secret-stores", description = "Configured secret stores and each project's preferred one."),
        (name = "transport-keys", description = "Transport keys (no configured store uses them)."),
        (name = "operations", description = "Health, readiness and metrics, without auth."),
    )
)]
pub struct ApiDoc;

/// The document as served: the router's operations with [`Conventions`] applied.
pub fn finish(mut doc: Document) -> Document {
    Conventions.modify(&mut doc);
    doc
}

/// What the layers in front of the handlers add to every operation (and to `/v1` ones), added
/// to each so the handlers' annotations stay about their own behaviour.
pub struct Conventions;

const AUTH_SCHEMES: [&str; 2] = ["bearer", "project_header"];

impl Modify for Conventions {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Components::new);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "`auth = jwt`: a token signed with a configured key (HS256, RS256, ES256); \
                         its claims name the project, user and roles.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "project_header",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Project-Id",
                "`auth = noauth` (the default, loopback only): Barbican's unauthenticated context. \
                 `X-Project-Id` names the project; `X-User-Id` and `X-Roles` (comma-separated, \
                 default `admin`) may follow.",
            ))),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            let v1 = path == "/v1" || path.starts_with("/v1/");
            for op in operations(item) {
                every_operation(op);
                if v1 {
                    v1_operation(op);
                }
            }
        }
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch, &mut item.head]
        .into_iter()
        .filter_map(Option::as_mut)
}

/// The layers in front of every route (crate::router): the microversion header, the limits,
/// and [`crate::hardening::refuse_nul`] (so no path or query text may hold a NUL).
fn every_operation(op: &mut Operation) {
    let params = op.parameters.get_or_insert_with(Vec::new);
    for param in params.iter_mut() {
        if let RefOr::T(p) = param
            && matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query)
            && let Some(RefOr::T(Schema::Object(schema))) = &mut p.schema
        {
            forbid_nul(schema);
        }
    }
    params.push(RefOr::T(
        ParameterBuilder::new()
            .name("OpenStack-API-Version")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "The microversion: `key-manager 1.0` to `key-manager 1.2`, or `key-manager latest`. \
                 Absent means 1.0.",
            ))
            .schema(Some(Object::with_type(Type::String)))
            .build(),
    ));
    add_errors(
        op,
        &[
            ("400", "The request is malformed (a body that breaks the schema, a bad microversion header)."),
            ("406", "The requested microversion is not served."),
            ("413", "The request body is over the configured limit (`max_request_bytes`)."),
            ("431", "The request's headers are over the configured limit (`max_header_bytes`)."),
            ("500", "An internal error; the body says nothing of its cause."),
            ("503", "The database is unreachable or the request ran out of time; retry later."),
        ],
    );
}

/// Gives a free-text string schema (no pattern, format or enum of its own) the pattern
/// "no NUL character".
fn forbid_nul(schema: &mut Object) {
    let text = match &schema.schema_type {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(types) => types.contains(&Type::String),
        SchemaType::AnyValue => false,
    };
    if text && schema.pattern.is_none() && schema.format.is_none() && schema.enum_values.is_none() {
        schema.pattern = Some(NO_NUL.to_owned());
    }
}

/// A string without NUL characters.
const NO_NUL: &str = r"^[^\u0000]*$";

/// A query filter that is a date-time, or empty (blank) for no filter.
pub struct TimeFilter;

impl PartialSchema for TimeFilter {
    fn schema() -> RefOr<Schema> {
        or_blank(
            Object::builder().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
    }
}

impl ToSchema for TimeFilter {}

/// A query filter that is a UUID, or empty (blank) for no filter.
pub struct UuidFilter;

impl PartialSchema for UuidFilter {
    fn schema() -> RefOr<Schema> {
        or_blank(Object::builder().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))))
    }
}

impl ToSchema for UuidFilter {}

fn or_blank(value: ObjectBuilder) -> RefOr<Schema> {
    let blank = Object::builder().schema_type(Type::String).pattern(Some(r"^[ \t]*$"));
    RefOr::T(Schema::AnyOf(AnyOf::builder().item(value.build()).item(blank.build()).build()))
}

/// What `/v1` adds: a caller ([`crate::middleware::require_caller`]) and the policy.
fn v1_operation(op: &mut Operation) {
    if op.security.is_none() {
        op.security = Some(AUTH_SCHEMES.iter().map(|s| SecurityRequirement::new(*s, Vec::<String>::new())).collect());
    }
    add_errors(
        op,
        &[
            ("401", "No valid credentials (`auth = jwt`: a missing, expired or forged token)."),
            ("403", "The caller's roles do not allow this action."),
            (
                "507",
                "The database's storage is full: nothing is written until an operator frees space (reads \
                 keep working).",
            ),
        ],
    );
}

/// Adds the error responses the operation does not list itself.
fn add_errors(op: &mut Operation, errors: &[(&str, &str)]) {
    for (status, why) in errors {
        op.responses.responses.entry((*status).to_owned()).or_insert_with(|| error_response(why));
    }
}

/// `limit` and `offset`, as every paged list reads them ([`crate::controllers::paging`]): for
/// `params(crate::openapi::PageParams, ...)`. Barbican never refuses them: a value that is not a
/// number means the default, and numbers are clamped, so the schema accepts any text.
pub struct PageParams;

impl IntoParams for PageParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let lenient = |default: i64, example: i64| {
            Object::builder()
                .schema_type(SchemaType::Array(vec![Type::Integer, Type::String]))
                .default(Some(default.into()))
                .examples([example])
                .build()
        };
        vec![
            ParameterBuilder::new()
                .name("limit")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(
                    "Items per page: 1 to 100 (larger is 100, smaller is 1); absent, empty or not a \
                     number means 10.",
                ))
                .schema(Some(lenient(10, 10)))
                .build(),
            ParameterBuilder::new()
                .name("offset")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some("Items to skip; absent, negative or not a number means 0."))
                .schema(Some(lenient(0, 0)))
                .build(),
        ]
    }
}

/// A response with Barbican's error body.
pub fn error_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/json", utoipa::openapi::ContentBuilder::new().schema(Some(error_ref())).build())
            .build(),
    )
}

fn error_ref() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody"))
}

/// `GET /v1/openapi.json` and the `/docs` page with its files, all without auth.
pub fn routes<S: Clone + Send + Sync + 'static>(doc: Document) -> Router<S> {
    // Serialized once: the document is fixed for the life of the process.
    let doc = axum::body::Bytes::from(serde_json::to_vec(&doc).expect("the OpenAPI document serializes"));
    // No validator badge: it would send the document to validator.swagger.io.
    let config = Arc::new(Config::new([DOCUMENT]).try_it_out_enabled(true).validator_url("none"));
    let page_config = config.clone();
    Router::new()
        .route(DOCUMENT, get(move || async move { ([(header::CONTENT_TYPE, "application/json")], doc.clone()) }))
        .route(DOCS, get(move || async move { swagger_file("", &page_config) }))
        .route(
            &format!("{DOCS}/{{*file}}"),
            get(move |Path(file): Path<String>| async move { swagger_file(&file, &config) }),
        )
}

/// One of Swagger UI's files. Paths arrive with trailing slashes trimmed (see [`crate::serve`]),
/// so the page is served at `/docs` itself and its relative links are made absolute.
fn swagger_file(file: &str, config: &Arc<Config<'static>>) -> axum::response::Response {
    match utoipa_swagger_ui::serve(file, config.clone()) {
        Ok(Some(f)) if file.is_empty() => {
            let page = String::from_utf8_lossy(&f.bytes)
                .replace("\"./", &format!("\"{DOCS}/"))
                .replace("\"index.css\"", &format!("\"{DOCS}/index.css\""));
            Html(page).into_response()
        }
        Ok(Some(f)) => ([(header::CONTENT_TYPE, f.content_type)], f.bytes.into_owned()).into_response(),
        Ok(None) => error_body(StatusCode::NOT_FOUND, "".into()),
        Err(e) => ApiError::Internal(anyhow::anyhow!("swagger ui: {e}")).into_response(),
    }
}
