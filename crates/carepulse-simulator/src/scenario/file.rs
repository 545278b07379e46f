//! The scenario file as written: every key of docs/simulator.md, parsed
//! with serde and refused when unknown. Checking against the catalog turns
//! it into a [`super::Scenario`] (see `check.rs`).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::incident::IncidentFile;

/// The top level of a scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    pub name: String,
    pub catalog: String,
    #[serde(default)]
    pub duration: Option<String>,
    #[serde(default)]
    pub rhythms: BTreeMap<String, RhythmFile>,
    #[serde(default)]
    pub journeys: Vec<JourneyFile>,
    #[serde(default)]
    pub touchpoints: Vec<TouchpointFile>,
    #[serde(default)]
    pub channels: BTreeMap<String, ChannelFile>,
    #[serde(default)]
    pub questionnaires: BTreeMap<String, QuestionnaireFile>,
    #[serde(default)]
    pub respondents: RespondentsFile,
    #[serde(default)]
    pub comments: CommentsFile,
    #[serde(default)]
    pub incidents: Vec<IncidentFile>,
}

/// `[rhythms.NAME]`: relative visit intensity by local hour and weekday.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RhythmFile {
    #[serde(default = "flat_day")]
    pub hours: Vec<f64>,
    #[serde(default = "flat_week")]
    pub weekdays: Vec<f64>,
}

fn flat_day() -> Vec<f64> {
    vec![1.0; 24]
}

fn flat_week() -> Vec<f64> {
    vec![1.0; 7]
}

/// `[[journeys]]`: how many visits start the journey and how they move
/// through its stages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JourneyFile {
    pub journey: String,
    pub visits_per_day: f64,
    #[serde(default)]
    pub rhythm: Option<String>,
    #[serde(default)]
    pub stages: Option<Vec<StageFile>>,
}

/// One stage of `[[journeys]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StageFile {
    pub stage: String,
    #[serde(default = "one")]
    pub share: f64,
    #[serde(default)]
    pub after: Option<[String; 2]>,
    #[serde(default)]
    pub hours: Option<[u32; 2]>,
    #[serde(default)]
    pub days: Option<Vec<String>>,
}

fn one() -> f64 {
    1.0
}

/// `[[touchpoints]]`: who is asked there, by which channels, and how well
/// the touchpoint does in normal times.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TouchpointFile {
    pub touchpoint: String,
    #[serde(default)]
    pub stage: Option<String>,
    pub asked: f64,
    pub channels: BTreeMap<String, f64>,
    pub top_box: f64,
}

/// `[channels.NAME]`: overrides of a channel's built-in behaviour.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChannelFile {
    #[serde(default)]
    pub answer_rate: Option<f64>,
    #[serde(default)]
    pub delay: Option<[String; 2]>,
    #[serde(default)]
    pub source: Option<String>,
}

/// `[questionnaires.ID]`: the true driver model of a questionnaire.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuestionnaireFile {
    #[serde(default)]
    pub r_squared: Option<f64>,
    #[serde(default)]
    pub halo: Option<f64>,
    #[serde(default)]
    pub item_nonresponse: Option<f64>,
    #[serde(default)]
    pub items: BTreeMap<String, ItemFile>,
}

/// One item of `[questionnaires.ID.items]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ItemFile {
    pub weight: f64,
    pub top_box: f64,
}

/// `[respondents]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RespondentsFile {
    pub roles: BTreeMap<String, f64>,
    pub locales: BTreeMap<String, f64>,
    pub references: f64,
    pub consent_to_contact: f64,
    pub patients: u32,
}

impl Default for RespondentsFile {
    fn default() -> Self {
        RespondentsFile {
            roles: BTreeMap::from([
                ("patient".into(), 0.8),
                ("family_or_carer".into(), 0.17),
                ("visitor".into(), 0.03),
            ]),
            locales: BTreeMap::from([("en-GB".into(), 1.0)]),
            references: 0.7,
            consent_to_contact: 0.3,
            patients: 50_000,
        }
    }
}

/// `[comments]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct CommentsFile {
    pub share: f64,
    pub identifiers: f64,
}

impl Default for CommentsFile {
    fn default() -> Self {
        CommentsFile {
            share: 0.25,
            identifiers: 0.1,
        }
    }
}
