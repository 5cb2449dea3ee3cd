//! What `POST /v1/orders` resolves for a certificate order before storing it: the CA (`ca_id`,
//! else the local CA), the key container of a `stored-key` request, and the request row the
//! order's chained steps share.

use portcullis_store::certificate_authorities::{self as cas, LOCAL_CA_NAME};
use portcullis_store::certificate_requests::CertificateRequest;
use portcullis_store::orders::Order;
use portcullis_store::{AsConn, containers};
use uuid::Uuid;

use super::validate::{CertificateOrderMeta, CertificateRequest as Request};
use crate::context::{Caller, Hrefs};
use crate::error::{ApiError, ApiResult};

/// The request row of a new certificate order, at its type's first step.
pub async fn request_row(
    c: &mut impl AsConn,
    caller: &Caller,
    order: &Order,
    meta: &CertificateOrderMeta,
) -> ApiResult<CertificateRequest> {
    let ca_id = resolve_ca(c, meta.ca_id.as_deref()).await?;
    let (request_type, subject_dn, key_container_id, csr) = match &meta.request {
        Request::Custom { subject_dn, .. } => ("custom", Some(subject_dn.clone()), None, None),
        Request::StoredKey { container_ref, subject_dn } => {
            let id = key_container(c, caller, container_ref).await?;
            ("stored-key", Some(subject_dn.clone()), Some(id), None)
        }
        Request::SimpleCmc { csr_der } => {
            // Parsed and verified by the validator; this only re-encodes it as PEM.
            let csr = portcullis_plugins::parse_csr(csr_der)
                .map_err(|_| ApiError::BadRequest("Invalid PKCS10 Data: Bad format".into()))?;
            ("simple-cmc", Some(csr.subject()), None, Some(csr.pem()))
        }
    };
    Ok(CertificateRequest {
        order_id: order.id,
        project_id: order.project_id.clone(),
        ca_id,
        request_type: request_type.into(),
        profile: meta.profile.clone(),
        subject_dn,
        step: portcullis_jobs::first_step(request_type).into(),
        key_container_id,
        csr,
        ca_status: None,
        ca_reason: None,
        checks: 0,
        certificate: None,
        intermediates: None,
        created_at: order.created_at,
        updated_at: order.created_at,
    })
}

/// The CA an order names, or the local CA. Barbican: `Invalid CA_ID: <id>`.
async fn resolve_ca(c: &mut impl AsConn, ca_id: Option<&str>) -> ApiResult<Uuid> {
    let found = match ca_id {
        Some(raw) => match Uuid::try_parse(raw) {
            Ok(id) => cas::find(c, id).await?,
            Err(_) => None,
        },
        None => cas::find_by_name(c, LOCAL_CA_NAME).await?,
    };
    match (found, ca_id) {
        (Some(ca), _) => Ok(ca.id),
        (None, Some(raw)) => Err(ApiError::BadRequest(format!("Invalid CA_ID: {raw}"))),
        (None, None) => Err(ApiError::Internal(anyhow::anyhow!("the local CA row is missing"))),
    }
}

/// A `stored-key` request's container: a live `rsa` container of the caller's project that holds
/// a private key (Barbican's stored-key container checks).
async fn key_container(c: &mut impl AsConn, caller: &Caller, container_ref: &str) -> ApiResult<Uuid> {
    let invalid = |why: &str| ApiError::BadRequest(format!("Invalid container: {why}"));
    let Some(id) = Hrefs::parse_ref(container_ref, "containers") else {
        return Err(invalid("Bad Container Reference"));
    };
    let Some(container) = containers::find(c, &caller.project_id, id).await? else {
        return Err(invalid("Container Not Found"));
    };
    if container.kind != "rsa" {
        return Err(invalid("Container Wrong Type"));
    }
    let links = containers::secret_links(c, &[id]).await?;
    if !links.iter().any(|l| l.name.as_deref() == Some("private_key")) {
        return Err(invalid("Container Has No Private Key"));
    }
    Ok(id)
}
