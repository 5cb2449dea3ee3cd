//! Secret stores (Barbican's multiple backends): a server configured with two `simple_crypto`
//! stores under different master keys lists them, routes new secrets to the project's preferred
//! store (else the global default), and always decrypts a secret with the store that sealed it.
//! Without configured stores the resources are 404 and one implicit `default` store serves.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use portcullis_tests::*;
use sqlx::Connection;

const NOT_ENABLED: &str = "Not Found. Multiple backends support is not enabled in service configuration.";
const NO_PREFERRED: &str = "Not Found. No preferred secret store defined for this project.";
const STORE_NOT_FOUND: &str = "Not Found. Secret store not found.";

/// Writes a fresh master key file (32 random bytes, base64) under the data dir.
fn key_file(storage: &Storage, name: &str) -> PathBuf {
    let bytes: Vec<u8> =
        uuid::Uuid::new_v4().as_bytes().iter().chain(uuid::Uuid::new_v4().as_bytes()).copied().collect();
    let path = storage.data_dir.path().join(name);
    std::fs::write(&path, format!("{}\n", base64::engine::general_purpose::STANDARD.encode(bytes))).unwrap();
    path
}

/// Writes a configuration file with these `(name, key file, global_default)` stores.
fn config_file(storage: &Storage, file: &str, stores: &[(&str, &Path, bool)]) -> String {
    let mut toml = String::new();
    for (name, key, default) in stores {
        toml.push_str(&format!(
            "[[secret_stores]]\nname = \"{name}\"\nplugin = \"simple_crypto\"\nmaster_key_file = \"{}\"\nglobal_default = {default}\n\n",
            key.display()
        ));
    }
    let path = storage.data_dir.path().join(file);
    std::fs::write(&path, toml).unwrap();
    path.display().to_string()
}

/// Storage with a two-store configuration (`primary`, the global default, and `secondary`);
/// returns the configuration file's path.
fn two_stores(storage: &Storage) -> String {
    let (a, b) = (key_file(storage, "primary.key"), key_file(storage, "secondary.key"));
    config_file(storage, "stores.toml", &[("primary", &a, true), ("secondary", &b, false)])
}

fn start_with(storage: &Storage, config: &str) -> TestServer {
    TestServer::start_on(storage, &[("PORTCULLIS_CONFIG", config)])
}

/// The store whose KEK sealed the secret's payload, read from the database.
async fn store_of(storage: &Storage, secret_ref: &str) -> String {
    let id = uuid::Uuid::parse_str(&id_of(secret_ref)).unwrap();
    let sql = "SELECT k.store_name FROM secret_payloads p JOIN project_keks k ON k.id = p.kek_id \
               WHERE p.secret_id = $1";
    match storage.backend {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&storage.database_url()).await.unwrap();
            sqlx::query_scalar(sql).bind(id).fetch_one(&mut c).await.unwrap()
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&storage.database_url()).await.unwrap();
            sqlx::query_scalar(sql).bind(id).fetch_one(&mut c).await.unwrap()
        }
    }
}

/// The store list by name: name → body.
async fn stores_by_name(c: &Client) -> std::collections::BTreeMap<String, Value> {
    let body = c.get("/v1/secret-stores").await.expect(200).json();
    let list = body["secret_stores"].as_array().expect("secret_stores").clone();
    list.into_iter().map(|s| (s["name"].as_str().unwrap().to_owned(), s)).collect()
}

fn assert_store_shape(s: &Value, name: &str, global_default: bool) {
    let mut keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created",
            "crypto_plugin",
            "global_default",
            "name",
            "secret_store_plugin",
            "secret_store_ref",
            "status",
            "updated"
        ],
        "{s}"
    );
    assert_eq!(s["name"], name);
    assert_eq!(s["global_default"], global_default);
    assert_eq!(s["secret_store_plugin"], "store_crypto");
    assert_eq!(s["crypto_plugin"], "simple_crypto");
    assert_eq!(s["status"], "ACTIVE");
    assert!(is_barbican_timestamp(s["created"].as_str().unwrap()), "{s}");
    assert!(is_barbican_timestamp(s["updated"].as_str().unwrap()), "{s}");
    assert!(s["secret_store_ref"].as_str().unwrap().contains("/v1/secret-stores/"), "{s}");
}

