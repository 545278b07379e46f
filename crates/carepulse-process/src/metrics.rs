//! The processor's Prometheus metrics: names and labels as documented in
//! docs/metrics.md.

use std::sync::Once;

/// Messages by `outcome` (`counted`, `duplicate`, `late`, `suspect`,
/// `dead_lettered`).
pub const EVENTS: &str = "carepulse_process_events_total";
/// Messages not yet processed, by `partition`.
pub const CONSUMER_LAG: &str = "carepulse_process_consumer_lag";
/// From ingest accepting an event to its counts being in ClickHouse.
pub const FRESHNESS_SECONDS: &str = "carepulse_process_freshness_seconds";
/// Rows per ClickHouse insert, by `table`.
pub const SINK_ROWS: &str = "carepulse_process_sink_rows";
/// Time of one ClickHouse insert, by `table`.
pub const SINK_SECONDS: &str = "carepulse_process_sink_duration_seconds";
/// Failed ClickHouse inserts, by `table`.
pub const SINK_ERRORS: &str = "carepulse_process_sink_errors_total";
/// Partitions this instance owns.
pub const ASSIGNED: &str = "carepulse_process_assigned_partitions";
/// Events replayed from ClickHouse on assignment.
pub const RESTORED: &str = "carepulse_process_restored_events_total";
/// Failed attempts to restore the state of assigned partitions (a query
/// to ClickHouse or Kafka failed or timed out); each is retried.
pub const RESTORE_ERRORS: &str = "carepulse_process_restore_errors_total";
/// State held, by `kind` (`cell_minutes`, `rollup_keys`, `event_ids`).
pub const HELD: &str = "carepulse_process_held_keys";
/// Partitions found without a committed offset while ClickHouse held
/// their events (the group's offsets were lost).
pub const OFFSETS_LOST: &str = "carepulse_process_offsets_lost_total";
/// Partitions whose log ended before the committed offset when assigned
/// (topic re-created, or messages lost by the broker).
pub const LOG_RESETS: &str = "carepulse_process_log_resets_total";
/// Rejected messages sent to the dead-letter topic cut short, because
/// the producer or the broker refused them whole as too large.
pub const DEAD_LETTERS_CUT: &str = "carepulse_process_dead_letters_cut_total";
/// Time to work out the snapshot rows of every owned partition.
pub const SNAPSHOT_SECONDS: &str = "carepulse_process_snapshot_duration_seconds";

/// Installs the recorder and describes the metrics (once).
pub fn describe() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        carepulse_metrics::handle();
        metrics::describe_counter!(EVENTS, "feedback messages read, by what became of them");
        metrics::describe_gauge!(CONSUMER_LAG, "messages on the partition not yet processed");
        metrics::describe_counter!(
            LOG_RESETS,
            "partitions whose log ended before the committed offset, read again from the log's start"
        );
        metrics::describe_counter!(
            DEAD_LETTERS_CUT,
            "rejected messages too large for the dead-letter topic even alone, sent cut short"
        );
        metrics::describe_histogram!(
            FRESHNESS_SECONDS,
            metrics::Unit::Seconds,
            "from ingest accepting an event to its counts being written to ClickHouse"
        );
        metrics::describe_histogram!(SINK_ROWS, "rows per ClickHouse insert");
        metrics::describe_histogram!(
            SINK_SECONDS,
            metrics::Unit::Seconds,
            "time of one ClickHouse insert"
        );
        metrics::describe_counter!(SINK_ERRORS, "failed ClickHouse inserts (retried)");
        metrics::describe_gauge!(ASSIGNED, "partitions this instance owns");
        metrics::describe_counter!(RESTORED, "events replayed from ClickHouse on assignment");
        metrics::describe_counter!(
            RESTORE_ERRORS,
            "failed attempts to restore assigned partitions' state (retried with backoff)"
        );
        metrics::describe_gauge!(HELD, "state held in memory");
        metrics::describe_counter!(
            OFFSETS_LOST,
            "partitions with events in ClickHouse but no committed offset, read again from the start"
        );
        metrics::describe_histogram!(
            SNAPSHOT_SECONDS,
            metrics::Unit::Seconds,
            "time to sum the rolling windows of every owned partition and pick the changed rows"
        );
    });
}

/// Counts `n` messages with `outcome`.
pub fn events(outcome: &'static str, n: u64) {
    if n > 0 {
        metrics::counter!(EVENTS, "outcome" => outcome).increment(n);
    }
}

/// Sets the lag gauge of `partition`.
pub fn gauge_lag(partition: i32, lag: i64) {
    metrics::gauge!(CONSUMER_LAG, "partition" => partition.to_string()).set(lag.max(0) as f64);
}
