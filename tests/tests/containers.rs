//! The containers resource end to end, as a Barbican client sees it: create (generic, rsa,
//! certificate) and read back, list paging and filters, every validation error, delete, project
//! isolation, adding and removing secrets, and container consumers.

use portcullis_tests::*;

const CONTAINER_KEYS: &[&str] =
    &["created", "updated", "status", "name", "type", "creator_id", "secret_refs", "consumers", "container_ref"];
const CONSUMER_KEYS: &[&str] = &["created", "updated", "status", "name", "URL"];

fn keys(v: &Value) -> Vec<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

/// Barbican's schema error description.
fn schema(name: &str, reason: &str, property: &str) -> String {
    format!("Provided object does not match schema '{name}': {reason}. Invalid property: '{property}'")
}

/// Creates a container, checks the 201 shape, returns its ref.
async fn create(c: &Client, body: Value) -> String {
    let r = c.post_json("/v1/containers", &body).await.expect(201);
    let body = r.json();
    assert_eq!(keys(&body), vec!["container_ref"]);
    let container_ref = body["container_ref"].as_str().expect("container_ref").to_owned();
    assert_eq!(r.header("location").as_deref(), Some(container_ref.as_str()));
    container_ref
}

async fn secret(c: &Client, name: &str) -> String {
    c.create_text_secret(name, "payload").await
}

/// `[(name, secret_ref)]` of a container body.
fn refs(container: &Value) -> Vec<(Value, String)> {
    container["secret_refs"]
        .as_array()
        .expect("secret_refs")
        .iter()
        .map(|r| {
            assert_eq!(keys(r), vec!["name", "secret_ref"], "{r}");
            (r["name"].clone(), r["secret_ref"].as_str().expect("secret_ref").to_owned())
        })
        .collect()
}

fn container_names(list: &Value) -> Vec<String> {
    list["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Runs one scalar query on the server's database (for state the API does not show).
async fn db_scalar<T>(storage: &Storage, sql: &'static str) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    use sqlx::Connection;
    let url = storage.database_url();
    match storage.backend {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open sqlite");
            sqlx::query_scalar(sql).fetch_one(&mut c).await.expect("query")
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&url).await.expect("open postgres");
            sqlx::query_scalar(sql).fetch_one(&mut c).await.expect("query")
        }
    }
}

