//! `carepulse report`: the analytics engine (carepulse-analytics) over an
//! export: scores, drivers, question quality and journeys, as tables or
//! JSON. docs/analytics.md describes the inputs and every figure.
//!
//! Inputs are NDJSON (feedback events, simulator file lines or
//! submissions; see `ndjson`) or CSV with a header row (see `csv`). A
//! malformed row is reported on stderr with its file, line and reason and
//! counted; the rest is still read. The window ends at `--until`, by
//! default just after the latest event of the input, so that a report of
//! an old export is the same whenever it runs. The input is held in memory
//! as events (about 1 KB each) until the window is known.

mod csv;
mod ndjson;
mod table;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use carepulse_analytics::{DriverSettings, Report, ReportBuilder, ReportSettings};
use carepulse_model::{FeedbackEvent, Pseudonymiser};
use carepulse_simulator::parse_span;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// How a file is read.
#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
pub enum Format {
    /// By extension: `.csv` is CSV, anything else NDJSON.
    Auto,
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated with a header row.
    Csv,
}

/// `carepulse report` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Exports to read (NDJSON or CSV); `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Input format.
    #[arg(long, value_enum, default_value = "auto")]
    format: Format,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Length of the window ending at --until (90d, 12w, 1d12h), or `all`.
    #[arg(long, default_value = "90d")]
    window: String,
    /// End of the window (RFC 3339, exclusive); default: just after the
    /// latest event in the input.
    #[arg(long)]
    until: Option<DateTime<Utc>>,
    /// Fewer answers (scores, stages) or complete responses (drivers, alpha)
    /// than this are marked or reported as not reliable.
    #[arg(long, default_value_t = 30)]
    min_n: u64,
    /// Bootstrap replicates of the driver intervals.
    #[arg(long, default_value_t = 200)]
    replicates: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// What happened to the input rows.
#[derive(Default, Serialize)]
struct InputRows {
    rows: u64,
    malformed: u64,
}

#[derive(Serialize)]
struct Output<'a> {
    files: Vec<String>,
    rows: &'a InputRows,
    #[serde(flatten)]
    report: &'a Report,
}

fn malformed(rows: &mut InputRows, place: String, reason: String) {
    rows.malformed += 1;
    eprintln!("{place}: {reason}");
}

/// Reads every file into events; malformed rows are reported and counted.
fn events(
    args: &Args,
    config: &crate::config::ValidConfig,
    rows: &mut InputRows,
) -> anyhow::Result<Vec<FeedbackEvent>> {
    let throwaway = Pseudonymiser::new("report", &[0x5a; 32]).expect("fixed key is long enough");
    let pseudonymiser = config.pseudonymiser.as_ref().unwrap_or(&throwaway);
    let interval = TimeDelta::seconds(
        i64::try_from(config.ingest.kiosk_repeat_interval_secs).unwrap_or(i64::MAX),
    );
    let mut out = Vec::new();
    for path in &args.files {
        let text = super::validate::read(path)?;
        let name = path.display().to_string();
        let is_csv = match args.format {
            Format::Csv => true,
            Format::Ndjson => false,
            Format::Auto => path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv")),
        };
        if is_csv {
            let mut reader = ::csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(text.as_bytes());
            let header = reader
                .headers()
                .with_context(|| format!("{name}: cannot read the header row"))?
                .clone();
            let (columns, warnings) = csv::Columns::new(&header, &config.catalog)
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            for w in warnings {
                eprintln!("{name}: {w}");
            }
            for record in reader.records() {
                rows.rows += 1;
                match record {
                    Err(e) => {
                        let line = e.position().map_or(0, |p| p.line());
                        malformed(rows, format!("{name}:{line}"), format!("not CSV: {e}"));
                    }
                    Ok(record) => {
                        let line = record.position().map_or(0, |p| p.line());
                        let id = format!("{name}:{line}");
                        match csv::event(&columns, &record, &config.catalog, pseudonymiser, &id) {
                            Ok(event) => out.push(event),
                            Err(reason) => malformed(rows, id, reason),
                        }
                    }
                }
            }
        } else {
            let mut decoder =
                ndjson::LineDecoder::new(&config.catalog, &config.limits, pseudonymiser, interval);
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                rows.rows += 1;
                match decoder.decode(line) {
                    Ok(event) => out.push(event),
                    Err(reason) => malformed(rows, format!("{name}:{}", i + 1), reason),
                }
            }
        }
    }
    Ok(out)
}

/// The engine's settings for a window, one minimum n for scores, stages,
/// drivers and alpha, and the bootstrap's replicates and seed; shared with
/// `carepulse analyze`, so both compute the same figures.
pub fn engine_settings(
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    min_n: u64,
    replicates: usize,
    seed: u64,
) -> ReportSettings {
    ReportSettings {
        from,
        until,
        min_n,
        drivers: DriverSettings {
            min_n,
            replicates,
            seed,
            ..DriverSettings::default()
        },
        quality: carepulse_analytics::QualitySettings {
            min_n,
            ..Default::default()
        },
        ..ReportSettings::default()
    }
}

/// Builds the report; exit code 0 even when rows were malformed (they are
/// listed on stderr and counted), 2 when a file or the setup is unusable.
pub fn run(config_file: Option<&Path>, args: &Args) -> anyhow::Result<ExitCode> {
    let config = super::valid_config(config_file)?;
    let span = match args.window.as_str() {
        "all" => None,
        text => Some(parse_span(text).map_err(|e| anyhow::anyhow!("--window: {e}"))?),
    };
    let mut rows = InputRows::default();
    let events = events(args, &config, &mut rows)?;
    let latest = events
        .iter()
        .map(|e| e.occurred_at.with_timezone(&Utc))
        .max();
    let until = args.until.or(latest.map(|t| t + TimeDelta::seconds(1)));
    let settings = engine_settings(
        span.zip(until).map(|(span, until)| until - span),
        until,
        args.min_n,
        args.replicates,
        args.seed,
    );
    let mut builder = ReportBuilder::new(&config.catalog, settings);
    for event in &events {
        if let Err(e) = builder.add(event) {
            rows.malformed += 1;
            eprintln!("event {}: {e}", event.event_id);
        }
    }
    let report = builder.finish();
    let i = &report.input;
    eprintln!(
        "{} rows read, {} malformed; {} events used ({} duplicates, {} suspect, {} outside the window)",
        rows.rows, rows.malformed, i.used, i.duplicates, i.suspect, i.outside_window
    );
    let text = if args.json {
        let files = args.files.iter().map(|f| f.display().to_string()).collect();
        serde_json::to_string_pretty(&Output {
            files,
            rows: &rows,
            report: &report,
        })? + "\n"
    } else {
        let window = match (report.settings.from, report.settings.until) {
            (Some(f), Some(u)) => format!("{} to {} (exclusive)", f.to_rfc3339(), u.to_rfc3339()),
            (None, Some(u)) => format!("everything before {}", u.to_rfc3339()),
            _ => "no events".to_owned(),
        };
        let header = format!(
            "carepulse report: {window}\ninput: {} rows, {} malformed; {} events used ({} duplicates, {} suspect, {} outside the window)\n",
            rows.rows, rows.malformed, i.used, i.duplicates, i.suspect, i.outside_window
        );
        table::render(&report, &header)
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write '{}'", path.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
