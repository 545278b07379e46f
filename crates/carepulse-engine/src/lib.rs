//! The scoring engine: turns feedback events into per-minute counts per cell
//! and rolling-window counts per rollup key. Pure and synchronous: no IO, no
//! async runtime, no clock (time comes from the events and the caller). The
//! stream processor is a thin loop around it; tests call it directly.
//!
//! What it decides, per event ([`Outcome`]):
//! - **suspect** (a kiosk repeat press): kept for audit, never counted;
//! - **duplicate**: an event id already counted is counted once only;
//! - **late**: answered (`received_at`) more than the allowed lateness after
//!   the touchpoint (`occurred_at`): not counted, for the caller to keep for
//!   audit. Lateness is measured against `received_at`, which a redelivery
//!   carries unchanged, so replaying a message always gives the same verdict;
//! - otherwise **counted**: every answer (overall and items) is added to its
//!   cell's minute (event time); rolling windows of every rollup are summed
//!   from the cells' minutes and settled hours when snapshots are taken.
//!
//! ```
//! use carepulse_engine::{Engine, EngineConfig, Outcome};
//! let mut engine = Engine::new(EngineConfig::default());
//! # let json = r#"{"v":1,"event_id":"e1",
//! #   "occurred_at":"2026-11-21T09:15:00Z","responded_at":"2026-11-21T09:15:00Z","received_at":"2026-11-21T09:15:02Z",
//! #   "organisation":"o","facility":"f","department":"ed","journey":"ed-visit","stage":"triage","touchpoint":"t",
//! #   "experience":"customer","channel":"kiosk","respondent_role":"unknown","questionnaire":"kiosk-smiley",
//! #   "overall":{"question":"overall","scale":"smiley_4","value":"happy"},"consent_to_contact":false}"#;
//! let event = carepulse_model::EventView::from_json(json.as_bytes()).unwrap();
//! assert_eq!(engine.record(&event), Outcome::Counted);
//! assert_eq!(engine.record(&event), Outcome::Duplicate);
//! let rows = engine.drain_minutes();
//! assert_eq!(rows[0].counts.responses, 1);
//! ```

mod cell;
mod counts;
mod history;
mod rolling;
mod seen;
mod slots;

use carepulse_model::{EventView, Response};
use chrono::{DateTime, TimeDelta, Utc};

use cell::{dimensions, CellIndex};
use seen::{IdHash, SeenIds};

pub use cell::{Cell, Interner, Sym, ALL, DIMENSIONS};
pub use counts::Counts;
pub use history::{CellHistory, MinuteRow};
pub use rolling::{RollingScores, Rollup, Snapshot, Window};

/// What the engine did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Counted in its minute and every rolling window.
    Counted,
    /// Its event id was counted before.
    Duplicate,
    /// Received after the allowed lateness; not counted.
    Late,
    /// Marked suspect at ingest (kiosk repeat press); not counted.
    Suspect,
    /// An answer is not valid on its scale (a producer bug); not counted.
    Invalid,
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How long after the touchpoint an answer still counts.
    pub allowed_lateness: TimeDelta,
    /// Rollups kept in rolling windows.
    pub rollups: Vec<Rollup>,
    /// Rolling windows.
    pub windows: Vec<Window>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        let rollup =
            |name: &str, dims: &[&str]| Rollup::keeping(name, dims).expect("known dimensions");
        EngineConfig {
            allowed_lateness: TimeDelta::days(7),
            rollups: vec![
                rollup("facility", &["facility", "organisation"]),
                rollup(
                    "facility_experience",
                    &["facility", "organisation", "experience"],
                ),
                rollup("department", &["facility", "organisation", "department"]),
                rollup(
                    "department_experience",
                    &["facility", "organisation", "department", "experience"],
                ),
                rollup(
                    "department_stage",
                    &["facility", "organisation", "department", "journey", "stage"],
                ),
                rollup("journey", &["journey"]),
                rollup("journey_stage", &["journey", "stage"]),
                rollup("channel", &["facility", "organisation", "channel"]),
            ],
            windows: vec![
                Window { minutes: 60 },
                Window { minutes: 24 * 60 },
                Window {
                    minutes: 7 * 24 * 60,
                },
                Window {
                    minutes: 28 * 24 * 60,
                },
            ],
        }
    }
}

