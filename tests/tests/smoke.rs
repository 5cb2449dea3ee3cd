//! The server starts on both backends and answers version discovery.

use portcullis_tests::*;

both_backends!(version_discovery, |backend| async move {
    let (server, _storage) = start(backend).await;
    let r = server.anonymous().get("/").await.expect(300);
    assert_eq!(r.json()["versions"]["values"][0]["id"], "v1");
    assert_eq!(r.header("openstack-api-version").as_deref(), Some("key-manager 1.0"));
    assert!(r.header("x-openstack-request-id").unwrap().starts_with("req-"));
});
