//! The audit trail end to end: a scripted session, then `GET /v1/audit-events` shows exactly its
//! audited requests with the right fields; the raw table holds no payload; the database refuses
//! to change or remove events; roles, filters and paging.

use portcullis_tests::*;

/// Every column of every row, as one text per row, for scanning.
const RAW_ROWS: &str = "SELECT coalesce(request_id, '') || '|' || coalesce(project_id, '') || '|' || \
    coalesce(user_id, '') || '|' || action || '|' || method || '|' || route || '|' || target || '|' || \
    CAST(status AS TEXT) || '|' || outcome || '|' || CAST(created_at AS TEXT) FROM audit_events";

/// What one audited request should have left: (action, method, route, target, status, outcome,
/// user, request id).
struct Expected {
    action: &'static str,
    method: &'static str,
    route: &'static str,
    target: String,
    status: u16,
    outcome: &'static str,
    user: &'static str,
    request_id: String,
}

fn rid(r: &Resp) -> String {
    r.header("x-openstack-request-id").expect("request id")
}

fn path_of(reference: &str) -> String {
    reference[reference.find("/v1/").expect("a /v1 ref")..].to_owned()
}

async fn events(c: &Client, query: &str) -> Value {
    c.get(&format!("/v1/audit-events{query}")).await.expect(200).json()
}

