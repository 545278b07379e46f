//! The analytics tables (migration 4): what `carepulse analyze` stores of
//! the analytics engine's [`Report`] over a window, one computation per
//! `computed_at`, and how a report becomes rows.
//!
//! - `driver_importance`: one row per driver of each analysed group
//!   (questionnaire × all / department / journey / experience), with the
//!   group's method, n, R² and interval repeated on each; a group below the
//!   minimum n is one row with `reliable = 0`, an empty `item`, its counts
//!   and the reason in `note`, and no importance figures. `departments`,
//!   `journeys` and `experiences` list (comma-separated) where the group's
//!   responses came from, so a dashboard can show a department's drivers
//!   also when the engine left the department grouping out as a repeat of
//!   the questionnaire's "all" analysis (asked in one department only).
//! - `question_quality`: one row per item of each questionnaire, with the
//!   questionnaire's alpha repeated.
//! - `journey_stage_scores`: one row per stage of each journey, in order,
//!   with the weakest stage flagged and the stage-impact figures (empty
//!   where no linked visits rated the stage).
//! - `analysis_runs`: one row per computation, written last: a computation
//!   is complete when its run row exists, so readers take
//!   `computed_at = (SELECT max(computed_at) FROM analysis_runs)`.
//!
//! Every table is a `ReplacingMergeTree` ordered by `computed_at` first: a
//! retried write of the same computation replaces itself, and the latest
//! computation is a prefix of the key.

use std::collections::{BTreeMap, BTreeSet};

use carepulse_analytics::{Dimension, DriverAnalysis, Interval, Method, QualityReport, Report};
use carepulse_model::FeedbackEvent;
use clickhouse::Row;
use serde::{Deserialize, Serialize};

/// A row of `analysis_runs`: one computation.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct AnalysisRunRow {
    /// When it was computed (Unix seconds); the key of every row it wrote.
    pub computed_at: u32,
    /// Events with `occurred_at` from this time...
    pub window_from: u32,
    /// ...to this time (exclusive).
    pub window_to: u32,
    /// Rows read from `feedback_events`.
    pub events_read: u64,
    /// Events the engine used.
    pub events_used: u64,
    /// Repeats of an event id (none under `FINAL`).
    pub duplicates: u64,
    /// Rows whose payload did not decode or whose answers are off scale.
    pub malformed: u64,
    /// Minimum n of scores, stages, drivers and alpha.
    pub min_n: u64,
    /// Bootstrap replicates of the driver intervals.
    pub replicates: u32,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Driver rows written.
    pub driver_rows: u32,
    /// Question-quality rows written.
    pub quality_rows: u32,
    /// Journey-stage rows written.
    pub stage_rows: u32,
    /// Seconds the computation took.
    pub duration_seconds: f64,
    /// The engine's notes (events the catalog does not describe), one a line.
    pub notes: String,
}