both_backends!(create_each_type_and_read_back, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project()).with_header("X-User-Id", "alice");
    let (s1, s2, s3, s4) =
        (secret(&c, "s1").await, secret(&c, "s2").await, secret(&c, "s3").await, secret(&c, "s4").await);

    // Generic, names kept in the order given; strings are stripped as Barbican strips them.
    let generic = create(
        &c,
        json!({"type": "generic", "name": "  my-container ", "secret_refs": [
            {"name": "second", "secret_ref": s2}, {"name": " first", "secret_ref": s1}]}),
    )
    .await;
    assert!(generic.starts_with(&format!("{}/v1/containers/", server.base)), "{generic}");
    let g = c.get(&generic).await.expect(200);
    assert_eq!(g.header("content-type").as_deref(), Some("application/json"));
    let g = g.json();
    assert_eq!(keys(&g), CONTAINER_KEYS, "{g}");
    assert_eq!(g["name"], "my-container");
    assert_eq!(g["type"], "generic");
    assert_eq!(g["status"], "ACTIVE");
    assert_eq!(g["creator_id"], "alice");
    assert_eq!(g["container_ref"], generic.as_str());
    assert_eq!(g["consumers"], json!([]));
    assert!(is_barbican_timestamp(g["created"].as_str().unwrap()), "{g}");
    assert_eq!(g["created"], g["updated"]);
    assert_eq!(refs(&g), vec![(json!("second"), s2.clone()), (json!("first"), s1.clone())]);

    // rsa with the optional passphrase.
    let rsa = create(
        &c,
        json!({"type": "rsa", "name": "keys", "secret_refs": [
            {"name": "public_key", "secret_ref": s1}, {"name": "private_key", "secret_ref": s2},
            {"name": "private_key_passphrase", "secret_ref": s3}]}),
    )
    .await;
    let r = c.get(&rsa).await.expect(200).json();
    assert_eq!(r["type"], "rsa");
    assert_eq!(
        refs(&r),
        vec![
            (json!("public_key"), s1.clone()),
            (json!("private_key"), s2.clone()),
            (json!("private_key_passphrase"), s3.clone())
        ]
    );

    // certificate with every allowed name.
    let cert = create(
        &c,
        json!({"type": "certificate", "secret_refs": [
            {"name": "certificate", "secret_ref": s1}, {"name": "intermediates", "secret_ref": s2},
            {"name": "private_key", "secret_ref": s3}, {"name": "private_key_passphrase", "secret_ref": s4}]}),
    )
    .await;
    let ct = c.get(&cert).await.expect(200).json();
    assert_eq!(ct["type"], "certificate");
    assert_eq!(ct["name"], Value::Null);
    assert_eq!(refs(&ct).len(), 4);

    // No refs at all (allowed for every type), one unnamed ref, and a ref with a trailing slash.
    let empty = create(&c, json!({"type": "rsa"})).await;
    let e = c.get(&empty).await.expect(200).json();
    assert_eq!(e["secret_refs"], json!([]));
    assert_eq!(e["creator_id"], "alice");
    let unnamed = create(&c, json!({"type": "generic", "secret_refs": [{"secret_ref": format!("{s4}/")}]})).await;
    assert_eq!(refs(&c.get(&unnamed).await.expect(200).json()), vec![(Value::Null, s4.clone())]);

    // Without X-User-Id the creator is null.
    let anon = server.client(c.project.as_deref().unwrap());
    let plain = create(&anon, json!({"type": "generic"})).await;
    assert_eq!(anon.get(&plain).await.expect(200).json()["creator_id"], Value::Null);
});

both_backends!(list_paging_and_filters, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let s = secret(&c, "s").await;
    create(&c, json!({"type": "generic", "name": "alpha"})).await;
    create(
        &c,
        json!({"type": "rsa", "name": "beta", "secret_refs": [
        {"name": "public_key", "secret_ref": s}, {"name": "private_key", "secret_ref": secret(&c, "k").await}]}),
    )
    .await;
    create(&c, json!({"type": "generic", "name": "Alphabet"})).await;

    let all = c.get("/v1/containers").await.expect(200).json();
    assert_eq!(keys(&all), vec!["containers", "total"], "{all}");
    assert_eq!(all["total"], 3);
    assert_eq!(container_names(&all), vec!["alpha", "beta", "Alphabet"], "oldest first");
    assert_eq!(keys(&all["containers"][1]), CONTAINER_KEYS);
    assert_eq!(all["containers"][1]["secret_refs"].as_array().unwrap().len(), 2);

    let base = format!("{}/v1/containers", server.base);
    let p1 = c.get("/v1/containers?limit=1").await.expect(200).json();
    assert_eq!(container_names(&p1), vec!["alpha"]);
    assert_eq!(p1["next"], format!("{base}?limit=1&offset=1"));
    assert!(p1.get("previous").is_none());
    let p2 = c.get("/v1/containers?limit=1&offset=1").await.expect(200).json();
    assert_eq!(container_names(&p2), vec!["beta"]);
    assert_eq!(p2["previous"], format!("{base}?limit=1&offset=0"));
    assert_eq!(p2["next"], format!("{base}?limit=1&offset=2"));
    assert_eq!(p2["total"], 3);
    let p3 = c.get("/v1/containers?limit=1&offset=2").await.expect(200).json();
    assert!(p3.get("next").is_none());
    assert_eq!(p3["previous"], format!("{base}?limit=1&offset=1"));
    // Past the end: only the empty list and the total.
    assert_eq!(c.get("/v1/containers?offset=10").await.expect(200).json(), json!({"containers": [], "total": 3}));
    // Bad paging values fall back to the defaults.
    assert_eq!(c.get("/v1/containers?limit=abc&offset=-4").await.expect(200).json()["total"], 3);

    // `name` is a LIKE pattern, case-sensitive; filter links carry only limit and offset.
    let f = c.get("/v1/containers?name=alpha").await.expect(200).json();
    assert_eq!(container_names(&f), vec!["alpha"]);
    assert_eq!(f["total"], 1);
    assert_eq!(
        container_names(&c.get("/v1/containers?name=%25lpha%25").await.expect(200).json()),
        vec!["alpha", "Alphabet"]
    );
    assert_eq!(container_names(&c.get("/v1/containers?name=b_ta").await.expect(200).json()), vec!["beta"]);
    let typed = c.get("/v1/containers?type=generic&limit=1").await.expect(200).json();
    assert_eq!(container_names(&typed), vec!["alpha"]);
    assert_eq!(typed["total"], 2);
    assert_eq!(typed["next"], format!("{base}?limit=1&offset=1"));
    assert_eq!(
        c.get("/v1/containers?type=rsa&name=alpha").await.expect(200).json(),
        json!({"containers": [], "total": 0})
    );
    // Empty filters filter nothing.
    assert_eq!(c.get("/v1/containers?name=&type=").await.expect(200).json()["total"], 3);

    // Another project sees none of them.
    let other = server.client(&project());
    assert_eq!(other.get("/v1/containers").await.expect(200).json(), json!({"containers": [], "total": 0}));
});

