//! Scenario files: what a simulated hospital does, on top of its catalog.
//!
//! Parsing is two steps because the scenario names its catalog and this
//! crate does no IO: [`ScenarioFile::from_toml`] reads the file and tells
//! which catalog it wants ([`ScenarioFile::catalog`]); the caller loads that
//! catalog and [`ScenarioFile::check`] checks every reference against it,
//! reporting every problem with its TOML path and what to change.

mod check;
mod file;
mod journeys;
mod models;
mod touchpoints;

pub(crate) use check::Checker;

use std::fmt;

use carepulse_model::{Catalog, Channel};
use chrono::TimeDelta;
use chrono_tz::Tz;

use crate::incident::{Incident, What};
use crate::latent::AnswerModel;
use crate::rhythm::Rhythm;

/// One thing wrong with a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioProblem {
    /// Where: `touchpoints[3].channels.kiosk`.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for ScenarioProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why a scenario cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    /// Not valid TOML, or a key of the wrong type or unknown.
    #[error("scenario is not valid: {0}")]
    Syntax(String),
    /// Valid TOML whose contents do not fit the catalog or each other.
    #[error("scenario has {} problem(s):\n{}", .0.len(), list(.0))]
    Invalid(Vec<ScenarioProblem>),
}

fn list(problems: &[ScenarioProblem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
    lines.join("\n")
}

/// A parsed scenario file, not yet checked against its catalog.
#[derive(Debug, Clone)]
pub struct ScenarioFile {
    file: file::File,
}

impl ScenarioFile {
    /// Parses a scenario file.
    pub fn from_toml(text: &str) -> Result<ScenarioFile, ScenarioError> {
        toml::from_str(text)
            .map(|file| ScenarioFile { file })
            .map_err(|e| ScenarioError::Syntax(e.to_string()))
    }

    /// The catalog the scenario is written for, as written in the file:
    /// a path relative to the scenario file's folder.
    pub fn catalog(&self) -> &str {
        &self.file.catalog
    }

    /// Checks the scenario against its catalog.
    pub fn check(self, catalog: &Catalog) -> Result<Scenario, ScenarioError> {
        check::check(self.file, catalog)
    }
}

/// A checked scenario, ready to generate streams with
/// [`Scenario::stream`](crate::Scenario::stream).
#[derive(Debug, Clone)]
pub struct Scenario {
    pub(crate) name: String,
    pub(crate) duration: TimeDelta,
    pub(crate) journeys: Vec<JourneyPlan>,
    pub(crate) touchpoints: Vec<TouchpointPlan>,
    pub(crate) channels: Vec<ChannelPlan>,
    pub(crate) models: Vec<AnswerModel>,
    pub(crate) respondents: Respondents,
    pub(crate) comments: CommentPlan,
    pub(crate) incidents: Vec<Incident>,
    /// How long before a run visits must start for the run to begin in a
    /// steady state (the longest journey plus the slowest answer).
    pub(crate) warm_up: TimeDelta,
}

impl Scenario {
    /// The scenario's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The simulated duration the scenario suggests (`duration`, default
    /// one day).
    pub fn duration(&self) -> TimeDelta {
        self.duration
    }

    /// The facilities the scenario sends from (whose API tokens an HTTP
    /// run needs), sorted.
    pub fn facilities(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .touchpoints
            .iter()
            .map(|t| t.facility.as_str())
            .collect();
        for incident in &self.incidents {
            match &incident.what {
                What::BadEvents { facility, .. } | What::ButtonMash { facility, .. } => {
                    ids.push(facility)
                }
                _ => {}
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The plan of the channel `channel`.
    pub(crate) fn channel(&self, channel: Channel) -> &ChannelPlan {
        let i = Channel::ALL
            .iter()
            .position(|c| *c == channel)
            .expect("every channel is listed");
        &self.channels[i]
    }
}

/// A journey: visits per day, rhythm and stages.
#[derive(Debug, Clone)]
pub(crate) struct JourneyPlan {
    pub id: String,
    pub visits_per_day: f64,
    pub rhythm: Rhythm,
    /// Time zone of the facility of the first stage: the rhythm's clock.
    pub tz: Tz,
    pub stages: Vec<StagePlan>,
}

/// A stage as visitors pass it.
#[derive(Debug, Clone)]
pub(crate) struct StagePlan {
    pub id: String,
    pub share: f64,
    pub after: (TimeDelta, TimeDelta),
    /// When the stage is open; visits that reach it outside are seen at
    /// a random time of its next opening.
    pub opening: Option<Opening>,
    /// Indexes into [`Scenario::touchpoints`].
    pub touchpoints: Vec<usize>,
}

/// A touchpoint where feedback is collected.
#[derive(Debug, Clone)]
pub(crate) struct TouchpointPlan {
    pub id: String,
    pub facility: String,
    pub tz: Tz,
    pub journey: String,
    pub stage: String,
    /// Whether submissions must name journey and stage (the touchpoint
    /// serves several stages).
    pub name_stage: bool,
    pub asked: f64,
    pub channels: Vec<(Channel, f64)>,
    /// Kiosk devices at the touchpoint; kiosk feedback goes through them.
    pub devices: Vec<String>,
    /// Index into [`Scenario::models`].
    pub model: usize,
    /// Latent mean of the overall answer in normal times.
    pub mean: f64,
}

/// How a channel behaves.
#[derive(Debug, Clone)]
pub(crate) struct ChannelPlan {
    pub answer_rate: f64,
    pub delay: (TimeDelta, TimeDelta),
    pub source: String,
}

/// Who answers.
#[derive(Debug, Clone)]
pub(crate) struct Respondents {
    pub roles: Vec<(&'static str, f64)>,
    pub locales: Vec<(String, f64)>,
    pub references: f64,
    pub consent_to_contact: f64,
    pub patients: u32,
}

/// How often comments come, and how often with an identifier.
#[derive(Debug, Clone)]
pub(crate) struct CommentPlan {
    pub share: f64,
    pub identifiers: f64,
}

/// Opening hours of a stage, in the facility's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Opening {
    /// Opening and closing hour, `open < close <= 24`.
    pub hours: (u32, u32),
    /// Open days, Monday first; at least one.
    pub days: [bool; 7],
}
