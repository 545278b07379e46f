//! Validation of submissions against the example catalog: every problem at
//! once, with the field path and a reason an integrator can act on.

use carepulse_model::{
    decode_submission, validate, Catalog, Limits, ProblemCode, Problems, Pseudonymiser,
    ValidSubmission, ValidationContext,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

fn catalog() -> Catalog {
    Catalog::from_toml(include_str!(
        "../../../deploy/catalog/general-hospital.toml"
    ))
    .unwrap()
}

fn now() -> DateTime<Utc> {
    "2026-11-21T12:00:00Z".parse().unwrap()
}

fn check(body: &Value) -> Result<ValidSubmission, Problems> {
    let catalog = catalog();
    let limits = Limits::default();
    let ctx = ValidationContext {
        catalog: &catalog,
        now: now(),
        limits: &limits,
    };
    decode_submission(body.to_string().as_bytes()).and_then(|s| validate(s, &ctx))
}

fn example(name: &str) -> Value {
    let path = format!("{}/../../docs/examples/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn problems(body: &Value) -> Vec<(String, ProblemCode)> {
    check(body)
        .unwrap_err()
        .iter()
        .map(|p| (p.field.clone(), p.code))
        .collect()
}

fn key() -> Pseudonymiser {
    Pseudonymiser::new("k1", b"test-key-test-key-test-key-test-key!").unwrap()
}

#[test]
fn documented_examples_are_valid_except_the_invalid_one() {
    for name in [
        "kiosk-smiley.json",
        "sms-ed-visit-survey.json",
        "portal-imaging-survey.json",
        "pharmacy-pickup-sms.json",
        "ed-discharge-fft.json",
    ] {
        if let Err(p) = check(&example(name)) {
            panic!("{name}: {p}");
        }
    }
}

#[test]
fn the_invalid_example_reports_every_problem_with_its_field() {
    let found = check(&example("invalid-submission.json")).unwrap_err();
    let got: Vec<(String, ProblemCode)> = found.iter().map(|p| (p.field.clone(), p.code)).collect();
    assert_eq!(
        got,
        [
            ("department".to_owned(), ProblemCode::Inconsistent),
            ("channel".to_owned(), ProblemCode::Inconsistent),
            ("answers.overall.value".to_owned(), ProblemCode::OutOfScale),
            (
                "answers.items[0].question".to_owned(),
                ProblemCode::UnknownReference
            ),
            ("locale".to_owned(), ProblemCode::BadValue),
        ],
        "{found}"
    );
    let text = found.to_string();
    assert!(text.contains("touchpoint 'opd-consultation-survey' belongs to department 'outpatients', not 'radiology'"), "{text}");
    assert!(
        text.contains("7 is not on the csat_1_5 scale: expected a whole number from 1 to 5"),
        "{text}"
    );
    assert!(
        text.contains("has no item 'parking' (items: wait_time, doctor_listened"),
        "{text}"
    );
}

#[test]
fn derived_fields_come_from_the_catalog() {
    let event = check(&example("pharmacy-pickup-sms.json"))
        .unwrap()
        .into_event(&key(), now());
    assert_eq!(event.organisation, "riverside-pharmacy");
    assert_eq!(event.department, "pharmacy-counter");
    assert_eq!(
        (event.journey.as_str(), event.stage.as_str()),
        ("repeat-prescription", "pickup")
    );
    assert_eq!(event.questionnaire, "pharmacy-pickup");
    assert_eq!(event.experience, carepulse_model::Experience::Customer);
    assert_eq!(event.overall.scale, carepulse_model::Scale::Csat1To5);
    assert_eq!(event.responded_at.to_rfc3339(), "2026-11-20T18:02:00+00:00");
    assert_eq!(
        event.respondent_role,
        carepulse_model::RespondentRole::Unknown
    );
    assert!(!event.consent_to_contact);
}

#[test]
fn experience_type_can_be_overridden() {
    let mut body = example("kiosk-smiley.json");
    body["experience"] = json!("patient");
    let event = check(&body).unwrap().into_event(&key(), now());
    assert_eq!(event.experience, carepulse_model::Experience::Patient);
}

#[test]
fn raw_references_never_reach_the_event() {
    let event = check(&example("sms-ed-visit-survey.json"))
        .unwrap()
        .into_event(&key(), now());
    let json = serde_json::to_string(&event).unwrap();
    assert!(!json.contains("MRN-00123456"), "{json}");
    assert!(!json.contains("ED-ATT-2026-118822"), "{json}");
    assert!(!json.contains("07700 900123"), "{json}");
    assert!(
        event
            .comment
            .as_deref()
            .unwrap()
            .ends_with("Call me on [phone]."),
        "{json}"
    );
    let subject = event.subject.unwrap();
    assert!(subject.as_str().starts_with("k1:"));
    assert_ne!(Some(subject), event.journey_instance);
}

#[test]
fn missing_event_ids_are_generated_and_client_ids_kept() {
    let generated = check(&example("ed-discharge-fft.json"))
        .unwrap()
        .into_event(&key(), now());
    assert_eq!(generated.event_id.len(), 36, "a UUID");
    let kept = check(&example("kiosk-smiley.json"))
        .unwrap()
        .into_event(&key(), now());
    assert_eq!(kept.event_id, "kiosk-ed-02:000481");
}

#[test]
fn events_round_trip_through_json() {
    let event = check(&example("sms-ed-visit-survey.json"))
        .unwrap()
        .into_event(&key(), now());
    let back: carepulse_model::FeedbackEvent =
        serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
    assert_eq!(back, event);
}

#[test]
fn a_table_of_bad_submissions_names_field_and_reason() {
    use ProblemCode::*;
    let base = example("sms-ed-visit-survey.json");
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut b = base.clone();
        edit(&mut b);
        b
    };
    type Expected = Vec<(&'static str, ProblemCode)>;
    let cases: Vec<(&str, Value, Expected)> = vec![
        (
            "unknown facility",
            with(&|b| b["facility"] = json!("st-nowhere")),
            vec![("facility", UnknownReference)],
        ),
        (
            "unknown department",
            with(&|b| b["department"] = json!("cardiology")),
            vec![("department", UnknownReference)],
        ),
        (
            "unknown touchpoint",
            with(&|b| b["touchpoint"] = json!("lobby-kiosk")),
            vec![("touchpoint", UnknownReference)],
        ),
        (
            "touchpoint at another facility",
            with(&|b| b["facility"] = json!("riverside-surgery")),
            vec![("organisation", Inconsistent), ("facility", Inconsistent)],
        ),
        (
            "wrong organisation",
            with(&|b| b["organisation"] = json!("riverside-gp")),
            vec![("organisation", Inconsistent)],
        ),
        (
            "stage the touchpoint does not serve",
            with(&|b| b["stage"] = json!("triage")),
            vec![("stage", Inconsistent)],
        ),
        (
            "unknown journey",
            with(&|b| b["journey"] = json!("space-flight")),
            vec![("journey", UnknownReference)],
        ),
        (
            "channel not allowed",
            with(&|b| b["channel"] = json!("kiosk")),
            vec![("channel", Inconsistent)],
        ),
        (
            "answer off the scale",
            with(&|b| b["answers"]["overall"]["value"] = json!(11)),
            vec![("answers.overall.value", OutOfScale)],
        ),
        (
            "label on a numeric scale",
            with(&|b| b["answers"]["items"][0]["value"] = json!("good")),
            vec![("answers.items[0].value", OutOfScale)],
        ),
        (
            "declared scale differs",
            with(&|b| b["answers"]["overall"]["scale"] = json!("csat_1_5")),
            vec![("answers.overall.scale", Inconsistent)],
        ),
        (
            "wrong overall question",
            with(&|b| b["answers"]["overall"]["question"] = json!("wait_time")),
            vec![("answers.overall.question", Inconsistent)],
        ),
        (
            "item twice",
            with(&|b| b["answers"]["items"][1]["question"] = json!("wait_time")),
            vec![("answers.items[1].question", Inconsistent)],
        ),
        (
            "questionnaire differs",
            with(&|b| b["questionnaire"] = json!("nhs-fft")),
            vec![("questionnaire", Inconsistent)],
        ),
        (
            "event in the future",
            with(&|b| b["occurred_at"] = json!("2026-11-21T13:00:00+00:00")),
            vec![
                ("occurred_at", TimeOutOfRange),
                ("responded_at", TimeOutOfRange),
            ],
        ),
        (
            "answer before the visit",
            with(&|b| b["responded_at"] = json!("2026-11-19T20:00:00+00:00")),
            vec![("responded_at", TimeOutOfRange)],
        ),
        (
            "ancient event",
            with(&|b| {
                b["occurred_at"] = json!("2020-01-01T00:00:00Z");
                b["responded_at"] = json!("2020-01-02T00:00:00Z");
            }),
            vec![
                ("occurred_at", TimeOutOfRange),
                ("responded_at", TimeOutOfRange),
            ],
        ),
        (
            "comment too long",
            with(&|b| b["comment"] = json!("x".repeat(4001))),
            vec![("comment", BadValue)],
        ),
        (
            "bad event id",
            with(&|b| b["event_id"] = json!("has spaces")),
            vec![("event_id", BadValue)],
        ),
        (
            "blank subject reference",
            with(&|b| b["subject_ref"] = json!("  ")),
            vec![("subject_ref", BadValue)],
        ),
        (
            "bad locale",
            with(&|b| b["locale"] = json!("en_GB")),
            vec![("locale", BadValue)],
        ),
        (
            "wrong types",
            with(&|b| {
                b["consent_to_contact"] = json!("yes");
                b["respondent_role"] = json!("doctor");
            }),
            vec![
                ("respondent_role", WrongType),
                ("consent_to_contact", WrongType),
            ],
        ),
        (
            "missing answers",
            with(&|b| {
                b.as_object_mut().unwrap().remove("answers");
            }),
            vec![("answers", Missing)],
        ),
    ];
    for (name, body, expected) in cases {
        let expected: Vec<(String, ProblemCode)> = expected
            .into_iter()
            .map(|(f, c)| (f.to_owned(), c))
            .collect();
        assert_eq!(problems(&body), expected, "case: {name}");
    }
}

#[test]
fn a_touchpoint_serving_several_stages_needs_journey_and_stage() {
    let text = include_str!("../../../deploy/catalog/general-hospital.toml").replace(
        "stages = [\"repeat-prescription/approval\"]",
        "stages = [\"repeat-prescription/approval\", \"repeat-prescription/request\"]",
    ).replace(
        "{ id = \"approval\", name = \"Review and approval by the GP\", department = \"gp-clinical\" }",
        "{ id = \"approval\", name = \"Review and approval by the GP\", department = \"gp-reception\" }",
    );
    let catalog = Catalog::from_toml(&text).unwrap();
    let limits = Limits::default();
    let ctx = ValidationContext {
        catalog: &catalog,
        now: now(),
        limits: &limits,
    };
    let body = json!({
        "occurred_at": "2026-11-20T10:00:00Z", "facility": "riverside-surgery",
        "touchpoint": "gp-approval-sms", "channel": "sms",
        "answers": { "overall": { "question": "overall", "value": 6 } }
    });
    let err = decode_submission(body.to_string().as_bytes())
        .and_then(|s| validate(s, &ctx))
        .unwrap_err();
    assert_eq!(err.0[0].field, "journey");
    assert!(err.0[0].reason.contains("send journey and stage"), "{err}");
    let mut body = body;
    body["stage"] = json!("request");
    let event = decode_submission(body.to_string().as_bytes())
        .and_then(|s| validate(s, &ctx))
        .unwrap();
    assert_eq!(event.into_event(&key(), now()).stage, "request");
}
