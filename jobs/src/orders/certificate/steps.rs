//! The steps of a certificate order. Each reads what it needs (keys through the KEK hierarchy),
//! does its work outside any transaction (key generation and signing run on the blocking pool),
//! then in one transaction: checks the order is still PENDING, moves the request's `step` on
//! (guarded), writes its results and enqueues the next step. If a guard is false, another
//! delivery did the step, or the order was deleted: everything rolls back.

use portcullis_plugins::{Csr, IssuedCertificate, build_csr, parse_csr};
use portcullis_store::Timestamp;
use portcullis_store::certificate_requests::{self as requests, CertificateRequest, StepResult, ca_status, step};
use portcullis_store::containers::{self, Container};
use portcullis_store::db::{Db, Tx};
use portcullis_store::orders::{self, Order};
use portcullis_store::secrets::{self, Secret};
use serde_json::{Map, Value};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::super::generate::{KeySpec, generate_pair, insert_rsa_container};
use super::super::{Failure, ProcessTypeOrder};
use super::{CaApproval, CertificateStepTask, sub_status};
use crate::{EnqueueOptions, enqueue};

/// `custom`: generates the key pair (`key_type`, `bit_length` of the meta) into an rsa container.
pub(super) async fn key(h: &ProcessTypeOrder, db: &Db, order: &Order, req: &CertificateRequest) -> Result<(), Failure> {
    let meta: Map<String, Value> = serde_json::from_str(&order.meta).map_err(|_| Failure::internal())?;
    let (algorithm, bit_length) = requests::custom_key(&meta);
    let spec = KeySpec {
        name: meta.get("name").and_then(Value::as_str).map(str::to_owned),
        bit_length,
        algorithm,
        mode: None,
        content_type: "application/octet-stream",
        expiration: None,
    };
    let pair = generate_pair(h, db, &order.project_id, &spec, None).await?;
    let now = Timestamp::now();
    let container_id = Uuid::new_v4();
    let result = StepResult { key_container_id: Some(container_id), ..StepResult::default() };
    let Some(mut tx) = begin_step(db, order, req, step::CSR, &result, sub_status::KEY_READY, now).await? else {
        return Ok(());
    };
    insert_rsa_container(&mut tx, order, &spec, &pair, None, container_id, now).await?;
    next(&mut tx, h, CertificateStepTask::new(order, step::CSR), None).await?;
    commit(tx).await
}

/// `custom` and `stored-key`: builds the PKCS#10 request for `subject_dn`, signed with the key
/// container's private key.
pub(super) async fn csr(h: &ProcessTypeOrder, db: &Db, order: &Order, req: &CertificateRequest) -> Result<(), Failure> {
    let container_id = req.key_container_id.ok_or_else(Failure::internal)?;
    let subject_dn = req.subject_dn.clone().ok_or_else(Failure::internal)?;
    let keys = KeyLinks::of(db, &order.project_id, container_id).await?;
    let private_id = keys.private_key.ok_or_else(|| Failure::issue(400, "The key container has no private_key"))?;
    let private_pem = open_text(h, db, &order.project_id, private_id).await?;
    let passphrase = match keys.passphrase {
        Some(id) => Some(open_text(h, db, &order.project_id, id).await?),
        None => None,
    };
    // The plugin call's span, entered on the blocking thread (spans do not follow it there).
    let span = tracing::info_span!("ca.build_csr");
    let csr: Csr = tokio::task::spawn_blocking(move || {
        span.in_scope(|| build_csr(&private_pem, passphrase.as_ref().map(|p| p.as_str()), &subject_dn))
    })
    .await
    .map_err(|_| Failure::Transient("building the CSR: task failed".into()))?
    .map_err(ca_failure)?;

    let now = Timestamp::now();
    let result = StepResult { csr: Some(csr.pem()), ..StepResult::default() };
    let Some(mut tx) = begin_step(db, order, req, step::SUBMIT, &result, sub_status::REQUEST_BUILT, now).await? else {
        return Ok(());
    };
    next(&mut tx, h, CertificateStepTask::new(order, step::SUBMIT), None).await?;
    commit(tx).await
}

/// Hands the request to its CA: signed at once (`auto`), or held for an admin (`manual`).
pub(super) async fn submit(
    h: &ProcessTypeOrder,
    db: &Db,
    order: &Order,
    req: &CertificateRequest,
) -> Result<(), Failure> {
    let now = Timestamp::now();
    if h.cas.approval == CaApproval::Manual {
        let result = StepResult { ca_status: Some(ca_status::HELD), ..StepResult::default() };
        let Some(mut tx) = begin_step(db, order, req, step::WAIT, &result, sub_status::REQUEST_PENDING, now).await?
        else {
            return Ok(());
        };
        let check = CertificateStepTask { check: Some(1), ..CertificateStepTask::new(order, "check") };
        next(&mut tx, h, check, Some(h.cas.check_interval)).await?;
        return commit(tx).await;
    }
    issue(h, db, order, req).await
}