both_backends!(create_validation_errors, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let s1 = secret(&c, "s1").await;
    let s2 = secret(&c, "s2").await;
    let r = |name: &str, secret_ref: &str| json!({"name": name, "secret_ref": secret_ref});
    let bad = |reason: &str| schema("Container", reason, "secret_refs");

    let cases: Vec<(Value, String)> = vec![
        (json!({"name": "no-type"}), schema("Container", "'type' is a required property", "None")),
        (json!({"type": "foo"}), schema("Container", "'foo' is not one of ['generic', 'rsa', 'certificate']", "type")),
        (json!({"type": 5}), schema("Container", "5 is not of type 'string'", "type")),
        (json!({"type": "generic", "name": 1}), schema("Container", "1 is not of type 'string', 'null'", "name")),
        (
            json!({"type": "generic", "name": "n".repeat(256)}),
            schema("Container", &format!("'{}' is too long", "n".repeat(256)), "name"),
        ),
        (
            json!({"type": "generic", "secret_refs": "x"}),
            schema("Container", "'x' is not of type 'array'", "secret_refs"),
        ),
        (json!({"type": "generic", "secret_refs": [{"name": "a"}]}), bad("'secret_ref' is a required property")),
        (json!({"type": "generic", "secret_refs": [{"name": "a", "secret_ref": " "}]}), bad("'' should be non-empty")),
        (
            json!({"type": "generic", "secret_refs": [{"secret_ref": s1}, {"secret_ref": s2}]}),
            bad("Duplicate reference names are not allowed"),
        ),
        (
            json!({"type": "generic", "secret_refs": [r("a", &s1), r("b", &s1)]}),
            bad("Duplicate secret ids are not allowed"),
        ),
        // The transcript's case: an rsa container with a generic name.
        (
            json!({"type": "rsa", "name": "bad-rsa", "secret_refs": [r("first", &s1)]}),
            bad(
                "only 'private_key', 'public_key' and 'private_key_passphrase' reference names are allowed for RSA type",
            ),
        ),
        (
            json!({"type": "rsa", "secret_refs": [r("public_key", &s1), r("private_key_passphrase", &s2)]}),
            bad("The minimum required reference names are 'public_key' and'private_key' for RSA type"),
        ),
        (
            json!({"type": "rsa", "secret_refs": [{"secret_ref": s1}, r("private_key", &s2)]}),
            bad(
                "only 'private_key', 'public_key' and 'private_key_passphrase' reference names are allowed for RSA type",
            ),
        ),
        (
            json!({"type": "certificate", "secret_refs": [r("certificate", &s1), r("public_key", &s2)]}),
            bad(
                "only 'private_key', 'certificate' , 'private_key_passphrase',  or 'intermediates' reference names are allowed for Certificate type",
            ),
        ),
        (
            json!({"type": "certificate", "secret_refs": [r("private_key", &s1), r("intermediates", &s2)]}),
            bad("The minimum required reference name is 'certificate' for Certificate type"),
        ),
    ];
    for (body, description) in cases {
        let resp = c.post_json("/v1/containers", &body).await;
        assert_eq!(resp.status.as_u16(), 400, "{body}: {}", resp.text());
        assert_eq!(resp.json(), json!({"code": 400, "title": "Bad Request", "description": description}), "{body}");
    }

    // Secrets that are not the caller's live secrets: 404, named by the ref's name.
    let missing = format!("{}/v1/secrets/{}", server.base, uuid::Uuid::new_v4());
    c.post_json("/v1/containers", &json!({"type": "generic", "name": "dangling", "secret_refs": [r("x", &missing)]}))
        .await
        .expect_error(404, "Secret provided for 'x' doesn't exist.");
    c.post_json("/v1/containers", &json!({"type": "generic", "secret_refs": [r("ok", &s1), {"secret_ref": missing}]}))
        .await
        .expect_error(404, "Secret provided for 'None' doesn't exist.");
    let other = server.client(&project());
    let foreign = secret(&other, "theirs").await;
    c.post_json("/v1/containers", &json!({"type": "generic", "secret_refs": [r("t", &foreign)]}))
        .await
        .expect_error(404, "Secret provided for 't' doesn't exist.");
    for not_a_secret in
        ["nonsense", "http://h/v1/containers/5f6d3a4b-08a5-4a4e-9d3f-0d1f2a3b4c5d", "http://h/v1/secrets/not-a-uuid"]
    {
        c.post_json("/v1/containers", &json!({"type": "generic", "secret_refs": [r("n", not_a_secret)]}))
            .await
            .expect_error(404, "Secret provided for 'n' doesn't exist.");
    }
    // Any host is accepted: only the path names the secret.
    let elsewhere = format!("https://barbican.example:9311/v1/secrets/{}", id_of(&s1));
    let ok = create(&c, json!({"type": "generic", "secret_refs": [r("e", &elsewhere)]})).await;
    assert_eq!(refs(&c.get(&ok).await.expect(200).json()), vec![(json!("e"), s1.clone())]);
    // A deleted secret is gone.
    c.delete(&s2).await.expect(204);
    c.post_json("/v1/containers", &json!({"type": "generic", "secret_refs": [r("d", &s2)]}))
        .await
        .expect_error(404, "Secret provided for 'd' doesn't exist.");

    // Body-level refusals.
    c.send(
        Method::POST,
        "/v1/containers",
        Some(b"{\"type\": \"generic\"}".to_vec()),
        &[("Content-Type", "text/plain")],
    )
    .await
    .expect_error(415, "Unexpected content type. Expected content types are: ['application/json']");
    c.send(Method::POST, "/v1/containers", Some(b"{not json".to_vec()), &[("Content-Type", "application/json")])
        .await
        .expect_error(400, "Malformed JSON");
    c.post_json("/v1/containers", &json!(["generic"]))
        .await
        .expect_error(400, &schema("Container", "['generic'] is not of type 'object'", "None"));

    // Nothing but the one valid container was created.
    assert_eq!(c.get("/v1/containers").await.expect(200).json()["total"], 1);
});

