//! One analytics computation over ClickHouse: the counted events of a
//! window from `feedback_events` (under `FINAL`: one row per event),
//! through the analytics engine's [`ReportBuilder`] (the engine
//! `carepulse report` runs), into the analytics tables ([`analytics`]).
//!
//! ```no_run
//! # async fn f(client: clickhouse::Client, catalog: std::sync::Arc<carepulse_model::Catalog>) {
//! use carepulse_analytics::ReportSettings;
//! use chrono::{TimeDelta, Utc};
//!
//! let now = Utc::now();
//! let settings = ReportSettings {
//!     from: Some(now - TimeDelta::days(90)),
//!     until: Some(now),
//!     ..ReportSettings::default()
//! };
//! let done = carepulse_clickhouse::analyze(&client, "carepulse", catalog, settings, now).await.unwrap();
//! println!("{} events used", done.run.events_used);
//! # }
//! ```
//!
//! The rows stream from ClickHouse into a bounded channel; a blocking task
//! decodes each payload and feeds the builder, then computes the report
//! (the bootstrap is the heavy part), so the async runtime is never held.
//! The run row is written last: readers see a computation only once all
//! of it is stored.
//!
//! [`analytics`]: crate::analytics

use std::sync::Arc;
use std::time::Instant;

use carepulse_analytics::{Report, ReportBuilder, ReportSettings};
use carepulse_model::{Catalog, FeedbackEvent};
use chrono::{DateTime, Utc};
use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use crate::analytics::{AnalysisRows, AnalysisRunRow, Computation, Coverage};
use crate::rows::seconds;

/// Why a computation failed; a later run may succeed (ClickHouse back).
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The database name would not be safe in SQL.
    #[error("database name '{0}' must be letters, digits and '_'")]
    BadDatabase(String),
    /// Reading `feedback_events` failed.
    #[error("cannot read feedback_events: {0}")]
    Read(#[source] clickhouse::error::Error),
    /// Writing a table failed.
    #[error("cannot write {table}: {source}")]
    Write {
        /// The table.
        table: &'static str,
        /// The client error.
        source: clickhouse::error::Error,
    },
    /// The engine's task panicked.
    #[error("the analytics engine failed: {0}")]
    Engine(String),
    /// Dropping old computations failed.
    #[error("cannot drop old computations from {table}: {source}")]
    Retention {
        /// The table.
        table: &'static str,
        /// The client error.
        source: clickhouse::error::Error,
    },
}

/// What one computation did.
#[derive(Debug, Clone)]
pub struct Analyzed {
    /// The run row as written.
    pub run: AnalysisRunRow,
    /// The engine's report.
    pub report: Report,
    /// The rows written.
    pub rows: AnalysisRows,
}

/// Refuses a database name that would not be safe in SQL.
pub(crate) fn check_database(database: &str) -> Result<(), AnalyzeError> {
    if crate::migrations::safe_database_name(database) {
        Ok(())
    } else {
        Err(AnalyzeError::BadDatabase(database.to_owned()))
    }
}

#[derive(Debug, Row, Deserialize)]
struct PayloadRow {
    event_id: String,
    payload: String,
}

/// The query reading the counted events of `[from, to)` (Unix seconds).
pub fn events_sql(database: &str, from: u32, to: u32) -> String {
    format!(
        "SELECT event_id, payload FROM {database}.feedback_events FINAL \
         WHERE occurred_at >= toDateTime({from}) AND occurred_at < toDateTime({to})"
    )
}

async fn insert<T>(client: &Client, table: &'static str, rows: &[T]) -> Result<(), AnalyzeError>
where
    for<'a> T: Row<Value<'a> = T> + Serialize,
{
    if rows.is_empty() {
        return Ok(());
    }
    let write = |source| AnalyzeError::Write { table, source };
    let mut insert = client.insert::<T>(table).await.map_err(write)?;
    for row in rows {
        insert.write(row).await.map_err(write)?;
    }
    insert.end().await.map_err(write)
}

/// Computes the analytics of `settings`' window (its `from` and `until`;
/// none reads everything) as of `now`, and stores them in `database`.
pub async fn analyze(
    client: &Client,
    database: &str,
    catalog: Arc<Catalog>,
    settings: ReportSettings,
    now: DateTime<Utc>,
) -> Result<Analyzed, AnalyzeError> {
    check_database(database)?;
    let started = Instant::now();
    let computation = Computation {
        computed_at: seconds(&now),
        window_from: settings.from.map_or(0, |t| seconds(&t)),
        window_to: settings.until.map_or(u32::MAX, |t| seconds(&t)),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<PayloadRow>(4096);
    let engine = tokio::task::spawn_blocking(move || {
        let mut builder = ReportBuilder::new(&catalog, settings);
        let mut coverage = Coverage::default();
        let (mut read, mut malformed) = (0u64, 0u64);
        while let Some(row) = rx.blocking_recv() {
            read += 1;
            let event = match serde_json::from_str::<FeedbackEvent>(&row.payload) {
                Ok(event) => event,
                Err(e) => {
                    malformed += 1;
                    tracing::warn!(event_id = row.event_id, error = %e, "stored payload is not a feedback event; left out");
                    continue;
                }
            };
            match builder.add(&event) {
                Ok(None) => coverage.record(&event),
                Ok(Some(_)) => {}
                Err(e) => {
                    malformed += 1;
                    tracing::warn!(event_id = row.event_id, error = %e, "stored event left out");
                }
            }
        }
        (builder.finish(), coverage, read, malformed)
    });
    let sql = events_sql(database, computation.window_from, computation.window_to);
    let read = async {
        let mut cursor = client
            .query(&sql)
            .fetch::<PayloadRow>()
            .map_err(AnalyzeError::Read)?;
        while let Some(row) = cursor.next().await.map_err(AnalyzeError::Read)? {
            if tx.send(row).await.is_err() {
                break;
            }
        }
        drop(tx);
        Ok::<(), AnalyzeError>(())
    };
    let read = read.await;
    let (report, coverage, events_read, malformed) = engine
        .await
        .map_err(|e| AnalyzeError::Engine(e.to_string()))?;
    read?;
    let rows = AnalysisRows::new(&report, &coverage, computation);
    let client = client.clone().with_database(database);
    insert(&client, "driver_importance", &rows.drivers).await?;
    insert(&client, "question_quality", &rows.quality).await?;
    insert(&client, "journey_stage_scores", &rows.stages).await?;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let run = AnalysisRunRow {
        computed_at: computation.computed_at,
        window_from: computation.window_from,
        window_to: computation.window_to,
        events_read,
        events_used: report.input.used,
        duplicates: report.input.duplicates,
        malformed,
        min_n: report.settings.min_n,
        replicates: count(report.settings.drivers.replicates),
        level: report.settings.drivers.level,
        driver_rows: count(rows.drivers.len()),
        quality_rows: count(rows.quality.len()),
        stage_rows: count(rows.stages.len()),
        duration_seconds: started.elapsed().as_secs_f64(),
        notes: report.notes.join("\n"),
    };
    insert(&client, "analysis_runs", std::slice::from_ref(&run)).await?;
    Ok(Analyzed { run, report, rows })
}
