//! The OpenAPI document (`GET /v1/openapi.json`) against the routes the server really serves, and
//! the API reference page (`/docs`).
//!
//! - The document lists exactly the routes of [`ROUTES`], a literal table of every route in
//!   `api/src/router.rs` and `api/src/dashboard/mod.rs`: a route added without its operation, or
//!   an operation without a route, fails the test until the table and the document agree.
//! - Every documented operation, called with admin credentials, reaches a handler: it gets
//!   neither the router's unmatched-route 404 nor its method-not-allowed 405.
//! - Every operation has an id, a summary and a success response; every `/v1` one declares its
//!   security.
//! - `/docs` loads its script and stylesheets from the server itself.

use std::collections::BTreeSet;

use portcullis_tests::*;

/// Every route the server answers, as (method, path template), except the exempt ones below.
const ROUTES: &[(&str, &str)] = &[
    // Version discovery and operations (router.rs: `open`, `ops_routes`).
    ("GET", "/"),
    ("GET", "/healthcheck"),
    ("GET", "/metrics"),
    ("GET", "/health/live"),
    ("GET", "/health/ready"),
    ("GET", "/v1"),
    // Secrets, their payload, ACLs, metadata and consumers.
    ("GET", "/v1/secrets"),
    ("POST", "/v1/secrets"),
    ("GET", "/v1/secrets/{id}"),
    ("PUT", "/v1/secrets/{id}"),
    ("DELETE", "/v1/secrets/{id}"),
    ("GET", "/v1/secrets/{id}/payload"),
    ("GET", "/v1/secrets/{id}/acl"),
    ("PUT", "/v1/secrets/{id}/acl"),
    ("PATCH", "/v1/secrets/{id}/acl"),
    ("DELETE", "/v1/secrets/{id}/acl"),
    ("GET", "/v1/secrets/{id}/metadata"),
    ("PUT", "/v1/secrets/{id}/metadata"),
    ("POST", "/v1/secrets/{id}/metadata"),
    ("GET", "/v1/secrets/{id}/metadata/{key}"),
    ("PUT", "/v1/secrets/{id}/metadata/{key}"),
    ("DELETE", "/v1/secrets/{id}/metadata/{key}"),
    ("GET", "/v1/secrets/{id}/consumers"),
    ("POST", "/v1/secrets/{id}/consumers"),
    ("DELETE", "/v1/secrets/{id}/consumers"),
    ("GET", "/v1/secrets/{id}/consumers/{consumer_id}"),
    // Containers, their ACLs, secrets and consumers.
    ("GET", "/v1/containers"),
    ("POST", "/v1/containers"),
    ("GET", "/v1/containers/{id}"),
    ("DELETE", "/v1/containers/{id}"),
    ("GET", "/v1/containers/{id}/acl"),
    ("PUT", "/v1/containers/{id}/acl"),
    ("PATCH", "/v1/containers/{id}/acl"),
    ("DELETE", "/v1/containers/{id}/acl"),
    ("POST", "/v1/containers/{id}/secrets"),
    ("DELETE", "/v1/containers/{id}/secrets"),
    ("GET", "/v1/containers/{id}/consumers"),
    ("POST", "/v1/containers/{id}/consumers"),
    ("DELETE", "/v1/containers/{id}/consumers"),
    ("GET", "/v1/containers/{id}/consumers/{consumer_id}"),
    // Orders (PUT is Barbican's "not supported" 405, documented as such).
    ("GET", "/v1/orders"),
    ("POST", "/v1/orders"),
    ("PUT", "/v1/orders"),
    ("GET", "/v1/orders/{id}"),
    ("DELETE", "/v1/orders/{id}"),
    // Certificate authorities and the requests they hold.
    ("GET", "/v1/cas"),
    ("GET", "/v1/cas/{id}"),
    ("GET", "/v1/cas/{id}/cacert"),
    ("GET", "/v1/cas/{id}/intermediates"),
    ("GET", "/v1/admin/certificate-requests"),
    ("POST", "/v1/admin/certificate-requests/{order_id}/approve"),
    ("POST", "/v1/admin/certificate-requests/{order_id}/reject"),
    // Jobs.
    ("GET", "/v1/admin/jobs"),
    ("GET", "/v1/admin/jobs/{id}"),
    ("DELETE", "/v1/admin/jobs/{id}"),
    ("POST", "/v1/admin/jobs/{id}/retry"),
    ("POST", "/v1/admin/jobs/{id}/cancel"),
    // Quotas, audit, secret stores, transport keys.
    ("GET", "/v1/quotas"),
    ("GET", "/v1/project-quotas"),
    ("GET", "/v1/project-quotas/{project_id}"),
    ("PUT", "/v1/project-quotas/{project_id}"),
    ("DELETE", "/v1/project-quotas/{project_id}"),
    ("GET", "/v1/audit-events"),
    ("GET", "/v1/secret-stores"),
    ("GET", "/v1/secret-stores/global-default"),
    ("GET", "/v1/secret-stores/preferred"),
    ("GET", "/v1/secret-stores/{id}"),
    ("POST", "/v1/secret-stores/{id}/preferred"),
    ("DELETE", "/v1/secret-stores/{id}/preferred"),
    ("GET", "/v1/transport_keys"),
    ("POST", "/v1/transport_keys"),
    ("GET", "/v1/transport_keys/{id}"),
    ("DELETE", "/v1/transport_keys/{id}"),
    // Exempt, served but not documented as operations, because they are files and pages rather
    // than API operations:
    // - `GET /v1/openapi.json` (the document itself), `GET /docs` and `GET /docs/{*file}` (Swagger
    //   UI's page and files);
    // - `GET /dashboard`, `/dashboard/{*path}`, `/dashboard/assets/{file}` and the board's own
    //   JSON API under `/dashboard/api/v1` (apalis's UI, served as shipped).
];

