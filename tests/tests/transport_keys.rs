//! Transport keys (`/v1/transport_keys`): Barbican's shapes for create, list, get and delete;
//! admin-only writes; bad bodies refused with nothing stored; and what `POST /v1/secrets` answers
//! for `transport_key_needed` / `transport_key_id` when no store takes transport keys.

use portcullis_tests::*;

const PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----";

async fn create(c: &Client, plugin: &str) -> String {
    let r = c.post_json("/v1/transport_keys", &json!({"plugin_name": plugin, "transport_key": PEM})).await.expect(201);
    let body = r.json();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    let key_ref = body["transport_key_ref"].as_str().expect("transport_key_ref").to_owned();
    assert_eq!(r.header("location").as_deref(), Some(key_ref.as_str()));
    assert!(key_ref.contains("/v1/transport_keys/"), "{key_ref}");
    key_ref
}

both_backends!(crud_shapes, |backend| async move {
    let (server, _storage) = start(backend).await;
    let admin = server.client(&project());
    // Any project's member reads them: transport keys belong to no project.
    let reader = server.client(&project()).with_header("X-Roles", "reader");

    let empty = reader.get("/v1/transport_keys").await.expect(200).json();
    assert_eq!(empty, json!({"transport_keys": [], "total": 0}));

    let a = create(&admin, "dogtag").await;
    let b = create(&admin, "dogtag").await;
    let other = create(&admin, "kmip").await;

    let one = reader.get(&a).await.expect(200).json();
    assert_eq!(one["transport_key_ref"], a);
    assert_eq!(one["plugin_name"], "dogtag");
    assert_eq!(one["transport_key"], PEM);
    assert_eq!(one["status"], "ACTIVE");
    assert!(is_barbican_timestamp(one["created"].as_str().unwrap()), "{one}");
    assert!(is_barbican_timestamp(one["updated"].as_str().unwrap()), "{one}");

    // A list is refs, oldest first, paged with Barbican's links.
    let all = reader.get("/v1/transport_keys").await.expect(200).json();
    assert_eq!(all["transport_keys"], json!([a, b, other]));
    assert_eq!(all["total"], 3);
    let page = reader.get("/v1/transport_keys?limit=1&offset=1").await.expect(200).json();
    assert_eq!(page["transport_keys"], json!([b]));
    assert!(page["next"].as_str().unwrap().ends_with("/v1/transport_keys?limit=1&offset=2"), "{page}");
    assert!(page["previous"].as_str().unwrap().ends_with("/v1/transport_keys?limit=1&offset=0"), "{page}");
    let dogtag = reader.get("/v1/transport_keys?plugin_name=dogtag").await.expect(200).json();
    assert_eq!(dogtag["transport_keys"], json!([a, b]));
    assert_eq!(dogtag["total"], 2);
    let none = reader.get("/v1/transport_keys?plugin_name=nope").await.expect(200).json();
    assert_eq!(none, json!({"transport_keys": [], "total": 0}));

    admin.delete(&a).await.expect(204);
    reader.get(&a).await.expect_error(404, "Not Found. Transport Key not found.");
    admin.delete(&a).await.expect_error(404, "Not Found. Transport Key not found.");
    assert_eq!(reader.get("/v1/transport_keys").await.expect(200).json()["total"], 2);
});

