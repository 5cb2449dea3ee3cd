//! Certificate orders: a chain of steps, each its own job, sharing a `certificate_requests` row.
//!
//! `key` (generate the key pair into an rsa container; `custom` requests) → `csr` (build and sign
//! the PKCS#10 request with that key; `custom` and `stored-key`) → `submit` (hand it to the CA;
//! where `simple-cmc` requests start) → `wait` (the CA holds it until an admin approves or rejects
//! it; a `check` job asks again every `check_interval`, Barbican's check-certificate-status
//! retry) → `store` (keep the certificate and its chain, create the `certificate` container, and
//! mark the order ACTIVE).
//!
//! `process_type_order` runs the order's first step; each step enqueues the next as a
//! [`CertificateStepTask`] keyed `<order id>:<step>`, in the transaction that records the step's
//! work and moves the row's `step` on (guarded on the step it expects). So a step delivered twice
//! changes nothing the second time, and deleting the order cancels whatever is queued (the
//! `<order id>` key prefix). `sub_status` tells the client where the order is.
//!
//! # Layout
//! - this file: [`CertificateStepTask`], [`CertificateAuthorities`], the sub-statuses, and
//!   [`run_step`], which picks the step to run.
//! - `steps.rs`: the steps.

mod steps;

use std::collections::HashMap;
use std::time::Duration;

use portcullis_store::certificate_authorities::LoadedCa;
use portcullis_store::certificate_requests::{self as requests, step};
use portcullis_store::db::Db;
use portcullis_store::orders::{self, Order};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Failure, ProcessTypeOrder};
use crate::Job;

/// One follow-up step of a certificate order. Ids only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertificateStepTask {
    pub order_id: Uuid,
    pub project_id: String,
    /// The step this job runs (`csr`, `submit`, `check`, `decided` or `store`).
    pub step: String,
    /// For `check`: which check this is (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<i32>,
}

impl Job for CertificateStepTask {
    const QUEUE: &'static str = "certificate_steps";
}

impl CertificateStepTask {
    pub fn new(order: &Order, step: &str) -> Self {
        Self { order_id: order.id, project_id: order.project_id.clone(), step: step.into(), check: None }
    }

    /// The job's idempotency key: `<order id>:<step>[:<check>]`, under the order's prefix.
    pub fn key(&self) -> String {
        match self.check {
            Some(n) => format!("{}:{}:{n}", self.order_id, self.step),
            None => format!("{}:{}", self.order_id, self.step),
        }
    }
}

/// Whether the CA signs at once or holds requests for an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaApproval {
    Auto,
    Manual,
}

/// The CAs this process can sign with, and how requests are approved.
#[derive(Debug, Clone)]
pub struct CertificateAuthorities {
    pub cas: HashMap<Uuid, LoadedCa>,
    pub approval: CaApproval,
    /// How often a held request is checked again.
    pub check_interval: Duration,
    /// How long a request may stay held before the order fails.
    pub hold_timeout: Duration,
}

impl CertificateAuthorities {
    pub fn new(cas: impl IntoIterator<Item = LoadedCa>, approval: CaApproval) -> Self {
        Self {
            cas: cas.into_iter().map(|ca| (ca.row.id, ca)).collect(),
            approval,
            check_interval: Duration::from_secs(10),
            hold_timeout: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// `sub_status` / `sub_status_message` of a certificate order, Barbican's where it had them.
pub mod sub_status {
    pub const KEY_READY: (&str, &str) = ("cert_key_ready", "Key pair ready; building the certificate request");
    pub const REQUEST_BUILT: (&str, &str) =
        ("cert_request_built", "Certificate request built; submitting it to the CA");
    pub const REQUEST_PENDING: (&str, &str) =
        ("cert_request_pending", "Request has been submitted to the CA.  Waiting for certificate to be generated");
    pub const GENERATED: (&str, &str) = ("cert_generated", "Certificate has been generated");
    pub const DATA_INVALID: (&str, &str) = ("cert_data_invalid", "CA rejected request data as invalid");
}

/// Runs one follow-up job: the order must still be PENDING.
pub(super) async fn run_task(h: &ProcessTypeOrder, db: &Db, task: &CertificateStepTask) -> Result<(), Failure> {
    let order = orders::find(&mut db.acquire().await?, &task.project_id, task.order_id).await?;
    match order.filter(|o| o.status == orders::PENDING) {
        Some(order) => run_step(h, db, &order, Some(task)).await,
        None => {
            tracing::info!(order_id = %task.order_id, step = %task.step, "order no longer pending; nothing to do");
            Ok(())
        }
    }
}

/// Runs the step the order's request is at. `task` is the follow-up job being run; `None` is the
/// order's own `process_type_order` job, which runs the request type's first step only. A job
/// for a step the request has left is a repeated delivery: nothing to do.
pub(super) async fn run_step(
    h: &ProcessTypeOrder,
    db: &Db,
    order: &Order,
    task: Option<&CertificateStepTask>,
) -> Result<(), Failure> {
    let request = requests::find(&mut db.acquire().await?, order.id).await?.ok_or_else(Failure::internal)?;
    let expected = match task {
        None => first_step(&request.request_type),
        Some(t) if t.step == "check" || t.step == "decided" => step::WAIT,
        Some(t) => t.step.as_str(),
    };
    if expected != request.step {
        tracing::info!(order_id = %order.id, step = %request.step, expected, "certificate step already done");
        return Ok(());
    }
    match request.step.as_str() {
        step::KEY => steps::key(h, db, order, &request).await,
        step::CSR => steps::csr(h, db, order, &request).await,
        step::SUBMIT => steps::submit(h, db, order, &request).await,
        step::WAIT => steps::wait(h, db, order, &request, task.and_then(|t| t.check)).await,
        step::STORE => steps::store(h, db, order, &request).await,
        _ => Ok(()),
    }
}

/// Where a request of this type starts: a `custom` request needs a key pair, a `stored-key`
/// request has one, a `simple-cmc` request has its CSR.
pub fn first_step(request_type: &str) -> &'static str {
    match request_type {
        "simple-cmc" => step::SUBMIT,
        "stored-key" => step::CSR,
        _ => step::KEY,
    }
}
