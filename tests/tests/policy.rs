//! The policy, endpoint by endpoint and role by role: a table of expected statuses, walked on a
//! server under Barbican's current defaults and on one under its legacy roles
//! (`PORTCULLIS_ENFORCE_NEW_DEFAULTS=false`). Callers are noauth headers (`X-Project-Id`,
//! `X-User-Id`, `X-Roles`).
//!
//! Fixtures (a secret with payload, metadata, a consumer and a read ACL naming `u-acl`, a secret
//! without payload, a container with a consumer and the same ACL, an order) belong to project P
//! and were made by `u-owner`. GETs share one fixture set; every other case gets a fresh one, so
//! each case starts from the same state. A refusal in P is 403 with Barbican's wording; on
//! another project's resource it is 404.

use portcullis_tests::*;

/// A caller: column name, project (`P` or another), user, roles.
struct Role {
    name: &'static str,
    own_project: bool,
    user: &'static str,
    roles: &'static str,
}

const NEW_ROLES: &[Role] = &[
    Role { name: "admin", own_project: true, user: "u-admin", roles: "admin,member,reader" },
    Role { name: "owner", own_project: true, user: "u-owner", roles: "member,reader" },
    Role { name: "member", own_project: true, user: "u-other", roles: "member,reader" },
    Role { name: "reader", own_project: true, user: "u-reader", roles: "reader" },
    Role { name: "no-role", own_project: true, user: "u-guest", roles: "guest" },
    Role { name: "foreign-admin", own_project: false, user: "u-foreign", roles: "admin,member,reader" },
    Role { name: "acl-user", own_project: false, user: "u-acl", roles: "member,reader" },
];

const LEGACY_ROLES: &[Role] = &[
    Role { name: "admin", own_project: true, user: "u-admin", roles: "admin" },
    Role { name: "creator-owner", own_project: true, user: "u-owner", roles: "creator" },
    Role { name: "creator", own_project: true, user: "u-other", roles: "creator" },
    Role { name: "observer", own_project: true, user: "u-observer", roles: "observer" },
    Role { name: "audit", own_project: true, user: "u-audit", roles: "audit" },
    Role { name: "service-admin", own_project: true, user: "u-svc", roles: "key-manager:service-admin" },
    Role { name: "foreign-admin", own_project: false, user: "u-foreign", roles: "admin" },
    Role { name: "acl-user", own_project: false, user: "u-acl", roles: "observer" },
];

