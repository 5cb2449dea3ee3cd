//! The end-to-end harness: starts the real `portcullis` binary on a loopback port against a
//! fresh SQLite data dir or a fresh Postgres database, and talks HTTP to it.
//!
//! Tests come in pairs through [`both_backends!`]: one on SQLite, one on Postgres. Postgres is
//! expected at `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`); if it
//! cannot be reached the Postgres tests fail, loudly, rather than skip.
//!
//! Servers inherit none of the caller's `PORTCULLIS_*` / `DATABASE_URL` variables: a test states
//! every setting it depends on.
//!
//! # Layout
//! - [`Backend`], [`Storage`], [`TestServer`]: a running server, its data dir or database, and its
//!   logs; [`TestServer::try_start_on`] for start-ups that must be refused, [`Storage::run`] for
//!   other subcommands.
//! - [`Client`]: a project-scoped HTTP client with Barbican's headers; [`Client::send_exact`]
//!   for requests that must not carry reqwest's default `Accept: */*`.
//! - `processes.rs`: `portcullis api` and `portcullis worker` processes ([`Worker`]), signals.
//! - `db.rs`: the server's database read directly: jobs rows ([`JobRow`]), counts.
//! - `orders.rs`: posting orders and waiting for them to settle.
//! - [`PgCluster`]: a private Postgres cluster a test may stop and start (outages);
//!   [`SmallDisk`]: a tmpfs data dir a test may fill.
//! - `raw_http.rs`: [`Client::send_exact`], a request written by hand.
//! - [`tokens`]: keys and signed JWTs for servers in `auth = jwt` mode.
//! - `tests/*.rs`: the tests, one file per resource; `crypto.rs` reads the database directly.

mod db;
mod orders;
mod pg_cluster;
mod processes;
mod raw_http;
mod small_disk;
mod stores;
pub mod tokens;

pub use db::JobRow;
pub use pg_cluster::PgCluster;
pub use processes::Worker;
pub use small_disk::SmallDisk;
pub use stores::two_stores;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

pub use reqwest::{Method, StatusCode};
pub use serde_json::{Value, json};

/// Which database a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `$body` (an async block using `backend: Backend`) once per backend, as two tests named
/// `<name>_sqlite` and `<name>_postgres`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$backend:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $backend = $crate::Backend::Sqlite;
                $body.await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let $backend = $crate::Backend::Postgres;
                $body.await
            }
        }
    };
}

/// The `portcullis` binary, built once per test run if no prebuilt one is named by
/// `PORTCULLIS_BIN`.
pub fn binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(p) = std::env::var("PORTCULLIS_BIN") {
            return PathBuf::from(p);
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned();
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--quiet", "-p", "portcullis-api", "--bin", "portcullis"])
            .current_dir(&root)
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building the portcullis binary failed");
        let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root.join("target"));
        target.join("debug").join("portcullis")
    })
    .clone()
}

/// The Postgres server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty Postgres database; dropped with the value.
pub struct PgDatabase {
    pub name: String,
    pub url: String,
    /// The server's admin URL, to drop it from.
    admin: String,
}

impl PgDatabase {
    pub async fn create() -> PgDatabase {
        PgDatabase::create_on(&postgres_admin_url()).await
    }

    /// A fresh database on the server of `admin` (a URL ending with a database name).
    pub async fn create_on(admin: &str) -> PgDatabase {
        let name = format!("portcullis_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = connect_pg(admin).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("CREATE DATABASE");
        let (base, _) = admin.rsplit_once('/').expect("TEST_POSTGRES_URL ends with a database name");
        PgDatabase { url: format!("{base}/{name}"), name, admin: admin.to_owned() }
    }
}

async fn connect_pg(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    match sqlx::PgConnection::connect(url).await {
        Ok(c) => c,
        Err(e) => panic!(
            "Postgres is required for the Postgres half of the suite and is not reachable at {url}: {e}. \
             Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set TEST_POSTGRES_URL."
        ),
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop on a separate runtime: Drop may run inside or outside one.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&admin).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(&mut c)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Where a server keeps its state: a data dir, plus a Postgres database when on Postgres.
/// Outlives server processes, so a test can stop and restart a server on the same state.
pub struct Storage {
    pub backend: Backend,
    pub data_dir: tempfile::TempDir,
    pub pg: Option<PgDatabase>,
}

impl Storage {
    pub async fn new(backend: Backend) -> Storage {
        let pg = match backend {
            Backend::Postgres => Some(PgDatabase::create().await),
            Backend::Sqlite => None,
        };
        Storage { backend, data_dir: tempfile::tempdir().expect("temp dir"), pg }
    }

    /// The `DATABASE_URL` the server uses.
    pub fn database_url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", self.data_dir.path().join("portcullis.sqlite3").display()),
        }
    }

