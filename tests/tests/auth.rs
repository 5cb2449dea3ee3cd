//! Authentication modes end to end: `jwt` bearer tokens (HS256 secret file, RS256 PEM keys,
//! ES256 JWKS) mapped onto the caller, every kind of bad token refused 401 with Barbican's error
//! body and nothing done, and `noauth`'s refusal to serve a public address unless forced.

use portcullis_tests::tokens::{self, EcKey, RsaKey};
use portcullis_tests::*;

const SECRET: &[u8] = b"a shared HS256 secret, 32+ bytes long";

/// Writes `contents` to `name` in the storage's data dir; returns the path.
fn key_file(storage: &Storage, name: &str, contents: &[u8]) -> String {
    let path = storage.data_dir.path().join(name);
    std::fs::write(&path, contents).expect("write key file");
    path.display().to_string()
}

/// A `jwt`-mode server checking issuer and audience, with these key settings.
fn start_jwt(storage: &Storage, keys: &[(&str, &str)]) -> TestServer {
    let mut env = vec![
        ("PORTCULLIS_AUTH", "jwt"),
        ("PORTCULLIS_JWT_ISSUER", tokens::ISSUER),
        ("PORTCULLIS_JWT_AUDIENCE", tokens::AUDIENCE),
    ];
    env.extend_from_slice(keys);
    TestServer::start_on(storage, &env)
}

/// A client sending `token`, plus an `X-Project-Id` and `X-Roles` that `jwt` mode must ignore.
fn bearer(server: &TestServer, token: &str) -> Client {
    server
        .client("header-project")
        .with_header("X-Roles", "admin")
        .with_header("Authorization", &format!("Bearer {token}"))
}

/// Secrets in the database, every project.
async fn secret_rows(storage: &Storage) -> i64 {
    storage.scalar("SELECT COUNT(*) FROM secrets", "SELECT COUNT(*) FROM secrets").await
}

/// A 401 with Barbican's error body and a bearer challenge.
#[track_caller]
fn assert_unauthorized(r: Resp, case: &str) {
    assert_eq!(r.status.as_u16(), 401, "{case}: {}", r.text());
    let body = r.json();
    assert_eq!(body["code"], 401, "{case}: {body}");
    assert_eq!(body["title"], "Unauthorized", "{case}: {body}");
    let description = body["description"].as_str().unwrap_or_default();
    assert!(description.starts_with("The request you have made requires authentication"), "{case}: {body}");
    let challenge = r.header("www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Bearer realm=\"portcullis\""), "{case}: {challenge}");
}

const SECRET_BODY: &str = r#"{"name": "s", "payload": "p", "payload_content_type": "text/plain"}"#;

both_backends!(hs256_token_names_the_caller, |backend| async move {
    let storage = Storage::new(backend).await;
    let secret_file = key_file(&storage, "hs256.secret", &[SECRET, b"\n"].concat());
    let server = start_jwt(&storage, &[("PORTCULLIS_JWT_HS256_SECRET_FILE", &secret_file)]);
    let project = project();

    let alice = bearer(&server, &tokens::hs256(SECRET, &tokens::claims(&project, "alice", json!(["member"]))));
    let secret_ref = alice.create_text_secret("mine", "hello").await;
    let meta = alice.get(&secret_ref).await.expect(200).json();
    assert_eq!(meta["creator_id"], "alice");
    assert_eq!(alice.secret_total().await, 1);

    // X-Project-Id is ignored: a token for "header-project" sees none of it.
    let other = bearer(&server, &tokens::hs256(SECRET, &tokens::claims("header-project", "bob", json!(["member"]))));
    assert_eq!(other.secret_total().await, 0);
    other.get(&secret_ref).await.expect(404);

    // A caller with only `admin` (roles as a comma string) acts as a member too (implied roles).
    let admin = bearer(&server, &tokens::hs256(SECRET, &tokens::claims(&project, "root", json!("admin"))));
    admin.create_text_secret("by-admin", "x").await;
    assert_eq!(alice.secret_total().await, 2);

    // The headers alone, without a token, are nobody.
    let headers_only = server.client(&project).with_header("X-Roles", "admin");
    assert_unauthorized(headers_only.get("/v1/secrets").await, "headers only");
});

