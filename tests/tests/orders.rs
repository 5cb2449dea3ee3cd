//! Orders end to end: POST (202), the in-process workers carrying orders to ACTIVE or ERROR,
//! the generated secrets and rsa containers, validation errors, list paging, delete and project
//! isolation. The passphrase of an asymmetric order must reach neither the order's meta nor the
//! jobs table.

use std::time::{Duration, Instant};

use portcullis_tests::*;

const REASON_UNKNOWN_ALG: &str = "Process TypeOrder issue seen - Secret generate supported plugin not found..";

/// Posts an order, checks the 202 shape, returns its ref.
async fn order(c: &Client, body: Value) -> String {
    let r = c.post_json("/v1/orders", &body).await.expect(202);
    let body = r.json();
    let keys: Vec<_> = body.as_object().expect("object").keys().cloned().collect();
    assert_eq!(keys, vec!["order_ref"]);
    let order_ref = body["order_ref"].as_str().expect("order_ref").to_owned();
    assert_eq!(r.header("location").as_deref(), Some(order_ref.as_str()));
    order_ref
}

/// Polls the order until it is no longer PENDING (at most ~20 s).
async fn settled(c: &Client, order_ref: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let o = c.get(order_ref).await.expect(200).json();
        if o["status"] != "PENDING" {
            return o;
        }
        assert!(Instant::now() < deadline, "order still PENDING after 20 s: {o}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn order_total(c: &Client) -> i64 {
    c.get("/v1/orders").await.expect(200).json()["total"].as_i64().expect("total")
}

fn key_meta(algorithm: &str) -> Value {
    json!({"name": "order-key", "algorithm": algorithm, "bit_length": 256, "mode": "cbc",
           "payload_content_type": "application/octet-stream"})
}

both_backends!(key_order_goes_active, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let order_ref = order(&c, json!({"type": "key", "meta": key_meta("aes")})).await;
    let o = settled(&c, &order_ref).await;
    assert_eq!(o["status"], "ACTIVE", "{o}");
    let keys: Vec<_> = o.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        ["created", "updated", "status", "type", "meta", "sub_status", "sub_status_message", "secret_ref", "order_ref"]
    );
    assert_eq!(o["sub_status"], "Unknown");
    assert_eq!(o["meta"]["expiration"], Value::Null);
    let secret_ref = o["secret_ref"].as_str().unwrap();
    let s = c.get(secret_ref).await.expect(200).json();
    assert_eq!(
        (s["secret_type"].as_str(), s["algorithm"].as_str(), s["bit_length"].as_i64()),
        (Some("symmetric"), Some("aes"), Some(256))
    );
    assert_eq!(s["name"], "order-key");
    let payload = c.payload(secret_ref, Some("application/octet-stream")).await.expect(200);
    assert_eq!(payload.bytes.len(), 32);

    // text/plain key orders still end ACTIVE (Barbican stores the raw key).
    let mut meta = key_meta("aes");
    meta["payload_content_type"] = "text/plain".into();
    let o = settled(&c, &order(&c, json!({"type": "key", "meta": meta})).await).await;
    assert_eq!(o["status"], "ACTIVE", "{o}");
});

both_backends!(asymmetric_orders_make_rsa_containers, |backend| async move {
    let (server, storage) = start(backend).await;
    let c = server.client(&project());
    let meta = json!({"name": "order-rsa", "algorithm": "rsa", "bit_length": 2048,
                      "payload_content_type": "application/octet-stream"});
    let o = settled(&c, &order(&c, json!({"type": "asymmetric", "meta": meta})).await).await;
    assert_eq!(o["status"], "ACTIVE", "{o}");
    assert!(o.get("secret_ref").is_none(), "{o}");
    let container = c.get(o["container_ref"].as_str().unwrap()).await.expect(200).json();
    assert_eq!((container["type"].as_str(), container["name"].as_str()), (Some("rsa"), Some("order-rsa")));
    let refs = container["secret_refs"].as_array().unwrap();
    let names: Vec<_> = refs.iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["private_key", "public_key"]);
    let pem = |i: usize| {
        let c = c.clone();
        let r = refs[i]["secret_ref"].as_str().unwrap().to_owned();
        async move { c.payload(&r, Some("application/octet-stream")).await.expect(200).text() }
    };
    assert!(pem(0).await.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(pem(1).await.starts_with("-----BEGIN PUBLIC KEY-----"));

    // With a passphrase: a third secret, an encrypted private key, and no passphrase at rest
    // outside its sealed secret.
    let passphrase = "correct-horse-battery-staple-0rder";
    let meta = json!({"name": "order-rsa-pw", "algorithm": "rsa", "bit_length": 2048, "passphrase": passphrase});
    let o = settled(&c, &order(&c, json!({"type": "asymmetric", "meta": meta})).await).await;
    assert_eq!(o["status"], "ACTIVE", "{o}");
    assert!(o["meta"].get("passphrase").is_none(), "{o}");
    assert!(!o.to_string().contains(passphrase));
    let container = c.get(o["container_ref"].as_str().unwrap()).await.expect(200).json();
    let refs = container["secret_refs"].as_array().unwrap();
    let names: Vec<_> = refs.iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["private_key", "public_key", "private_key_passphrase"]);
    let private = c.payload(refs[0]["secret_ref"].as_str().unwrap(), Some("application/octet-stream")).await;
    assert!(private.expect(200).text().starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let stored = c.payload(refs[2]["secret_ref"].as_str().unwrap(), Some("text/plain")).await.expect(200);
    assert_eq!(stored.text(), passphrase);
    let in_orders = storage
        .scalar(
            "SELECT count(*) FROM orders WHERE meta LIKE '%correct-horse%'",
            "SELECT count(*) FROM orders WHERE meta LIKE '%correct-horse%'",
        )
        .await;
    let in_jobs = storage
        .scalar(
            "SELECT count(*) FROM Jobs WHERE CAST(job AS TEXT) LIKE '%correct-horse%'",
            "SELECT count(*) FROM apalis.jobs WHERE job::text LIKE '%correct-horse%'",
        )
        .await;
    let jobs = storage.scalar("SELECT count(*) FROM Jobs", "SELECT count(*) FROM apalis.jobs").await;
    assert_eq!((in_orders, in_jobs), (0, 0));
    assert_eq!(jobs, 2, "one job per order");
});