both_backends!(lists_stores_and_the_global_default, |backend| async move {
    let storage = Storage::new(backend).await;
    let config = two_stores(&storage);
    let server = start_with(&storage, &config);
    let c = server.client(&project());

    let stores = stores_by_name(&c).await;
    assert_eq!(stores.keys().collect::<Vec<_>>(), ["primary", "secondary"]);
    assert_store_shape(&stores["primary"], "primary", true);
    assert_store_shape(&stores["secondary"], "secondary", false);
    for s in stores.values() {
        let one = c.get(s["secret_store_ref"].as_str().unwrap()).await.expect(200).json();
        assert_eq!(&one, s);
    }
    let default = c.get("/v1/secret-stores/global-default").await.expect(200).json();
    assert_eq!(default, stores["primary"]);

    // Ids are stable across restarts.
    server.kill();
    let server = start_with(&storage, &config);
    let again = stores_by_name(&server.client(&project())).await;
    for name in ["primary", "secondary"] {
        assert_eq!(
            id_of(again[name]["secret_store_ref"].as_str().unwrap()),
            id_of(stores[name]["secret_store_ref"].as_str().unwrap())
        );
    }
});

both_backends!(preferred_store_routes_new_secrets_and_old_ones_still_decrypt, |backend| async move {
    let storage = Storage::new(backend).await;
    let config = two_stores(&storage);
    let server = start_with(&storage, &config);
    let (c, other) = (server.client(&project()), server.client(&project()));
    let stores = stores_by_name(&c).await;
    let secondary = stores["secondary"]["secret_store_ref"].as_str().unwrap().to_owned();

    c.get("/v1/secret-stores/preferred").await.expect_error(404, NO_PREFERRED);
    let before = c.create_text_secret("before", "sealed by primary").await;

    // Only an admin sets a preference; a refusal changes nothing.
    c.with_header("X-Roles", "member")
        .send(Method::POST, &format!("{secondary}/preferred"), None, &[])
        .await
        .expect(403);
    c.get("/v1/secret-stores/preferred").await.expect(404);

    c.send(Method::POST, &format!("{secondary}/preferred"), None, &[]).await.expect(204);
    assert_eq!(c.get("/v1/secret-stores/preferred").await.expect(200).json(), stores["secondary"]);
    let after = c.create_text_secret("after", "sealed by secondary").await;
    let elsewhere = other.create_text_secret("elsewhere", "other project, global default").await;
    // A two-step upload and a key order follow the preference too.
    let two_step = c.post_json("/v1/secrets", &json!({"name": "two-step"})).await.expect(201).json()["secret_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    c.send(Method::PUT, &two_step, Some(b"uploaded later".to_vec()), &[("Content-Type", "text/plain")])
        .await
        .expect(204);
    let order = c
        .post_order(&json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 256, "mode": "cbc",
            "payload_content_type": "application/octet-stream"}}))
        .await;
    let order = c.settled_order(&order).await;
    assert_eq!(order["status"], "ACTIVE", "{order}");
    let generated = order["secret_ref"].as_str().unwrap().to_owned();

    // Clearing the preference: new secrets go to the global default again.
    c.delete(&format!("{secondary}/preferred")).await.expect(204);
    c.delete(&format!("{secondary}/preferred")).await.expect_error(404, NO_PREFERRED);
    c.get("/v1/secret-stores/preferred").await.expect_error(404, NO_PREFERRED);
    let cleared = c.create_text_secret("cleared", "primary again").await;

    for (r, store) in [
        (&before, "primary"),
        (&after, "secondary"),
        (&elsewhere, "primary"),
        (&two_step, "secondary"),
        (&generated, "secondary"),
        (&cleared, "primary"),
    ] {
        assert_eq!(store_of(&storage, r).await, store, "{r}");
    }

    // After a restart (empty KEK cache) every secret still opens with the store that sealed it.
    server.kill();
    let server = start_with(&storage, &config);
    let (c, other) = (c.at(&server.base), other.at(&server.base));
    let text = |r: &str| rebase(r, &server.base);
    assert_eq!(c.payload(&text(&before), Some("text/plain")).await.expect(200).text(), "sealed by primary");
    assert_eq!(c.payload(&text(&after), Some("text/plain")).await.expect(200).text(), "sealed by secondary");
    assert_eq!(c.payload(&text(&two_step), Some("text/plain")).await.expect(200).text(), "uploaded later");
    assert_eq!(c.payload(&text(&cleared), Some("text/plain")).await.expect(200).text(), "primary again");
    assert_eq!(c.payload(&text(&generated), None).await.expect(200).bytes.len(), 32);
    assert_eq!(
        other.payload(&text(&elsewhere), Some("text/plain")).await.expect(200).text(),
        "other project, global default"
    );
});

both_backends!(bad_store_ids_are_404, |backend| async move {
    let storage = Storage::new(backend).await;
    let config = two_stores(&storage);
    let server = start_with(&storage, &config);
    let c = server.client(&project());
    let unknown = uuid::Uuid::new_v4();
    for path in [
        "/v1/secret-stores/not-a-uuid".to_owned(),
        format!("/v1/secret-stores/{unknown}"),
        format!("/v1/secret-stores/{}", unknown.to_string().to_uppercase()),
    ] {
        c.get(&path).await.expect_error(404, STORE_NOT_FOUND);
        c.send(Method::POST, &format!("{path}/preferred"), None, &[]).await.expect_error(404, STORE_NOT_FOUND);
        c.delete(&format!("{path}/preferred")).await.expect_error(404, STORE_NOT_FOUND);
    }
    // Nothing was set by the refused requests.
    c.get("/v1/secret-stores/preferred").await.expect_error(404, NO_PREFERRED);
    // Barbican has no GET on .../preferred of one store.
    let primary = stores_by_name(&c).await["primary"]["secret_store_ref"].as_str().unwrap().to_owned();
    c.get(&format!("{primary}/preferred")).await.expect(405);
});

