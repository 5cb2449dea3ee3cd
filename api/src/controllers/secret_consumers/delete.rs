//! `DELETE /v1/secrets/{id}/consumers`: removes the consumer named in the JSON body. Answers 200
//! with the whole secret; a consumer that is not registered (or already removed) is a 404.
//!
//! Barbican also refuses (403) a caller that owns neither the consumer nor the secret; here the
//! secret is only ever found in the caller's own project, so that case cannot arise.

use axum::Json;
use axum::extract::State;
use portcullis_store::{Timestamp, secret_consumers};

use super::validate::{self, ConsumerSchema};
use crate::body::JsonBody;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::SecretPath;
use crate::controllers::secrets::{self, view::SecretView};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    SecretPath(id): SecretPath<String>,
    JsonBody(body, _): JsonBody<ConsumerSchema>,
) -> ApiResult<Json<SecretView>> {
    let consumer = validate::consumer(body)?;
    let mut tx = app.db.begin().await?;
    let secret = secrets::load(&mut tx, &caller, &id).await?;
    if !secret_consumers::remove(&mut tx, secret.id, &consumer, Timestamp::now()).await? {
        return Err(ApiError::NotFound("Consumer not found.".into()));
    }
    let view = super::secret_body(&mut tx, &caller, &hrefs, secret.id).await?;
    tx.commit().await?;
    tracing::info!(secret_id = %secret.id, "secret consumer removed");
    Ok(Json(view))
}
