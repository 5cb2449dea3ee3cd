//! The list queries reach their indexes on SQLite. SQLite uses a partial index only when the
//! query's own terms carry the index's condition: the indexes of migrations 0001–0006 said
//! `deleted = 0` while the queries say `NOT deleted`, so every list scanned its whole table and
//! sorted it, and nothing failed. The statements below have the shape the repositories build
//! (`secrets::list`, `orders::list`, `containers::list`, `transport_keys::list`).

use portcullis_store::{Db, PoolSettings};

#[tokio::test]
async fn list_queries_use_their_indexes_on_sqlite() {
    let path = std::env::temp_dir().join(format!("portcullis-plans-{}.sqlite3", uuid::Uuid::new_v4()));
    let db = Db::connect(&format!("sqlite://{}", path.display()), &PoolSettings::default()).await.expect("open");
    db.migrate().await.expect("migrate");
    let Db::Sqlite(pool, _) = &db else { unreachable!() };
    let live_secrets = "FROM secrets WHERE project_id = ?1 AND NOT deleted AND (expiration IS NULL OR expiration > ?2)";
    for (sql, index) in [
        (format!("SELECT count(*) {live_secrets}"), "secrets_project_created"),
        (
            format!("SELECT * {live_secrets} ORDER BY created_at ASC, id ASC LIMIT 10 OFFSET 20"),
            "secrets_project_created",
        ),
        ("SELECT count(*) FROM orders WHERE project_id = ?1 AND NOT deleted".into(), "orders_project_created"),
        (
            "SELECT * FROM orders WHERE project_id = ?1 AND NOT deleted ORDER BY created_at LIMIT 10".into(),
            "orders_project_created",
        ),
        (
            "SELECT * FROM containers WHERE project_id = ?1 AND NOT deleted ORDER BY created_at LIMIT 10".into(),
            "containers_project_created",
        ),
        (
            "SELECT * FROM transport_keys WHERE NOT deleted ORDER BY created_at LIMIT 10".into(),
            "transport_keys_created",
        ),
    ] {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(explain.as_str()));
        for (placeholder, value) in [("?1", "project"), ("?2", "2026-01-01")] {
            if sql.contains(placeholder) {
                query = query.bind(value);
            }
        }
        let plan = query.fetch_all(pool).await.expect("explain");
        let steps: Vec<&str> = plan.iter().map(|(_, _, _, step)| step.as_str()).collect();
        assert!(
            steps
                .iter()
                .any(|s| s.contains(&format!("USING INDEX {index}"))
                    || s.contains(&format!("USING COVERING INDEX {index}"))),
            "{sql}: {steps:?}"
        );
        assert!(
            !steps.iter().any(|s| s.starts_with("SCAN") && !s.contains("INDEX")),
            "{sql} scans its table: {steps:?}"
        );
    }
    db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
