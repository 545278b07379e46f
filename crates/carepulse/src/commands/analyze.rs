//! `carepulse analyze`: the analytics engine (drivers, question quality,
//! journeys; the engine and settings of `carepulse report`) over the
//! counted events of the last `analyze.window_days` in ClickHouse, stored
//! with the window and the time of computation in the analytics tables
//! that the Analytics dashboard reads. One computation by default;
//! `--every 1h` recomputes until SIGTERM or Ctrl-C and serves `/metrics`
//! on `analyze.metrics_listen` meanwhile. A failed computation is logged
//! and counted, and the loop goes on (the next one may succeed); the
//! dashboards keep showing the latest complete one.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use carepulse_clickhouse::Analyzed;
use carepulse_model::Catalog;
use carepulse_simulator::parse_span;
use chrono::{DateTime, TimeDelta, Utc};
use tracing::Instrument;

use crate::config::{AnalyzeSettings, ValidConfig};

/// Computations by `result` (`ok`, `error`).
pub const RUNS: &str = "carepulse_analyze_runs_total";
/// Time of one computation: read, compute, write.
pub const DURATION_SECONDS: &str = "carepulse_analyze_duration_seconds";
/// Rows read from `feedback_events`.
pub const EVENTS_READ: &str = "carepulse_analyze_events_read_total";
/// Counter: months of stored computations dropped (older than
/// `analyze.keep_days`).
pub const MONTHS_DROPPED: &str = "carepulse_analyze_months_dropped_total";
/// Counter: attempts to drop old computations that failed (retried after
/// the next computation).
pub const RETENTION_ERRORS: &str = "carepulse_analyze_retention_errors_total";

/// `carepulse analyze` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Recompute every span (1h, 30m, 1d) until stopped, serving /metrics
    /// on analyze.metrics_listen; without it, compute once and exit.
    #[arg(long)]
    every: Option<String>,
    /// End of the window (RFC 3339, exclusive), for one computation of a
    /// past window; default: now.
    #[arg(long, conflicts_with = "every")]
    until: Option<DateTime<Utc>>,
}

fn describe() {
    carepulse_metrics::handle();
    metrics::describe_counter!(RUNS, "analytics computations by result");
    metrics::describe_histogram!(
        DURATION_SECONDS,
        metrics::Unit::Seconds,
        "time of one analytics computation: read, compute, write"
    );
    metrics::describe_counter!(EVENTS_READ, "events read from feedback_events");
    metrics::describe_counter!(
        MONTHS_DROPPED,
        "months of stored computations dropped as older than analyze.keep_days"
    );
    metrics::describe_counter!(
        RETENTION_ERRORS,
        "failed attempts to drop computations older than analyze.keep_days"
    );
    for result in ["ok", "error"] {
        metrics::counter!(RUNS, "result" => result).increment(0);
    }
    metrics::counter!(EVENTS_READ).increment(0);
    metrics::counter!(MONTHS_DROPPED).increment(0);
    metrics::counter!(RETENTION_ERRORS).increment(0);
}

