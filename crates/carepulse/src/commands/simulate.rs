//! `carepulse simulate`: generates a scenario's feedback stream
//! (carepulse-simulator) and sends it to a file, the ingest HTTP API or
//! Kafka, in real time, accelerated, or as fast as possible; shows progress
//! and a summary per kind of item. docs/simulator.md has the details.
//!
//! Simulated start: `--start` when given; else now for `--pace realtime`
//! (the run lies ahead), and now minus the duration for the other paces,
//! so the simulated period ends now and the ingest service, which refuses
//! times more than 5 minutes ahead or 400 days back, accepts every item.

mod http;
mod kafka;
mod pace;
mod post;
mod report;
mod target;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use carepulse_model::Catalog;
use carepulse_simulator::{parse_span, Run, Scenario, ScenarioFile};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use pace::{Clock, Pace};
use report::Report;
use target::{Sink, Target};

/// `carepulse simulate` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file, e.g. deploy/scenarios/general-hospital.toml.
    scenario: PathBuf,
    /// Where items go: file:<path> (NDJSON), http:<base-url> (the ingest
    /// service, e.g. http:http://127.0.0.1:8080) or kafka (the configured
    /// brokers, through the ingest service's validation).
    #[arg(long)]
    target: Target,
    /// Seed of the random generator: the same seed, start and duration give
    /// the same stream byte for byte. Default: a new one, printed.
    #[arg(long)]
    seed: Option<u64>,
    /// Simulated duration (90m, 12h, 7d, 2w); default: the scenario's.
    #[arg(long)]
    duration: Option<String>,
    /// realtime, accelerated:<factor> (simulated seconds per second) or asap.
    #[arg(long, default_value = "asap")]
    pace: Pace,
    /// Simulated start (RFC 3339); default: now for realtime, else now minus
    /// the duration.
    #[arg(long)]
    start: Option<DateTime<Utc>>,
    /// API tokens for the http target: a [tokens] table of facility = token.
    #[arg(long, default_value = "deploy/local/tokens.toml")]
    tokens: PathBuf,
    /// Requests or publishes in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Show progress as plain lines even when stderr is not a terminal.
    #[arg(long)]
    progress: bool,
    /// kafka target only: the events' received_at. wall-clock (default) as
    /// the ingest service stamps it; send-time, the simulated send time, to
    /// seed history for demos and evaluations (items sent after now are
    /// skipped). Not for production: it bypasses ingest's stamp.
    #[arg(long, value_enum, default_value_t)]
    received_at: kafka::ReceivedAt,
}

/// Reads a scenario and the catalog it names (relative to the scenario).
fn load(path: &Path) -> anyhow::Result<Scenario> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the scenario '{}'", path.display()))?;
    let file = ScenarioFile::from_toml(&text).with_context(|| format!("'{}'", path.display()))?;
    let catalog_path = path.parent().unwrap_or(Path::new(".")).join(file.catalog());
    let catalog_text = std::fs::read_to_string(&catalog_path).with_context(|| {
        format!(
            "cannot read the catalog '{}' named by the scenario",
            catalog_path.display()
        )
    })?;
    let catalog = Catalog::from_toml(&catalog_text)
        .with_context(|| format!("'{}'", catalog_path.display()))?;
    file.check(&catalog)
        .with_context(|| format!("'{}'", path.display()))
}

/// A seed from the clock, for runs that did not ask for one.
fn fresh_seed() -> u64 {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    (nanos as u64) % 1_000_000
}

/// Runs the simulation; exit code 1 when an item meant to be accepted was
/// refused or could not be delivered.
pub async fn run(config_file: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let scenario = load(&args.scenario)?;
    let duration = match &args.duration {
        Some(text) => parse_span(text)
            .map_err(anyhow::Error::msg)
            .context("--duration")?,
        None => scenario.duration(),
    };
    if duration <= TimeDelta::zero() {
        bail!("--duration must be longer than zero");
    }
    if args.received_at != kafka::ReceivedAt::WallClock && args.target != Target::Kafka {
        bail!("--received-at send-time needs --target kafka: the ingest service stamps received_at itself");
    }
    let now = Utc::now();
    let seed = args.seed.unwrap_or_else(fresh_seed);
    let run = match (args.start, args.pace) {
        (Some(start), _) => Run {
            seed,
            start,
            duration,
        },
        (None, Pace::Realtime) => Run {
            seed,
            start: now,
            duration,
        },
        (None, _) => Run::ending_at(seed, duration, now),
    };
    let facilities = scenario.facilities();
    let mut sink = match &args.target {
        Target::File(path) => Sink::file(path)?,
        Target::Http(base) => Sink::Http(http::HttpSink::new(
            base,
            &args.tokens,
            &facilities,
            args.concurrency,
        )?),
        Target::Kafka => {
            let config = super::valid_config(config_file)?;
            Sink::Kafka(Box::new(
                kafka::KafkaSink::new(config, &facilities, args.concurrency, args.received_at)
                    .await?,
            ))
        }
    };
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    eprintln!(
        "simulating '{}' from {} to {} with --seed {seed}",
        scenario.name(),
        time(run.start),
        time(run.end())
    );
    let mut report = Report::new(args.progress);
    let clock = Clock::new(args.pace, run.start);
    let mut interrupt = std::pin::pin!(tokio::signal::ctrl_c());
    let mut stopped = false;
    for item in scenario.stream(&run) {
        let due = clock.due(item.at);
        loop {
            let now = tokio::time::Instant::now();
            let wait = due.filter(|d| *d > now);
            match wait {
                Some(due) => {
                    let wake = due.min(now + std::time::Duration::from_millis(250));
                    tokio::select! {
                        _ = &mut interrupt => stopped = true,
                        _ = tokio::time::sleep_until(wake) => {}
                    }
                }
                None => tokio::select! {
                    biased;
                    _ = &mut interrupt => stopped = true,
                    _ = std::future::ready(()) => {}
                },
            }
            sink.tick(&mut report).await;
            report.tick(item.at);
            if stopped || wait.is_none_or(|d| d <= tokio::time::Instant::now()) {
                break;
            }
        }
        if stopped {
            eprintln!("\ninterrupted: waiting for answers to what was sent");
            break;
        }
        sink.send(item, &mut report).await?;
    }
    sink.finish(&mut report).await?;
    report.summary(&mut std::io::stderr().lock())?;
    Ok(if report.has_failures() || stopped {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
