//! A private, throwaway PostgreSQL cluster for tests that stop the database under a running
//! server: `initdb` into a temp dir, `pg_ctl start` on a free loopback port with its socket in the
//! same dir, trust auth. The shared server at 127.0.0.1:5432 stays untouched.
//!
//! `initdb` and `postgres` refuse to run as root, so every command runs as the `postgres` user
//! (`runuser -u postgres --` when the tests run as root, as on this project's machines and CI).
//! Missing binaries or a refused start panic with the reason: these tests fail, never skip.
//! Dropping the [`PgCluster`] stops the cluster at once and removes its files.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::{Backend, PgDatabase, Storage};

/// Where Debian's PostgreSQL 15 (the project's machines and CI) keeps its server binaries;
/// `PG_BINDIR` overrides it.
const DEFAULT_BINDIR: &str = "/usr/lib/postgresql/15/bin";

/// A running cluster of our own.
pub struct PgCluster {
    /// Holds `data/` (the cluster), the socket, and `server.log`.
    dir: tempfile::TempDir,
    bindir: PathBuf,
    pub port: u16,
}

impl PgCluster {
    /// Creates and starts a cluster; panics with the tools' output if that fails.
    pub fn start() -> PgCluster {
        let bindir = PathBuf::from(std::env::var("PG_BINDIR").unwrap_or_else(|_| DEFAULT_BINDIR.into()));
        for tool in ["initdb", "pg_ctl", "postgres"] {
            assert!(
                bindir.join(tool).is_file(),
                "{} is missing: the outage tests need PostgreSQL's server binaries (Debian: postgresql-15), \
                 or PG_BINDIR naming where they are",
                bindir.join(tool).display()
            );
        }
        let dir = tempfile::Builder::new().prefix("portcullis-pg-").tempdir().expect("temp dir");
        // The postgres user must be able to enter it (the socket and the log live here).
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod the cluster dir");
        let cluster = PgCluster { port: free_port(), dir, bindir };
        let data = cluster.data_dir();
        let out = cluster.run(
            "initdb",
            &["--no-sync", "--auth=trust", "--username=postgres", "-E", "UTF8", "--locale=C", "-D", &data],
        );
        assert!(out.status.success(), "initdb failed:\n{}", text(&out));
        cluster.pg_ctl_start();
        cluster
    }

    /// `postgres://postgres@127.0.0.1:<port>/<database>`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A fresh database on this cluster, as the [`Storage`] a server runs on.
    pub async fn storage(&self) -> Storage {
        let pg = PgDatabase::create_on(&self.url("postgres")).await;
        Storage { backend: Backend::Postgres, data_dir: tempfile::tempdir().expect("temp dir"), pg: Some(pg) }
    }

    /// An outage: `pg_ctl stop -m immediate`, which kills every backend at once without a
    /// checkpoint, as a crash of the database host does; committed work is in the WAL.
    pub fn stop_immediate(&self) {
        let out = self.pg_ctl(&["stop", "-m", "immediate", "-w", "-t", "30"]);
        assert!(out.status.success(), "pg_ctl stop failed:\n{}\n{}", text(&out), self.log());
    }

    /// Starts the cluster again, on the same data dir and port (crash recovery replays the WAL);
    /// returns once it accepts connections.
    pub fn restart(&self) {
        self.pg_ctl_start();
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        let started = Instant::now();
        let out = self.pg_ctl(&["start", "-w", "-t", "60", "-l", &log, "-o", &options]);
        assert!(out.status.success(), "pg_ctl start failed:\n{}\n{}", text(&out), self.log());
        // `-w` waits for the postmaster; a connection proves it takes them.
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "the cluster is not listening:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pg_ctl(&self, args: &[&str]) -> Output {
        let data = self.data_dir();
        let mut all = vec!["-D", data.as_str()];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all)
    }

    /// Runs one of the cluster's binaries as the `postgres` user.
    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let program = self.bindir.join(tool);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        cmd.args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        // Harmless if already stopped; the temp dir goes with `self.dir` after this.
        let _ = self.pg_ctl(&["stop", "-m", "immediate", "-w", "-t", "30"]);
    }
}

fn is_root() -> bool {
    // `id -u`: this crate does not depend on libc.
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}
