//! Quotas end to end: `/v1/quotas` and `/v1/project-quotas` as Barbican shapes them, and quota
//! enforcement on every create (secrets, orders, containers, both kinds of consumer), including
//! under concurrent creates.

use portcullis_tests::*;

const UNLIMITED: &str = r#"{"quotas":{"secrets":-1,"orders":-1,"containers":-1,"consumers":-1,"cas":-1}}"#;

fn reached(operation: &str) -> String {
    format!("{operation} issue seen - Creation not allowed because a quota has been reached.")
}

/// Sets `project`'s quotas as an admin (204, no body).
async fn set_quotas(admin: &Client, project: &str, values: Value) {
    let r = admin.put_json(&format!("/v1/project-quotas/{project}"), &json!({"project_quotas": values})).await;
    assert!(r.expect(204).bytes.is_empty());
}

async fn total(c: &Client, path: &str) -> i64 {
    c.get(path).await.expect(200).json()["total"].as_i64().expect("total")
}

async fn container(c: &Client, name: &str) -> Resp {
    c.post_json("/v1/containers", &json!({"type": "generic", "name": name, "secret_refs": []})).await
}

fn key_order() -> Value {
    json!({"type": "key", "meta": {"name": "k", "algorithm": "aes", "bit_length": 256, "mode": "cbc",
           "payload_content_type": "application/octet-stream"}})
}

