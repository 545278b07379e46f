//! Turning request bodies into [`Submission`]s, reporting every structural
//! problem at once (missing fields, wrong types, unknown fields) rather than
//! serde's first one.
//!
//! The fast path is one typed `serde_json` parse. Only when it fails is the
//! body walked field by field, each field checked with its own type's
//! `Deserialize` impl, so the walk and the typed parse cannot disagree on
//! what a field accepts. A test keeps [`SUBMISSION_FIELDS`] equal to the
//! fields of the published JSON Schema.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::event::{Answer, Channel, Experience, RespondentRole, Submission};
use crate::problem::{ProblemCode, Problems};
use crate::pseudonym::RawReference;
use crate::scale::{AnswerValue, Scale};

type Nested = fn(&str, &Value, &mut Problems);

/// One field of a JSON object: its name, whether it is required, how to
/// check its value.
struct Field {
    name: &'static str,
    required: bool,
    check: Nested,
}

const fn field(name: &'static str, required: bool, check: Nested) -> Field {
    Field {
        name,
        required,
        check,
    }
}

/// Checks a value with `T`'s `Deserialize` impl.
fn typed<T: DeserializeOwned>(path: &str, value: &Value, problems: &mut Problems) {
    if let Err(e) = T::deserialize(value) {
        problems.push(path, ProblemCode::WrongType, e.to_string());
    }
}

/// The top-level fields of a submission, in the order problems are reported.
pub const SUBMISSION_FIELDS: &[&str] = &[
    "event_id",
    "occurred_at",
    "responded_at",
    "facility",
    "organisation",
    "department",
    "journey",
    "stage",
    "touchpoint",
    "experience",
    "channel",
    "source_id",
    "respondent_role",
    "subject_ref",
    "journey_instance_ref",
    "questionnaire",
    "answers",
    "comment",
    "locale",
    "consent_to_contact",
];

const TIME: Nested = typed::<chrono::DateTime<chrono::FixedOffset>>;
const TEXT: Nested = typed::<String>;

fn submission_fields() -> [Field; 20] {
    [
        field("event_id", false, TEXT),
        field("occurred_at", true, check_time),
        field("responded_at", false, check_time),
        field("facility", true, TEXT),
        field("organisation", false, TEXT),
        field("department", false, TEXT),
        field("journey", false, TEXT),
        field("stage", false, TEXT),
        field("touchpoint", true, TEXT),
        field("experience", false, typed::<Experience>),
        field("channel", true, typed::<Channel>),
        field("source_id", false, TEXT),
        field("respondent_role", false, typed::<RespondentRole>),
        field("subject_ref", false, typed::<RawReference>),
        field("journey_instance_ref", false, typed::<RawReference>),
        field("questionnaire", false, TEXT),
        field("answers", true, check_answers),
        field("comment", false, TEXT),
        field("locale", false, TEXT),
        field("consent_to_contact", false, typed::<bool>),
    ]
}

fn check_time(path: &str, value: &Value, problems: &mut Problems) {
    let mut found = Problems::default();
    TIME(path, value, &mut found);
    if !found.is_empty() {
        let reason = match value {
            Value::String(s) => format!(
                "'{s}' is not an RFC 3339 time with a UTC offset, e.g. 2026-11-21T09:15:00+01:00 or 2026-11-21T08:15:00Z"
            ),
            _ => "expected an RFC 3339 time string with a UTC offset".to_owned(),
        };
        problems.push(path, ProblemCode::WrongType, reason);
    }
}

fn check_answers(path: &str, value: &Value, problems: &mut Problems) {
    let fields = [
        field("overall", true, check_answer),
        field("items", false, check_items),
    ];
    walk_object(path, value, &fields, problems);
}

fn check_items(path: &str, value: &Value, problems: &mut Problems) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_answer(&format!("{path}[{i}]"), item, problems);
            }
        }
        Value::Null => {}
        _ => problems.push(path, ProblemCode::WrongType, "expected an array of answers"),
    }
}