/// A held request: the CA's answer, asked again every `check_interval` (`check` jobs) and at
/// once when an admin decides (the `decided` job).
pub(super) async fn wait(
    h: &ProcessTypeOrder,
    db: &Db,
    order: &Order,
    req: &CertificateRequest,
    check: Option<i32>,
) -> Result<(), Failure> {
    match req.ca_status.as_deref() {
        Some(ca_status::APPROVED) => issue(h, db, order, req).await,
        Some(ca_status::REJECTED) => {
            let why = req.ca_reason.as_deref().filter(|r| !r.is_empty()).unwrap_or("no reason given");
            Err(Failure::Permanent {
                code: 400,
                reason: format!("Process TypeOrder issue seen - Certificate request rejected by the CA: {why}."),
                sub_status: Some(sub_status::DATA_INVALID),
            })
        }
        // Still held: a `check` job schedules the next check (the `decided` job of a request
        // still held cannot exist, and a duplicate check finds its guard false).
        _ => {
            let Some(n) = check else { return Ok(()) };
            let held = Timestamp::now().0 - req.created_at.0;
            if held.to_std().unwrap_or_default() > h.cas.hold_timeout {
                return Err(Failure::Permanent {
                    code: 500,
                    reason: format!(
                        "Process TypeOrder failure seen - the CA held the request for more than {} seconds.",
                        h.cas.hold_timeout.as_secs()
                    ),
                    sub_status: None,
                });
            }
            let mut tx = db.begin().await?;
            if !requests::count_check(&mut tx, order.id, n, Timestamp::now()).await? {
                return Ok(());
            }
            let again = CertificateStepTask { check: Some(n + 1), ..CertificateStepTask::new(order, "check") };
            next(&mut tx, h, again, Some(h.cas.check_interval)).await?;
            commit(tx).await
        }
    }
}

/// Signs the request (from `submit` or `wait`) and records the certificate for `store`.
async fn issue(h: &ProcessTypeOrder, db: &Db, order: &Order, req: &CertificateRequest) -> Result<(), Failure> {
    let ca = h.cas.cas.get(&req.ca_id).cloned().ok_or_else(|| {
        tracing::error!(order_id = %order.id, ca_id = %req.ca_id, "the order's CA is not loaded in this process");
        Failure::internal()
    })?;
    let csr_pem = req.csr.clone().ok_or_else(Failure::internal)?;
    let profile = req.profile.clone();
    let span = tracing::info_span!("ca.issue", ca_id = %req.ca_id, profile = profile.as_deref());
    let issued: IssuedCertificate = tokio::task::spawn_blocking(move || {
        span.in_scope(|| {
            let csr = parse_csr(csr_pem.as_bytes())?;
            ca.plugin.issue(&csr, profile.as_deref())
        })
    })
    .await
    .map_err(|_| Failure::Transient("signing: task failed".into()))?
    .map_err(ca_failure)?;

    let now = Timestamp::now();
    let result = StepResult {
        ca_status: Some(ca_status::ISSUED),
        certificate: Some(issued.certificate_pem),
        intermediates: Some(issued.intermediates_pem),
        ..StepResult::default()
    };
    let Some(mut tx) = begin_step(db, order, req, step::STORE, &result, sub_status::GENERATED, now).await? else {
        return Ok(());
    };
    tracing::info!(order_id = %order.id, serial = %issued.serial_hex, "certificate issued");
    next(&mut tx, h, CertificateStepTask::new(order, step::STORE), None).await?;
    commit(tx).await
}

/// Stores the certificate and its chain as secrets, makes the `certificate` container (with the
/// key pair's private key and passphrase, if the order has them) and marks the order ACTIVE.
pub(super) async fn store(
    h: &ProcessTypeOrder,
    db: &Db,
    order: &Order,
    req: &CertificateRequest,
) -> Result<(), Failure> {
    let project = order.project_id.as_str();
    let certificate = req.certificate.as_deref().ok_or_else(Failure::internal)?;
    let intermediates = req.intermediates.as_deref().unwrap_or_default();
    let keys = match req.key_container_id {
        Some(id) => KeyLinks::of(db, project, id).await?,
        None => KeyLinks::default(),
    };
    let kek = h.keks.project_kek(db, project).await?;
    let (cert_id, chain_id) = (Uuid::new_v4(), Uuid::new_v4());
    let sealed_cert = h.keks.seal(&kek, project, cert_id, certificate.as_bytes())?;
    let sealed_chain = h.keks.seal(&kek, project, chain_id, intermediates.as_bytes())?;

    let now = Timestamp::now();
    let container_id = Uuid::new_v4();
    let mut tx = db.begin().await?;
    if !orders::mark_active(&mut tx, order.id, None, Some(container_id), Some(sub_status::GENERATED), now).await?
        || !requests::advance(&mut tx, order.id, step::STORE, step::DONE, &StepResult::default(), now).await?
    {
        return Ok(()); // another delivery finished it, or it was deleted: roll back
    }
    let name = serde_json::from_str::<Map<String, Value>>(&order.meta)
        .ok()
        .and_then(|m| m.get("name").and_then(Value::as_str).map(str::to_owned));
    for (id, sealed) in [(cert_id, &sealed_cert), (chain_id, &sealed_chain)] {
        secrets::insert(&mut tx, &certificate_secret(order, id, name.clone(), now)).await?;
        secrets::insert_payload(&mut tx, id, kek.id, sealed, now).await?;
    }
    let mut links = vec![(cert_id, Some("certificate".to_owned())), (chain_id, Some("intermediates".to_owned()))];
    if let Some(id) = keys.private_key {
        links.push((id, Some("private_key".to_owned())));
    }
    if let Some(id) = keys.passphrase {
        links.push((id, Some("private_key_passphrase".to_owned())));
    }
    let container = Container {
        id: container_id,
        project_id: order.project_id.clone(),
        name,
        kind: "certificate".into(),
        status: "ACTIVE".into(),
        creator_id: order.creator_id.clone(),
        created_at: now,
        updated_at: now,
    };
    containers::insert(&mut tx, &container, &links).await?;
    commit(tx).await?;
    tracing::info!(order_id = %order.id, %container_id, "certificate order active");
    Ok(())
}

