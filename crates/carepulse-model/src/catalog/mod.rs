//! The hospital catalog: organisations, facilities, departments, journeys and
//! their ordered stages, touchpoints, questionnaires and kiosk devices.
//!
//! The catalog is written in TOML (see `deploy/catalog/general-hospital.toml`
//! and docs/catalog.md) and parsed with [`Catalog::from_toml`], which checks
//! every reference and reports every problem with the place to fix it.
//!
//! ```
//! let catalog = carepulse_model::Catalog::from_toml(r#"
//!     [[organisations]]
//!     id = "riverside"
//!     name = "Riverside GP practice"
//!     kind = "gp_practice"
//!
//!     [[facilities]]
//!     id = "riverside-surgery"
//!     name = "Riverside Surgery"
//!     organisation = "riverside"
//!     timezone = "Europe/London"
//!
//!     [[departments]]
//!     id = "gp-reception"
//!     name = "Reception"
//!     facility = "riverside-surgery"
//!
//!     [[questionnaires]]
//!     id = "smiley"
//!     name = "Kiosk smiley"
//!     overall = { id = "overall", text = "How was your visit today?", scale = "smiley_4" }
//!
//!     [[journeys]]
//!     id = "gp-appointment"
//!     name = "GP appointment"
//!     stages = [{ id = "check-in", name = "Check-in", department = "gp-reception" }]
//!
//!     [[touchpoints]]
//!     id = "reception-kiosk"
//!     name = "Reception kiosk"
//!     stages = ["gp-appointment/check-in"]
//!     experience = "customer"
//!     questionnaire = "smiley"
//! "#).unwrap();
//! assert_eq!(catalog.touchpoint("reception-kiosk").unwrap().department, "gp-reception");
//! ```

mod check;

use std::collections::HashMap;

use serde::Deserialize;

use crate::event::{Channel, Experience};
use crate::scale::Scale;

pub use check::{CatalogError, CatalogProblem};

/// What kind of organisation takes part in journeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// A hospital or hospital trust.
    Hospital,
    /// A general practice.
    GpPractice,
    /// A community pharmacy.
    Pharmacy,
    /// Community or home care.
    Community,
    /// Anything else (transport, laboratory, ...).
    Other,
}

/// An organisation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Id used in events and URLs.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind of organisation.
    pub kind: OrganisationKind,
}

/// A site of an organisation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facility {
    /// Id used in events and URLs.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Owning organisation id.
    pub organisation: String,
    /// IANA time zone (`Europe/London`): days and opening hours follow it.
    pub timezone: String,
}

/// A department of a facility.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Id, unique across the catalog.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Facility id.
    pub facility: String,
}

/// One stage of a journey.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Id, unique within the journey.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Department responsible for the stage (may belong to another
    /// organisation than the journey's other stages).
    pub department: String,
}

/// A journey: ordered stages, possibly across departments and organisations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journey {
    /// Id used in events and URLs.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Stages in the order a visitor passes them.
    pub stages: Vec<Stage>,
}

impl Journey {
    /// The stage with this id.
    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }
}

/// A question of a questionnaire.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Id used in events (`overall`, `wait_time`, `courtesy`).
    pub id: String,
    /// The question as asked.
    pub text: String,
    /// The answer scale.
    pub scale: Scale,
}

/// The questions asked at a touchpoint: one overall question and optional
/// items (the drivers of the overall score).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    /// Id used in events.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The overall question.
    pub overall: Question,
    /// Item questions.
    #[serde(default)]
    pub items: Vec<Question>,
}

impl Questionnaire {
    /// The item question with this id.
    pub fn item(&self, id: &str) -> Option<&Question> {
        self.items.iter().find(|q| q.id == id)
    }
}

/// A reference to a stage: `journey/stage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRef {
    /// Journey id.
    pub journey: String,
    /// Stage id within the journey.
    pub stage: String,
}

/// A place where feedback is collected.
#[derive(Debug, Clone)]
pub struct Touchpoint {
    /// Id used in events.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Department, taken from its stages (which must agree).
    pub department: String,
    /// The journey stages this touchpoint serves.
    pub stages: Vec<StageRef>,
    /// Patient or customer experience.
    pub experience: Experience,
    /// Questionnaire id.
    pub questionnaire: String,
    /// Channels allowed to report for this touchpoint; empty means any.
    pub channels: Vec<Channel>,
}

