//! The rows carepulse writes, one struct per table, and how engine results
//! and events become rows. Field order and names follow the migrations;
//! `DateTime` columns are seconds since the Unix epoch (UTC).

use std::borrow::Cow;

use carepulse_engine::{Cell, Counts, MinuteRow, Snapshot};
use carepulse_model::{EventView, FeedbackEvent};
use chrono::{DateTime, TimeZone};
use clickhouse::Row;
use serde::{Deserialize, Serialize};

/// Seconds since the epoch as ClickHouse `DateTime` (clamped to its range).
pub fn seconds<Tz: TimeZone>(t: &DateTime<Tz>) -> u32 {
    t.timestamp().clamp(0, i64::from(u32::MAX)) as u32
}

/// A row of `feedback_events`: a counted event.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct EventRow {
    /// Event id.
    pub event_id: String,
    /// Kafka partition it was read from.
    pub kafka_partition: u16,
    /// Kafka offset it was read from.
    pub kafka_offset: u64,
    /// When the touchpoint happened.
    pub occurred_at: u32,
    /// When the answer was given.
    pub responded_at: u32,
    /// When ingest accepted it.
    pub received_at: u32,
    /// Facility id.
    pub facility: String,
    /// Organisation id.
    pub organisation: String,
    /// Department id.
    pub department: String,
    /// Journey id.
    pub journey: String,
    /// Stage id.
    pub stage: String,
    /// Touchpoint id.
    pub touchpoint: String,
    /// `patient` or `customer`.
    pub experience: Cow<'static, str>,
    /// Collection channel.
    pub channel: Cow<'static, str>,
    /// Who answered.
    pub respondent_role: Cow<'static, str>,
    /// Questionnaire id.
    pub questionnaire: String,
    /// Device or integration id ('' when absent).
    pub source_id: String,
    /// Pseudonymised respondent ('' when absent).
    pub subject: String,
    /// Pseudonymised journey instance ('' when absent).
    pub journey_instance: String,
    /// Scale of the overall question.
    pub overall_scale: Cow<'static, str>,
    /// Overall answer on 0-100 (none for "don't know").
    pub overall_linear: Option<f64>,
    /// 1 when the event has a comment.
    pub has_comment: u8,
    /// 1 when the respondent agreed to be contacted.
    pub consent_to_contact: u8,
    /// The event as published (JSON).
    pub payload: String,
}

impl EventRow {
    /// The row of `event`, read at `partition`/`offset`, whose published
    /// JSON is `payload`.
    pub fn new(event: &FeedbackEvent, partition: i32, offset: i64, payload: String) -> EventRow {
        let event = event.view();
        let w = EventWrite::new(&event, "", partition, offset);
        let text = |s: &str| s.to_owned();
        EventRow {
            event_id: text(w.event_id),
            kafka_partition: w.kafka_partition,
            kafka_offset: w.kafka_offset,
            occurred_at: w.occurred_at,
            responded_at: w.responded_at,
            received_at: w.received_at,
            facility: text(w.facility),
            organisation: text(w.organisation),
            department: text(w.department),
            journey: text(w.journey),
            stage: text(w.stage),
            touchpoint: text(w.touchpoint),
            experience: Cow::Borrowed(event.experience.as_str()),
            channel: Cow::Borrowed(event.channel.as_str()),
            respondent_role: Cow::Borrowed(event.respondent_role.as_str()),
            questionnaire: text(w.questionnaire),
            source_id: text(w.source_id),
            subject: text(w.subject),
            journey_instance: text(w.journey_instance),
            overall_scale: Cow::Borrowed(event.overall.scale.name()),
            overall_linear: w.overall_linear,
            has_comment: w.has_comment,
            consent_to_contact: w.consent_to_contact,
            payload,
        }
    }
}

