//! CSV input of `carepulse report`: a survey export with a header row, one
//! response per row (docs/analytics.md defines the columns).
//!
//! Required columns: occurred_at, facility, department, journey, stage,
//! experience, channel, questionnaire, overall. Optional: event_id,
//! responded_at, organisation (default: the facility's), touchpoint
//! (default: the catalog's touchpoint at that stage with that
//! questionnaire), journey_instance (a visit reference: pseudonymised at
//! once, used only to link a visit's answers), suspect (`repeat_press`).
//! Every other column is an item id; a row fills the items of its
//! questionnaire and leaves the rest empty. Answers are written as on the
//! wire: numbers on numeric scales, labels (`usually`) on labelled ones;
//! empty means unanswered.

use std::collections::HashMap;

use carepulse_model::{
    AnswerValue, Catalog, Channel, EventAnswer, Experience, FeedbackEvent, Pseudonymiser,
    RawReference, ReferenceKind, RespondentRole, Scale, Suspicion, EVENT_VERSION,
};
use chrono::{DateTime, FixedOffset, Utc};

const REQUIRED: [&str; 9] = [
    "occurred_at",
    "facility",
    "department",
    "journey",
    "stage",
    "experience",
    "channel",
    "questionnaire",
    "overall",
];
const OPTIONAL: [&str; 6] = [
    "event_id",
    "responded_at",
    "organisation",
    "touchpoint",
    "journey_instance",
    "suspect",
];

/// The header of an export: where each column is.
pub struct Columns {
    index: HashMap<String, usize>,
    items: Vec<(String, usize)>,
}

impl Columns {
    /// Reads the header; an error names the missing columns. Columns that
    /// no questionnaire asks are returned as warnings and ignored.
    pub fn new(
        header: &csv::StringRecord,
        catalog: &Catalog,
    ) -> Result<(Columns, Vec<String>), String> {
        let index: HashMap<String, usize> = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_owned(), i))
            .collect();
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|c| !index.contains_key(*c))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the header lacks the column(s) {}",
                missing.join(", ")
            ));
        }
        let (mut items, mut warnings) = (Vec::new(), Vec::new());
        for (name, &i) in &index {
            if REQUIRED.contains(&name.as_str()) || OPTIONAL.contains(&name.as_str()) {
                continue;
            }
            if catalog
                .questionnaires()
                .iter()
                .any(|q| q.item(name).is_some())
            {
                items.push((name.clone(), i));
            } else {
                warnings.push(format!(
                    "column '{name}' ignored: no questionnaire of the catalog has such an item"
                ));
            }
        }
        items.sort();
        warnings.sort();
        Ok((Columns { index, items }, warnings))
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        let cell = record.get(*self.index.get(column)?)?.trim();
        (!cell.is_empty()).then_some(cell)
    }
}

fn answer(question: &str, scale: Scale, cell: &str) -> Result<EventAnswer, String> {
    let value = if scale.labels().is_empty() {
        AnswerValue::Number(
            cell.parse()
                .map_err(|_| format!("{question}: '{cell}' is not a number"))?,
        )
    } else {
        AnswerValue::Label(cell.to_owned())
    };
    scale
        .parse(&value)
        .map_err(|e| format!("{question}: {e}"))?;
    Ok(EventAnswer {
        question: question.to_owned(),
        scale,
        value,
    })
}

fn time(column: &str, cell: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(cell)
        .map_err(|_| format!("{column}: '{cell}' is not an RFC 3339 time with an offset"))
}

fn enum_value<T: serde::de::DeserializeOwned>(column: &str, cell: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(cell.to_owned()))
        .map_err(|e| format!("{column}: {e}"))
}

