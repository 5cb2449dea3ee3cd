//! Secret consumers end to end (`/v1/secrets/{id}/consumers[/{consumer_id}]`), and how they show
//! in secret bodies (from microversion 1.1) and block secret deletion (from 1.2).

use portcullis_tests::*;

const V11: &str = "key-manager 1.1";
const V12: &str = "key-manager 1.2";

fn schema_error(reason: &str, property: &str) -> String {
    format!("Provided object does not match schema 'Secret Consumer': {reason}. Invalid property: '{property}'")
}

fn consumer(service: &str, resource_id: &str) -> Value {
    json!({"service": service, "resource_type": "instance", "resource_id": resource_id})
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().expect("object").keys().map(String::as_str).collect()
}

/// A secret's consumer rows, straight from the database: `(id, deleted)`, oldest first. The API
/// shows no consumer ids and no removed rows, so the tests that need them read them here.
async fn consumer_rows(storage: &Storage, secret_ref: &str) -> Vec<(uuid::Uuid, bool)> {
    use sqlx::Connection;
    let secret_id = uuid::Uuid::parse_str(&id_of(secret_ref)).expect("secret id");
    let sql = "SELECT id, deleted FROM secret_consumers WHERE secret_id = $1 ORDER BY created_at, id";
    let url = storage.database_url();
    match storage.backend {
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&url).await.expect("connect to Postgres");
            sqlx::query_as(sql).bind(secret_id).fetch_all(&mut c).await.expect("read consumers")
        }
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open SQLite");
            sqlx::query_as(sql).bind(secret_id).fetch_all(&mut c).await.expect("read consumers")
        }
    }
}

async fn consumer_list(c: &Client, secret_ref: &str, query: &str) -> Value {
    c.get(&format!("{secret_ref}/consumers{query}")).await.expect(200).json()
}

both_backends!(consumer_lifecycle, |backend| async move {
    let (server, storage) = start(backend).await;
    let c = server.client(&project());
    let secret_ref = c.create_text_secret("used", "payload").await;
    let consumers = format!("{secret_ref}/consumers");
    assert_eq!(consumer_list(&c, &secret_ref, "").await, json!({"consumers": [], "total": 0}));

    let before = c.get(&secret_ref).await.expect(200).json();

    // POST: 200, Barbican's odd Location, and the whole secret with `consumers` even at 1.0.
    let r = c.post_json(&consumers, &consumer("nova", "vm-1")).await.expect(200);
    assert_eq!(r.header("location"), Some(format!("{}/v1/consumers/{}/consumers", server.base, id_of(&secret_ref))));
    let body = r.json();
    assert_eq!(body["secret_ref"], secret_ref);
    assert_eq!(body["name"], "used");
    assert_eq!(body["consumers"], json!([{"service": "nova", "resource_type": "instance", "resource_id": "vm-1"}]));
    assert_eq!(
        keys(&body),
        [
            "created",
            "updated",
            "status",
            "name",
            "secret_type",
            "expiration",
            "algorithm",
            "bit_length",
            "mode",
            "creator_id",
            "consumers",
            "content_types",
            "secret_ref"
        ]
    );

    // A new consumer touches the secret (as Barbican does); nothing else about it changes.
    assert_ne!(body["updated"], before["updated"]);
    assert_eq!(body["created"], before["created"]);

    // Idempotent: the same consumer again (values are stripped first) changes nothing.
    let again = c.post_json(&consumers, &consumer("nova", "vm-1")).await.expect(200).json();
    assert_eq!(again["updated"], body["updated"], "a repeated POST does not touch the secret");
    let r = c
        .post_json(&consumers, &json!({"service": " nova ", "resource_type": "instance\n", "resource_id": "vm-1"}))
        .await;
    assert_eq!(r.expect(200).json()["consumers"].as_array().map(Vec::len), Some(1));
    let rows = consumer_rows(&storage, &secret_ref).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (first_id, _) = rows[0];

    // The list: Barbican's item shape.
    let list = consumer_list(&c, &secret_ref, "").await;
    assert_eq!(list["total"], 1);
    let item = &list["consumers"][0];
    assert_eq!(keys(item), ["created", "updated", "status", "service", "resource_type", "resource_id"]);
    assert_eq!(
        (item["status"].as_str(), item["service"].as_str(), item["resource_id"].as_str()),
        (Some("ACTIVE"), Some("nova"), Some("vm-1"))
    );
    assert!(is_barbican_timestamp(item["created"].as_str().unwrap_or_default()), "{item}");

    // One consumer by id: the same shape; bad and unknown ids are 404.
    let one = c.get(&format!("{consumers}/{first_id}")).await.expect(200).json();
    assert_eq!(&one, item);
    c.get(&format!("{consumers}/not-a-uuid")).await.expect_error(404, "Not Found. Provided consumer id is invalid.");
    c.get(&format!("{consumers}/{}", uuid::Uuid::new_v4())).await.expect_error(404, "Consumer not found.");
    c.post_json(&format!("{consumers}/{first_id}"), &consumer("nova", "vm-1")).await.expect_error(405, "");

    // Another secret's consumer is not found under this secret.
    let other_ref = c.create_text_secret("other", "payload").await;
    c.post_json(&format!("{other_ref}/consumers"), &consumer("glance", "img")).await.expect(200);
    let (other_id, _) = consumer_rows(&storage, &other_ref).await[0];
    c.get(&format!("{consumers}/{other_id}")).await.expect_error(404, "Consumer not found.");

    // DELETE (JSON body): 200 with the secret, now without that consumer; twice is 404.
    let r = c.json(Method::DELETE, &consumers, &consumer("nova", "vm-1")).await.expect(200);
    assert_eq!(r.json()["consumers"], json!([]));
    assert_eq!(r.json()["secret_ref"], secret_ref);
    c.json(Method::DELETE, &consumers, &consumer("nova", "vm-1")).await.expect_error(404, "Consumer not found.");
    c.json(Method::DELETE, &consumers, &consumer("nova", "vm-2")).await.expect_error(404, "Consumer not found.");
    assert_eq!(consumer_list(&c, &secret_ref, "").await, json!({"consumers": [], "total": 0}));
    c.get(&format!("{consumers}/{first_id}")).await.expect_error(404, "Consumer not found.");
    assert_eq!(consumer_rows(&storage, &secret_ref).await, vec![(first_id, true)], "removal is a soft delete");

    // Registering it again brings the removed row back rather than adding one.
    c.post_json(&consumers, &consumer("nova", "vm-1")).await.expect(200);
    assert_eq!(consumer_rows(&storage, &secret_ref).await, vec![(first_id, false)]);
    c.get(&format!("{consumers}/{first_id}")).await.expect(200);
    assert_eq!(consumer_list(&c, &secret_ref, "").await["total"], 1);
});

