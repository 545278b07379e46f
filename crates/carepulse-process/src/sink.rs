//! ClickHouse IO of the processor: batched inserts (one per table and
//! flush) and the queries that restore a partition's state.

use std::future::Future;
use std::time::{Duration, Instant};

use carepulse_clickhouse::rowbinary::{self, EncodedChunks};
use carepulse_clickhouse::rows::{seconds, SnapshotRow};
use carepulse_model::EventView;
use chrono::{DateTime, TimeDelta, Utc};
use clickhouse::{Client, Row, RowOwned, RowWrite};
use serde::Deserialize;

use crate::metrics;
use crate::settings::RESTORE_WAIT_MAX_SECS;

/// A ClickHouse operation failed.
#[derive(Debug, thiserror::Error)]
#[error("ClickHouse {what} failed: {source}")]
pub struct SinkError {
    /// What was attempted (`insert into score_minutes`, ...).
    pub what: String,
    /// The client error.
    pub source: clickhouse::error::Error,
}

/// Writes `rows` into `table` in one insert.
pub async fn insert<T>(client: &Client, table: &'static str, rows: &[T]) -> Result<(), SinkError>
where
    T: RowOwned + RowWrite,
{
    if rows.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let result = async {
        let mut insert = client
            .insert::<T>(table)
            .await?
            .with_timeouts(SEND_TIMEOUT, END_TIMEOUT);
        for row in rows {
            insert.write(row).await?;
        }
        insert.end().await
    }
    .await;
    measured(table, rows.len(), started, result)
}

/// Sends rows of `T` encoded as they were produced ([`EncodedChunks`]) into
/// `table` in one insert, chunk by chunk as they are.
pub async fn insert_encoded<T: Row>(
    client: &Client,
    table: &'static str,
    rows: &EncodedChunks,
) -> Result<(), SinkError> {
    if rows.rows == 0 {
        return Ok(());
    }
    let started = Instant::now();
    let result = rowbinary::insert::<T>(client, table, rows, SEND_TIMEOUT, END_TIMEOUT).await;
    measured(table, rows.rows, started, result)
}

const SEND_TIMEOUT: Option<Duration> = Some(Duration::from_secs(30));
const END_TIMEOUT: Option<Duration> = Some(Duration::from_secs(60));

/// Records an insert's metrics and names what failed.
fn measured(
    table: &'static str,
    rows: usize,
    started: Instant,
    result: clickhouse::error::Result<()>,
) -> Result<(), SinkError> {
    match result {
        Ok(()) => {
            ::metrics::histogram!(metrics::SINK_ROWS, "table" => table).record(rows as f64);
            ::metrics::histogram!(metrics::SINK_SECONDS, "table" => table)
                .record(started.elapsed().as_secs_f64());
            Ok(())
        }
        Err(source) => {
            ::metrics::counter!(metrics::SINK_ERRORS, "table" => table).increment(1);
            Err(SinkError {
                what: format!("insert into {table}"),
                source,
            })
        }
    }
}

#[derive(Debug, Row, Deserialize)]
struct StoredEvent {
    payload: String,
}

/// What ClickHouse holds of a partition's counted events.
#[derive(Debug, Row, Deserialize)]
pub struct Stored {
    /// How many.
    pub events: u64,
    /// The highest offset (0 when there are none).
    pub last_offset: u64,
    /// The latest `received_at`, in seconds.
    received: u32,
}

/// `query`'s answer, or [`clickhouse::error::Error::TimedOut`] if it takes
/// longer than `timeout` (a server that accepts connections and then
/// hangs would otherwise stall the processor).
async fn within<T>(
    timeout: Duration,
    query: impl Future<Output = clickhouse::error::Result<T>>,
) -> clickhouse::error::Result<T> {
    tokio::time::timeout(timeout, query)
        .await
        .unwrap_or(Err(clickhouse::error::Error::TimedOut))
}

/// What ClickHouse holds of the counted events of `partition`.
pub async fn stored(
    client: &Client,
    partition: i32,
    timeout: Duration,
) -> Result<Stored, SinkError> {
    let query = client
        .query(
            "SELECT count() AS events, max(kafka_offset) AS last_offset, \
             toUInt32(max(received_at)) AS received FROM feedback_events WHERE kafka_partition = ?",
        )
        .bind(partition as u16)
        .fetch_one::<Stored>();
    within(timeout, query).await.map_err(failed(format!(
        "reading the stored events of partition {partition}"
    )))
}

/// Replays into `each` the counted events ClickHouse holds for `partition`
/// (`stored` says what they are) that can still matter: touchpoints not
/// older than `horizon` before the partition's latest `received_at`.
/// Returns how many. The offset plays no part: events of a log that was
/// replaced share offsets with the new one. Fails if the first row takes
/// longer than [`RESTORE_WAIT_MAX_SECS`] (ClickHouse sorts every event of
/// the horizon before sending it) or a later one longer than `timeout`.
pub async fn restore_events(
    client: &Client,
    partition: i32,
    stored: &Stored,
    horizon: TimeDelta,
    timeout: Duration,
    mut each: impl FnMut(&EventView<'_>),
) -> Result<u64, SinkError> {
    let error = failed(format!("restore of partition {partition}"));
    if stored.events == 0 {
        return Ok(0);
    }
    let latest_received =
        DateTime::<Utc>::from_timestamp(i64::from(stored.received), 0).unwrap_or_default();
    // From a whole hour, so that no minute or hour is restored in part.
    let from = seconds(&(latest_received - horizon)) / 3600 * 3600;
    let mut cursor = client
        .query(
            "SELECT payload FROM feedback_events FINAL \
             WHERE kafka_partition = ? AND occurred_at >= toDateTime(?) \
             ORDER BY received_at, kafka_offset",
        )
        .bind(partition as u16)
        .bind(from)
        .fetch::<StoredEvent>()
        .map_err(&error)?;
    let mut n = 0;
    let mut wait = Duration::from_secs(RESTORE_WAIT_MAX_SECS).max(timeout);
    while let Some(row) = within(wait, cursor.next()).await.map_err(&error)? {
        wait = timeout;
        match EventView::from_json(row.payload.as_bytes()) {
            Ok(event) => {
                each(&event);
                n += 1;
            }
            Err(e) => {
                tracing::error!(partition, error = %e, "a stored event does not decode; skipped")
            }
        }
    }
    ::metrics::counter!(metrics::RESTORED).increment(n);
    Ok(n)
}

/// The non-empty snapshot rows ClickHouse holds for `partition`.
pub async fn written_snapshots(
    client: &Client,
    partition: i32,
    timeout: Duration,
) -> Result<Vec<SnapshotRow>, SinkError> {
    let query = client
        .query(
            "SELECT ?fields FROM score_snapshots FINAL WHERE kafka_partition = ? AND responses > 0",
        )
        .bind(partition as u16)
        .fetch_all::<SnapshotRow>();
    within(timeout, query).await.map_err(failed(format!(
        "reading the snapshots of partition {partition}"
    )))
}

/// The highest version of any snapshot row of `partition` (0 if none), so
/// that the rows this instance writes replace them whatever its clock says.
pub async fn latest_snapshot_version(
    client: &Client,
    partition: i32,
    timeout: Duration,
) -> Result<u64, SinkError> {
    let sql = "SELECT max(version) FROM score_snapshots WHERE kafka_partition = ?";
    number_of(
        client,
        sql,
        partition,
        timeout,
        "reading the snapshot version",
    )
    .await
}

/// The highest version of the minute rows of the cells of `partition` (0
/// if none). Minute versions are positions in the partition's log; a state
/// starting below that (a new log after a reset, or the crash after a
/// write and before its commit) writes its versions above it, or its rows
/// would lose to the old ones.
pub async fn latest_minute_version(
    client: &Client,
    partition: i32,
    timeout: Duration,
) -> Result<u64, SinkError> {
    let sql = "SELECT max(version) FROM score_minutes WHERE (facility, department) IN \
               (SELECT facility, department FROM feedback_events WHERE kafka_partition = ?)";
    number_of(
        client,
        sql,
        partition,
        timeout,
        "reading the minute version",
    )
    .await
}

/// The one number `sql` gives for `partition` (its only parameter).
async fn number_of(
    client: &Client,
    sql: &str,
    partition: i32,
    timeout: Duration,
    what: &str,
) -> Result<u64, SinkError> {
    let query = client.query(sql).bind(partition as u16).fetch_one::<u64>();
    within(timeout, query)
        .await
        .map_err(failed(format!("{what} of partition {partition}")))
}

/// Names `what` failed, for `map_err`.
fn failed(what: String) -> impl Fn(clickhouse::error::Error) -> SinkError {
    move |source| SinkError {
        what: what.clone(),
        source,
    }
}
