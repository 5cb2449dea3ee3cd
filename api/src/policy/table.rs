//! The policy table: for every [`Action`], its rule under Barbican's current defaults and under
//! its legacy roles, transcribed from Barbican's `barbican/common/policies/*.py` (the new rules
//! without their `True:%(enforce_new_defaults)s and` prefix: the column says which applies).
//! Portcullis's own operations (CAs, certificate requests, admin jobs, the dashboard, audit
//! events) follow the same scheme: reads like `reader` (legacy `all_users`), operator work for
//! `admin`, audit events for `admin` or `audit`.
//!
//! # Layout
//! - the named base rules of `base.py` (`secret_project_admin`, `all_users`, ...), as consts;
//! - [`entry`]: each action's name, operation wording and two rules;
//! - [`markdown`]: the whole table, for documentation.

use super::Action;
use super::Entity::{Container as C, Order as O, Secret as S};
use super::Expr::{self, *};

/// One row of the table.
pub struct Entry {
    /// Barbican's rule name (`secret:decrypt`).
    pub name: &'static str,
    /// What a refusal calls the operation (`Secret payload retrieval`).
    pub operation: &'static str,
    /// The rule under Barbican's current defaults.
    pub new: &'static Expr,
    /// The rule under Barbican's deprecated legacy roles.
    pub legacy: &'static Expr,
}

// Base rules shared by both policies.
const SECRET_PROJECT_MATCH: Expr = Rule("secret_project_match", &ProjectMatch(S));
const CONTAINER_PROJECT_MATCH: Expr = Rule("container_project_match", &ProjectMatch(C));
const ORDER_PROJECT_MATCH: Expr = Rule("order_project_match", &ProjectMatch(O));
const SECRET_PROJECT_ADMIN: Expr = Rule("secret_project_admin", &And(&[Role("admin"), SECRET_PROJECT_MATCH]));
const CONTAINER_PROJECT_ADMIN: Expr = Rule("container_project_admin", &And(&[Role("admin"), CONTAINER_PROJECT_MATCH]));

// Base rules of the current defaults.
const SECRET_PROJECT_MEMBER: Expr = Rule("secret_project_member", &And(&[Role("member"), SECRET_PROJECT_MATCH]));
const SECRET_OWNER: Expr = Rule("secret_owner", &Owner(S));
const SECRET_IS_NOT_PRIVATE: Expr = Rule("secret_is_not_private", &NotPrivate(S));
const SECRET_ACL_READ: Expr = Rule("secret_acl_read", &AclRead(S));
const CONTAINER_PROJECT_MEMBER: Expr =
    Rule("container_project_member", &And(&[Role("member"), CONTAINER_PROJECT_MATCH]));
const CONTAINER_OWNER: Expr = Rule("container_owner", &Owner(C));
const CONTAINER_IS_NOT_PRIVATE: Expr = Rule("container_is_not_private", &NotPrivate(C));
const CONTAINER_ACL_READ: Expr = Rule("container_acl_read", &AclRead(C));
const ORDER_PROJECT_MEMBER: Expr = Rule("order_project_member", &And(&[Role("member"), ORDER_PROJECT_MATCH]));

// Base rules of the legacy policy.
const ADMIN: Expr = Rule("admin", &Role("admin"));
const OBSERVER: Expr = Rule("observer", &Role("observer"));
const CREATOR: Expr = Rule("creator", &Role("creator"));
const AUDIT: Expr = Rule("audit", &Role("audit"));
const SERVICE_ADMIN: Expr = Rule("service_admin", &Role("key-manager:service-admin"));
const ALL_USERS: Expr = Rule("all_users", &Or(&[ADMIN, OBSERVER, CREATOR, AUDIT, SERVICE_ADMIN]));
const ALL_BUT_AUDIT: Expr = Rule("all_but_audit", &Or(&[ADMIN, OBSERVER, CREATOR]));
const ADMIN_OR_CREATOR: Expr = Rule("admin_or_creator", &Or(&[ADMIN, CREATOR]));
const SECRET_CREATOR_USER: Expr = Rule("secret_creator_user", &Owner(S));
const SECRET_PRIVATE_READ: Expr = Rule("secret_private_read", &Private(S));
const SECRET_NON_PRIVATE_READ: Expr =
    Rule("secret_non_private_read", &And(&[ALL_USERS, SECRET_PROJECT_MATCH, Not(&SECRET_PRIVATE_READ)]));
