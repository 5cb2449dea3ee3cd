//! Every refusal of the transcripts' "Error shapes" section, with Barbican's status and
//! description; a refused request changes nothing. Also microversion negotiation and the headers
//! every response carries.

use portcullis_tests::*;

fn schema_error(reason: &str, property: &str) -> String {
    format!("Provided object does not match schema 'Secret': {reason}. Invalid property: '{property}'")
}

/// Sends a raw create request and checks the refusal, and that the project's secrets are
/// unchanged by it.
async fn refused(c: &Client, body: &[u8], content_type: Option<&str>, status: u16, description: &str) -> Resp {
    let before = c.secret_total().await;
    let headers: Vec<(&str, &str)> = content_type.map(|ct| vec![("Content-Type", ct)]).unwrap_or_default();
    let r = c.send(Method::POST, "/v1/secrets", Some(body.to_vec()), &headers).await.expect_error(status, description);
    assert_eq!(r.header("content-type").as_deref(), Some("application/json"));
    assert!(r.header("location").is_none());
    assert_eq!(c.secret_total().await, before, "a refused create ({description}) must not store anything");
    r
}

async fn refused_json(c: &Client, body: Value, status: u16, description: &str) -> Resp {
    refused(c, &serde_json::to_vec(&body).unwrap(), Some("application/json"), status, description).await
}

