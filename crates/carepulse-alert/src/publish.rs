//! Recording state changes: one row per change in ClickHouse's
//! `alert_events` and one message per change on the Kafka alerts topic
//! (keyed by alert id, the [`Alert`] record as JSON).
//!
//! Both happen inside the tick (changes are rare: a few a day) with
//! bounded waits. What could not be written stays in a bounded outbox per
//! destination and is written again at the next tick: `alert_events` is a
//! `ReplacingMergeTree` ordered by (alert id, state, updated at), so a row
//! written twice is one row; the topic is at least once, and consumers
//! deduplicate on (id, state, updated_at) as the table does.

use std::collections::VecDeque;
use std::time::Duration;

use carepulse_clickhouse::rows::{seconds, AlertEventRow};
use carepulse_detect::{Alert, AlertKind, AlertState};
use carepulse_kafka::AckedProducer;
use clickhouse::Client;
use rdkafka::ClientConfig;

use crate::AlertError;

/// Most changes waiting per destination; beyond it the oldest are dropped
/// (and logged).
pub const OUTBOX_CAPACITY: usize = 10_000;

/// How long the broker may take to acknowledge a change.
const KAFKA_TIMEOUT: Duration = Duration::from_secs(10);

/// The `alert_events` row of a change.
pub fn row_of(alert: &Alert) -> Result<AlertEventRow, serde_json::Error> {
    let part = |d: &str| alert.key.get(d).unwrap_or_default().to_owned();
    let (c, b) = (&alert.current, &alert.baseline);
    Ok(AlertEventRow {
        alert_id: alert.id.clone(),
        state: state_name(alert.state).into(),
        kind: kind_name(alert.kind).into(),
        severity: alert.severity.as_str().into(),
        alert_key: alert.key.to_string(),
        facility: part("facility"),
        department: part("department"),
        stage: part("stage"),
        experience: part("experience"),
        measure: alert.measure.as_str().into(),
        current_value: c.value,
        current_low: c.low,
        current_high: c.high,
        current_n: c.n,
        current_from: seconds(&c.from),
        current_to: seconds(&c.to),
        baseline_value: b.value,
        baseline_low: b.low,
        baseline_high: b.high,
        baseline_n: b.n,
        baseline_from: seconds(&b.from),
        baseline_to: seconds(&b.to),
        since: seconds(&alert.since),
        fired_at: seconds(&alert.fired_at),
        updated_at: seconds(&alert.updated_at),
        resolved_at: alert.resolved_at.as_ref().map(seconds),
        summary: alert.summary(),
        evidence: alert.evidence.clone(),
        link: alert.link.clone(),
        record: serde_json::to_string(alert)?,
    })
}

fn state_name(state: AlertState) -> &'static str {
    match state {
        AlertState::Firing => "firing",
        AlertState::Resolved => "resolved",
    }
}

fn kind_name(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::ScoreDrop => "score_drop",
        AlertKind::Silence => "silence",
        AlertKind::VolumeCollapse => "volume_collapse",
    }
}

fn push_bounded(outbox: &mut VecDeque<Alert>, alert: Alert, destination: &str) {
    outbox.push_back(alert);
    while outbox.len() > OUTBOX_CAPACITY {
        if let Some(lost) = outbox.pop_front() {
            tracing::error!(
                alert_id = lost.id,
                destination,
                "alert outbox full; dropped the oldest change"
            );
        }
    }
}

/// Writes changes to `alert_events` and the alerts topic.
pub struct AlertSink {
    clickhouse: Client,
    producer: AckedProducer,
    topic: String,
    to_table: VecDeque<Alert>,
    to_topic: VecDeque<Alert>,
}

impl AlertSink {
    /// A sink writing to `database.alert_events` through `client` and to
    /// `topic` on `brokers`.
    pub fn new(
        client: Client,
        database: &str,
        brokers: &str,
        topic: &str,
    ) -> Result<AlertSink, AlertError> {
        let producer = AckedProducer::new(
            ClientConfig::new()
                .set("bootstrap.servers", brokers)
                .set("acks", "all")
                .set("message.timeout.ms", KAFKA_TIMEOUT.as_millis().to_string()),
        )
        .map_err(|source| AlertError::Producer {
            brokers: brokers.to_owned(),
            source,
        })?;
        Ok(AlertSink {
            clickhouse: client.with_database(database),
            producer,
            topic: topic.to_owned(),
            to_table: VecDeque::new(),
            to_topic: VecDeque::new(),
        })
    }

    /// Changes waiting for a destination (table, topic).
    pub fn waiting(&self) -> (usize, usize) {
        (self.to_table.len(), self.to_topic.len())
    }

    /// Writes `changes` and whatever is still waiting. Errors are logged
    /// and the changes kept for the next call; the result says whether
    /// everything is written.
    pub async fn deliver(&mut self, changes: &[Alert]) -> bool {
        for alert in changes {
            push_bounded(&mut self.to_table, alert.clone(), "alert_events");
            push_bounded(&mut self.to_topic, alert.clone(), "alerts topic");
        }
        let table = self.write_table().await;
        let topic = self.write_topic().await;
        table && topic
    }

    async fn write_table(&mut self) -> bool {
        if self.to_table.is_empty() {
            return true;
        }
        let result = async {
            let mut insert = self
                .clickhouse
                .insert::<AlertEventRow>("alert_events")
                .await?;
            for alert in &self.to_table {
                match row_of(alert) {
                    Ok(row) => insert.write(&row).await?,
                    Err(e) => {
                        tracing::error!(alert_id = alert.id, error = %e, "cannot encode an alert")
                    }
                }
            }
            insert.end().await
        }
        .await;
        match result {
            Ok(()) => {
                self.to_table.clear();
                true
            }
            Err(e) => {
                tracing::error!(error = %e, waiting = self.to_table.len(), "cannot write alert_events; retrying at the next tick");
                false
            }
        }
    }

    async fn write_topic(&mut self) -> bool {
        while let Some(alert) = self.to_topic.front() {
            let payload = match serde_json::to_string(alert) {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(alert_id = alert.id, error = %e, "cannot encode an alert");
                    self.to_topic.pop_front();
                    continue;
                }
            };
            let answer = self
                .producer
                .send_and_wait(&self.topic, Some(alert.id.as_str()), payload.as_str())
                .await;
            match answer {
                Ok(_) => {
                    self.to_topic.pop_front();
                }
                Err(e) => {
                    tracing::error!(error = %e, topic = self.topic, waiting = self.to_topic.len(), "cannot publish an alert; retrying at the next tick");
                    return false;
                }
            }
        }
        true
    }
}