/// Minutes since the Unix epoch.
pub fn minute_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

/// The engine for the events of one Kafka partition.
#[derive(Debug)]
pub struct Engine {
    cells: CellIndex,
    lateness: TimeDelta,
    seen: SeenIds,
    history: CellHistory,
    rolling: RollingScores,
    /// The answers of the event being recorded (reused, not reallocated).
    responses: Vec<Response>,
}

impl Engine {
    /// An empty engine.
    pub fn new(config: EngineConfig) -> Self {
        let mut cells = CellIndex::default();
        let history = CellHistory::new(RollingScores::hours_kept(&config.windows));
        let rolling = RollingScores::new(config.rollups, config.windows, cells.interner());
        Engine {
            cells,
            lateness: config.allowed_lateness,
            seen: SeenIds::default(),
            history,
            rolling,
            responses: Vec::new(),
        }
    }

    /// Counts an event, or says why not.
    pub fn record(&mut self, event: &EventView<'_>) -> Outcome {
        if event.suspect.is_some() {
            return Outcome::Suspect;
        }
        let id_hash = IdHash::of(&event.event_id);
        if self.seen.contains(&event.event_id, id_hash) {
            return Outcome::Duplicate;
        }
        let occurred = event.occurred_at.with_timezone(&Utc);
        if event.received_at - occurred > self.lateness {
            return Outcome::Late;
        }
        // Read every answer before counting any.
        self.responses.clear();
        for answer in event.answers() {
            match answer.scale.read(answer.value.as_ref()) {
                Some(response) => self.responses.push(response),
                None => return Outcome::Invalid,
            }
        }
        let minute = minute_of(occurred);
        let dims = self.cells.dims_id(dimensions(event));
        for (answer, response) in event.answers().zip(&self.responses) {
            let (cell, new) = self.cells.cell_id(dims, &answer.question, answer.scale);
            if new {
                self.rolling.register(self.cells.cell(cell));
            }
            let mut one = Counts::default();
            one.record(response);
            self.history.add(minute, cell, &one);
        }
        self.seen.insert(&event.event_id, id_hash, minute);
        Outcome::Counted
    }

    /// Full values of every cell-minute changed since the last call, in no
    /// particular order.
    pub fn drain_minutes(&mut self) -> Vec<MinuteRow> {
        self.history.drain_changed(&self.cells)
    }

    /// Marks every minute held as changed: the next
    /// [`Engine::drain_minutes`] returns them all, for a caller that cannot
    /// tell which of them storage holds.
    pub fn mark_all_changed(&mut self) {
        self.history.mark_all_changed();
    }

    /// Rolling-window counts of every rollup key at `now`, which must not
    /// be earlier than any counted event's time (the processor passes its
    /// event-time watermark).
    pub fn snapshots(&self, now: DateTime<Utc>) -> Vec<Snapshot> {
        self.rolling.snapshots(minute_of(now), &self.history)
    }

    /// The snapshot of rollup key `id` over `window` minutes with nothing
    /// counted: what a window that emptied is written as.
    pub fn empty_snapshot(&self, id: u32, window: i64) -> Snapshot {
        self.rolling.empty(id, window)
    }

    /// Forgets event ids and minutes that can no longer change: touchpoints
    /// before `received_watermark - allowed lateness`. Any later event for
    /// them is late by definition, so forgetting them loses nothing.
    pub fn forget_settled(&mut self, received_watermark: DateTime<Utc>) {
        let first = minute_of(received_watermark - self.lateness);
        self.seen.forget_before(first);
        self.history.forget_before(first);
    }

    /// Event ids remembered for deduplication.
    pub fn remembered_ids(&self) -> usize {
        self.seen.len()
    }

    /// Cell-minutes held, rollup keys held.
    pub fn held(&self) -> (usize, usize) {
        (self.history.len(), self.rolling.keys())
    }
}