/// A row of `driver_importance`: one driver of one group, or one group
/// that is not reliable.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct DriverImportanceRow {
    /// When it was computed (Unix seconds).
    pub computed_at: u32,
    /// Window start.
    pub window_from: u32,
    /// Window end (exclusive).
    pub window_to: u32,
    /// Questionnaire id.
    pub questionnaire: String,
    /// `all`, `department`, `journey` or `experience`.
    pub dimension: String,
    /// The group's key (`all`, `ed`, `ed-visit`, `patient`).
    pub group_key: String,
    /// Departments the group's responses came from, comma-separated.
    pub departments: String,
    /// Journeys the group's responses came from, comma-separated.
    pub journeys: String,
    /// Experience types of the group's responses, comma-separated.
    pub experiences: String,
    /// `shapley` or `relative_weights` ('' when not reliable).
    pub method: String,
    /// Responses seen, complete or not.
    pub responses: u64,
    /// Complete responses (analysed, when reliable).
    pub n: u64,
    /// The minimum asked for.
    pub min_n: u64,
    /// 1 when analysed, 0 when not reliable.
    pub reliable: u8,
    /// Why not reliable ('' when reliable).
    pub note: String,
    /// R² of the overall on all items.
    pub r_squared: Option<f64>,
    /// Bootstrap interval of R².
    pub r_squared_low: Option<f64>,
    /// Bootstrap interval of R².
    pub r_squared_high: Option<f64>,
    /// F test of R² against zero.
    pub p_value: Option<f64>,
    /// Mean 0-100 overall score of the analysed responses.
    pub overall_mean: Option<f64>,
    /// Item id ('' when not reliable).
    pub item: String,
    /// 1 for the most important (0 when not reliable).
    pub rank: u16,
    /// Part of R² attributed to the item.
    pub importance: Option<f64>,
    /// Bootstrap interval of the importance.
    pub importance_low: Option<f64>,
    /// Bootstrap interval of the importance.
    pub importance_high: Option<f64>,
    /// Importance / R² (0..1).
    pub share: Option<f64>,
    /// Bootstrap interval of the share.
    pub share_low: Option<f64>,
    /// Bootstrap interval of the share.
    pub share_high: Option<f64>,
    /// Mean 0-100 score of the item over the analysed responses.
    pub performance: Option<f64>,
    /// `fix first`, `keep up`, `monitor`, `over-invested` ('' when not
    /// reliable).
    pub quadrant: String,
    /// 1 when everyone gave the item the same answer.
    pub constant: u8,
}

/// A row of `question_quality`: one item of one questionnaire.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct QuestionQualityRow {
    /// When it was computed (Unix seconds).
    pub computed_at: u32,
    /// Window start.
    pub window_from: u32,
    /// Window end (exclusive).
    pub window_to: u32,
    /// Questionnaire id.
    pub questionnaire: String,
    /// Responses to the questionnaire.
    pub responses: u64,
    /// Responses that answered every item.
    pub complete: u64,
    /// Cronbach's alpha of all items.
    pub alpha: Option<f64>,
    /// Why alpha is missing ('' when present).
    pub note: String,
    /// Position of the item in the questionnaire, from 1.
    pub position: u16,
    /// Item id.
    pub item: String,
    /// Answers with a 0-100 score.
    pub answered: u64,
    /// Responses without a score for the item, in percent.
    pub non_response: f64,
    /// Mean 0-100 score.
    pub mean: Option<f64>,
    /// Top-box share, in percent.
    pub top_box: Option<f64>,
    /// Bottom-box share, in percent.
    pub bottom_box: Option<f64>,
    /// Corrected item-total correlation.
    pub item_total: Option<f64>,
    /// Alpha of the other items.
    pub alpha_if_deleted: Option<f64>,
    /// `ceiling`, `floor`, `low item-total`, `high non-response`,
    /// comma-separated ('' when none).
    pub flags: String,
}

/// A row of `journey_stage_scores`: one stage of one journey.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct JourneyStageScoreRow {
    /// When it was computed (Unix seconds).
    pub computed_at: u32,
    /// Window start.
    pub window_from: u32,
    /// Window end (exclusive).
    pub window_to: u32,
    /// Journey id.
    pub journey: String,
    /// Journey display name.
    pub journey_name: String,
    /// Position of the stage, from 1.
    pub position: u16,
    /// Stage id.
    pub stage: String,
    /// Stage display name.
    pub stage_name: String,
    /// Department running the stage.
    pub department: String,
    /// Organisation of that department.
    pub organisation: String,
    /// Answers with a 0-100 score.
    pub n: u64,
    /// Mean 0-100 overall score.
    pub linear_mean: Option<f64>,
    /// Top-box share, in percent.
    pub top_box: Option<f64>,
    /// 1 when n is at least the minimum.
    pub sufficient: u8,
    /// 1 for the journey's weakest stage.
    pub weakest: u8,
    /// Visits of the journey with answers at two stages or more.
    pub linked_visits: u64,
    /// Linked visits that rated this stage.
    pub visits: u64,
    /// Of those, visits where this stage was bad (bottom box).
    pub bad_visits: u64,
    /// Mean score of the rest of the visit when this stage was bad.
    pub rest_when_bad: Option<f64>,
    /// Mean score of the rest of the visit when it was not.
    pub rest_when_not_bad: Option<f64>,
    /// `rest_when_bad − rest_when_not_bad`.
    pub impact: Option<f64>,
    /// 1 when both groups hold the minimum number of visits.
    pub impact_reliable: u8,
}