/// A row of `feedback_events` as the processor writes it: [`EventRow`] with
/// borrowed strings, so that a held event needs no allocation per column.
#[derive(Debug, Clone, Row, Serialize)]
#[allow(missing_docs)] // the columns of `EventRow`
pub struct EventWrite<'a> {
    pub event_id: &'a str,
    pub kafka_partition: u16,
    pub kafka_offset: u64,
    pub occurred_at: u32,
    pub responded_at: u32,
    pub received_at: u32,
    pub facility: &'a str,
    pub organisation: &'a str,
    pub department: &'a str,
    pub journey: &'a str,
    pub stage: &'a str,
    pub touchpoint: &'a str,
    pub experience: &'a str,
    pub channel: &'a str,
    pub respondent_role: &'a str,
    pub questionnaire: &'a str,
    pub source_id: &'a str,
    pub subject: &'a str,
    pub journey_instance: &'a str,
    pub overall_scale: &'a str,
    pub overall_linear: Option<f64>,
    pub has_comment: u8,
    pub consent_to_contact: u8,
    pub payload: &'a str,
}

impl<'a> EventWrite<'a> {
    /// The row of `event`, read at `partition`/`offset`, whose published
    /// JSON is `payload`; its strings borrow from the event.
    pub fn new(event: &'a EventView<'_>, payload: &'a str, partition: i32, offset: i64) -> Self {
        let optional = |s: &'a Option<Cow<'_, str>>| s.as_deref().unwrap_or_default();
        EventWrite {
            event_id: &event.event_id,
            kafka_partition: partition as u16,
            kafka_offset: offset as u64,
            occurred_at: seconds(&event.occurred_at),
            responded_at: seconds(&event.responded_at),
            received_at: seconds(&event.received_at),
            facility: &event.facility,
            organisation: &event.organisation,
            department: &event.department,
            journey: &event.journey,
            stage: &event.stage,
            touchpoint: &event.touchpoint,
            experience: event.experience.as_str(),
            channel: event.channel.as_str(),
            respondent_role: event.respondent_role.as_str(),
            questionnaire: &event.questionnaire,
            source_id: optional(&event.source_id),
            subject: optional(&event.subject),
            journey_instance: optional(&event.journey_instance),
            overall_scale: event.overall.scale.name(),
            overall_linear: event
                .overall
                .scale
                .read(event.overall.value.as_ref())
                .and_then(|r| r.linear()),
            has_comment: u8::from(event.comment.as_ref().is_some_and(|c| !c.is_empty())),
            consent_to_contact: u8::from(event.consent_to_contact),
            payload,
        }
    }
}

/// Fills the cell and count columns of a row type from a cell and counts,
/// turning each of the cell's strings into a column with `$text`.
macro_rules! cell_and_counts {
    ($cell:expr, $counts:expr, $text:expr, { $($rest:tt)* }) => {{
        let cell: &Cell = $cell;
        let c: &Counts = $counts;
        let text = $text;
        let d = |i: usize| text(cell.dims[i].as_str());
        Self {
            facility: d(0),
            organisation: d(1),
            department: d(2),
            journey: d(3),
            stage: d(4),
            experience: d(5),
            channel: d(6),
            respondent_role: d(7),
            questionnaire: d(8),
            question: text(cell.question.as_str()),
            scale: text(cell.scale.name()),
            responses: c.responses,
            valid: c.valid,
            linear_sum: c.linear_sum,
            top_box: c.top_box,
            bottom_box: c.bottom_box,
            positive: c.positive,
            negative: c.negative,
            dont_know: c.dont_know,
            promoters: c.promoters,
            passives: c.passives,
            detractors: c.detractors,
            $($rest)*
        }
    }};
}

/// Reads the counts back from a row type with count columns.
macro_rules! counts_of {
    ($row:expr) => {{
        let c = $row;
        Counts {
            responses: c.responses,
            valid: c.valid,
            linear_sum: c.linear_sum,
            top_box: c.top_box,
            bottom_box: c.bottom_box,
            positive: c.positive,
            negative: c.negative,
            dont_know: c.dont_know,
            promoters: c.promoters,
            passives: c.passives,
            detractors: c.detractors,
        }
    }};
}

/// The dimension, question and scale columns of a row type, in order.
macro_rules! cell_of {
    ($row:expr) => {{
        let r = $row;
        [
            r.facility.as_str(),
            r.organisation.as_str(),
            r.department.as_str(),
            r.journey.as_str(),
            r.stage.as_str(),
            r.experience.as_str(),
            r.channel.as_str(),
            r.respondent_role.as_str(),
            r.questionnaire.as_str(),
            r.question.as_str(),
            r.scale.as_str(),
        ]
    }};
}