    /// The environment a server on this storage gets.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("PORTCULLIS_DATA_DIR".into(), self.data_dir.path().display().to_string()),
            ("DATABASE_URL".into(), self.database_url()),
            ("PORTCULLIS_BIND".into(), "127.0.0.1:0".into()),
            ("RUST_LOG".into(), "info".into()),
        ]
    }

    /// Runs a `portcullis` subcommand to completion on this storage; returns (success, stderr).
    pub fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> (bool, String) {
        let out = scrubbed(Command::new(binary()))
            .args(args)
            .envs(self.env())
            .envs(extra_env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .output()
            .expect("run portcullis");
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    }
}

/// A running `portcullis serve`. Killed when dropped.
pub struct TestServer {
    pub base: String,
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    /// Starts a server on `storage` with extra environment. Panics with the server's output if it
    /// does not come up.
    pub fn start_on(storage: &Storage, extra_env: &[(&str, &str)]) -> TestServer {
        match TestServer::try_start_on(storage, extra_env) {
            Ok(server) => server,
            Err(StartFailure { status, output }) => panic!("portcullis exited ({status}) before listening:\n{output}"),
        }
    }

    /// Starts a server on `storage` with extra environment, or reports how it exited if it stops
    /// before listening (for tests of refused start-ups). Panics if it neither listens nor exits
    /// within 60s.
    pub fn try_start_on(storage: &Storage, extra_env: &[(&str, &str)]) -> Result<TestServer, StartFailure> {
        TestServer::try_start_as(storage, "serve", extra_env)
    }

    /// As [`TestServer::try_start_on`], for a subcommand that listens: `serve` or `api`.
    pub fn try_start_as(
        storage: &Storage,
        command: &str,
        extra_env: &[(&str, &str)],
    ) -> Result<TestServer, StartFailure> {
        let (child, logs, ready) = processes::spawn_ready(storage, command, extra_env, "portcullis listening")?;
        let addr = ready["address"].as_str().unwrap_or_default();
        Ok(TestServer { base: format!("http://{addr}"), child, logs })
    }

    /// Everything the server has logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    /// A client for `project`.
    pub fn client(&self, project: &str) -> Client {
        Client { base: self.base.clone(), project: Some(project.to_owned()), http: http(), headers: Vec::new() }
    }

    /// A client that sends no `X-Project-Id`.
    pub fn anonymous(&self) -> Client {
        Client { base: self.base.clone(), project: None, http: http(), headers: Vec::new() }
    }

    /// Stops the server with SIGKILL (no graceful shutdown).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a server that never listened ended.
#[derive(Debug)]
pub struct StartFailure {
    pub status: std::process::ExitStatus,
    /// Everything it wrote to stderr.
    pub output: String,
}

/// A command for the binary that inherits none of the caller's Portcullis settings
/// (`PORTCULLIS_*`, `DATABASE_URL`, and the `OTEL_*` trace export ones): a developer's
/// environment, or the harness's own `PORTCULLIS_BIN`, must not change what a test runs against.
fn scrubbed(mut cmd: Command) -> Command {
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k.starts_with("PORTCULLIS_") || k.starts_with("OTEL_") || k == "DATABASE_URL" {
            cmd.env_remove(&key);
        }
    }
    cmd
}

