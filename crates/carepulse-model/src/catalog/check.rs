//! Parsing the catalog file and checking every reference in it, collecting
//! all problems with the place to fix each.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use super::{
    Catalog, Department, Device, Facility, Journey, Kind, Organisation, Questionnaire, StageRef,
    Touchpoint,
};
use crate::event::{Channel, Experience};

/// One thing wrong in the catalog file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogProblem {
    /// Where: `touchpoints[3].stages[0]`.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for CatalogProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why a catalog could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatalogError {
    /// Not valid TOML, or a field of the wrong type.
    #[error("catalog is not valid: {0}")]
    Syntax(String),
    /// Valid TOML whose contents do not hold together.
    #[error("catalog has {} problem(s):\n{}", .0.len(), list(.0))]
    Invalid(Vec<CatalogProblem>),
}

fn list(problems: &[CatalogProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    organisations: Vec<Organisation>,
    #[serde(default)]
    facilities: Vec<Facility>,
    #[serde(default)]
    departments: Vec<Department>,
    #[serde(default)]
    journeys: Vec<Journey>,
    #[serde(default)]
    questionnaires: Vec<Questionnaire>,
    #[serde(default)]
    touchpoints: Vec<TouchpointFile>,
    #[serde(default)]
    devices: Vec<DeviceFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TouchpointFile {
    id: String,
    name: String,
    stages: Vec<String>,
    experience: Experience,
    questionnaire: String,
    #[serde(default)]
    channels: Vec<Channel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceFile {
    id: String,
    name: String,
    touchpoint: String,
    #[serde(default)]
    stage: Option<String>,
}

/// Ids are short lowercase slugs so they are safe in URLs, metric labels
/// and Kafka keys.
fn is_slug(id: &str) -> bool {
    let bytes = id.as_bytes();
    (1..=64).contains(&bytes.len())
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_')
}

struct Checker {
    problems: Vec<CatalogProblem>,
    index: HashMap<(Kind, String), usize>,
}

impl Checker {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(CatalogProblem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Checks ids of one kind for shape and uniqueness and indexes them.
    fn register<'a>(&mut self, kind: Kind, section: &str, ids: impl Iterator<Item = &'a str>) {
        for (i, id) in ids.enumerate() {
            let path = format!("{section}[{i}].id");
            if !is_slug(id) {
                self.problem(
                    path,
                    format!("id '{id}' must be 1-64 characters of a-z, 0-9, '-' or '_', starting with a letter or digit"),
                );
            } else if self.index.insert((kind, id.to_owned()), i).is_some() {
                self.problem(path, format!("id '{id}' is defined twice in {section}"));
            }
        }
    }

    fn known(&self, kind: Kind, id: &str) -> bool {
        self.index.contains_key(&(kind, id.to_owned()))
    }

    fn reference(&mut self, kind: Kind, path: String, id: &str) -> bool {
        let ok = self.known(kind, id);
        if !ok {
            let (noun, table) = kind.names();
            self.problem(
                path,
                format!("unknown {noun} '{id}': define it under [[{table}]] first"),
            );
        }
        ok
    }
}

impl Catalog {
    /// Parses and checks a catalog written in TOML.
    pub fn from_toml(text: &str) -> Result<Catalog, CatalogError> {
        let file: CatalogFile =
            toml::from_str(text).map_err(|e| CatalogError::Syntax(e.to_string()))?;
        let mut c = Checker {
            problems: Vec::new(),
            index: HashMap::new(),
        };
        if file.facilities.is_empty() {
            c.problem(
                "facilities",
                "the catalog defines no facility: add at least one [[facilities]]",
            );
        }
        c.register(
            Kind::Organisation,
            "organisations",
            file.organisations.iter().map(|o| o.id.as_str()),
        );
        c.register(
            Kind::Facility,
            "facilities",
            file.facilities.iter().map(|f| f.id.as_str()),
        );
        c.register(
            Kind::Department,
            "departments",
            file.departments.iter().map(|d| d.id.as_str()),
        );
        c.register(
            Kind::Journey,
            "journeys",
            file.journeys.iter().map(|j| j.id.as_str()),
        );
        c.register(
            Kind::Questionnaire,
            "questionnaires",
            file.questionnaires.iter().map(|q| q.id.as_str()),
        );
        c.register(
            Kind::Touchpoint,
            "touchpoints",
            file.touchpoints.iter().map(|t| t.id.as_str()),
        );
        c.register(
            Kind::Device,
            "devices",
            file.devices.iter().map(|d| d.id.as_str()),
        );

        for (i, f) in file.facilities.iter().enumerate() {
            c.reference(
                Kind::Organisation,
                format!("facilities[{i}].organisation"),
                &f.organisation,
            );
            if chrono_tz::Tz::from_str(&f.timezone).is_err() {
                c.problem(
                    format!("facilities[{i}].timezone"),
                    format!("'{}' is not an IANA time zone name such as 'Europe/London' or 'America/Chicago'", f.timezone),
                );
            }
        }
        for (i, d) in file.departments.iter().enumerate() {
            c.reference(
                Kind::Facility,
                format!("departments[{i}].facility"),
                &d.facility,
            );
        }
        check_journeys(&mut c, &file.journeys);
        check_questionnaires(&mut c, &file.questionnaires);
        let touchpoints = check_touchpoints(&mut c, &file.touchpoints, &file.journeys);
        let devices = check_devices(&mut c, &file.devices, &touchpoints);

        if !c.problems.is_empty() {
            return Err(CatalogError::Invalid(c.problems));
        }
        Ok(Catalog {
            organisations: file.organisations,
            facilities: file.facilities,
            departments: file.departments,
            journeys: file.journeys,
            questionnaires: file.questionnaires,
            touchpoints,
            devices,
            index: c.index,
        })
    }
}

fn check_journeys(c: &mut Checker, journeys: &[Journey]) {
    for (i, j) in journeys.iter().enumerate() {
        if j.stages.is_empty() {
            c.problem(
                format!("journeys[{i}].stages"),
                format!("journey '{}' has no stages", j.id),
            );
        }
        let mut seen = HashSet::new();
        for (s, stage) in j.stages.iter().enumerate() {
            let path = format!("journeys[{i}].stages[{s}]");
            if !is_slug(&stage.id) {
                c.problem(
                    format!("{path}.id"),
                    format!(
                        "stage id '{}' must be 1-64 characters of a-z, 0-9, '-' or '_'",
                        stage.id
                    ),
                );
            }
            if !seen.insert(stage.id.as_str()) {
                c.problem(
                    format!("{path}.id"),
                    format!("stage '{}' appears twice in journey '{}'", stage.id, j.id),
                );
            }
            c.reference(
                Kind::Department,
                format!("{path}.department"),
                &stage.department,
            );
        }
    }
}

fn check_questionnaires(c: &mut Checker, questionnaires: &[Questionnaire]) {
    for (i, q) in questionnaires.iter().enumerate() {
        let mut seen = HashSet::new();
        let questions = std::iter::once(("overall".to_owned(), &q.overall)).chain(
            q.items
                .iter()
                .enumerate()
                .map(|(k, item)| (format!("items[{k}]"), item)),
        );
        for (place, question) in questions {
            let path = format!("questionnaires[{i}].{place}.id");
            if !is_slug(&question.id) {
                c.problem(
                    path,
                    format!(
                        "question id '{}' must be 1-64 characters of a-z, 0-9, '-' or '_'",
                        question.id
                    ),
                );
            } else if !seen.insert(question.id.as_str()) {
                c.problem(
                    path,
                    format!(
                        "question '{}' appears twice in questionnaire '{}'",
                        question.id, q.id
                    ),
                );
            }
        }
    }
}

/// Parses `journey/stage` and checks it names a stage of a known journey.
fn stage_ref(
    c: &mut Checker,
    path: String,
    text: &str,
    journeys: &[Journey],
) -> Option<(StageRef, String)> {
    let Some((journey, stage)) = text.split_once('/') else {
        c.problem(
            path,
            format!("'{text}' must name a stage as 'journey/stage', e.g. 'ed-visit/triage'"),
        );
        return None;
    };
    let Some(j) = journeys.iter().find(|j| j.id == journey) else {
        c.problem(path, format!("unknown journey '{journey}' in '{text}'"));
        return None;
    };
    let Some(s) = j.stage(stage) else {
        let known: Vec<&str> = j.stages.iter().map(|s| s.id.as_str()).collect();
        c.problem(
            path,
            format!(
                "journey '{journey}' has no stage '{stage}' (stages: {})",
                known.join(", ")
            ),
        );
        return None;
    };
    Some((
        StageRef {
            journey: journey.to_owned(),
            stage: stage.to_owned(),
        },
        s.department.clone(),
    ))
}

fn check_touchpoints(
    c: &mut Checker,
    files: &[TouchpointFile],
    journeys: &[Journey],
) -> Vec<Touchpoint> {
    let mut touchpoints = Vec::with_capacity(files.len());
    for (i, t) in files.iter().enumerate() {
        c.reference(
            Kind::Questionnaire,
            format!("touchpoints[{i}].questionnaire"),
            &t.questionnaire,
        );
        if t.stages.is_empty() {
            c.problem(
                format!("touchpoints[{i}].stages"),
                format!(
                    "touchpoint '{}' serves no stage: list at least one 'journey/stage'",
                    t.id
                ),
            );
        }
        let mut stages = Vec::new();
        let mut departments: Vec<String> = Vec::new();
        for (s, text) in t.stages.iter().enumerate() {
            if let Some((stage, department)) =
                stage_ref(c, format!("touchpoints[{i}].stages[{s}]"), text, journeys)
            {
                stages.push(stage);
                if !departments.contains(&department) {
                    departments.push(department);
                }
            }
        }
        if departments.len() > 1 {
            c.problem(
                format!("touchpoints[{i}].stages"),
                format!(
                    "touchpoint '{}' serves stages of several departments ({}): define one touchpoint per department",
                    t.id,
                    departments.join(", ")
                ),
            );
        }
        touchpoints.push(Touchpoint {
            id: t.id.clone(),
            name: t.name.clone(),
            department: departments.into_iter().next().unwrap_or_default(),
            stages,
            experience: t.experience,
            questionnaire: t.questionnaire.clone(),
            channels: t.channels.clone(),
        });
    }
    touchpoints
}

fn check_devices(c: &mut Checker, files: &[DeviceFile], touchpoints: &[Touchpoint]) -> Vec<Device> {
    let mut devices = Vec::with_capacity(files.len());
    for (i, d) in files.iter().enumerate() {
        let Some(t) = touchpoints.iter().find(|t| t.id == d.touchpoint) else {
            c.reference(
                Kind::Touchpoint,
                format!("devices[{i}].touchpoint"),
                &d.touchpoint,
            );
            continue;
        };
        let stage = match &d.stage {
            Some(text) => {
                let found = t
                    .stages
                    .iter()
                    .find(|s| format!("{}/{}", s.journey, s.stage) == *text);
                if found.is_none() {
                    c.problem(
                        format!("devices[{i}].stage"),
                        format!("touchpoint '{}' does not serve stage '{text}'", t.id),
                    );
                }
                found
            }
            None if t.stages.len() == 1 => t.stages.first(),
            None => {
                c.problem(
                    format!("devices[{i}].stage"),
                    format!("touchpoint '{}' serves several stages: say which one this device counts for", t.id),
                );
                None
            }
        };
        if let Some(stage) = stage {
            devices.push(Device {
                id: d.id.clone(),
                name: d.name.clone(),
                touchpoint: t.id.clone(),
                stage: stage.clone(),
            });
        }
    }
    devices
}
