//! A full disk under `portcullis serve` on SQLite, end to end (issue #6, point 4): the data dir
//! is a small tmpfs ([`SmallDisk`]), taken up by a filler file but for a little room, which
//! secret creates then use up.
//!
//! What a client must see: once the disk is full, writes fail cleanly with 507 and Barbican's
//! error body saying the storage is full (never a 500, a hang or a half-written row); reads of
//! existing secrets keep working, payloads included, each payload read recorded in the log since
//! the audit table cannot take it; once space is freed, all of it works again
//! without a restart, orders included. And the database file stays sound, with every
//! acknowledged secret in it.
//!
//! 507 Insufficient Storage rather than 503: a full disk lasts until an operator frees space, so
//! it is not the "retry shortly" of an unreachable database, and the status names the cause.

use std::time::{Duration, Instant};

use portcullis_tests::*;

/// The tmpfs: enough for the server's files and a few hundred secrets.
const DISK_BYTES: u64 = 16 * 1024 * 1024;
/// Room left beside the filler, for the creates to use up.
const ROOM_BYTES: u64 = 256 * 1024;
/// Creates allowed to fit in that room before one must fail (each one takes ~8 KiB or more).
const MAX_CREATES: usize = 2000;

/// A payload of a few KiB, different each time (no leading or trailing whitespace).
fn payload(n: usize) -> String {
    format!("disk-full secret {n} {} {}", uuid::Uuid::new_v4(), "0123456789abcdef".repeat(256))
}

/// The answer to a write on a full disk: 507 with Barbican's body saying so.
#[track_caller]
fn assert_storage_full(r: &Resp, server: &TestServer) {
    if r.status.as_u16() != 507 {
        std::thread::sleep(Duration::from_millis(200)); // the server's last lines
        let logs = server.logs();
        let errors: Vec<&str> = logs.lines().filter(|l| l.contains("\"ERROR\"")).collect();
        panic!("a write on a full disk got {}: {}\nserver errors:\n{}", r.status, r.text(), errors.join("\n"));
    }
    let body = r.json();
    assert_eq!(body["code"], 507, "{body}");
    assert_eq!(body["title"], "Insufficient Storage", "{body}");
    let description = body["description"].as_str().unwrap_or_default();
    assert!(description.contains("storage is full"), "{body}");
}

async fn create(c: &Client, name: &str, payload: &str) -> Resp {
    c.post_json("/v1/secrets", &json!({"name": name, "payload": payload, "payload_content_type": "text/plain"})).await
}

/// Every acknowledged secret reads back with its payload.
async fn check_acked(c: &Client, acked: &[(String, String)]) {
    for (secret_ref, payload) in acked {
        let r = c.payload(&rebase(secret_ref, &c.base), Some("text/plain")).await;
        assert_eq!(r.status, StatusCode::OK, "acknowledged secret {secret_ref}: {}", r.text());
        assert_eq!(&r.text(), payload, "acknowledged secret {secret_ref} reads back changed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_with_507_keeps_reads_and_recovers_when_freed() {
    binary(); // built before the clock starts
    let started = Instant::now();
    let storage = Storage::new(Backend::Sqlite).await;
    let disk = SmallDisk::mount(storage.data_dir.path(), DISK_BYTES);
    let server = TestServer::start_on(&storage, &[]);
    let c = server.client(&project());
    let mut acked: Vec<(String, String)> = Vec::new();
    for n in 0..10 {
        let p = payload(n);
        acked.push((c.create_text_secret(&format!("before-{n}"), &p).await, p));
    }

    let filler = disk.fill(ROOM_BYTES);
    // Creates use up the room: each is 201 (and kept) until the first refusal.
    let mut refused = None;
    for n in 0..MAX_CREATES {
        let p = payload(n);
        let t = Instant::now();
        let r = create(&c, &format!("filling-{n}"), &p).await;
        assert!(t.elapsed() < Duration::from_secs(10), "a create on a filling disk took {:?}", t.elapsed());
        if r.status == StatusCode::CREATED {
            acked.push((r.json()["secret_ref"].as_str().expect("secret_ref").to_owned(), p));
        } else {
            refused = Some((n, r));
            break;
        }
    }
    let (fitted, first) = refused.unwrap_or_else(|| panic!("{MAX_CREATES} creates fitted in {ROOM_BYTES} bytes"));
    assert_storage_full(&first, &server);
    // Full stays full, for every kind of write; nothing is half-made meanwhile.
    let total_when_full = c.secret_total().await;
    for n in 0..3 {
        assert_storage_full(&create(&c, &format!("full-{n}"), &payload(n)).await, &server);
    }
    let order = c
        .post_json(
            "/v1/orders",
            &json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 256,
            "mode": "cbc", "payload_content_type": "application/octet-stream"}}),
        )
        .await;
    assert_storage_full(&order, &server);
    // Reads keep working, payloads included. The audit table cannot take a payload read's
    // event, so the log carries it, with every field (api/src/audit.rs).
    for (secret_ref, _) in &acked {
        c.get(secret_ref).await.expect(200);
    }
    assert_eq!(c.secret_total().await, total_when_full, "a refused create left a secret behind");
    check_acked(&c, &acked).await;
    let logs = server.logs();
    let disclosed = logs
        .lines()
        .filter(|l| l.contains("AUDIT WRITE FAILED") && l.contains("secret:decrypt") && l.contains(&id_of(&acked[0].0)))
        .count();
    assert!(disclosed >= 1, "a payload read on the full disk is not in the log:\n{logs}");

    // Space comes back: payload reads and writes work again, orders are processed, with no
    // restart.
    disk.free();
    let freed = Instant::now();
    check_acked(&c, &acked).await;
    for n in 0..5 {
        let p = payload(n);
        acked.push((c.create_text_secret(&format!("after-{n}"), &p).await, p));
    }
    let order_ref = c
        .post_order(&json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 256, "mode": "cbc",
            "payload_content_type": "application/octet-stream"}}))
        .await;
    let o = c.wait_order(&order_ref, Duration::from_secs(30), |o| o["status"] != "PENDING").await;
    assert_eq!(o["status"], "ACTIVE", "{o}");
    eprintln!(
        "filler of {filler} bytes; {fitted} creates fitted in the last {ROOM_BYTES} bytes, then 507; writes and \
         orders worked again {:.0} ms after the space was freed",
        freed.elapsed().as_secs_f64() * 1000.0
    );

    // Stopped hard: the file is sound and holds every acknowledged secret.
    server.kill();
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&storage.database_url()).await.expect("open the database");
        let integrity: Vec<String> =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await.expect("integrity_check");
        assert_eq!(integrity, ["ok"], "PRAGMA integrity_check");
        conn.close().await.expect("close");
    }
    let server = TestServer::start_on(&storage, &[]);
    let c = c.at(&server.base);
    check_acked(&c, &acked).await;
    eprintln!(
        "{} acknowledged secrets read back after a restart; {:.1} s in all",
        acked.len(),
        started.elapsed().as_secs_f64()
    );
    drop(server);
    drop(disk);
}
