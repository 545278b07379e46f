//! The state of one Kafka partition: its engine, where it stands in the
//! partition, and the rows read since the last flush.

use carepulse_clickhouse::rowbinary::EncodedRows;
use carepulse_clickhouse::rows::{seconds, EventWrite, RejectedRow, SnapshotRow, UncountedRow};
use carepulse_engine::{minute_of, Counts, Engine, EngineConfig, MinuteRow, Outcome};
use carepulse_model::EventView;
use chrono::{DateTime, TimeDelta, Utc};
use rustc_hash::FxHashMap as HashMap;

/// How far out of order `received_at` may be within a partition (several
/// ingest instances publish to it): state is kept this much longer than
/// the allowed lateness needs.
pub const DISORDER: TimeDelta = TimeDelta::hours(1);

/// Longest message kept in `rejected_events` (the dead-letter topic gets
/// it whole).
const REJECTED_PAYLOAD_LIMIT: usize = 64 * 1024;

/// A message that could not be decoded or validated.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// Its row in `rejected_events`.
    pub row: RejectedRow,
    /// The message key, for the dead-letter topic.
    pub key: Option<Vec<u8>>,
    /// The message, whole, for the dead-letter topic.
    pub payload: Vec<u8>,
}

/// Rows read since the last flush.
#[derive(Debug, Default)]
pub struct Pending {
    /// Counted events, encoded as their `feedback_events` rows while the
    /// message is still in cache.
    pub events: EncodedRows,
    /// Late and suspect events, kept for audit.
    pub uncounted: Vec<UncountedRow>,
    /// Messages for the dead-letter topic.
    pub rejected: Vec<Rejected>,
    /// `received_at` of the counted events (for freshness).
    pub received: Vec<DateTime<Utc>>,
    /// Messages read.
    pub messages: usize,
    /// Duplicates read.
    pub duplicates: u64,
}

/// Identity of a snapshot row: rollup, window and key columns.
type SnapshotId = (String, u32, [String; 11]);

fn snapshot_id(r: &SnapshotRow) -> SnapshotId {
    (
        r.rollup.clone(),
        r.window_minutes,
        r.key().map(str::to_owned),
    )
}

/// A rolling window of one of the engine's rollup keys: key id and window.
type WindowId = (u32, i64);

/// One partition's engine and position.
#[derive(Debug)]
pub struct PartitionState {
    /// Partition number.
    pub partition: i32,
    engine: Engine,
    /// Offset of the next message to process.
    pub next_offset: i64,
    /// Offset committed last (state covers every message before it once
    /// flushed).
    pub committed: i64,
    /// Added to the position to give the version of minute rows, so that
    /// versions keep growing when a new log starts again from a low offset.
    pub version_base: u64,
    /// While the position is below this offset, nothing is forgotten:
    /// after a restore, messages whose events ClickHouse holds are read
    /// again (from the committed offset, or from the log's start), and each
    /// must still be found a duplicate.
    pub catch_up_until: i64,
    max_minute: i64,
    max_received: Option<DateTime<Utc>>,
    /// The counts last written for each window of each engine key.
    written: HashMap<WindowId, Counts>,
    /// Snapshot rows ClickHouse held at restore, until the next snapshot
    /// matches them to engine keys.
    stored: Vec<SnapshotRow>,
    /// Rows read since the last flush.
    pub pending: Pending,
}

impl PartitionState {
    /// An empty state starting at `committed`.
    pub fn new(partition: i32, committed: i64, config: EngineConfig) -> Self {
        PartitionState {
            partition,
            engine: Engine::new(config),
            next_offset: committed,
            committed,
            version_base: 0,
            catch_up_until: 0,
            max_minute: i64::MIN,
            max_received: None,
            written: HashMap::default(),
            stored: Vec::new(),
            pending: Pending::default(),
        }
    }

    /// Replays a counted event stored in ClickHouse (restoring state); it
    /// is not written again.
    pub fn restore(&mut self, event: &EventView<'_>) {
        if self.engine.record(event) == Outcome::Counted {
            self.note(event);
        }
    }

    /// Ends a restore from every event ClickHouse holds for the partition;
    /// `stored` holds its snapshot rows. Ids and minutes that can no longer
    /// change are forgotten as after a flush (unless catching up), so that
    /// a restored state judges a message as the state it replaces would
    /// have (a retry after the allowed lateness is late, not a duplicate,
    /// either way). Every minute held is written again at the next flush:
    /// events stored past the committed offset (a crash between the
    /// events' insert and the commit) may lack their minute rows, and
    /// nothing says which.
    pub fn restored(&mut self, stored: Vec<SnapshotRow>) {
        self.forget_settled();
        self.engine.mark_all_changed();
        self.written.clear();
        self.stored = stored;
    }