/// The one operation whose only answer is a 405: Barbican's deliberate "Order update is not
/// supported.".
const DELIBERATE_405: (&str, &str) = ("PUT", "/v1/orders");

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// The (method, path) of every operation in the document, and the operations themselves.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let paths = doc["paths"].as_object().expect("paths");
    let mut ops = Vec::new();
    for (path, item) in paths {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                ops.push((m.to_uppercase(), path.clone(), op.clone()));
            }
        }
        let extra: Vec<&String> = item
            .as_object()
            .expect("path item")
            .keys()
            .filter(|k| !METHODS.contains(&k.as_str()) && *k != "parameters")
            .collect();
        assert!(extra.is_empty(), "{path}: operations of methods the route table has none of: {extra:?}");
    }
    ops
}

both_backends!(document_lists_every_route_and_only_those, |backend| async move {
    let (server, _storage) = start(backend).await;
    // Without credentials.
    let doc = server.anonymous().get("/v1/openapi.json").await.expect(200).json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")), "openapi: {}", doc["openapi"]);

    let documented: BTreeSet<(String, String)> = operations(&doc).into_iter().map(|(m, p, _)| (m, p)).collect();
    let expected: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(expected.len(), ROUTES.len(), "ROUTES lists a route twice");
    let missing: Vec<_> = expected.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the document and the router's routes differ\n  served but not documented: {missing:?}\n  \
         documented but not in the route table: {extra:?}"
    );
});

both_backends!(every_operation_is_described, |backend| async move {
    let (server, _storage) = start(backend).await;
    let doc = server.anonymous().get("/v1/openapi.json").await.expect(200).json();
    let schemes = doc["components"]["securitySchemes"].as_object().cloned().unwrap_or_default();
    let mut ids = BTreeSet::new();
    let mut problems = Vec::new();
    for (method, path, op) in operations(&doc) {
        let at = format!("{method} {path}");
        match op["operationId"].as_str() {
            Some(id) if !id.is_empty() => {
                if !ids.insert(id.to_owned()) {
                    problems.push(format!("{at}: operationId {id} is used twice"));
                }
            }
            _ => problems.push(format!("{at}: no operationId")),
        }
        if op["summary"].as_str().is_none_or(str::is_empty) {
            problems.push(format!("{at}: no summary"));
        }
        let statuses: Vec<&String> = op["responses"].as_object().map(|r| r.keys().collect()).unwrap_or_default();
        // `GET /` answers 300 Multiple Choices on success, as Barbican's version discovery;
        // `PUT /v1/orders` only ever answers Barbican's 405.
        let deliberate_405 = (method.as_str(), path.as_str()) == DELIBERATE_405;
        let success = |s: &&String| {
            s.starts_with('2') || (path == "/" && s.as_str() == "300") || (deliberate_405 && s.as_str() == "405")
        };
        if !statuses.iter().any(success) {
            problems.push(format!("{at}: no success response (has {statuses:?})"));
        }
        if path == "/v1" || path.starts_with("/v1/") {
            let security = op["security"].as_array().cloned().unwrap_or_default();
            let named: Vec<String> =
                security.iter().filter_map(|r| r.as_object()).flat_map(|r| r.keys().cloned()).collect();
            if named.is_empty() {
                problems.push(format!("{at}: declares no security"));
            }
            for name in named.iter().filter(|n| !schemes.contains_key(*n)) {
                problems.push(format!("{at}: security scheme {name} is not defined"));
            }
        }
    }
    assert!(problems.is_empty(), "operations lacking a description:\n  {}", problems.join("\n  "));
});

