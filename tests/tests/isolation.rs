//! Projects are isolated: another project's secret is "not found" to every verb (we never reveal
//! that it exists; Barbican answers 403), and refused requests leave it intact.

use portcullis_tests::*;

both_backends!(another_project_sees_nothing, |backend| async move {
    let (server, _storage) = start(backend).await;
    let a = server.client(&project());
    let b = server.client(&project());

    let with_payload = a.create_text_secret("a-secret", "project A's payload").await;
    let r = a.post_json("/v1/secrets", &json!({"name": "a-two-step"})).await.expect(201);
    let without_payload = r.json()["secret_ref"].as_str().unwrap().to_owned();
    let before = a.get(&with_payload).await.expect(200).json();

    // List: B has nothing, whatever the filters.
    assert_eq!(b.get("/v1/secrets").await.expect(200).json(), json!({"secrets": [], "total": 0}));
    assert_eq!(b.get("/v1/secrets?name=a-secret").await.expect(200).json()["total"], 0);

    // Every verb on A's secrets is 404, worded like an unknown id.
    for secret in [&with_payload, &without_payload] {
        b.get(secret).await.expect_error(404, "Secret not found.");
        b.send(Method::GET, secret, None, &[("Accept", "text/plain")]).await.expect_error(404, "Secret not found.");
        b.payload(secret, Some("text/plain")).await.expect_error(404, "Secret not found.");
        b.payload(secret, None).await.expect_error(404, "Secret not found.");
        b.send(Method::PUT, secret, Some(b"B's payload".to_vec()), &[("Content-Type", "text/plain")])
            .await
            .expect_error(404, "Secret not found.");
        b.delete(secret).await.expect_error(404, "Secret not found.");
    }
    // An unknown id looks exactly the same.
    let unknown = b.get("/v1/secrets/62daf826-03ac-4150-a0c1-c26191455671").await.expect(404).json();
    let foreign = b.get(&with_payload).await.expect(404).json();
    assert_eq!(unknown, foreign);

    // A's secrets are intact: metadata unchanged, payload readable, the two-step secret still
    // without a payload (B's PUT stored nothing) and still accepting A's.
    assert_eq!(a.get(&with_payload).await.expect(200).json(), before);
    assert_eq!(a.payload(&with_payload, Some("text/plain")).await.expect(200).text(), "project A's payload");
    a.payload(&without_payload, None).await.expect_error(404, "Not Found. Sorry but your secret has no payload.");
    a.send(Method::PUT, &without_payload, Some(b"A's own".to_vec()), &[("Content-Type", "text/plain")])
        .await
        .expect(204);
    assert_eq!(a.payload(&without_payload, Some("text/plain")).await.expect(200).text(), "A's own");
    assert_eq!(a.get("/v1/secrets").await.expect(200).json()["total"], 2);

    // B's own secrets live beside A's, and B's list shows only them.
    let mine = b.create_text_secret("b-secret", "project B's payload").await;
    let l = b.get("/v1/secrets").await.expect(200).json();
    assert_eq!(l["total"], 1);
    assert_eq!(l["secrets"][0]["secret_ref"], mine.as_str());
    a.get(&mine).await.expect_error(404, "Secret not found.");
    assert_eq!(a.get("/v1/secrets").await.expect(200).json()["total"], 2);

    // Project ids are compared exactly: another spelling is another project.
    let a_id = a.project.clone().unwrap();
    let upper = server.client(&a_id.to_uppercase());
    upper.get(&with_payload).await.expect_error(404, "Secret not found.");
    assert_eq!(upper.get("/v1/secrets").await.expect(200).json()["total"], 0);
});