    fn note(&mut self, event: &EventView<'_>) {
        self.max_minute = self
            .max_minute
            .max(minute_of(event.occurred_at.with_timezone(&Utc)));
        if self.max_received.is_none_or(|r| event.received_at > r) {
            self.max_received = Some(event.received_at);
        }
    }

    /// Handles the message at `offset`. Messages before the position (a
    /// redelivery of what this state already holds) are skipped.
    pub fn handle(&mut self, offset: i64, key: Option<&[u8]>, payload: &[u8], now: DateTime<Utc>) {
        if offset < self.next_offset {
            return;
        }
        self.next_offset = offset + 1;
        self.pending.messages += 1;
        let partition = self.partition;
        let reject = |pending: &mut Pending, reason: String| {
            let kept = &payload[..payload.len().min(REJECTED_PAYLOAD_LIMIT)];
            pending.rejected.push(Rejected {
                row: RejectedRow {
                    kafka_partition: partition as u16,
                    kafka_offset: offset as u64,
                    seen_at: seconds(&now),
                    reason,
                    payload: String::from_utf8_lossy(kept).into_owned(),
                },
                key: key.map(<[u8]>::to_vec),
                payload: payload.to_vec(),
            });
        };
        let (text, event) = match EventView::from_json_text(payload) {
            Ok(decoded) => decoded,
            Err(e) => {
                let reason = format!("not a feedback event v1: {e}");
                return reject(&mut self.pending, reason);
            }
        };
        if event.v != 1 {
            let reason = format!(
                "v: format version {} is not supported (expected 1)",
                event.v
            );
            return reject(&mut self.pending, reason);
        }
        let uncounted = |reason: &str| UncountedRow {
            event_id: event.event_id.as_ref().to_owned(),
            kafka_partition: self.partition as u16,
            kafka_offset: offset as u64,
            occurred_at: seconds(&event.occurred_at),
            received_at: seconds(&event.received_at),
            facility: event.facility.as_ref().to_owned(),
            department: event.department.as_ref().to_owned(),
            reason: reason.to_owned(),
            payload: text.to_owned(),
        };
        // Encoded before counting, so that an event that cannot be written
        // is rejected rather than counted; dropped again unless counted.
        let mark = self.pending.events.mark();
        let row = EventWrite::new(&event, text, self.partition, offset);
        if let Err(e) = self.pending.events.push(&row) {
            let reason = format!("cannot be written to feedback_events: {e}");
            return reject(&mut self.pending, reason);
        }
        let outcome = self.engine.record(&event);
        if outcome != Outcome::Counted {
            self.pending.events.truncate(mark);
        }
        match outcome {
            Outcome::Counted => {
                self.note(&event);
                self.pending.received.push(event.received_at);
            }
            Outcome::Duplicate => self.pending.duplicates += 1,
            Outcome::Late => {
                let row = uncounted("late");
                self.pending.uncounted.push(row);
            }
            Outcome::Suspect => {
                let row = uncounted("repeat_press");
                self.pending.uncounted.push(row);
            }
            Outcome::Invalid => {
                let reason = "answers: an answer is not valid on its scale".into();
                reject(&mut self.pending, reason)
            }
        }
    }

    /// Per-minute counts changed since the last call, with the version
    /// they are written with: the position they include, plus the base.
    pub fn minute_rows(&mut self) -> (u64, Vec<MinuteRow>) {
        let version = self.next_offset.max(0) as u64 + self.version_base;
        (version, self.engine.drain_minutes())
    }

    /// Snapshot rows that differ from what was written last, at `now` (or
    /// the latest event time if later); a key whose window emptied gets a
    /// row of zeros. Unchanged windows are compared by key id, without
    /// building their rows.
    pub fn snapshot_rows(&mut self, now: DateTime<Utc>, version: u64) -> Vec<SnapshotRow> {
        let minute = minute_of(now).max(self.max_minute);
        let at = DateTime::from_timestamp(minute * 60, 0).unwrap_or(now);
        let at_secs = seconds(&at);
        let snapshots = self.engine.snapshots(at);
        let mut out = Vec::new();
        if !self.stored.is_empty() {
            // After a restore: what ClickHouse holds, matched to engine keys
            // by their columns; rows of keys the engine no longer has are
            // emptied.
            let mut stored: HashMap<SnapshotId, SnapshotRow> = std::mem::take(&mut self.stored)
                .into_iter()
                .map(|r| (snapshot_id(&r), r))
                .collect();
            for s in &snapshots {
                let id = snapshot_id(&SnapshotRow::new(s, self.partition, at_secs, version));
                if let Some(row) = stored.remove(&id) {
                    self.written.insert((s.id, s.window), row.counts());
                }
            }
            out.extend(
                stored
                    .into_values()
                    .filter(|old| old.responses > 0)
                    .map(|old| old.emptied(at_secs, version)),
            );
        }
        let mut current: HashMap<WindowId, Counts> = HashMap::default();
        current.reserve(snapshots.len());
        for s in &snapshots {
            let id = (s.id, s.window);
            if !self
                .written
                .get(&id)
                .is_some_and(|old| old.same_answers(&s.counts))
            {
                out.push(SnapshotRow::new(s, self.partition, at_secs, version));
            }
            current.insert(id, s.counts);
        }
        for ((key, window), old) in self.written.drain() {
            if !current.contains_key(&(key, window)) && !old.is_empty() {
                let zero = self.engine.empty_snapshot(key, window);
                out.push(SnapshotRow::new(&zero, self.partition, at_secs, version));
            }
        }
        self.written = current;
        out
    }

