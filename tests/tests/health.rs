//! `GET /health/live` and `GET /health/ready`: live while the process serves; ready only when the
//! database answers, migrations are applied and (in `serve`) the workers run. Both unauthenticated.
//!
//! The outages: on both backends a migration row is removed (ready fails on `migrations`); on
//! Postgres the database is dropped under the server (ready fails on `database`). SQLite has no
//! reliable way to take a database away from open connections, so it has only the first.

use portcullis_tests::*;

/// Asserts `/health/ready`'s status and checks.
async fn expect_ready(server: &TestServer, status: u16, database: &str, migrations: &str, workers: &str) -> Value {
    let body = server.anonymous().get("/health/ready").await.expect(status).json();
    assert_eq!(body["checks"], json!({"database": database, "migrations": migrations, "workers": workers}), "{body}");
    assert_eq!(body["status"], if status == 200 { "ready" } else { "not_ready" }, "{body}");
    body
}

async fn expect_live(server: &TestServer) {
    let body = server.anonymous().get("/health/live").await.expect(200).json();
    assert_eq!(body, json!({"status": "alive"}));
}

both_backends!(live_and_ready_on_a_healthy_server, |backend| async move {
    let (server, _storage) = start(backend).await;
    expect_live(&server).await;
    let body = expect_ready(&server, 200, "ok", "ok", "ok").await;
    assert_eq!(body["failed"], json!([]));
    // Barbican's own health check is still there.
    server.anonymous().get("/healthcheck").await.expect(200);
});

both_backends!(api_process_does_not_check_workers, |backend| async move {
    let storage = Storage::new(backend).await;
    let server = TestServer::start_api(&storage, &[]);
    expect_live(&server).await;
    expect_ready(&server, 200, "ok", "ok", "not_run").await;
});

// A worker-only process has no API, but with `worker_ops_bind` it serves the same probes and
// metrics, about its own workers and the jobs it ran.
both_backends!(worker_process_serves_probes_and_metrics, |backend| async move {
    let storage = Storage::new(backend).await;
    let api = TestServer::start_api(&storage, &[]);
    let worker = Worker::start(&storage, &[("PORTCULLIS_WORKER_OPS_BIND", "127.0.0.1:0")]);
    let ops = api.anonymous().at(&worker.ops_url().expect("the worker logs its ops address"));

    let body = ops.get("/health/ready").await.expect(200).json();
    assert_eq!(body["checks"], json!({"database": "ok", "migrations": "ok", "workers": "ok"}), "{body}");
    ops.get("/health/live").await.expect(200);
    // Only the operations endpoints: the API is not served by a worker.
    ops.get("/v1/secrets").await.expect(404);

    let c = api.client(&project());
    let order =
        c.post_order(&json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 256, "mode": "cbc"}})).await;
    assert_eq!(c.settled_order(&order).await["status"], "ACTIVE");
    let text = ops.get("/metrics").await.expect(200).text();
    assert!(text.contains("portcullis_job_deliveries_total{queue=\"orders\",outcome=\"done\"} 1"), "{text}");
    assert!(text.contains("portcullis_crypto_operations_total{operation=\"keygen\""), "{text}");
});

// Without `worker_ops_bind` a worker opens no port.
both_backends!(worker_without_ops_bind_logs_no_address, |backend| async move {
    let storage = Storage::new(backend).await;
    let worker = Worker::start(&storage, &[]);
    assert_eq!(worker.ops_url(), None);
});

both_backends!(ready_fails_while_a_migration_is_missing, |backend| async move {
    let (server, storage) = start(backend).await;
    expect_ready(&server, 200, "ok", "ok", "ok").await;
    let latest =
        storage.scalar("SELECT MAX(version) FROM _sqlx_migrations", "SELECT MAX(version) FROM _sqlx_migrations").await;
    let removed = storage
        .execute(
            "DELETE FROM _sqlx_migrations WHERE version = CAST($1 AS INTEGER)",
            "DELETE FROM _sqlx_migrations WHERE version = $1::int8",
            &latest.to_string(),
        )
        .await;
    assert_eq!(removed, 1);
    let body = expect_ready(&server, 503, "ok", "fail", "ok").await;
    assert_eq!(body["failed"], json!(["migrations"]));
    expect_live(&server).await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_fails_when_the_postgres_database_is_gone() {
    use sqlx::Connection;
    let (server, storage) = start(Backend::Postgres).await;
    expect_ready(&server, 200, "ok", "ok", "ok").await;
    let name = &storage.pg.as_ref().expect("postgres storage").name;
    let mut admin = sqlx::PgConnection::connect(&postgres_admin_url()).await.expect("connect to postgres");
    // FORCE terminates the server's connections; new ones find no database.
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .expect("DROP DATABASE");
    let body = expect_ready(&server, 503, "fail", "skipped", "ok").await;
    assert_eq!(body["failed"], json!(["database"]));
    // Liveness does not depend on the database, and nothing in the body says why (it is unauthenticated).
    expect_live(&server).await;
    assert!(!body.to_string().contains(name.as_str()), "{body}");
    // The metrics are still served, saying the database is down.
    let metrics = server.anonymous().get("/metrics").await.expect(200).text();
    assert!(metrics.lines().any(|l| l == "portcullis_database_up 0"), "{metrics}");
}