/// The time span a computation covers and when it ran (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Computation {
    /// When it was computed.
    pub computed_at: u32,
    /// Window start.
    pub window_from: u32,
    /// Window end (exclusive).
    pub window_to: u32,
}

/// Every row of one computation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnalysisRows {
    /// `driver_importance`.
    pub drivers: Vec<DriverImportanceRow>,
    /// `question_quality`.
    pub quality: Vec<QuestionQualityRow>,
    /// `journey_stage_scores`.
    pub stages: Vec<JourneyStageScoreRow>,
}

fn low(i: Option<Interval>) -> Option<f64> {
    i.map(|i| i.low)
}

fn high(i: Option<Interval>) -> Option<f64> {
    i.map(|i| i.high)
}

fn joined(set: Option<&BTreeSet<String>>) -> String {
    set.map(|s| s.iter().cloned().collect::<Vec<_>>().join(","))
        .unwrap_or_default()
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Shapley => "shapley",
        Method::RelativeWeights => "relative_weights",
    }
}

impl AnalysisRows {
    /// The rows of `report`, computed as `at`; `coverage` says where each
    /// driver group's responses came from.
    pub fn new(report: &Report, coverage: &Coverage, at: Computation) -> AnalysisRows {
        let mut rows = AnalysisRows::default();
        for group in &report.drivers {
            let cover = coverage.of(&group.questionnaire, group.dimension, &group.key);
            let base = DriverImportanceRow {
                computed_at: at.computed_at,
                window_from: at.window_from,
                window_to: at.window_to,
                questionnaire: group.questionnaire.clone(),
                dimension: group.dimension.name().to_owned(),
                group_key: group.key.clone(),
                departments: joined(cover.map(|c| &c[0])),
                journeys: joined(cover.map(|c| &c[1])),
                experiences: joined(cover.map(|c| &c[2])),
                method: String::new(),
                responses: 0,
                n: 0,
                min_n: report.settings.drivers.min_n,
                reliable: 0,
                note: String::new(),
                r_squared: None,
                r_squared_low: None,
                r_squared_high: None,
                p_value: None,
                overall_mean: None,
                item: String::new(),
                rank: 0,
                importance: None,
                importance_low: None,
                importance_high: None,
                share: None,
                share_low: None,
                share_high: None,
                performance: None,
                quadrant: String::new(),
                constant: 0,
            };
            match &group.analysis {
                DriverAnalysis::NotReliable {
                    responses,
                    complete,
                    min_n,
                    reason,
                } => rows.drivers.push(DriverImportanceRow {
                    responses: *responses,
                    n: *complete,
                    min_n: *min_n,
                    note: format!("not reliable: {reason}"),
                    ..base
                }),
                DriverAnalysis::Analysed(result) => {
                    for d in &result.drivers {
                        rows.drivers.push(DriverImportanceRow {
                            method: method_name(result.method).to_owned(),
                            responses: result.responses,
                            n: result.n,
                            reliable: 1,
                            r_squared: Some(result.r_squared),
                            r_squared_low: low(result.r_squared_interval),
                            r_squared_high: high(result.r_squared_interval),
                            p_value: result.p_value,
                            overall_mean: Some(result.overall_mean),
                            item: d.item.clone(),
                            rank: u16::try_from(d.rank).unwrap_or(u16::MAX),
                            importance: Some(d.importance),
                            importance_low: low(d.importance_interval),
                            importance_high: high(d.importance_interval),
                            share: Some(d.share),
                            share_low: low(d.share_interval),
                            share_high: high(d.share_interval),
                            performance: Some(d.performance),
                            quadrant: d.quadrant.label().to_owned(),
                            constant: u8::from(d.constant),
                            ..base.clone()
                        });
                    }
                }
            }
        }
        for q in &report.quality {
            rows.quality.extend(quality_rows(q, at));
        }
        for journey in &report.journeys {
            let impacts: BTreeMap<&str, _> = journey
                .impacts
                .iter()
                .map(|i| (i.stage.as_str(), i))
                .collect();
            for (i, stage) in journey.stages.iter().enumerate() {
                let impact = impacts.get(stage.info.stage.as_str());
                rows.stages.push(JourneyStageScoreRow {
                    computed_at: at.computed_at,
                    window_from: at.window_from,
                    window_to: at.window_to,
                    journey: journey.journey.clone(),
                    journey_name: journey.name.clone(),
                    position: u16::try_from(i + 1).unwrap_or(u16::MAX),
                    stage: stage.info.stage.clone(),
                    stage_name: stage.info.name.clone(),
                    department: stage.info.department.clone(),
                    organisation: stage.info.organisation.clone(),
                    n: stage.n,
                    linear_mean: stage.linear_mean,
                    top_box: stage.top_box,
                    sufficient: u8::from(stage.sufficient),
                    weakest: u8::from(journey.weakest.as_deref() == Some(&stage.info.stage)),
                    linked_visits: journey.linked_visits,
                    visits: impact.map_or(0, |i| i.visits),
                    bad_visits: impact.map_or(0, |i| i.bad),
                    rest_when_bad: impact.and_then(|i| i.rest_when_bad),
                    rest_when_not_bad: impact.and_then(|i| i.rest_when_not_bad),
                    impact: impact.and_then(|i| i.difference),
                    impact_reliable: u8::from(impact.is_some_and(|i| i.reliable)),
                });
            }
        }
        rows
    }
}