const SECRET_DECRYPT_NON_PRIVATE_READ: Expr =
    Rule("secret_decrypt_non_private_read", &And(&[ALL_BUT_AUDIT, SECRET_PROJECT_MATCH, Not(&SECRET_PRIVATE_READ)]));
const SECRET_PROJECT_CREATOR: Expr =
    Rule("secret_project_creator", &And(&[CREATOR, SECRET_PROJECT_MATCH, SECRET_CREATOR_USER]));
const SECRET_PROJECT_CREATOR_ROLE: Expr = Rule("secret_project_creator_role", &And(&[CREATOR, SECRET_PROJECT_MATCH]));
const CONTAINER_PRIVATE_READ: Expr = Rule("container_private_read", &Private(C));
const CONTAINER_CREATOR_USER: Expr = Rule("container_creator_user", &Owner(C));
const CONTAINER_NON_PRIVATE_READ: Expr =
    Rule("container_non_private_read", &And(&[ALL_USERS, CONTAINER_PROJECT_MATCH, Not(&CONTAINER_PRIVATE_READ)]));
const CONTAINER_PROJECT_CREATOR: Expr =
    Rule("container_project_creator", &And(&[CREATOR, CONTAINER_PROJECT_MATCH, CONTAINER_CREATOR_USER]));
const CONTAINER_PROJECT_CREATOR_ROLE: Expr =
    Rule("container_project_creator_role", &And(&[CREATOR, CONTAINER_PROJECT_MATCH]));

// The recurring shapes of the current defaults.
/// Project admin, or a member who owns the secret or may see it.
const SECRET_WRITE: Expr = Or(&[
    SECRET_PROJECT_ADMIN,
    And(&[SECRET_PROJECT_MEMBER, SECRET_OWNER]),
    And(&[SECRET_PROJECT_MEMBER, SECRET_IS_NOT_PRIVATE]),
]);
const SECRET_READ: Expr = Or(&[
    SECRET_PROJECT_ADMIN,
    And(&[SECRET_PROJECT_MEMBER, SECRET_OWNER]),
    And(&[SECRET_PROJECT_MEMBER, SECRET_IS_NOT_PRIVATE]),
    SECRET_ACL_READ,
]);
const CONTAINER_WRITE: Expr = Or(&[
    CONTAINER_PROJECT_ADMIN,
    And(&[CONTAINER_PROJECT_MEMBER, CONTAINER_OWNER]),
    And(&[CONTAINER_PROJECT_MEMBER, CONTAINER_IS_NOT_PRIVATE]),
]);
const CONTAINER_READ: Expr = Or(&[
    CONTAINER_PROJECT_ADMIN,
    And(&[CONTAINER_PROJECT_MEMBER, CONTAINER_OWNER]),
    And(&[CONTAINER_PROJECT_MEMBER, CONTAINER_IS_NOT_PRIVATE]),
    CONTAINER_ACL_READ,
]);

// The recurring shapes of the legacy policy.
const L_SECRET_READ: Expr =
    Or(&[SECRET_NON_PRIVATE_READ, SECRET_PROJECT_CREATOR, SECRET_PROJECT_ADMIN, SECRET_ACL_READ]);
const L_SECRET_WRITE: Expr =
    Or(&[SECRET_PROJECT_ADMIN, SECRET_PROJECT_CREATOR, And(&[SECRET_PROJECT_CREATOR_ROLE, SECRET_NON_PRIVATE_READ])]);
const L_CONTAINER_READ: Expr =
    Or(&[CONTAINER_NON_PRIVATE_READ, CONTAINER_PROJECT_CREATOR, CONTAINER_PROJECT_ADMIN, CONTAINER_ACL_READ]);
const L_CONTAINER_WRITE: Expr = Or(&[
    CONTAINER_PROJECT_ADMIN,
    CONTAINER_PROJECT_CREATOR,
    And(&[CONTAINER_PROJECT_CREATOR_ROLE, CONTAINER_NON_PRIVATE_READ]),
]);