both_backends!(get_delete_and_isolation, |backend| async move {
    let (server, storage) = start(backend).await;
    let c = server.client(&project());
    let other = server.client(&project());
    let s = secret(&c, "s").await;
    let container =
        create(&c, json!({"type": "generic", "name": "mine", "secret_refs": [{"name": "a", "secret_ref": s}]})).await;

    c.get("/v1/containers/not-a-uuid").await.expect_error(404, "Not Found. Provided container id is invalid.");
    c.delete("/v1/containers/not-a-uuid").await.expect_error(404, "Not Found. Provided container id is invalid.");
    let unknown = format!("/v1/containers/{}", uuid::Uuid::new_v4());
    c.get(&unknown).await.expect_error(404, "Secrets container not found.");
    c.delete(&unknown).await.expect_error(404, "Secrets container not found.");

    // Another project: not found (not forbidden), and its delete changes nothing.
    other.get(&container).await.expect_error(404, "Secrets container not found.");
    other.delete(&container).await.expect_error(404, "Secrets container not found.");
    c.get(&container).await.expect(200);

    let r = c.delete(&container).await.expect(204);
    assert!(r.bytes.is_empty());
    assert!(r.header("content-type").is_none());
    c.get(&container).await.expect_error(404, "Secrets container not found.");
    c.delete(&container).await.expect_error(404, "Secrets container not found.");
    assert_eq!(c.get("/v1/containers").await.expect(200).json(), json!({"containers": [], "total": 0}));
    // The secret outlives its container; the container's links are gone.
    c.get(&s).await.expect(200);
    assert_eq!(db_scalar::<i64>(&storage, "SELECT count(*) FROM container_secrets").await, 0);
});