/// A kiosk or button terminal placed at a touchpoint.
#[derive(Debug, Clone)]
pub struct Device {
    /// Device id, as the device reports it.
    pub id: String,
    /// Display name or location.
    pub name: String,
    /// Touchpoint id.
    pub touchpoint: String,
    /// The stage the device's presses count for.
    pub stage: StageRef,
}

/// A validated catalog with lookups by id.
#[derive(Debug, Clone)]
pub struct Catalog {
    organisations: Vec<Organisation>,
    facilities: Vec<Facility>,
    departments: Vec<Department>,
    journeys: Vec<Journey>,
    questionnaires: Vec<Questionnaire>,
    touchpoints: Vec<Touchpoint>,
    devices: Vec<Device>,
    index: HashMap<(Kind, String), usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Organisation,
    Facility,
    Department,
    Journey,
    Questionnaire,
    Touchpoint,
    Device,
}

impl Kind {
    /// The singular noun and the TOML table name, for messages.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Kind::Organisation => ("organisation", "organisations"),
            Kind::Facility => ("facility", "facilities"),
            Kind::Department => ("department", "departments"),
            Kind::Journey => ("journey", "journeys"),
            Kind::Questionnaire => ("questionnaire", "questionnaires"),
            Kind::Touchpoint => ("touchpoint", "touchpoints"),
            Kind::Device => ("device", "devices"),
        }
    }
}

impl Catalog {
    fn position(&self, kind: Kind, id: &str) -> Option<usize> {
        self.index.get(&(kind, id.to_owned())).copied()
    }

    /// Organisation by id.
    pub fn organisation(&self, id: &str) -> Option<&Organisation> {
        Some(&self.organisations[self.position(Kind::Organisation, id)?])
    }

    /// Facility by id.
    pub fn facility(&self, id: &str) -> Option<&Facility> {
        Some(&self.facilities[self.position(Kind::Facility, id)?])
    }

    /// Department by id.
    pub fn department(&self, id: &str) -> Option<&Department> {
        Some(&self.departments[self.position(Kind::Department, id)?])
    }

    /// Journey by id.
    pub fn journey(&self, id: &str) -> Option<&Journey> {
        Some(&self.journeys[self.position(Kind::Journey, id)?])
    }

    /// Questionnaire by id.
    pub fn questionnaire(&self, id: &str) -> Option<&Questionnaire> {
        Some(&self.questionnaires[self.position(Kind::Questionnaire, id)?])
    }

    /// Touchpoint by id.
    pub fn touchpoint(&self, id: &str) -> Option<&Touchpoint> {
        Some(&self.touchpoints[self.position(Kind::Touchpoint, id)?])
    }

    /// Kiosk device by id.
    pub fn device(&self, id: &str) -> Option<&Device> {
        Some(&self.devices[self.position(Kind::Device, id)?])
    }

    /// All organisations, in file order.
    pub fn organisations(&self) -> &[Organisation] {
        &self.organisations
    }

    /// All facilities, in file order.
    pub fn facilities(&self) -> &[Facility] {
        &self.facilities
    }

    /// All departments, in file order.
    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    /// All journeys, in file order.
    pub fn journeys(&self) -> &[Journey] {
        &self.journeys
    }

    /// All questionnaires, in file order.
    pub fn questionnaires(&self) -> &[Questionnaire] {
        &self.questionnaires
    }

    /// All touchpoints, in file order.
    pub fn touchpoints(&self) -> &[Touchpoint] {
        &self.touchpoints
    }

    /// All kiosk devices, in file order.
    pub fn devices(&self) -> &[Device] {
        &self.devices
    }

    /// Some known ids of a kind, for "unknown X (known: ...)" messages.
    fn known_ids<'a>(ids: impl Iterator<Item = &'a str>) -> String {
        let ids: Vec<&str> = ids.collect();
        let shown = ids.iter().take(8).copied().collect::<Vec<_>>().join(", ");
        if ids.len() > 8 {
            format!("{shown}, ... ({} in all)", ids.len())
        } else {
            shown
        }
    }

    /// Known facility ids, for error messages.
    pub fn known_facilities(&self) -> String {
        Self::known_ids(self.facilities.iter().map(|f| f.id.as_str()))
    }

    /// Known department ids, for error messages.
    pub fn known_departments(&self) -> String {
        Self::known_ids(self.departments.iter().map(|d| d.id.as_str()))
    }

    /// Known touchpoint ids, for error messages.
    pub fn known_touchpoints(&self) -> String {
        Self::known_ids(self.touchpoints.iter().map(|t| t.id.as_str()))
    }
}
