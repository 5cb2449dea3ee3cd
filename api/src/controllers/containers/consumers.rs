//! Container consumers: services registered as using a container.
//!
//! - `GET /v1/containers/{id}/consumers`: paged, ordered by name.
//! - `POST /v1/containers/{id}/consumers` (`{name, URL}`): idempotent; 200 with the container.
//! - `DELETE /v1/containers/{id}/consumers` (the same JSON body): 200 with the container.
//! - `GET /v1/containers/{id}/consumers/{consumer_id}`.
//!
//! The container is looked up first (404 whatever the body), then the content type, then the
//! body, as in Barbican. A read-ACL user of another project may list, get, register and remove
//! consumers (`container_consumers:*` include `container_acl_read`), but, as in Barbican, remove
//! only those its own project registered (403 otherwise).

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use portcullis_store::Timestamp;
use portcullis_store::containers::{self, ConsumerUpsert};
use portcullis_store::quotas::Resource;
use serde_json::{Map, Value};

use super::docs::{Consumer, ConsumerIn, ConsumerList, Container};
use super::validate::{self, CONSUMER};
use super::view::{ConsumerView, container_view};
use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, page_from};
use crate::controllers::parse_id;
use crate::controllers::path::IdPath;
use crate::controllers::quotas;
use crate::error::{ApiError, ApiResult};
use crate::openapi::PageParams;
use crate::policy::Action;
use crate::state::AppState;

fn consumer_not_found() -> ApiError {
    ApiError::NotFound("Consumer not found.".into())
}