both_backends!(add_and_remove_secrets, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let (s1, s2) = (secret(&c, "s1").await, secret(&c, "s2").await);
    let container = create(&c, json!({"type": "generic", "secret_refs": [{"name": "a", "secret_ref": s1}]})).await;
    let path = format!("{container}/secrets");

    let r = c.post_json(&path, &json!({"name": "b", "secret_ref": s2})).await.expect(201);
    assert_eq!(r.json(), json!({"container_ref": container}));
    assert_eq!(r.header("location").as_deref(), Some(container.as_str()));
    // The same (secret, name) again is a conflict; the same secret under another name is fine.
    c.post_json(&path, &json!({"name": "b", "secret_ref": s2})).await.expect_error(
        409,
        "Conflict. A secret with that name and ID is already stored in this container. \
         The same secret can exist in a container as long as the name is unique.",
    );
    c.post_json(&path, &json!({"name": "c", "secret_ref": s2})).await.expect(201);
    c.post_json(&path, &json!({"secret_ref": s2})).await.expect(201);
    let body = c.get(&container).await.expect(200).json();
    assert_eq!(
        refs(&body),
        vec![(json!("a"), s1.clone()), (json!("b"), s2.clone()), (json!("c"), s2.clone()), (Value::Null, s2.clone())]
    );

    // Refusals of POST.
    let missing = format!("{}/v1/secrets/{}", server.base, uuid::Uuid::new_v4());
    c.post_json(&path, &json!({"name": "m", "secret_ref": missing}))
        .await
        .expect_error(404, "Secret provided doesn't exist.");
    let foreign = secret(&server.client(&project()), "theirs").await;
    c.post_json(&path, &json!({"name": "f", "secret_ref": foreign}))
        .await
        .expect_error(404, "Secret provided doesn't exist.");
    c.post_json(&path, &json!({"name": "x"}))
        .await
        .expect_error(400, &schema("ContainerSecret", "'secret_ref' is a required property", "None"));
    c.post_json(&path, &json!({"name": null, "secret_ref": s1}))
        .await
        .expect_error(400, &schema("ContainerSecret", "None is not of type 'string'", "name"));
    c.send(Method::POST, &path, Some(b"{}".to_vec()), &[("Content-Type", "text/plain")])
        .await
        .expect_error(415, "Unexpected content type. Expected content types are: ['application/json']");
    let unknown = format!("/v1/containers/{}/secrets", uuid::Uuid::new_v4());
    c.post_json(&unknown, &json!({})).await.expect_error(404, "Secrets container not found.");
    server
        .client(&project())
        .post_json(&path, &json!({"name": "z", "secret_ref": s1}))
        .await
        .expect_error(404, "Secrets container not found.");
    let rsa = create(
        &c,
        json!({"type": "rsa", "secret_refs": [
        {"name": "public_key", "secret_ref": s1}, {"name": "private_key", "secret_ref": s2}]}),
    )
    .await;
    c.post_json(&format!("{rsa}/secrets"), &json!({"name": "extra", "secret_ref": s1}))
        .await
        .expect_error(400, "Only 'generic' containers can be modified.");
    assert_eq!(refs(&c.get(&rsa).await.expect(200).json()).len(), 2);

    // DELETE takes a JSON body, whatever its content type; name and secret must both match.
    let del = |body: Value| {
        let c = c.clone();
        let path = path.clone();
        async move { c.send(Method::DELETE, &path, Some(serde_json::to_vec(&body).unwrap()), &[]).await }
    };
    let r = del(json!({"name": "b", "secret_ref": s2})).await.expect(204);
    assert!(r.bytes.is_empty());
    del(json!({"name": "b", "secret_ref": s2})).await.expect_error(404, "Secret provided is not in the container");
    del(json!({"name": "a", "secret_ref": s2})).await.expect_error(404, "Secret provided is not in the container");
    del(json!({"name": "m", "secret_ref": missing}))
        .await
        .expect_error(404, &format!("Secret 'm' with reference '{missing}' doesn't exist."));
    del(json!({"secret_ref": missing}))
        .await
        .expect_error(404, &format!("Secret 'None' with reference '{missing}' doesn't exist."));
    del(json!({"secret_ref": s2})).await.expect(204);
    c.json(Method::DELETE, &path, &json!({"name": "c", "secret_ref": s2})).await.expect(204);
    assert_eq!(refs(&c.get(&container).await.expect(200).json()), vec![(json!("a"), s1.clone())]);
    c.send(Method::DELETE, &path, Some(b"not json".to_vec()), &[]).await.expect_error(400, "Malformed JSON");
    c.send(Method::DELETE, &path, Some(Vec::new()), &[]).await.expect_error(400, "Malformed JSON");
    // As in Barbican, removal is not limited to generic containers.
    c.json(Method::DELETE, &format!("{rsa}/secrets"), &json!({"name": "public_key", "secret_ref": s1}))
        .await
        .expect(204);
    assert_eq!(refs(&c.get(&rsa).await.expect(200).json()), vec![(json!("private_key"), s2.clone())]);
});