fn certificate_secret(order: &Order, id: Uuid, name: Option<String>, now: Timestamp) -> Secret {
    Secret {
        id,
        project_id: order.project_id.clone(),
        name,
        secret_type: "certificate".into(),
        algorithm: None,
        bit_length: None,
        mode: None,
        expiration: None,
        creator_id: order.creator_id.clone(),
        status: "ACTIVE".into(),
        content_type: Some("application/octet-stream".into()),
        created_at: now,
        updated_at: now,
    }
}

/// Opens a transaction for a step's results: records `sub_status` (the order must still be
/// PENDING), then moves the request from its step to `to`. `None`: a guard failed, nothing to do.
async fn begin_step(
    db: &Db,
    order: &Order,
    req: &CertificateRequest,
    to: &str,
    result: &StepResult,
    (sub, message): (&str, &str),
    now: Timestamp,
) -> Result<Option<Tx>, Failure> {
    let mut tx = db.begin().await?;
    if !orders::set_sub_status(&mut tx, order.id, sub, message, now).await?
        || !requests::advance(&mut tx, order.id, &req.step, to, result, now).await?
    {
        tracing::info!(order_id = %order.id, step = %req.step, "certificate step done elsewhere; rolled back");
        return Ok(None);
    }
    Ok(Some(tx))
}

/// Enqueues the next step in the step's transaction (keyed, so at most once per step).
async fn next(
    tx: &mut Tx,
    h: &ProcessTypeOrder,
    task: CertificateStepTask,
    delay: Option<std::time::Duration>,
) -> Result<(), Failure> {
    let mut opts = EnqueueOptions::default().idempotency_key(task.key()).max_attempts(h.max_attempts);
    if let Some(d) = delay {
        opts = opts.run_after(d);
    }
    enqueue(tx, &task, opts).await.map_err(|e| Failure::Transient(format!("enqueueing the next step: {e}")))?;
    Ok(())
}

async fn commit(tx: Tx) -> Result<(), Failure> {
    Ok(tx.commit().await?)
}

/// A CA or CSR refusal is the client's problem (400, `cert_data_invalid`); anything else hides
/// its cause.
fn ca_failure(e: portcullis_plugins::CaError) -> Failure {
    match e.status_code() {
        400 => Failure::Permanent {
            code: 400,
            reason: format!("Process TypeOrder issue seen - {e}."),
            sub_status: Some(sub_status::DATA_INVALID),
        },
        _ => {
            tracing::error!(error = %e, "certificate authority failed");
            Failure::internal()
        }
    }
}

/// The key pair's secrets in an rsa container.
#[derive(Debug, Default)]
struct KeyLinks {
    private_key: Option<Uuid>,
    passphrase: Option<Uuid>,
}

impl KeyLinks {
    async fn of(db: &Db, project: &str, container_id: Uuid) -> Result<Self, Failure> {
        let mut c = db.acquire().await?;
        if containers::find(&mut c, project, container_id).await?.is_none() {
            return Err(Failure::issue(400, "The order's key container no longer exists"));
        }
        let mut links = KeyLinks::default();
        for link in containers::secret_links(&mut c, &[container_id]).await? {
            match link.name.as_deref() {
                Some("private_key") => links.private_key = Some(link.secret_id),
                Some("private_key_passphrase") => links.passphrase = Some(link.secret_id),
                _ => {}
            }
        }
        Ok(links)
    }
}

/// Opens a secret of the project as text (a PEM key or a passphrase).
async fn open_text(h: &ProcessTypeOrder, db: &Db, project: &str, id: Uuid) -> Result<Zeroizing<String>, Failure> {
    let mut c = db.acquire().await?;
    let Some(sealed) = secrets::find_payload(&mut c, id).await? else {
        return Err(Failure::issue(400, "A secret of the order's key container no longer exists"));
    };
    let bytes = h.keks.open(&mut c, project, id, &sealed.store_name, sealed.kek_id, &sealed.ciphertext).await?;
    let text = std::str::from_utf8(&bytes).map_err(|_| Failure::issue(400, "The key container's key is not PEM"))?;
    Ok(Zeroizing::new(text.to_owned()))
}
