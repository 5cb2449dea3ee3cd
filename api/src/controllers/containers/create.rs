//! `POST /v1/containers`: a container of the caller's secrets. Every referenced secret must be a
//! live secret of the caller's project; the container and its links are written together.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_store::Timestamp;
use portcullis_store::containers::{self, Container};
use portcullis_store::quotas::Resource;
use serde_json::json;
use uuid::Uuid;

use super::docs::{ContainerCreate, ContainerRef};
use super::validate::{self, CONTAINER};
use crate::body::{JsonBody, SchemaName};
use crate::context::{Caller, Hrefs};
use crate::controllers::quotas;
use crate::error::{ApiError, ApiResult};
use crate::policy::Action;
use crate::state::AppState;

pub struct ContainerSchema;
impl SchemaName for ContainerSchema {
    const NAME: &'static str = CONTAINER;
}

/// Create a container.
///
/// A container of the caller's project, holding references to its live secrets. The body is
/// checked first (400), then each secret (404).
#[utoipa::path(
    post,
    path = "/v1/containers",
    tag = "containers",
    operation_id = "container_create",
    request_body(
        content = ContainerCreate,
        content_type = "application/json",
        description = "The container. String values are stripped of surrounding whitespace before they are checked.",
        example = json!({"name": "signing", "type": "rsa", "secret_refs": [
            {"name": "private_key",
             "secret_ref": "http://localhost:9311/v1/secrets/1b0a5d7e-2f1c-4c55-9d0e-7a0e7f6d2c11"},
            {"name": "public_key",
             "secret_ref": "http://localhost:9311/v1/secrets/3f5b93ec-86f5-479a-bf4e-6f59b4039ff9"}
        ]}),
    ),
    responses(
        (status = 201, description = "The container is stored.", body = ContainerRef,
            headers(("Location" = String, description = "The container's URL, as `container_ref`.")),
            example = json!({
                "container_ref": "http://localhost:9311/v1/containers/23a967a6-ef7e-4122-80bc-9641f52110ba"
            })),
        (status = 400, description = "The body breaks the `Container` schema (`Provided object does not match schema \
            'Container': ...`), including duplicate reference names or secrets and the names an `rsa` or \
            `certificate` container may use.",
            body = crate::openapi::ErrorBody),
        (status = 403, description = "The caller's roles do not allow creating containers, or the project's \
            container quota is used up.",
            body = crate::openapi::ErrorBody),
        (status = 404, description = "A `secret_ref` names no live secret of the caller's project (`Secret provided \
            for '<name>' doesn't exist.`).",
            body = crate::openapi::ErrorBody),
        (status = 415, description = "The `Content-Type` is not `application/json`.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    body: JsonBody<ContainerSchema>,
) -> ApiResult<Response> {
    caller.authorize(Action::ContainersPost, None)?;
    let body = body.read().await?;
    // JsonBody has stripped every string, as Barbican's load_body does.
    let new = validate::new_container(&body)?;
    let now = Timestamp::now();
    let mut tx = app.db.begin().await?;
    quotas::enforce(&app, &mut tx, &caller.project_id, Resource::Containers).await?;
    let mut links = Vec::with_capacity(new.refs.len());
    for r in &new.refs {
        // Any host is accepted (clients reach us by several names); the path must name a secret.
        let found = super::referenced_secret(&mut tx, &caller, &r.secret_ref, now).await?.map(|s| s.id);
        let Some(secret_id) = found else {
            // Barbican formats the name with Python's str(): a missing name prints as None.
            let name = r.name.as_deref().unwrap_or("None");
            return Err(ApiError::NotFound(format!("Secret provided for '{name}' doesn't exist.")));
        };
        links.push((secret_id, r.name.clone()));
    }
    let container = Container {
        id: Uuid::new_v4(),
        project_id: caller.project_id.clone(),
        name: new.name,
        kind: new.kind,
        status: "ACTIVE".into(),
        creator_id: caller.user_id.clone(),
        created_at: now,
        updated_at: now,
    };
    containers::insert(&mut tx, &container, &links).await?;
    tx.commit().await?;
    tracing::info!(container_id = %container.id, "container created");

    let container_ref = hrefs.container(&container.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, container_ref.clone())],
        Json(json!({"container_ref": container_ref})),
    )
        .into_response())
}
