//! One delivery of an order: read it, generate its key or key pair on the blocking pool, seal the
//! results and store them with the guarded PENDING → ACTIVE move in one transaction. A
//! certificate order's first step is handed to `certificate`.

use portcullis_plugins::KeyPair;
use portcullis_store::containers::{self, Container};
use portcullis_store::db::{Db, Tx};
use portcullis_store::secrets::{self, Secret};
use portcullis_store::{Timestamp, orders};
use serde_json::{Map, Value};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{Failure, OrderTask, ProcessTypeOrder};

/// What a `key` or `asymmetric` order's meta asks for. The API validated the meta at POST, so a
/// meta that does not parse here is a bug, reported as an internal failure.
pub(super) struct KeySpec {
    pub(super) name: Option<String>,
    pub(super) algorithm: String,
    pub(super) bit_length: u32,
    pub(super) mode: Option<String>,
    pub(super) content_type: &'static str,
    pub(super) expiration: Option<Timestamp>,
}

impl KeySpec {
    pub(super) fn from_meta(meta: &str) -> Result<Self, Failure> {
        let meta: Map<String, Value> = serde_json::from_str(meta).map_err(|_| Failure::internal())?;
        let text = |k: &str| meta.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
        let algorithm = text("algorithm").ok_or_else(Failure::internal)?;
        let bit_length = meta
            .get("bit_length")
            .and_then(Value::as_u64)
            .and_then(|b| u32::try_from(b).ok())
            .ok_or_else(Failure::internal)?;
        Ok(KeySpec {
            name: text("name"),
            algorithm,
            bit_length,
            mode: text("mode"),
            content_type: stored_content_type(text("payload_content_type").as_deref()),
            expiration: text("expiration").as_deref().and_then(Timestamp::parse),
        })
    }

    pub(super) fn secret(
        &self,
        order: &orders::Order,
        id: Uuid,
        secret_type: &str,
        content_type: &str,
        now: Timestamp,
    ) -> Secret {
        Secret {
            id,
            project_id: order.project_id.clone(),
            name: self.name.clone(),
            secret_type: secret_type.into(),
            algorithm: Some(self.algorithm.clone()),
            bit_length: i32::try_from(self.bit_length).ok(),
            mode: if secret_type == "symmetric" { self.mode.clone() } else { None },
            expiration: self.expiration,
            creator_id: order.creator_id.clone(),
            status: "ACTIVE".into(),
            content_type: Some(content_type.into()),
            created_at: now,
            updated_at: now,
        }
    }
}

/// The content type a generated symmetric key is recorded with. Barbican records the order's
/// `payload_content_type` as is and stores the raw key bytes whatever it says, so a `text/plain`
/// key order still ends ACTIVE.
fn stored_content_type(ct: Option<&str>) -> &'static str {
    let compact: String = ct.unwrap_or_default().to_ascii_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    match compact.as_str() {
        "text/plain" | "text/plain;charset=utf-8" => "text/plain",
        "application/pkcs8" => "application/pkcs8",
        _ => "application/octet-stream",
    }
}

/// Runs one delivery. `Ok` also when there is nothing to do (order gone, deleted, or no longer
/// PENDING).
pub(super) async fn process(h: &ProcessTypeOrder, db: &Db, task: &OrderTask) -> Result<(), Failure> {
    let order = {
        let mut c = db.acquire().await?;
        orders::find(&mut c, &task.project_id, task.order_id).await?
    };
    let Some(order) = order.filter(|o| o.status == orders::PENDING) else {
        tracing::info!(order_id = %task.order_id, "order no longer pending; nothing to do");
        return Ok(());
    };
    match order.kind.as_str() {
        "key" => key_order(h, db, &order, &KeySpec::from_meta(&order.meta)?).await,
        "asymmetric" => asymmetric_order(h, db, &order, &KeySpec::from_meta(&order.meta)?).await,
        // The first step of the chain; the rest run as `CertificateStepTask`s.
        "certificate" => super::certificate::run_step(h, db, &order, None).await,
        _ => Err(Failure::issue(400, "Order type not supported")),
    }
}

async fn key_order(h: &ProcessTypeOrder, db: &Db, order: &orders::Order, spec: &KeySpec) -> Result<(), Failure> {
    let (keygen, algorithm, bits, mode) =
        (h.keygen.clone(), spec.algorithm.clone(), spec.bit_length, spec.mode.clone());
    // The plugin call's span, entered on the blocking thread (spans do not follow it there).
    let span = tracing::info_span!("keygen", otel.name = "keygen symmetric", algorithm = %algorithm, bit_length = bits);
    let key = tokio::task::spawn_blocking(move || {
        span.in_scope(|| keygen.generate_symmetric(&algorithm, bits, mode.as_deref()))
    })
    .await
    .map_err(|_| Failure::Transient("key generation task failed".into()))??;

    let project = order.project_id.as_str();
    let kek = h.keks.project_kek(db, project).await?;
    let secret_id = Uuid::new_v4();
    let sealed = h.keks.seal(&kek, project, secret_id, &key)?;
    drop(key);

    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    if !orders::mark_active(&mut tx, order.id, Some(secret_id), None, None, now).await? {
        return Ok(()); // another delivery finished it, or it was deleted: roll back
    }
    secrets::insert(&mut tx, &spec.secret(order, secret_id, "symmetric", spec.content_type, now)).await?;
    secrets::insert_payload(&mut tx, secret_id, kek.id, &sealed, now).await?;
    tx.commit().await?;
    tracing::info!(order_id = %order.id, %secret_id, "key order active");
    Ok(())
}

