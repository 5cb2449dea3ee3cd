//! Secret user metadata end to end (`/v1/secrets/{id}/metadata[/{key}]`), as a Barbican client
//! sees it: statuses, bodies, `Location`, lowercased keys, and every validation error worded as
//! Barbican words it, with nothing changed by a refused request.

use portcullis_tests::*;

fn schema_error(schema: &str, reason: &str, property: &str) -> String {
    format!("Provided object does not match schema '{schema}': {reason}. Invalid property: '{property}'")
}

async fn metadata_of(c: &Client, secret_ref: &str) -> Value {
    c.get(&format!("{secret_ref}/metadata")).await.expect(200).json()
}

both_backends!(metadata_lifecycle, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let secret_ref = c.create_text_secret("meta", "payload").await;
    let meta = format!("{secret_ref}/metadata");

    assert_eq!(metadata_of(&c, &secret_ref).await, json!({"metadata": {}}));

    // PUT replaces everything: 201, `metadata_ref`, no Location; keys lowercased, values stripped.
    let r = c
        .put_json(&meta, &json!({"metadata": {"Color": "red", "size": " big ", "": "empty-key-ok"}}))
        .await
        .expect(201);
    assert_eq!(r.json(), json!({"metadata_ref": meta}));
    assert_eq!(r.header("location"), None);
    assert_eq!(
        metadata_of(&c, &secret_ref).await,
        json!({"metadata": {"color": "red", "size": "big", "": "empty-key-ok"}})
    );

    // POST adds one key: 201, Location naming the (lowercased) key.
    let r = c.post_json(&meta, &json!({"key": " Shape ", "value": "round"})).await.expect(201);
    assert_eq!(r.header("location").as_deref(), Some(format!("{meta}/shape").as_str()));
    assert_eq!(r.text(), r#"{"key":"shape","value":"round"}"#);
    assert_eq!(c.get(&format!("{meta}/shape")).await.expect(200).json(), json!({"key": "shape", "value": "round"}));

    // The URL key is not lowercased: only the stored spelling matches.
    c.get(&format!("{meta}/SHAPE")).await.expect_error(404, "Secret metadata not found.");
    c.get(&format!("{meta}/nothing")).await.expect_error(404, "Secret metadata not found.");

    // A key that exists already, in any case, is a conflict and keeps its value.
    for key in ["shape", "SHAPE"] {
        c.post_json(&meta, &json!({"key": key, "value": "square"}))
            .await
            .expect_error(409, "Conflict. Key in request is already in the secret metadata");
    }
    assert_eq!(metadata_of(&c, &secret_ref).await["metadata"]["shape"], "round");

    // PUT one key: 200 with the pair; the body's key is lowercased before the comparison.
    let r = c.put_json(&format!("{meta}/shape"), &json!({"key": "Shape", "value": "oval"})).await.expect(200);
    assert_eq!(r.json(), json!({"key": "shape", "value": "oval"}));
    assert_eq!(c.get(&format!("{meta}/shape")).await.expect(200).json()["value"], "oval");

    // Body key ≠ URL key: 409 (a whole sentence, unlike Barbican's cut-off one); nothing changes.
    c.put_json(&format!("{meta}/shape"), &json!({"key": "color", "value": "blue"}))
        .await
        .expect_error(409, "Key in request data does not match key in the request url.");
    // A URL key the secret lacks is 404, checked before the mismatch.
    c.put_json(&format!("{meta}/missing"), &json!({"key": "missing", "value": "x"}))
        .await
        .expect_error(404, "Secret metadata not found.");
    c.put_json(&format!("{meta}/missing"), &json!({"key": "other", "value": "x"}))
        .await
        .expect_error(404, "Secret metadata not found.");
    assert_eq!(
        metadata_of(&c, &secret_ref).await,
        json!({"metadata": {"color": "red", "size": "big", "": "empty-key-ok", "shape": "oval"}})
    );

    // DELETE: 204 with no body, also for a key that is not there.
    let r = c.delete(&format!("{meta}/shape")).await.expect(204);
    assert!(r.bytes.is_empty());
    c.get(&format!("{meta}/shape")).await.expect_error(404, "Secret metadata not found.");
    c.delete(&format!("{meta}/shape")).await.expect(204);
    c.delete(&format!("{meta}/SIZE")).await.expect(204);
    assert_eq!(metadata_of(&c, &secret_ref).await["metadata"]["size"], "big", "URL keys are not lowercased");

    // PUT replaces all: old keys are gone.
    c.put_json(&meta, &json!({"metadata": {"only": "one"}})).await.expect(201);
    assert_eq!(metadata_of(&c, &secret_ref).await, json!({"metadata": {"only": "one"}}));
    c.put_json(&meta, &json!({"metadata": {}})).await.expect(201);
    assert_eq!(metadata_of(&c, &secret_ref).await, json!({"metadata": {}}));

    // Many keys at once (written in several batches) all arrive.
    let many: serde_json::Map<String, Value> =
        (0..1201).map(|i| (format!("K{i:04}"), json!(format!("v{i}")))).collect();
    c.put_json(&meta, &json!({"metadata": many})).await.expect(201);
    let got = metadata_of(&c, &secret_ref).await;
    let got = got["metadata"].as_object().expect("metadata");
    assert_eq!(got.len(), 1201);
    assert_eq!((got["k0000"].as_str(), got["k1200"].as_str()), (Some("v0"), Some("v1200")));
    c.put_json(&meta, &json!({"metadata": {}})).await.expect(201);

    // A trailing slash (as clients send) is the same resource; other methods are 405.
    c.post_json(&format!("{meta}/"), &json!({"key": "k", "value": "v"})).await.expect(201);
    c.post_json(&format!("{meta}/k"), &json!({"key": "k", "value": "v"})).await.expect_error(405, "");
    c.send(Method::PATCH, &meta, None, &[]).await.expect_error(405, "");
});

