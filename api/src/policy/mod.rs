//! Who may do what: Barbican's policy, as one table.
//!
//! Every controller names its [`Action`] (Barbican's policy rule name, e.g. `secret:decrypt`) and,
//! for a rule about one resource, the [`Target`] it acts on, then calls [`Caller::authorize`].
//!
//! SKELETON: the table is being written (issue #5); until then only admin-only actions are checked.

use crate::context::Caller;
use crate::error::ApiError;

/// A policy rule name, one per operation Portcullis serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    SecretsPost,
    SecretsGet,
    SecretGet,
    SecretDecrypt,
    SecretPut,
    SecretDelete,
    SecretMetaGet,
    SecretMetaPost,
    SecretMetaPut,
    SecretMetaDelete,
    SecretConsumersGet,
    SecretConsumersPost,
    SecretConsumersDelete,
    SecretAclsGet,
    SecretAclsPutPatch,
    SecretAclsDelete,
    ContainersPost,
    ContainersGet,
    ContainerGet,
    ContainerDelete,
    ContainerSecretPost,
    ContainerSecretDelete,
    ContainerConsumersGet,
    ContainerConsumersPost,
    ContainerConsumersDelete,
    ConsumerGet,
    ContainerAclsGet,
    ContainerAclsPutPatch,
    ContainerAclsDelete,
    OrdersGet,
    OrdersPost,
    OrdersPut,
    OrderGet,
    OrderDelete,
    QuotasGet,
    ProjectQuotasGet,
    ProjectQuotasPut,
    ProjectQuotasDelete,
    SecretStoresGet,
    SecretStoresGetGlobalDefault,
    SecretStoresGetPreferred,
    SecretStorePreferredPost,
    SecretStorePreferredDelete,
    SecretStoreGet,
    TransportKeysGet,
    TransportKeysPost,
    TransportKeyGet,
    TransportKeyDelete,
    // Portcullis's own operations (not in Barbican's policy).
    CasGet,
    CaGet,
    CertificateRequestsGet,
    CertificateRequestDecide,
    AdminJobsGet,
    AdminJobsManage,
    AuditEventsGet,
    Dashboard,
}

impl Action {
    /// The rule's name as Barbican's policy file spells it.
    pub fn name(self) -> &'static str {
        use Action::*;
        match self {
            SecretsPost => "secrets:post",
            SecretsGet => "secrets:get",
            SecretGet => "secret:get",
            SecretDecrypt => "secret:decrypt",
            SecretPut => "secret:put",
            SecretDelete => "secret:delete",
            SecretMetaGet => "secret_meta:get",
            SecretMetaPost => "secret_meta:post",
            SecretMetaPut => "secret_meta:put",
            SecretMetaDelete => "secret_meta:delete",
            SecretConsumersGet => "secret_consumers:get",
            SecretConsumersPost => "secret_consumers:post",
            SecretConsumersDelete => "secret_consumers:delete",
            SecretAclsGet => "secret_acls:get",
            SecretAclsPutPatch => "secret_acls:put_patch",
            SecretAclsDelete => "secret_acls:delete",
            ContainersPost => "containers:post",
            ContainersGet => "containers:get",
            ContainerGet => "container:get",
            ContainerDelete => "container:delete",
            ContainerSecretPost => "container_secret:post",
            ContainerSecretDelete => "container_secret:delete",
            ContainerConsumersGet => "container_consumers:get",
            ContainerConsumersPost => "container_consumers:post",
            ContainerConsumersDelete => "container_consumers:delete",
            ConsumerGet => "consumer:get",
            ContainerAclsGet => "container_acls:get",
            ContainerAclsPutPatch => "container_acls:put_patch",
            ContainerAclsDelete => "container_acls:delete",
            OrdersGet => "orders:get",
            OrdersPost => "orders:post",
            OrdersPut => "orders:put",
            OrderGet => "order:get",
            OrderDelete => "order:delete",
            QuotasGet => "quotas:get",
            ProjectQuotasGet => "project_quotas:get",
            ProjectQuotasPut => "project_quotas:put",
            ProjectQuotasDelete => "project_quotas:delete",
            SecretStoresGet => "secretstores:get",
            SecretStoresGetGlobalDefault => "secretstores:get_global_default",
            SecretStoresGetPreferred => "secretstores:get_preferred",
            SecretStorePreferredPost => "secretstore_preferred:post",
            SecretStorePreferredDelete => "secretstore_preferred:delete",
            SecretStoreGet => "secretstore:get",
            TransportKeysGet => "transport_keys:get",
            TransportKeysPost => "transport_keys:post",
            TransportKeyGet => "transport_key:get",
            TransportKeyDelete => "transport_key:delete",
            CasGet => "cas:get",
            CaGet => "ca:get",
            CertificateRequestsGet => "certificate_requests:get",
            CertificateRequestDecide => "certificate_request:decide",
            AdminJobsGet => "admin_jobs:get",
            AdminJobsManage => "admin_jobs:manage",
            AuditEventsGet => "audit_events:get",
            Dashboard => "dashboard:get",
        }
    }
}

/// The resource a per-resource rule looks at (Barbican's `target.secret.*`, `target.container.*`,
/// `target.order.*`).
#[derive(Debug, Clone, Default)]
pub struct Target<'a> {
    pub project_id: &'a str,
    pub creator_id: Option<&'a str>,
    /// Users on the resource's `read` ACL.
    pub read_users: &'a [String],
    /// `project-access` of the `read` ACL: false makes the resource private to its creator.
    pub project_access: bool,
}

impl Caller {
    /// Allows or refuses `action` on `target` (`None` for collection-level rules).
    pub fn authorize(&self, action: Action, _target: Option<&Target<'_>>) -> Result<(), ApiError> {
        use Action::*;
        match action {
            CertificateRequestsGet | CertificateRequestDecide | AdminJobsGet | AdminJobsManage | AuditEventsGet
            | Dashboard | ProjectQuotasGet | ProjectQuotasPut | ProjectQuotasDelete | TransportKeysPost
            | TransportKeyDelete | SecretStorePreferredPost | SecretStorePreferredDelete => self.require_admin(),
            _ => Ok(()),
        }
    }
}
