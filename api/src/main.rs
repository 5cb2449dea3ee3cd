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
    portcullis_observability::init(match config.log_format {
        LogFormat::Text => portcullis_observability::LogFormat::Text,
        LogFormat::Json => portcullis_observability::LogFormat::Json,
    });
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
            Command::Config => {
                print!("{}", config.describe());
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portcullis: {e:#}");
            ExitCode::FAILURE
        }
    }
}