both_backends!(metadata_validation_errors_change_nothing, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let secret_ref = c.create_text_secret("meta", "payload").await;
    let meta = format!("{secret_ref}/metadata");
    c.put_json(&meta, &json!({"metadata": {"keep": "me"}})).await.expect(201);
    c.post_json(&meta, &json!({"key": "k", "value": "v"})).await.expect(201);
    let before = metadata_of(&c, &secret_ref).await;
    let long = "v".repeat(256);

    // PUT /metadata (schema 'SecretMetadata', then Barbican's own checks).
    let whole: Vec<(Value, String)> = vec![
        (json!({}), schema_error("SecretMetadata", "'metadata' is a required property", "metadata")),
        (json!({"metadata": []}), schema_error("SecretMetadata", "[] is not of type 'object'", "metadata")),
        (json!({"metadata": " x "}), schema_error("SecretMetadata", "'x' is not of type 'object'", "metadata")),
        (json!([1]), schema_error("SecretMetadata", "[1] is not of type 'object'", "None")),
        (json!({"metadata": {"a": 1}}), "Invalid Metadata. Keys and Values must be Strings.".into()),
        (json!({"metadata": {"a": null}}), "Invalid Metadata. Keys and Values must be Strings.".into()),
        (json!({"metadata": {"bad key": "x"}}), "Invalid Key. Key must be URL safe.".into()),
        (json!({"metadata": {"ok": "x", "b@d": "y"}}), "Invalid Key. Key must be URL safe.".into()),
        (json!({"metadata": {"k.dot": 1}}), "Invalid Key. Key must be URL safe.".into()),
        (
            json!({"metadata": {"a": long}}),
            schema_error("SecretMetadata", &format!("'{long}' is too long"), "metadata"),
        ),
        (
            json!({"metadata": {long.clone(): "a"}}),
            schema_error("SecretMetadata", &format!("'{long}' is too long"), "metadata"),
        ),
    ];
    for (body, description) in &whole {
        c.put_json(&meta, body).await.expect_error(400, description);
    }

    // POST /metadata and PUT /metadata/{key} (schema 'SecretMetadatum').
    let one: Vec<(Value, String)> = vec![
        (json!({}), schema_error("SecretMetadatum", "'value' is a required property", "value")),
        (json!({"key": "k"}), schema_error("SecretMetadatum", "'value' is a required property", "value")),
        (json!({"value": "v"}), schema_error("SecretMetadatum", "'key' is a required property", "key")),
        (json!({"key": 1, "value": "v"}), schema_error("SecretMetadatum", "1 is not of type 'string'", "key")),
        (
            json!({"key": "k", "value": ["v"]}),
            schema_error("SecretMetadatum", "['v'] is not of type 'string'", "value"),
        ),
        (
            json!({"key": "k", "value": "v", "extra": 1}),
            schema_error("SecretMetadatum", "Additional properties are not allowed ('extra' was unexpected)", "None"),
        ),
        (
            json!({"key": "k", "value": long}),
            schema_error("SecretMetadatum", &format!("'{long}' is too long"), "value"),
        ),
        (json!({"key": "a/b", "value": "v"}), "Invalid Key. Key must be URL safe.".into()),
        (json!({"key": "ünïcode", "value": "v"}), "Invalid Key. Key must be URL safe.".into()),
    ];
    for (body, description) in &one {
        c.post_json(&meta, body).await.expect_error(400, description);
        c.put_json(&format!("{meta}/k"), body).await.expect_error(400, description);
    }

    // Body-level refusals, for every JSON-taking method.
    let wrong_type = "Unexpected content type. Expected content types are: ['application/json']";
    for (method, target) in
        [(Method::PUT, meta.clone()), (Method::POST, meta.clone()), (Method::PUT, format!("{meta}/k"))]
    {
        c.send(method.clone(), &target, Some(b"{\"metadata\": {".to_vec()), &[("Content-Type", "application/json")])
            .await
            .expect_error(400, "Malformed JSON");
        c.send(method.clone(), &target, Some(b"{}".to_vec()), &[("Content-Type", "text/plain")])
            .await
            .expect_error(415, wrong_type);
        c.send(method, &target, Some(b"{}".to_vec()), &[]).await.expect_error(415, wrong_type);
    }

    assert_eq!(metadata_of(&c, &secret_ref).await, before, "refused requests changed nothing");
});