/// One endpoint: method, path (`{s}` secret, `{p}` secret without payload, `{c}` container,
/// `{o}` order, `{ca}` the CA, `{sc}`/`{cc}` consumer ids, `{tk}` a transport key, `{r}` a
/// project with quotas set, `{st}` a secret store, `{x}` an unknown id), body, and the expected
/// status per role column.
type Case = (&'static str, &'static str, Option<Value>, &'static str);

fn cases(legacy: bool) -> Vec<Case> {
    let secret = || Some(json!({"name": "n", "payload": "p", "payload_content_type": "text/plain"}));
    let consumer = || Some(json!({"service": "svc", "resource_type": "rt", "resource_id": "r1"}));
    let ccons = || Some(json!({"name": "cons", "URL": "http://consumer"}));
    let acl = || Some(json!({"read": {"users": ["u-x"]}}));
    let order = || {
        Some(json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 256, "mode": "cbc",
            "payload_content_type": "application/octet-stream"}}))
    };
    let link = || Some(json!({"name": "extra", "secret_ref": "{s}"}));
    let unlink = || Some(json!({"name": "s", "secret_ref": "{s}"}));
    // Columns: new → admin owner member reader no-role foreign-admin acl-user;
    // legacy → admin creator-owner creator observer audit service-admin foreign-admin acl-user.
    let pick = |n: &'static str, l: &'static str| if legacy { l } else { n };
    vec![
        ("GET", "/v1/secrets", None, pick("200 200 200 403 403 200 200", "200 200 200 200 403 403 200 200")),
        ("POST", "/v1/secrets", secret(), pick("201 201 201 403 403 201 201", "201 201 201 403 403 403 201 403")),
        ("GET", "{s}", None, pick("200 200 200 403 403 404 200", "200 200 200 200 200 200 404 200")),
        ("GET text/plain", "{s}", None, pick("200 200 200 403 403 404 200", "200 200 200 200 403 403 404 200")),
        ("GET", "{s}/payload", None, pick("200 200 200 403 403 404 200", "200 200 200 200 403 403 404 200")),
        ("PUT text/plain", "{p}", None, pick("204 204 204 403 403 404 404", "204 204 204 403 403 403 404 404")),
        ("DELETE", "{s}", None, pick("204 204 204 403 403 404 404", "204 204 204 403 403 403 404 404")),
        ("GET", "{s}/metadata", None, pick("200 200 200 403 403 404 200", "200 200 200 200 200 200 404 200")),
        (
            "PUT",
            "{s}/metadata",
            Some(json!({"metadata": {"a": "b"}})),
            pick("201 201 201 403 403 404 404", "201 201 201 403 403 403 404 404"),
        ),
        (
            "POST",
            "{s}/metadata",
            Some(json!({"key": "k2", "value": "v"})),
            pick("201 201 201 403 403 404 404", "201 201 201 403 403 403 404 404"),
        ),
        ("GET", "{s}/metadata/k1", None, pick("200 200 200 403 403 404 200", "200 200 200 200 200 200 404 200")),
        (
            "PUT",
            "{s}/metadata/k1",
            Some(json!({"key": "k1", "value": "v2"})),
            pick("200 200 200 403 403 404 404", "200 200 200 403 403 403 404 404"),
        ),
        ("DELETE", "{s}/metadata/k1", None, pick("204 204 204 403 403 404 404", "204 204 204 403 403 403 404 404")),
        ("GET", "{s}/consumers", None, pick("200 200 200 403 403 404 200", "200 200 200 200 200 200 404 200")),
        ("GET", "{s}/consumers/{sc}", None, pick("200 200 200 403 403 404 200", "200 200 200 200 200 200 404 200")),
        ("POST", "{s}/consumers", consumer(), pick("200 200 200 403 403 404 200", "200 200 200 200 200 200 404 200")),
        // The ACL user's project owns neither the consumer nor the secret (nor, below, the
        // container): Barbican's 403.
        ("DELETE", "{s}/consumers", consumer(), pick("200 200 200 403 403 404 403", "200 200 200 200 200 200 404 403")),
        // The ACL endpoints' target has no ACL data: the owner and the admin only (legacy: roles).
        ("GET", "{s}/acl", None, pick("200 200 403 403 403 404 404", "200 200 200 200 403 403 404 404")),
        ("PUT", "{s}/acl", acl(), pick("200 200 403 403 403 404 404", "200 200 200 403 403 403 404 404")),
        ("PATCH", "{s}/acl", acl(), pick("200 200 403 403 403 404 404", "200 200 200 403 403 403 404 404")),
        ("DELETE", "{s}/acl", None, pick("200 200 403 403 403 404 404", "200 200 200 403 403 403 404 404")),
        ("GET", "/v1/containers", None, pick("200 200 200 403 403 200 200", "200 200 200 200 403 403 200 200")),
        (
            "POST",
            "/v1/containers",
            Some(json!({"type": "generic", "name": "c2"})),
            pick("201 201 201 403 403 201 201", "201 201 201 403 403 403 201 403"),
        ),
        ("GET", "{c}", None, pick("200 200 200 403 403 404 200", "200 200 200 200 200 200 404 200")),
        ("DELETE", "{c}", None, pick("204 204 204 403 403 404 404", "204 204 403 403 403 403 404 404")),
        ("POST", "{c}/secrets", link(), pick("201 201 201 403 403 404 404", "201 201 201 403 403 403 404 404")),
        ("DELETE", "{c}/secrets", unlink(), pick("204 204 204 403 403 404 404", "204 204 204 403 403 403 404 404")),
        ("GET", "{c}/consumers", None, pick("200 200 200 403 403 404 200", "200 200 200 200 200 200 404 200")),
        ("GET", "{c}/consumers/{cc}", None, pick("200 200 200 403 403 404 200", "200 200 200 200 200 200 404 200")),
        ("POST", "{c}/consumers", ccons(), pick("200 200 200 403 403 404 200", "200 200 200 200 200 200 404 200")),
        ("DELETE", "{c}/consumers", ccons(), pick("200 200 200 403 403 404 403", "200 200 200 200 200 200 404 403")),
        ("GET", "{c}/acl", None, pick("200 200 403 403 403 404 404", "200 200 200 200 403 403 404 404")),
        ("PUT", "{c}/acl", acl(), pick("200 200 403 403 403 404 404", "200 200 200 403 403 403 404 404")),
        ("PATCH", "{c}/acl", acl(), pick("200 200 403 403 403 404 404", "200 200 200 403 403 403 404 404")),
        ("DELETE", "{c}/acl", None, pick("200 200 403 403 403 404 404", "200 200 200 403 403 403 404 404")),
        ("GET", "/v1/orders", None, pick("200 200 200 403 403 200 200", "200 200 200 200 403 403 200 200")),
        ("POST", "/v1/orders", order(), pick("202 202 202 403 403 202 202", "202 202 202 403 403 403 202 403")),
        ("PUT", "/v1/orders", order(), pick("405 405 405 403 403 405 405", "405 405 405 403 403 403 405 403")),
        ("GET", "{o}", None, pick("200 200 200 403 403 404 404", "200 200 200 200 200 200 404 404")),
        ("DELETE", "{o}", None, pick("204 204 204 403 403 404 404", "204 403 403 403 403 403 404 404")),
        ("GET", "/v1/cas", None, pick("200 200 200 200 403 200 200", "200 200 200 200 200 200 200 200")),
        ("GET", "{ca}", None, pick("200 200 200 200 403 200 200", "200 200 200 200 200 200 200 200")),
        ("GET", "{ca}/cacert", None, pick("200 200 200 200 403 200 200", "200 200 200 200 200 200 200 200")),
        ("GET", "{ca}/intermediates", None, pick("200 200 200 200 403 200 200", "200 200 200 200 200 200 200 200")),
        // Operator endpoints: any project's admin (they span projects).
        (
            "GET",
            "/v1/admin/certificate-requests",
            None,
            pick("200 403 403 403 403 200 403", "200 403 403 403 403 403 200 403"),
        ),
        (
            "POST",
            "/v1/admin/certificate-requests/{x}/approve",
            None,
            pick("404 403 403 403 403 404 403", "404 403 403 403 403 403 404 403"),
        ),
        (
            "POST",
            "/v1/admin/certificate-requests/{x}/reject",
            None,
            pick("404 403 403 403 403 404 403", "404 403 403 403 403 403 404 403"),
        ),
        ("GET", "/v1/admin/jobs", None, pick("200 403 403 403 403 200 403", "200 403 403 403 403 403 200 403")),
        ("GET", "/v1/admin/jobs/{x}", None, pick("404 403 403 403 403 404 403", "404 403 403 403 403 403 404 403")),
        (
            "POST",
            "/v1/admin/jobs/{x}/retry",
            None,
            pick("404 403 403 403 403 404 403", "404 403 403 403 403 403 404 403"),
        ),
        (
            "POST",
            "/v1/admin/jobs/{x}/cancel",
            None,
            pick("404 403 403 403 403 404 403", "404 403 403 403 403 403 404 403"),
        ),
        ("DELETE", "/v1/admin/jobs/{x}", None, pick("404 403 403 403 403 404 403", "404 403 403 403 403 403 404 403")),
        ("GET", "/dashboard", None, pick("200 403 403 403 403 200 403", "200 403 403 403 403 403 200 403")),
        // Resources of no project (quotas of the caller's own, transport keys): readers read;
        // settings are for any project's admin (legacy: the service admin).
        ("GET", "/v1/quotas", None, pick(READERS, L_ALL_USERS)),
        ("GET", "/v1/project-quotas", None, pick(ADMINS_200, L_SERVICE_ADMIN_200)),
        ("GET", "/v1/project-quotas/{r}", None, pick(ADMINS_200, L_SERVICE_ADMIN_200)),
        (
            "PUT",
            "/v1/project-quotas/{r}",
            Some(json!({"project_quotas": {"secrets": 50}})),
            pick(ADMINS_204, L_SERVICE_ADMIN_204),
        ),
        ("DELETE", "/v1/project-quotas/{r}", None, pick(ADMINS_204, L_SERVICE_ADMIN_204)),
        ("GET", "/v1/audit-events", None, pick("200 403 403 403 403 200 403", "200 403 403 403 200 403 200 403")),
        ("GET", "/v1/transport_keys", None, pick(READERS, L_ALL_USERS)),
        (
            "POST",
            "/v1/transport_keys",
            Some(json!({"plugin_name": "p", "transport_key": PEM})),
            pick("201 403 403 403 403 201 403", "403 403 403 403 403 201 403 403"),
        ),
        ("GET", "{tk}", None, pick(READERS, L_ALL_USERS)),
        ("DELETE", "{tk}", None, pick(ADMINS_204, L_SERVICE_ADMIN_204)),
    ]
}

