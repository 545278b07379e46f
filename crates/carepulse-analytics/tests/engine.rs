//! The report engine over feedback events: which events count, question
//! quality, journeys and their linkage, on hand-made events whose answers
//! are known.

use carepulse_analytics::quality::{QualityAccumulator, QualityFlag};
use carepulse_analytics::{
    AnalyticsError, Dimension, QualitySettings, Report, ReportBuilder, ReportSettings, Skipped,
};
use carepulse_model::{AnswerValue, Catalog, FeedbackEvent, Scale};
use serde_json::{json, Value};

fn catalog() -> Catalog {
    Catalog::from_toml(include_str!(
        "../../../deploy/catalog/general-hospital.toml"
    ))
    .unwrap()
}

/// An ED visit survey event; `items` are the four item answers in
/// questionnaire order (null: unanswered).
fn ed_survey(
    id: &str,
    day: u32,
    overall: i64,
    items: [Value; 4],
    visit: Option<&str>,
) -> FeedbackEvent {
    let names = [
        "wait_time",
        "staff_courtesy",
        "information_clarity",
        "pain_managed",
    ];
    let scales = ["csat_1_5", "hcahps_frequency", "hcahps_frequency", "yes_no"];
    let answers: Vec<Value> = items
        .iter()
        .zip(names.iter().zip(scales))
        .filter(|(v, _)| !v.is_null())
        .map(|(v, (q, s))| json!({ "question": q, "scale": s, "value": v }))
        .collect();
    event(
        id,
        day,
        "treatment",
        "ed-visit-survey",
        json!({ "question": "overall", "scale": "rating_0_10", "value": overall }),
        answers,
        visit,
    )
}

fn event(
    id: &str,
    day: u32,
    stage: &str,
    questionnaire: &str,
    overall: Value,
    items: Vec<Value>,
    visit: Option<&str>,
) -> FeedbackEvent {
    let mut e = json!({
        "v": 1, "event_id": id,
        "occurred_at": format!("2026-03-{day:02}T10:00:00Z"), "responded_at": format!("2026-03-{day:02}T10:00:00Z"),
        "received_at": format!("2026-03-{day:02}T10:00:00Z"),
        "organisation": "stmarys-trust", "facility": "stmarys-general", "department": "ed",
        "journey": "ed-visit", "stage": stage, "touchpoint": "t", "experience": "patient",
        "channel": "sms", "respondent_role": "patient", "questionnaire": questionnaire,
        "overall": overall, "items": items, "consent_to_contact": false
    });
    if let Some(v) = visit {
        e["journey_instance"] = json!(format!("k1:{v:0>32}"));
    }
    serde_json::from_value(e).unwrap()
}

fn report(events: &[FeedbackEvent], settings: ReportSettings) -> Report {
    let catalog = catalog();
    let mut b = ReportBuilder::new(&catalog, settings);
    for e in events {
        b.add(e).unwrap();
    }
    b.finish()
}

#[test]
fn duplicates_suspects_and_events_outside_the_window_are_counted_not_used() {
    let catalog = catalog();
    let settings = ReportSettings {
        from: Some("2026-03-02T00:00:00Z".parse().unwrap()),
        until: Some("2026-03-05T00:00:00Z".parse().unwrap()),
        ..ReportSettings::default()
    };
    let mut b = ReportBuilder::new(&catalog, settings);
    let good = ed_survey(
        "a",
        3,
        9,
        [json!(5), json!("always"), json!("usually"), json!("yes")],
        None,
    );
    assert_eq!(b.add(&good).unwrap(), None);
    assert_eq!(b.add(&good).unwrap(), Some(Skipped::Duplicate));
    let mut suspect = ed_survey(
        "b",
        3,
        0,
        [json!(1), json!("never"), json!("never"), json!("no")],
        None,
    );
    suspect.suspect = Some(carepulse_model::Suspicion::RepeatPress);
    assert_eq!(b.add(&suspect).unwrap(), Some(Skipped::Suspect));
    let late = ed_survey(
        "c",
        5,
        3,
        [Value::Null, Value::Null, Value::Null, Value::Null],
        None,
    );
    assert_eq!(b.add(&late).unwrap(), Some(Skipped::OutsideWindow));
    let mut bad = ed_survey(
        "d",
        3,
        3,
        [json!(9), Value::Null, Value::Null, Value::Null],
        None,
    );
    assert!(
        matches!(b.add(&bad), Err(AnalyticsError::BadAnswer { question, .. }) if question == "wait_time")
    );
    bad.questionnaire = "long-gone-survey".into();
    bad.items.clear();
    bad.event_id = "e".into();
    assert_eq!(b.add(&bad).unwrap(), None);
    let r = b.finish();
    assert_eq!(
        (
            r.input.events,
            r.input.used,
            r.input.duplicates,
            r.input.suspect,
            r.input.outside_window
        ),
        (5, 2, 1, 1, 1)
    );
    assert!(
        r.notes.iter().any(|n| n.contains("long-gone-survey")),
        "{:?}",
        r.notes
    );
    let all = r
        .scores
        .iter()
        .find(|s| s.dimension == Dimension::All && s.scale == Some(Scale::Rating0To10))
        .unwrap();
    // Overall answers 9 and 3: NPS (1 promoter, 1 detractor) = 0.
    assert_eq!(
        (all.n, all.nps.unwrap().score, all.linear_mean),
        (2, 0.0, Some(60.0))
    );
    assert!(!all.sufficient);
}