/// `path` with its parameters filled: a project id for `{project_id}`, a key for `{key}`, a
/// fresh UUID for ids.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{project_id}" => "p1".to_owned(),
            "{key}" => "k1".to_owned(),
            s if s.starts_with('{') => uuid::Uuid::new_v4().to_string(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

both_backends!(every_documented_operation_reaches_a_handler, |backend| async move {
    let (server, _storage) = start(backend).await;
    let doc = server.anonymous().get("/v1/openapi.json").await.expect(200).json();
    // noauth: an admin of project p1.
    let admin = server.client("p1").with_header("X-Roles", "admin");
    let mut unrouted = Vec::new();
    for (method, path, _) in operations(&doc) {
        let url = concrete(&path);
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let r = if ["POST", "PUT", "PATCH"].contains(&method.as_str()) {
            admin.json(m, &url, &json!({})).await
        } else {
            admin.send(m, &url, None, &[]).await
        };
        let status = r.status.as_u16();
        // The router's fallbacks answer with an empty description; handlers always say why.
        let description = serde_json::from_slice::<Value>(&r.bytes).ok().map(|b| b["description"].clone());
        let fallback = description == Some(json!(""));
        if (method.as_str(), path.as_str()) == DELIBERATE_405 {
            assert_eq!(status, 405, "{method} {url}: {}", r.text());
            assert!(!fallback, "{method} {url}: the 405 is the router's, not the handler's: {}", r.text());
            continue;
        }
        if (status == 404 && fallback) || status == 405 {
            unrouted.push(format!("{method} {url} -> {status} {}", r.text()));
        }
    }
    assert!(unrouted.is_empty(), "documented operations the router does not serve:\n  {}", unrouted.join("\n  "));
});

/// The `src` and `href` attribute values of an HTML page.
fn linked_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').expect("closing quote");
            urls.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    urls
}

both_backends!(docs_page_loads_only_from_the_server, |backend| async move {
    let (server, _storage) = start(backend).await;
    let client = server.anonymous();
    let page = client.get("/docs").await.expect(200);
    assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{:?}", page.headers);
    let html = page.text();
    assert!(!html.contains("http://") && !html.contains("https://"), "the page names another site:\n{html}");
    let urls = linked_urls(&html);
    let scripts: Vec<&String> = urls.iter().filter(|u| u.ends_with(".js")).collect();
    let styles: Vec<&String> = urls.iter().filter(|u| u.ends_with(".css")).collect();
    assert!(!scripts.is_empty() && !styles.is_empty(), "no script or stylesheet in:\n{html}");
    for url in &urls {
        assert!(url.starts_with('/'), "{url} is not a path on this server");
        let r = client.get(url).await;
        assert_eq!(r.status, 200, "{url}: {}", r.text());
    }
    // The script that starts Swagger UI reads our document, and turns off the validator badge
    // (which would send the document to validator.swagger.io).
    let init = scripts.iter().find(|u| u.ends_with("swagger-initializer.js")).expect("the initializer script");
    let init = client.get(init).await.expect(200).text();
    assert!(init.contains("\"/v1/openapi.json\""), "{init}");
    assert!(init.contains("\"validatorUrl\": \"none\""), "{init}");
    assert!(!init.contains("http://") && !init.contains("https://"), "{init}");
});

// The document gives free-text path and query parameters the pattern "no NUL character"; the
// server refuses one (400) on both backends, where PostgreSQL, whose text cannot hold NUL, used to
// fail with a 500. A NUL inside a JSON body that reaches PostgreSQL is the client's error too.
both_backends!(nul_in_requests_is_refused, |backend| async move {
    let (server, _storage) = start(backend).await;
    let doc = server.anonymous().get("/v1/openapi.json").await.expect(200).json();
    let queue = doc["paths"]["/v1/admin/jobs"]["get"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "queue"))
        .cloned()
        .expect("the queue parameter");
    assert_eq!(queue["schema"]["pattern"], "^[^\\u0000]*$", "{queue}");

    let admin = server.client("p1").with_header("X-Roles", "admin");
    for path in ["/v1/admin/jobs?queue=a%00b", "/v1/project-quotas/a%00b", "/v1/audit-events?user_id=%00"] {
        let body = admin.get(path).await.expect(400).json();
        assert_eq!(body["description"], "The request's path or query holds a NUL character (%00).", "{path}");
    }
    let r = admin.put_json("/v1/project-quotas/a%00b", &json!({"project_quotas": {"secrets": 1}})).await;
    r.expect(400);

    let key = json!({"plugin_name": "a\u{0}b", "transport_key": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"});
    admin.post_json("/v1/transport_keys", &key).await.expect(400);

    // A secret's name is stored as text: SQLite keeps the NUL, PostgreSQL cannot.
    let r = admin.post_json("/v1/secrets", &json!({"name": "a\u{0}b"})).await;
    match backend {
        Backend::Sqlite => assert!([201, 400].contains(&r.status.as_u16()), "{}: {}", r.status, r.text()),
        Backend::Postgres => {
            r.expect(400);
        }
    }
});