/// A row of `score_minutes` as read back: full counts of one cell in one
/// minute (the processor writes [`MinuteCountWrite`]).
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct MinuteCountRow {
    /// The minute (event time), as seconds.
    pub minute: u32,
    /// Facility id.
    pub facility: String,
    /// Organisation id.
    pub organisation: String,
    /// Department id.
    pub department: String,
    /// Journey id.
    pub journey: String,
    /// Stage id.
    pub stage: String,
    /// `patient` or `customer` (`*` when rolled up).
    pub experience: String,
    /// Channel.
    pub channel: String,
    /// Respondent role.
    pub respondent_role: String,
    /// Questionnaire id.
    pub questionnaire: String,
    /// Question id.
    pub question: String,
    /// Scale name.
    pub scale: String,
    /// Every answer.
    pub responses: u32,
    /// Answers with a linear score.
    pub valid: u32,
    /// Sum of linear scores.
    pub linear_sum: f64,
    /// Top-box answers.
    pub top_box: u32,
    /// Bottom-box answers.
    pub bottom_box: u32,
    /// Favourable answers.
    pub positive: u32,
    /// Unfavourable answers.
    pub negative: u32,
    /// "Don't know" answers.
    pub dont_know: u32,
    /// NPS promoters.
    pub promoters: u32,
    /// NPS passives.
    pub passives: u32,
    /// NPS detractors.
    pub detractors: u32,
    /// Higher replaces lower: the Kafka position the counts include.
    pub version: u64,
}

impl MinuteCountRow {
    /// The counts.
    pub fn counts(&self) -> Counts {
        counts_of!(self)
    }

    /// The cell: the dimensions in the order of `carepulse_engine::DIMENSIONS`,
    /// then the question and the scale.
    pub fn cell(&self) -> [&str; 11] {
        cell_of!(self)
    }
}

/// A `score_minutes` row to write, borrowing the cell's strings from the
/// engine (a flush writes about one per answer; owned strings cost as much
/// as the rest of the flush).
#[derive(Debug, Clone, Row, Serialize)]
pub struct MinuteCountWrite<'a> {
    /// The minute (event time), as seconds.
    pub minute: u32,
    /// Facility id.
    pub facility: &'a str,
    /// Organisation id.
    pub organisation: &'a str,
    /// Department id.
    pub department: &'a str,
    /// Journey id.
    pub journey: &'a str,
    /// Stage id.
    pub stage: &'a str,
    /// `patient` or `customer`.
    pub experience: &'a str,
    /// Channel.
    pub channel: &'a str,
    /// Respondent role.
    pub respondent_role: &'a str,
    /// Questionnaire id.
    pub questionnaire: &'a str,
    /// Question id.
    pub question: &'a str,
    /// Scale name.
    pub scale: &'a str,
    /// Every answer.
    pub responses: u32,
    /// Answers with a linear score.
    pub valid: u32,
    /// Sum of linear scores.
    pub linear_sum: f64,
    /// Top-box answers.
    pub top_box: u32,
    /// Bottom-box answers.
    pub bottom_box: u32,
    /// Favourable answers.
    pub positive: u32,
    /// Unfavourable answers.
    pub negative: u32,
    /// "Don't know" answers.
    pub dont_know: u32,
    /// NPS promoters.
    pub promoters: u32,
    /// NPS passives.
    pub passives: u32,
    /// NPS detractors.
    pub detractors: u32,
    /// Higher replaces lower: the Kafka position the counts include.
    pub version: u64,
}

impl<'a> MinuteCountWrite<'a> {
    /// The row of an engine minute, including its partition up to `version`.
    pub fn new(row: &'a MinuteRow, version: u64) -> Self {
        cell_and_counts!(&row.cell, &row.counts, |s: &'a str| s, {
            minute: (row.minute * 60).clamp(0, i64::from(u32::MAX)) as u32,
            version,
        })
    }
}

