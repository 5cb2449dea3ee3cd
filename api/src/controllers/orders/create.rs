//! `POST /v1/orders`: validate, store the order PENDING and enqueue its job in one transaction
//! (the job exists if and only if the order does), answer 202 with the order's ref.
//!
//! An asymmetric order's passphrase never reaches the order row or the job: it is stored here as a
//! sealed `passphrase` secret of the project, which the order row names and the worker opens and
//! then links into the rsa container as `private_key_passphrase`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_jobs::{EnqueueOptions, OrderTask};
use portcullis_store::certificate_requests;
use portcullis_store::orders::{self, Order};
use portcullis_store::quotas::Resource;
use portcullis_store::secrets::{self, Secret};
use portcullis_store::{Timestamp, Tx};
use serde_json::json;
use uuid::Uuid;

use super::certificate;
use super::docs::{OrderCreate, OrderRef};
use super::validate::{self, OrderSpec, Passphrase, SCHEMA};
use crate::body::{JsonBody, SchemaName};
use crate::context::{Caller, Hrefs};
use crate::controllers::quotas;
use crate::error::{ApiResult, error_body};
use crate::policy::Action;
use crate::state::{App, AppState};

pub struct OrderSchema;
impl SchemaName for OrderSchema {
    const NAME: &'static str = SCHEMA;
}

/// Create an order.
///
/// Validates the order, stores it PENDING together with its job, and answers at once: a worker
/// generates what it asks for in the background. Poll the `order_ref` until `status` is ACTIVE
/// (its `secret_ref` or `container_ref` names the result) or ERROR (`error_status_code` and
/// `error_reason` say why). An algorithm or bit length that cannot be generated is accepted
/// here and fails in the worker, as in Barbican.
#[utoipa::path(
    post,
    path = "/v1/orders",
    tag = "orders",
    operation_id = "order_create",
    request_body(
        content = OrderCreate,
        content_type = "application/json",
        description = "The order. String values are stripped of surrounding whitespace before they are checked.",
        example = json!({"type": "key", "meta": {
            "name": "db-key", "algorithm": "aes", "bit_length": 256, "mode": "cbc",
            "payload_content_type": "application/octet-stream"
        }}),
    ),
    responses(
        (status = 202, description = "The order is stored PENDING; a worker will carry it to ACTIVE or ERROR.",
            body = OrderRef,
            headers(("Location" = String, description = "The order's URL, as `order_ref`.")),
            example = json!({"order_ref": "http://localhost:9311/v1/orders/680ff290-ff31-46e0-97a9-7763837358fb"})),
        (status = 400, description = "The body breaks the `Order` schema (`Provided object does not match schema \
            'Order': ...`), or names what cannot be used: an expiration in the past, a `ca_id` that names no CA \
            (`Invalid CA_ID`), a `stored-key` container that is missing, not `rsa` or without a private key \
            (`Invalid container: ...`), a CSR that does not parse or verify, a subject DN that does not parse, a \
            `full-cmc` request, or a bit length that is not a multiple of 8 (`Provided field value is not \
            supported`).",
            body = crate::openapi::ErrorBody),
        (status = 403, description = "The caller's roles do not allow creating orders, or the project's order quota \
            is used up.",
            body = crate::openapi::ErrorBody),
        (status = 415, description = "The `Content-Type` is not `application/json`.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    body: JsonBody<OrderSchema>,
) -> ApiResult<Response> {
    caller.authorize(Action::OrdersPost, None)?;
    let body = body.read().await?;
    let now = Timestamp::now();
    let new = validate::new_order(&body, app.config.max_secret_bytes, now)?;
    let (expiration, passphrase, certificate) = match &new.spec {
        OrderSpec::Key(k) => (k.expiration, None, None),
        OrderSpec::Asymmetric(a) => (a.expiration, a.passphrase.clone(), None),
        OrderSpec::Certificate(meta) => (None, None, Some(meta)),
    };
    let mut meta = new.meta.clone();
    meta.shift_remove("passphrase");
    let id = Uuid::new_v4();
    let mut order = Order {
        id,
        project_id: caller.project_id.clone(),
        kind: new.kind().as_str().into(),
        status: orders::PENDING.into(),
        meta: serde_json::Value::Object(meta).to_string(),
        sub_status: None,
        sub_status_message: None,
        secret_id: None,
        container_id: None,
        passphrase_secret_id: None,
        error_status_code: None,
        error_reason: None,
        creator_id: caller.user_id.clone(),
        created_at: now,
        updated_at: now,
    };

    let tx = match passphrase {
        // Barbican accepts a truthy non-string passphrase and its worker fails the order; the
        // outcome is known now, so the order is stored failed and no job is queued.
        Some(Passphrase::NotText) => {
            order.status = orders::ERROR.into();
            order.error_status_code = Some("400".into());
            order.error_reason = Some("Process TypeOrder issue seen - The passphrase must be a string..".into());
            let mut tx = app.db.begin().await?;
            quotas::enforce(&app, &mut tx, &caller.project_id, Resource::Orders).await?;
            orders::insert(&mut tx, &order).await?;
            tx
        }
        Some(Passphrase::Text(p)) => {
            let secret = passphrase_secret(&caller, expiration, now);
            // Sealed before the transaction: KEK creation commits on its own.
            let kek = app.keks.project_kek(&app.db, &caller.project_id).await?;
            let sealed = app.keks.seal(&kek, &caller.project_id, secret.id, p.as_bytes())?;
            order.passphrase_secret_id = Some(secret.id);
            let mut tx = app.db.begin().await?;
            quotas::enforce(&app, &mut tx, &caller.project_id, Resource::Orders).await?;
            secrets::insert(&mut tx, &secret).await?;
            secrets::insert_payload(&mut tx, secret.id, kek.id, &sealed, now).await?;
            insert_pending(&app, &mut tx, &order).await?;
            tx
        }
        None => {
            let mut tx = app.db.begin().await?;
            quotas::enforce(&app, &mut tx, &caller.project_id, Resource::Orders).await?;
            if let Some(meta) = certificate {
                let request = certificate::request_row(&mut tx, &caller, &order, meta).await?;
                insert_pending(&app, &mut tx, &order).await?;
                certificate_requests::insert(&mut tx, &request).await?;
            } else {
                insert_pending(&app, &mut tx, &order).await?;
            }
            tx
        }
    };
    tx.commit().await?;
    portcullis_observability::metrics::metrics().order_created(new.kind().as_str());
    tracing::info!(order_id = %id, order_type = %order.kind, "order created");

    let order_ref = hrefs.order(&id);
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, order_ref.clone())], Json(json!({"order_ref": order_ref})))
        .into_response())
}

