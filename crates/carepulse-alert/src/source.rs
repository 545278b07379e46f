//! Reading counted events from ClickHouse's `feedback_events`, in SQL that
//! runs on ClickHouse 18.16 and current releases.
//!
//! - The backfill counts answers per hour of arrival and cell
//!   (`GROUP BY` the hour, the key dimensions, the overall scale and the
//!   overall linear score) under `FINAL`, so a redelivered event counts
//!   once. An answer's tally is a function of its scale and linear score
//!   (each point of a scale has its own score; "don't know" has none), so
//!   one stored payload per (scale, score) gives every group's tally
//!   exactly, without shipping weeks of payloads.
//! - A tick reads the events themselves (id, arrival, dimensions, payload)
//!   whose `received_at` lies in the read window, without `FINAL` (which
//!   would merge the whole table on every tick): the alerter's memory of
//!   ids leaves the duplicates out.

use std::collections::HashMap;

use carepulse_model::Tally;
use chrono::{DateTime, TimeZone, Utc};
use clickhouse::{Client, Row};
use serde::Deserialize;

use crate::engine::{Arrival, HourCount};
use crate::feed::{overall_tally, times};
use crate::keys::Dims;
use crate::AlertError;

/// `feedback_events` of one database.
#[derive(Clone)]
pub struct EventSource {
    client: Client,
    database: String,
}

#[derive(Debug, Row, Deserialize)]
struct CellHourRow {
    hour: u32,
    facility: String,
    department: String,
    journey: String,
    stage: String,
    touchpoint: String,
    experience: String,
    source_id: String,
    overall_scale: String,
    overall_linear: Option<f64>,
    answers: u64,
}

#[derive(Debug, Row, Deserialize)]
struct ScoreRow {
    overall_scale: String,
    overall_linear: Option<f64>,
    payload: String,
}

#[derive(Debug, Row, Deserialize)]
struct EventLine {
    event_id: String,
    received_at: u32,
    facility: String,
    department: String,
    journey: String,
    stage: String,
    touchpoint: String,
    experience: String,
    source_id: String,
    payload: String,
}

const DIMS: &str = "facility, department, journey, stage, touchpoint, experience, source_id";

fn seconds(at: DateTime<Utc>) -> i64 {
    at.timestamp().clamp(0, i64::from(u32::MAX))
}

fn time(seconds: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(i64::from(seconds), 0)
        .single()
        .unwrap_or_default()
}

fn score_key(scale: &str, linear: Option<f64>) -> (String, Option<u64>) {
    (scale.to_owned(), linear.map(f64::to_bits))
}

/// The backfill's two queries for `db`, `received_at` in `[from, to)`
/// (seconds): one stored payload per (scale, linear score), and the
/// answers per hour of arrival, cell, scale and score.
pub fn hourly_sql(db: &str, from: i64, to: i64) -> (String, String) {
    let window = format!("received_at >= toDateTime({from}) AND received_at < toDateTime({to})");
    let scores = format!(
        "SELECT overall_scale, overall_linear, any(payload) AS payload \
         FROM {db}.feedback_events FINAL WHERE {window} \
         GROUP BY overall_scale, overall_linear"
    );
    let hours = format!(
        "SELECT toUInt32(toStartOfHour(received_at)) AS hour, {DIMS}, \
         overall_scale, overall_linear, count() AS answers \
         FROM {db}.feedback_events FINAL WHERE {window} \
         GROUP BY hour, {DIMS}, overall_scale, overall_linear \
         ORDER BY hour"
    );
    (scores, hours)
}

/// A tick's query for `db`: the events with `received_at` in `[from, to]`
/// (seconds), oldest first, without `FINAL`.
pub fn arrivals_sql(db: &str, from: i64, to: i64) -> String {
    format!(
        "SELECT event_id, received_at, {DIMS}, payload \
         FROM {db}.feedback_events \
         WHERE received_at >= toDateTime({from}) AND received_at <= toDateTime({to}) \
         ORDER BY received_at, event_id"
    )
}

impl EventSource {
    /// Reads `database.feedback_events` through `client` (validation off:
    /// ClickHouse 18.16).
    pub fn new(client: Client, database: &str) -> Result<EventSource, AlertError> {
        let ok = !database.is_empty()
            && database
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !ok {
            return Err(AlertError::BadDatabase(database.to_owned()));
        }
        Ok(EventSource {
            client,
            database: database.to_owned(),
        })
    }

    /// `SELECT 1`: whether ClickHouse answers.
    pub async fn healthcheck(&self) -> Result<(), AlertError> {
        self.client
            .query("SELECT 1")
            .fetch_one::<u8>()
            .await
            .map(|_| ())
            .map_err(AlertError::read)
    }

    /// Answers per hour of arrival and cell, `received_at` in `[from, to)`.
    pub async fn hourly(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<HourCount>, AlertError> {
        let (scores, hours) = hourly_sql(&self.database, seconds(from), seconds(to));
        let scores: Vec<ScoreRow> = self
            .client
            .query(&scores)
            .fetch_all()
            .await
            .map_err(AlertError::read)?;
        let mut tallies: HashMap<(String, Option<u64>), Tally> = HashMap::new();
        for s in scores {
            match overall_tally(&s.payload) {
                Some(tally) => {
                    tallies.insert(score_key(&s.overall_scale, s.overall_linear), tally);
                }
                None => tracing::warn!(
                    scale = s.overall_scale,
                    "a stored payload does not decode as a feedback event; its answers are left out"
                ),
            }
        }
        let rows: Vec<CellHourRow> = self
            .client
            .query(&hours)
            .fetch_all()
            .await
            .map_err(AlertError::read)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let tally = tallies.get(&score_key(&r.overall_scale, r.overall_linear))?;
                Some(HourCount {
                    hour: time(r.hour),
                    tally: times(tally, r.answers),
                    dims: Dims {
                        facility: r.facility,
                        department: r.department,
                        journey: r.journey,
                        stage: r.stage,
                        touchpoint: r.touchpoint,
                        experience: r.experience,
                        source_id: r.source_id,
                    },
                })
            })
            .collect())
    }

    /// The events with `received_at` in `[from, to]`, oldest first; rows
    /// whose payload does not decode are logged and left out.
    pub async fn arrivals(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Arrival>, AlertError> {
        let sql = arrivals_sql(&self.database, seconds(from), seconds(to));
        let lines: Vec<EventLine> = self
            .client
            .query(&sql)
            .fetch_all()
            .await
            .map_err(AlertError::read)?;
        Ok(lines
            .into_iter()
            .filter_map(|l| {
                let Some(tally) = overall_tally(&l.payload) else {
                    tracing::warn!(
                        event_id = l.event_id,
                        "a stored payload does not decode as a feedback event; left out"
                    );
                    return None;
                };
                Some(Arrival {
                    event_id: l.event_id,
                    received_at: time(l.received_at),
                    tally,
                    dims: Dims {
                        facility: l.facility,
                        department: l.department,
                        journey: l.journey,
                        stage: l.stage,
                        touchpoint: l.touchpoint,
                        experience: l.experience,
                        source_id: l.source_id,
                    },
                })
            })
            .collect())
    }
}