// Recurring columns of the project-less rows.
const READERS: &str = "200 200 200 200 403 200 200";
const ADMINS_200: &str = "200 403 403 403 403 200 403";
const ADMINS_204: &str = "204 403 403 403 403 204 403";
const L_ALL_USERS: &str = "200 200 200 200 200 200 200 200";
const L_SERVICE_ADMIN_200: &str = "403 403 403 403 403 200 403 403";
const L_SERVICE_ADMIN_204: &str = "403 403 403 403 403 204 403 403";
const PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----";
const UNKNOWN_ID: &str = "62daf826-03ac-4150-a0c1-c26191455671";

/// The secret-store rows, walked on a server with two stores (`{st}`: the second); P and Q have
/// a preferred store, so `GET .../preferred` and `DELETE {st}/preferred` find one.
fn store_cases(legacy: bool) -> Vec<Case> {
    let pick = |n: &'static str, l: &'static str| if legacy { l } else { n };
    let admins = pick(ADMINS_204, "204 403 403 403 403 403 204 403");
    vec![
        ("GET", "/v1/secret-stores", None, pick(READERS, L_ALL_USERS)),
        ("GET", "{st}", None, pick(READERS, L_ALL_USERS)),
        ("GET", "/v1/secret-stores/global-default", None, pick(READERS, L_ALL_USERS)),
        ("GET", "/v1/secret-stores/preferred", None, pick(READERS, L_ALL_USERS)),
        ("POST", "{st}/preferred", None, admins),
        ("DELETE", "{st}/preferred", None, admins),
    ]
}

