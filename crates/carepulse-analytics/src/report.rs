//! What the engine is asked ([`ReportSettings`]) and what it answers
//! ([`Report`]): scores, driver analyses, question quality and journeys
//! over one window of events. `builder` collects the events.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::drivers::{DriverAnalysis, DriverSettings};
use crate::journeys::JourneyReport;
use crate::quality::{QualitySettings, QuestionnaireQuality};
use crate::scores::{Dimension, ScoreRow};

/// What to compute, over which window; `Default` holds the documented
/// values (no window, minimum n 30).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReportSettings {
    /// Events with `occurred_at` at or after this time (none: no start).
    pub from: Option<DateTime<Utc>>,
    /// Events with `occurred_at` before this time (none: no end).
    pub until: Option<DateTime<Utc>>,
    /// Scores and journey stages with fewer answers are marked insufficient.
    pub min_n: u64,
    /// Driver analysis.
    pub drivers: DriverSettings,
    /// Question quality.
    pub quality: QualitySettings,
    /// Visits needed in each group of a stage-impact comparison.
    pub min_linked: u64,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            from: None,
            until: None,
            min_n: 30,
            drivers: DriverSettings::default(),
            quality: QualitySettings::default(),
            min_linked: 10,
        }
    }
}

/// Why an event was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// Its `event_id` was seen before.
    Duplicate,
    /// Flagged `suspect` (a repeated kiosk press).
    Suspect,
    /// `occurred_at` outside the window.
    OutsideWindow,
}

/// Counts of the events offered.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InputSummary {
    /// Events offered.
    pub events: u64,
    /// Events used.
    pub used: u64,
    /// Skipped as repeats of an earlier `event_id`.
    pub duplicates: u64,
    /// Skipped as suspect.
    pub suspect: u64,
    /// Skipped as outside the window.
    pub outside_window: u64,
}

/// Driver analysis of one questionnaire in one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriverGroup {
    /// Questionnaire id.
    pub questionnaire: String,
    /// Grouped by.
    pub dimension: Dimension,
    /// Group key.
    pub key: String,
    /// The analysis.
    pub analysis: DriverAnalysis,
}

/// Question quality of one questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityReport {
    /// Questionnaire id.
    pub questionnaire: String,
    /// The figures.
    #[serde(flatten)]
    pub quality: QuestionnaireQuality,
}

/// Everything the engine computes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The settings used, the window among them.
    pub settings: ReportSettings,
    /// What happened to the events.
    pub input: InputSummary,
    /// Scores per department, stage and experience.
    pub scores: Vec<ScoreRow>,
    /// Driver analyses per questionnaire and group.
    pub drivers: Vec<DriverGroup>,
    /// Question quality per questionnaire.
    pub quality: Vec<QualityReport>,
    /// Journeys in catalog order.
    pub journeys: Vec<JourneyReport>,
    /// Events whose questionnaire, journey or stage the catalog lacks.
    pub notes: Vec<String>,
}
