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
//! | `secret_stores` | `PORTCULLIS_SECRET_STORES` | none: one implicit store, `default` (list of `[[secret_stores]]` tables: `name`, `plugin` = `simple_crypto`, `master_key_file` or `master_key_env`, `global_default`; see [`secret_stores`]) |
//! | `request_timeout_secs` | `PORTCULLIS_REQUEST_TIMEOUT_SECS` | 30 (a slower request is answered 503) |
//! | `max_header_bytes` | `PORTCULLIS_MAX_HEADER_BYTES` | 16384 (all header names and values; more is 431) |
//! | `cors_allowed_origins` | `PORTCULLIS_CORS_ALLOWED_ORIGINS` | unset: CORS off (comma list of origins) |
//! | `auth` | `PORTCULLIS_AUTH` | `noauth` (`noauth` or `jwt`; see README "Authentication") |
//! | `allow_noauth_on_public_bind` | `PORTCULLIS_ALLOW_NOAUTH_ON_PUBLIC_BIND` | false (`noauth` on a non-loopback `bind` refuses to start) |
//! | `enforce_new_defaults` | `PORTCULLIS_ENFORCE_NEW_DEFAULTS` | true (Barbican's current policy and implied roles; false: legacy) |
//! | `jwt_hs256_secret_file` | `PORTCULLIS_JWT_HS256_SECRET_FILE` | unset (a file holding the HS256 secret, at least 32 bytes) |
//! | `jwt_keys_file` | `PORTCULLIS_JWT_KEYS_FILE` | unset (RS256/ES256 public keys: PEM or JWKS) |
//! | `jwt_issuer` | `PORTCULLIS_JWT_ISSUER` | unset: `iss` not checked |
//! | `jwt_audience` | `PORTCULLIS_JWT_AUDIENCE` | unset: `aud` not checked |
//! | `jwt_leeway_secs` | `PORTCULLIS_JWT_LEEWAY_SECS` | 60 (clock skew allowed on `exp` and `nbf`) |
//! | `jwt_project_claim` | `PORTCULLIS_JWT_PROJECT_CLAIM` | `project_id` |
//! | `jwt_user_claim` | `PORTCULLIS_JWT_USER_CLAIM` | `sub` |
//! | `jwt_roles_claim` | `PORTCULLIS_JWT_ROLES_CLAIM` | `roles` (a list of strings or a comma-separated string) |
//! | `log_format` | `PORTCULLIS_LOG_FORMAT` | `text` (`text` or `json`) |
//! | `worker_ops_bind` | `PORTCULLIS_WORKER_OPS_BIND` | unset: `portcullis worker` serves no HTTP (`host:port`: `/metrics` and `/health/*` there) |
//! | `worker_concurrency` | `PORTCULLIS_WORKER_CONCURRENCY` | 4 (orders processed at once per process) |
//! | `job_max_attempts` | `PORTCULLIS_JOB_MAX_ATTEMPTS` | 8 (deliveries before an order goes to ERROR) |
//! | `job_retry_base_secs` | `PORTCULLIS_JOB_RETRY_BASE_SECS` | 5 (first retry delay; doubles, with jitter) |
//! | `job_orphan_timeout_secs` | `PORTCULLIS_JOB_ORPHAN_TIMEOUT_SECS` | 30 (a dead worker's jobs move after this) |
//! | `job_timeout_secs` | `PORTCULLIS_JOB_TIMEOUT_SECS` | 120 (a longer delivery is cut short and retried) |
//! | `job_poll_interval_ms` | `PORTCULLIS_JOB_POLL_INTERVAL_MS` | 1000 (an idle worker's fallback poll; new jobs wake it at once) |
//! | `job_retention_days` | `PORTCULLIS_JOB_RETENTION_DAYS` | 7 (finished jobs are deleted after this) |
//! | `job_retention_secs` | `PORTCULLIS_JOB_RETENTION_SECS` | unset (overrides `job_retention_days`, for short-lived setups such as `just soak`) |
//! | `ca_approval` | `PORTCULLIS_CA_APPROVAL` | `auto` (`auto` signs at once; `manual` holds requests for an admin) |
//! | `ca_check_interval_secs` | `PORTCULLIS_CA_CHECK_INTERVAL_SECS` | 10 (how often a held request is checked) |
//! | `ca_hold_timeout_secs` | `PORTCULLIS_CA_HOLD_TIMEOUT_SECS` | 604800 (a request held longer fails its order) |
//! | `ca_cert_validity_days` | `PORTCULLIS_CA_CERT_VALIDITY_DAYS` | 365 (certificates the local CA issues) |
//! | `ca_validity_days` | `PORTCULLIS_CA_VALIDITY_DAYS` | 3650 (the local CA's own certificate, made on first start) |
//! | `quota_secrets` | `PORTCULLIS_QUOTA_SECRETS` | -1 (default per-project quota; negative: unlimited, 0: none allowed) |
//! | `quota_orders` | `PORTCULLIS_QUOTA_ORDERS` | -1 (as above, for orders) |
//! | `quota_containers` | `PORTCULLIS_QUOTA_CONTAINERS` | -1 (as above, for containers) |
//! | `quota_consumers` | `PORTCULLIS_QUOTA_CONSUMERS` | -1 (as above, for secret and for container consumers) |
//! | `quota_cas` | `PORTCULLIS_QUOTA_CAS` | -1 (reported only: projects cannot create CAs) |
//! | `otel_endpoint` | `OTEL_EXPORTER_OTLP_ENDPOINT` | unset: no trace export (`http://host:4318`: export over OTLP/HTTP) |
//! | `otel_protocol` | `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` (the only one supported) |
//! | `otel_service_name` | `OTEL_SERVICE_NAME` | `portcullis` |
//! | `otel_traces_sampler` | `OTEL_TRACES_SAMPLER` | `parentbased_always_on` (the standard names) |
//! | `otel_traces_sampler_arg` | `OTEL_TRACES_SAMPLER_ARG` | unset (the ratio of `*traceidratio`, default 1) |
//!
//! The `otel_*` keys also read `PORTCULLIS_OTEL_*`; the standard `OTEL_*` variables win over both.
//!
//! Tests also have `faults` (`PORTCULLIS_FAULTS`, unset): failures injected into job handlers,
//! see `portcullis_jobs::Faults`. Only debug builds accept it; a release build refuses to start
//! with it set, so it cannot be switched on in production.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use portcullis_jobs::Faults;
use serde::{Deserialize, Serialize};