/// What a fixture set's placeholders stand for.
struct Fixtures {
    vars: Vec<(&'static str, String)>,
}

impl Fixtures {
    fn fill(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (k, v) in &self.vars {
            out = out.replace(k, v);
        }
        out
    }
}

/// Creates the fixtures of project P as `u-owner` (`roles`: the owner's roles in this mode).
/// `ids`: also look up the consumer ids and the CA (only GET cases use them).
async fn fixtures(server: &TestServer, storage: &Storage, p: &str, roles: &str, private: bool, ids: bool) -> Fixtures {
    let owner = server.client(p).with_header("X-User-Id", "u-owner").with_header("X-Roles", roles);
    let s = owner.create_text_secret("s", "payload").await;
    let r = owner.post_json("/v1/secrets", &json!({"name": "plain"})).await.expect(201);
    let plain = r.json()["secret_ref"].as_str().unwrap().to_owned();
    owner.put_json(&format!("{s}/metadata"), &json!({"metadata": {"k1": "v1"}})).await.expect(201);
    let consumer = json!({"service": "svc", "resource_type": "rt", "resource_id": "r1"});
    owner.post_json(&format!("{s}/consumers"), &consumer).await.expect(200);
    let body = json!({"type": "generic", "name": "c", "secret_refs": [{"name": "s", "secret_ref": s}]});
    let c =
        owner.post_json("/v1/containers", &body).await.expect(201).json()["container_ref"].as_str().unwrap().to_owned();
    owner.post_json(&format!("{c}/consumers"), &json!({"name": "cons", "URL": "http://consumer"})).await.expect(200);
    let acl = json!({"read": {"users": ["u-acl"], "project-access": !private}});
    for r in [&s, &c] {
        owner.put_json(&format!("{r}/acl"), &acl).await.expect(200);
    }
    let order = json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 256, "mode": "cbc"}});
    let o = owner.post_json("/v1/orders", &order).await.expect(202).json()["order_ref"].as_str().unwrap().to_owned();
    let mut vars = vec![("{x}", UNKNOWN_ID.to_owned())];
    if ids {
        let admin = server.client(p).with_header("X-Roles", "admin");
        let ca = admin.get("/v1/cas").await.expect(200).json()["cas"][0].as_str().unwrap().to_owned();
        let sc = db_id(storage, "SELECT id FROM secret_consumers WHERE secret_id = $1", &id_of(&s)).await;
        let cc = db_id(storage, "SELECT id FROM container_consumers WHERE container_id = $1", &id_of(&c)).await;
        vars.extend([("{ca}", ca), ("{sc}", sc), ("{cc}", cc)]);
    }
    vars.extend([("{s}", s), ("{p}", plain), ("{c}", c), ("{o}", o)]);
    Fixtures { vars }
}

