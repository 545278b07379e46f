//! Collects feedback events in one pass and computes the [`Report`].
//!
//! Events are used once per `event_id` (the stream is at-least-once),
//! never when `suspect` (repeated kiosk presses), and only when
//! `occurred_at` lies in the window. Scores need only the event (it carries
//! its scales); drivers, quality and journeys take the item order and the
//! stage order from the catalog, and note events it does not describe.
//! Driver groups: each questionnaire with items, over everything and per
//! department, journey and experience type; a grouping with a single key
//! (a questionnaire asked in one department only) would repeat the
//! questionnaire's overall analysis and is left out.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use carepulse_model::{AnswerValue, Catalog, FeedbackEvent, Response, Scale, Tally};
use chrono::Utc;

use crate::drivers::DriverAccumulator;
use crate::error::AnalyticsError;
use crate::journeys::{JourneyAccumulator, StageInfo};
use crate::quality::QualityAccumulator;
use crate::report::{DriverGroup, InputSummary, QualityReport, Report, ReportSettings, Skipped};
use crate::scores::{Dimension, ScoreRow};

/// Collects events; see the module documentation.
#[derive(Debug)]
pub struct ReportBuilder<'c> {
    catalog: &'c Catalog,
    settings: ReportSettings,
    seen: HashSet<String>,
    input: InputSummary,
    scores: BTreeMap<(Dimension, String, Option<Scale>), Tally>,
    drivers: BTreeMap<(String, Dimension, String), DriverAccumulator>,
    quality: BTreeMap<String, QualityAccumulator>,
    journeys: BTreeMap<String, JourneyAccumulator>,
    notes: BTreeSet<String>,
}

/// FNV-1a, so that each driver group gets its own reproducible seed.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn parse(question: &str, scale: Scale, value: &AnswerValue) -> Result<Response, AnalyticsError> {
    scale.parse(value).map_err(|e| AnalyticsError::BadAnswer {
        question: question.to_owned(),
        reason: e.to_string(),
    })
}

