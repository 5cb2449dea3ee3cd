//! `POST /v1/secrets`: store a secret, with its payload (one step) or without (two steps, the
//! payload following by `PUT /v1/secrets/{id}`).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_store::Timestamp;
use portcullis_store::quotas::Resource;
use portcullis_store::secrets::{self, Secret};
use serde_json::json;
use uuid::Uuid;

use super::docs::{NewSecret, SecretRef};
use super::validate::{self, SCHEMA};
use crate::body::{JsonBody, SchemaName};
use crate::context::{Caller, Hrefs};
use crate::controllers::quotas;
use crate::error::ApiResult;
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

pub struct SecretSchema;
impl SchemaName for SecretSchema {
    const NAME: &'static str = SCHEMA;
}

/// Store a secret
///
/// With `payload` and `payload_content_type` the secret is stored in one step; without them,
/// its payload follows with `PUT /v1/secrets/{id}`. The checks, in Barbican's order: the policy,
/// the content type (415), the body's schema, `expiration`, the payload rules (400), the size
/// (413), then the project's quota (403).
#[utoipa::path(
    post,
    path = "/v1/secrets",
    tag = "secrets",
    operation_id = "secret_create",
    request_body(
        content = NewSecret,
        content_type = "application/json",
        examples(
            ("text" = (summary = "A text secret in one step", value = json!(
                {"name": "db-password", "payload": "s3cr3t", "payload_content_type": "text/plain"}))),
            ("binary" = (summary = "A 256-bit AES key in one step", value = json!({
                "name": "aes-key", "secret_type": "symmetric", "algorithm": "aes", "bit_length": 256,
                "mode": "cbc", "expiration": "2030-01-01T00:00:00Z",
                "payload": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                "payload_content_type": "application/octet-stream", "payload_content_encoding": "base64"}))),
            ("two-step" = (summary = "Metadata only; the payload follows by PUT", value = json!(
                {"name": "later", "secret_type": "passphrase"}))),
        ),
    ),
    responses(
        (status = 201, description = "Stored.", body = SecretRef,
            headers(("Location" = String, description = "The new secret's URL, as `secret_ref`."))),
        (status = 400, description = "The body breaks the `Secret` schema or the payload rules, or `expiration` has \
            passed; or it asks for a transport key, which no configured store has.", body = ErrorBody),
        (status = 403, description = "The caller's roles do not allow it, or the project's secrets quota is reached.",
            body = ErrorBody),
        (status = 413, description = "The payload is over `max_secret_bytes`, or the body over the request limit.",
            body = ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
    )
)]
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    body: JsonBody<SecretSchema>,
) -> ApiResult<Response> {
    caller.authorize(Action::SecretsPost, None)?;
    let body = body.read().await?;
    let now = Timestamp::now();
    let new = validate::new_secret(&body, app.config.max_secret_bytes, now)?;
    // No store takes transport keys: Barbican's answers to those fields.
    crate::controllers::transport_keys::secret_fields::check(&app, &body, new.payload.is_some()).await?;
    let id = Uuid::new_v4();
    let project = caller.project_id.as_str();

    // Seal before the transaction: KEK creation commits on its own (see KekHierarchy::project_kek)
    // and the write transaction then holds its lock only for two inserts.
    let sealed = match &new.payload {
        Some(p) => {
            let kek = app.keks.project_kek(&app.db, project).await?;
            Some((kek.id, app.keks.seal(&kek, project, id, &p.bytes)?, p.kind.stored_content_type()))
        }
        None => None,
    };
    let secret = Secret {
        id,
        project_id: caller.project_id.clone(),
        name: new.name,
        secret_type: new.secret_type,
        algorithm: new.algorithm,
        bit_length: new.bit_length,
        mode: new.mode,
        expiration: new.expiration,
        creator_id: caller.user_id.clone(),
        status: "ACTIVE".into(),
        content_type: sealed.as_ref().map(|(_, _, ct)| (*ct).to_owned()),
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db.begin().await?;
    quotas::enforce(&app, &mut tx, project, Resource::Secrets).await?;
    secrets::insert(&mut tx, &secret).await?;
    if let Some((kek_id, ciphertext, _)) = &sealed {
        secrets::insert_payload(&mut tx, id, *kek_id, ciphertext, now).await?;
    }
    tx.commit().await?;
    tracing::info!(secret_id = %id, "secret created");

    let secret_ref = hrefs.secret(&id);
    Ok((StatusCode::CREATED, [(header::LOCATION, secret_ref.clone())], Json(json!({"secret_ref": secret_ref})))
        .into_response())
}
