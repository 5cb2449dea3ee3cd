//! Envelope encryption as an operator and an attacker with database access see it: no plaintext
//! at rest or in logs, ciphertexts that do not open outside their row, master-key rotation, and
//! refusing to start with the wrong key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use portcullis_tests::*;
use sqlx::Connection;

/// Distinctive payloads: two texts and two binaries, each unique to this run.
fn canaries() -> Vec<(String, Vec<u8>, bool)> {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut bin = b"\x00\xffBINARY-CANARY-".to_vec();
    bin.extend_from_slice(tag.as_bytes());
    bin.extend_from_slice(&[0x80, 0x81, 0xfe]);
    let bin2: Vec<u8> =
        uuid::Uuid::new_v4().as_bytes().iter().chain(uuid::Uuid::new_v4().as_bytes()).copied().collect();
    vec![
        ("text-1".into(), format!("TEXT-CANARY-{tag}-correct horse battery staple").into_bytes(), true),
        ("text-2".into(), format!("second canary ✓ {tag}").into_bytes(), true),
        ("bin-1".into(), bin, false),
        ("bin-2".into(), bin2, false),
    ]
}

async fn store(c: &Client, name: &str, payload: &[u8], text: bool) -> String {
    let body = if text {
        json!({"name": name, "payload": std::str::from_utf8(payload).unwrap(), "payload_content_type": "text/plain"})
    } else {
        json!({"name": name, "payload": B64.encode(payload), "payload_content_type": "application/octet-stream", "payload_content_encoding": "base64"})
    };
    c.post_json("/v1/secrets", &body).await.expect(201).json()["secret_ref"].as_str().unwrap().to_owned()
}

/// The forms a payload could leak in: raw, base64, and hex (how Postgres prints bytea).
fn leak_forms(payload: &[u8]) -> Vec<Vec<u8>> {
    let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
    vec![payload.to_vec(), B64.encode(payload).into_bytes(), hex.into_bytes()]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

async fn pg(storage: &Storage) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(&storage.database_url()).await.expect("connect to the test database")
}

async fn sqlite(storage: &Storage) -> sqlx::SqliteConnection {
    sqlx::SqliteConnection::connect(&storage.database_url()).await.expect("open the test database")
}

/// Everything the storage holds, as bytes: every file of the data dir on SQLite (database, WAL,
/// shared memory), every row of every table as JSON text on Postgres (bytea shows as hex).
async fn storage_dump(storage: &Storage) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    match storage.backend {
        Backend::Sqlite => {
            let mut files = 0;
            for entry in std::fs::read_dir(storage.data_dir.path()).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    files += 1;
                    out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
                }
            }
            assert!(files >= 2, "expected the database and its WAL in the data dir");
        }
        Backend::Postgres => {
            let mut c = pg(storage).await;
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
            .fetch_all(&mut c)
            .await
            .unwrap();
            assert!(
                tables.iter().any(|t| t == "secret_payloads") && tables.iter().any(|t| t == "secrets"),
                "{tables:?}"
            );
            for t in tables {
                let rows: Vec<String> =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT row_to_json(t)::text FROM \"{t}\" t")))
                        .fetch_all(&mut c)
                        .await
                        .unwrap();
                out.push((t, rows.join("\n").into_bytes()));
            }
            // And the raw bytes of the payload column, unencoded.
            let raw: Vec<Vec<u8>> =
                sqlx::query_scalar("SELECT ciphertext FROM secret_payloads").fetch_all(&mut c).await.unwrap();
            out.push(("secret_payloads.ciphertext (raw)".into(), raw.concat()));
        }
    }
    out
}