async fn db_id(storage: &Storage, sql: &'static str, id: &str) -> String {
    use sqlx::Connection;
    let id = uuid::Uuid::parse_str(id).unwrap();
    let url = storage.database_url();
    let found: uuid::Uuid = match storage.backend {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open sqlite");
            sqlx::query_scalar(sql).bind(id).fetch_one(&mut c).await.expect("id")
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&url).await.expect("open postgres");
            sqlx::query_scalar(sql).bind(id).fetch_one(&mut c).await.expect("id")
        }
    };
    found.to_string()
}

/// Sends one case as `role` and returns the status and body.
async fn send(server: &TestServer, fx: &Fixtures, p: &str, q: &str, role: &Role, case: &Case) -> Resp {
    let (verb, path, body, _) = case;
    let project = if role.own_project { p } else { q };
    let c = server.client(project).with_header("X-User-Id", role.user).with_header("X-Roles", role.roles);
    let path = fx.fill(path);
    let (method, content) = match *verb {
        "GET text/plain" => return c.send(Method::GET, &path, None, &[("Accept", "text/plain")]).await,
        "PUT text/plain" => {
            return c.send(Method::PUT, &path, Some(b"data".to_vec()), &[("Content-Type", "text/plain")]).await;
        }
        m => (Method::from_bytes(m.as_bytes()).unwrap(), body.as_ref().map(|b| fx.fill(&b.to_string()))),
    };
    match content {
        Some(b) => c.send(method, &path, Some(b.into_bytes()), &[("Content-Type", "application/json")]).await,
        None => c.send(method, &path, None, &[]).await,
    }
}

/// An operator of `project` for fixtures: admin under both policies.
fn operator(server: &TestServer, project: &str) -> Client {
    server.client(project).with_header("X-User-Id", "u-setup").with_header("X-Roles", "admin,key-manager:service-admin")
}

/// Adds a fresh transport key (`{tk}`) and a project with quotas set (`{r}`).
async fn operator_fixtures(server: &TestServer, p: &str, fx: &mut Fixtures, tk: bool, r: bool) {
    let op = operator(server, p);
    if tk {
        let body = json!({"plugin_name": "p", "transport_key": PEM});
        let r = op.post_json("/v1/transport_keys", &body).await.expect(201);
        fx.vars.push(("{tk}", r.json()["transport_key_ref"].as_str().unwrap().to_owned()));
    }
    if r {
        let other = project();
        let body = json!({"project_quotas": {"secrets": 10}});
        op.put_json(&format!("/v1/project-quotas/{other}"), &body).await.expect(204);
        fx.vars.push(("{r}", other));
    }
}

/// A server walked for one policy: `stores` configures two secret stores (for [`store_cases`]).
struct Walk {
    server: TestServer,
    storage: Storage,
    p: String,
    q: String,
    owner_roles: &'static str,
    stores: bool,
}

impl Walk {
    async fn start(backend: Backend, legacy: bool, stores: bool) -> Walk {
        let storage = Storage::new(backend).await;
        let mut env: Vec<(&str, String)> = Vec::new();
        if legacy {
            env.push(("PORTCULLIS_ENFORCE_NEW_DEFAULTS", "false".into()));
        }
        if stores {
            env.push(("PORTCULLIS_CONFIG", two_stores(&storage)));
        }
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let server = TestServer::start_on(&storage, &env);
        let owner_roles = if legacy { "creator" } else { "member,reader" };
        Walk { server, storage, p: project(), q: project(), owner_roles, stores }
    }