/// A row, as a `'static` const.
macro_rules! e {
    ($name:expr, $operation:expr, $new:expr, $legacy:expr $(,)?) => {{
        const ROW: Entry = Entry { name: $name, operation: $operation, new: $new, legacy: $legacy };
        &ROW
    }};
}

/// The row of `action`.
pub fn entry(action: Action) -> &'static Entry {
    use Action::*;
    match action {
        SecretsPost => e!("secrets:post", "Secret creation", &Role("member"), &ADMIN_OR_CREATOR),
        SecretsGet => e!("secrets:get", "Secret(s) retrieval", &Role("member"), &ALL_BUT_AUDIT),
        SecretGet => e!(
            "secret:get",
            "Secret retrieval",
            &Or(&[
                Role("admin"),
                SECRET_PROJECT_ADMIN,
                And(&[SECRET_PROJECT_MEMBER, SECRET_OWNER]),
                And(&[SECRET_PROJECT_MEMBER, SECRET_IS_NOT_PRIVATE]),
                SECRET_ACL_READ,
            ]),
            &L_SECRET_READ,
        ),
        SecretDecrypt => e!(
            "secret:decrypt",
            "Secret payload retrieval",
            &SECRET_READ,
            &Or(&[SECRET_DECRYPT_NON_PRIVATE_READ, SECRET_PROJECT_CREATOR, SECRET_PROJECT_ADMIN, SECRET_ACL_READ]),
        ),
        SecretPut => e!("secret:put", "Secret update", &SECRET_WRITE, &And(&[ADMIN_OR_CREATOR, SECRET_PROJECT_MATCH])),
        SecretDelete => e!(
            "secret:delete",
            "Secret deletion",
            &Or(&[
                Role("admin"),
                SECRET_PROJECT_ADMIN,
                And(&[SECRET_PROJECT_MEMBER, SECRET_OWNER]),
                And(&[SECRET_PROJECT_MEMBER, SECRET_IS_NOT_PRIVATE]),
            ]),
            &Or(&[
                SECRET_PROJECT_ADMIN,
                SECRET_PROJECT_CREATOR,
                And(&[SECRET_PROJECT_CREATOR_ROLE, Not(&SECRET_PRIVATE_READ)]),
            ]),
        ),
        SecretMetaGet => e!("secret_meta:get", "Secret metadata retrieval", &SECRET_READ, &L_SECRET_READ),
        SecretMetaPost => e!("secret_meta:post", "Secret metadatum creation", &SECRET_WRITE, &L_SECRET_WRITE),
        SecretMetaPut => e!("secret_meta:put", "Secret metadata creation", &SECRET_WRITE, &L_SECRET_WRITE),
        SecretMetaDelete => e!("secret_meta:delete", "Secret metadatum removal", &SECRET_WRITE, &L_SECRET_WRITE),
        SecretConsumersGet => {
            e!("secret_consumers:get", "SecretConsumers(s) retrieval", &SECRET_READ, &L_SECRET_READ)
        }
        SecretConsumersPost => e!("secret_consumers:post", "SecretConsumer creation", &SECRET_READ, &L_SECRET_READ),
        SecretConsumersDelete => {
            e!("secret_consumers:delete", "SecretConsumer deletion", &SECRET_READ, &L_SECRET_READ)
        }
        SecretAclsGet => {
            e!("secret_acls:get", "SecretACL(s) retrieval", &SECRET_WRITE, &And(&[ALL_BUT_AUDIT, SECRET_PROJECT_MATCH]),)
        }
        SecretAclsPutPatch => e!("secret_acls:put_patch", "SecretACL(s) Update", &SECRET_WRITE, &L_SECRET_WRITE),
        SecretAclsDelete => e!("secret_acls:delete", "SecretACL(s) deletion", &SECRET_WRITE, &L_SECRET_WRITE),
        ContainersPost => e!("containers:post", "Container creation", &Role("member"), &ADMIN_OR_CREATOR),
        ContainersGet => e!("containers:get", "Containers(s) retrieval", &Role("member"), &ALL_BUT_AUDIT),
        ContainerGet => e!("container:get", "Container retrieval", &CONTAINER_READ, &L_CONTAINER_READ),
        ContainerDelete => e!(
            "container:delete",
            "Container deletion",
            &CONTAINER_WRITE,
            &Or(&[CONTAINER_PROJECT_ADMIN, CONTAINER_PROJECT_CREATOR]),
        ),
        ContainerSecretPost => {
            e!("container_secret:post", "Container Secret creation", &CONTAINER_WRITE, &L_CONTAINER_WRITE)
        }
        ContainerSecretDelete => {
            e!("container_secret:delete", "Container Secret deletion", &CONTAINER_WRITE, &L_CONTAINER_WRITE)
        }
        ContainerConsumersGet => {
            e!("container_consumers:get", "ContainerConsumers(s) retrieval", &CONTAINER_READ, &L_CONTAINER_READ)
        }
        ContainerConsumersPost => {
            e!("container_consumers:post", "ContainerConsumer creation", &CONTAINER_READ, &L_CONTAINER_READ)
        }
        ContainerConsumersDelete => {
            e!("container_consumers:delete", "ContainerConsumer deletion", &CONTAINER_READ, &L_CONTAINER_READ)
        }
        ConsumerGet => e!(
            "consumer:get",
            "ContainerConsumer retrieval",
            &Or(&[
                Role("admin"),
                And(&[CONTAINER_PROJECT_MEMBER, CONTAINER_OWNER]),
                And(&[CONTAINER_PROJECT_MEMBER, CONTAINER_IS_NOT_PRIVATE]),
                CONTAINER_ACL_READ,
            ]),
            &Or(&[
                ADMIN,
                OBSERVER,
                CREATOR,
                AUDIT,
                CONTAINER_NON_PRIVATE_READ,
                CONTAINER_PROJECT_CREATOR,
                CONTAINER_PROJECT_ADMIN,
                CONTAINER_ACL_READ,
            ]),
        ),
        ContainerAclsGet => e!(
            "container_acls:get",
            "ContainerACL(s) retrieval",
            &CONTAINER_WRITE,
            &And(&[ALL_BUT_AUDIT, CONTAINER_PROJECT_MATCH]),
        ),
        ContainerAclsPutPatch => {
            e!("container_acls:put_patch", "ContainerACL(s) Update", &CONTAINER_WRITE, &L_CONTAINER_WRITE)
        }
        ContainerAclsDelete => {
            e!("container_acls:delete", "ContainerACL(s) deletion", &CONTAINER_WRITE, &L_CONTAINER_WRITE)
        }
        OrdersGet => e!("orders:get", "Order(s) retrieval", &Role("member"), &ALL_BUT_AUDIT),
        OrdersPost => e!("orders:post", "Order creation", &Role("member"), &ADMIN_OR_CREATOR),
        OrdersPut => e!("orders:put", "Order update", &Role("member"), &ADMIN_OR_CREATOR),
        OrderGet => e!("order:get", "Order retrieval", &ORDER_PROJECT_MEMBER, &And(&[ALL_USERS, ProjectMatch(O)])),
        OrderDelete => e!("order:delete", "Order deletion", &ORDER_PROJECT_MEMBER, &And(&[ADMIN, ProjectMatch(O)])),
        QuotasGet => e!("quotas:get", "Quotas", &Role("reader"), &ALL_USERS),
        ProjectQuotasGet => e!("project_quotas:get", "Project Quotas", &Role("admin"), &SERVICE_ADMIN),
        ProjectQuotasPut => e!("project_quotas:put", "Project Quotas", &Role("admin"), &SERVICE_ADMIN),
        ProjectQuotasDelete => e!("project_quotas:delete", "Project Quotas", &Role("admin"), &SERVICE_ADMIN),
        SecretStoresGet => e!("secretstores:get", "List available secret stores", &Role("reader"), &ALL_USERS),
        SecretStoresGetGlobalDefault => {
            e!("secretstores:get_global_default", "Retrieve global default secret store", &Role("reader"), &ALL_USERS,)
        }
        SecretStoresGetPreferred => {
            e!("secretstores:get_preferred", "Retrieve project preferred store", &Role("reader"), &ALL_USERS)
        }
        SecretStorePreferredPost => {
            e!("secretstore_preferred:post", "Setting preferred secret store", &Role("admin"), &ADMIN)
        }
        SecretStorePreferredDelete => {
            e!("secretstore_preferred:delete", "Removing preferred secret store", &Role("admin"), &ADMIN)
        }
        SecretStoreGet => e!("secretstore:get", "Secret store retrieval", &Role("reader"), &ALL_USERS),
        TransportKeysGet => e!("transport_keys:get", "Transport Key(s) retrieval", &Role("reader"), &ALL_USERS),
        TransportKeysPost => e!("transport_keys:post", "Transport Key Creation", &Role("admin"), &SERVICE_ADMIN),
        TransportKeyGet => e!("transport_key:get", "Transport Key retrieval", &Role("reader"), &ALL_USERS),
        TransportKeyDelete => e!("transport_key:delete", "Transport Key deletion", &Role("admin"), &SERVICE_ADMIN),
        CasGet => e!("cas:get", "Certificate Authorities retrieval", &Role("reader"), &ALL_USERS),
        CaGet => e!("ca:get", "Certificate Authority retrieval", &Role("reader"), &ALL_USERS),
        CertificateRequestsGet => {
            e!("certificate_requests:get", "Certificate request(s) retrieval", &Role("admin"), &ADMIN)
        }
        CertificateRequestDecide => {
            e!("certificate_request:decide", "Certificate request decision", &Role("admin"), &ADMIN)
        }
        AdminJobsGet => e!("admin_jobs:get", "Job(s) retrieval", &Role("admin"), &ADMIN),
        AdminJobsManage => e!("admin_jobs:manage", "Job update", &Role("admin"), &ADMIN),
        AuditEventsGet => e!(
            "audit_events:get",
            "Audit event(s) retrieval",
            &Or(&[Role("admin"), Role("audit")]),
            &Or(&[ADMIN, AUDIT]),
        ),
        Dashboard => e!("dashboard:get", "Job dashboard access", &Role("admin"), &ADMIN),
    }
}

