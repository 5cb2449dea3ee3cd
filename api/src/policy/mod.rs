//! Who may do what: Barbican's policy, as one table.
//!
//! Every controller names its [`Action`] (Barbican's policy rule name, e.g. `secret:decrypt`) and,
//! for a rule about one resource, the [`Target`] it acts on, then calls [`Caller::authorize`].
//! Each action has two rules ([`table::rule`]): Barbican's current defaults (project-scoped
//! `reader`/`member`/`admin`, owner, `project-access`, read ACL) and its deprecated legacy roles
//! (`admin`, `creator`, `observer`, `audit`, `key-manager:service-admin`), chosen per caller by
//! [`Caller::enforce_new_defaults`] (`PORTCULLIS_ENFORCE_NEW_DEFAULTS`). Rules are data
//! ([`Expr`]), written as Barbican's policy files write them, and print as a markdown table
//! ([`table::markdown`]).
//!
//! # Semantics
//! - A term about an entity (`rule:secret_owner`, ...) is false when the target is another kind
//!   of entity or when there is no target, as oslo.policy finds no `target.secret.*` key.
//! - **Roles are project-scoped** (the one deliberate difference from Barbican): a role held in
//!   project P counts only for P's resources. Barbican's bare `role:admin` (in `secret:get`,
//!   `secret:delete`, `consumer:get`) lets the admin of *any* project through; here it is the
//!   target project's admin. Anyone may claim a role in `noauth` mode, so honouring a foreign
//!   admin would end project isolation. Another project's resource is reachable only through
//!   its read ACL.
//! - A refusal on another project's resource is a 404 worded as an unknown id (its existence is
//!   not revealed); in the caller's own project it is Barbican's 403
//!   `<operation> attempt not allowed - please review your user/project privileges`.
//!
//! # Layout
//! - this file: [`Action`], [`Expr`], [`Target`], evaluation and [`Caller::authorize`].
//! - [`table`]: every action's two rules and Barbican's named base rules; the markdown table.

pub mod table;

use crate::context::Caller;
use crate::error::ApiError;

/// Declares [`Action`] and [`Action::ALL`] from one list, so the two cannot disagree.
macro_rules! actions {
    ($($(#[$doc:meta])* $action:ident,)*) => {
        /// A policy rule name, one per operation Portcullis serves.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[$doc])* $action,)*
        }

        impl Action {
            /// Every action, in table order.
            pub const ALL: &'static [Action] = &[$(Action::$action,)*];
        }
    };
}

actions! {
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
        table::entry(self).name
    }

    /// What Barbican's refusal calls the operation (`Secret deletion attempt not allowed ...`).
    pub fn operation(self) -> &'static str {
        table::entry(self).operation
    }
}

/// The kinds of resource a per-resource rule can look at (`target.secret`, `target.container`,
/// `target.order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Secret,
    Container,
    Order,
}

impl Entity {
    fn key(self) -> &'static str {
        match self {
            Entity::Secret => "secret",
            Entity::Container => "container",
            Entity::Order => "order",
        }
    }

    /// The 404 a caller outside the resource's project gets, worded as for an unknown id.
    fn not_found(self) -> ApiError {
        ApiError::NotFound(
            match self {
                Entity::Secret => "Secret not found.",
                Entity::Container => "Secrets container not found.",
                Entity::Order => "Order not found.",
            }
            .into(),
        )
    }
}