both_backends!(metadata_of_missing_or_foreign_secrets_is_not_found, |backend| async move {
    let (server, _storage) = start(backend).await;
    let owner = server.client(&project());
    let stranger = server.client(&project());
    let secret_ref = owner.create_text_secret("mine", "payload").await;
    let meta = format!("{secret_ref}/metadata");
    owner.put_json(&meta, &json!({"metadata": {"k": "v"}})).await.expect(201);

    // Another project never learns the secret exists, and changes nothing.
    let not_found = "Secret not found.";
    stranger.get(&meta).await.expect_error(404, not_found);
    stranger.put_json(&meta, &json!({"metadata": {"x": "y"}})).await.expect_error(404, not_found);
    stranger.post_json(&meta, &json!({"key": "x", "value": "y"})).await.expect_error(404, not_found);
    stranger.get(&format!("{meta}/k")).await.expect_error(404, not_found);
    stranger.put_json(&format!("{meta}/k"), &json!({"key": "k", "value": "stolen"})).await.expect_error(404, not_found);
    stranger.delete(&format!("{meta}/k")).await.expect_error(404, not_found);
    assert_eq!(metadata_of(&owner, &secret_ref).await, json!({"metadata": {"k": "v"}}));

    // Bad and unknown secret ids.
    owner.get("/v1/secrets/not-a-uuid/metadata").await.expect_error(404, "Not Found. Provided secret id is invalid.");
    owner
        .delete("/v1/secrets/not-a-uuid/metadata/k")
        .await
        .expect_error(404, "Not Found. Provided secret id is invalid.");
    let unknown = format!("/v1/secrets/{}/metadata", uuid::Uuid::new_v4());
    owner.get(&unknown).await.expect_error(404, not_found);
    owner.post_json(&unknown, &json!({"key": "k", "value": "v"})).await.expect_error(404, not_found);

    // A key that is not even UTF-8 is simply not there (a JSON 404, not a plain-text 400).
    owner.get(&format!("{meta}/%FF")).await.expect_error(404, "Secret metadata not found.");

    // A deleted secret's metadata is gone with it.
    owner.delete(&secret_ref).await.expect(204);
    owner.get(&meta).await.expect_error(404, not_found);
    owner.get(&format!("{meta}/k")).await.expect_error(404, not_found);
});