    /// Forgets what can no longer change (see `Engine::forget_settled`),
    /// keeping [`DISORDER`] to spare.
    pub fn forget_settled(&mut self) {
        if self.next_offset < self.catch_up_until {
            return;
        }
        if let Some(received) = self.max_received {
            self.engine.forget_settled(received - DISORDER);
        }
    }

    /// Cell-minutes, rollup keys and event ids held.
    pub fn held(&self) -> (usize, usize, usize) {
        let (minutes, keys) = self.engine.held();
        (minutes, keys, self.engine.remembered_ids())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, occurred: &str, received: &str) -> Vec<u8> {
        let overall =
            serde_json::json!({ "question": "overall", "scale": "rating_0_10", "value": 9 });
        answered(id, occurred, received, overall)
    }

    fn answered(id: &str, occurred: &str, received: &str, overall: serde_json::Value) -> Vec<u8> {
        serde_json::json!({
            "v": 1, "event_id": id, "occurred_at": occurred, "responded_at": occurred,
            "received_at": received, "organisation": "o", "facility": "f", "department": "ed",
            "journey": "ed-visit", "stage": "triage", "touchpoint": "t", "experience": "patient",
            "channel": "sms", "respondent_role": "patient", "questionnaire": "q",
            "overall": overall, "consent_to_contact": false
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn settling_minutes_into_hours_rewrites_no_snapshot() {
        let mut state = PartitionState::new(0, 0, EngineConfig::default());
        let now = "2026-11-09T12:00:00Z".parse().expect("time");
        // Smiley answers (linear 0, 33.3.., 66.6.., 100) whose sum depends
        // on the order they are added in: 200.0 one way, 200.00000000000003
        // the other.
        let labels = ["very_unhappy", "unhappy", "happy", "very_happy"];
        for (i, label) in labels.iter().enumerate() {
            let overall =
                serde_json::json!({ "question": "overall", "scale": "smiley_4", "value": label });
            let occurred = format!("2026-11-01T10:0{i}:00Z");
            let payload = answered(&format!("s{i}"), &occurred, "2026-11-01T10:05:00Z", overall);
            state.handle(i as i64, None, &payload, now);
        }
        let later = event("later", "2026-11-09T10:00:00Z", "2026-11-09T10:05:00Z");
        state.handle(4, None, &later, now);
        assert!(!state.snapshot_rows(now, 1).is_empty());
        // The first of November is settled: its minutes go to their hours.
        state.forget_settled();
        assert_eq!(state.held().0, 1, "only the ninth's minute is held");
        let rows = state.snapshot_rows(now, 2);
        assert!(rows.is_empty(), "nothing new was counted: {rows:?}");
    }

    #[test]
    fn a_restored_state_judges_a_late_retry_as_the_live_state_does() {
        let first = event("a", "2026-11-01T10:00:00Z", "2026-11-01T10:05:00Z");
        let later = event("b", "2026-11-09T10:00:00Z", "2026-11-09T10:05:00Z");
        let now = "2026-11-09T12:00:00Z".parse().expect("time");
        let config = EngineConfig::default();

        let mut live = PartitionState::new(0, 0, config.clone());
        live.handle(0, None, &first, now);
        live.handle(1, None, &later, now);
        live.forget_settled(); // as after the flush that committed offset 2

        let mut restored = PartitionState::new(0, 2, config);
        for payload in [&first, &later] {
            restored.restore(&EventView::from_json(payload).expect("event"));
        }
        restored.restored(Vec::new());

        // A client resends event "a" eight days after the touchpoint.
        let retry = event("a", "2026-11-01T10:00:00Z", "2026-11-09T11:00:00Z");
        for (state, name) in [(&mut live, "live"), (&mut restored, "restored")] {
            state.pending = Pending::default();
            state.handle(2, None, &retry, now);
            let reasons: Vec<&str> = state
                .pending
                .uncounted
                .iter()
                .map(|r| r.reason.as_str())
                .collect();
            assert_eq!(reasons, ["late"], "{name} state");
            assert_eq!(state.pending.duplicates, 0, "{name} state");
        }
    }
}
