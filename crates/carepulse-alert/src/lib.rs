//! The alerter (`carepulse alert`): one service that watches every key's
//! scores and volumes and delivers the alerts.
//!
//! Several stream processors share the Kafka partitions, and a rollup key
//! (a journey stage, a facility, an experience type) spans partitions, so
//! no processor sees all of a key's answers. The alerter reads the counted
//! events back from ClickHouse's `feedback_events`, where all of them
//! meet, and runs one [`carepulse_detect::Detectors`] for all keys:
//!
//! 1. **start**: the hourly tallies of the last `baseline_days +
//!    max_recent_days` per key (`source`, `engine`), so a restart keeps
//!    its baselines;
//! 2. **tick** (every minute): the events whose `received_at` lies between
//!    the previous tick minus `read_overlap_secs` and now, fed per key in
//!    arrival order, ids remembered so none counts twice (`feed`), then
//!    the volume checks;
//! 3. **deliver** each change: a row in `alert_events` and a message on the
//!    alerts topic (`publish`), metrics (`metrics`), and Alertmanager in
//!    a separate task that never holds up a tick (`notify`).
//!
//! Time is passed in ([`Alerter::start`], [`Alerter::tick`]); `run` uses
//! the wall clock. A replay (or a test) passes replayed time:
//! [`Alerter::catch_up`] ticks from a start in the past up to the wall
//! clock as fast as ClickHouse answers, then `run` goes on live.
//!
//! ```no_run
//! # async fn example() -> Result<(), carepulse_alert::AlertError> {
//! use carepulse_alert::{AlertSettings, Alerter, AlertSink, DetectConfig, EventSource};
//!
//! let mut problems = Vec::new();
//! let config = AlertSettings::default()
//!     .check(&DetectConfig::default(), &mut problems)
//!     .expect("valid");
//! let client = clickhouse::Client::default()
//!     .with_url("http://127.0.0.1:8123")
//!     .with_validation(false);
//! let source = EventSource::new(client.clone(), "carepulse")?;
//! let sink = AlertSink::new(client, "carepulse", "127.0.0.1:9092", "carepulse.alerts.v1")?;
//! let alerter = Alerter::start(&config, source, sink, None, chrono::Utc::now()).await?;
//! alerter.run(config.tick_interval, std::future::pending()).await;
//! # Ok(())
//! # }
//! ```

mod alerter;
pub mod engine;
pub mod feed;
pub mod keys;
pub mod metrics;
pub mod notify;
pub mod publish;
mod settings;
pub mod source;

pub use alerter::{Alerter, CatchUp, TickReport};
pub use carepulse_detect::DetectConfig;
pub use engine::{Arrival, Engine, HourCount};
pub use notify::{Notifier, NotifierStats};
pub use publish::{row_of, AlertSink};
pub use settings::{history_days, AlertConfig, AlertSettings, AlertmanagerOptions};
pub use source::EventSource;

use chrono::{DateTime, Utc};

/// Why the alerter could not start or tick. Reads and writes that fail
/// are external and worth retrying; a bad database name or a clock going
/// back are the caller's.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// ClickHouse did not answer a read (down, or the schema is missing:
    /// run `carepulse migrate`).
    #[error("cannot read feedback_events from ClickHouse (is it up, and has `carepulse migrate` run?): {0}")]
    Read(#[source] clickhouse::error::Error),
    /// The database name would not be safe in SQL.
    #[error("database name '{0}' must be letters, digits and '_'")]
    BadDatabase(String),
    /// The Kafka producer could not be created.
    #[error("cannot create a Kafka producer for {brokers}: {source}")]
    Producer {
        /// The configured brokers.
        brokers: String,
        /// The client error.
        source: rdkafka::error::KafkaError,
    },
    /// A tick was asked for before the previous one.
    #[error("tick at {now} is before the previous tick at {last}")]
    ClockWentBack {
        /// The previous tick.
        last: DateTime<Utc>,
        /// The tick asked for.
        now: DateTime<Utc>,
    },
}

impl AlertError {
    fn read(e: clickhouse::error::Error) -> AlertError {
        AlertError::Read(e)
    }
}
