//! Processes beyond one `portcullis serve`: spawning any subcommand and waiting for its "ready"
//! log line, `portcullis api` without workers, separate `portcullis worker` processes, and the
//! signals a deployment sends them (SIGTERM to stop gracefully, SIGKILL to crash).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{StartFailure, Storage, TestServer, binary, scrubbed};

/// Everything a process wrote to stderr, line by line (JSON logs).
pub(crate) type Logs = Arc<Mutex<Vec<String>>>;

/// Spawns `portcullis --log-format json <command>` on `storage` and waits (at most 60 s) for its
/// log line whose message is `ready`, which it returns. A process that exits first is a
/// [`StartFailure`].
pub(crate) fn spawn_ready(
    storage: &Storage,
    command: &str,
    extra_env: &[(&str, &str)],
    ready: &'static str,
) -> Result<(Child, Logs, Value), StartFailure> {
    let mut child = scrubbed(Command::new(binary()))
        .args(["--log-format", "json", command])
        .envs(storage.env())
        .envs(extra_env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn portcullis");
    let stderr = child.stderr.take().expect("stderr");
    let logs = Logs::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = logs.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && v["message"] == ready
            {
                let _ = tx.send(v);
            }
            sink.lock().unwrap().push(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(50)) {
            return Ok((child, logs, line));
        }
        if let Ok(Some(status)) = child.try_wait() {
            // The process is gone: its stderr closes, so the reader finishes with every line.
            let _ = reader.join();
            let output = logs.lock().unwrap().join("\n");
            return Err(StartFailure { status, output });
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("portcullis {command} was not ready in 60s:\n{}", logs.lock().unwrap().join("\n"));
        }
    }
}

impl TestServer {
    /// `portcullis api` on `storage`: the API only, so orders stay PENDING until a [`Worker`]
    /// runs.
    pub fn start_api(storage: &Storage, extra_env: &[(&str, &str)]) -> TestServer {
        match TestServer::try_start_as(storage, "api", extra_env) {
            Ok(server) => server,
            Err(StartFailure { status, output }) => panic!("portcullis api exited ({status}):\n{output}"),
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// A running `portcullis worker`. Killed (SIGKILL) when dropped.
pub struct Worker {
    child: Child,
    logs: Logs,
    ready: Value,
}

impl Worker {
    /// Starts a worker on `storage` with extra environment and waits until it runs.
    pub fn start(storage: &Storage, extra_env: &[(&str, &str)]) -> Worker {
        match spawn_ready(storage, "worker", extra_env, "portcullis worker running") {
            Ok((child, logs, ready)) => Worker { child, logs, ready },
            Err(StartFailure { status, output }) => panic!("portcullis worker exited ({status}):\n{output}"),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://<addr>` where the worker serves `/metrics` and `/health/*`, when started with
    /// `PORTCULLIS_WORKER_OPS_BIND`.
    pub fn ops_url(&self) -> Option<String> {
        self.ready["ops_address"].as_str().map(|a| format!("http://{a}"))
    }

    /// Whether `lock_by` (a jobs row's worker name, `<queue>-<host>-<pid>-<hex>`) names a worker
    /// of this process.
    pub fn owns(&self, lock_by: &str) -> bool {
        lock_by.contains(&format!("-{}-", self.pid()))
    }

    /// Everything the worker has logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    /// Sends SIGTERM: a graceful stop.
    pub fn terminate(&self) {
        signal(self.pid(), "TERM");
    }

    /// Waits for the process to exit, at most `within`; `None` if it is still running.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: the process dies at once, with whatever jobs it held.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status().expect("run kill");
    assert!(status.success(), "kill -{name} {pid} failed");
}
