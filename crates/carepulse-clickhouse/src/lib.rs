//! carepulse's ClickHouse schema as versioned migrations, applied by
//! `carepulse migrate`. Every statement runs on Debian's ClickHouse 18.16 and
//! on current ClickHouse (a test runs them on both), so the SQL keeps to
//! what both understand: plain `String` and number types, `DateTime` in UTC,
//! `ReplacingMergeTree` with explicit `PARTITION BY` and `ORDER BY`.
//!
//! The tables and why they look the way they do:
//! - `feedback_events`: every counted event, pseudonymised and redacted, with
//!   its Kafka partition and offset and the event as published (`payload`).
//!   `ReplacingMergeTree` keyed by facility, department and event id, so an
//!   event written twice (a redelivery after a crash) is one row after
//!   merging and under `FINAL`. It is the source of truth the processor
//!   rebuilds its state from.
//! - `score_minutes`: per-minute counts per cell (every dimension users drill
//!   into, the question and its scale), additive over any range and any
//!   rollup. Written as full values with a growing `version`, so writing a
//!   minute again replaces it instead of adding to it.
//! - `score_snapshots`: the latest rolling-window counts per rollup key and
//!   Kafka partition. A rollup key that spans departments (a journey stage,
//!   a facility) is counted by every partition holding one of them, so
//!   readers sum the partitions' rows; each row carries the time `at` it was
//!   computed at, and a row with `at` older than its window is empty by
//!   definition (readers skip it).
//! - `alert_events`: the history of score-drop and silence alerts, one row
//!   per state change (firing, resolved), with the alert record as JSON.
//! - `late_events` and `rejected_events`: kept for audit, never counted.
//! - `catalog_stages`: the catalog's journeys, stages in order, written by
//!   `carepulse migrate` for the dashboards ([`catalog`]).
//! - `driver_importance`, `question_quality`, `journey_stage_scores`,
//!   `analysis_runs`: the analytics engine's results over a window, one
//!   computation per `computed_at`, written by `carepulse analyze`
//!   ([`analytics`], [`analyze()`]), and dropped a month at a time once
//!   older than `analyze.keep_days` ([`retention`]).
//! - `schema_migrations`: which migrations ran.
//!
//! Counts, not scores, are stored: scores (linear mean, top box, NPS, CSAT,
//! FFT, Wilson intervals) are computed from summed counts, so any range and
//! rollup gives exact scores (docs/scales.md).

pub mod analytics;
mod analyze;
pub mod catalog;
mod migrations;
pub mod minutes;
pub mod retention;
pub mod rowbinary;
pub mod rows;

pub use analyze::{analyze, events_sql, AnalyzeError, Analyzed};
pub use catalog::{stage_rows, write_catalog, StageRow};
pub use migrations::{apply, statements, Applied, MigrateError, Migration, MIGRATIONS};