both_backends!(wrong_key_for_any_store_or_a_dropped_store_refuses_start, |backend| async move {
    let storage = Storage::new(backend).await;
    let primary = key_file(&storage, "primary.key");
    let secondary = key_file(&storage, "secondary.key");
    let config = config_file(&storage, "stores.toml", &[("primary", &primary, true), ("secondary", &secondary, false)]);
    let server = start_with(&storage, &config);
    let c = server.client(&project());
    let secondary_ref = stores_by_name(&c).await["secondary"]["secret_store_ref"].as_str().unwrap().to_owned();
    c.send(Method::POST, &format!("{secondary_ref}/preferred"), None, &[]).await.expect(204);
    let secret = c.create_text_secret("s", "in secondary").await;
    server.kill();

    // Another key for the second store: refused, naming the store and its key.
    let wrong = key_file(&storage, "wrong.key");
    let bad = config_file(&storage, "bad.toml", &[("primary", &primary, true), ("secondary", &wrong, false)]);
    match TestServer::try_start_on(&storage, &[("PORTCULLIS_CONFIG", &bad)]) {
        Ok(_) => panic!("started with the wrong master key for the secondary store"),
        Err(f) => {
            assert!(f.output.contains("master key") && f.output.contains("secondary"), "{}", f.output);
            assert!(!f.output.contains(&std::fs::read_to_string(&wrong).unwrap().trim().to_owned()), "key in the logs");
        }
    }
    // Dropping a store that holds KEKs would strand its secrets: refused too.
    let dropped = config_file(&storage, "dropped.toml", &[("primary", &primary, true)]);
    match TestServer::try_start_on(&storage, &[("PORTCULLIS_CONFIG", &dropped)]) {
        Ok(_) => panic!("started without a store that holds KEKs"),
        Err(f) => assert!(f.output.contains("no longer configured") && f.output.contains("secondary"), "{}", f.output),
    }
    // `keys rotate` names the store when there are several, and re-wraps only that store's KEKs.
    let (ok, out) = storage.run(&["--config", &config, "keys", "rotate"], &[]);
    assert!(!ok && out.contains("pass --store"), "{out}");
    let rotated = key_file(&storage, "rotated.key");
    let args = ["--config", &config, "keys", "rotate", "--store", "secondary", "--new-key-file"];
    let (ok, out) = storage.run(&[&args[..], &[rotated.to_str().unwrap()]].concat(), &[]);
    assert!(ok, "keys rotate --store secondary failed: {out}");
    // The old key for that store is now refused; the new one opens its secrets.
    assert!(TestServer::try_start_on(&storage, &[("PORTCULLIS_CONFIG", &config)]).is_err());
    let config = config_file(&storage, "rotated.toml", &[("primary", &primary, true), ("secondary", &rotated, false)]);
    let server = start_with(&storage, &config);
    let c = c.at(&server.base);
    assert_eq!(c.payload(&rebase(&secret, &server.base), Some("text/plain")).await.expect(200).text(), "in secondary");
});

both_backends!(single_implicit_store_by_default, |backend| async move {
    let (server, storage) = start(backend).await;
    let c = server.client(&project());
    let some_id = uuid::Uuid::new_v4();
    for path in [
        "/v1/secret-stores".to_owned(),
        "/v1/secret-stores/global-default".to_owned(),
        "/v1/secret-stores/preferred".to_owned(),
        format!("/v1/secret-stores/{some_id}"),
    ] {
        c.get(&path).await.expect_error(404, NOT_ENABLED);
    }
    let preferred = format!("/v1/secret-stores/{some_id}/preferred");
    c.send(Method::POST, &preferred, None, &[]).await.expect_error(404, NOT_ENABLED);
    c.delete(&preferred).await.expect_error(404, NOT_ENABLED);

    let secret = c.create_text_secret("plain", "one store").await;
    assert_eq!(c.payload(&secret, Some("text/plain")).await.expect(200).text(), "one store");
    assert_eq!(store_of(&storage, &secret).await, "default");
    let rows = storage
        .texts(
            "SELECT name || ':' || global_default FROM crypto_stores",
            "SELECT name || ':' || global_default::text FROM crypto_stores",
        )
        .await;
    assert!(rows == ["default:1"] || rows == ["default:true"], "{rows:?}");
});