pub mod secret_stores;

pub use secret_stores::SecretStoreConfig;

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

/// How callers are identified (see [`crate::auth`]).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Barbican's unauthenticated context: `X-Project-Id` / `X-Roles` headers, trusted.
    #[default]
    NoAuth,
    /// Bearer JWTs verified against configured keys.
    Jwt,
}

/// Whether the local CA signs certificate requests at once or holds them for an admin.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CaApprovalMode {
    #[default]
    Auto,
    Manual,
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
    /// The secret stores (`[[secret_stores]]`); empty: one implicit store on the top-level key.
    pub secret_stores: Vec<SecretStoreConfig>,
    pub request_timeout_secs: u64,
    /// All header names and values, in bytes (431 above).
    pub max_header_bytes: usize,
    /// Origins allowed cross-origin requests (comma list); `None`: CORS off.
    pub cors_allowed_origins: Option<String>,
    pub auth: AuthMode,
    pub allow_noauth_on_public_bind: bool,
    pub enforce_new_defaults: bool,
    pub jwt_hs256_secret_file: Option<PathBuf>,
    pub jwt_keys_file: Option<PathBuf>,
    pub jwt_issuer: Option<String>,
    pub jwt_audience: Option<String>,
    pub jwt_leeway_secs: u64,
    pub jwt_project_claim: String,
    pub jwt_user_claim: String,
    pub jwt_roles_claim: String,
    pub log_format: LogFormat,
    /// Where a `portcullis worker` process serves `/metrics` and `/health/*`; `None`: nowhere.
    pub worker_ops_bind: Option<SocketAddr>,
    pub worker_concurrency: usize,
    pub job_max_attempts: u32,
    pub job_retry_base_secs: u64,
    pub job_orphan_timeout_secs: u64,
    pub job_timeout_secs: u64,
    /// Also bounds how late a scheduled retry starts, and (SQLite) how soon a `portcullis
    /// worker` sees a job another process enqueued; same-process and Postgres enqueues wake it.
    pub job_poll_interval_ms: u64,
    pub job_retention_days: u64,
    pub job_retention_secs: Option<u64>,
    pub ca_approval: CaApprovalMode,
    pub ca_check_interval_secs: u64,
    pub ca_hold_timeout_secs: u64,
    pub ca_cert_validity_days: u32,
    pub ca_validity_days: u32,
    /// Default quotas (README "Quotas"); a project's own (`/v1/project-quotas`) override them.
    pub quota_secrets: i64,
    pub quota_orders: i64,
    pub quota_containers: i64,
    pub quota_consumers: i64,
    pub quota_cas: i64,
    /// OTLP trace export (README "Tracing"); `None` (or empty): off.
    pub otel_endpoint: Option<String>,
    pub otel_protocol: String,
    pub otel_service_name: String,
    pub otel_traces_sampler: String,
    pub otel_traces_sampler_arg: Option<f64>,
    /// Test-only fault injection; refused by release builds when parsed.
    pub faults: Option<Faults>,
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
            secret_stores: Vec::new(),
            request_timeout_secs: 30,
            max_header_bytes: 16 * 1024,
            cors_allowed_origins: None,
            auth: AuthMode::NoAuth,
            allow_noauth_on_public_bind: false,
            enforce_new_defaults: true,
            jwt_hs256_secret_file: None,
            jwt_keys_file: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwt_leeway_secs: 60,
            jwt_project_claim: "project_id".into(),
            jwt_user_claim: "sub".into(),
            jwt_roles_claim: "roles".into(),
            log_format: LogFormat::Text,
            worker_ops_bind: None,
            worker_concurrency: 4,
            job_max_attempts: 8,
            job_retry_base_secs: 5,
            job_orphan_timeout_secs: 30,
            job_timeout_secs: 120,
            job_poll_interval_ms: 1000,
            job_retention_days: 7,
            job_retention_secs: None,
            ca_approval: CaApprovalMode::Auto,
            ca_check_interval_secs: 10,
            ca_hold_timeout_secs: 7 * 24 * 3600,
            ca_cert_validity_days: 365,
            ca_validity_days: 3650,
            quota_secrets: -1,
            quota_orders: -1,
            quota_containers: -1,
            quota_consumers: -1,
            quota_cas: -1,
            otel_endpoint: None,
            otel_protocol: portcullis_observability::otel::PROTOCOL.into(),
            otel_service_name: "portcullis".into(),
            otel_traces_sampler: "parentbased_always_on".into(),
            otel_traces_sampler_arg: None,
            faults: None,
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
        let fig = fig
            .merge(Env::prefixed("PORTCULLIS_").ignore(&["config"]))
            .merge(Env::raw().only(&["DATABASE_URL"]))
            // The standard OpenTelemetry variables, onto their keys.
            .merge(Env::raw().only(&OTEL_ENV.map(|(var, _)| var)).map(|var| {
                OTEL_ENV.iter().find(|(v, _)| var == *v).map_or_else(|| var.into(), |(_, key)| (*key).into())
            }));
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
            ("job_timeout_secs", self.job_timeout_secs),
            ("job_poll_interval_ms", self.job_poll_interval_ms),
            ("job_retention_days", self.job_retention_days),
            ("job_retention_secs", self.job_retention_secs.unwrap_or(1)),
            ("ca_check_interval_secs", self.ca_check_interval_secs),
            ("ca_hold_timeout_secs", self.ca_hold_timeout_secs),
            ("ca_cert_validity_days", u64::from(self.ca_cert_validity_days)),
            ("ca_validity_days", u64::from(self.ca_validity_days)),
        ] {
            if value == 0 {
                return Err(ConfigError(format!("{key} (PORTCULLIS_{}) must be at least 1", key.to_uppercase())));
            }
        }
        self.validate_http()?;
        secret_stores::validate(&self.secret_stores)?;
        self.validate_otel()
    }

    /// The header limit and the CORS origins.
    fn validate_http(&self) -> Result<(), ConfigError> {
        // hyper refuses (bodiless) above ~400 KiB of headers, so a larger limit would not apply.
        if !(1024..=256 * 1024).contains(&self.max_header_bytes) {
            return Err(ConfigError(format!(
                "max_header_bytes (PORTCULLIS_MAX_HEADER_BYTES) must be between 1024 and 262144, got {}",
                self.max_header_bytes
            )));
        }
        for origin in self.cors_origins() {
            let ok = (origin.starts_with("http://") || origin.starts_with("https://"))
                && !origin.trim_end_matches('/').contains(|c: char| c == '*' || c.is_whitespace())
                && axum::http::HeaderValue::from_str(&origin).is_ok();
            if !ok {
                return Err(ConfigError(format!(
                    "cors_allowed_origins (PORTCULLIS_CORS_ALLOWED_ORIGINS): {origin:?} is not an origin like \
                     https://app.example.com (no wildcards)"
                )));
            }
        }
        for (key, value) in [
            ("jwt_project_claim", &self.jwt_project_claim),
            ("jwt_user_claim", &self.jwt_user_claim),
            ("jwt_roles_claim", &self.jwt_roles_claim),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError(format!("{key} ({}) must not be empty", env_name(key))));
            }
        }
        Ok(())
    }

    /// The configured CORS origins, without trailing slashes; empty when CORS is off.
    pub fn cors_origins(&self) -> Vec<String> {
        let list = self.cors_allowed_origins.as_deref().unwrap_or_default();
        list.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect()
    }

    fn validate_otel(&self) -> Result<(), ConfigError> {
        let err = |key: &str, e: String| ConfigError(format!("{key} ({}): {e}", env_name(key)));
        if let Some(endpoint) = self.otel_endpoint.as_deref().filter(|e| !e.is_empty()) {
            portcullis_observability::otel::check_endpoint(endpoint).map_err(|e| err("otel_endpoint", e))?;
        }
        portcullis_observability::otel::check_protocol(&self.otel_protocol).map_err(|e| err("otel_protocol", e))?;
        if self.otel_service_name.trim().is_empty() {
            return Err(err("otel_service_name", "must not be empty".into()));
        }
        portcullis_observability::SamplerSpec::parse(&self.otel_traces_sampler, self.otel_traces_sampler_arg)
            .map_err(|e| err("otel_traces_sampler", e))?;
        Ok(())
    }

    /// The trace export settings, or `None` when no endpoint is set (export off).
    pub fn otel_settings(&self) -> Option<portcullis_observability::OtelSettings> {
        let endpoint = self.otel_endpoint.clone().filter(|e| !e.is_empty())?;
        Some(portcullis_observability::OtelSettings {
            endpoint,
            service_name: self.otel_service_name.clone(),
            // Checked by `validate`.
            sampler: portcullis_observability::SamplerSpec::parse(
                &self.otel_traces_sampler,
                self.otel_traces_sampler_arg,
            )
            .ok()?,
        })
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
        for url in [&mut shown.database_url, &mut shown.otel_endpoint].into_iter().flatten() {
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
                format!("{key} ({}): {} ({source})", env_name(&key), e.kind)
            } else {
                format!("{key}: {} ({source})", e.kind)
            }
        })
        .collect();
    ConfigError(lines.join("; "))
}

/// The standard OpenTelemetry variables and the keys they set.
const OTEL_ENV: [(&str, &str); 5] = [
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "otel_endpoint"),
    ("OTEL_EXPORTER_OTLP_PROTOCOL", "otel_protocol"),
    ("OTEL_SERVICE_NAME", "otel_service_name"),
    ("OTEL_TRACES_SAMPLER", "otel_traces_sampler"),
    ("OTEL_TRACES_SAMPLER_ARG", "otel_traces_sampler_arg"),
];

/// The environment variable(s) that set `key`, for messages.
fn env_name(key: &str) -> String {
    if key == "database_url" {
        return "DATABASE_URL".to_owned();
    }
    let own = format!("PORTCULLIS_{}", key.to_uppercase());
    match OTEL_ENV.iter().find(|(_, k)| *k == key) {
        Some((var, _)) => format!("{var} or {own}"),
        None => own,
    }
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
mod tests;