impl<'c> ReportBuilder<'c> {
    /// A builder for events described by `catalog`.
    pub fn new(catalog: &'c Catalog, settings: ReportSettings) -> ReportBuilder<'c> {
        ReportBuilder {
            catalog,
            settings,
            seen: HashSet::new(),
            input: InputSummary::default(),
            scores: BTreeMap::new(),
            drivers: BTreeMap::new(),
            quality: BTreeMap::new(),
            journeys: BTreeMap::new(),
            notes: BTreeSet::new(),
        }
    }

    /// Uses an event, or says why not. An answer that is not on its scale
    /// is an error and the event is not counted at all.
    pub fn add(&mut self, event: &FeedbackEvent) -> Result<Option<Skipped>, AnalyticsError> {
        let overall = parse(
            &event.overall.question,
            event.overall.scale,
            &event.overall.value,
        )?;
        let mut items = BTreeMap::new();
        for answer in &event.items {
            items.insert(
                answer.question.as_str(),
                parse(&answer.question, answer.scale, &answer.value)?,
            );
        }
        self.input.events += 1;
        let at = event.occurred_at.with_timezone(&Utc);
        let skipped = if !self.seen.insert(event.event_id.clone()) {
            self.input.duplicates += 1;
            Some(Skipped::Duplicate)
        } else if event.suspect.is_some() {
            self.input.suspect += 1;
            Some(Skipped::Suspect)
        } else if self.settings.from.is_some_and(|f| at < f)
            || self.settings.until.is_some_and(|u| at >= u)
        {
            self.input.outside_window += 1;
            Some(Skipped::OutsideWindow)
        } else {
            None
        };
        if skipped.is_none() {
            self.input.used += 1;
            self.score(event, &overall);
            self.items(event, &overall, &items);
            self.journey(event, &overall);
        }
        Ok(skipped)
    }

    fn score(&mut self, event: &FeedbackEvent, overall: &Response) {
        let stage = format!("{}/{}", event.journey, event.stage);
        let experience = event.experience.as_str();
        for (dimension, key) in [
            (Dimension::All, "all"),
            (Dimension::Department, event.department.as_str()),
            (Dimension::Stage, stage.as_str()),
            (Dimension::Experience, experience),
        ] {
            for scale in [None, Some(overall.scale())] {
                self.scores
                    .entry((dimension, key.to_owned(), scale))
                    .or_default()
                    .record(overall);
            }
        }
    }

    fn items(
        &mut self,
        event: &FeedbackEvent,
        overall: &Response,
        answers: &BTreeMap<&str, Response>,
    ) {
        let Some(questionnaire) = self.catalog.questionnaire(&event.questionnaire) else {
            self.notes.insert(format!(
                "questionnaire '{}' is not in the catalog: no drivers or question quality for it",
                event.questionnaire
            ));
            return;
        };
        if questionnaire.items.is_empty() {
            return;
        }
        let ids: Vec<String> = questionnaire.items.iter().map(|q| q.id.clone()).collect();
        let responses: Vec<Option<Response>> = ids
            .iter()
            .map(|id| answers.get(id.as_str()).copied())
            .collect();
        self.quality
            .entry(questionnaire.id.clone())
            .or_insert_with(|| QualityAccumulator::new(ids.clone()))
            .record(&responses);
        let scores: Vec<Option<f64>> = responses
            .iter()
            .map(|r| r.and_then(|r| r.linear()))
            .collect();
        let settings = self.settings.drivers;
        for (dimension, key) in [
            (Dimension::All, "all"),
            (Dimension::Department, event.department.as_str()),
            (Dimension::Journey, event.journey.as_str()),
            (Dimension::Experience, event.experience.as_str()),
        ] {
            let group = (questionnaire.id.clone(), dimension, key.to_owned());
            let seed = settings.seed ^ fnv(&format!("{}/{}/{}", group.0, dimension.name(), key));
            self.drivers
                .entry(group)
                .or_insert_with(|| DriverAccumulator::new(ids.clone(), &settings, seed))
                .record(overall.linear(), &scores);
        }
    }

    fn journey(&mut self, event: &FeedbackEvent, overall: &Response) {
        let Some(journey) = self.catalog.journey(&event.journey) else {
            self.notes
                .insert(format!("journey '{}' is not in the catalog", event.journey));
            return;
        };
        let Some(stage) = journey.stages.iter().position(|s| s.id == event.stage) else {
            self.notes.insert(format!(
                "journey '{}' has no stage '{}' in the catalog",
                event.journey, event.stage
            ));
            return;
        };
        self.journeys
            .entry(journey.id.clone())
            .or_insert_with(|| JourneyAccumulator::new(journey.stages.len()))
            .record(
                stage,
                overall,
                event.journey_instance.as_ref().map(|p| p.as_str()),
            );
    }

    /// Computes every section.
    pub fn finish(self) -> Report {
        let settings = self.settings;
        let scores = self
            .scores
            .iter()
            .map(|((dimension, key, scale), tally)| {
                ScoreRow::new(*dimension, key, *scale, tally, settings.min_n)
            })
            .collect();
        // A questionnaire asked in one department only would repeat its
        // "all" analysis under that department: such groups are left out.
        let mut keys: BTreeMap<(&str, Dimension), usize> = BTreeMap::new();
        for (questionnaire, dimension, _) in self.drivers.keys() {
            *keys.entry((questionnaire, *dimension)).or_default() += 1;
        }
        let drivers = self
            .drivers
            .iter()
            .filter(|((q, dimension, _), _)| {
                *dimension == Dimension::All || keys[&(q.as_str(), *dimension)] > 1
            })
            .map(|((questionnaire, dimension, key), acc)| DriverGroup {
                questionnaire: questionnaire.clone(),
                dimension: *dimension,
                key: key.clone(),
                analysis: acc.finish(&settings.drivers),
            })
            .collect();
        let quality = self
            .quality
            .iter()
            .map(|(questionnaire, acc)| QualityReport {
                questionnaire: questionnaire.clone(),
                quality: acc.finish(&settings.quality),
            })
            .collect();
        let journeys = self
            .catalog
            .journeys()
            .iter()
            .filter_map(|journey| {
                let acc = self.journeys.get(&journey.id)?;
                let stages: Vec<StageInfo> = journey
                    .stages
                    .iter()
                    .map(|s| StageInfo {
                        stage: s.id.clone(),
                        name: s.name.clone(),
                        department: s.department.clone(),
                        organisation: self.organisation_of(&s.department),
                    })
                    .collect();
                Some(acc.finish(
                    &journey.id,
                    &journey.name,
                    &stages,
                    settings.min_n,
                    settings.min_linked,
                ))
            })
            .collect();
        Report {
            settings,
            input: self.input,
            scores,
            drivers,
            quality,
            journeys,
            notes: self.notes.into_iter().collect(),
        }
    }

    fn organisation_of(&self, department: &str) -> String {
        self.catalog
            .department(department)
            .and_then(|d| self.catalog.facility(&d.facility))
            .map(|f| f.organisation.clone())
            .unwrap_or_default()
    }
}