both_backends!(no_plaintext_at_rest_or_in_logs, |backend| async move {
    let storage = Storage::new(backend).await;
    // Debug logging: even verbose logs must not carry payloads.
    let server = TestServer::start_on(&storage, &[("RUST_LOG", "debug")]);
    let c = server.client(&project());
    let payloads = canaries();
    let mut refs = Vec::new();
    for (name, payload, text) in &payloads {
        let r = store(&c, name, payload, *text).await;
        refs.push(r);
    }
    // A two-step upload, raw and base64.
    let two_step = c.post_json("/v1/secrets", &json!({"name": "two-step"})).await.expect(201).json()["secret_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let put_canary = format!("PUT-CANARY-{}", uuid::Uuid::new_v4()).into_bytes();
    c.send(Method::PUT, &two_step, Some(put_canary.clone()), &[("Content-Type", "application/octet-stream")])
        .await
        .expect(204);
    // Every payload reads back (so the server really holds them) ...
    for ((_, payload, _), r) in payloads.iter().zip(&refs) {
        assert_eq!(&c.payload(r, Some("application/octet-stream")).await.expect(200).bytes, payload);
    }
    assert_eq!(c.payload(&two_step, None).await.expect(200).bytes, put_canary);

    // ... and none is stored or logged in the clear. Checkpoint nothing: the WAL is scanned too.
    let mut all: Vec<Vec<u8>> = payloads.iter().map(|(_, p, _)| p.clone()).collect();
    all.push(put_canary);
    let dump = storage_dump(&storage).await;
    let total: usize = dump.iter().map(|(_, b)| b.len()).sum();
    assert!(total > 0);
    for payload in &all {
        for form in leak_forms(payload) {
            for (source, bytes) in &dump {
                assert!(!contains(bytes, &form), "payload {:?} found in {source}", String::from_utf8_lossy(&form));
            }
        }
    }
    // The scan can see stored values: the secrets' names are there in the clear.
    assert!(dump.iter().any(|(_, b)| contains(b, b"two-step")), "the scan does not see the stored rows");

    let logs = server.logs();
    assert!(logs.contains("secret created"), "the logs were captured");
    for payload in &all {
        for form in leak_forms(payload) {
            assert!(
                !contains(logs.as_bytes(), &form),
                "payload {:?} appears in the logs",
                String::from_utf8_lossy(&form)
            );
        }
    }
});

/// Runs `sql` with two secret ids bound ($1, $2) directly on the server's database.
async fn tamper(storage: &Storage, sql: &str, a: uuid::Uuid, b: uuid::Uuid) {
    let n = match storage.backend {
        Backend::Sqlite => sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .execute(&mut sqlite(storage).await)
            .await
            .unwrap()
            .rows_affected(),
        Backend::Postgres => sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .execute(&mut pg(storage).await)
            .await
            .unwrap()
            .rows_affected(),
    };
    assert_eq!(n, 1, "{sql}");
}

fn uuid_of(secret_ref: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(&id_of(secret_ref)).unwrap()
}

#[track_caller]
fn assert_integrity_failure(r: Resp, must_not_contain: &[u8]) {
    assert!(!contains(&r.bytes, must_not_contain), "the moved ciphertext opened to another secret's plaintext");
    let r = r.expect(500);
    assert_eq!(r.header("content-type").as_deref(), Some("application/json"));
    let body = r.json();
    assert_eq!(body["code"], 500);
    assert_eq!(body["title"], "Internal Server Error");
    let d = body["description"].as_str().unwrap_or_default();
    assert!(d.contains("integrity"), "the description says what is wrong: {d}");
}

const COPY_CIPHERTEXT: &str = "UPDATE secret_payloads SET \
    ciphertext = (SELECT ciphertext FROM secret_payloads WHERE secret_id = $1), \
    kek_id = (SELECT kek_id FROM secret_payloads WHERE secret_id = $1) \
    WHERE secret_id = $2";

both_backends!(moved_ciphertexts_do_not_open, |backend| async move {
    let (server, storage) = start(backend).await;
    let a = server.client(&project());
    let b = server.client(&project());
    let a1 = a.create_text_secret("a1", "A1-PLAINTEXT-secret").await;
    let a2 = a.create_text_secret("a2", "A2-PLAINTEXT-other").await;
    let a3 = a.create_text_secret("a3", "A3-PLAINTEXT-third").await;
    let b1 = b.create_text_secret("b1", "B1-PLAINTEXT-mine").await;

    // Same project: secret 1's ciphertext copied over secret 2's.
    tamper(&storage, COPY_CIPHERTEXT, uuid_of(&a1), uuid_of(&a2)).await;
    assert_integrity_failure(a.payload(&a2, Some("text/plain")).await, b"A1-PLAINTEXT");
    assert_integrity_failure(a.send(Method::GET, &a2, None, &[("Accept", "text/plain")]).await, b"A1-PLAINTEXT");
    assert_eq!(
        a.payload(&a1, Some("text/plain")).await.expect(200).text(),
        "A1-PLAINTEXT-secret",
        "the original still opens"
    );
    assert_eq!(a.get(&a2).await.expect(200).json()["name"], "a2", "metadata is unaffected");

    // Across projects: A's ciphertext (and A's KEK id) copied into B's row.
    tamper(&storage, COPY_CIPHERTEXT, uuid_of(&a3), uuid_of(&b1)).await;
    assert_integrity_failure(b.payload(&b1, Some("text/plain")).await, b"A3-PLAINTEXT");
    assert_eq!(a.payload(&a3, Some("text/plain")).await.expect(200).text(), "A3-PLAINTEXT-third");

    // A whole secret row moved to another project: B now "owns" it, but it does not open.
    let sql = "UPDATE secrets SET project_id = (SELECT project_id FROM secrets WHERE id = $2) WHERE id = $1";
    tamper(&storage, sql, uuid_of(&a3), uuid_of(&b1)).await;
    a.get(&a3).await.expect_error(404, "Secret not found.");
    assert_eq!(b.get(&a3).await.expect(200).json()["name"], "a3");
    assert_integrity_failure(b.payload(&a3, Some("text/plain")).await, b"A3-PLAINTEXT");

    // A restarted server (empty KEK cache) refuses the same way.
    server.kill();
    let server = TestServer::start_on(&storage, &[]);
    let (a, b) = (a.at(&server.base), b.at(&server.base));
    let [a1, a2, a3, b1] = [a1, a2, a3, b1].map(|r| rebase(&r, &server.base));
    assert_integrity_failure(a.payload(&a2, Some("text/plain")).await, b"A1-PLAINTEXT");
    assert_integrity_failure(b.payload(&b1, Some("text/plain")).await, b"A3-PLAINTEXT");
    assert_integrity_failure(b.payload(&a3, Some("text/plain")).await, b"A3-PLAINTEXT");
    assert_eq!(a.payload(&a1, Some("text/plain")).await.expect(200).text(), "A1-PLAINTEXT-secret");
    // The failures are logged for the operator, without plaintext.
    let logs = server.logs();
    assert!(logs.contains("failed authentication") || logs.contains("integrity"), "{logs}");
    assert!(!logs.contains("PLAINTEXT"));
});

/// Stores a text and a binary secret in each of two projects; returns (client, ref, payload).
async fn fill(server: &TestServer) -> Vec<(Client, String, Vec<u8>)> {
    let mut out = Vec::new();
    for p in [project(), project()] {
        let c = server.client(&p);
        let text = format!("rotation text of {p}").into_bytes();
        let bin: Vec<u8> = [&[0u8, 0xff][..], p.as_bytes()].concat();
        let r = store(&c, "t", &text, true).await;
        out.push((c.clone(), r, text));
        let r = store(&c, "b", &bin, false).await;
        out.push((c, r, bin));
    }
    out
}

async fn all_readable(server: &TestServer, secrets: &[(Client, String, Vec<u8>)]) {
    for (c, r, payload) in secrets {
        let r = rebase(r, &server.base);
        assert_eq!(
            &c.at(&server.base).payload(&r, Some("application/octet-stream")).await.expect(200).bytes,
            payload,
            "{r}"
        );
    }
}

#[track_caller]
fn assert_refuses_to_start(result: Result<TestServer, StartFailure>, what: &str) {
    match result {
        Ok(server) => panic!("{what}: the server started at {} but must refuse", server.base),
        Err(f) => {
            assert!(!f.status.success(), "{what}: exit status {}", f.status);
            assert!(f.output.contains("refusing to start"), "{what}: {}", f.output);
            assert!(f.output.contains("master key"), "{what}: {}", f.output);
        }
    }
}

both_backends!(master_key_rotation, |backend| async move {
    let storage = Storage::new(backend).await;
    let server = TestServer::start_on(&storage, &[]);
    let secrets = fill(&server).await;
    all_readable(&server, &secrets).await;
    server.kill();

    // Rotate the development key in place.
    let dev_key = storage.data_dir.path().join("master.key");
    let old_dev = std::fs::read_to_string(&dev_key).unwrap();
    let (ok, out) = storage.run(&["keys", "rotate"], &[]);
    assert!(ok, "keys rotate failed: {out}");
    // Two projects' KEKs and the one sealing the local CA's key (the restart below opens it).
    assert!(out.contains("re-wrapped 3 project KEK(s)"), "{out}");
    let new_dev = std::fs::read_to_string(&dev_key).unwrap();
    assert_ne!(old_dev, new_dev, "the development key was replaced");
    let server = TestServer::start_on(&storage, &[]);
    all_readable(&server, &secrets).await;
    // New secrets work under the rotated key too.
    let c = secrets[0].0.at(&server.base);
    let fresh = c.create_text_secret("after-rotation", "stored after rotation").await;
    assert_eq!(c.payload(&fresh, Some("text/plain")).await.expect(200).text(), "stored after rotation");
    server.kill();

    // The old development key no longer opens the store.
    let old_key_file = storage.data_dir.path().join("old.key");
    std::fs::write(&old_key_file, &old_dev).unwrap();
    assert_refuses_to_start(
        TestServer::try_start_on(&storage, &[("PORTCULLIS_MASTER_KEY_FILE", old_key_file.to_str().unwrap())]),
        "the pre-rotation dev key",
    );

    // Rotate to an explicit key file made by `keys create`.
    let key_dir = tempfile::tempdir().unwrap();
    let key_file = key_dir.path().join("production.key");
    let (ok, out) = storage.run(&["keys", "create", "--out", key_file.to_str().unwrap()], &[]);
    assert!(ok, "keys create failed: {out}");
    let (ok, out) = storage.run(&["keys", "create", "--out", key_file.to_str().unwrap()], &[]);
    assert!(!ok, "keys create must never overwrite a key: {out}");
    let (ok, out) = storage.run(&["keys", "rotate", "--new-key-file", key_file.to_str().unwrap()], &[]);
    assert!(ok, "keys rotate --new-key-file failed: {out}");
    let key_env = [("PORTCULLIS_MASTER_KEY_FILE", key_file.to_str().unwrap())];
    let server = TestServer::start_on(&storage, &key_env);
    all_readable(&server, &secrets).await;
    assert_eq!(
        c.at(&server.base).payload(&rebase(&fresh, &server.base), Some("text/plain")).await.expect(200).text(),
        "stored after rotation"
    );
    server.kill();

    // Restarting with the old (development) key now refuses, naming the master key.
    assert_refuses_to_start(TestServer::try_start_on(&storage, &[]), "the dev key after rotating to a key file");
    // So does a rotation attempted with the wrong current key, and it changes nothing.
    let (ok, out) = storage.run(&["keys", "rotate"], &[]);
    assert!(!ok && out.contains("refusing to start"), "{out}");
    let server = TestServer::start_on(&storage, &key_env);
    all_readable(&server, &secrets).await;
});

both_backends!(wrong_master_key_refuses_to_start, |backend| async move {
    let storage = Storage::new(backend).await;
    let server = TestServer::start_on(&storage, &[]);
    let secrets = fill(&server).await;
    server.kill();

    let other_key = B64.encode([uuid::Uuid::new_v4().into_bytes(), uuid::Uuid::new_v4().into_bytes()].concat());
    assert_refuses_to_start(
        TestServer::try_start_on(&storage, &[("PORTCULLIS_MASTER_KEY", &other_key)]),
        "another valid key",
    );
    // The refusal wrote nothing: the right key still works.
    let server = TestServer::start_on(&storage, &[]);
    all_readable(&server, &secrets).await;
    server.kill();

    // A malformed key is refused too, naming the setting.
    let f = TestServer::try_start_on(&storage, &[("PORTCULLIS_MASTER_KEY", "not-a-key")])
        .err()
        .expect("a malformed key must not start");
    assert!(!f.status.success());
    assert!(f.output.contains("PORTCULLIS_MASTER_KEY"), "{}", f.output);
    assert!(!f.output.contains("not-a-key"), "the key value is not echoed: {}", f.output);
    let f = TestServer::try_start_on(&storage, &[("PORTCULLIS_MASTER_KEY_FILE", "/nonexistent/master.key")])
        .err()
        .expect("a missing key file must not start");
    assert!(
        f.output.contains("PORTCULLIS_MASTER_KEY_FILE") && f.output.contains("/nonexistent/master.key"),
        "{}",
        f.output
    );
});

// Two servers started at the same moment on fresh storage with no key configured (on SQLite,
// one fresh data dir and database file): both must come up, agree on the development key, and
// serve each other's secrets. Repeated, because a start-up race shows only sometimes.
both_backends!(two_servers_started_together_agree, |backend| async move {
    // Fresh Postgres databases are slow to make; SQLite's race was the frequent one.
    let rounds = if backend == Backend::Sqlite { 10 } else { 3 };
    for _ in 0..rounds {
        let storage = Storage::new(backend).await;
        let (one, two) = std::thread::scope(|s| {
            let a = s.spawn(|| TestServer::start_on(&storage, &[]));
            let b = s.spawn(|| TestServer::start_on(&storage, &[]));
            (a.join().expect("first server"), b.join().expect("second server"))
        });
        let p = project();
        let stored = one.client(&p).create_text_secret("shared", "written by one, read by two").await;
        let via_two = rebase(&stored, &two.base);
        assert_eq!(
            two.client(&p).payload(&via_two, Some("text/plain")).await.expect(200).text(),
            "written by one, read by two"
        );
        let back = two.client(&p).create_text_secret("back", "and back").await;
        assert_eq!(
            one.client(&p).payload(&rebase(&back, &one.base), Some("text/plain")).await.expect(200).text(),
            "and back"
        );
        // Exactly one of them generated the key, and a third server agrees.
        let generated =
            [one.logs(), two.logs()].iter().filter(|l| l.contains("GENERATED A NEW DEVELOPMENT MASTER KEY")).count();
        assert_eq!(generated, 1);
        let three = TestServer::start_on(&storage, &[]);
        assert_eq!(three.client(&p).get("/v1/secrets").await.expect(200).json()["total"], 2);
    }
});

// An operator rotates while a server still runs with the old key. That server must not write
// anything the new key cannot read: whatever it acknowledged reads back after the restart.
both_backends!(rotation_under_a_running_server_loses_nothing, |backend| async move {
    let storage = Storage::new(backend).await;
    let stale = TestServer::start_on(&storage, &[]);
    let secrets = fill(&stale).await;
    let known = secrets[0].0.clone();

    let (ok, out) = storage.run(&["keys", "rotate"], &[]);
    assert!(ok, "keys rotate failed: {out}");

    // The stale server still seals under the KEK it holds for a known project (the KEK itself
    // is unchanged by rotation, only re-wrapped) ...
    let mut acknowledged = Vec::new();
    let payload = b"written by the stale server in a known project".to_vec();
    let r = store(&known, "stale-known", &payload, true).await;
    acknowledged.push((known.clone(), r, payload));
    // ... but refuses to create a KEK under its outdated key for a project it has never seen,
    // rather than acknowledge a secret nobody could read after the restart.
    let fresh_project = stale.client(&project());
    let r = fresh_project
        .post_json("/v1/secrets", &json!({"payload": "lost?", "payload_content_type": "text/plain"}))
        .await
        .expect(500);
    assert_eq!(r.json()["code"], 500);
    assert_eq!(fresh_project.secret_total().await, 0, "the refused create stored nothing");
    assert!(stale.logs().contains("is not the one its KEKs are wrapped with"), "the operator is told why");
    stale.kill();

    let server = TestServer::start_on(&storage, &[]);
    all_readable(&server, &secrets).await;
    all_readable(&server, &acknowledged).await;
    // And the new project works under the new key.
    let c = fresh_project.at(&server.base);
    let r = c.create_text_secret("after restart", "fine").await;
    assert_eq!(c.payload(&r, Some("text/plain")).await.expect(200).text(), "fine");
});

async fn count(storage: &Storage, sql: &str) -> i64 {
    match storage.backend {
        Backend::Sqlite => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut sqlite(storage).await).await.unwrap()
        }
        Backend::Postgres => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut pg(storage).await).await.unwrap()
        }
    }
}