both_backends!(consumer_validation_errors_change_nothing, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let secret_ref = c.create_text_secret("used", "payload").await;
    let consumers = format!("{secret_ref}/consumers");
    c.post_json(&consumers, &consumer("keep", "me")).await.expect(200);
    let long = "s".repeat(256);

    let cases: Vec<(Value, String)> = vec![
        (json!({}), schema_error("'service' is a required property", "None")),
        (json!({"service": "a", "resource_id": "c"}), schema_error("'resource_type' is a required property", "None")),
        (json!({"service": "a", "resource_type": "b"}), schema_error("'resource_id' is a required property", "None")),
        (
            json!({"service": 1, "resource_type": "b", "resource_id": "c"}),
            schema_error("1 is not of type 'string'", "service"),
        ),
        (
            json!({"service": "a", "resource_type": null, "resource_id": "c"}),
            schema_error("None is not of type 'string'", "resource_type"),
        ),
        (
            json!({"service": "a", "resource_type": "b", "resource_id": true}),
            schema_error("True is not of type 'string'", "resource_id"),
        ),
        (
            json!({"service": "  ", "resource_type": "b", "resource_id": "c"}),
            schema_error("'' should be non-empty", "service"),
        ),
        (
            json!({"service": "a", "resource_type": "b", "resource_id": ""}),
            schema_error("'' should be non-empty", "resource_id"),
        ),
        (
            json!({"service": long, "resource_type": "b", "resource_id": "c"}),
            schema_error(&format!("'{long}' is too long"), "service"),
        ),
        (json!([1]), schema_error("[1] is not of type 'object'", "None")),
    ];
    for (body, description) in &cases {
        c.post_json(&consumers, body).await.expect_error(400, description);
        c.json(Method::DELETE, &consumers, body).await.expect_error(400, description);
    }
    let wrong_type = "Unexpected content type. Expected content types are: ['application/json']";
    for method in [Method::POST, Method::DELETE] {
        c.send(method.clone(), &consumers, Some(b"{".to_vec()), &[("Content-Type", "application/json")])
            .await
            .expect_error(400, "Malformed JSON");
        c.send(method.clone(), &consumers, Some(b"{}".to_vec()), &[("Content-Type", "text/plain")])
            .await
            .expect_error(415, wrong_type);
        // A DELETE without a body is refused the same way, not taken as "delete everything".
        c.send(method, &consumers, None, &[]).await.expect_error(415, wrong_type);
    }
    // Extra properties are allowed, as Barbican's schema allows them.
    c.post_json(&consumers, &json!({"service": "x", "resource_type": "y", "resource_id": "z", "note": 1}))
        .await
        .expect(200);

    let list = consumer_list(&c, &secret_ref, "").await;
    let services: Vec<&str> =
        list["consumers"].as_array().expect("consumers").iter().filter_map(|i| i["service"].as_str()).collect();
    assert_eq!(services, ["keep", "x"]);
});

