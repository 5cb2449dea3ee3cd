//! The JSON shape of a secret, field for field as Barbican returns it.

use std::collections::HashMap;

use portcullis_store::AsConn;
use portcullis_store::secret_consumers;
use portcullis_store::secrets::Secret;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::context::Hrefs;
use crate::error::ApiResult;

#[derive(Serialize)]
pub struct SecretView {
    pub created: String,
    pub updated: String,
    pub status: String,
    pub name: Option<String>,
    pub secret_type: String,
    pub expiration: Option<String>,
    pub algorithm: Option<String>,
    pub bit_length: Option<i32>,
    pub mode: Option<String>,
    pub creator_id: Option<String>,
    /// Secret consumers; present from microversion 1.1 on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumers: Option<Vec<Value>>,
    /// `{"default": <content type>}` once the secret has a payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_types: Option<Value>,
    pub secret_ref: String,
}

impl SecretView {
    pub fn new(s: &Secret, hrefs: &Hrefs, consumers: Option<Vec<Value>>) -> Self {
        Self {
            created: s.created_at.to_barbican(),
            updated: s.updated_at.to_barbican(),
            status: s.status.clone(),
            name: s.name.clone(),
            secret_type: s.secret_type.clone(),
            expiration: s.expiration.map(|e| e.to_barbican()),
            algorithm: s.algorithm.clone(),
            bit_length: s.bit_length,
            mode: s.mode.clone(),
            creator_id: s.creator_id.clone(),
            consumers,
            content_types: s.content_type.as_ref().map(|ct| serde_json::json!({"default": ct})),
            secret_ref: hrefs.secret(&s.id),
        }
    }
}

/// The live consumers of each of `secret_ids`, as the `{service, resource_type, resource_id}`
/// objects a secret body lists, in one query. Secrets without consumers are absent from the map.
pub async fn consumers_by_secret(c: &mut impl AsConn, secret_ids: &[Uuid]) -> ApiResult<HashMap<Uuid, Vec<Value>>> {
    let mut out: HashMap<Uuid, Vec<Value>> = HashMap::new();
    for row in secret_consumers::live_of_secrets(c, secret_ids).await? {
        let brief = json!({"service": row.service, "resource_type": row.resource_type, "resource_id": row.resource_id});
        out.entry(row.secret_id).or_default().push(brief);
    }
    Ok(out)
}