both_backends!(unknown_algorithm_ends_in_error, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let o = settled(&c, &order(&c, json!({"type": "key", "meta": key_meta("blowfishy")})).await).await;
    assert_eq!(o["status"], "ERROR", "{o}");
    assert_eq!(o["error_status_code"], "400");
    assert_eq!(o["error_reason"], REASON_UNKNOWN_ALG);
    assert!(o.get("secret_ref").is_none() && o.get("sub_status").is_none(), "{o}");
});

// A name the database cannot store (PostgreSQL's text holds no NUL; SQLite's does) fails the
// order at its first delivery, not after every retry (minutes with the default backoff).
both_backends!(a_value_the_database_cannot_store_fails_the_order_at_once, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let mut meta = key_meta("aes");
    meta["name"] = json!("nul\u{0}name");
    let o = settled(&c, &order(&c, json!({"type": "key", "meta": meta})).await).await;
    match backend {
        Backend::Sqlite => assert_eq!(o["status"], "ACTIVE", "{o}"),
        Backend::Postgres => {
            assert_eq!(o["status"], "ERROR", "{o}");
            assert_eq!(o["error_status_code"], "400", "{o}");
            assert_eq!(
                o["error_reason"], "Process TypeOrder issue seen - The order holds a value the database cannot store.",
                "{o}"
            );
        }
    }
});

both_backends!(validation_errors_create_nothing, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let schema = |reason: &str, prop: &str| {
        format!("Provided object does not match schema 'Order': {reason}. Invalid property: '{prop}'")
    };
    c.post_json("/v1/orders", &json!({"type": "key"}))
        .await
        .expect_error(400, &schema("'meta' is a required property", "meta"));
    c.post_json("/v1/orders", &json!({"type": "banana", "meta": key_meta("aes")})).await.expect(400);
    let mut meta = key_meta("aes");
    meta["bit_length"] = 123.into();
    c.post_json("/v1/orders", &json!({"type": "key", "meta": meta})).await.expect(400);
    let cert = json!({"type": "certificate", "meta": {"request_type": "full-cmc", "subject_dn": "CN=example.com"}});
    c.post_json("/v1/orders", &cert).await.expect_error(400, "Full CMC Requests are not yet supported.");
    assert_eq!(order_total(&c).await, 0);
    c.put_json("/v1/orders", &json!({})).await.expect_error(405, "Order update is not supported.");
});

both_backends!(list_delete_and_isolation, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let mut refs = Vec::new();
    for _ in 0..3 {
        refs.push(order(&c, json!({"type": "key", "meta": key_meta("aes")})).await);
    }
    let page = c.get("/v1/orders?limit=2").await.expect(200).json();
    assert_eq!(page["total"], 3);
    let listed: Vec<_> = page["orders"].as_array().unwrap().iter().map(|o| o["order_ref"].clone()).collect();
    assert_eq!(listed, [refs[0].clone(), refs[1].clone()]);
    assert!(page["next"].as_str().unwrap().ends_with("/v1/orders?limit=2&offset=2"), "{page}");
    let page = c.get("/v1/orders?limit=2&offset=2").await.expect(200).json();
    assert_eq!(page["orders"].as_array().unwrap().len(), 1);
    assert!(page.get("previous").is_some() && page.get("next").is_none(), "{page}");

    let other = server.client(&project());
    other.get(&refs[0]).await.expect_error(404, "Order not found.");
    other.delete(&refs[0]).await.expect_error(404, "Order not found.");
    assert_eq!(order_total(&other).await, 0);
    c.get("/v1/orders/not-a-uuid").await.expect_error(404, "Order not found.");

    c.delete(&refs[0]).await.expect(204);
    c.get(&refs[0]).await.expect_error(404, "Order not found.");
    c.delete(&refs[0]).await.expect_error(404, "Order not found.");
    assert_eq!(order_total(&c).await, 2);
});