/// The event of one data row; `row_id` stands in for a missing event_id.
pub fn event(
    columns: &Columns,
    record: &csv::StringRecord,
    catalog: &Catalog,
    pseudonymiser: &Pseudonymiser,
    row_id: &str,
) -> Result<FeedbackEvent, String> {
    if record.len() != columns.index.len() {
        return Err(format!(
            "{} fields, the header has {}",
            record.len(),
            columns.index.len()
        ));
    }
    let cell = |c: &str| {
        columns
            .get(record, c)
            .ok_or_else(|| format!("{c}: missing"))
    };
    let occurred_at = time("occurred_at", cell("occurred_at")?)?;
    let responded_at = match columns.get(record, "responded_at") {
        Some(c) => time("responded_at", c)?,
        None => occurred_at,
    };
    let questionnaire_id = cell("questionnaire")?;
    let questionnaire = catalog
        .questionnaire(questionnaire_id)
        .ok_or_else(|| format!("questionnaire: '{questionnaire_id}' is not in the catalog"))?;
    let (journey_id, stage_id, department) =
        (cell("journey")?, cell("stage")?, cell("department")?);
    let stage = catalog
        .journey(journey_id)
        .ok_or_else(|| format!("journey: '{journey_id}' is not in the catalog"))?
        .stage(stage_id)
        .ok_or_else(|| format!("stage: journey '{journey_id}' has no stage '{stage_id}'"))?;
    if stage.department != department {
        return Err(format!(
            "department: stage '{journey_id}/{stage_id}' belongs to '{}', not '{department}'",
            stage.department
        ));
    }
    let facility_id = cell("facility")?;
    let facility = catalog
        .facility(facility_id)
        .ok_or_else(|| format!("facility: '{facility_id}' is not in the catalog"))?;
    let touchpoint = match columns.get(record, "touchpoint") {
        Some(t) => t.to_owned(),
        None => catalog
            .touchpoints()
            .iter()
            .find(|t| t.questionnaire == questionnaire.id && t.stages.iter().any(|s| s.journey == journey_id && s.stage == stage_id))
            .map(|t| t.id.clone())
            .ok_or_else(|| format!("touchpoint: no touchpoint of stage '{journey_id}/{stage_id}' asks '{questionnaire_id}'; add a touchpoint column"))?,
    };
    let overall = answer("overall", questionnaire.overall.scale, cell("overall")?)?;
    let mut items = Vec::new();
    for (name, _) in &columns.items {
        let Some(value) = columns.get(record, name) else {
            continue;
        };
        let question = questionnaire.item(name).ok_or_else(|| {
            format!("{name}: questionnaire '{questionnaire_id}' has no item '{name}'")
        })?;
        items.push(answer(name, question.scale, value)?);
    }
    let journey_instance = match columns.get(record, "journey_instance") {
        Some(raw) => {
            let raw: RawReference = enum_value("journey_instance", raw)?;
            Some(pseudonymiser.pseudonymise(ReferenceKind::JourneyInstance, &raw))
        }
        None => None,
    };
    Ok(FeedbackEvent {
        v: EVENT_VERSION,
        event_id: columns.get(record, "event_id").unwrap_or(row_id).to_owned(),
        occurred_at,
        responded_at,
        received_at: responded_at.with_timezone(&Utc),
        organisation: columns
            .get(record, "organisation")
            .unwrap_or(&facility.organisation)
            .to_owned(),
        facility: facility.id.clone(),
        department: department.to_owned(),
        journey: journey_id.to_owned(),
        stage: stage_id.to_owned(),
        touchpoint,
        experience: enum_value::<Experience>("experience", cell("experience")?)?,
        channel: enum_value::<Channel>("channel", cell("channel")?)?,
        source_id: None,
        respondent_role: RespondentRole::Unknown,
        subject: None,
        journey_instance,
        questionnaire: questionnaire.id.clone(),
        overall,
        items,
        comment: None,
        locale: None,
        consent_to_contact: false,
        suspect: columns
            .get(record, "suspect")
            .map(|s| enum_value::<Suspicion>("suspect", s))
            .transpose()?,
    })
}
