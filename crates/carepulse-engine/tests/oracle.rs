//! The engine against a straightforward oracle: for random streams with
//! duplicates, late answers, suspect presses and shuffled order, the minute
//! counts and every rolling window equal a direct computation over the
//! events that should count.

use std::collections::{BTreeMap, HashSet};

use carepulse_engine::{minute_of, Counts, Engine, EngineConfig, Outcome, ALL, DIMENSIONS};
use carepulse_model::{
    AnswerValue, Channel, EventAnswer, Experience, FeedbackEvent, RespondentRole, Scale, Suspicion,
};
use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;

fn base_time() -> DateTime<Utc> {
    "2026-11-01T00:00:00Z".parse().unwrap()
}

#[derive(Debug, Clone)]
struct Spec {
    id: u32,
    department: usize,
    stage: usize,
    channel: usize,
    occurred_min: i64,
    delay_min: i64,
    overall: u8,
    item: Option<u8>,
    suspect: bool,
}

fn event(s: &Spec) -> FeedbackEvent {
    let departments = ["ed", "radiology", "pharmacy-counter"];
    let stages = ["arrival", "triage", "treatment"];
    let channels = [Channel::Kiosk, Channel::Sms, Channel::Portal];
    let occurred = base_time() + TimeDelta::minutes(s.occurred_min);
    FeedbackEvent {
        v: 1,
        event_id: format!("e{}", s.id),
        occurred_at: occurred.fixed_offset(),
        responded_at: occurred.fixed_offset(),
        received_at: occurred + TimeDelta::minutes(s.delay_min),
        organisation: "trust".into(),
        facility: if s.department == 2 {
            "pharmacy".into()
        } else {
            "hospital".into()
        },
        department: departments[s.department].into(),
        journey: "visit".into(),
        stage: stages[s.stage].into(),
        touchpoint: "t".into(),
        experience: if s.stage == 2 {
            Experience::Patient
        } else {
            Experience::Customer
        },
        channel: channels[s.channel],
        source_id: None,
        respondent_role: RespondentRole::Unknown,
        subject: None,
        journey_instance: None,
        questionnaire: "q".into(),
        overall: EventAnswer {
            question: "overall".into(),
            scale: Scale::Rating0To10,
            value: AnswerValue::Number(f64::from(s.overall)),
        },
        items: s
            .item
            .map(|v| EventAnswer {
                question: "wait_time".into(),
                scale: Scale::Csat1To5,
                value: AnswerValue::Number(f64::from(v)),
            })
            .into_iter()
            .collect(),
        comment: None,
        locale: None,
        consent_to_contact: false,
        suspect: s.suspect.then_some(Suspicion::RepeatPress),
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u32..60,
        0usize..3,
        0usize..3,
        0usize..3,
        0i64..(40 * 24 * 60),
        prop_oneof![4 => 0i64..600, 1 => 0i64..(9 * 24 * 60)],
        0u8..=10,
        proptest::option::of(1u8..=5),
        proptest::bool::weighted(0.05),
    )
        .prop_map(
            |(id, department, stage, channel, occurred_min, delay_min, overall, item, suspect)| {
                Spec {
                    id,
                    department,
                    stage,
                    channel,
                    occurred_min,
                    delay_min,
                    overall,
                    item,
                    suspect,
                }
            },
        )
}

/// Which events should count: not suspect, not late, first of their id.
fn counting(events: &[FeedbackEvent]) -> Vec<&FeedbackEvent> {
    let mut seen = HashSet::new();
    events
        .iter()
        .filter(|e| e.suspect.is_none())
        .filter(|e| e.received_at - e.occurred_at.to_utc() <= TimeDelta::days(7))
        .filter(|e| seen.insert(e.event_id.clone()))
        .collect()
}

