//! The alerter: backfill at start, then one tick per interval (read,
//! detect, deliver), with the time passed in so a replay or a test can
//! run weeks in seconds.
//!
//! A replay (`carepulse alert --replay-from`) starts in the past and calls
//! [`Alerter::catch_up`]: ticks `step` apart through the stored arrivals,
//! as fast as ClickHouse answers, until the next one would pass the wall
//! clock; [`Alerter::run`] then goes on live from there.

use std::future::Future;
use std::time::Instant;

use carepulse_detect::Alert;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use tracing::Instrument;

use crate::engine::Engine;
use crate::notify::Notifier;
use crate::publish::AlertSink;
use crate::settings::AlertConfig;
use crate::source::EventSource;
use crate::AlertError;

/// Reads, detects and delivers.
pub struct Alerter {
    engine: Engine,
    source: EventSource,
    sink: AlertSink,
    notifier: Option<Notifier>,
    overlap: TimeDelta,
    /// The previous tick's time: the next read reaches `overlap` before it.
    last_tick: DateTime<Utc>,
}

/// What a catch-up did.
#[derive(Debug, Clone, Default)]
pub struct CatchUp {
    /// Ticks run.
    pub ticks: usize,
    /// Events fed.
    pub events: usize,
    /// Alerts that fired.
    pub fired: usize,
    /// Alerts that resolved.
    pub resolved: usize,
    /// The last tick's time (the start when no tick ran).
    pub until: DateTime<Utc>,
}

/// What one tick did.
#[derive(Debug, Clone, Default)]
pub struct TickReport {
    /// Alerts that fired or resolved.
    pub changes: Vec<Alert>,
    /// Events fed.
    pub events: usize,
    /// Whether every change reached `alert_events` and the topic.
    pub delivered: bool,
}

impl Alerter {
    /// Loads the detectors' history as of `start`: hourly counts from
    /// `start - history` to `start - overlap`, then the events of the last
    /// overlap one by one (remembered, so the first tick does not count
    /// them again). `notifier` is `None` without Alertmanager.
    pub async fn start(
        config: &AlertConfig,
        source: EventSource,
        sink: AlertSink,
        notifier: Option<Notifier>,
        start: DateTime<Utc>,
    ) -> Result<Alerter, AlertError> {
        crate::metrics::describe();
        let start = start.duration_trunc(TimeDelta::seconds(1)).unwrap_or(start);
        let mut engine = Engine::new(
            config.detect.clone(),
            config.max_remembered_events,
            config.read_overlap,
        );
        let split = start - config.read_overlap;
        let began = Instant::now();
        let span = tracing::info_span!("alert_backfill", %start, history = %config.history);
        let (hours, recent) = async {
            let hours = source.hourly(start - config.history, split).await?;
            let recent = source.arrivals(split, start).await?;
            Ok::<_, AlertError>((hours, recent))
        }
        .instrument(span)
        .await?;
        let cells = hours.len();
        engine.backfill_hours(hours);
        engine.backfill_arrivals(&recent);
        tracing::info!(
            cells,
            recent = recent.len(),
            keys = engine.detectors().key_count(),
            seconds = began.elapsed().as_secs_f64(),
            "history loaded"
        );
        Ok(Alerter {
            engine,
            source,
            sink,
            notifier,
            overlap: config.read_overlap,
            last_tick: start,
        })
    }

    /// One tick at `now`: reads the events that arrived since the last
    /// tick (and `overlap` before it), feeds them, runs the volume checks,
    /// delivers the changes. When ClickHouse cannot be read nothing is fed
    /// and the volume checks are skipped (an unreadable table is not a
    /// silence); the next tick reads from the same point.
    pub async fn tick(&mut self, now: DateTime<Utc>) -> Result<TickReport, AlertError> {
        let span = tracing::info_span!("alert_tick", %now, events = tracing::field::Empty, changes = tracing::field::Empty);
        self.tick_inner(now).instrument(span).await
    }

    async fn tick_inner(&mut self, now: DateTime<Utc>) -> Result<TickReport, AlertError> {
        let began = Instant::now();
        let now = now.duration_trunc(TimeDelta::seconds(1)).unwrap_or(now);
        if now < self.last_tick {
            return Err(AlertError::ClockWentBack {
                last: self.last_tick,
                now,
            });
        }
        let arrivals = self
            .source
            .arrivals(self.last_tick - self.overlap, now)
            .await?;
        let fed = self.engine.feed(&arrivals, self.last_tick, now);
        self.last_tick = now;
        let span = tracing::Span::current();
        span.record("events", fed.new_events);
        span.record("changes", fed.changes.len());
        for alert in &fed.changes {
            tracing::info!(
                alert_id = alert.id,
                state = ?alert.state,
                severity = alert.severity.as_str(),
                key = %alert.key,
                "{}",
                alert.description()
            );
        }
        let firing = || self.engine.detectors().firing();
        if let Some(notifier) = &self.notifier {
            notifier.update(&fed.changes, firing());
        }
        let delivered = self.sink.deliver(&fed.changes).await;
        crate::metrics::tick(
            &fed.changes,
            firing(),
            self.engine.detectors().key_count(),
            fed.new_events,
            began.elapsed().as_secs_f64(),
        );
        Ok(TickReport {
            changes: fed.changes,
            events: fed.new_events,
            delivered,
        })
    }

    /// Ticks `step` apart from the previous tick for as long as the next
    /// tick is not after `clock()` (read again before every tick, so a
    /// catch-up that takes a while still ends at the present), each tick
    /// as soon as the previous one is done. Stops at the first failed
    /// tick; the next tick (of `run`) reads from the same point.
    pub async fn catch_up(
        &mut self,
        step: TimeDelta,
        clock: impl Fn() -> DateTime<Utc>,
    ) -> Result<CatchUp, AlertError> {
        let step = step.max(TimeDelta::seconds(1));
        let mut done = CatchUp {
            until: self.last_tick,
            ..CatchUp::default()
        };
        while self.last_tick + step <= clock() {
            let report = self.tick(self.last_tick + step).await?;
            done.ticks += 1;
            done.events += report.events;
            for change in &report.changes {
                match change.state {
                    carepulse_detect::AlertState::Firing => done.fired += 1,
                    carepulse_detect::AlertState::Resolved => done.resolved += 1,
                }
            }
            done.until = self.last_tick;
        }
        Ok(done)
    }

    /// The previous tick's time (the start before the first tick).
    pub fn last_tick(&self) -> DateTime<Utc> {
        self.last_tick
    }

    /// Alerts firing now.
    pub fn firing(&self) -> Vec<Alert> {
        self.engine.detectors().firing().cloned().collect()
    }

    /// Ticks every `interval` on the wall clock until `shutdown` completes.
    /// A failed tick is logged and the next one tries again.
    pub async fn run(mut self, interval: std::time::Duration, shutdown: impl Future<Output = ()>) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = ticks.tick() => {
                    if let Err(e) = self.tick(Utc::now()).await {
                        tracing::error!(error = %e, "alerter tick failed; retrying at the next tick");
                    }
                }
            }
        }
        tracing::info!("alerter stopped");
    }
}