async fn asymmetric_order(h: &ProcessTypeOrder, db: &Db, order: &orders::Order, spec: &KeySpec) -> Result<(), Failure> {
    let project = order.project_id.as_str();
    let passphrase = match order.passphrase_secret_id {
        Some(id) => Some(read_passphrase(h, db, project, id).await?),
        None => None,
    };
    let pair = generate_pair(h, db, project, spec, passphrase).await?;

    let now = Timestamp::now();
    let container_id = Uuid::new_v4();
    let mut tx = db.begin().await?;
    if !orders::mark_active(&mut tx, order.id, None, Some(container_id), None, now).await? {
        return Ok(()); // another delivery finished it, or it was deleted: roll back
    }
    insert_rsa_container(&mut tx, order, spec, &pair, order.passphrase_secret_id, container_id, now).await?;
    commit(tx).await?;
    tracing::info!(order_id = %order.id, %container_id, "asymmetric order active");
    Ok(())
}

/// A generated key pair, sealed for two new secrets of the order's project.
pub(super) struct SealedPair {
    kek_id: Uuid,
    private: (Uuid, Vec<u8>),
    public: (Uuid, Vec<u8>),
}

/// Generates the key pair `spec` asks for on the blocking pool and seals both halves. The
/// plaintext private key is dropped (zeroized) here.
pub(super) async fn generate_pair(
    h: &ProcessTypeOrder,
    db: &Db,
    project: &str,
    spec: &KeySpec,
    passphrase: Option<Zeroizing<String>>,
) -> Result<SealedPair, Failure> {
    let (keygen, algorithm, bits) = (h.keygen.clone(), spec.algorithm.clone(), spec.bit_length);
    let span =
        tracing::info_span!("keygen", otel.name = "keygen asymmetric", algorithm = %algorithm, bit_length = bits);
    let pair: KeyPair = tokio::task::spawn_blocking(move || {
        span.in_scope(|| keygen.generate_asymmetric(&algorithm, bits, passphrase.as_ref().map(|p| p.as_str())))
    })
    .await
    .map_err(|_| Failure::Transient("key generation task failed".into()))??;

    let kek = h.keks.project_kek(db, project).await?;
    let (private_id, public_id) = (Uuid::new_v4(), Uuid::new_v4());
    let private = h.keks.seal(&kek, project, private_id, pair.private_key_pem.as_bytes())?;
    let public = h.keks.seal(&kek, project, public_id, pair.public_key_pem.as_bytes())?;
    Ok(SealedPair { kek_id: kek.id, private: (private_id, private), public: (public_id, public) })
}

/// Inserts the pair's two secrets and the `rsa` container linking them (and the passphrase
/// secret, if any), as Barbican's asymmetric orders make it.
pub(super) async fn insert_rsa_container(
    tx: &mut Tx,
    order: &orders::Order,
    spec: &KeySpec,
    pair: &SealedPair,
    passphrase_id: Option<Uuid>,
    container_id: Uuid,
    now: Timestamp,
) -> Result<(), Failure> {
    const OCTETS: &str = "application/octet-stream";
    for (kind, (id, sealed)) in [("private", &pair.private), ("public", &pair.public)] {
        secrets::insert(tx, &spec.secret(order, *id, kind, OCTETS, now)).await?;
        secrets::insert_payload(tx, *id, pair.kek_id, sealed, now).await?;
    }
    let mut links =
        vec![(pair.private.0, Some("private_key".to_owned())), (pair.public.0, Some("public_key".to_owned()))];
    if let Some(pid) = passphrase_id {
        links.push((pid, Some("private_key_passphrase".to_owned())));
    }
    let container = Container {
        id: container_id,
        project_id: order.project_id.clone(),
        name: spec.name.clone(),
        kind: "rsa".into(),
        status: "ACTIVE".into(),
        creator_id: order.creator_id.clone(),
        created_at: now,
        updated_at: now,
    };
    containers::insert(tx, &container, &links).await?;
    Ok(())
}

async fn commit(tx: Tx) -> Result<(), Failure> {
    Ok(tx.commit().await?)
}

/// Opens the order's sealed passphrase. A passphrase secret the client deleted meanwhile (its
/// ciphertext is erased on delete) fails the order.
pub(super) async fn read_passphrase(
    h: &ProcessTypeOrder,
    db: &Db,
    project: &str,
    secret_id: Uuid,
) -> Result<Zeroizing<String>, Failure> {
    let mut c = db.acquire().await?;
    let Some(sealed) = secrets::find_payload(&mut c, secret_id).await? else {
        return Err(Failure::issue(400, "The order's passphrase secret no longer exists"));
    };
    let bytes = h.keks.open(&mut c, project, secret_id, &sealed.store_name, sealed.kek_id, &sealed.ciphertext).await?;
    let text = std::str::from_utf8(&bytes).map_err(|_| Failure::internal())?;
    Ok(Zeroizing::new(text.to_owned()))
}