fn quality_rows(q: &QualityReport, at: Computation) -> Vec<QuestionQualityRow> {
    q.quality
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| QuestionQualityRow {
            computed_at: at.computed_at,
            window_from: at.window_from,
            window_to: at.window_to,
            questionnaire: q.questionnaire.clone(),
            responses: q.quality.responses,
            complete: q.quality.complete,
            alpha: q.quality.alpha,
            note: q.quality.note.clone().unwrap_or_default(),
            position: u16::try_from(i + 1).unwrap_or(u16::MAX),
            item: item.item.clone(),
            answered: item.answered,
            non_response: item.non_response,
            mean: item.mean,
            top_box: item.top_box,
            bottom_box: item.bottom_box,
            item_total: item.item_total,
            alpha_if_deleted: item.alpha_if_deleted,
            flags: item
                .flags
                .iter()
                .map(|f| f.label())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect()
}

/// Where each driver group's responses came from: the departments,
/// journeys and experience types of the events of each (questionnaire,
/// dimension, key), with the groups the report builder forms.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    groups: BTreeMap<(String, Dimension, String), [BTreeSet<String>; 3]>,
}

impl Coverage {
    /// Records a used event.
    pub fn record(&mut self, event: &FeedbackEvent) {
        let experience = event.experience.as_str();
        for (dimension, key) in [
            (Dimension::All, "all"),
            (Dimension::Department, event.department.as_str()),
            (Dimension::Journey, event.journey.as_str()),
            (Dimension::Experience, experience),
        ] {
            let sets = self
                .groups
                .entry((event.questionnaire.clone(), dimension, key.to_owned()))
                .or_default();
            for (set, value) in sets.iter_mut().zip([
                event.department.as_str(),
                event.journey.as_str(),
                experience,
            ]) {
                if !set.contains(value) {
                    set.insert(value.to_owned());
                }
            }
        }
    }

    /// Departments, journeys and experience types of a group.
    pub fn of(
        &self,
        questionnaire: &str,
        dimension: Dimension,
        key: &str,
    ) -> Option<&[BTreeSet<String>; 3]> {
        self.groups
            .get(&(questionnaire.to_owned(), dimension, key.to_owned()))
    }
}
