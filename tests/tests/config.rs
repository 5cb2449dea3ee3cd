//! The binary as an operator meets it: bad settings stop it with a message naming the key,
//! `portcullis config` never prints the master key, and every command explains itself.

use portcullis_tests::*;

/// Starts `portcullis serve` on `storage` with `env`, expecting it to refuse; returns its output.
#[track_caller]
fn refuses(storage: &Storage, env: &[(&str, &str)]) -> String {
    match TestServer::try_start_on(storage, env) {
        Ok(s) => panic!("portcullis started at {} with {env:?}", s.base),
        Err(f) => {
            assert!(!f.status.success(), "{env:?}: {}", f.status);
            assert!(!f.output.contains("portcullis listening"));
            f.output
        }
    }
}

both_backends!(bad_settings_stop_the_binary_naming_the_key, |backend| async move {
    let storage = Storage::new(backend).await;

    let out = refuses(&storage, &[("PORTCULLIS_BIND", "nope")]);
    assert!(out.contains("bind") && out.contains("PORTCULLIS_BIND"), "{out}");
    let out = refuses(&storage, &[("PORTCULLIS_MAX_SECRET_BYTES", "-1")]);
    assert!(out.contains("max_secret_bytes") && out.contains("PORTCULLIS_MAX_SECRET_BYTES"), "{out}");
    let out = refuses(&storage, &[("PORTCULLIS_MAX_SECRET_BYTES", "30000")]);
    assert!(out.contains("max_request_bytes") && out.contains("max_secret_bytes"), "{out}");
    let out = refuses(&storage, &[("PORTCULLIS_DB_MAX_CONNECTIONS", "0")]);
    assert!(out.contains("PORTCULLIS_DB_MAX_CONNECTIONS"), "{out}");
    let out = refuses(&storage, &[("PORTCULLIS_HOST_HREF", "ftp://x")]);
    assert!(out.contains("PORTCULLIS_HOST_HREF"), "{out}");
    let out = refuses(&storage, &[("PORTCULLIS_LOG_FORMAT", "xml")]);
    assert!(out.contains("log_format") && out.contains("PORTCULLIS_LOG_FORMAT"), "{out}");
    let out = refuses(&storage, &[("DATABASE_URL", "mysql://localhost/x")]);
    assert!(out.contains("DATABASE_URL"), "{out}");
    // A misspelt setting is an error, not silently ignored.
    let out = refuses(&storage, &[("PORTCULLIS_MASTER_KEY_FIEL", "/tmp/x")]);
    assert!(out.contains("PORTCULLIS_MASTER_KEY_FIEL"), "{out}");

    // A configuration file: an unknown key, a bad value, a missing file.
    let dir = tempfile::tempdir().unwrap();
    let unknown = dir.path().join("unknown.toml");
    std::fs::write(&unknown, "bind = \"127.0.0.1:0\"\nmax_secret_byte = 10\n").unwrap();
    let out = refuses(&storage, &[("PORTCULLIS_CONFIG", unknown.to_str().unwrap())]);
    assert!(out.contains("max_secret_byte"), "{out}");
    assert!(out.contains(unknown.to_str().unwrap()), "names the file: {out}");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "kek_cache_size = \"lots\"\n").unwrap();
    let out = refuses(&storage, &[("PORTCULLIS_CONFIG", bad.to_str().unwrap())]);
    assert!(out.contains("kek_cache_size"), "{out}");
    let out = refuses(&storage, &[("PORTCULLIS_CONFIG", "/nonexistent/portcullis.toml")]);
    assert!(out.contains("/nonexistent/portcullis.toml"), "{out}");
    // The --config flag, with a command that does not serve.
    let (ok, out) = storage.run(&["--config", unknown.to_str().unwrap(), "config"], &[]);
    assert!(!ok && out.contains("max_secret_byte"), "{out}");

    // A good file works, and the environment overrides it.
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "max_secret_bytes = 100\nmax_request_bytes = 1000\n").unwrap();
    let server = TestServer::start_on(&storage, &[("PORTCULLIS_CONFIG", good.to_str().unwrap())]);
    let c = server.client(&project());
    c.post_json("/v1/secrets", &json!({"payload": "a".repeat(101), "payload_content_type": "text/plain"}))
        .await
        .expect_error(413, "Provided information too large to process");
    c.post_json("/v1/secrets", &json!({"payload": "a".repeat(100), "payload_content_type": "text/plain"}))
        .await
        .expect(201);
    drop(server);
    let server = TestServer::start_on(
        &storage,
        &[("PORTCULLIS_CONFIG", good.to_str().unwrap()), ("PORTCULLIS_MAX_SECRET_BYTES", "200")],
    );
    server
        .client(&project())
        .post_json("/v1/secrets", &json!({"payload": "a".repeat(150), "payload_content_type": "text/plain"}))
        .await
        .expect(201);
});

