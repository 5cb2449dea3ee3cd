//! The `portcullis` binary: the API server, the workers, migrations and key management.

mod commands;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use portcullis_api::config::{Config, LogFormat};

#[derive(Parser)]
#[command(name = "portcullis", version, about = "A Barbican-compatible secrets service.")]
struct Cli {
    /// TOML configuration file; PORTCULLIS_* environment variables override it.
    #[arg(long, global = true, env = "PORTCULLIS_CONFIG")]
    config: Option<PathBuf>,
    /// Log format: human-readable text or JSON lines (overrides log_format).
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormatArg>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormatArg {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API and the job workers in one process (the default).
    Serve,
    /// Run the API only; jobs are left to `portcullis worker` processes.
    Api,
    /// Run the job workers only (they process orders) until SIGINT or SIGTERM.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage master keys.
    #[command(subcommand)]
    Keys(commands::keys::KeysCommand),
    /// Inspect the job queues and retry, cancel or discard a job (as /v1/admin/jobs does).
    Jobs(commands::jobs::JobsArgs),
    /// Print the configuration in force, secret values masked, and exit.
    Config,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("portcullis: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(f) = cli.log_format {
        config.log_format = match f {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        };
    }
    let format = match config.log_format {
        LogFormat::Text => portcullis_observability::LogFormat::Text,
        LogFormat::Json => portcullis_observability::LogFormat::Json,
    };
    // Traces are exported by the long-running commands only, and only with an endpoint set.
    let long_running = matches!(cli.command, None | Some(Command::Serve | Command::Api | Command::Worker));
    let otel = config.otel_settings().filter(|_| long_running);
    let telemetry = match portcullis_observability::init_with(format, otel.as_ref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("portcullis: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(o) = &otel {
        tracing::info!(endpoint = %o.endpoint, service = %o.service_name, "exporting traces over OTLP/HTTP");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("portcullis: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => commands::serve::run(config, true).await,
            Command::Api => commands::serve::run(config, false).await,
            Command::Worker => commands::serve::worker(config).await,
            Command::Migrate => commands::migrate::run(config).await,
            Command::Keys(k) => commands::keys::run(config, k).await,
            Command::Jobs(j) => commands::jobs::run(config, j).await,
            Command::Config => {
                print!("{}", config.describe());
                Ok(())
            }
        }
    });
    // Sends the spans still buffered (a no-op when export is off).
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portcullis: {e:#}");
            ExitCode::FAILURE
        }
    }
}
