//! `carepulse alert`: runs the alerter (score drops, silences) until
//! SIGTERM or Ctrl-C: ClickHouse's counted events in, alerts out to the
//! alerts topic, `alert_events`, `/metrics` and Alertmanager.
//!
//! `--replay-from` starts the alerter in the past (its history is loaded as
//! of then) and ticks through the stored arrivals, a tick interval apart,
//! as fast as ClickHouse answers, up to the wall clock; then it goes on
//! live. Alerts found on the way are delivered as they fire (Alertmanager's
//! `endsAt` always uses the wall clock, so a drop still going on shows as
//! active). docs/alerting.md, "Replay".

use std::path::Path;
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::{bail, Context};
use carepulse_alert::{AlertSink, Alerter, EventSource, Notifier};
use carepulse_kafka::ensure_topics;
use chrono::{DateTime, TimeDelta, Utc};

/// `carepulse alert` arguments.
#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// Start in the past and replay up to now before going live: an RFC
    /// 3339 time, or a span before now (6h, 1d12h). The rows must already
    /// be in ClickHouse (the processor caught up), or they are missed.
    #[arg(long)]
    replay_from: Option<ReplayFrom>,
}

/// `--replay-from`: a time, or a span before now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplayFrom {
    /// An RFC 3339 time.
    At(DateTime<Utc>),
    /// That long before now.
    Ago(TimeDelta),
}

impl FromStr for ReplayFrom {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Ok(ReplayFrom::At(at.with_timezone(&Utc)));
        }
        match carepulse_simulator::parse_span(text) {
            Ok(span) if span > TimeDelta::zero() => Ok(ReplayFrom::Ago(span)),
            _ => Err(format!(
                "'{text}' is neither an RFC 3339 time (2026-03-02T06:00:00Z) nor a span before now (90m, 6h, 1d12h)"
            )),
        }
    }
}

impl ReplayFrom {
    /// The replay's start as of `now`.
    pub fn start(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            ReplayFrom::At(at) => at,
            ReplayFrom::Ago(span) => now - span,
        }
    }
}

/// Starts the alerter with the validated configuration.
pub async fn run(file: Option<&Path>, args: &Args) -> anyhow::Result<ExitCode> {
    let config = super::valid_config(file)?;
    let now = Utc::now();
    let start = args.replay_from.map_or(now, |r| r.start(now));
    if start > now {
        bail!("--replay-from: {start} is in the future");
    }
    if now - start > config.alert.history {
        bail!(
            "--replay-from: {start} is more than the detectors' history ({} days) ago",
            config.alert.history.num_days()
        );
    }
    let alert = &config.alert;
    for (topic, status) in ensure_topics(&config.kafka).await? {
        tracing::info!(topic, ?status, "kafka topic");
    }
    let metrics = carepulse_alert::metrics::serve(alert.metrics_listen).await?;
    let client = config.clickhouse.client();
    let database = &config.clickhouse.database;
    let source = EventSource::new(client.clone(), database)?;
    source
        .healthcheck()
        .await
        .with_context(|| format!("ClickHouse at {} does not answer", config.clickhouse.url))?;
    let sink = AlertSink::new(
        client,
        database,
        &config.kafka.brokers,
        &config.kafka.alerts_topic,
    )?;
    let notifier = alert.alertmanager.clone().map(|options| {
        tracing::info!(url = options.alerts_url, "alerts go to Alertmanager");
        Notifier::spawn(options)
    });
    if notifier.is_none() {
        tracing::warn!("alert.alertmanager_url is not set: alerts go to Kafka and ClickHouse only");
    }
    let (notifier, delivery) = notifier.unzip();
    let mut alerter = Alerter::start(alert, source, sink, notifier, start).await?;
    let shutdown = super::shutdown_signal();
    tokio::pin!(shutdown);
    if args.replay_from.is_some() {
        let step = TimeDelta::from_std(alert.tick_interval).unwrap_or(TimeDelta::minutes(1));
        tracing::info!(%start, step_secs = step.num_seconds(), "replaying up to now");
        let began = std::time::Instant::now();
        tokio::select! {
            done = alerter.catch_up(step, Utc::now) => match done {
                Ok(done) => tracing::info!(
                    ticks = done.ticks,
                    events = done.events,
                    fired = done.fired,
                    resolved = done.resolved,
                    until = %done.until,
                    seconds = began.elapsed().as_secs_f64(),
                    "replay done; going live"
                ),
                Err(e) => tracing::error!(error = %e, at = %alerter.last_tick(), "replay stopped; going live from there"),
            },
            () = &mut shutdown => {
                if let Some(task) = delivery {
                    task.abort();
                }
                metrics.abort();
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    tracing::info!(tick_secs = alert.tick_interval.as_secs(), "alerter running");
    alerter.run(alert.tick_interval, shutdown).await;
    if let Some(task) = delivery {
        task.abort();
    }
    metrics.abort();
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_from_is_a_time_or_a_span_before_now() {
        let now: DateTime<Utc> = "2026-03-02T12:00:00Z".parse().unwrap();
        let at: ReplayFrom = "2026-03-02T06:30:00+01:00".parse().unwrap();
        assert_eq!(
            at.start(now),
            "2026-03-02T05:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let ago: ReplayFrom = "1d6h".parse().unwrap();
        assert_eq!(
            ago.start(now),
            "2026-03-01T06:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        for bad in ["yesterday", "0m", "-6h", ""] {
            let e = bad.parse::<ReplayFrom>().unwrap_err();
            assert!(e.contains("RFC 3339"), "{bad}: {e}");
        }
    }
}