both_backends!(quota_api_shapes_and_errors, |backend| async move {
    let (server, _storage) = start(backend).await;
    let (p1, p2, p3) = (project(), project(), project());
    let admin = server.client(&p1);

    // Defaults: Barbican's body, byte for byte.
    let r = admin.get("/v1/quotas").await.expect(200);
    assert_eq!(r.json(), serde_json::from_str::<Value>(UNLIMITED).unwrap());
    assert_eq!(r.text().replace(' ', ""), UNLIMITED, "key order as Barbican");
    assert_eq!(admin.get("/v1/project-quotas").await.expect(200).json(), json!({"project_quotas": [], "total": 0}));
    let missing = format!("/v1/project-quotas/{p2}");
    admin.get(&missing).await.expect_error(404, "Project quotas not found.");
    admin.delete(&missing).await.expect_error(404, "Project quotas not found.");

    // PUT stores the given values; unset ones read back null.
    set_quotas(&admin, &p2, json!({"secrets": 50, "orders": 10, "containers": 20})).await;
    let want =
        json!({"project_quotas": {"secrets": 50, "orders": 10, "containers": 20, "consumers": null, "cas": null}});
    assert_eq!(admin.get(&missing).await.expect(200).json(), want);
    // A later PUT changes only what it names (Barbican's update).
    set_quotas(&admin, &p2, json!({"consumers": 5, "secrets": 0})).await;
    let got = admin.get(&missing).await.expect(200).json();
    assert_eq!(
        got["project_quotas"],
        json!({"secrets": 0, "orders": 10, "containers": 20, "consumers": 5, "cas": null})
    );
    // The project's effective quotas merge its values with the defaults.
    let effective = server.client(&p2).get("/v1/quotas").await.expect(200).json();
    assert_eq!(effective, json!({"quotas": {"secrets": 0, "orders": 10, "containers": 20, "consumers": 5, "cas": -1}}));

    // Bad input: a clear error, nothing changed.
    let put = |body: &'static [u8], ct: Option<&'static str>| {
        let admin = admin.clone();
        let path = missing.clone();
        async move {
            let headers: Vec<(&str, &str)> = ct.map(|c| ("Content-Type", c)).into_iter().collect();
            admin.send(Method::PUT, &path, Some(body.to_vec()), &headers).await
        }
    };
    put(br#"{"project_quotas": {"secrets": 1}}"#, Some("text/plain"))
        .await
        .expect_error(415, "Unexpected content type. Expected content types are: ['application/json']");
    put(b"", Some("application/json"))
        .await
        .expect_error(400, "Project Quotas issue seen - No data supplied to process..");
    put(b"{nope", Some("application/json")).await.expect_error(400, "Malformed JSON");
    let schema = |reason: &str, property: &str| {
        format!("Provided object does not match schema 'Project Quota': {reason}. Invalid property: '{property}'")
    };
    for (body, reason, property) in [
        (json!({}), "'project_quotas' is a required property", "None"),
        (
            json!({"project_quotas": {}, "extra": 1}),
            "Additional properties are not allowed ('extra' was unexpected)",
            "None",
        ),
        (json!({"project_quotas": [1]}), "[1] is not of type 'object'", "project_quotas"),
        (json!({"project_quotas": {"secrets": "ten"}}), "'ten' is not of type 'integer'", "project_quotas"),
        (json!({"project_quotas": {"secrets": 1.5}}), "1.5 is not of type 'integer'", "project_quotas"),
        (json!({"project_quotas": {"secrets": null}}), "None is not of type 'integer'", "project_quotas"),
        (
            json!({"project_quotas": {"keys": 1}}),
            "Additional properties are not allowed ('keys' was unexpected)",
            "project_quotas",
        ),
    ] {
        admin.put_json(&missing, &body).await.expect_error(400, &schema(reason, property));
    }
    let too_big = admin.put_json(&missing, &json!({"project_quotas": {"secrets": 1u64 << 40}})).await.expect(400);
    assert!(too_big.json()["description"].as_str().unwrap().contains("greater than the maximum"), "{}", too_big.text());
    let long = "x".repeat(37);
    admin.put_json(&format!("/v1/project-quotas/{long}"), &json!({"project_quotas": {"secrets": 1}})).await.expect(400);
    assert_eq!(admin.get(&missing).await.expect(200).json()["project_quotas"], got["project_quotas"], "unchanged");

    // Methods Barbican does not serve.
    admin.put_json("/v1/quotas", &json!({})).await.expect(405);
    admin.post_json(&missing, &json!({"project_quotas": {}})).await.expect(405);
    admin.put_json("/v1/project-quotas", &json!({})).await.expect(405);

    // Only admins manage quotas; everyone reads their own effective quotas.
    let member = server.client(&p1).with_header("X-Roles", "member");
    member.get("/v1/quotas").await.expect(200);
    member.put_json(&missing, &json!({"project_quotas": {"secrets": 99}})).await.expect(403);
    member.delete(&missing).await.expect(403);
    member.get(&missing).await.expect(403);
    member.get("/v1/project-quotas").await.expect(403);
    assert_eq!(admin.get(&missing).await.expect(200).json()["project_quotas"]["secrets"], 0);

    // The list: oldest first, paged with Barbican's links.
    set_quotas(&admin, &p3, json!({"cas": 2})).await;
    set_quotas(&admin, &p1, json!({"orders": 3})).await;
    let all = admin.get("/v1/project-quotas").await.expect(200).json();
    assert_eq!(all["total"], 3);
    let ids: Vec<&str> =
        all["project_quotas"].as_array().unwrap().iter().map(|i| i["project_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [p2.as_str(), p3.as_str(), p1.as_str()]);
    assert_eq!(
        all["project_quotas"][1],
        json!({"project_id": p3, "project_quotas": {"secrets": null, "orders": null, "containers": null, "consumers": null, "cas": 2}})
    );
    let page = admin.get("/v1/project-quotas?limit=1&offset=1").await.expect(200).json();
    assert_eq!(page["project_quotas"].as_array().unwrap().len(), 1);
    assert_eq!(page["project_quotas"][0]["project_id"], p3.as_str());
    assert_eq!(page["previous"], format!("{}/v1/project-quotas?limit=1&offset=0", server.base));
    assert_eq!(page["next"], format!("{}/v1/project-quotas?limit=1&offset=2", server.base));

    // DELETE: 204, and the project is back on the defaults.
    assert!(admin.delete(&missing).await.expect(204).bytes.is_empty());
    admin.get(&missing).await.expect(404);
    assert_eq!(
        server.client(&p2).get("/v1/quotas").await.expect(200).json(),
        serde_json::from_str::<Value>(UNLIMITED).unwrap()
    );
    assert_eq!(admin.get("/v1/project-quotas").await.expect(200).json()["total"], 2);
});

both_backends!(creates_beyond_quota_are_refused_and_store_nothing, |backend| async move {
    let (server, storage) = start(backend).await;
    let admin = server.client(&project());

    // Secrets: 2 allowed.
    let p = project();
    let c = server.client(&p);
    set_quotas(&admin, &p, json!({"secrets": 2})).await;
    c.create_text_secret("a", "x").await;
    c.create_text_secret("b", "x").await;
    let body = json!({"name": "c", "payload": "x", "payload_content_type": "text/plain"});
    c.post_json("/v1/secrets", &body).await.expect_error(403, &reached("Secret creation"));
    assert_eq!(c.secret_total().await, 2);
    let stored = "SELECT count(*) FROM secrets WHERE project_id = $1";
    assert_eq!(storage.scalar_for(stored, stored, &p).await, 2, "nothing stored");
    // Validation comes first, as in Barbican: a bad body is 400, not 403.
    c.post_json("/v1/secrets", &json!({"secret_type": "banana"})).await.expect(400);
    // Deleting one makes room for one.
    let listed = c.get("/v1/secrets").await.expect(200).json();
    c.delete(listed["secrets"][0]["secret_ref"].as_str().unwrap()).await.expect(204);
    c.post_json("/v1/secrets", &body).await.expect(201);
    c.post_json("/v1/secrets", &body).await.expect(403);

    // Containers: 1 allowed; the quota is checked before the referenced secrets, as in Barbican.
    let p = project();
    let c = server.client(&p);
    set_quotas(&admin, &p, json!({"containers": 1})).await;
    container(&c, "one").await.expect(201);
    container(&c, "two").await.expect_error(403, &reached("Container creation"));
    let missing_ref = format!("{}/v1/secrets/{}", server.base, uuid::Uuid::new_v4());
    c.post_json(
        "/v1/containers",
        &json!({"type": "generic", "secret_refs": [{"name": "x", "secret_ref": missing_ref}]}),
    )
    .await
    .expect(403);
    assert_eq!(total(&c, "/v1/containers").await, 1);

    // Orders: counted at POST, whatever becomes of them.
    let p = project();
    let c = server.client(&p);
    set_quotas(&admin, &p, json!({"orders": 1})).await;
    c.post_order(&key_order()).await;
    c.post_json("/v1/orders", &key_order()).await.expect_error(403, &reached("Order creation"));
    assert_eq!(total(&c, "/v1/orders").await, 1);
    let stored = "SELECT count(*) FROM orders WHERE project_id = $1";
    assert_eq!(storage.scalar_for(stored, stored, &p).await, 1);

    // Consumers: each kind counted in its own table, against the one `consumers` quota.
    let p = project();
    let c = server.client(&p);
    set_quotas(&admin, &p, json!({"consumers": 1})).await;
    let secret_ref = c.create_text_secret("used", "x").await;
    let consumers = format!("{secret_ref}/consumers");
    let consumer = |id: &str| json!({"service": "nova", "resource_type": "instance", "resource_id": id});
    c.post_json(&consumers, &consumer("vm-1")).await.expect(200);
    c.post_json(&consumers, &consumer("vm-2")).await.expect_error(403, &reached("SecretConsumer creation"));
    assert_eq!(total(&c, &consumers).await, 1);
    let container_ref = container(&c, "used").await.expect(201).json()["container_ref"].as_str().unwrap().to_owned();
    let path = format!("{container_ref}/consumers");
    c.post_json(&path, &json!({"name": "svc", "URL": "http://a/1"})).await.expect(200);
    c.post_json(&path, &json!({"name": "svc", "URL": "http://a/2"}))
        .await
        .expect_error(403, &reached("ContainerConsumer creation"));
    assert_eq!(total(&c, &path).await, 1);

    // 0 disables creation outright.
    let p = project();
    let c = server.client(&p);
    set_quotas(&admin, &p, json!({"secrets": 0})).await;
    c.post_json("/v1/secrets", &body).await.expect_error(403, &reached("Secret creation"));
    assert_eq!(c.secret_total().await, 0);
});

both_backends!(project_quotas_override_configured_defaults, |backend| async move {
    let storage = Storage::new(backend).await;
    let server = TestServer::start_on(&storage, &[("PORTCULLIS_QUOTA_SECRETS", "1"), ("PORTCULLIS_QUOTA_CAS", "0")]);
    let (pa, pb) = (project(), project());
    let (a, b) = (server.client(&pa), server.client(&pb));
    let want = json!({"quotas": {"secrets": 1, "orders": -1, "containers": -1, "consumers": -1, "cas": 0}});
    assert_eq!(a.get("/v1/quotas").await.expect(200).json(), want);

    a.create_text_secret("a1", "x").await;
    let body = json!({"name": "more", "payload": "x", "payload_content_type": "text/plain"});
    a.post_json("/v1/secrets", &body).await.expect_error(403, &reached("Secret creation"));

    // B's own quota wins over the default.
    set_quotas(&a, &pb, json!({"secrets": 3})).await;
    for _ in 0..3 {
        b.post_json("/v1/secrets", &body).await.expect(201);
    }
    b.post_json("/v1/secrets", &body).await.expect(403);
    assert_eq!(b.get("/v1/quotas").await.expect(200).json()["quotas"]["secrets"], 3);

    // DELETE puts B back on the default of 1, which it is already over.
    a.delete(&format!("/v1/project-quotas/{pb}")).await.expect(204);
    assert_eq!(b.get("/v1/quotas").await.expect(200).json(), want);
    b.post_json("/v1/secrets", &body).await.expect(403);
    assert_eq!(b.secret_total().await, 3);
});

/// Fires `n` creates at once; returns the statuses.
async fn burst(c: &Client, path: &str, body: &Value, n: usize) -> Vec<u16> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (c, path, body) = (c.clone(), path.to_owned(), body.clone());
            tokio::spawn(async move { c.post_json(&path, &body).await.status.as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("request task"));
    }
    statuses.sort_unstable();
    statuses
}

both_backends!(concurrent_creates_never_exceed_the_quota, |backend| async move {
    let (server, storage) = start(backend).await;
    let admin = server.client(&project());
    const N: usize = 5;
    const BURST: usize = 10;

    // Secrets: N-1 exist, BURST race for the last place.
    let p = project();
    let c = server.client(&p);
    set_quotas(&admin, &p, json!({"secrets": N})).await;
    for i in 0..N - 1 {
        c.create_text_secret(&format!("s{i}"), "x").await;
    }
    let body = json!({"name": "race", "payload": "x", "payload_content_type": "text/plain"});
    let statuses = burst(&c, "/v1/secrets", &body, BURST).await;
    let mut want = vec![201];
    want.extend(std::iter::repeat_n(403, BURST - 1));
    assert_eq!(statuses, want, "exactly one create wins");
    let stored = "SELECT count(*) FROM secrets WHERE project_id = $1 AND NOT deleted";
    assert_eq!(storage.scalar_for(stored, stored, &p).await, N as i64);

    // Containers, on their own lock.
    let p = project();
    let c = server.client(&p);
    set_quotas(&admin, &p, json!({"containers": N})).await;
    for i in 0..N - 1 {
        container(&c, &format!("c{i}")).await.expect(201);
    }
    let statuses =
        burst(&c, "/v1/containers", &json!({"type": "generic", "name": "race", "secret_refs": []}), BURST).await;
    assert_eq!(statuses, want, "exactly one create wins");
    let stored = "SELECT count(*) FROM containers WHERE project_id = $1 AND NOT deleted";
    assert_eq!(storage.scalar_for(stored, stored, &p).await, N as i64);
});