both_backends!(bad_tokens_are_refused_and_change_nothing, |backend| async move {
    let storage = Storage::new(backend).await;
    let secret_file = key_file(&storage, "hs256.secret", SECRET);
    let server = start_jwt(&storage, &[("PORTCULLIS_JWT_HS256_SECRET_FILE", &secret_file)]);
    let project = project();
    let good = tokens::claims(&project, "alice", json!(["admin"]));
    let with = |key: &str, value: Value| {
        let mut c = good.clone();
        c[key] = value;
        tokens::hs256(SECRET, &c)
    };
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("garbage", Some("Bearer garbage".into())),
        ("not bearer", Some("Basic YWxpY2U6cHc=".into())),
        ("forged", Some(format!("Bearer {}", tokens::hs256(b"someone else's secret, 32+ bytes!", &good)))),
        ("expired", Some(format!("Bearer {}", with("exp", json!(tokens::now_plus(-3600)))))),
        ("not yet valid", Some(format!("Bearer {}", with("nbf", json!(tokens::now_plus(3600)))))),
        ("wrong issuer", Some(format!("Bearer {}", with("iss", json!("https://evil.test"))))),
        ("wrong audience", Some(format!("Bearer {}", with("aud", json!("another-service"))))),
        ("alg none", Some(format!("Bearer {}", tokens::unsigned(&good)))),
        ("no project", Some(format!("Bearer {}", with("project_id", Value::Null)))),
    ];
    for (case, authorization) in &cases {
        let mut client = server.client(&project).with_header("X-Roles", "admin");
        if let Some(a) = authorization {
            client = client.with_header("Authorization", a);
        }
        let headers = [("Content-Type", "application/json")];
        let created = client.send(Method::POST, "/v1/secrets", Some(SECRET_BODY.into()), &headers).await;
        assert_unauthorized(created, case);
        // Refused before the body is read: a malformed body is still a 401, not a 400.
        let malformed = client.send(Method::POST, "/v1/secrets", Some(b"{not json".to_vec()), &headers).await;
        assert_unauthorized(malformed, case);
        assert_unauthorized(client.get("/v1/secrets").await, case);
        assert_unauthorized(client.get("/dashboard/api/v1/queues").await, case);
    }
    let challenge = server.anonymous().get("/v1/secrets").await.header("www-authenticate");
    assert_eq!(challenge.as_deref(), Some("Bearer realm=\"portcullis\""), "no token: no error code");
    assert_eq!(secret_rows(&storage).await, 0, "nothing was created");
    // The same server accepts the good token, so the refusals were about the tokens.
    let ok = server.client(&project).with_header("Authorization", &format!("Bearer {}", tokens::hs256(SECRET, &good)));
    ok.create_text_secret("ok", "x").await;
    assert_eq!(secret_rows(&storage).await, 1);
    // No token appears in the logs.
    let token = tokens::hs256(SECRET, &good);
    let signature = token.rsplit('.').next().unwrap_or_default();
    assert!(!server.logs().contains(signature), "a token was logged");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rs256_and_es256_from_a_pem_file() {
    let storage = Storage::new(Backend::Sqlite).await;
    let (rsa, ec) = (RsaKey::generate(), EcKey::generate());
    let pem = format!("{}{}", rsa.public_pem, ec.public_pem());
    let keys = key_file(&storage, "keys.pem", pem.as_bytes());
    let server = start_jwt(&storage, &[("PORTCULLIS_JWT_KEYS_FILE", &keys)]);
    let project = project();
    let claims = tokens::claims(&project, "carol", json!(["member"]));

    bearer(&server, &rsa.sign(None, &claims)).create_text_secret("rs", "x").await;
    bearer(&server, &ec.sign(None, &claims)).create_text_secret("es", "x").await;
    assert_eq!(secret_rows(&storage).await, 2);

    // HS256 with the RSA public key as the HMAC secret (algorithm confusion), and a token
    // signed by a key that is not configured.
    let confused = tokens::hs256(rsa.public_pem.as_bytes(), &claims);
    assert_unauthorized(bearer(&server, &confused).post_json("/v1/secrets", &json!({"name": "c"})).await, "confusion");
    let stranger = EcKey::generate().sign(None, &claims);
    assert_unauthorized(bearer(&server, &stranger).get("/v1/secrets").await, "unknown key");
    assert_eq!(secret_rows(&storage).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn es256_and_rs256_from_a_jwks_file_honour_kid() {
    let storage = Storage::new(Backend::Sqlite).await;
    let (rsa, ec) = (RsaKey::generate(), EcKey::generate());
    let jwks = json!({"keys": [ec.jwk("ec-1"), rsa.jwk("rsa-1")]}).to_string();
    let keys = key_file(&storage, "keys.json", jwks.as_bytes());
    let server = start_jwt(&storage, &[("PORTCULLIS_JWT_KEYS_FILE", &keys)]);
    let claims = tokens::claims(&project(), "dave", json!(["member"]));

    bearer(&server, &ec.sign(Some("ec-1"), &claims)).create_text_secret("es", "x").await;
    bearer(&server, &rsa.sign(Some("rsa-1"), &claims)).create_text_secret("rs", "x").await;
    // A kid naming another key: that key's signature check fails.
    assert_unauthorized(bearer(&server, &ec.sign(Some("rsa-1"), &claims)).get("/v1/secrets").await, "kid");
    assert_unauthorized(bearer(&server, &ec.sign(Some("gone"), &claims)).get("/v1/secrets").await, "kid");
    assert_unauthorized(
        bearer(&server, &tokens::hs256(jwks.as_bytes(), &claims)).get("/v1/secrets").await,
        "HS256 against public keys",
    );
    assert_eq!(secret_rows(&storage).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_mode_without_usable_keys_does_not_start() {
    let storage = Storage::new(Backend::Sqlite).await;
    let refused = |env: &[(&str, &str)]| match TestServer::try_start_on(&storage, env) {
        Ok(_) => panic!("started with {env:?}"),
        Err(f) => f.output,
    };
    let out = refused(&[("PORTCULLIS_AUTH", "jwt")]);
    assert!(out.contains("PORTCULLIS_JWT_HS256_SECRET_FILE") && out.contains("PORTCULLIS_JWT_KEYS_FILE"), "{out}");
    let out = refused(&[("PORTCULLIS_AUTH", "jwt"), ("PORTCULLIS_JWT_KEYS_FILE", "/nonexistent/keys.pem")]);
    assert!(out.contains("/nonexistent/keys.pem"), "{out}");
    let garbage = key_file(&storage, "garbage.pem", b"this is not a key\n");
    let out = refused(&[("PORTCULLIS_AUTH", "jwt"), ("PORTCULLIS_JWT_KEYS_FILE", &garbage)]);
    assert!(out.contains("garbage.pem"), "{out}");
    let short = key_file(&storage, "short.secret", b"too short");
    let out = refused(&[("PORTCULLIS_AUTH", "jwt"), ("PORTCULLIS_JWT_HS256_SECRET_FILE", &short)]);
    assert!(out.contains("at least 32 bytes"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noauth_on_a_public_address_needs_forcing() {
    let storage = Storage::new(Backend::Sqlite).await;
    let public = [("PORTCULLIS_BIND", "0.0.0.0:0")];
    let Err(refused) = TestServer::try_start_on(&storage, &public) else { panic!("noauth served 0.0.0.0") };
    assert!(
        refused.output.contains("PORTCULLIS_ALLOW_NOAUTH_ON_PUBLIC_BIND") && refused.output.contains("PORTCULLIS_AUTH"),
        "{}",
        refused.output
    );

    let forced = [("PORTCULLIS_BIND", "0.0.0.0:0"), ("PORTCULLIS_ALLOW_NOAUTH_ON_PUBLIC_BIND", "true")];
    let server = TestServer::start_on(&storage, &forced);
    let logs = server.logs();
    assert!(logs.contains("WARN") && logs.contains("non-loopback"), "{logs}");
    let local = server.base.replace("0.0.0.0", "127.0.0.1");
    server.client(&project()).at(&local).get("/v1/secrets").await.expect(200);
}
