//! Configuration: one declarative table of settings, read from defaults, then an optional TOML
//! file (`--config`), then `PORTCULLIS_*` environment variables (env wins). A bad value stops
//! start-up with a message naming the key; secret values print as `***`.
//!
//! | key | env | default |
//! |---|---|---|
//! | `data_dir` | `PORTCULLIS_DATA_DIR` | `./data` (SQLite file and dev master key) |
//! | `bind` | `PORTCULLIS_BIND` | `127.0.0.1:9311` |
//! | `host_href` | `PORTCULLIS_HOST_HREF` | unset: taken from each request's `Host` header |
//! | `database_url` | `DATABASE_URL` (or `PORTCULLIS_DATABASE_URL`) | `sqlite://<data_dir>/portcullis.sqlite3` |
//! | `db_max_connections` | `PORTCULLIS_DB_MAX_CONNECTIONS` | 16 |
//! | `master_key_file` | `PORTCULLIS_MASTER_KEY_FILE` | unset |
//! | `master_key` | `PORTCULLIS_MASTER_KEY` | unset (base64; masked) |
//! | `max_secret_bytes` | `PORTCULLIS_MAX_SECRET_BYTES` | 20000 |
//! | `max_request_bytes` | `PORTCULLIS_MAX_REQUEST_BYTES` | 25000 |
//! | `kek_cache_size` | `PORTCULLIS_KEK_CACHE_SIZE` | 1024 |
//! | `request_timeout_secs` | `PORTCULLIS_REQUEST_TIMEOUT_SECS` | 30 |
//! | `log_format` | `PORTCULLIS_LOG_FORMAT` | `text` (`text` or `json`) |
//! | `worker_concurrency` | `PORTCULLIS_WORKER_CONCURRENCY` | 4 (orders processed at once per process) |
//! | `job_max_attempts` | `PORTCULLIS_JOB_MAX_ATTEMPTS` | 8 (deliveries before an order goes to ERROR) |
//! | `job_retry_base_secs` | `PORTCULLIS_JOB_RETRY_BASE_SECS` | 5 (first retry delay; doubles, with jitter) |
//! | `job_orphan_timeout_secs` | `PORTCULLIS_JOB_ORPHAN_TIMEOUT_SECS` | 30 (a dead worker's jobs move after this) |
//! | `job_retention_days` | `PORTCULLIS_JOB_RETENTION_DAYS` | 7 (finished jobs are deleted after this) |

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// A value that must never be printed (`Debug` and `Display` show `***`).
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Sensitive(pub String);

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub host_href: Option<String>,
    pub database_url: Option<String>,
    pub db_max_connections: u32,
    pub master_key_file: Option<PathBuf>,
    pub master_key: Option<Sensitive>,
    pub max_secret_bytes: usize,
    pub max_request_bytes: usize,
    pub kek_cache_size: usize,
    pub request_timeout_secs: u64,
    pub log_format: LogFormat,
    pub worker_concurrency: usize,
    pub job_max_attempts: u32,
    pub job_retry_base_secs: u64,
    pub job_orphan_timeout_secs: u64,
    pub job_retention_days: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            bind: SocketAddr::from(([127, 0, 0, 1], 9311)),
            host_href: None,
            database_url: None,
            db_max_connections: 16,
            master_key_file: None,
            master_key: None,
            max_secret_bytes: 20_000,
            max_request_bytes: 25_000,
            kek_cache_size: 1024,
            request_timeout_secs: 30,
            log_format: LogFormat::Text,
            worker_concurrency: 4,
            job_max_attempts: 8,
            job_retry_base_secs: 5,
            job_orphan_timeout_secs: 30,
            job_retention_days: 7,
        }
    }
}