/// A row of `score_snapshots`: one rollup key's counts over one window, as
/// counted by one partition.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct SnapshotRow {
    /// Rollup name.
    pub rollup: String,
    /// Window length in minutes.
    pub window_minutes: u32,
    /// Facility id.
    pub facility: String,
    /// Organisation id.
    pub organisation: String,
    /// Department id.
    pub department: String,
    /// Journey id.
    pub journey: String,
    /// Stage id.
    pub stage: String,
    /// `patient` or `customer` (`*` when rolled up).
    pub experience: String,
    /// Channel.
    pub channel: String,
    /// Respondent role.
    pub respondent_role: String,
    /// Questionnaire id.
    pub questionnaire: String,
    /// Question id.
    pub question: String,
    /// Scale name.
    pub scale: String,
    /// Kafka partition that counted these answers.
    pub kafka_partition: u16,
    /// When the window ends (seconds).
    pub at: u32,
    /// Every answer.
    pub responses: u32,
    /// Answers with a linear score.
    pub valid: u32,
    /// Sum of linear scores.
    pub linear_sum: f64,
    /// Top-box answers.
    pub top_box: u32,
    /// Bottom-box answers.
    pub bottom_box: u32,
    /// Favourable answers.
    pub positive: u32,
    /// Unfavourable answers.
    pub negative: u32,
    /// "Don't know" answers.
    pub dont_know: u32,
    /// NPS promoters.
    pub promoters: u32,
    /// NPS passives.
    pub passives: u32,
    /// NPS detractors.
    pub detractors: u32,
    /// Higher replaces lower.
    pub version: u64,
}

impl SnapshotRow {
    /// The row of an engine snapshot.
    pub fn new(s: &Snapshot, partition: i32, at: u32, version: u64) -> Self {
        cell_and_counts!(&s.key, &s.counts, str::to_owned, {
            rollup: s.rollup.to_string(),
            window_minutes: s.window as u32,
            kafka_partition: partition as u16,
            at,
            version,
        })
    }

    /// The counts.
    pub fn counts(&self) -> Counts {
        counts_of!(self)
    }

    /// The key: the dimensions (`*` where rolled up), question and scale.
    pub fn key(&self) -> [&str; 11] {
        cell_of!(self)
    }

    /// The same key and window, empty, at `at`.
    pub fn emptied(&self, at: u32, version: u64) -> SnapshotRow {
        SnapshotRow {
            rollup: self.rollup.clone(),
            window_minutes: self.window_minutes,
            facility: self.facility.clone(),
            organisation: self.organisation.clone(),
            department: self.department.clone(),
            journey: self.journey.clone(),
            stage: self.stage.clone(),
            experience: self.experience.clone(),
            channel: self.channel.clone(),
            respondent_role: self.respondent_role.clone(),
            questionnaire: self.questionnaire.clone(),
            question: self.question.clone(),
            scale: self.scale.clone(),
            kafka_partition: self.kafka_partition,
            at,
            responses: 0,
            valid: 0,
            linear_sum: 0.0,
            top_box: 0,
            bottom_box: 0,
            positive: 0,
            negative: 0,
            dont_know: 0,
            promoters: 0,
            passives: 0,
            detractors: 0,
            version,
        }
    }
}

/// A row of `late_events`: an event kept for audit but not counted.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct UncountedRow {
    /// Event id.
    pub event_id: String,
    /// Kafka partition.
    pub kafka_partition: u16,
    /// Kafka offset.
    pub kafka_offset: u64,
    /// When the touchpoint happened.
    pub occurred_at: u32,
    /// When ingest accepted it.
    pub received_at: u32,
    /// Facility id.
    pub facility: String,
    /// Department id.
    pub department: String,
    /// Why it was not counted: `late`, `repeat_press`, `duplicate`.
    pub reason: String,
    /// The event as published.
    pub payload: String,
}

/// A row of `rejected_events`: a message that could not be decoded or
/// validated (it also went to the dead-letter topic).
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct RejectedRow {
    /// Kafka partition.
    pub kafka_partition: u16,
    /// Kafka offset.
    pub kafka_offset: u64,
    /// When the processor saw it.
    pub seen_at: u32,
    /// Why it was rejected.
    pub reason: String,
    /// The message (lossy UTF-8, at most 64 KiB).
    pub payload: String,
}

