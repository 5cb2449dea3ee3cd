//! Unit tests of the policy engine and table. `cargo test -p portcullis-api policy -- --nocapture`
//! prints the table as markdown.

use super::*;

fn caller(project: &str, user: Option<&str>, roles: &str, new: bool) -> Caller {
    Caller {
        project_id: project.into(),
        user_id: user.map(Into::into),
        roles: roles.split(',').filter(|r| !r.is_empty()).map(Into::into).collect(),
        enforce_new_defaults: new,
    }
}

const MEMBER: &str = "admin,member,reader";

#[test]
fn prints_the_table() {
    let md = table::markdown();
    println!("{md}");
    assert!(md.contains(
        "| `secret:decrypt` | `rule:secret_project_admin or (rule:secret_project_member and rule:secret_owner)"
    ));
    assert!(md.contains(
        "| `all_users` | `rule:admin or rule:observer or rule:creator or rule:audit or rule:service_admin` |"
    ));
    assert_eq!(md.lines().filter(|l| l.starts_with("| `")).count(), Action::ALL.len() + table::BASE_RULES.len());
}

#[test]
fn every_action_has_a_distinct_name() {
    let mut names: Vec<_> = Action::ALL.iter().map(|a| a.name()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), Action::ALL.len());
}

#[test]
fn new_defaults_on_secrets() {
    let users = vec!["u-acl".to_owned()];
    let open = Target::with_acl(Entity::Secret, "p1", Some("u-owner"), None);
    let private = Target::with_acl(Entity::Secret, "p1", Some("u-owner"), Some((&users, false)));
    let member = caller("p1", Some("u-other"), "member,reader", true);
    let owner = caller("p1", Some("u-owner"), "member,reader", true);
    let admin = caller("p1", Some("u-admin"), MEMBER, true);
    let reader = caller("p1", Some("u-r"), "reader", true);
    let acl_user = caller("p2", Some("u-acl"), "", true);
    let foreign_admin = caller("p2", Some("u-x"), MEMBER, true);

    assert!(member.allowed(Action::SecretDecrypt, Some(&open)));
    assert!(!member.allowed(Action::SecretDecrypt, Some(&private)));
    assert!(owner.allowed(Action::SecretDecrypt, Some(&private)));
    assert!(admin.allowed(Action::SecretDelete, Some(&private)));
    assert!(!reader.allowed(Action::SecretGet, Some(&open)));
    assert!(!reader.allowed(Action::SecretsGet, None));
    assert!(acl_user.allowed(Action::SecretDecrypt, Some(&private)));
    assert!(!acl_user.allowed(Action::SecretPut, Some(&private)));
    // Roles are project-scoped: another project's admin is nobody here.
    assert!(!foreign_admin.allowed(Action::SecretGet, Some(&open)));
    assert!(!foreign_admin.allowed(Action::SecretDelete, Some(&open)));

    // Refusals: 403 in the project, 404 outside it.
    let e = member.authorize(Action::SecretDecrypt, Some(&private)).unwrap_err();
    assert_eq!(e.status(), 403);
    assert_eq!(
        e.to_string(),
        "forbidden: Secret payload retrieval attempt not allowed - please review your user/project privileges"
    );
    assert_eq!(foreign_admin.authorize(Action::SecretGet, Some(&open)).unwrap_err().status(), 404);
}

#[test]
fn acl_endpoints_carry_no_acl_data() {
    // As in Barbican, the ACL endpoints' target has no `read_project_access`: only the project
    // admin and the owning member manage ACLs under the current defaults.
    let t = Target::bare(Entity::Secret, "p1", Some("u-owner"));
    assert!(!caller("p1", Some("u-other"), "member", true).allowed(Action::SecretAclsGet, Some(&t)));
    assert!(caller("p1", Some("u-owner"), "member", true).allowed(Action::SecretAclsGet, Some(&t)));
    assert!(caller("p1", None, "admin", true).allowed(Action::SecretAclsPutPatch, Some(&t)));
    // Legacy: any creator-role user of the project (`not secret_private_read` holds).
    assert!(caller("p1", Some("u-other"), "creator", false).allowed(Action::SecretAclsDelete, Some(&t)));
    assert!(caller("p1", Some("u-other"), "observer", false).allowed(Action::SecretAclsGet, Some(&t)));
    assert!(!caller("p1", Some("u-other"), "audit", false).allowed(Action::SecretAclsGet, Some(&t)));
}

#[test]
fn legacy_roles() {
    let open = Target::with_acl(Entity::Secret, "p1", Some("u-owner"), None);
    let audit = caller("p1", Some("a"), "audit", false);
    let observer = caller("p1", Some("o"), "observer", false);
    let creator = caller("p1", Some("c"), "creator", false);
    let service = caller("p1", Some("s"), "key-manager:service-admin", false);
    assert!(audit.allowed(Action::SecretGet, Some(&open)));
    assert!(!audit.allowed(Action::SecretDecrypt, Some(&open)));
    assert!(observer.allowed(Action::SecretDecrypt, Some(&open)));
    assert!(!observer.allowed(Action::SecretsPost, None));
    assert!(creator.allowed(Action::SecretsPost, None));
    // A creator deletes others' secrets only while they are not private.
    assert!(creator.allowed(Action::SecretDelete, Some(&open)));
    assert!(service.allowed(Action::ProjectQuotasPut, None));
    assert!(!service.allowed(Action::SecretsGet, None));
    assert!(audit.allowed(Action::AuditEventsGet, None));
    // The current defaults' member role means nothing under the legacy policy.
    assert!(!caller("p1", Some("m"), "member", false).allowed(Action::SecretsGet, None));
}

#[test]
fn entity_terms_need_their_entity() {
    let order = Target::bare(Entity::Order, "p1", None);
    let c = caller("p1", Some("u"), "member", true);
    assert!(c.allowed(Action::OrderGet, Some(&order)));
    let secret = Target::with_acl(Entity::Secret, "p1", Some("u"), None);
    assert!(!c.allowed(Action::ContainerGet, Some(&secret)));
}
