//! The JSON shapes of a container and of a container consumer, field for field as Barbican
//! returns them.

use portcullis_store::AsConn;
use portcullis_store::containers::{self, Consumer, Container};
use serde::Serialize;

use crate::context::Hrefs;
use crate::error::ApiResult;

#[derive(Serialize)]
pub struct SecretRefView {
    pub name: Option<String>,
    pub secret_ref: String,
}

/// A consumer as listed inside a container body.
#[derive(Serialize)]
pub struct ConsumerRef {
    pub name: String,
    #[serde(rename = "URL")]
    pub url: String,
}

#[derive(Serialize)]
pub struct ContainerView {
    pub created: String,
    pub updated: String,
    pub status: String,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub creator_id: Option<String>,
    pub secret_refs: Vec<SecretRefView>,
    pub consumers: Vec<ConsumerRef>,
    pub container_ref: String,
}

/// A consumer on its own (`GET .../consumers` items and `GET .../consumers/{id}`).
#[derive(Serialize)]
pub struct ConsumerView {
    pub created: String,
    pub updated: String,
    pub status: &'static str,
    pub name: String,
    #[serde(rename = "URL")]
    pub url: String,
}

impl ConsumerView {
    pub fn new(c: &Consumer) -> Self {
        Self {
            created: c.created_at.to_barbican(),
            updated: c.updated_at.to_barbican(),
            // Only live consumers are ever shown.
            status: "ACTIVE",
            name: c.name.clone(),
            url: c.url.clone(),
        }
    }
}

/// The bodies of `rows`, with their secret links and consumers read in two queries.
pub async fn container_views(c: &mut impl AsConn, hrefs: &Hrefs, rows: &[Container]) -> ApiResult<Vec<ContainerView>> {
    let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
    let links = containers::secret_links(c, &ids).await?;
    let consumers = containers::consumers_of(c, &ids).await?;
    Ok(rows
        .iter()
        .map(|ct| ContainerView {
            created: ct.created_at.to_barbican(),
            updated: ct.updated_at.to_barbican(),
            status: ct.status.clone(),
            name: ct.name.clone(),
            kind: ct.kind.clone(),
            creator_id: ct.creator_id.clone(),
            secret_refs: links
                .iter()
                .filter(|l| l.container_id == ct.id)
                .map(|l| SecretRefView { name: l.name.clone(), secret_ref: hrefs.secret(&l.secret_id) })
                .collect(),
            consumers: consumers
                .iter()
                .filter(|k| k.container_id == ct.id)
                .map(|k| ConsumerRef { name: k.name.clone(), url: k.url.clone() })
                .collect(),
            container_ref: hrefs.container(&ct.id),
        })
        .collect())
}

/// The body of one container.
pub async fn container_view(c: &mut impl AsConn, hrefs: &Hrefs, ct: &Container) -> ApiResult<ContainerView> {
    let views = container_views(c, hrefs, std::slice::from_ref(ct)).await?;
    views.into_iter().next().ok_or_else(|| anyhow::anyhow!("no view built for container {}", ct.id).into())
}