both_backends!(refused_creates, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    c.create_text_secret("existing", "already here").await;
    assert_eq!(c.secret_total().await, 1);

    // Body and content type.
    refused(&c, br#"{"payload": "x","#, Some("application/json"), 400, "Malformed JSON").await;
    refused(&c, b"", Some("application/json"), 400, "Malformed JSON").await;
    refused(&c, b"[1,2]", Some("application/json"), 400, &schema_error("[1, 2] is not of type 'object'", "None")).await;
    refused(&c, b"\"text\"", Some("application/json"), 400, &schema_error("'text' is not of type 'object'", "None"))
        .await;
    let json_415 = "Unexpected content type. Expected content types are: ['application/json']";
    let body = br#"{"payload":"x","payload_content_type":"text/plain"}"#;
    refused(&c, body, Some("text/plain"), 415, json_415).await;
    refused(&c, body, None, 415, json_415).await;
    // Parameters on the JSON content type are fine.
    let r = c
        .send(Method::POST, "/v1/secrets", Some(body.to_vec()), &[("Content-Type", "application/json; charset=utf-8")])
        .await;
    r.expect(201);
    assert_eq!(c.secret_total().await, 2);

    // Size limits: payload over max_secret_bytes (20000), body over max_request_bytes (25000;
    // Barbican truncates and says "Malformed JSON", we say what happened).
    let r = refused_json(
        &c,
        json!({"payload": "a".repeat(20_001), "payload_content_type": "text/plain"}),
        413,
        "Provided information too large to process",
    )
    .await;
    assert_eq!(r.json()["title"], "Request Entity Too Large");
    refused_json(
        &c,
        json!({"payload": "a".repeat(25_001), "payload_content_type": "text/plain"}),
        413,
        "Provided information too large to process",
    )
    .await;
    // Exactly at the limit is accepted.
    c.post_json("/v1/secrets", &json!({"payload": "a".repeat(20_000), "payload_content_type": "text/plain"}))
        .await
        .expect(201);
    assert_eq!(c.secret_total().await, 3);

    // The Secret schema and payload rules, worded as Barbican's validator.
    let cases: Vec<(Value, String)> = vec![
        (
            json!({"name": "x", "payload": "hello"}),
            schema_error(
                "If 'payload' is supplied, 'payload_content_type' must also be supplied.",
                "payload_content_type",
            ),
        ),
        (
            json!({"payload": "hello", "payload_content_type": "text/html"}),
            schema_error(
                "payload_content_type is not one of ['text/plain', 'text/plain;charset=utf-8', 'text/plain; charset=utf-8', 'application/octet-stream', 'application/pkcs8']",
                "payload_content_type",
            ),
        ),
        (
            json!({"payload": "aGVsbG8=", "payload_content_type": "text/plain", "payload_content_encoding": "base64"}),
            schema_error("payload_content_encoding is not one of None", "payload_content_encoding"),
        ),
        (
            json!({"payload": "hello", "payload_content_type": "application/octet-stream"}),
            schema_error("payload_content_encoding is not one of ['base64', 'binary']", "payload_content_encoding"),
        ),
        (
            json!({"payload": "!!!notbase64", "payload_content_type": "application/octet-stream", "payload_content_encoding": "base64"}),
            schema_error("Invalid payload for payload_content_encoding", "payload"),
        ),
        (
            json!({"payload": "", "payload_content_type": "text/plain"}),
            schema_error("If 'payload' specified, must be non empty", "payload"),
        ),
        (
            json!({"payload": "   ", "payload_content_type": "text/plain"}),
            schema_error("If 'payload' specified, must be non empty", "payload"),
        ),
        (
            json!({"payload": "x", "payload_content_type": "text/plain", "expiration": "2000-01-01T00:00:00Z"}),
            schema_error("'expiration' is before current time", "expiration"),
        ),
        (
            json!({"payload": "x", "payload_content_type": "text/plain", "expiration": "not a date"}),
            schema_error("Invalid date for 'expiration'", "expiration"),
        ),
        (
            json!({"payload": "x", "payload_content_type": "text/plain", "secret_type": "banana"}),
            schema_error(
                "'banana' is not one of ['symmetric', 'passphrase', 'private', 'public', 'certificate', 'opaque']",
                "secret_type",
            ),
        ),
        (
            json!({"payload": "x", "payload_content_type": "text/plain", "bit_length": "abc"}),
            schema_error("'abc' is not of type 'integer'", "bit_length"),
        ),
        (json!({"bit_length": 0}), schema_error("0 is less than the minimum of 1", "bit_length")),
        (json!({"bit_length": 40000}), schema_error("40000 is greater than the maximum of 32767", "bit_length")),
        (
            json!({"name": "n".repeat(256), "payload": "x", "payload_content_type": "text/plain"}),
            schema_error(&format!("'{}' is too long", "n".repeat(256)), "name"),
        ),
        (json!({"name": 5}), schema_error("5 is not of type 'string', 'null'", "name")),
        (json!({"algorithm": 2}), schema_error("2 is not of type 'string'", "algorithm")),
        (
            json!({"payload_content_type": "text/plain"}),
            schema_error("payload must be provided when payload_content_type is specified", "payload"),
        ),
        (
            json!({"payload_content_type": null}),
            schema_error("payload must be provided when payload_content_type is specified", "payload"),
        ),
        // Only name and payload_content_type may be null in Barbican's schema.
        (json!({"expiration": null}), schema_error("None is not of type 'string'", "expiration")),
        (json!({"algorithm": null}), schema_error("None is not of type 'string'", "algorithm")),
        (json!({"bit_length": null}), schema_error("None is not of type 'integer'", "bit_length")),
        (json!({"bit_length": true}), schema_error("True is not of type 'integer'", "bit_length")),
        (
            json!({"payload": null, "payload_content_type": "text/plain"}),
            schema_error("None is not of type 'string'", "payload"),
        ),
        (
            json!({"secret_type": "s".repeat(81)}),
            schema_error(&format!("'{}' is too long", "s".repeat(81)), "secret_type"),
        ),
        (
            json!({"payload": "eA==", "payload_content_type": "application/octet-stream", "payload_content_encoding": 5}),
            schema_error("5 is not of type 'string'", "payload_content_encoding"),
        ),
        (
            json!({"payload": "eA==", "payload_content_type": "application/octet-stream", "payload_content_encoding": "binary"}),
            schema_error("'binary' is not one of ['base64']", "payload_content_encoding"),
        ),
    ];
    for (body, description) in cases {
        refused_json(&c, body, 400, &description).await;
    }
    assert_eq!(c.secret_total().await, 3);

    // Barbican strips every string value before validating: these are accepted.
    let r = c
        .post_json(
            "/v1/secrets",
            &json!({"name": null, "payload": " eA== ", "payload_content_type": " application/octet-stream ", "payload_content_encoding": " base64 ",
                "expiration": " 2099-01-01T00:00:00 ", "bit_length": 8.0}),
        )
        .await
        .expect(201);
    let m = c.get(r.json()["secret_ref"].as_str().unwrap()).await.expect(200).json();
    assert_eq!(
        (m["name"].clone(), m["expiration"].clone(), m["bit_length"].clone()),
        (Value::Null, json!("2099-01-01T00:00:00"), json!(8))
    );
    assert_eq!(c.secret_total().await, 4);
});