/// List a container's consumers.
///
/// The services registered as using the container, by name, a page at a time.
#[utoipa::path(
    get,
    path = "/v1/containers/{id}/consumers",
    tag = "containers",
    operation_id = "container_consumers_list",
    params(("id" = String, Path, format = Uuid, description = "The container's id."), PageParams),
    responses(
        (status = 200, description = "A page of consumers, with links to the pages around it.", body = ConsumerList),
        (status = 404, description = "No container with this id that the caller may see (`Secrets container not \
            found.`, or `Not Found. Provided container id is invalid.` for an id that is not a lowercase UUID v4).",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<Map<String, Value>>> {
    let page = page_from(&params);
    let mut conn = app.db.acquire().await?;
    let container = super::load(&mut conn, &caller, &id, Action::ContainerConsumersGet).await?;
    let (rows, total) = containers::list_consumers(&mut conn, container.id, page).await?;
    let mut body = Map::new();
    let items: Vec<ConsumerView> = rows.iter().map(ConsumerView::new).collect();
    body.insert("consumers".into(), serde_json::to_value(items).map_err(anyhow::Error::from)?);
    add_nav(&mut body, "consumers", &hrefs, &format!("containers/{}/consumers", container.id), "", page, total);
    Ok(Json(body))
}

/// Show a container's consumer.
#[utoipa::path(
    get,
    path = "/v1/containers/{id}/consumers/{consumer_id}",
    tag = "containers",
    operation_id = "container_consumer_show",
    params(("id" = String, Path, format = Uuid, description = "The container's id."),
           ("consumer_id" = String, Path, format = Uuid, description = "The consumer's id.")),
    responses(
        (status = 200, description = "The consumer.", body = Consumer),
        (status = 404, description = "No container with this id that the caller may see (`Secrets container not \
            found.`, or `Not Found. Provided container id is invalid.` for an id that is not a lowercase UUID v4), \
            or the container has no such consumer (`Consumer not found.`, or `Not Found. Provided consumer id is \
            invalid.` for an id that is not a lowercase UUID v4).",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    IdPath((id, consumer_id)): IdPath<(String, String)>,
) -> ApiResult<Json<ConsumerView>> {
    let mut conn = app.db.acquire().await?;
    let container = super::load(&mut conn, &caller, &id, Action::ConsumerGet).await?;
    let consumer_id = parse_id(&consumer_id, "consumer")?;
    let consumer =
        containers::find_consumer(&mut conn, container.id, consumer_id).await?.ok_or_else(consumer_not_found)?;
    Ok(Json(ConsumerView::new(&consumer)))
}

/// Register a consumer of a container.
///
/// Idempotent: registering the same name and URL again changes nothing. Answers with the
/// container, as Barbican does.
#[utoipa::path(
    post,
    path = "/v1/containers/{id}/consumers",
    tag = "containers",
    operation_id = "container_consumer_add",
    params(("id" = String, Path, format = Uuid, description = "The container's id.")),
    request_body(
        content = ConsumerIn,
        content_type = "application/json",
        description = "The consumer. String values are stripped of surrounding whitespace before they are checked.",
    ),
    responses(
        (status = 200, description = "The consumer is registered; the body is the container.", body = Container,
            headers(("Location" = String,
                description = "`.../v1/consumers/{id}/consumers` (sic, as Barbican names it)."))),
        (status = 400, description = "The body breaks the `Consumer` schema.", body = crate::openapi::ErrorBody),
        (status = 403, description = "The caller's roles do not allow this, or the project's consumer quota is used \
            up.",
            body = crate::openapi::ErrorBody),
        (status = 404, description = "No container with this id that the caller may see (`Secrets container not \
            found.`, or `Not Found. Provided container id is invalid.` for an id that is not a lowercase UUID v4).",
            body = crate::openapi::ErrorBody),
        (status = 415, description = "The `Content-Type` is not `application/json`.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn add(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    req: Request,
) -> ApiResult<Response> {
    let (mut tx, container, consumer) = consumer_write(&app, &caller, &id, req, Action::ContainerConsumersPost).await?;
    quotas::enforce(&app, &mut tx, &caller.project_id, Resource::ContainerConsumers).await?;
    let outcome = containers::upsert_consumer(
        &mut tx,
        container.id,
        &caller.project_id,
        &consumer.name,
        &consumer.url,
        Timestamp::now(),
    )
    .await?;
    // Re-read: a new consumer has changed the container's `updated`.
    let container =
        containers::find(&mut tx, &container.project_id, container.id).await?.ok_or_else(super::container_not_found)?;
    let view = container_view(&mut tx, &hrefs, &container).await?;
    tx.commit().await?;
    if outcome != ConsumerUpsert::Unchanged {
        tracing::info!(container_id = %container.id, ?outcome, "container consumer registered");
    }
    // sic: Barbican's Location for a consumer names the /v1/consumers path.
    let location = hrefs.url(&format!("v1/consumers/{}/consumers", container.id));
    Ok(([(header::LOCATION, location)], Json(view)).into_response())
}

/// Remove a consumer of a container.
///
/// Answers with the container, as Barbican does. A read-ACL user of another project may remove
/// only the consumers its own project registered.
#[utoipa::path(
    delete,
    path = "/v1/containers/{id}/consumers",
    tag = "containers",
    operation_id = "container_consumer_remove",
    params(("id" = String, Path, format = Uuid, description = "The container's id.")),
    request_body(
        content = ConsumerIn,
        content_type = "application/json",
        description = "The consumer, as registered.",
    ),
    responses(
        (status = 200, description = "The consumer is removed; the body is the container.", body = Container),
        (status = 400, description = "The body breaks the `Consumer` schema.", body = crate::openapi::ErrorBody),
        (status = 403, description = "The caller's roles do not allow this, or the consumer was registered by \
            another project.",
            body = crate::openapi::ErrorBody),
        (status = 404, description = "No container with this id that the caller may see (`Secrets container not \
            found.`, or `Not Found. Provided container id is invalid.` for an id that is not a lowercase UUID v4), \
            or the container has no consumer with this name and URL (`Consumer not found.`).",
            body = crate::openapi::ErrorBody),
        (status = 415, description = "The `Content-Type` is not `application/json`.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn remove(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    req: Request,
) -> ApiResult<Response> {
    let (mut tx, container, consumer) =
        consumer_write(&app, &caller, &id, req, Action::ContainerConsumersDelete).await?;
    let found = containers::find_consumer_by_values(&mut tx, container.id, &consumer.name, &consumer.url)
        .await?
        .ok_or_else(consumer_not_found)?;
    // Barbican: a caller whose project owns neither the consumer nor the container (a read-ACL
    // user of another project) may not remove someone else's consumer.
    if found.project_id != caller.project_id && container.project_id != caller.project_id {
        return Err(ApiError::Forbidden("Not Allowed. Sorry, only the creator of a consumer can delete it.".into()));
    }
    if !containers::soft_delete_consumer(&mut tx, container.id, &consumer.name, &consumer.url, Timestamp::now()).await?
    {
        return Err(consumer_not_found());
    }
    let view = container_view(&mut tx, &hrefs, &container).await?;
    tx.commit().await?;
    tracing::info!(container_id = %container.id, "container consumer removed");
    Ok(Json(view).into_response())
}

/// The shared start of a consumer write, in Barbican's order: the container (404), then the
/// body; then a transaction holding the container's row lock, so concurrent writes serialise.
async fn consumer_write(
    app: &AppState,
    caller: &Caller,
    id: &str,
    req: Request,
    action: Action,
) -> ApiResult<(portcullis_store::Tx, containers::Container, validate::ConsumerIn)> {
    let container = super::load(&mut app.db.acquire().await?, caller, id, action).await?;
    let body = super::read_body(req, app.config.max_request_bytes, CONSUMER, true).await?;
    let consumer = validate::consumer(&body)?;
    let mut tx = app.db.begin().await?;
    let container = super::lock(&mut tx, &container.project_id, container.id).await?;
    Ok((tx, container, consumer))
}
