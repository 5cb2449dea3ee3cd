//! Limits every route meets (header size, body size, time), CORS off unless configured, and
//! error bodies that never show database internals.

use std::time::Duration;

use portcullis_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A Barbican error body with this status and title.
#[track_caller]
fn assert_barbican_error(r: &Resp, status: u16, title: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text());
    let body = r.json();
    assert_eq!(body["code"], status, "{body}");
    assert_eq!(body["title"], title, "{body}");
    assert!(body["description"].is_string(), "{body}");
    assert!(r.header("x-openstack-request-id").is_some(), "refusals carry the request id too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_431() {
    let (server, _storage) = start(Backend::Sqlite).await;
    let c = server.client(&project());
    let huge = "a".repeat(20_000);
    for path in ["/v1/secrets", "/healthcheck", "/no-such-route"] {
        let r = c.send(Method::GET, path, None, &[("X-Padding", &huge)]).await;
        assert_barbican_error(&r, 431, "Request Header Fields Too Large");
    }

    let storage = Storage::new(Backend::Sqlite).await;
    let small = TestServer::start_on(&storage, &[("PORTCULLIS_MAX_HEADER_BYTES", "2048")]);
    let c = small.client(&project());
    c.send(Method::GET, "/v1/secrets", None, &[("X-Padding", &"a".repeat(1000))]).await.expect(200);
    let r = c.send(Method::GET, "/v1/secrets", None, &[("X-Padding", &"a".repeat(3000))]).await;
    assert_barbican_error(&r, 431, "Request Header Fields Too Large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_413_on_every_route() {
    let (server, _storage) = start(Backend::Sqlite).await;
    let c = server.client(&project());
    let big = vec![b' '; 30_000];
    // A route whose handler takes the raw body (axum's `Bytes`); any uuid will do.
    let reject = format!("/v1/admin/certificate-requests/{}/reject", project());
    for path in ["/v1/secrets", reject.as_str(), "/no-such-route"] {
        let r = c.send(Method::POST, path, Some(big.clone()), &[("Content-Type", "application/json")]).await;
        assert_barbican_error(&r, 413, "Request Entity Too Large");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_request_is_stopped_with_503() {
    let storage = Storage::new(Backend::Sqlite).await;
    let server = TestServer::start_on(&storage, &[("PORTCULLIS_REQUEST_TIMEOUT_SECS", "1")]);
    let host = server.base.trim_start_matches("http://").to_owned();
    // Promise a body and send only part of it: the handler waits for the rest.
    let head = format!(
        "POST /v1/secrets HTTP/1.1\r\nHost: {host}\r\nX-Project-Id: p\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\nConnection: close\r\n\r\n{{\"name\""
    );
    let mut stream = tokio::net::TcpStream::connect(&host).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut raw))
        .await
        .expect("answered within 15 s")
        .expect("read");
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    let body: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap_or_default()).expect("JSON body");
    assert_eq!(body["code"], 503, "{body}");
    assert_eq!(body["title"], "Service Unavailable", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_off_unless_configured() {
    let origin = "https://console.example";
    let preflight = |c: &Client| {
        let c = c.clone();
        async move {
            c.send(
                Method::OPTIONS,
                "/v1/secrets",
                None,
                &[
                    ("Origin", origin),
                    ("Access-Control-Request-Method", "POST"),
                    ("Access-Control-Request-Headers", "x-project-id, content-type"),
                ],
            )
            .await
        }
    };
    let cors_headers = |r: &Resp| r.headers.keys().filter(|k| k.as_str().starts_with("access-control-")).count();

    let (server, _storage) = start(Backend::Sqlite).await;
    let c = server.client(&project());
    assert_eq!(cors_headers(&preflight(&c).await), 0);
    assert_eq!(cors_headers(&c.send(Method::GET, "/v1/secrets", None, &[("Origin", origin)]).await), 0);

    let storage = Storage::new(Backend::Sqlite).await;
    let configured = TestServer::start_on(
        &storage,
        &[("PORTCULLIS_CORS_ALLOWED_ORIGINS", "https://console.example, https://other.example")],
    );
    let c = configured.client(&project());
    let r = preflight(&c).await;
    assert!(r.status.is_success(), "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin").as_deref(), Some(origin));
    let allowed = r.header("access-control-allow-headers").unwrap_or_default().to_lowercase();
    assert!(allowed.contains("x-project-id") && allowed.contains("authorization"), "{allowed}");
    let r = c.send(Method::GET, "/v1/secrets", None, &[("Origin", origin)]).await.expect(200);
    assert_eq!(r.header("access-control-allow-origin").as_deref(), Some(origin));
    assert!(r.header("access-control-expose-headers").unwrap_or_default().contains("x-openstack-request-id"));
    let r = c.send(Method::GET, "/v1/secrets", None, &[("Origin", "https://evil.example")]).await.expect(200);
    assert_eq!(r.header("access-control-allow-origin"), None);
}

both_backends!(database_failures_say_nothing_about_the_database, |backend| async move {
    let (server, storage) = start(backend).await;
    let c = server.client(&project());
    let secret_ref = c.create_text_secret("s", "x").await;
    let url = storage.database_url();
    match backend {
        Backend::Sqlite => {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open sqlite");
            sqlx::query("DROP TABLE secret_user_metadata").execute(&mut conn).await.expect("drop");
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("open postgres");
            sqlx::query("DROP TABLE secret_user_metadata CASCADE").execute(&mut conn).await.expect("drop");
        }
    }
    let r = c.get(&format!("{secret_ref}/metadata")).await;
    assert_barbican_error(&r, 500, "Internal Server Error");
    let text = r.text().to_lowercase();
    for leak in ["secret_user_metadata", "select", "no such table", "does not exist", "sqlx", "relation", ".rs:"] {
        assert!(!text.contains(leak), "the error body shows {leak:?}: {text}");
    }
    // The cause is in the server's log instead (read from its stderr by another thread: give
    // the line a moment to arrive).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !server.logs().contains("secret_user_metadata") {
        assert!(std::time::Instant::now() < deadline, "the cause was not logged:\n{}", server.logs());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
});