/// One computation over the window ending at `until`, as of `now`.
async fn once(
    config: &ValidConfig,
    catalog: &Arc<Catalog>,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<Analyzed> {
    let s: &AnalyzeSettings = &config.analyze;
    let from = until - TimeDelta::days(i64::from(s.window_days));
    let settings =
        super::report::engine_settings(Some(from), Some(until), s.min_n, s.replicates, s.seed);
    let span = tracing::info_span!(
        "analyze",
        window_from = %from.to_rfc3339(),
        window_to = %until.to_rfc3339()
    );
    let started = Instant::now();
    let result = carepulse_clickhouse::analyze(
        &config.clickhouse.client(),
        &config.clickhouse.database,
        Arc::clone(catalog),
        settings,
        now,
    )
    .instrument(span.clone())
    .await;
    metrics::histogram!(DURATION_SECONDS).record(started.elapsed().as_secs_f64());
    let outcome = {
        let _entered = span.enter();
        match result {
            Ok(done) => {
                metrics::counter!(RUNS, "result" => "ok").increment(1);
                metrics::counter!(EVENTS_READ).increment(done.run.events_read);
                tracing::info!(
                    events_read = done.run.events_read,
                    events_used = done.run.events_used,
                    malformed = done.run.malformed,
                    driver_rows = done.run.driver_rows,
                    quality_rows = done.run.quality_rows,
                    stage_rows = done.run.stage_rows,
                    seconds = format!("{:.2}", done.run.duration_seconds),
                    "analytics stored"
                );
                for note in &done.report.notes {
                    tracing::warn!(note, "analytics note");
                }
                Ok(done)
            }
            Err(e) => {
                metrics::counter!(RUNS, "result" => "error").increment(1);
                tracing::error!(error = %e, "analytics computation failed");
                Err(e.into())
            }
        }
    };
    if outcome.is_ok() && s.keep_days > 0 {
        let keep_from = now - TimeDelta::days(i64::from(s.keep_days));
        forget_old(config, keep_from).instrument(span).await;
    }
    outcome
}

/// Drops the months of computations before `keep_from`'s month; a
/// failure is logged and counted, and the next computation tries again.
async fn forget_old(config: &ValidConfig, keep_from: DateTime<Utc>) {
    let result = carepulse_clickhouse::retention::forget_computations(
        &config.clickhouse.client(),
        &config.clickhouse.database,
        keep_from,
    )
    .await;
    match result {
        Ok(months) => {
            metrics::counter!(MONTHS_DROPPED).increment(months.len() as u64);
            if !months.is_empty() {
                tracing::info!(?months, keep_from = %keep_from.to_rfc3339(), "old computations dropped");
            }
        }
        Err(e) => {
            metrics::counter!(RETENTION_ERRORS).increment(1);
            tracing::warn!(error = %e, "old computations not dropped");
        }
    }
}

/// Computes once, or every `--every` until stopped.
pub async fn run(file: Option<&Path>, args: &Args) -> anyhow::Result<ExitCode> {
    let config = super::valid_config(file)?;
    let every = match &args.every {
        None => None,
        Some(text) => {
            let span = parse_span(text).map_err(|e| anyhow::anyhow!("--every: {e}"))?;
            let span = span
                .to_std()
                .ok()
                .filter(|d| *d >= Duration::from_secs(1))
                .ok_or_else(|| anyhow::anyhow!("--every: {text} must be at least 1s"))?;
            Some(span)
        }
    };
    describe();
    config
        .clickhouse
        .client()
        .query("SELECT 1")
        .fetch_one::<u8>()
        .await
        .with_context(|| format!("ClickHouse at {} does not answer", config.clickhouse.url))?;
    let catalog = Arc::new(config.catalog.clone());
    let Some(every) = every else {
        let now = Utc::now();
        let done = once(&config, &catalog, args.until.unwrap_or(now), now).await?;
        eprintln!(
            "analysed {} events ({} used, {} malformed): {} driver, {} question-quality and {} journey-stage rows stored as of {}",
            done.run.events_read,
            done.run.events_used,
            done.run.malformed,
            done.run.driver_rows,
            done.run.quality_rows,
            done.run.stage_rows,
            now.to_rfc3339()
        );
        return Ok(ExitCode::SUCCESS);
    };
    let address = config
        .analyze
        .metrics_listen
        .parse()
        .context("analyze.metrics_listen")?;
    let metrics = carepulse_metrics::serve(address).await?;
    tracing::info!(every_secs = every.as_secs(), "analyze loop running");
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let shutdown = super::shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = ticker.tick() => {}
        }
        let now = Utc::now();
        tokio::select! {
            _ = &mut shutdown => break,
            // A failure is logged and counted in `once`; the loop goes on.
            _ = once(&config, &catalog, now, now) => {}
        }
    }
    metrics.abort();
    Ok(ExitCode::SUCCESS)
}