both_backends!(consumer_list_pages, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let secret_ref = c.create_text_secret("popular", "payload").await;
    let consumers = format!("{secret_ref}/consumers");
    for i in 1..=3 {
        c.post_json(&consumers, &consumer("svc", &format!("r{i}"))).await.expect(200);
    }
    let nav = |limit: i64, offset: i64| {
        format!("{}/v1/secrets/{}/consumers?limit={limit}&offset={offset}", server.base, id_of(&secret_ref))
    };
    let ids = |v: &Value| -> Vec<String> {
        v["consumers"]
            .as_array()
            .expect("consumers")
            .iter()
            .filter_map(|i| i["resource_id"].as_str().map(str::to_owned))
            .collect()
    };

    let p1 = consumer_list(&c, &secret_ref, "?limit=2").await;
    assert_eq!(ids(&p1), ["r1", "r2"], "oldest first");
    assert_eq!(
        (p1["total"].as_i64(), p1["next"].as_str(), p1.get("previous")),
        (Some(3), Some(nav(2, 2).as_str()), None)
    );

    let p2 = consumer_list(&c, &secret_ref, "?limit=2&offset=2").await;
    assert_eq!(ids(&p2), ["r3"]);
    assert_eq!((p2["previous"].as_str(), p2.get("next")), (Some(nav(2, 0).as_str()), None));

    // Other query parameters are not carried into the links; limits are clamped as Barbican does.
    let p = consumer_list(&c, &secret_ref, "?limit=1&offset=1&foo=bar").await;
    assert_eq!((p["next"].as_str(), p["previous"].as_str()), (Some(nav(1, 2).as_str()), Some(nav(1, 0).as_str())));
    assert_eq!(ids(&consumer_list(&c, &secret_ref, "?limit=1000&offset=-5").await), ["r1", "r2", "r3"]);

    // Past the end: exactly the empty list and the total, no links.
    assert_eq!(consumer_list(&c, &secret_ref, "?offset=10").await, json!({"consumers": [], "total": 3}));
});

