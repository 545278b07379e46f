//! Incidents on the scenario's timeline: a stage whose scores drop, a kiosk
//! going silent, a burst of duplicates, a flood of bad events, a kiosk
//! button mashed. Start and duration are spans from the run's start, fixed
//! (`26h`) or a share of the run (`40%`).

use carepulse_model::Scale;
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::span::Span;

mod check;

pub(crate) use check::check;

/// `[[incidents]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum IncidentFile {
    StageDrop {
        name: Option<String>,
        stage: String,
        start: String,
        duration: String,
        drop: f64,
        #[serde(default)]
        items: Vec<String>,
    },
    KioskSilent {
        name: Option<String>,
        device: String,
        start: String,
        duration: String,
    },
    Duplicates {
        name: Option<String>,
        start: String,
        duration: String,
        share: f64,
        facility: Option<String>,
    },
    BadEvents {
        name: Option<String>,
        start: String,
        duration: String,
        per_minute: f64,
        facility: Option<String>,
    },
    ButtonMash {
        name: Option<String>,
        device: String,
        start: String,
        presses: u32,
        within: String,
        button: Option<String>,
    },
}

/// A checked incident.
#[derive(Debug, Clone)]
pub(crate) struct Incident {
    pub name: String,
    pub(crate) start: Span,
    pub(crate) duration: Span,
    pub what: What,
}

/// What goes wrong.
#[derive(Debug, Clone)]
pub(crate) enum What {
    StageDrop {
        journey: String,
        stage: String,
        drop: f64,
        items: Vec<String>,
    },
    KioskSilent {
        device: String,
    },
    Duplicates {
        share: f64,
        facility: Option<String>,
    },
    BadEvents {
        per_minute: f64,
        facility: String,
    },
    ButtonMash {
        device: String,
        presses: u32,
        button: Option<String>,
        facility: String,
        tz: Tz,
        scale: Scale,
    },
}

impl Incident {
    /// When the incident is in force, for a run of `duration` from `start`.
    pub(crate) fn window(
        &self,
        start: DateTime<Utc>,
        duration: TimeDelta,
    ) -> (DateTime<Utc>, DateTime<Utc>) {
        let from = start + self.start.resolve(duration);
        (from, from + self.duration.resolve(duration))
    }
}

/// The incident kind as written in `kind`, with dashes.
pub(crate) fn kind_name(what: &What) -> &'static str {
    match what {
        What::StageDrop { .. } => "stage-drop",
        What::KioskSilent { .. } => "kiosk-silent",
        What::Duplicates { .. } => "duplicates",
        What::BadEvents { .. } => "bad-events",
        What::ButtonMash { .. } => "button-mash",
    }
}
