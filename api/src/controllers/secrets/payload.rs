//! A secret's payload: `GET /v1/secrets/{id}/payload` (decrypt and serve, negotiated by
//! `Accept`) and `PUT /v1/secrets/{id}` (the second step of a two-step upload).

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_store::secrets::{self, Secret};
use portcullis_store::{AsConn, Timestamp};
use zeroize::Zeroizing;

use super::docs::{NewPayloadBytes, NewPayloadText, NotAcceptableBody, PayloadBytes, PayloadText, PutQuery};
use super::validate::{PayloadKind, decode_base64};
use crate::App;
use crate::body::{media_type, read_limited};
use crate::context::Caller;
use crate::controllers::path::IdPath;
use crate::error::{ApiError, ApiResult};
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// Which request is reading a payload: Barbican words its errors by operation.
#[derive(Debug, Clone, Copy)]
pub enum Operation {
    PayloadRetrieval,
    SecretRetrieval,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Self::PayloadRetrieval => "Secret payload retrieval",
            Self::SecretRetrieval => "Secret retrieval",
        }
    }
}

/// What the client asked to receive.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Want {
    Text,
    Binary(&'static str),
}

/// Barbican's negotiation: the `Accept` value is taken verbatim; absent means octet-stream,
/// `*/*` the stored type; other spellings of a supported type are 400, anything else 406.
pub(crate) fn negotiate(accept: Option<&str>, stored: &str, op: Operation) -> ApiResult<Want> {
    let accept = accept.map(str::trim).unwrap_or("");
    Ok(match accept {
        "" => Want::Binary("application/octet-stream"),
        "*/*" => match PayloadKind::from_content_type(stored) {
            Some(PayloadKind::Binary(ct)) => Want::Binary(ct),
            _ => Want::Text,
        },
        "text/plain" | "text/plain;charset=utf-8" | "text/plain; charset=utf-8" => Want::Text,
        "application/octet-stream" => Want::Binary("application/octet-stream"),
        "application/pkcs8" => Want::Binary("application/pkcs8"),
        other if PayloadKind::from_content_type(other).is_some() => {
            return Err(ApiError::BadRequest(format!(
                "{} issue seen - content-type of '{other}' not supported.",
                op.name()
            )));
        }
        _ => return Err(ApiError::NotAcceptable(None)),
    })
}

/// Decrypts `secret`'s payload and answers with it in the negotiated representation.
pub async fn serve_payload(
    app: &App,
    c: &mut impl AsConn,
    secret: &Secret,
    accept: Option<&str>,
    op: Operation,
) -> ApiResult<Response> {
    let no_payload = || ApiError::NotFound("Not Found. Sorry but your secret has no payload.".into());
    let stored = secret.content_type.as_deref().ok_or_else(no_payload)?;
    let want = negotiate(accept, stored, op)?;
    let sealed = secrets::find_payload(c, secret.id).await?.ok_or_else(no_payload)?;
    let plain =
        app.keks.open(c, &secret.project_id, secret.id, &sealed.store_name, sealed.kek_id, &sealed.ciphertext).await?;
    let content_type = match want {
        Want::Text => {
            if std::str::from_utf8(&plain).is_err() {
                return Err(ApiError::NotAcceptable(Some(format!(
                    "{} issue seen - Wrong payload content-type.",
                    op.name()
                ))));
            }
            "text/plain; charset=UTF-8"
        }
        Want::Binary(ct) => ct,
    };
    Ok(payload_response(plain, content_type))
}

/// The payload bytes as a response that no cache keeps.
fn payload_response(plain: Zeroizing<Vec<u8>>, content_type: &'static str) -> Response {
    // The body needs an owned buffer; the zeroizing copy is dropped (wiped) right after.
    let body = Body::from(plain.to_vec());
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Read a secret's payload
///
/// The decrypted payload, in the representation `Accept` asks for: `text/plain` (UTF-8 text),
/// `application/octet-stream` or `application/pkcs8` (raw bytes), `*/*` (the stored type);
/// absent means `application/octet-stream`.
#[utoipa::path(
    get,
    path = "/v1/secrets/{id}/payload",
    tag = "secrets",
    operation_id = "secret_payload_get",
    params(("id" = uuid::Uuid, Path, description = "The secret's id.")),
    responses(
        (status = 200, description = "The payload.",
            headers(("Cache-Control" = String, description = "`no-store`.")),
            content(
                (PayloadText = "text/plain"),
                (PayloadBytes = "application/octet-stream"),
                (PayloadBytes = "application/pkcs8"),
            )),
        (status = 400, description = "`Accept` names a payload type in a spelling the server does not serve \
            (e.g. `TEXT/PLAIN`).", body = ErrorBody),
        (status = 404, description = "No such secret in the caller's reach, or it has no payload.", body = ErrorBody),
        (status = 406, description = "`Accept` names no payload type, or `text/plain` for bytes that are not \
            UTF-8 (Barbican's body, `description` null for the former); or the microversion is not served.",
            body = NotAcceptableBody),
    )
)]
pub async fn get_payload(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    IdPath(id): IdPath<String>,
) -> ApiResult<Response> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let mut conn = app.db.acquire().await?;
    let secret = super::load(&mut conn, &caller, &id, Action::SecretDecrypt).await?;
    serve_payload(&app, &mut conn, &secret, accept, Operation::PayloadRetrieval).await
}