both_backends!(consumers_in_secret_bodies_and_deletion, |backend| async move {
    let (server, storage) = start(backend).await;
    let c = server.client(&project());
    let (c11, c12) = (c.with_header("OpenStack-API-Version", V11), c.with_header("OpenStack-API-Version", V12));
    let used = c.create_text_secret("used", "payload").await;
    let unused = c.create_text_secret("unused", "payload").await;
    c.post_json(&format!("{used}/consumers"), &consumer("nova", "vm-1")).await.expect(200);
    c.post_json(&format!("{used}/consumers"), &consumer("cinder", "vol-1")).await.expect(200);
    let expected = json!([
        {"service": "nova", "resource_type": "instance", "resource_id": "vm-1"},
        {"service": "cinder", "resource_type": "instance", "resource_id": "vol-1"},
    ]);

    // GET secret: no `consumers` at 1.0, the live ones from 1.1.
    assert!(c.get(&used).await.expect(200).json().get("consumers").is_none());
    assert_eq!(c11.get(&used).await.expect(200).json()["consumers"], expected);
    assert_eq!(c12.get(&used).await.expect(200).json()["consumers"], expected);
    assert_eq!(c12.get(&unused).await.expect(200).json()["consumers"], json!([]));

    // The secret list likewise, each secret with its own consumers.
    let list = c11.get("/v1/secrets").await.expect(200).json();
    for s in list["secrets"].as_array().expect("secrets") {
        let want = if s["secret_ref"] == used.as_str() { expected.clone() } else { json!([]) };
        assert_eq!(s["consumers"], want, "{s}");
    }
    let list = c.get("/v1/secrets").await.expect(200).json();
    assert!(list["secrets"].as_array().expect("secrets").iter().all(|s| s.get("consumers").is_none()), "{list}");

    // From 1.2 a secret with consumers is kept, unless forced; `force` must be a boolean word.
    let refused = "Secret deletion issue seen - Secret cannot be deleted as it has consumers..";
    c12.delete(&used).await.expect_error(400, refused);
    c12.delete(&format!("{used}?force=false")).await.expect_error(400, refused);
    c12.delete(&format!("{used}?force=maybe")).await.expect_error(400, "URI provided invalid query string parameters.");
    c12.get(&used).await.expect(200);
    c12.delete(&unused).await.expect(204);

    c12.delete(&format!("{used}?force=true")).await.expect(204);
    c12.get(&used).await.expect_error(404, "Secret not found.");
    c.get(&format!("{used}/consumers")).await.expect_error(404, "Secret not found.");
    let rows = consumer_rows(&storage, &used).await;
    assert!(rows.len() == 2 && rows.iter().all(|(_, deleted)| *deleted), "consumers go with their secret: {rows:?}");

    // At 1.0 (and 1.1) consumers do not block deletion.
    for client in [&c, &c11] {
        let s = c.create_text_secret("used-again", "payload").await;
        c.post_json(&format!("{s}/consumers"), &consumer("nova", "vm-1")).await.expect(200);
        client.delete(&s).await.expect(204);
    }
    // As Barbican, `force` is not read before 1.2, nor before the secret is found.
    let s = c.create_text_secret("unforced", "payload").await;
    c.delete(&format!("{s}?force=maybe")).await.expect(204);
    c12.delete(&format!("{s}?force=maybe")).await.expect_error(404, "Secret not found.");

    // Once its last consumer is removed, a secret deletes at 1.2 without force.
    let s = c.create_text_secret("released", "payload").await;
    c.post_json(&format!("{s}/consumers"), &consumer("nova", "vm-1")).await.expect(200);
    c12.delete(&s).await.expect_error(400, refused);
    c.json(Method::DELETE, &format!("{s}/consumers"), &consumer("nova", "vm-1")).await.expect(200);
    c12.delete(&s).await.expect(204);
});

both_backends!(consumers_of_missing_or_foreign_secrets_are_not_found, |backend| async move {
    let (server, storage) = start(backend).await;
    let owner = server.client(&project());
    let stranger = server.client(&project());
    let secret_ref = owner.create_text_secret("mine", "payload").await;
    let consumers = format!("{secret_ref}/consumers");
    owner.post_json(&consumers, &consumer("nova", "vm-1")).await.expect(200);
    let (consumer_id, _) = consumer_rows(&storage, &secret_ref).await[0];

    let not_found = "Secret not found.";
    stranger.get(&consumers).await.expect_error(404, not_found);
    stranger.get(&format!("{consumers}/{consumer_id}")).await.expect_error(404, not_found);
    stranger.post_json(&consumers, &consumer("evil", "x")).await.expect_error(404, not_found);
    stranger.json(Method::DELETE, &consumers, &consumer("nova", "vm-1")).await.expect_error(404, not_found);
    stranger
        .with_header("OpenStack-API-Version", V12)
        .delete(&format!("{secret_ref}?force=true"))
        .await
        .expect_error(404, not_found);
    let list = consumer_list(&owner, &secret_ref, "").await;
    assert_eq!((list["total"].as_i64(), list["consumers"][0]["service"].as_str()), (Some(1), Some("nova")));

    owner.get("/v1/secrets/not-a-uuid/consumers").await.expect_error(404, "Not Found. Provided secret id is invalid.");
    owner
        .get(&format!("/v1/secrets/not-a-uuid/consumers/{consumer_id}"))
        .await
        .expect_error(404, "Not Found. Provided secret id is invalid.");
    let unknown = format!("/v1/secrets/{}/consumers", uuid::Uuid::new_v4());
    owner.get(&unknown).await.expect_error(404, not_found);
    owner.post_json(&unknown, &consumer("nova", "vm-1")).await.expect_error(404, not_found);
});
