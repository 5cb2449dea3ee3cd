//! The `orders` queue: [`OrderTask`] and its handler, [`ProcessTypeOrder`] (Barbican's
//! `process_type_order`), which carries a PENDING `key` or `asymmetric` order to ACTIVE or ERROR.
//!
//! Failures follow Barbican's suppressed-exception semantics: a request that cannot be served
//! (unknown algorithm, bad bit length) puts the order in ERROR with `error_status_code` "400" and
//! `Process TypeOrder issue seen - <message>.`, and the job is Done; a transient failure (the
//! database) is retried with backoff, and when the attempts run out the exhausted hook puts the
//! order in ERROR.
//!
//! Idempotency: everything an order produces is written in one transaction that begins with the
//! guarded PENDING → ACTIVE move (`orders::mark_active`). A second delivery, or a job whose order
//! was deleted, finds the guard false and rolls back: nothing is created twice.
//!
//! # Layout
//! - this file: the job, the handler and its failure handling.
//! - `generate.rs`: reading order meta, generating keys and storing them.

mod generate;

use std::sync::Arc;

use apalis::prelude::BoxDynError;
use portcullis_plugins::{KeyGenError, KeyGenerator};
use portcullis_store::db::{Db, Tx};
use portcullis_store::{KekHierarchy, Timestamp, orders, secrets};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Handler, Job, JobContext, Outcome};

/// Processes one order. Ids only: the handler re-reads the order (and, for an asymmetric order,
/// its sealed passphrase) from the database.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderTask {
    pub order_id: Uuid,
    pub project_id: String,
}

impl Job for OrderTask {
    const QUEUE: &'static str = "orders";
}

/// The handler of the `orders` queue.
#[derive(Clone)]
pub struct ProcessTypeOrder {
    pub keks: Arc<KekHierarchy>,
    pub keygen: Arc<dyn KeyGenerator>,
}

/// Why one delivery did not finish the order.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The order cannot succeed: record ERROR with this code and reason.
    Permanent { code: u16, reason: String },
    /// Try again later (database unavailable, lock timeout...). Never carries secret material.
    Transient(String),
}

impl Failure {
    /// Barbican's wording for a refusal (`{Operation} issue seen - {message}.`).
    pub(crate) fn issue(code: u16, message: impl std::fmt::Display) -> Self {
        Failure::Permanent { code, reason: format!("Process TypeOrder issue seen - {message}.") }
    }

    /// Barbican's wording for an unexpected failure, which hides the cause from the client.
    pub(crate) fn internal() -> Self {
        Failure::Permanent { code: 500, reason: INTERNAL_REASON.into() }
    }
}

const INTERNAL_REASON: &str = "Process TypeOrder failure seen - please contact site administrator.";

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Transient(format!("database: {e}"))
    }
}

impl From<portcullis_store::VaultError> for Failure {
    // Vault errors name stores, KEK ids and database failures, never payloads. A wrong master
    // key is an operator problem that a restart fixes, so it is retried too.
    fn from(e: portcullis_store::VaultError) -> Self {
        Failure::Transient(format!("key hierarchy: {e}"))
    }
}

impl From<KeyGenError> for Failure {
    fn from(e: KeyGenError) -> Self {
        match e.status_code() {
            400 => Failure::issue(400, &e),
            _ => {
                tracing::error!(error = %e, "key generation failed");
                Failure::internal()
            }
        }
    }
}

impl Handler<OrderTask> for ProcessTypeOrder {
    async fn handle(&self, task: OrderTask, ctx: JobContext) -> Outcome {
        let order_id = task.order_id;
        match generate::process(self, &ctx.db, &task).await {
            Ok(()) => Outcome::Done,
            Err(Failure::Transient(error)) => Outcome::retry(error),
            Err(Failure::Permanent { code, reason }) => {
                tracing::info!(order_id = %order_id, code, %reason, "order failed");
                match fail_order(&ctx.db, &task, code, &reason).await {
                    Ok(()) => Outcome::Done,
                    Err(e) => Outcome::retry(format!("recording the order's failure: {e}")),
                }
            }
        }
    }

    async fn exhausted(&self, tx: &mut Tx, task: OrderTask, ctx: &JobContext, _error: &str) -> Result<(), BoxDynError> {
        // The last error stays in the job row for operators; the client gets a fixed reason.
        let reason = format!(
            "Process TypeOrder failure seen - the order could not be processed after {} attempts.",
            ctx.attempt
        );
        fail_order_in(tx, &task, 500, &reason).await?;
        Ok(())
    }
}

/// Records a permanent failure in its own transaction.
async fn fail_order(db: &Db, task: &OrderTask, code: u16, reason: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    fail_order_in(&mut tx, task, code, reason).await?;
    tx.commit().await
}

/// PENDING → ERROR, and the order's passphrase secret (created with the order, never linked to
/// anything now) is deleted with it. A no-op for an order that is no longer PENDING.
async fn fail_order_in(tx: &mut Tx, task: &OrderTask, code: u16, reason: &str) -> Result<(), sqlx::Error> {
    let now = Timestamp::now();
    let Some(order) = orders::find(tx, &task.project_id, task.order_id).await? else {
        return Ok(());
    };
    if orders::mark_error(tx, order.id, &code.to_string(), reason, now).await?
        && let Some(pid) = order.passphrase_secret_id
    {
        secrets::soft_delete(tx, &task.project_id, pid, now).await?;
    }
    Ok(())
}