/// A row of `alert_events`: one state change (firing, resolved) of a
/// score-drop or silence alert, written by the alerter
/// (`carepulse_alert`, which fills it from the alert record).
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct AlertEventRow {
    /// Stable id of the episode.
    pub alert_id: String,
    /// `firing` or `resolved`.
    pub state: String,
    /// `score_drop`, `silence`, `volume_collapse`.
    pub kind: String,
    /// `warning` or `critical`.
    pub severity: String,
    /// The key (`department=ed,stage=ed-visit/triage`).
    pub alert_key: String,
    /// The key's facility ('' when it has none).
    pub facility: String,
    /// The key's department ('' when it has none).
    pub department: String,
    /// The key's journey stage, `journey/stage` ('' when it has none).
    pub stage: String,
    /// The key's experience type ('' when it has none).
    pub experience: String,
    /// `top_box`, `positive` or `volume`.
    pub measure: String,
    /// The recent window's share (percent) or rate (answers per hour).
    pub current_value: f64,
    /// Lower bound of its 95% interval.
    pub current_low: Option<f64>,
    /// Upper bound of its 95% interval.
    pub current_high: Option<f64>,
    /// Answers behind it.
    pub current_n: u64,
    /// Window start (seconds).
    pub current_from: u32,
    /// Window end (seconds).
    pub current_to: u32,
    /// The baseline's share or rate.
    pub baseline_value: f64,
    /// Lower bound of its 95% interval.
    pub baseline_low: Option<f64>,
    /// Upper bound of its 95% interval.
    pub baseline_high: Option<f64>,
    /// Answers behind it.
    pub baseline_n: u64,
    /// Window start (seconds).
    pub baseline_from: u32,
    /// Window end (seconds).
    pub baseline_to: u32,
    /// When the trouble began (seconds).
    pub since: u32,
    /// When the alert fired (seconds).
    pub fired_at: u32,
    /// Last change (seconds).
    pub updated_at: u32,
    /// When it resolved (seconds).
    pub resolved_at: Option<u32>,
    /// One line for people.
    pub summary: String,
    /// The statistics behind it.
    pub evidence: String,
    /// Dashboard link.
    pub link: String,
    /// The alert record as JSON.
    pub record: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"v":1,"event_id":"e-1","occurred_at":"2026-11-21T09:15:00Z",
        "responded_at":"2026-11-21T09:16:00Z","received_at":"2026-11-21T09:16:02Z",
        "organisation":"trust","facility":"st-marys","department":"ed","journey":"ed-visit",
        "stage":"triage","touchpoint":"kiosk-3","experience":"patient","channel":"kiosk",
        "source_id":"kiosk-3","respondent_role":"patient","subject":null,
        "questionnaire":"kiosk-smiley","overall":{"question":"overall","scale":"smiley_4","value":"happy"},
        "comment":"quick","consent_to_contact":false}"#;

    /// The row the processor writes equals the owned row of the same event,
    /// column by column and in column order.
    fn assert_same_row(payload: &str) {
        let view = EventView::from_json(payload.as_bytes()).unwrap();
        let written = EventWrite::new(&view, payload, 2, 41);
        let owned: FeedbackEvent = serde_json::from_str(payload).unwrap();
        let expected = EventRow::new(&owned, 2, 41, payload.to_owned());
        assert_eq!(
            serde_json::to_string(&written).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
    }

    #[test]
    fn the_written_row_is_the_owned_row() {
        assert_same_row(EVENT);
    }

    #[test]
    fn columns_with_escapes_are_written_decoded() {
        let escaped = EVENT
            .replace(r#""ed""#, r#""e\u0064""#)
            .replace(r#""e-1""#, r#""e-\"1\"""#);
        assert_same_row(&escaped);
        let view = EventView::from_json(escaped.as_bytes()).unwrap();
        let written = EventWrite::new(&view, &escaped, 0, 0);
        assert_eq!(written.department, "ed");
        assert_eq!(written.event_id, "e-\"1\"");
        assert_eq!(written.payload, escaped);
    }
}