/// Upload a secret's payload
///
/// The second step of a two-step upload: the payload of a secret created without one, as the raw
/// body. `text/plain` is UTF-8 text (a `Content-Encoding` is ignored, as Barbican ignores it).
/// `application/octet-stream` is the bytes themselves, or, with the header `Content-Encoding:
/// base64` (any case), their base64 text, which must decode to at least one byte; another
/// `Content-Encoding` is 400. A payload is written once: a second PUT is 409.
#[utoipa::path(
    put,
    path = "/v1/secrets/{id}",
    tag = "secrets",
    operation_id = "secret_payload_put",
    params(
        ("id" = uuid::Uuid, Path, description = "The secret's id."),
        PutQuery,
    ),
    request_body(
        description = "The payload: not empty, at most `max_secret_bytes` bytes (20000 by default). With \
            `application/octet-stream` and `Content-Encoding: base64`, its base64 text.",
        content(
            (NewPayloadText = "text/plain", example = "s3cr3t"),
            (NewPayloadBytes = "application/octet-stream"),
        ),
    ),
    responses(
        (status = 204, description = "Stored."),
        (status = 400, description = "The body is empty, a `transport_key_id` is given, `text/plain` that is \
            not UTF-8, or `application/octet-stream` with a `Content-Encoding` other than `base64` or with base64 that does \
            not decode.", body = ErrorBody),
        (status = 404, description = "No such secret in the caller's reach.", body = ErrorBody),
        (status = 409, description = "The secret has a payload already.", body = ErrorBody),
        (status = 413, description = "The payload is over `max_secret_bytes`.", body = ErrorBody),
        (status = 415, description = "The body is neither `text/plain` nor `application/octet-stream`.",
            body = ErrorBody),
    )
)]
pub async fn put_payload(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath<String>,
    Query(params): Query<Vec<(String, String)>>,
    req: Request,
) -> ApiResult<StatusCode> {
    let secret = super::load(&mut app.db.acquire().await?, &caller, &id, Action::SecretPut).await?;
    let kind = match media_type(req.headers()).as_deref() {
        Some("text/plain") => PayloadKind::Text,
        Some("application/octet-stream") => PayloadKind::Binary("application/octet-stream"),
        _ => return Err(ApiError::UnsupportedMediaType(&["application/octet-stream", "text/plain"])),
    };
    let encoding = req
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty());
    // Barbican's order: content type (415), empty body (400), too large (413), already has data
    // (409), a transport key (400), then the encoding.
    let raw = match read_limited(req.into_body(), app.config.max_secret_bytes).await {
        Ok(b) => Zeroizing::new(b.to_vec()),
        Err(ApiError::TooLarge) => {
            return Err(ApiError::TooLargeDetail(
                "Secret update issue seen - Provided information too large to process.".into(),
            ));
        }
        Err(e) => return Err(e),
    };
    if raw.is_empty() {
        return Err(ApiError::BadRequest("Secret update issue seen - No data supplied to process..".into()));
    }
    if secret.content_type.is_some() {
        return Err(already_has_data());
    }
    let transport_key_id = params.iter().rev().find(|(k, _)| k == "transport_key_id").map(|(_, v)| v.as_str());
    crate::controllers::transport_keys::secret_fields::check_put(&app, transport_key_id).await?;
    let bytes = match (kind, encoding.as_deref()) {
        // Barbican ignores the encoding of a text payload.
        (PayloadKind::Text, _) => {
            if std::str::from_utf8(&raw).is_err() {
                return Err(ApiError::BadRequest(
                    "Secret update issue seen - text/plain payloads must be UTF-8.".into(),
                ));
            }
            raw
        }
        (PayloadKind::Binary(_), None) => raw,
        (PayloadKind::Binary(_), Some("base64")) => {
            let text = std::str::from_utf8(&raw).map_err(|_| invalid_base64())?;
            decode_base64(text).filter(|b| !b.is_empty()).ok_or_else(invalid_base64)?
        }
        (PayloadKind::Binary(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "Secret update issue seen - Text-based binary secret payloads must specify a content-encoding of 'base64'.".into(),
            ));
        }
    };

    let project = secret.project_id.as_str();
    let kek = app.keks.project_kek(&app.db, project).await?;
    let ciphertext = app.keks.seal(&kek, project, secret.id, &bytes)?;
    let now = Timestamp::now();
    let mut tx = app.db.begin().await?;
    // A concurrent PUT or DELETE may have won since the checks above: claiming the row decides.
    if !secrets::claim_for_payload(&mut tx, secret.id, kind.stored_content_type(), now).await? {
        return Err(match super::load(&mut tx, &caller, &id, Action::SecretPut).await {
            Ok(_) => already_has_data(),
            Err(e) => e,
        });
    }
    if !secrets::insert_payload(&mut tx, secret.id, kek.id, &ciphertext, now).await? {
        return Err(already_has_data());
    }
    tx.commit().await?;
    tracing::info!(secret_id = %secret.id, "secret payload stored");
    Ok(StatusCode::NO_CONTENT)
}

fn already_has_data() -> ApiError {
    ApiError::Conflict("Secret already has data, cannot modify it.".into())
}

fn invalid_base64() -> ApiError {
    ApiError::BadRequest("Secret update issue seen - Invalid payload for payload_content_encoding.".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation_as_barbican() {
        let op = Operation::PayloadRetrieval;
        assert_eq!(negotiate(None, "text/plain", op).unwrap(), Want::Binary("application/octet-stream"));
        assert_eq!(negotiate(Some("*/*"), "text/plain", op).unwrap(), Want::Text);
        assert_eq!(negotiate(Some("*/*"), "application/pkcs8", op).unwrap(), Want::Binary("application/pkcs8"));
        assert_eq!(negotiate(Some("text/plain"), "application/octet-stream", op).unwrap(), Want::Text);
        assert_eq!(negotiate(Some("TEXT/PLAIN"), "text/plain", op).unwrap_err().status(), 400);
        assert_eq!(negotiate(Some("application/x-foo"), "text/plain", op).unwrap_err().status(), 406);
    }
}