/// The named base rules, for the table's legend.
pub const BASE_RULES: &[Expr] = &[
    SECRET_PROJECT_MATCH,
    SECRET_PROJECT_MEMBER,
    SECRET_PROJECT_ADMIN,
    SECRET_OWNER,
    SECRET_IS_NOT_PRIVATE,
    SECRET_ACL_READ,
    CONTAINER_PROJECT_MATCH,
    CONTAINER_PROJECT_MEMBER,
    CONTAINER_PROJECT_ADMIN,
    CONTAINER_OWNER,
    CONTAINER_IS_NOT_PRIVATE,
    CONTAINER_ACL_READ,
    ORDER_PROJECT_MATCH,
    ORDER_PROJECT_MEMBER,
    ADMIN,
    OBSERVER,
    CREATOR,
    AUDIT,
    SERVICE_ADMIN,
    ALL_USERS,
    ALL_BUT_AUDIT,
    ADMIN_OR_CREATOR,
    SECRET_CREATOR_USER,
    SECRET_PRIVATE_READ,
    SECRET_NON_PRIVATE_READ,
    SECRET_DECRYPT_NON_PRIVATE_READ,
    SECRET_PROJECT_CREATOR,
    SECRET_PROJECT_CREATOR_ROLE,
    CONTAINER_PRIVATE_READ,
    CONTAINER_CREATOR_USER,
    CONTAINER_NON_PRIVATE_READ,
    CONTAINER_PROJECT_CREATOR,
    CONTAINER_PROJECT_CREATOR_ROLE,
];

/// The whole policy as markdown: one row per action with both rules, then the base rules.
pub fn markdown() -> String {
    let mut out = String::from("| rule | current defaults | legacy (`PORTCULLIS_ENFORCE_NEW_DEFAULTS=false`) |\n");
    out.push_str("|---|---|---|\n");
    for &a in Action::ALL {
        let row = entry(a);
        out.push_str(&format!("| `{}` | `{}` | `{}` |\n", row.name, row.new.render(), row.legacy.render()));
    }
    out.push_str("\n| base rule | definition |\n|---|---|\n");
    for rule in BASE_RULES {
        if let Rule(name, inner) = rule {
            out.push_str(&format!("| `{name}` | `{}` |\n", inner.render()));
        }
    }
    out
}
