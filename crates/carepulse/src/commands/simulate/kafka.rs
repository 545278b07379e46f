//! The kafka target: the ingest service's steps without HTTP. Each item is
//! decoded (a press through `KioskPress::into_submission`), validated
//! against the configured catalog at the wall-clock time, pseudonymised and
//! redacted with the configured key, flagged when it repeats a kiosk press
//! within the repeat interval, and published with the feedback producer.
//! Deliberately bad items cannot go to the feedback topic: they are counted
//! as skipped.
//!
//! With [`ReceivedAt::SendTime`] (`--received-at send-time`) every step
//! takes the item's simulated send time as "now" instead of the wall clock:
//! the event is received when the simulated visitor sent it, so weeks of
//! history can be seeded in minutes with arrivals spread as they would have
//! been. Items sent after the wall clock have not arrived yet and are
//! skipped. This bypasses the ingest service's own stamp (the time of
//! acceptance), so it is for demos and evaluations, never for production.

use std::time::Duration;

use anyhow::{bail, Context};
use carepulse_kafka::{ensure_topics, FeedbackProducer, ProducerOptions};
use carepulse_simulator::{Item, ItemKind, Publisher};
use chrono::{DateTime, TimeDelta, Utc};
use tokio::task::JoinSet;

use super::report::{Outcome, Report};
use crate::config::ValidConfig;

/// `--received-at`: which time an event's `received_at` gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ReceivedAt {
    /// The wall clock when it is published, as the ingest service stamps it.
    #[default]
    WallClock,
    /// The item's simulated send time (seeding history); items sent after
    /// the wall clock are skipped.
    SendTime,
}

impl ReceivedAt {
    /// When an item sent at `at` is received, as of the wall clock `now`;
    /// `None` when it has not arrived yet.
    pub fn of(self, at: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            ReceivedAt::WallClock => Some(now),
            ReceivedAt::SendTime => (at <= now).then_some(at),
        }
    }
}

/// Publishes items as the ingest service would.
pub struct KafkaSink {
    producer: FeedbackProducer,
    publisher: Publisher,
    received_at: ReceivedAt,
    limit: usize,
    tasks: JoinSet<(ItemKind, Outcome)>,
}

impl KafkaSink {
    /// Creates the topics when missing and connects the producer.
    pub async fn new(
        config: ValidConfig,
        facilities: &[&str],
        limit: usize,
        received_at: ReceivedAt,
    ) -> anyhow::Result<KafkaSink> {
        let Some(pseudonymiser) = config.pseudonymiser else {
            bail!("set privacy.key_file (or privacy.key): events are pseudonymised before they are published");
        };
        if let Some(unknown) = facilities
            .iter()
            .find(|f| config.catalog.facility(f).is_none())
        {
            bail!("the configured catalog does not know facility '{unknown}' of the scenario: point catalog.path (CAREPULSE__CATALOG__PATH) at the scenario's catalog");
        }
        ensure_topics(&config.kafka).await?;
        let producer = FeedbackProducer::new(&config.kafka, &ProducerOptions::default())
            .context("cannot create the Kafka producer")?;
        Ok(KafkaSink {
            producer,
            publisher: Publisher::new(
                config.catalog,
                config.limits,
                pseudonymiser,
                TimeDelta::seconds(config.ingest.kiosk_repeat_interval_secs as i64),
            ),
            received_at,
            limit: limit.max(1),
            tasks: JoinSet::new(),
        })
    }

    /// Publishes one item, or counts why not.
    pub async fn send(&mut self, item: Item, report: &mut Report) {
        if item.kind == ItemKind::Bad {
            report.outcome(item.kind, Outcome::Skipped("bad, kafka target"));
            return;
        }
        let Some(received) = self.received_at.of(item.at, Utc::now()) else {
            report.outcome(item.kind, Outcome::Skipped("sent after now"));
            return;
        };
        let event = match self.publisher.event(&item, received) {
            Ok(event) => event,
            Err(_) => return report.outcome(item.kind, Outcome::Rejected("invalid".into())),
        };
        while self.tasks.len() >= self.limit {
            if let Some(done) = self.tasks.join_next().await {
                record(report, done);
            }
        }
        let producer = self.producer.clone();
        let kind = item.kind;
        self.tasks.spawn(async move {
            let flagged = event.suspect.is_some();
            match producer.publish(&event).await {
                Ok(_) => (
                    kind,
                    Outcome::Accepted {
                        how: "published".into(),
                        flagged,
                    },
                ),
                Err(e) => (kind, Outcome::Failed(e.to_string())),
            }
        });
    }

    /// Records finished publishes.
    pub fn collect(&mut self, report: &mut Report) {
        while let Some(done) = self.tasks.try_join_next() {
            record(report, done);
        }
    }

    /// Waits for every acknowledgement.
    pub async fn finish(&mut self, report: &mut Report) {
        while let Some(done) = self.tasks.join_next().await {
            record(report, done);
        }
        if let Err(e) = self.producer.flush(Duration::from_secs(10)).await {
            tracing::warn!(error = %e, "producer flush");
        }
    }
}

fn record(report: &mut Report, done: Result<(ItemKind, Outcome), tokio::task::JoinError>) {
    match done {
        Ok((kind, outcome)) => report.outcome(kind, outcome),
        Err(e) => tracing::error!(error = %e, "a publish task failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_time_stamps_the_send_time_and_skips_what_is_not_sent_yet() {
        let now: DateTime<Utc> = "2026-03-02T12:00:00Z".parse().unwrap();
        let sent = now - TimeDelta::days(20);
        let later = now + TimeDelta::seconds(1);
        assert_eq!(ReceivedAt::SendTime.of(sent, now), Some(sent));
        assert_eq!(ReceivedAt::SendTime.of(now, now), Some(now));
        assert_eq!(ReceivedAt::SendTime.of(later, now), None);
        assert_eq!(ReceivedAt::WallClock.of(sent, now), Some(now));
        assert_eq!(ReceivedAt::WallClock.of(later, now), Some(now));
    }
}
