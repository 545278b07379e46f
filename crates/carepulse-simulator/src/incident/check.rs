//! Checking `[[incidents]]` against the catalog and the rest of the
//! scenario.

use carepulse_model::{AnswerValue, Scale};
use chrono::TimeDelta;

use super::{kind_name, Incident, IncidentFile, What};
use crate::scenario::{Checker, Scenario};
use crate::span::{parse_span, Span};

fn span(c: &mut Checker<'_>, path: String, text: &str) -> Span {
    Span::parse(text).unwrap_or_else(|e| {
        c.problem(path, e);
        Span::Fixed(TimeDelta::zero())
    })
}

fn facility(c: &mut Checker<'_>, path: String, id: &str) {
    if c.catalog.facility(id).is_none() {
        let known = c.catalog.known_facilities();
        c.problem(path, format!("unknown facility '{id}' (known: {known})"));
    }
}

/// Checks the incidents against the catalog and the rest of the scenario.
pub(crate) fn check(c: &mut Checker<'_>, files: &[IncidentFile], s: &Scenario) -> Vec<Incident> {
    let mut out = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let path = format!("incidents[{i}]");
        let at = |key: &str| format!("{path}.{key}");
        let (name, start, duration, what) = match file {
            IncidentFile::StageDrop {
                name,
                stage,
                start,
                duration,
                drop,
                items,
            } => {
                let (journey, stage_id) = stage.split_once('/').unwrap_or((stage, ""));
                let at_stage: Vec<_> = s
                    .touchpoints
                    .iter()
                    .filter(|t| t.journey == journey && t.stage == stage_id)
                    .collect();
                if at_stage.is_empty() {
                    c.problem(at("stage"), format!("no [[touchpoints]] entry collects feedback at '{stage}' (write journey/stage, e.g. ed-visit/treatment)"));
                }
                for (k, item) in items.iter().enumerate() {
                    if !at_stage
                        .iter()
                        .any(|t| s.models[t.model].drivers.iter().any(|d| d.id == *item))
                    {
                        c.problem(
                            format!("{path}.items[{k}]"),
                            format!("no questionnaire asked at '{stage}' has the item '{item}'"),
                        );
                    }
                }
                if !drop.is_finite() || *drop <= 0.0 || *drop > 5.0 {
                    c.problem(
                        at("drop"),
                        format!("{drop} must be from 0 to 5 (standard deviations of satisfaction)"),
                    );
                }
                let what = What::StageDrop {
                    journey: journey.into(),
                    stage: stage_id.into(),
                    drop: *drop,
                    items: items.clone(),
                };
                (name, start, span(c, at("duration"), duration), what)
            }
            IncidentFile::KioskSilent {
                name,
                device,
                start,
                duration,
            } => {
                if !s.touchpoints.iter().any(|t| t.devices.contains(device)) {
                    c.problem(at("device"), format!("device '{device}' sends nothing in this scenario: use a [[devices]] entry of a touchpoint listed under [[touchpoints]] with the kiosk channel"));
                }
                (
                    name,
                    start,
                    span(c, at("duration"), duration),
                    What::KioskSilent {
                        device: device.clone(),
                    },
                )
            }
            IncidentFile::Duplicates {
                name,
                start,
                duration,
                share,
                facility: f,
            } => {
                if !(*share > 0.0 && *share <= 1.0) {
                    c.problem(
                        at("share"),
                        format!("{share} must be a share above 0, at most 1"),
                    );
                }
                if let Some(f) = f {
                    facility(c, at("facility"), f);
                }
                (
                    name,
                    start,
                    span(c, at("duration"), duration),
                    What::Duplicates {
                        share: *share,
                        facility: f.clone(),
                    },
                )
            }
            IncidentFile::BadEvents {
                name,
                start,
                duration,
                per_minute,
                facility: f,
            } => {
                if !per_minute.is_finite() || *per_minute <= 0.0 || *per_minute > 10_000.0 {
                    c.problem(
                        at("per_minute"),
                        format!("{per_minute} must be from 0 to 10000"),
                    );
                }
                if s.touchpoints.is_empty() {
                    c.problem(at("kind"), "bad events are spoilt submissions of the scenario's touchpoints: list at least one under [[touchpoints]]");
                }
                let f = match f {
                    Some(f) => {
                        facility(c, at("facility"), f);
                        f.clone()
                    }
                    None => s
                        .touchpoints
                        .first()
                        .map(|t| t.facility.clone())
                        .unwrap_or_default(),
                };
                (
                    name,
                    start,
                    span(c, at("duration"), duration),
                    What::BadEvents {
                        per_minute: *per_minute,
                        facility: f,
                    },
                )
            }
            IncidentFile::ButtonMash {
                name,
                device,
                start,
                presses,
                within,
                button,
            } => {
                let (facility, scale) = match c.catalog.device(device) {
                    None => {
                        c.problem(at("device"), format!("unknown device '{device}': use an id from [[devices]] in the catalog"));
                        (String::new(), Scale::Smiley4)
                    }
                    Some(d) => kiosk(c, at("button"), &d.touchpoint, button.as_deref()),
                };
                if !(1..=10_000).contains(presses) {
                    c.problem(at("presses"), format!("{presses} must be from 1 to 10000"));
                }
                let within = parse_span(within).unwrap_or_else(|e| {
                    c.problem(at("within"), e);
                    TimeDelta::zero()
                });
                let tz = c.tz(&facility);
                let what = What::ButtonMash {
                    device: device.clone(),
                    presses: *presses,
                    button: button.clone(),
                    facility,
                    tz,
                    scale,
                };
                (name, start, Span::Fixed(within), what)
            }
        };
        let start = span(c, at("start"), start);
        let kind = kind_name(&what);
        let name = name.clone().unwrap_or_else(|| format!("{kind}-{}", i + 1));
        out.push(Incident {
            name,
            start,
            duration,
            what,
        });
    }
    out
}

/// The facility and answer scale of a kiosk's touchpoint; checks the
/// button against the scale.
fn kiosk(
    c: &mut Checker<'_>,
    path: String,
    touchpoint: &str,
    button: Option<&str>,
) -> (String, Scale) {
    let catalog = c.catalog;
    let t = catalog
        .touchpoint(touchpoint)
        .expect("catalog checks device touchpoints");
    let facility = catalog
        .department(&t.department)
        .map(|d| d.facility.clone())
        .unwrap_or_default();
    let scale = catalog
        .questionnaire(&t.questionnaire)
        .map_or(Scale::Smiley4, |q| q.overall.scale);
    if let Some(button) = button {
        if let Err(e) = scale.parse(&AnswerValue::Label(button.to_owned())) {
            c.problem(path, e.to_string());
        }
    }
    (facility, scale)
}