/// A configuration that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads defaults, then `file` (if given), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!("config file {} does not exist", path.display())));
            }
            fig = fig.merge(Toml::file(path));
        }
        let fig = fig.merge(Env::prefixed("PORTCULLIS_").ignore(&["config"])).merge(Env::raw().only(&["DATABASE_URL"]));
        let config: Config = fig.extract().map_err(describe_figment_error)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(href) = &self.host_href
            && !(href.starts_with("http://") || href.starts_with("https://"))
        {
            return Err(ConfigError(format!(
                "host_href (PORTCULLIS_HOST_HREF) must start with http:// or https://, got {href:?}"
            )));
        }
        if let Some(url) = &self.database_url {
            let ok = ["postgres://", "postgresql://", "sqlite:"].iter().any(|p| url.starts_with(p));
            if !ok {
                return Err(ConfigError(
                    "database_url (DATABASE_URL) must start with postgres://, postgresql:// or sqlite:".into(),
                ));
            }
        }
        if self.master_key.is_some() && self.master_key_file.is_some() {
            return Err(ConfigError(
                "set only one of master_key (PORTCULLIS_MASTER_KEY) and master_key_file (PORTCULLIS_MASTER_KEY_FILE)"
                    .into(),
            ));
        }
        if self.max_secret_bytes == 0 || self.max_request_bytes < self.max_secret_bytes {
            return Err(ConfigError(format!(
                "max_request_bytes (PORTCULLIS_MAX_REQUEST_BYTES, {}) must be at least max_secret_bytes \
                 (PORTCULLIS_MAX_SECRET_BYTES, {}), and both above 0",
                self.max_request_bytes, self.max_secret_bytes
            )));
        }
        if self.db_max_connections == 0 {
            return Err(ConfigError("db_max_connections (PORTCULLIS_DB_MAX_CONNECTIONS) must be at least 1".into()));
        }
        if self.request_timeout_secs == 0 {
            return Err(ConfigError(
                "request_timeout_secs (PORTCULLIS_REQUEST_TIMEOUT_SECS) must be at least 1".into(),
            ));
        }
        for (key, value) in [
            ("worker_concurrency", self.worker_concurrency as u64),
            ("job_max_attempts", u64::from(self.job_max_attempts)),
            ("job_retry_base_secs", self.job_retry_base_secs),
            ("job_orphan_timeout_secs", self.job_orphan_timeout_secs),
            ("job_retention_days", self.job_retention_days),
        ] {
            if value == 0 {
                return Err(ConfigError(format!("{key} (PORTCULLIS_{}) must be at least 1", key.to_uppercase())));
            }
        }
        Ok(())
    }

    /// The database URL in force: the configured one, or the SQLite file in the data dir.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("portcullis.sqlite3").display()))
    }

    /// The settings as one line each, secrets masked (for `--print-config` and the start-up log).
    pub fn describe(&self) -> String {
        let mut shown = self.clone();
        if let Some(url) = &mut shown.database_url {
            *url = mask_url_password(url);
        }
        let value = serde_json::to_value(&shown).unwrap_or_default();
        let mut out = String::new();
        if let serde_json::Value::Object(map) = value {
            for (k, v) in map {
                let v = if k == "master_key" && !v.is_null() { serde_json::Value::from("***") } else { v };
                out.push_str(&format!("{k} = {v}\n"));
            }
        }
        out
    }
}

/// Words figment's errors so they name what to fix: `<key> (<ENV NAME>): <problem> (from the
/// environment)` for a variable, `<key>: <problem> (in <file>)` for a configuration file.
fn describe_figment_error(err: figment::Error) -> ConfigError {
    let lines: Vec<String> = err
        .into_iter()
        .map(|e| {
            let key = e.path.join(".").to_lowercase();
            let (from_env, source) = match &e.metadata {
                Some(m) => match &m.source {
                    Some(figment::Source::File(path)) => (false, format!("in {}", path.display())),
                    _ if m.name.contains("environment") => (true, "from the environment".to_owned()),
                    _ => (false, format!("from {}", m.name)),
                },
                None => (false, "in the configuration".to_owned()),
            };
            if key.is_empty() {
                format!("{} ({source})", e.kind)
            } else if from_env {
                let env = if key == "database_url" {
                    "DATABASE_URL".to_owned()
                } else {
                    format!("PORTCULLIS_{}", key.to_uppercase())
                };
                format!("{key} ({env}): {} ({source})", e.kind)
            } else {
                format!("{key}: {} ({source})", e.kind)
            }
        })
        .collect();
    ConfigError(lines.join("; "))
}

/// `postgres://user:pw@host/db` → `postgres://user:***@host/db`.
fn mask_url_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
mod tests {
    use super::*;

    #[test]
    fn describe_masks_secrets() {
        let c = Config {
            master_key: Some(Sensitive("c2VjcmV0".into())),
            database_url: Some("postgres://u:pw@h/db".into()),
            ..Config::default()
        };
        let d = c.describe();
        assert!(!d.contains("c2VjcmV0") && !d.contains("pw@"), "{d}");
        assert!(d.contains("postgres://u:***@h/db"));
    }

    #[test]
    fn bad_values_name_the_key() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PORTCULLIS_BIND", "not-an-address");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("bind (PORTCULLIS_BIND)") && err.contains("from the environment"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn file_errors_name_the_file_not_a_variable() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("p.toml", "max_secret_byte = 1")?;
            let err = Config::load(Some(Path::new("p.toml"))).unwrap_err().to_string();
            assert!(err.contains("max_secret_byte: unknown field"), "{err}");
            assert!(err.contains("p.toml") && !err.contains("PORTCULLIS_MAX_SECRET_BYTE"), "{err}");
            Ok(())
        });
    }
}