/// A UTC instant `offset_secs` from now in Barbican's naive ISO 8601 form
/// (`2026-11-24T14:58:06`), for expirations and date filters.
pub fn utc_iso(offset_secs: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970");
    let secs = now.as_secs() as i64 + offset_secs;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Whether `s` is a timestamp as Barbican writes them: naive UTC `isoformat()`, with six
/// fraction digits or none, and no `Z` or offset.
pub fn is_barbican_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let base = b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    base && (b.len() == 19 || (b.len() == 26 && b[19] == b'.' && digits(20..26)))
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("http client")
}

/// A fresh server on fresh storage. Keep the storage alive as long as the server.
pub async fn start(backend: Backend) -> (TestServer, Storage) {
    let storage = Storage::new(backend).await;
    let server = TestServer::start_on(&storage, &[]);
    (server, storage)
}

/// A fresh project id.
pub fn project() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An HTTP client speaking for one project.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub project: Option<String>,
    http: reqwest::Client,
    headers: Vec<(String, String)>,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {:?}", String::from_utf8_lossy(&self.bytes)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text());
        self
    }

    /// Asserts a Barbican error body with this status and description.
    #[track_caller]
    pub fn expect_error(self, status: u16, description: &str) -> Resp {
        let r = self.expect(status);
        let body = r.json();
        assert_eq!(body["code"], status, "{body}");
        assert_eq!(body["description"], description, "{body}");
        r
    }
}

impl Client {
    /// The same client (project, headers) talking to the server at `base`, e.g. after a restart.
    pub fn at(&self, base: &str) -> Client {
        let mut c = self.clone();
        c.base = base.to_owned();
        c
    }

    /// The same client with an extra header on every request.
    pub fn with_header(&self, name: &str, value: &str) -> Client {
        let mut c = self.clone();
        c.headers.push((name.to_owned(), value.to_owned()));
        c
    }

    /// `path` may be absolute (`http://...`, e.g. a `secret_ref`) or start with `/`.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_owned() } else { format!("{}{}", self.base, path) }
    }

    /// Sends a request with optional body and extra headers.
    pub async fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>, headers: &[(&str, &str)]) -> Resp {
        let mut req = self.http.request(method, self.url(path));
        if let Some(p) = &self.project {
            req = req.header("X-Project-Id", p);
        }
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.expect("request failed");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("read body").to_vec();
        Resp { status, headers, bytes }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, None, &[]).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Resp {
        self.json(Method::POST, path, body).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Resp {
        self.json(Method::PUT, path, body).await
    }

    pub async fn json(&self, method: Method, path: &str, body: &Value) -> Resp {
        self.send(method, path, Some(serde_json::to_vec(body).unwrap()), &[("Content-Type", "application/json")]).await
    }

    /// Creates a text secret and returns its `secret_ref`.
    pub async fn create_text_secret(&self, name: &str, payload: &str) -> String {
        let r = self
            .post_json("/v1/secrets", &json!({"name": name, "payload": payload, "payload_content_type": "text/plain"}))
            .await
            .expect(201);
        r.json()["secret_ref"].as_str().expect("secret_ref").to_owned()
    }
}

impl Client {
    /// How many live secrets the project has (`total` of `GET /v1/secrets`).
    pub async fn secret_total(&self) -> i64 {
        self.get("/v1/secrets").await.expect(200).json()["total"].as_i64().expect("total")
    }

    /// Reads a secret's payload (`GET <ref>/payload`) with this `Accept` header, or with none.
    pub async fn payload(&self, secret_ref: &str, accept: Option<&str>) -> Resp {
        let path = format!("{secret_ref}/payload");
        match accept {
            Some(a) => self.send(Method::GET, &path, None, &[("Accept", a)]).await,
            None => self.send_exact("GET", &path, None, &[]).await,
        }
    }
}

/// `reference` (a `*_ref` URL) pointed at the server at `base` instead, e.g. after a restart on
/// another port.
pub fn rebase(reference: &str, base: &str) -> String {
    match reference.find("/v1/") {
        Some(i) => format!("{base}{}", &reference[i..]),
        None => reference.to_owned(),
    }
}

/// The id at the end of a `*_ref` URL.
pub fn id_of(reference: &str) -> String {
    reference.rsplit('/').next().unwrap_or_default().to_owned()
}
