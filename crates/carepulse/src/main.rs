//! The `carepulse` command: one binary, one subcommand per job.

mod commands;
mod config;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// carepulse: continuous patient and customer experience measurement.
#[derive(Parser)]
#[command(name = "carepulse", version, about, propagate_version = true)]
struct Cli {
    /// Configuration file (TOML); CAREPULSE__SECTION__KEY variables override it.
    #[arg(long, short, global = true, env = "CAREPULSE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the effective configuration (secrets masked) or what is wrong with it.
    CheckConfig,
    /// Summarise the hospital catalog: organisations, departments, journeys, touchpoints.
    Catalog,
    /// Check feedback submissions (JSON object, JSON array or NDJSON files) against
    /// the catalog, as the ingest service would.
    Validate(commands::validate::Args),
    /// Print the JSON Schema of the submission or of the published event.
    Schema(commands::schema::Args),
    /// Run the ingest HTTP API (feedback from kiosks, portals, survey gateways).
    Ingest,
    /// Run the stream processor: feedback topic -> scores in ClickHouse.
    Process,
    /// Run the alerter: score drops and silences from ClickHouse to Kafka,
    /// ClickHouse and Alertmanager.
    Alert(commands::alert::Args),
    /// Create the Kafka topics and the ClickHouse schema (safe to run again).
    Migrate(commands::migrate::Args),
    /// Make or hash API tokens for [[ingest.tokens]].
    #[command(subcommand)]
    Token(commands::token::Args),
    /// Generate a hospital's feedback stream from a scenario and send it to a
    /// file, the ingest API or Kafka.
    Simulate(Box<commands::simulate::Args>),
    /// Scores, key drivers, question quality and journeys of an NDJSON or CSV export.
    Report(Box<commands::report::Args>),
    /// Drivers, question quality and journeys of the last days in ClickHouse,
    /// stored for the dashboards; once, or `--every 1h`.
    Analyze(commands::analyze::Args),
}

/// Runs an async subcommand on a multi-threaded runtime.
fn block_on(
    job: impl std::future::Future<Output = anyhow::Result<ExitCode>>,
) -> anyhow::Result<ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(job)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAREPULSE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::CheckConfig => commands::check_config::run(cli.config.as_deref()),
        Command::Catalog => commands::catalog::run(cli.config.as_deref()),
        Command::Validate(args) => commands::validate::run(cli.config.as_deref(), &args),
        Command::Schema(args) => commands::schema::run(&args),
        Command::Ingest => block_on(commands::ingest::run(cli.config.as_deref())),
        Command::Process => block_on(commands::process::run(cli.config.as_deref())),
        Command::Alert(args) => block_on(commands::alert::run(cli.config.as_deref(), &args)),
        Command::Migrate(args) => block_on(commands::migrate::run(cli.config.as_deref(), &args)),
        Command::Token(args) => commands::token::run(&args),
        Command::Simulate(args) => block_on(commands::simulate::run(cli.config.as_deref(), *args)),
        Command::Report(args) => commands::report::run(cli.config.as_deref(), &args),
        Command::Analyze(args) => block_on(commands::analyze::run(cli.config.as_deref(), &args)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