// Deleting a secret erases its ciphertext, also when the delete races the payload upload; and
// racing uploads store exactly one payload.
both_backends!(deleted_secrets_leave_no_ciphertext, |backend| async move {
    let (server, storage) = start(backend).await;
    let c = server.client(&project());
    let kept = c.create_text_secret("kept", "kept payload").await;
    let gone = c.create_text_secret("gone", "deleted payload").await;
    c.delete(&gone).await.expect(204);
    assert_eq!(count(&storage, "SELECT count(*) FROM secret_payloads").await, 1);

    // Concurrent uploads: one wins, the others are told the secret has data.
    let r = c.post_json("/v1/secrets", &json!({"name": "contested"})).await.expect(201).json()["secret_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let puts = (0..8).map(|i| {
        let (c, r) = (c.clone(), r.clone());
        tokio::spawn(async move {
            let body = format!("upload {i}").into_bytes();
            (c.send(Method::PUT, &r, Some(body.clone()), &[("Content-Type", "text/plain")]).await, body)
        })
    });
    let results: Vec<(Resp, Vec<u8>)> = futures_join(puts).await;
    let winners: Vec<&Vec<u8>> = results.iter().filter(|(r, _)| r.status == 204).map(|(_, b)| b).collect();
    assert_eq!(winners.len(), 1, "{:?}", results.iter().map(|(r, _)| r.status).collect::<Vec<_>>());
    for (r, _) in results.iter().filter(|(r, _)| r.status != 204) {
        assert_eq!(r.status, 409, "{}", r.text());
    }
    assert_eq!(&c.payload(&r, None).await.expect(200).bytes, winners[0]);

    // An upload racing a delete: whichever wins, a deleted secret keeps no ciphertext.
    for _ in 0..10 {
        let r = c.post_json("/v1/secrets", &json!({"name": "raced"})).await.expect(201).json()["secret_ref"]
            .as_str()
            .unwrap()
            .to_owned();
        let (put, del) = tokio::join!(
            c.send(Method::PUT, &r, Some(b"raced payload".to_vec()), &[("Content-Type", "text/plain")]),
            c.delete(&r)
        );
        assert!(matches!(put.status.as_u16(), 204 | 404), "{}", put.text());
        assert_eq!(del.status, 204, "{}", del.text());
        c.get(&r).await.expect(404);
    }
    let orphans =
        count(&storage, "SELECT count(*) FROM secret_payloads p JOIN secrets s ON s.id = p.secret_id WHERE s.deleted")
            .await;
    assert_eq!(orphans, 0, "deleted secrets still have ciphertext");
    assert_eq!(count(&storage, "SELECT count(*) FROM secret_payloads").await, 2);
    assert_eq!(c.payload(&kept, Some("text/plain")).await.expect(200).text(), "kept payload");
});

async fn futures_join<T: Send + 'static>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks.collect::<Vec<_>>() {
        out.push(t.await.expect("task"));
    }
    out
}
