//! The `[process]` configuration section: consumer group, flush cadence,
//! windows, allowed lateness and retry backoff of the stream processor.

use std::time::Duration;

use carepulse_engine::{EngineConfig, Window};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// The longest `query_timeout_secs`, and the longest wait for the first row
/// of a restore's replay, in seconds. A restore blocks the consumer's
/// polling, which must resume within its `max.poll.interval.ms` (300 s,
/// set in `run`) or the group hands the partitions on.
pub(crate) const RESTORE_WAIT_MAX_SECS: u64 = 240;

/// `[process]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProcessSettings {
    /// Kafka consumer group; processors in one group share the partitions.
    pub group_id: String,
    /// Stable name of this instance in the group (`group.instance.id`,
    /// static membership): a restarted instance with the same name takes
    /// its partitions back at once, instead of waiting for the group to
    /// notice the old one is gone. Unique per running instance; empty for
    /// none.
    pub instance_id: String,
    /// Address of the Prometheus metrics endpoint (`/metrics`).
    pub metrics_listen: String,
    /// Longest time, in milliseconds, between reading an event and writing
    /// its counts (and committing its offset).
    pub flush_interval_ms: u64,
    /// Most events read before a flush, whatever the interval; bounds the
    /// memory of pending rows.
    pub max_batch_events: usize,
    /// Seconds between two writes of the rolling-window snapshots.
    pub snapshot_interval_secs: u64,
    /// How long after the touchpoint an answer still counts, in hours
    /// (SMS and e-mail answers arrive days later).
    pub allowed_lateness_hours: i64,
    /// Rolling windows in minutes: up to 60, or whole hours.
    pub windows_minutes: Vec<i64>,
    /// First wait, in milliseconds, before retrying a failed ClickHouse or
    /// Kafka operation; doubled after each failure.
    pub retry_initial_ms: u64,
    /// Longest wait between two retries, in milliseconds.
    pub retry_max_ms: u64,
    /// Longest wait, in seconds, for ClickHouse to answer a query made to
    /// restore a partition's state, or to send the next row of the replay
    /// of its events (the first row, which comes once ClickHouse has sorted
    /// them all, may take up to 240 s); then the restore fails and is
    /// retried with backoff, so a server that hangs pauses processing
    /// instead of stalling it. Inserts have their own limits (30 s to
    /// send, 60 s to be acknowledged).
    pub query_timeout_secs: u64,
}

impl Default for ProcessSettings {
    fn default() -> Self {
        ProcessSettings {
            group_id: "carepulse-process".into(),
            instance_id: String::new(),
            metrics_listen: "127.0.0.1:9465".into(),
            flush_interval_ms: 1_000,
            max_batch_events: 20_000,
            snapshot_interval_secs: 30,
            allowed_lateness_hours: 7 * 24,
            windows_minutes: vec![60, 24 * 60, 7 * 24 * 60, 28 * 24 * 60],
            retry_initial_ms: 200,
            retry_max_ms: 10_000,
            query_timeout_secs: 60,
        }
    }
}

impl ProcessSettings {
    /// Appends every problem, each naming the setting to change.
    pub fn check(&self, problems: &mut Vec<String>) {
        if self.group_id.trim().is_empty() {
            problems.push("process.group_id: must not be empty".into());
        }
        if self.metrics_listen.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!(
                "process.metrics_listen: '{}' is not an address such as 127.0.0.1:9465",
                self.metrics_listen
            ));
        }
        if self.flush_interval_ms == 0 || self.flush_interval_ms > 60_000 {
            problems.push(format!(
                "process.flush_interval_ms: {} must be between 1 and 60000",
                self.flush_interval_ms
            ));
        }
        if !(1..=1_000_000).contains(&self.max_batch_events) {
            problems.push(format!(
                "process.max_batch_events: {} must be between 1 and 1000000",
                self.max_batch_events
            ));
        }
        if self.snapshot_interval_secs == 0 {
            problems.push("process.snapshot_interval_secs: must be at least 1".into());
        }
        if self.allowed_lateness_hours < 1 {
            problems.push(format!(
                "process.allowed_lateness_hours: {} must be at least 1",
                self.allowed_lateness_hours
            ));
        }
        if self.windows_minutes.is_empty() {
            problems.push("process.windows_minutes: list at least one window".into());
        }
        for w in &self.windows_minutes {
            if *w < 1 || (*w > 60 && *w % 60 != 0) || *w > 366 * 24 * 60 {
                problems.push(format!(
                    "process.windows_minutes: {w} must be 1-60 minutes or a whole number of hours up to a year"
                ));
            }
        }
        if !(1..=RESTORE_WAIT_MAX_SECS).contains(&self.query_timeout_secs) {
            problems.push(format!(
                "process.query_timeout_secs: {} must be between 1 and {RESTORE_WAIT_MAX_SECS} (a restore blocks the consumer, which leaves the group after 300 s)",
                self.query_timeout_secs
            ));
        }
        if self.retry_initial_ms == 0 || self.retry_max_ms < self.retry_initial_ms {
            problems.push(format!(
                "process.retry_initial_ms/retry_max_ms: {}/{} need 0 < initial <= max",
                self.retry_initial_ms, self.retry_max_ms
            ));
        }
    }

    /// The engine configuration: the default rollups with these windows and
    /// this lateness.
    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            allowed_lateness: TimeDelta::hours(self.allowed_lateness_hours),
            windows: self
                .windows_minutes
                .iter()
                .map(|&minutes| Window { minutes })
                .collect(),
            ..EngineConfig::default()
        }
    }

    /// Flush interval.
    pub fn flush_interval(&self) -> Duration {
        Duration::from_millis(self.flush_interval_ms)
    }

    /// Snapshot interval.
    pub fn snapshot_interval(&self) -> Duration {
        Duration::from_secs(self.snapshot_interval_secs)
    }

    /// Longest wait for a query made to restore state, or its next row.
    pub fn query_timeout(&self) -> Duration {
        Duration::from_secs(self.query_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_mistakes_are_named() {
        let mut problems = Vec::new();
        ProcessSettings::default().check(&mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let bad = ProcessSettings {
            windows_minutes: vec![90],
            flush_interval_ms: 0,
            query_timeout_secs: 0,
            ..ProcessSettings::default()
        };
        bad.check(&mut problems);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("process.flush_interval_ms"));
        assert!(problems[1].starts_with("process.windows_minutes: 90"));
        assert!(problems[2].starts_with("process.query_timeout_secs: 0"));
        let config = ProcessSettings::default().engine_config();
        assert_eq!(config.windows.len(), 4);
        assert_eq!(config.allowed_lateness, TimeDelta::days(7));
    }
}