/// Inserts a PENDING order and its job.
async fn insert_pending(app: &App, tx: &mut Tx, order: &Order) -> ApiResult<()> {
    orders::insert(tx, order).await?;
    let task = OrderTask { order_id: order.id, project_id: order.project_id.clone() };
    // Keyed by the order: however often this runs, the order has one job.
    let opts =
        EnqueueOptions::default().max_attempts(app.config.job_max_attempts).idempotency_key(order.id.to_string());
    portcullis_jobs::enqueue(tx, &task, opts).await?;
    Ok(())
}

/// The secret an asymmetric order's passphrase is kept in.
fn passphrase_secret(caller: &Caller, expiration: Option<Timestamp>, now: Timestamp) -> Secret {
    Secret {
        id: Uuid::new_v4(),
        project_id: caller.project_id.clone(),
        name: None,
        secret_type: "passphrase".into(),
        algorithm: None,
        bit_length: None,
        mode: None,
        expiration,
        creator_id: caller.user_id.clone(),
        status: "ACTIVE".into(),
        content_type: Some("text/plain".into()),
        created_at: now,
        updated_at: now,
    }
}

/// Update orders: not supported.
///
/// Barbican answers `PUT /v1/orders` with 405 once the caller's roles allow `orders:put`: orders
/// cannot be changed once made. The body is not read.
#[utoipa::path(
    put,
    path = "/v1/orders",
    tag = "orders",
    operation_id = "orders_update_not_supported",
    responses(
        (status = 405, description = "Always: `Order update is not supported.`",
            body = crate::openapi::ErrorBody,
            headers(("Allow" = String, description = "`GET, POST`: the methods the collection supports.")),
            example = json!({
                "code": 405, "title": "Method Not Allowed", "description": "Order update is not supported."
            })),
        (status = 403, description = "The caller's roles do not allow `orders:put`.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn update_not_supported(caller: Caller) -> Response {
    if let Err(e) = caller.authorize(Action::OrdersPut, None) {
        return e.into_response();
    }
    let mut resp = error_body(StatusCode::METHOD_NOT_ALLOWED, "Order update is not supported.".into());
    resp.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
    resp
}