both_backends!(request_level_errors, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let secret = c.create_text_secret("s", "payload").await;

    // No X-Project-Id: 400, JSON, nothing stored.
    let anon = server.anonymous();
    anon.post_json("/v1/secrets", &json!({"payload": "x", "payload_content_type": "text/plain"}))
        .await
        .expect_error(400, "Missing X-Project-Id");
    anon.get("/v1/secrets").await.expect_error(400, "Missing X-Project-Id");
    anon.get(&secret).await.expect_error(400, "Missing X-Project-Id");
    assert_eq!(c.secret_total().await, 1);

    // Unknown and malformed ids.
    c.get("/v1/secrets/62daf826-03ac-4150-a0c1-c26191455671").await.expect_error(404, "Secret not found.");
    c.payload("/v1/secrets/1dcdf4ea-a4ef-40e7-9f4f-5fe0d1d60ba6", Some("text/plain"))
        .await
        .expect_error(404, "Secret not found.");
    c.delete("/v1/secrets/1dcdf4ea-a4ef-40e7-9f4f-5fe0d1d60ba6").await.expect_error(404, "Secret not found.");
    for bad in ["not-a-uuid", "1234", "62daf826-03ac-4150-a0c1-c26191455671x"] {
        c.get(&format!("/v1/secrets/{bad}")).await.expect_error(404, "Not Found. Provided secret id is invalid.");
        c.payload(&format!("/v1/secrets/{bad}"), None)
            .await
            .expect_error(404, "Not Found. Provided secret id is invalid.");
    }

    // An id that does not even decode (invalid UTF-8) is the route's own JSON 404, on every
    // resource, never axum's plain-text 400.
    for (path, message) in [
        ("/v1/secrets/%FF", "Not Found. Provided secret id is invalid."),
        ("/v1/secrets/%FF/metadata", "Not Found. Provided secret id is invalid."),
        ("/v1/containers/%FF", "Not Found. Provided container id is invalid."),
        ("/v1/orders/%FF", "Order not found."),
        ("/v1/cas/%FF", "Not Found. CA not found."),
        ("/v1/admin/jobs/%FF", "Job not found."),
        ("/v1/project-quotas/%FF", "Project quotas not found."),
        ("/v1/transport_keys/%FF", "Not Found. Provided transport key id is invalid."),
    ] {
        c.get(path).await.expect_error(404, message);
    }

    // Unknown resources.
    c.get("/v1/nothing-here").await.expect_error(404, "");
    c.get(&format!("{secret}/nothing-here")).await.expect(404);

    // Methods.
    let r = c
        .send(Method::PATCH, "/v1/secrets", Some(b"{}".to_vec()), &[("Content-Type", "application/json")])
        .await
        .expect_error(405, "");
    let allow = r.header("allow").expect("Allow header on 405");
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let r = c
        .send(Method::POST, &secret, Some(b"{}".to_vec()), &[("Content-Type", "application/json")])
        .await
        .expect_error(405, "");
    let allow = r.header("allow").expect("Allow header on 405");
    assert!(["GET", "PUT", "DELETE"].iter().all(|m| allow.contains(m)) && !allow.contains("POST"), "{allow}");
    c.send(Method::PUT, &format!("{secret}/payload"), Some(b"x".to_vec()), &[("Content-Type", "text/plain")])
        .await
        .expect_error(405, "");
    assert_eq!(c.payload(&secret, Some("text/plain")).await.expect(200).text(), "payload");

    // PUT with the wrong content type, on a secret that has data: the content type is checked first.
    c.send(Method::PUT, &secret, Some(b"x".to_vec()), &[("Content-Type", "application/json")]).await.expect_error(
        415,
        "Unexpected content type. Expected content types are: ['application/octet-stream', 'text/plain']",
    );
    c.payload(&secret, Some("application/x-foo")).await.expect(406);
    assert_eq!(c.secret_total().await, 1);
});