fn dim(e: &FeedbackEvent, d: &str) -> String {
    match d {
        "facility" => e.facility.clone(),
        "organisation" => e.organisation.clone(),
        "department" => e.department.clone(),
        "journey" => e.journey.clone(),
        "stage" => e.stage.clone(),
        "experience" => e.experience.as_str().into(),
        "channel" => e.channel.as_str().into(),
        "respondent_role" => e.respondent_role.as_str().into(),
        _ => e.questionnaire.clone(),
    }
}

fn answers(e: &FeedbackEvent) -> impl Iterator<Item = &EventAnswer> {
    std::iter::once(&e.overall).chain(&e.items)
}

/// Records `specs` (forgetting settled state along the way if `forget`)
/// and compares every rolling window at `after` minutes past the newest
/// touchpoint with a direct computation.
fn check_rolling(specs: &[Spec], after: i64, forget: bool) -> Result<(), TestCaseError> {
    let events: Vec<FeedbackEvent> = specs.iter().map(event).collect();
    let config = EngineConfig::default();
    let rollups = config.rollups.clone();
    let windows = config.windows.clone();
    let mut engine = Engine::new(config);
    // Snapshots are taken at or after the newest event time.
    let now_min = specs.iter().map(|s| s.occurred_min).max().unwrap_or(0) + after;
    let now = base_time() + TimeDelta::minutes(now_min);
    // As the processor does after each flush, forget what no later
    // event can change: before the earliest `received_at` still to come.
    let mut settled = vec![now; events.len() + 1];
    for i in (0..events.len()).rev() {
        settled[i] = settled[i + 1].min(events[i].received_at);
    }
    for (i, e) in events.iter().enumerate() {
        engine.record(&e.view());
        if forget && i % 17 == 0 {
            engine.drain_minutes();
            engine.forget_settled(settled[i + 1]);
        }
    }
    let got: BTreeMap<(String, String, i64), Counts> = engine
        .snapshots(now)
        .into_iter()
        .filter(|s| !s.counts.is_empty())
        .map(|s| {
            (
                (s.rollup.to_string(), format!("{:?}", s.key), s.window),
                s.counts,
            )
        })
        .collect();

    let now_minute = minute_of(now);
    let mut expected: BTreeMap<(String, String, i64), Counts> = BTreeMap::new();
    for e in counting(&events) {
        let minute = minute_of(e.occurred_at.to_utc());
        for rollup in &rollups {
            for w in &windows {
                let inside = if w.minutes <= 60 {
                    minute > now_minute - w.minutes && minute <= now_minute
                } else {
                    let (h, now_h) = (minute.div_euclid(60), now_minute.div_euclid(60));
                    h > now_h - w.minutes / 60 && h <= now_h
                };
                if !inside {
                    continue;
                }
                for a in answers(e) {
                    let dims: Vec<String> = DIMENSIONS
                        .iter()
                        .zip(rollup.keep)
                        .map(|(d, keep)| if keep { dim(e, d) } else { ALL.to_owned() })
                        .collect();
                    let key = format!(
                        "Cell {{ dims: {dims:?}, question: {:?}, scale: {:?} }}",
                        a.question, a.scale
                    );
                    let r = a.scale.parse(&a.value).unwrap();
                    expected
                        .entry((rollup.name.clone(), key, w.minutes))
                        .or_default()
                        .record(&r);
                }
            }
        }
    }
    prop_assert_eq!(got, expected);
    Ok(())
}

/// Minutes from the newest touchpoint to the snapshot: often within the
/// hour, so that the one-hour window holds something.
fn after_newest() -> impl Strategy<Value = i64> {
    prop_oneof![0i64..3, 0i64..60, 0i64..(2 * 24 * 60)]
}

