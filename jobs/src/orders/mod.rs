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
//! A certificate order is a chain: this job runs its first step, and the rest run as
//! [`CertificateStepTask`]s on the `certificate_steps` queue, handled by the same handler with
//! the same failure handling.
//!
//! # Layout
//! - this file: the jobs, the handler and its failure handling.
//! - `generate.rs`: reading order meta, generating keys and storing them.
//! - `certificate/`: the steps of a certificate order.

mod certificate;
mod generate;

pub use certificate::{CaApproval, CertificateAuthorities, CertificateStepTask, first_step, sub_status};

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
    /// The CAs certificate orders are sent to.
    pub cas: Arc<CertificateAuthorities>,
    /// Deliveries of each follow-up job before it counts as exhausted.
    pub max_attempts: u32,
}

/// Why one delivery did not finish the order.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The order cannot succeed: record ERROR with this code and reason (and, for certificate
    /// orders, the `sub_status` saying which side failed).
    Permanent { code: u16, reason: String, sub_status: Option<(&'static str, &'static str)> },
    /// Try again later (database unavailable, lock timeout...). Never carries secret material.
    Transient(String),
}

impl Failure {
    /// Barbican's wording for a refusal (`{Operation} issue seen - {message}.`).
    pub(crate) fn issue(code: u16, message: impl std::fmt::Display) -> Self {
        Failure::Permanent { code, reason: format!("Process TypeOrder issue seen - {message}."), sub_status: None }
    }

    /// Barbican's wording for an unexpected failure, which hides the cause from the client.
    pub(crate) fn internal() -> Self {
        Failure::Permanent { code: 500, reason: INTERNAL_REASON.into(), sub_status: None }
    }
}

const INTERNAL_REASON: &str = "Process TypeOrder failure seen - please contact site administrator.";

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        // A Postgres data exception (SQLSTATE class 22, such as a NUL in text) fails alike on
        // every delivery: the order is refused at once rather than retried until its attempts
        // run out. Everything else may pass on a later try.
        if let sqlx::Error::Database(db) = &e
            && db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some_and(|pg| pg.code().starts_with("22"))
        {
            return Failure::issue(400, "The order holds a value the database cannot store");
        }
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
        let result = generate::process(self, &ctx.db, &task).await;
        settle(&ctx.db, task.order_id, result).await
    }

    async fn exhausted(&self, tx: &mut Tx, task: OrderTask, ctx: &JobContext, _error: &str) -> Result<(), BoxDynError> {
        Ok(fail_order_in(tx, task.order_id, &exhausted_failure(ctx)).await?)
    }

    // The handler records its own permanent failures; an `Outcome::Failed` that never reached
    // it (an injected fault) must still leave the order in ERROR, not PENDING forever.
    async fn failed(&self, tx: &mut Tx, task: OrderTask, _ctx: &JobContext, _error: &str) -> Result<(), BoxDynError> {
        Ok(fail_order_in(tx, task.order_id, &Failure::internal()).await?)
    }
}

impl Handler<CertificateStepTask> for ProcessTypeOrder {
    async fn handle(&self, task: CertificateStepTask, ctx: JobContext) -> Outcome {
        let result = certificate::run_task(self, &ctx.db, &task).await;
        settle(&ctx.db, task.order_id, result).await
    }

    async fn exhausted(
        &self,
        tx: &mut Tx,
        task: CertificateStepTask,
        ctx: &JobContext,
        _error: &str,
    ) -> Result<(), BoxDynError> {
        Ok(fail_order_in(tx, task.order_id, &exhausted_failure(ctx)).await?)
    }

    async fn failed(
        &self,
        tx: &mut Tx,
        task: CertificateStepTask,
        _ctx: &JobContext,
        _error: &str,
    ) -> Result<(), BoxDynError> {
        Ok(fail_order_in(tx, task.order_id, &Failure::internal()).await?)
    }
}

/// What a delivery's result means for its job: done (the order may have been failed
/// permanently on the way) or retried.
async fn settle(db: &Db, order_id: Uuid, result: Result<(), Failure>) -> Outcome {
    match result {
        Ok(()) => Outcome::Done,
        Err(Failure::Transient(error)) => Outcome::retry(error),
        Err(failure) => {
            if let Failure::Permanent { code, reason, .. } = &failure {
                tracing::info!(order_id = %order_id, code, %reason, "order failed");
            }
            match fail_order(db, order_id, &failure).await {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::retry(format!("recording the order's failure: {e}")),
            }
        }
    }
}

/// The failure recorded when a job runs out of attempts. The last error stays in the job row for
/// operators; the client gets a fixed reason.
fn exhausted_failure(ctx: &JobContext) -> Failure {
    Failure::Permanent {
        code: 500,
        reason: format!(
            "Process TypeOrder failure seen - the order could not be processed after {} attempts.",
            ctx.attempt
        ),
        sub_status: None,
    }
}

/// Records a permanent failure in its own transaction.
async fn fail_order(db: &Db, order_id: Uuid, failure: &Failure) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    fail_order_in(&mut tx, order_id, failure).await?;
    tx.commit().await
}

/// PENDING → ERROR, and the order's passphrase secret (created with the order, never linked to
/// anything now) is deleted with it. A no-op for an order that is no longer PENDING.
pub(crate) async fn fail_order_in(tx: &mut Tx, order_id: Uuid, failure: &Failure) -> Result<(), sqlx::Error> {
    let Failure::Permanent { code, reason, sub_status } = failure else { return Ok(()) };
    let now = Timestamp::now();
    let Some(order) = orders::find_any_project(tx, order_id).await? else {
        return Ok(());
    };
    if let Some((sub, message)) = sub_status {
        orders::set_sub_status(tx, order.id, sub, message, now).await?;
    }
    if orders::mark_error(tx, order.id, &code.to_string(), reason, now).await?
        && let Some(pid) = order.passphrase_secret_id
    {
        secrets::soft_delete(tx, &order.project_id, pid, now).await?;
    }
    Ok(())
}