both_backends!(writes_need_admin_and_bad_input_is_refused, |backend| async move {
    let (server, _storage) = start(backend).await;
    let admin = server.client(&project());
    let member = server.client(&project()).with_header("X-Roles", "member");
    let total =
        |c: Client| async move { c.get("/v1/transport_keys").await.expect(200).json()["total"].as_i64().unwrap() };

    member.post_json("/v1/transport_keys", &json!({"plugin_name": "p", "transport_key": PEM})).await.expect(403);
    let key = create(&admin, "p").await;
    member.delete(&key).await.expect(403);
    admin.get(&key).await.expect(200);

    let schema = |reason: &str, prop: &str| {
        format!("Provided object does not match schema 'Transport Key': {reason}. Invalid property: '{prop}'")
    };
    for (body, reason, prop) in [
        (json!({"transport_key": PEM}), "plugin_name must be provided", "plugin_name"),
        (json!({"plugin_name": "  ", "transport_key": PEM}), "plugin_name must be provided", "plugin_name"),
        (json!({"plugin_name": "p"}), "transport_key must be provided", "transport_key"),
        (json!({"plugin_name": 7, "transport_key": PEM}), "7 is not of type 'string'", "plugin_name"),
        (
            json!({"plugin_name": "p", "transport_key": "not a pem"}),
            "transport_key must be a PEM-encoded public key or certificate",
            "transport_key",
        ),
        (
            json!({"plugin_name": "p", "transport_key": PEM.replace("PUBLIC KEY", "PRIVATE KEY")}),
            "transport_key must be a PEM-encoded public key or certificate",
            "transport_key",
        ),
    ] {
        admin.post_json("/v1/transport_keys", &body).await.expect_error(400, &schema(reason, prop));
    }
    admin
        .send(Method::POST, "/v1/transport_keys", Some(b"{not json".to_vec()), &[("Content-Type", "application/json")])
        .await
        .expect_error(400, "Malformed JSON");
    admin
        .send(Method::POST, "/v1/transport_keys", Some(PEM.as_bytes().to_vec()), &[("Content-Type", "text/plain")])
        .await
        .expect(415);
    assert_eq!(total(admin.clone()).await, 1, "refused requests stored nothing");

    for path in
        ["/v1/transport_keys/not-a-uuid".to_owned(), format!("/v1/transport_keys/{}", uuid::Uuid::new_v4().simple())]
    {
        admin.get(&path).await.expect_error(404, "Not Found. Provided transport key id is invalid.");
        admin.delete(&path).await.expect_error(404, "Not Found. Provided transport key id is invalid.");
    }
    admin
        .get(&format!("/v1/transport_keys/{}", uuid::Uuid::new_v4()))
        .await
        .expect_error(404, "Not Found. Transport Key not found.");
});

both_backends!(secret_transport_key_fields_as_barbican, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let key = create(&c, "barbican.plugin.dogtag.DogtagKRAPlugin").await;
    let payload = |extra: Value| {
        let mut body = json!({"name": "s", "payload": "x", "payload_content_type": "text/plain"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };

    c.post_json("/v1/secrets", &json!({"name": "s", "transport_key_needed": "true"}))
        .await
        .expect_error(400, "Secret creation issue seen - Secret store supported plugin not found.");
    c.post_json("/v1/secrets", &payload(json!({"transport_key_id": uuid::Uuid::new_v4().to_string()})))
        .await
        .expect_error(400, "Secret creation issue seen - Provided transport key was not found.");
    c.post_json("/v1/secrets", &payload(json!({"transport_key_id": id_of(&key)})))
        .await
        .expect_error(400, "Secret creation issue seen - No plugin was found that could support your request.");
    assert_eq!(c.secret_total().await, 0, "refused creates stored nothing");

    // The second step of a two-step upload with a transport key: refused, and the secret stays
    // without a payload.
    let two_step = c.post_json("/v1/secrets", &json!({"name": "two-step"})).await.expect(201).json();
    let secret_ref = two_step["secret_ref"].as_str().unwrap();
    let c = &c;
    let put = |query: String| {
        let path = format!("{secret_ref}?transport_key_id={query}");
        async move { c.send(Method::PUT, &path, Some(b"wrapped".to_vec()), &[("content-type", "text/plain")]).await }
    };
    put(uuid::Uuid::new_v4().to_string())
        .await
        .expect_error(400, "Secret update issue seen - Provided transport key was not found.");
    put(id_of(&key))
        .await
        .expect_error(400, "Secret update issue seen - No plugin was found that could support your request.");
    c.payload(secret_ref, Some("text/plain"))
        .await
        .expect_error(404, "Not Found. Sorry but your secret has no payload.");
    c.send(Method::PUT, secret_ref, Some(b"plain".to_vec()), &[("content-type", "text/plain")]).await.expect(204);
    assert_eq!(c.payload(secret_ref, Some("text/plain")).await.expect(200).text(), "plain");
    c.delete(secret_ref).await.expect(204);
    assert_eq!(c.secret_total().await, 0);

    // Ignored where Barbican ignores them.
    c.post_json("/v1/secrets", &json!({"name": "s", "transport_key_needed": "false"})).await.expect(201);
    c.post_json("/v1/secrets", &payload(json!({"transport_key_needed": "true"}))).await.expect(201);
    c.post_json("/v1/secrets", &json!({"name": "s", "transport_key_id": id_of(&key)})).await.expect(201);
    assert_eq!(c.secret_total().await, 3);
});
