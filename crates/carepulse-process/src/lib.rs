//! The stream processor: consumes the feedback topic in a consumer group,
//! counts every event with the scoring engine (`carepulse-engine`), and
//! keeps ClickHouse up to date, exactly once, from at-least-once delivery.
//!
//! # Design
//!
//! One [`PartitionState`](partition) per owned Kafka partition holds an
//! `Engine`. Events are keyed by facility and department, so every cell
//! (and so every `score_minutes` row) belongs to one partition; rollup keys
//! that span departments are written per partition (`score_snapshots` has
//! a `kafka_partition` column) and summed by readers.
//!
//! A flush (every `flush_interval_ms`, or after `max_batch_events`) writes,
//! in order, each step retried with backoff until it succeeds:
//! 1. the counted events into `feedback_events`, late and repeat-press
//!    events into `late_events`, rejected messages into `rejected_events`;
//! 2. rejected messages to the dead-letter topic (reason and origin in
//!    headers), waiting for the broker's acknowledgement;
//! 3. the full counts of every cell-minute changed, into `score_minutes`,
//!    with `version` = the partition offset they include up to, plus a
//!    base set at assignment that keeps versions above those ClickHouse
//!    holds for the partition (a replaced log starts again from offset 0);
//! 4. every `snapshot_interval_secs`, the rolling-window rows that changed
//!    (a window that emptied gets a row of zeros) into `score_snapshots`;
//! 5. the offsets, committed only now.
//!
//! State is a function of the messages before an offset: the engine counts
//! an event id once (first occurrence in partition order), and lateness is
//! `received_at - occurred_at`, which a redelivery carries unchanged. So:
//! - **crash** anywhere: the next owner rebuilds the state from every
//!   counted event ClickHouse holds for the partition (`feedback_events`,
//!   `FINAL`; events that can still matter: touchpoints within the allowed
//!   lateness plus the longest window plus an hour of the partition's
//!   latest `received_at`), including those stored past the committed
//!   offset, writes again every minute that can still change (such events
//!   may lack their minute rows), then re-reads from the committed offset:
//!   a message whose event is stored already is a duplicate. The audit
//!   tables are `ReplacingMergeTree`s keyed by event id (or offset), so
//!   writing their rows again changes nothing; minute rows are written
//!   with versions above every version the partition's minutes have, from
//!   a state that holds every stored event, so the highest version wins
//!   and is right;
//! - **redelivery** of a message already handled (offset below the
//!   position): skipped; a **duplicate post** (new offset, same event id):
//!   counted as `duplicate`, nothing written;
//! - **rebalance**: on revocation the processor flushes and commits first
//!   (three attempts); a partition that comes back unchanged is taken back
//!   without a restore; otherwise the crash case applies;
//! - **position lost or past the log** (group or topic re-created, offsets
//!   expired, a broker that lost the end of the log): logged and counted;
//!   the state is rebuilt from every event ClickHouse holds for the
//!   partition and the log is read from its start, so what was counted is
//!   kept and a message counted before is a duplicate (limits in
//!   docs/processing.md);
//! - **ClickHouse down or slow**: the failed step is retried with backoff
//!   while every partition is paused (nothing more is read, memory stays
//!   bounded by one batch, lag grows); the consumer keeps polling, so it
//!   stays in the group;
//! - **undecodable or invalid messages**: dead-lettered and counted, the
//!   processor goes on.
//!
//! Not covered: changing the partition count of the feedback topic (cells
//! would move between partitions; re-create the group and replay), and
//! `received_at` out of order within a partition by more than an hour.

mod core;
mod dead_letter;
mod metrics;
mod partition;
mod run;
mod settings;
mod sink;

pub use dead_letter::{ORIGIN_HEADER, REASON_HEADER};
pub use run::{run, ProcessError, ProcessorConfig};
pub use settings::ProcessSettings;
