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

use super::validate::{self, SCHEMA};
use crate::body::{JsonBody, SchemaName};
use crate::context::{Caller, Hrefs};
use crate::controllers::quotas;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

pub struct SecretSchema;
impl SchemaName for SecretSchema {
    const NAME: &'static str = SCHEMA;
}

#[utoipa::path(post, path = "/v1/secrets", tag = "secrets")]
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