both_backends!(microversions_and_common_headers, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());

    // Unsupported and unparsable versions.
    let r = c.with_header("OpenStack-API-Version", "key-manager 9.9").get("/v1/secrets").await.expect(406);
    assert!(r.text().contains("Invalid microversion: Unacceptable version header: 9.9"), "{}", r.text());
    c.with_header("OpenStack-API-Version", "key-manager 1.3").get("/v1/secrets").await.expect(406);
    let r = c.with_header("OpenStack-API-Version", "key-manager garbage").get("/v1/secrets").await.expect(400);
    assert!(r.text().contains("Invalid microversion: invalid version string: garbage"), "{}", r.text());
    // A refused version refuses the request: nothing is stored.
    c.with_header("OpenStack-API-Version", "key-manager 9.9")
        .post_json("/v1/secrets", &json!({"payload": "x", "payload_content_type": "text/plain"}))
        .await
        .expect(406);
    assert_eq!(c.secret_total().await, 0);
    for r in [
        c.with_header("OpenStack-API-Version", "key-manager 9.9").get("/v1/secrets").await,
        c.with_header("OpenStack-API-Version", "key-manager garbage").get("/").await,
    ] {
        assert!(r.header("x-openstack-request-id").is_some_and(|id| id.starts_with("req-")));
    }

    // Negotiated versions.
    for (header, served) in [
        (None, "key-manager 1.0"),
        (Some("key-manager 1.1"), "key-manager 1.1"),
        (Some("key-manager latest"), "key-manager 1.2"),
        (Some("KEY-MANAGER 1.2"), "key-manager 1.2"),
        (Some("compute 2.1, key-manager 1.1"), "key-manager 1.1"),
        (Some("compute 2.1"), "key-manager 1.0"),
    ] {
        let client = match header {
            Some(h) => c.with_header("OpenStack-API-Version", h),
            None => c.clone(),
        };
        let r = client.get("/v1/secrets").await.expect(200);
        assert_eq!(r.header("openstack-api-version").as_deref(), Some(served), "{header:?}");
        assert!(r.header("vary").is_some_and(|v| v.to_ascii_lowercase().contains("openstack-api-version")));
    }

    // Version discovery: 1.0 document by default, min/max at 1.1 and later.
    let r = server.anonymous().get("/").await.expect(300);
    assert_eq!(r.json()["versions"]["values"][0]["status"], "stable");
    let r = server.anonymous().with_header("OpenStack-API-Version", "key-manager 1.1").get("/").await.expect(300);
    assert_eq!(r.header("openstack-api-version").as_deref(), Some("key-manager 1.1"));
    assert_eq!(
        r.json(),
        json!({"versions": [{"id": "v1", "status": "CURRENT", "min_version": "1.0", "max_version": "1.2", "links": [
            {"rel": "self", "href": format!("{}/v1/", server.base)},
            {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}
        ]}]})
    );
    let r = server.anonymous().with_header("OpenStack-API-Version", "key-manager latest").get("/").await.expect(300);
    assert_eq!(r.header("openstack-api-version").as_deref(), Some("key-manager 1.2"));
    assert_eq!(r.json()["versions"][0]["max_version"], "1.2");
    let r = c.get("/v1").await.expect(200);
    assert_eq!(r.json()["version"]["id"], "v1");

    // Every response, success or refusal, carries a request id and the served version.
    let secret = c.create_text_secret("h", "headers").await;
    let mut responses = vec![
        ("GET /", server.anonymous().get("/").await),
        ("GET /v1", c.get("/v1").await),
        ("list", c.get("/v1/secrets").await),
        ("metadata", c.get(&secret).await),
        ("payload", c.payload(&secret, None).await),
        ("406 payload", c.payload(&secret, Some("application/x-foo")).await),
        ("404", c.get("/v1/secrets/62daf826-03ac-4150-a0c1-c26191455671").await),
        ("404 top level", c.get("/v1/nothing-here").await),
        ("405", c.send(Method::PATCH, "/v1/secrets", None, &[]).await),
        ("415", c.send(Method::POST, "/v1/secrets", Some(b"{}".to_vec()), &[]).await),
        ("400 no project", server.anonymous().get("/v1/secrets").await),
        ("400 bad query", c.get("/v1/secrets?sort=bogus").await),
        ("413", c.post_json("/v1/secrets", &json!({"payload": "a".repeat(30_000)})).await),
        ("409", c.send(Method::PUT, &secret, Some(b"x".to_vec()), &[("Content-Type", "text/plain")]).await),
    ];
    let deleted = c.create_text_secret("gone", "x").await;
    responses.push(("204", c.delete(&deleted).await));
    let mut ids = std::collections::HashSet::new();
    for (what, r) in &responses {
        let id = r.header("x-openstack-request-id").unwrap_or_else(|| panic!("{what}: no x-openstack-request-id"));
        assert!(id.starts_with("req-") && uuid::Uuid::parse_str(&id[4..]).is_ok(), "{what}: {id}");
        assert!(ids.insert(id.clone()), "{what}: request ids are unique");
        assert_eq!(r.header("openstack-api-version").as_deref(), Some("key-manager 1.0"), "{what}");
    }
});