both_backends!(config_command_masks_secrets, |backend| async move {
    let storage = Storage::new(backend).await;
    let key = "c2VjcmV0LW1hc3Rlci1rZXktMzItYnl0ZXMtbG9uZyE=";
    let (ok, text) = storage.run(&["config"], &[("PORTCULLIS_MASTER_KEY", key)]);
    assert!(ok, "{text}");
    assert!(!text.contains(key) && !text.contains("c2VjcmV0"), "the master key is printed: {text}");
    assert!(text.contains("master_key = \"***\""), "{text}");
    assert!(text.contains(&format!("data_dir = \"{}\"", storage.data_dir.path().display())), "{text}");
    assert!(text.contains(&format!("database_url = \"{}\"", storage.database_url())), "{text}");
    assert!(text.contains("max_secret_bytes = 20000"), "{text}");
    // A password in the database URL is masked too.
    let (ok, text) =
        storage.run(&["config"], &[("DATABASE_URL", "postgres://portcullis:hunter2@db.example/portcullis")]);
    assert!(ok, "{text}");
    assert!(!text.contains("hunter2"), "the database password is printed: {text}");
    assert!(text.contains("postgres://portcullis:***@db.example/portcullis"), "{text}");
    assert!(text.contains("master_key = null"), "{text}");
});

both_backends!(every_command_explains_itself, |backend| async move {
    let storage = Storage::new(backend).await;
    let help = |args: &[&str]| {
        let (ok, out) = storage.run(args, &[]);
        assert!(ok, "{args:?}: {out}");
        out
    };
    let top = help(&["--help"]);
    assert!(top.contains("Barbican"), "{top}");
    for cmd in ["serve", "api", "worker", "migrate", "keys", "config"] {
        assert!(top.contains(cmd), "--help lists {cmd}: {top}");
    }
    for (args, says) in [
        (&["serve", "--help"][..], "Run the API"),
        (&["api", "--help"][..], "API only"),
        (&["worker", "--help"][..], "job workers"),
        (&["migrate", "--help"][..], "migrations"),
        (&["config", "--help"][..], "masked"),
        (&["keys", "--help"][..], "master keys"),
        (&["keys", "create", "--help"][..], "Generate a new 256-bit master key"),
        (&["keys", "rotate", "--help"][..], "re-wrap every project KEK"),
    ] {
        let text = help(args);
        assert!(text.contains(says), "{args:?} --help should say {says:?}: {text}");
    }
    assert!(help(&["keys", "rotate", "--help"]).contains("--new-key-file"));
    assert!(help(&["keys", "create", "--help"]).contains("--out"));
    assert!(help(&["--version"]).contains(env!("CARGO_PKG_VERSION")));
    // `migrate` works on this backend and says so.
    let (ok, out) = storage.run(&["migrate"], &[]);
    assert!(ok && out.contains("migrations applied"), "{out}");
    // An unknown command is a usage error.
    let (ok, out) = storage.run(&["frobnicate"], &[]);
    assert!(!ok && out.contains("frobnicate"), "{out}");
});