fn check_answer(path: &str, value: &Value, problems: &mut Problems) {
    let fields = [
        field("question", true, TEXT),
        field("scale", false, typed::<Scale>),
        field("value", true, typed::<AnswerValue>),
    ];
    walk_object(path, value, &fields, problems);
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn walk_object(path: &str, value: &Value, fields: &[Field], problems: &mut Problems) {
    let Value::Object(object) = value else {
        problems.push(path, ProblemCode::WrongType, "expected a JSON object");
        return;
    };
    for f in fields {
        let here = join(path, f.name);
        match object.get(f.name) {
            None | Some(Value::Null) if f.required => {
                problems.push(here, ProblemCode::Missing, "required field is missing");
            }
            None | Some(Value::Null) => {}
            Some(v) => (f.check)(&here, v, problems),
        }
    }
    for key in object.keys() {
        if !fields.iter().any(|f| f.name == key) {
            let known: Vec<&str> = fields.iter().map(|f| f.name).collect();
            problems.push(
                join(path, key),
                ProblemCode::UnknownField,
                format!("unknown field (fields here: {})", known.join(", ")),
            );
        }
    }
}

/// Parses a JSON body into a submission, or reports every structural problem.
pub fn decode_submission(body: &[u8]) -> Result<Submission, Problems> {
    let typed_error = match serde_json::from_slice::<Submission>(body) {
        Ok(submission) => return Ok(submission),
        Err(e) => e,
    };
    let mut problems = Problems::default();
    match serde_json::from_slice::<Value>(body) {
        Err(e) => problems.push(
            "",
            ProblemCode::MalformedJson,
            format!("body is not valid JSON: {e}"),
        ),
        Ok(value) => walk_object("", &value, &submission_fields(), &mut problems),
    }
    if problems.is_empty() {
        // The walk and the typed parse disagree; report serde's view rather
        // than accept a body the typed parse refused.
        problems.push("", ProblemCode::WrongType, typed_error.to_string());
    }
    Err(problems)
}

/// Checks one answer object the way [`decode_submission`] does, for callers
/// that build answers from other inputs (kiosk button presses).
pub fn decode_answer(value: &Value) -> Result<Answer, Problems> {
    let mut problems = Problems::default();
    check_answer("", value, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    serde_json::from_value(value.clone()).map_err(|e| {
        let mut p = Problems::default();
        p.push("", ProblemCode::WrongType, e.to_string());
        p
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_list_matches_the_walk() {
        let walked: Vec<&str> = submission_fields().iter().map(|f| f.name).collect();
        assert_eq!(walked, SUBMISSION_FIELDS);
    }

    #[test]
    fn every_structural_problem_is_reported_at_once() {
        let body = br#"{
            "occurred_at": "yesterday",
            "facility": 12,
            "channel": "carrier-pigeon",
            "answers": { "overall": { "question": "overall" }, "items": [ { "question": "x", "value": true } ] },
            "colour": "blue"
        }"#;
        let problems = decode_submission(body).unwrap_err();
        let got: Vec<(String, ProblemCode)> =
            problems.iter().map(|p| (p.field.clone(), p.code)).collect();
        assert_eq!(
            got,
            [
                ("occurred_at".to_owned(), ProblemCode::WrongType),
                ("facility".to_owned(), ProblemCode::WrongType),
                ("touchpoint".to_owned(), ProblemCode::Missing),
                ("channel".to_owned(), ProblemCode::WrongType),
                ("answers.overall.value".to_owned(), ProblemCode::Missing),
                ("answers.items[0].value".to_owned(), ProblemCode::WrongType),
                ("colour".to_owned(), ProblemCode::UnknownField),
            ]
        );
        let channel = problems.iter().find(|p| p.field == "channel").unwrap();
        assert!(channel.reason.contains("kiosk"), "{}", channel.reason);
    }

    #[test]
    fn malformed_json_says_where() {
        let problems = decode_submission(b"{\"facility\": ").unwrap_err();
        assert_eq!(problems.0.len(), 1);
        assert_eq!(problems.0[0].code, ProblemCode::MalformedJson);
        assert!(
            problems.0[0].reason.contains("line 1"),
            "{}",
            problems.0[0].reason
        );
    }

    #[test]
    fn times_without_offset_are_refused() {
        let body = br#"{"occurred_at":"2026-11-21T09:00:00","facility":"f","touchpoint":"t","channel":"kiosk",
                       "answers":{"overall":{"question":"overall","value":3}}}"#;
        let problems = decode_submission(body).unwrap_err();
        assert_eq!(problems.0[0].field, "occurred_at");
        assert!(problems.0[0].reason.contains("UTC offset"));
    }
}