/// Specs with distinct ids, some of them posted again unchanged (a real
/// duplicate carries the same event), in random order.
fn distinct_with_duplicates() -> impl Strategy<Value = Vec<Spec>> {
    (
        prop::collection::vec(spec(), 1..120),
        prop::collection::vec(any::<prop::sample::Index>(), 0..30),
    )
        .prop_flat_map(|(mut specs, again)| {
            for (i, s) in specs.iter_mut().enumerate() {
                s.id = i as u32;
            }
            let copies: Vec<Spec> = again.iter().map(|i| i.get(&specs).clone()).collect();
            specs.extend(copies);
            Just(specs).prop_shuffle()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn minute_counts_equal_a_direct_computation(specs in prop::collection::vec(spec(), 1..120)) {
        let events: Vec<FeedbackEvent> = specs.iter().map(event).collect();
        let mut engine = Engine::new(EngineConfig::default());
        let mut rows = BTreeMap::new();
        for (i, e) in events.iter().enumerate() {
            engine.record(&e.view());
            if i % 17 == 0 {
                // Full values replace earlier ones, as in storage.
                for r in engine.drain_minutes() {
                    rows.insert((r.minute, format!("{:?}", r.cell)), r.counts);
                }
            }
        }
        for r in engine.drain_minutes() {
            rows.insert((r.minute, format!("{:?}", r.cell)), r.counts);
        }
        let mut expected: BTreeMap<(i64, String), Counts> = BTreeMap::new();
        for e in counting(&events) {
            let dims: Vec<String> = DIMENSIONS.iter().map(|d| dim(e, d)).collect();
            for a in answers(e) {
                let cell = format!("Cell {{ dims: {dims:?}, question: {:?}, scale: {:?} }}", a.question, a.scale);
                let r = a.scale.parse(&a.value).unwrap();
                expected.entry((minute_of(e.occurred_at.to_utc()), cell)).or_default().record(&r);
            }
        }
        prop_assert_eq!(rows, expected);
    }

    #[test]
    fn rolling_windows_equal_a_direct_computation(specs in prop::collection::vec(spec(), 1..120), after in after_newest()) {
        check_rolling(&specs, after, false)?;
    }

    #[test]
    fn forgetting_settled_state_changes_no_window(specs in distinct_with_duplicates(), after in after_newest()) {
        check_rolling(&specs, after, true)?;
    }
}

#[test]
fn outcomes_say_why_an_event_does_not_count() {
    let mut engine = Engine::new(EngineConfig::default());
    let spec = Spec {
        id: 1,
        department: 0,
        stage: 0,
        channel: 0,
        occurred_min: 10,
        delay_min: 5,
        overall: 9,
        item: Some(4),
        suspect: false,
    };
    assert_eq!(engine.record(&event(&spec).view()), Outcome::Counted);
    assert_eq!(engine.record(&event(&spec).view()), Outcome::Duplicate);
    let late = Spec {
        id: 2,
        delay_min: 8 * 24 * 60,
        ..spec.clone()
    };
    assert_eq!(engine.record(&event(&late).view()), Outcome::Late);
    let suspect = Spec {
        id: 3,
        suspect: true,
        ..spec.clone()
    };
    assert_eq!(engine.record(&event(&suspect).view()), Outcome::Suspect);
    let mut broken = event(&Spec { id: 4, ..spec });
    broken.overall.value = AnswerValue::Number(11.0);
    assert_eq!(engine.record(&broken.view()), Outcome::Invalid);
    assert_eq!(engine.remembered_ids(), 1);
}

#[test]
fn settled_minutes_and_ids_are_forgotten() {
    let mut engine = Engine::new(EngineConfig::default());
    let spec = Spec {
        id: 1,
        department: 0,
        stage: 0,
        channel: 0,
        occurred_min: 0,
        delay_min: 1,
        overall: 9,
        item: None,
        suspect: false,
    };
    engine.record(&event(&spec).view());
    engine.record(
        &event(&Spec {
            id: 2,
            occurred_min: 10 * 24 * 60,
            ..spec.clone()
        })
        .view(),
    );
    engine.forget_settled(base_time() + TimeDelta::days(10));
    assert_eq!(
        engine.remembered_ids(),
        1,
        "the first event is older than the lateness allows"
    );
    assert_eq!(engine.held().0, 1);
}