/// A policy expression, as Barbican's check strings write them.
#[derive(Debug, Clone, Copy)]
pub enum Expr {
    /// `role:<name>`: the caller holds the role (in the target's project, see the module docs).
    Role(&'static str),
    /// `project_id:%(target.<e>.project_id)s`.
    ProjectMatch(Entity),
    /// `user_id:%(target.<e>.creator_id)s`.
    Owner(Entity),
    /// `True:%(target.<e>.read_project_access)s`: the read ACL keeps project access.
    NotPrivate(Entity),
    /// `'False':%(target.<e>.read_project_access)s` (legacy): the read ACL withdrew it.
    Private(Entity),
    /// `'read':%(target.<e>.read)s`: the caller is a user of the read ACL.
    AclRead(Entity),
    /// `rule:<name>`: a named rule of Barbican's base policy.
    Rule(&'static str, &'static Expr),
    And(&'static [Expr]),
    Or(&'static [Expr]),
    Not(&'static Expr),
}

/// The resource a per-resource rule looks at (Barbican's `target.secret.*`, `target.container.*`,
/// `target.order.*`).
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub kind: Entity,
    pub project_id: &'a str,
    pub creator_id: Option<&'a str>,
    /// Users on the resource's `read` ACL.
    pub read_users: &'a [String],
    /// `project-access` of the `read` ACL: `Some(true)` without an ACL; `Some(false)` makes the
    /// resource private to its creator. `None` where Barbican's target carries no ACL data (the
    /// ACL endpoints): then neither `NotPrivate` nor `Private` holds.
    pub project_access: Option<bool>,
}

impl<'a> Target<'a> {
    /// A secret or container with its read ACL (`None`: no ACL, the default `project-access`).
    pub fn with_acl(
        kind: Entity,
        project_id: &'a str,
        creator_id: Option<&'a str>,
        acl: Option<(&'a [String], bool)>,
    ) -> Self {
        let (read_users, project_access) = acl.unwrap_or((&[], true));
        Target { kind, project_id, creator_id, read_users, project_access: Some(project_access) }
    }

    /// A resource as Barbican's ACL endpoints and orders present it: project and creator only.
    pub fn bare(kind: Entity, project_id: &'a str, creator_id: Option<&'a str>) -> Self {
        Target { kind, project_id, creator_id, read_users: &[], project_access: None }
    }
}

impl Expr {
    /// Whether `caller` satisfies this expression on `target`.
    pub fn eval(&self, caller: &Caller, target: Option<&Target<'_>>) -> bool {
        let on = |e: Entity| target.filter(|t| t.kind == e);
        match *self {
            Expr::Role(r) => {
                caller.roles.iter().any(|have| have == r) && target.is_none_or(|t| t.project_id == caller.project_id)
            }
            Expr::ProjectMatch(e) => on(e).is_some_and(|t| t.project_id == caller.project_id),
            Expr::Owner(e) => {
                on(e).is_some_and(|t| t.creator_id.is_some() && t.creator_id == caller.user_id.as_deref())
            }
            Expr::NotPrivate(e) => on(e).is_some_and(|t| t.project_access == Some(true)),
            Expr::Private(e) => on(e).is_some_and(|t| t.project_access == Some(false)),
            Expr::AclRead(e) => {
                on(e).is_some_and(|t| caller.user_id.as_ref().is_some_and(|u| t.read_users.iter().any(|r| r == u)))
            }
            Expr::Rule(_, inner) => inner.eval(caller, target),
            Expr::And(all) => all.iter().all(|x| x.eval(caller, target)),
            Expr::Or(any) => any.iter().any(|x| x.eval(caller, target)),
            Expr::Not(x) => !x.eval(caller, target),
        }
    }

    /// The check string, as Barbican writes it.
    pub fn render(&self) -> String {
        self.render_in(false)
    }

    fn render_in(&self, nested: bool) -> String {
        let join = |xs: &[Expr], sep: &str| {
            let s = xs.iter().map(|x| x.render_in(true)).collect::<Vec<_>>().join(sep);
            if nested && xs.len() > 1 { format!("({s})") } else { s }
        };
        match *self {
            Expr::Role(r) => format!("role:{r}"),
            Expr::ProjectMatch(e) => format!("project_id:%(target.{}.project_id)s", e.key()),
            Expr::Owner(e) => format!("user_id:%(target.{}.creator_id)s", e.key()),
            Expr::NotPrivate(e) => format!("True:%(target.{}.read_project_access)s", e.key()),
            Expr::Private(e) => format!("'False':%(target.{}.read_project_access)s", e.key()),
            Expr::AclRead(e) => format!("'read':%(target.{}.read)s", e.key()),
            Expr::Rule(name, _) => format!("rule:{name}"),
            Expr::And(xs) => join(xs, " and "),
            Expr::Or(xs) => join(xs, " or "),
            Expr::Not(x) => format!("not {}", x.render_in(true)),
        }
    }
}

impl Caller {
    /// The rule `action` has for this caller (current defaults or legacy).
    fn rule(&self, action: Action) -> &'static Expr {
        let entry = table::entry(action);
        if self.enforce_new_defaults { entry.new } else { entry.legacy }
    }

    /// Whether the policy lets the caller do `action` on `target` (`None` for collection rules).
    pub fn allowed(&self, action: Action, target: Option<&Target<'_>>) -> bool {
        self.rule(action).eval(self, target)
    }

    /// Allows or refuses `action` on `target` (`None` for collection-level rules): 404 for another
    /// project's resource (see the module docs), 403 with Barbican's wording otherwise.
    pub fn authorize(&self, action: Action, target: Option<&Target<'_>>) -> Result<(), ApiError> {
        self.authorize_as(action, target, action.operation())
    }

    /// [`Caller::authorize`], naming the operation in the 403 as the handler's own (Barbican words
    /// the refusal per handler: `PUT .../metadata/{key}` is a "Secret metadatum update" checked
    /// with `secret_meta:put`).
    pub fn authorize_as(&self, action: Action, target: Option<&Target<'_>>, operation: &str) -> Result<(), ApiError> {
        if self.allowed(action, target) {
            return Ok(());
        }
        tracing::info!(rule = action.name(), "refused by policy");
        match target {
            Some(t) if t.project_id != self.project_id => Err(t.kind.not_found()),
            _ => Err(ApiError::Forbidden(format!(
                "{operation} attempt not allowed - please review your user/project privileges"
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