    /// The fixtures for `case`, or the shared ones GETs read (`None`). A write gets fresh ones,
    /// and only those its placeholders name.
    async fn fixtures(&self, case: Option<&Case>) -> Fixtures {
        let uses =
            |k: &str| case.is_none_or(|c| c.1.contains(k) || c.2.as_ref().is_some_and(|b| b.to_string().contains(k)));
        if self.stores {
            return self.store_fixtures().await;
        }
        let mut fx = if ["{s}", "{p}", "{c}", "{o}"].into_iter().any(uses) {
            fixtures(&self.server, &self.storage, &self.p, self.owner_roles, false, case.is_none()).await
        } else {
            Fixtures { vars: vec![("{x}", UNKNOWN_ID.to_owned())] }
        };
        operator_fixtures(&self.server, &self.p, &mut fx, uses("{tk}"), uses("{r}")).await;
        fx
    }

    /// `{st}` (the second store), made the preferred store of P and of Q.
    async fn store_fixtures(&self) -> Fixtures {
        let list = operator(&self.server, &self.p).get("/v1/secret-stores").await.expect(200).json();
        let st = list["secret_stores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "secondary")
            .and_then(|s| s["secret_store_ref"].as_str())
            .unwrap()
            .to_owned();
        for project in [&self.p, &self.q] {
            let op = operator(&self.server, project);
            op.send(Method::POST, &format!("{st}/preferred"), None, &[]).await.expect(204);
        }
        Fixtures { vars: vec![("{st}", st)] }
    }

    /// Sends every case as every role; returns how many were checked, failures into `failures`.
    async fn run(&self, cases: &[Case], roles: &[Role], failures: &mut Vec<String>) -> usize {
        let shared = self.fixtures(None).await;
        let mut checked = 0;
        for case in cases {
            let expected: Vec<u16> = case.3.split(' ').map(|s| s.parse().unwrap()).collect();
            assert_eq!(expected.len(), roles.len(), "{} {}", case.0, case.1);
            for (role, want) in roles.iter().zip(expected) {
                let fresh;
                let fx = if case.0.starts_with("GET") {
                    &shared
                } else {
                    fresh = self.fixtures(Some(case)).await;
                    &fresh
                };
                let r = send(&self.server, fx, &self.p, &self.q, role, case).await;
                checked += 1;
                if r.status.as_u16() != want {
                    let (verb, path, name) = (case.0, case.1, role.name);
                    failures.push(format!("{verb} {path} as {name}: {} (want {want}) {}", r.status, r.text()));
                } else if want == 403 && !case.1.contains("consumers") {
                    let d = r.json()["description"].as_str().unwrap_or_default().to_owned();
                    assert!(d.ends_with("attempt not allowed - please review your user/project privileges"), "{d}");
                }
            }
        }
        checked
    }
}

/// Walks every case for every role, the store rows on their own server; returns how many were
/// checked.
async fn walk(backend: Backend, legacy: bool) -> usize {
    let roles = if legacy { LEGACY_ROLES } else { NEW_ROLES };
    let mut failures = Vec::new();
    let main = Walk::start(backend, legacy, false).await;
    let mut checked = main.run(&cases(legacy), roles, &mut failures).await;
    let stores = Walk::start(backend, legacy, true).await;
    checked += stores.run(&store_cases(legacy), roles, &mut failures).await;
    assert!(failures.is_empty(), "{} of {checked} cases failed:\n{}", failures.len(), failures.join("\n"));
    checked
}

/// Endpoints walked: 63 on the default server, 6 on the one with two secret stores.
const ENDPOINTS: usize = 69;

both_backends!(every_endpoint_by_role_new_defaults, |backend| async move {
    let n = walk(backend, false).await;
    println!("policy: {n} endpoint × role cases checked (current defaults)");
    assert_eq!(cases(false).len() + store_cases(false).len(), ENDPOINTS);
    assert_eq!(n, ENDPOINTS * NEW_ROLES.len());
});

both_backends!(every_endpoint_by_role_legacy, |backend| async move {
    let n = walk(backend, true).await;
    println!("policy: {n} endpoint × role cases checked (legacy roles)");
    assert_eq!(cases(true).len() + store_cases(true).len(), ENDPOINTS);
    assert_eq!(n, ENDPOINTS * LEGACY_ROLES.len());
});

both_backends!(private_resources_by_role, |backend| async move {
    // project-access false: the owner, the project admin and the ACL's users keep access; the
    // rest of the project gets 403.
    let storage = Storage::new(backend).await;
    let server = TestServer::start_on(&storage, &[]);
    let (p, q) = (project(), project());
    let fx = fixtures(&server, &storage, &p, "member,reader", true, true).await;
    let private: Vec<Case> = vec![
        ("GET", "{s}", None, "200 200 403 403 403 404 200"),
        ("GET", "{s}/payload", None, "200 200 403 403 403 404 200"),
        ("GET", "{s}/metadata", None, "200 200 403 403 403 404 200"),
        ("GET", "{c}", None, "200 200 403 403 403 404 200"),
        ("GET", "{c}/consumers", None, "200 200 403 403 403 404 200"),
    ];
    let mut checked = 0;
    for case in &private {
        for (role, want) in NEW_ROLES.iter().zip(case.3.split(' ')) {
            let r = send(&server, &fx, &p, &q, role, case).await;
            assert_eq!(r.status.as_u16().to_string(), want, "{} {} as {}: {}", case.0, case.1, role.name, r.text());
            checked += 1;
        }
    }
    // Writes by another member are refused too, and change nothing.
    let member = server.client(&p).with_header("X-User-Id", "u-other").with_header("X-Roles", "member,reader");
    let s = fx.fill("{s}");
    member
        .delete(&s)
        .await
        .expect_error(403, "Secret deletion attempt not allowed - please review your user/project privileges");
    let owner = server.client(&p).with_header("X-User-Id", "u-owner").with_header("X-Roles", "member,reader");
    owner.get(&s).await.expect(200);
    println!("policy: {checked} private-resource cases checked");
});

both_backends!(policy_before_body, |backend| async move {
    // Barbican enforces the policy before it reads the body: a refused caller gets 403 (its
    // project) or 404 (another's) whatever it sends, never 400 or 415.
    let (server, storage) = start(backend).await;
    let (p, q) = (project(), project());
    let fx = fixtures(&server, &storage, &p, "member,reader", false, false).await;
    let as_role = |project: &str, roles: &str| {
        server.client(project).with_header("X-User-Id", "u-x").with_header("X-Roles", roles)
    };
    let (reader, stranger, member) =
        (as_role(&p, "reader"), as_role(&q, "member,reader"), as_role(&p, "member,reader"));
    let writes = [
        (Method::POST, "/v1/secrets"),
        (Method::POST, "/v1/containers"),
        (Method::POST, "/v1/orders"),
        (Method::POST, "{s}/metadata"),
        (Method::PUT, "{s}/metadata"),
        (Method::PUT, "{s}/metadata/k1"),
        (Method::POST, "{s}/consumers"),
        (Method::DELETE, "{s}/consumers"),
        (Method::POST, "{c}/consumers"),
    ];
    for (method, path) in writes {
        let path = fx.fill(path);
        // A collection's create is in the caller's own project; the others name P's resources.
        let collection = path.starts_with("/v1/");
        for content_type in ["application/json", "text/plain"] {
            let what = format!("{method} {path} ({content_type})");
            let body = Some(b"{not json".to_vec());
            let headers = [("Content-Type", content_type)];
            let send = async |c: &Client| c.send(method.clone(), &path, body.clone(), &headers).await;
            let r = send(&reader).await;
            assert_eq!(r.status, 403, "{what} as reader: {}", r.text());
            if !collection {
                let r = send(&stranger).await;
                assert_eq!(r.status, 404, "{what} as another project: {}", r.text());
            }
            // A caller the policy lets through meets the body's errors.
            let want = if content_type == "text/plain" { 415 } else { 400 };
            assert_eq!(send(&member).await.status, want, "{what} as member");
        }
    }
});