both_backends!(deleting_a_secret_removes_it_from_containers, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let (s1, s2) = (secret(&c, "s1").await, secret(&c, "s2").await);
    let container = create(
        &c,
        json!({"type": "generic", "secret_refs": [{"name": "a", "secret_ref": s1}, {"name": "b", "secret_ref": s2}]}),
    )
    .await;
    c.delete(&s1).await.expect(204);
    let body = c.get(&container).await.expect(200).json();
    assert_eq!(refs(&body), vec![(json!("b"), s2.clone())]);
    let listed = c.get("/v1/containers").await.expect(200).json();
    assert_eq!(listed["containers"][0]["secret_refs"], json!([{"name": "b", "secret_ref": s2}]));
});

/// The id of the live consumer called `name` (the API never shows consumer ids).
async fn consumer_id(storage: &Storage, name: &str) -> String {
    use sqlx::Connection;
    let url = storage.database_url();
    let sql = "SELECT id FROM container_consumers WHERE name = $1 AND NOT deleted";
    let id: uuid::Uuid = match storage.backend {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open sqlite");
            sqlx::query_scalar(sql).bind(name).fetch_one(&mut c).await.expect("consumer id")
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&url).await.expect("open postgres");
            sqlx::query_scalar(sql).bind(name).fetch_one(&mut c).await.expect("consumer id")
        }
    };
    id.to_string()
}

