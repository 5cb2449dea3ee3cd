//! `POST /v1/secrets/{id}/metadata`: adds one key. 201 with `Location` naming the key; an
//! existing key is a 409.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_store::{Timestamp, secret_metadata};

use super::validate::{self, MetadatumSchema};
use crate::body::JsonBody;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::SecretPath;
use crate::controllers::secrets;
use crate::error::{ApiError, ApiResult};
use crate::policy::Action;
use crate::state::AppState;

#[utoipa::path(post, path = "/v1/secrets/{id}/metadata", tag = "secret-metadata")]
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    SecretPath(id): SecretPath<String>,
    body: JsonBody<MetadatumSchema>,
) -> ApiResult<Response> {
    // Barbican's order: the secret and the policy (404/403), then the body.
    secrets::load(&mut app.db.acquire().await?, &caller, &id, Action::SecretMetaPost).await?;
    let (key, value) = validate::metadatum(body.read().await?)?;
    let mut tx = app.db.begin().await?;
    let secret = secrets::load(&mut tx, &caller, &id, Action::SecretMetaPost).await?;
    if !secret_metadata::insert(&mut tx, secret.id, &key, &value, Timestamp::now()).await? {
        return Err(ApiError::Conflict("Conflict. Key in request is already in the secret metadata".into()));
    }
    tx.commit().await?;
    tracing::info!(secret_id = %secret.id, "secret metadatum added");
    let location = format!("{}/{key}", super::metadata_ref(&hrefs, &secret.id));
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], super::pair(&key, &value)).into_response())
}
