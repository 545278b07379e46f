//! Checking a scenario file against its catalog: every reference, share
//! and span, each problem with its TOML path and what to change.

use std::collections::BTreeMap;

use carepulse_model::Catalog;
use chrono::TimeDelta;
use chrono_tz::Tz;

use super::file::{File, RespondentsFile};
use super::{CommentPlan, Respondents, Scenario, ScenarioError, ScenarioProblem};
use crate::comments::Language;
use crate::rhythm::Rhythm;
use crate::span::parse_span;

/// Collects problems while checking.
pub(crate) struct Checker<'a> {
    pub catalog: &'a Catalog,
    pub problems: Vec<ScenarioProblem>,
}

impl Checker<'_> {
    pub fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(ScenarioProblem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// A share from 0 to 1.
    pub fn share(&mut self, path: impl Into<String>, value: f64) -> f64 {
        if !(0.0..=1.0).contains(&value) {
            self.problem(path, format!("{value} must be a share from 0 to 1"));
            return value.clamp(0.0, 1.0);
        }
        value
    }

    /// A span of simulated time (`3h`).
    pub fn span(&mut self, path: impl Into<String>, text: &str) -> TimeDelta {
        parse_span(text).unwrap_or_else(|e| {
            self.problem(path, e);
            TimeDelta::zero()
        })
    }

    /// A `[min, max]` pair of spans.
    pub fn range(&mut self, path: &str, texts: &[String; 2]) -> (TimeDelta, TimeDelta) {
        let low = self.span(format!("{path}[0]"), &texts[0]);
        let high = self.span(format!("{path}[1]"), &texts[1]);
        if low > high {
            self.problem(
                path,
                "the first span must not exceed the second: write [min, max]",
            );
        }
        (low, high.max(low))
    }

    /// The time zone of a facility of the catalog.
    pub fn tz(&self, facility: &str) -> Tz {
        self.catalog
            .facility(facility)
            .and_then(|f| f.timezone.parse().ok())
            .unwrap_or(Tz::UTC)
    }
}

pub(super) fn check(file: File, catalog: &Catalog) -> Result<Scenario, ScenarioError> {
    let mut c = Checker {
        catalog,
        problems: Vec::new(),
    };
    if file.name.trim().is_empty() {
        c.problem("name", "give the scenario a name");
    }
    let duration = match &file.duration {
        Some(text) => c.span("duration", text),
        None => TimeDelta::days(1),
    };
    let rhythms = rhythms(&mut c, &file);
    let channels = super::touchpoints::channels(&mut c, &file.channels);
    let models = super::models::models(&mut c, &file.questionnaires);
    let mut journeys = super::journeys::journeys(&mut c, &file.journeys, &rhythms);
    let touchpoints =
        super::touchpoints::touchpoints(&mut c, &file.touchpoints, &mut journeys, &models);
    let respondents = respondents(&mut c, &file.respondents);
    let comments = CommentPlan {
        share: c.share("comments.share", file.comments.share),
        identifiers: c.share("comments.identifiers", file.comments.identifiers),
    };
    if journeys.is_empty() {
        c.problem(
            "journeys",
            "no visits: add at least one [[journeys]] with visits_per_day",
        );
    }
    let mut scenario = Scenario {
        name: file.name,
        duration,
        journeys,
        touchpoints,
        channels,
        models: models.into_iter().map(|(_, m)| m).collect(),
        respondents,
        comments,
        incidents: Vec::new(),
        warm_up: TimeDelta::zero(),
    };
    scenario.incidents = crate::incident::check(&mut c, &file.incidents, &scenario);
    scenario.warm_up = warm_up(&scenario);
    if c.problems.is_empty() {
        Ok(scenario)
    } else {
        Err(ScenarioError::Invalid(c.problems))
    }
}

fn rhythms(c: &mut Checker<'_>, file: &File) -> BTreeMap<String, Rhythm> {
    let mut out = BTreeMap::new();
    for (name, r) in &file.rhythms {
        let mut ok = true;
        for (key, weights, n) in [("hours", &r.hours, 24), ("weekdays", &r.weekdays, 7)] {
            let path = format!("rhythms.{name}.{key}");
            if weights.len() != n {
                c.problem(
                    &path,
                    format!("give {n} weights, one per {}", &key[..key.len() - 1]),
                );
                ok = false;
            } else if weights.iter().any(|w| !w.is_finite() || *w < 0.0)
                || weights.iter().sum::<f64>() <= 0.0
            {
                c.problem(&path, "weights must be non-negative numbers, not all zero");
                ok = false;
            }
        }
        if ok {
            out.insert(name.clone(), Rhythm::new(&r.hours, &r.weekdays));
        }
    }
    out
}

fn respondents(c: &mut Checker<'_>, file: &RespondentsFile) -> Respondents {
    let mut roles = Vec::new();
    for (name, weight) in &file.roles {
        let role = ["patient", "family_or_carer", "visitor"]
            .into_iter()
            .find(|r| r == name);
        match role {
            None => c.problem(
                format!("respondents.roles.{name}"),
                "unknown role (roles: patient, family_or_carer, visitor)",
            ),
            Some(r) => roles.push((r, c.share(format!("respondents.roles.{name}"), *weight))),
        }
    }
    let mut locales = Vec::new();
    for (tag, weight) in &file.locales {
        if Language::of(tag).is_none() {
            c.problem(
                format!("respondents.locales.{tag}"),
                "comments are written in English or Dutch: use an en-* or nl-* tag",
            );
        }
        locales.push((
            tag.clone(),
            c.share(format!("respondents.locales.{tag}"), *weight),
        ));
    }
    for (key, weights) in [
        ("roles", roles.iter().map(|r| r.1).sum::<f64>()),
        ("locales", locales.iter().map(|l| l.1).sum()),
    ] {
        if weights <= 0.0 {
            c.problem(
                format!("respondents.{key}"),
                "give at least one positive weight",
            );
        }
    }
    if file.patients == 0 {
        c.problem(
            "respondents.patients",
            "the patient pool needs at least one patient",
        );
    }
    Respondents {
        roles,
        locales,
        references: c.share("respondents.references", file.references),
        consent_to_contact: c.share("respondents.consent_to_contact", file.consent_to_contact),
        patients: file.patients.max(1),
    }
}

/// The longest a visit takes from its start to its last answer.
fn warm_up(s: &Scenario) -> TimeDelta {
    let answers = s
        .touchpoints
        .iter()
        .flat_map(|t| t.channels.iter())
        .map(|(ch, _)| s.channel(*ch).delay.1)
        .max()
        .unwrap_or_default();
    let journeys = s
        .journeys
        .iter()
        .map(|j| {
            j.stages
                .iter()
                .map(|st| {
                    st.after.1
                        + if st.opening.is_some() {
                            TimeDelta::days(3)
                        } else {
                            TimeDelta::zero()
                        }
                })
                .sum::<TimeDelta>()
        })
        .max()
        .unwrap_or_default();
    (answers + journeys).min(TimeDelta::days(60))
}