both_backends!(container_consumers, |backend| async move {
    let (server, storage) = start(backend).await;
    let c = server.client(&project());
    let s = secret(&c, "s").await;
    let container = create(
        &c,
        json!({"type": "generic", "name": "my-container", "secret_refs": [{"name": "first", "secret_ref": s}]}),
    )
    .await;
    let path = format!("{container}/consumers");
    let id = id_of(&container);

    assert_eq!(c.get(&path).await.expect(200).json(), json!({"consumers": [], "total": 0}));

    // POST: 200, Barbican's (odd) Location, and the whole container.
    let consumer = json!({"name": "my-service", "URL": "http://consumer.example/1"});
    let r = c.post_json(&path, &consumer).await.expect(200);
    assert_eq!(r.header("location"), Some(format!("{}/v1/consumers/{id}/consumers", server.base)));
    let body = r.json();
    assert_eq!(keys(&body), CONTAINER_KEYS);
    assert_eq!(body["consumers"], json!([consumer]));
    assert_eq!(body["secret_refs"], json!([{"name": "first", "secret_ref": s}]));
    assert!(body["updated"].as_str().unwrap() > body["created"].as_str().unwrap(), "{body}");
    // Idempotent.
    let again = c.post_json(&path, &consumer).await.expect(200).json();
    assert_eq!(again["consumers"], json!([consumer]));
    assert_eq!(c.get(&container).await.expect(200).json()["consumers"], json!([consumer]));

    // The list is ordered by name and paged under containers/{id}/consumers.
    c.post_json(&path, &json!({"name": "b-svc", "URL": "http://b"})).await.expect(200);
    c.post_json(&path, &json!({"name": "a-svc", "URL": "http://a"})).await.expect(200);
    let all = c.get(&path).await.expect(200).json();
    assert_eq!(all["total"], 3);
    let listed: Vec<&str> = all["consumers"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(listed, vec!["a-svc", "b-svc", "my-service"]);
    assert_eq!(keys(&all["consumers"][0]), CONSUMER_KEYS);
    assert_eq!(all["consumers"][0]["status"], "ACTIVE");
    assert_eq!(all["consumers"][0]["URL"], "http://a");
    let page = c.get(&format!("{path}?limit=1&offset=1")).await.expect(200).json();
    let nav = format!("{}/v1/containers/{id}/consumers", server.base);
    assert_eq!(page["consumers"][0]["name"], "b-svc");
    assert_eq!(page["previous"], format!("{nav}?limit=1&offset=0"));
    assert_eq!(page["next"], format!("{nav}?limit=1&offset=2"));
    assert_eq!(c.get(&format!("{path}?offset=7")).await.expect(200).json(), json!({"consumers": [], "total": 3}));

    // One consumer by id.
    let cid = consumer_id(&storage, "b-svc").await;
    let one = c.get(&format!("{path}/{cid}")).await.expect(200).json();
    assert_eq!(keys(&one), CONSUMER_KEYS);
    assert_eq!((one["name"].as_str(), one["URL"].as_str()), (Some("b-svc"), Some("http://b")));
    c.get(&format!("{path}/nope")).await.expect_error(404, "Not Found. Provided consumer id is invalid.");
    c.get(&format!("{path}/{}", uuid::Uuid::new_v4())).await.expect_error(404, "Consumer not found.");

    // DELETE with a JSON body: 200 with the container, then 404.
    let gone = c.json(Method::DELETE, &path, &json!({"name": "b-svc", "URL": "http://b"})).await.expect(200).json();
    assert_eq!(keys(&gone), CONTAINER_KEYS);
    let left: Vec<&str> = gone["consumers"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(left, vec!["my-service", "a-svc"]);
    c.json(Method::DELETE, &path, &json!({"name": "b-svc", "URL": "http://b"}))
        .await
        .expect_error(404, "Consumer not found.");
    c.json(Method::DELETE, &path, &json!({"name": "a-svc", "URL": "http://other"}))
        .await
        .expect_error(404, "Consumer not found.");
    c.get(&format!("{path}/{cid}")).await.expect_error(404, "Consumer not found.");
    assert_eq!(c.get(&path).await.expect(200).json()["total"], 2);
    // Registering it again brings it back.
    c.post_json(&path, &json!({"name": "b-svc", "URL": "http://b"})).await.expect(200);
    assert_eq!(c.get(&path).await.expect(200).json()["total"], 3);

    // Validation (the `Consumer` schema) and content type.
    let consumer_schema = |reason: &str, prop: &str| schema("Consumer", reason, prop);
    c.post_json(&path, &json!({})).await.expect_error(400, &consumer_schema("'name' is a required property", "None"));
    c.post_json(&path, &json!({"name": "x"}))
        .await
        .expect_error(400, &consumer_schema("'URL' is a required property", "None"));
    c.post_json(&path, &json!({"name": "x", "URL": "  "}))
        .await
        .expect_error(400, &consumer_schema("'' should be non-empty", "URL"));
    let long = "n".repeat(37);
    c.post_json(&path, &json!({"name": long, "URL": "http://x"}))
        .await
        .expect_error(400, &consumer_schema(&format!("'{long}' is too long"), "name"));
    c.json(Method::DELETE, &path, &json!({"URL": "http://x"}))
        .await
        .expect_error(400, &consumer_schema("'name' is a required property", "None"));
    c.send(Method::POST, &path, Some(serde_json::to_vec(&consumer).unwrap()), &[("Content-Type", "text/plain")])
        .await
        .expect_error(415, "Unexpected content type. Expected content types are: ['application/json']");
    c.send(Method::DELETE, &path, Some(serde_json::to_vec(&consumer).unwrap()), &[])
        .await
        .expect_error(415, "Unexpected content type. Expected content types are: ['application/json']");
    assert_eq!(c.get(&path).await.expect(200).json()["total"], 3);

    // Unknown and foreign containers are not found, whatever the body.
    let unknown = format!("/v1/containers/{}/consumers", uuid::Uuid::new_v4());
    c.get(&unknown).await.expect_error(404, "Secrets container not found.");
    c.post_json(&unknown, &json!({})).await.expect_error(404, "Secrets container not found.");
    let other = server.client(&project());
    other.get(&path).await.expect_error(404, "Secrets container not found.");
    other.post_json(&path, &consumer).await.expect_error(404, "Secrets container not found.");
    other.json(Method::DELETE, &path, &consumer).await.expect_error(404, "Secrets container not found.");
    other
        .get(&format!("{path}/{}", consumer_id(&storage, "a-svc").await))
        .await
        .expect_error(404, "Secrets container not found.");

    // Deleting the container retires its consumers.
    c.delete(&container).await.expect(204);
    c.get(&path).await.expect_error(404, "Secrets container not found.");
    assert_eq!(db_scalar::<i64>(&storage, "SELECT count(*) FROM container_consumers WHERE NOT deleted").await, 0);
});

both_backends!(concurrent_consumer_registrations_make_one, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let container = create(&c, json!({"type": "generic"})).await;
    let path = format!("{container}/consumers");
    let consumer = json!({"name": "svc", "URL": "http://svc"});
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (c, path, consumer) = (c.clone(), path.clone(), consumer.clone());
            tokio::spawn(async move { c.post_json(&path, &consumer).await.status.as_u16() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(c.get(&path).await.expect(200).json()["total"], 1);
    assert_eq!(c.get(&container).await.expect(200).json()["consumers"], json!([consumer]));
});