#[test]
fn question_quality_follows_the_textbook_formulas() {
    // Three identical items: alpha 1 and item-total 1. A fourth item that
    // is always the top box: a ceiling, and no variance to correlate.
    let scale = Scale::HcahpsFrequency;
    let labels = scale.labels();
    let mut acc = QualityAccumulator::new(vec!["a".into(), "b".into(), "c".into(), "d".into()]);
    for i in 0..60 {
        let r = scale
            .parse(&AnswerValue::Label(labels[i % 4].into()))
            .unwrap();
        let top = scale.parse(&AnswerValue::Label("always".into())).unwrap();
        let d = (i % 6 != 0).then_some(top);
        acc.record(&[Some(r), Some(r), Some(r), d]);
    }
    let q = acc.finish(&QualitySettings::default());
    assert_eq!((q.responses, q.complete), (60, 50));
    // Without d: three identical items, alpha 1. Without a: b and c
    // identical plus constant d: σ²_T = 4v, Σσ² = 2v, alpha = 3/2 · 1/2.
    assert!((q.items[3].alpha_if_deleted.unwrap() - 1.0).abs() < 1e-9);
    assert!((q.items[0].alpha_if_deleted.unwrap() - 0.75).abs() < 1e-9);
    assert!((q.items[0].item_total.unwrap() - 1.0).abs() < 1e-9);
    let d = &q.items[3];
    assert_eq!(d.top_box, Some(100.0));
    assert!((d.non_response - 100.0 / 6.0).abs() < 1e-9);
    assert_eq!(
        d.flags,
        vec![QualityFlag::Ceiling, QualityFlag::HighNonResponse]
    );
    assert_eq!(d.item_total, None);
    // Alpha of a+b+c+d: k/(k-1)(1 - Σσ²/σ²_T) with σ²_d = 0: 3 identical
    // items of variance v give σ²_T = 9v, so alpha = 4/3 · (1 − 3/9) = 8/9.
    assert!((q.alpha.unwrap() - 8.0 / 9.0).abs() < 1e-9, "{:?}", q.alpha);
    let few =
        QualityAccumulator::new(vec!["a".into(), "b".into()]).finish(&QualitySettings::default());
    assert!(few.alpha.is_none() && few.note.unwrap().contains("not reliable"));
}

#[test]
fn journeys_list_stages_in_order_find_the_weakest_and_link_visits() {
    let smiley = |v: &str| json!({ "question": "overall", "scale": "smiley_4", "value": v });
    let mut events = Vec::new();
    for i in 0..40u32 {
        let visit = format!("{i}");
        // Triage is bad for every other visit; those visits rate the
        // treatment lower (6 against 9).
        let bad = i % 2 == 0;
        events.push(event(
            &format!("t{i}"),
            3,
            "triage",
            "kiosk-smiley",
            smiley(if bad { "very_unhappy" } else { "happy" }),
            vec![],
            Some(&visit),
        ));
        let items = [json!(3), json!("usually"), json!("usually"), json!("yes")];
        events.push(ed_survey(
            &format!("s{i}"),
            3,
            if bad { 6 } else { 9 },
            items,
            Some(&visit),
        ));
    }
    for i in 0..5 {
        events.push(event(
            &format!("a{i}"),
            3,
            "arrival",
            "kiosk-smiley",
            smiley("very_happy"),
            vec![],
            None,
        ));
    }
    let r = report(&events, ReportSettings::default());
    let ed = r.journeys.iter().find(|j| j.journey == "ed-visit").unwrap();
    let stages: Vec<&str> = ed.stages.iter().map(|s| s.info.stage.as_str()).collect();
    assert_eq!(
        stages,
        ["arrival", "triage", "treatment", "discharge", "follow-up"]
    );
    assert_eq!(ed.stages[0].n, 5);
    assert!(!ed.stages[0].sufficient && ed.stages[1].sufficient);
    // Triage: half 0, half 66.7 = 33.3; treatment: 60 and 90 = 75.
    assert_eq!(ed.weakest.as_deref(), Some("triage"));
    assert_eq!(ed.stages[1].info.organisation, "stmarys-trust");
    assert_eq!(ed.linked_visits, 40);
    let triage = ed.impacts.iter().find(|i| i.stage == "triage").unwrap();
    assert_eq!((triage.visits, triage.bad, triage.reliable), (40, 20, true));
    assert!(
        (triage.difference.unwrap() - (60.0 - 90.0)).abs() < 1e-9,
        "{triage:?}"
    );
    // One department, journey and experience: only the "all" group, the
    // others would repeat it.
    let groups: Vec<(Dimension, &str)> = r
        .drivers
        .iter()
        .map(|g| (g.dimension, g.key.as_str()))
        .collect();
    assert_eq!(groups, [(Dimension::All, "all")]);
}