fn actions(list: &Value) -> Vec<String> {
    list["audit_events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

both_backends!(audit_trail_of_a_session, |backend| async move {
    let (server, storage) = start(backend).await;
    let p = project();
    let admin = server.client(&p).with_header("X-User-Id", "alice");
    let mallory = server.client(&p).with_header("X-User-Id", "mallory").with_header("X-Roles", "member");
    let payload = format!("pay-{}", uuid::Uuid::new_v4());
    let mut want = Vec::new();
    let mut expect = |action, method, route, target: String, r: &Resp, outcome, user| {
        want.push(Expected {
            action,
            method,
            route,
            target,
            status: r.status.as_u16(),
            outcome,
            user,
            request_id: rid(r),
        })
    };

    // A create that fails validation is still a create attempt.
    let r = admin.post_json("/v1/secrets", &json!({"secret_type": "banana"})).await.expect(400);
    expect("secrets:post", "POST", "/v1/secrets", "/v1/secrets".into(), &r, "failed", "alice");
    let body = json!({"name": "audited", "payload": payload, "payload_content_type": "text/plain"});
    let r = admin.post_json("/v1/secrets", &body).await.expect(201);
    let secret_ref = r.json()["secret_ref"].as_str().unwrap().to_owned();
    let sp = path_of(&secret_ref);
    expect("secrets:post", "POST", "/v1/secrets", sp.clone(), &r, "allowed", "alice");
    // Payload reads, both forms.
    let r = admin.payload(&secret_ref, Some("text/plain")).await.expect(200);
    assert_eq!(r.text(), payload);
    expect("secret:decrypt", "GET", "/v1/secrets/{id}/payload", format!("{sp}/payload"), &r, "allowed", "alice");
    let r = admin.send(Method::GET, &secret_ref, None, &[("Accept", "text/plain")]).await.expect(200);
    expect("secret:decrypt", "GET", "/v1/secrets/{id}", sp.clone(), &r, "allowed", "alice");
    // Reads of metadata and lists are not audited.
    admin.get(&secret_ref).await.expect(200);
    admin.get("/v1/secrets").await.expect(200);
    let r = admin.put_json(&format!("{secret_ref}/metadata"), &json!({"metadata": {"k": "v"}})).await.expect(201);
    expect("secret_meta:put", "PUT", "/v1/secrets/{id}/metadata", format!("{sp}/metadata"), &r, "allowed", "alice");
    // Refusals, on a /v1 route, an admin route and the dashboard.
    let r = mallory.get("/v1/project-quotas").await.expect(403);
    expect("project_quotas:get", "GET", "/v1/project-quotas", "/v1/project-quotas".into(), &r, "denied", "mallory");
    let r = mallory.get("/v1/admin/jobs").await.expect(403);
    expect("admin_jobs:get", "GET", "/v1/admin/jobs", "/v1/admin/jobs".into(), &r, "denied", "mallory");
    let r = mallory.get("/dashboard").await.expect(403);
    expect("dashboard:get", "GET", "/dashboard", "/dashboard".into(), &r, "denied", "mallory");
    let r = admin.delete(&secret_ref).await.expect(204);
    expect("secret:delete", "DELETE", "/v1/secrets/{id}", sp.clone(), &r, "allowed", "alice");
    // Another project's activity.
    let other = server.client(&project());
    other.create_text_secret("elsewhere", "x").await;

    // The admin listing shows exactly the session, in order, with every field.
    let list = events(&admin, &format!("?project_id={p}&limit=100")).await;
    assert_eq!(list["total"], want.len(), "{list}");
    let got = list["audit_events"].as_array().unwrap();
    for (e, w) in got.iter().zip(&want) {
        let ctx = format!("{e}");
        assert_eq!(e["action"], w.action, "{ctx}");
        assert_eq!(e["method"], w.method, "{ctx}");
        assert_eq!(e["route"], w.route, "{ctx}");
        assert_eq!(e["target"], w.target.as_str(), "{ctx}");
        assert_eq!(e["status"], w.status, "{ctx}");
        assert_eq!(e["outcome"], w.outcome, "{ctx}");
        assert_eq!(e["user_id"], w.user, "{ctx}");
        assert_eq!(e["project_id"], p.as_str(), "{ctx}");
        assert_eq!(e["request_id"], w.request_id.as_str(), "{ctx}");
        assert!(is_barbican_timestamp(e["created"].as_str().unwrap()), "{ctx}");
        let keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            [
                "action",
                "created",
                "id",
                "method",
                "outcome",
                "project_id",
                "request_id",
                "route",
                "status",
                "target",
                "user_id"
            ]
        );
    }
    // Admins see every project.
    let everything = events(&admin, "?limit=100").await;
    assert_eq!(everything["total"], want.len() + 1);

    // No payload (nor anything like a body) anywhere in the table, or in the logs.
    let rows = storage.texts(RAW_ROWS, RAW_ROWS).await;
    assert_eq!(rows.len(), want.len() + 1);
    for row in &rows {
        assert!(!row.contains(&payload) && !row.contains("banana") && !row.contains("\"k\""), "{row}");
    }
    assert!(!server.logs().contains(&payload), "the payload reached the logs");
    // Each event was also traced under the `audit` target.
    let logs = server.logs();
    for w in &want {
        assert!(
            logs.lines().any(|l| l.contains("audit") && l.contains(&w.request_id)),
            "no audit log line for {}",
            w.request_id
        );
    }

    // The database refuses to change or remove events.
    for sql in ["UPDATE audit_events SET outcome = 'allowed'", "DELETE FROM audit_events"] {
        let err = storage.try_execute(sql).await.expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    if backend == Backend::Postgres {
        let err = storage.try_execute("TRUNCATE audit_events").await.expect_err("TRUNCATE");
        assert!(err.contains("append-only"), "{err}");
    }
    assert_eq!(storage.texts(RAW_ROWS, RAW_ROWS).await, rows, "nothing changed");
});

both_backends!(audit_events_roles_filters_and_paging, |backend| async move {
    let (server, _storage) = start(backend).await;
    let p = project();
    let admin = server.client(&p).with_header("X-User-Id", "alice");
    let member = server.client(&p).with_header("X-User-Id", "bob").with_header("X-Roles", "member");
    let secret_ref = admin.create_text_secret("one", "x").await;
    admin.payload(&secret_ref, Some("text/plain")).await.expect(200);
    admin.create_text_secret("two", "x").await;
    member.get("/v1/project-quotas").await.expect(403);
    admin.delete(&secret_ref).await.expect(204);
    let other = project();
    server.client(&other).create_text_secret("theirs", "x").await;
    let scoped = format!("project_id={p}");

    // Filters.
    let count = |q: String| {
        let admin = admin.clone();
        async move { events(&admin, &format!("?{q}")).await["total"].as_i64().unwrap() }
    };
    assert_eq!(count(scoped.clone()).await, 5);
    assert_eq!(count(format!("{scoped}&action=secret:decrypt")).await, 1);
    assert_eq!(count(format!("{scoped}&action=secrets:post")).await, 2);
    assert_eq!(count(format!("{scoped}&outcome=denied")).await, 1);
    assert_eq!(count("user_id=bob".into()).await, 1);
    // A target is the resource and everything under it; a full ref works too.
    assert_eq!(count(format!("target={secret_ref}")).await, 3);
    assert_eq!(count(format!("target={}", &secret_ref[secret_ref.find("/v1/").unwrap()..])).await, 3);
    assert_eq!(count(format!("{scoped}&since={}", utc_iso(3600))).await, 0);
    assert_eq!(count(format!("{scoped}&until={}", utc_iso(-3600))).await, 0);
    assert_eq!(count(format!("{scoped}&since={}&until={}", utc_iso(-3600), utc_iso(3600))).await, 5);
    assert_eq!(count(format!("project_id={other}")).await, 1);
    let bad = admin.get("/v1/audit-events?since=yesterday").await.expect(400).json();
    assert!(bad["description"].as_str().unwrap().contains("since"), "{bad}");
    admin.get("/v1/audit-events?outcome=maybe").await.expect(400);

    // Paging, with the filters carried in the links.
    let page = events(&admin, &format!("?{scoped}&limit=2")).await;
    assert_eq!(page["audit_events"].as_array().unwrap().len(), 2);
    assert_eq!(page["total"], 5);
    assert_eq!(actions(&page), ["secrets:post", "secret:decrypt"]);
    let next = page["next"].as_str().unwrap().to_owned();
    assert_eq!(next, format!("{}/v1/audit-events?limit=2&offset=2&{scoped}", server.base));
    assert!(page.get("previous").is_none());
    let page2 = admin.get(&next).await.expect(200).json();
    assert_eq!(actions(&page2), ["secrets:post", "project_quotas:get"]);
    assert_eq!(page2["previous"], format!("{}/v1/audit-events?limit=2&offset=0&{scoped}", server.base));
    let ids: Vec<i64> = page["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2["audit_events"].as_array().unwrap())
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");

    // Roles: a member may not read the trail (and the refusal is itself recorded).
    member.get("/v1/audit-events").await.expect(403);
    assert_eq!(count(format!("{scoped}&outcome=denied&action=audit_events:get")).await, 1);
    // The audit role reads its own project's events only.
    let auditor = server.client(&p).with_header("X-User-Id", "carol").with_header("X-Roles", "audit");
    let own = events(&auditor, "").await;
    assert_eq!(own["total"], 6, "{own}");
    assert!(own["audit_events"].as_array().unwrap().iter().all(|e| e["project_id"] == p.as_str()));
    auditor.get(&format!("/v1/audit-events?project_id={other}")).await.expect(403);
});
