//! The shipped scenarios as the simulator generates them: reproducible,
//! valid where meant to be, invalid where meant to be, and with every
//! incident where its timeline says.

use std::collections::BTreeMap;

use carepulse_model::{
    decode_press, decode_submission, validate, Catalog, Limits, Problems, ValidSubmission,
    ValidationContext,
};
use carepulse_simulator::{Endpoint, Item, ItemKind, Run, Scenario, ScenarioFile};
use chrono::{DateTime, TimeDelta, Utc};

fn load(name: &str) -> (Catalog, Scenario) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/scenarios");
    let text = std::fs::read_to_string(format!("{dir}/{name}.toml")).unwrap();
    let file = ScenarioFile::from_toml(&text).unwrap();
    let catalog_text = std::fs::read_to_string(format!("{dir}/{}", file.catalog())).unwrap();
    let catalog = Catalog::from_toml(&catalog_text).unwrap();
    let scenario = file
        .check(&catalog)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    (catalog, scenario)
}

fn run(seed: u64, days: i64) -> Run {
    Run {
        seed,
        start: "2026-03-02T00:00:00Z".parse().unwrap(),
        duration: TimeDelta::days(days),
    }
}

/// Decodes and validates an item as the ingest service would, at its send time.
fn check(item: &Item, catalog: &Catalog) -> Result<ValidSubmission, Problems> {
    let limits = Limits::default();
    let ctx = ValidationContext {
        catalog,
        now: item.at,
        limits: &limits,
    };
    let submission = match item.endpoint {
        Endpoint::Feedback => decode_submission(item.body.as_bytes())?,
        Endpoint::KioskPresses => {
            decode_press(item.body.as_bytes())?.into_submission(catalog, item.at.fixed_offset())?
        }
    };
    validate(submission, &ctx)
}

fn window(run: &Run, from: f64, to: f64) -> (DateTime<Utc>, DateTime<Utc>) {
    let at =
        |p: f64| run.start + TimeDelta::seconds((run.duration.num_seconds() as f64 * p) as i64);
    (at(from), at(to))
}

fn json(item: &Item) -> serde_json::Value {
    serde_json::from_str(&item.body).unwrap()
}

#[test]
fn the_same_seed_gives_the_same_stream_and_another_seed_another() {
    let (_, scenario) = load("general-hospital");
    let first: Vec<Item> = scenario.stream(&run(7, 1)).collect();
    let again: Vec<Item> = scenario.stream(&run(7, 1)).collect();
    assert!(first.len() > 500, "{} items", first.len());
    assert_eq!(first, again);
    let other: Vec<Item> = scenario.stream(&run(8, 1)).collect();
    assert_ne!(first, other);
    assert!(first.iter().filter(|i| i.kind != ItemKind::Bad).all(|i| i
        .event_id
        .as_ref()
        .unwrap()
        .contains("sim-7-")));
}

#[test]
fn every_item_passes_validation_except_the_deliberately_bad_ones() {
    for name in ["general-hospital", "small-gp-practice"] {
        let (catalog, scenario) = load(name);
        let r = run(3, 7);
        let mut kinds: BTreeMap<ItemKind, usize> = BTreeMap::new();
        let (mut redacted, mut referenced, mut late) = (0, 0, 0);
        let mut previous = r.start;
        for item in scenario.stream(&r) {
            assert!(
                item.at >= previous && item.at < r.end(),
                "{name}: out of order at {}",
                item.at
            );
            previous = item.at;
            *kinds.entry(item.kind).or_default() += 1;
            match (item.kind, check(&item, &catalog)) {
                (ItemKind::Bad, Ok(_)) => panic!("{name}: a bad item was accepted: {}", item.body),
                (ItemKind::Bad, Err(_)) => {}
                (_, Err(problems)) => panic!("{name}: {problems}\n{}", item.body),
                (_, Ok(valid)) => {
                    let body = json(&item);
                    referenced += usize::from(body.get("subject_ref").is_some());
                    late += usize::from(
                        body.get("responded_at")
                            .is_some_and(|r| r != &body["occurred_at"]),
                    );
                    let key = carepulse_model::Pseudonymiser::new("k1", &[1; 32]).unwrap();
                    let event = valid.into_event(&key, item.at);
                    if let (Some(sent), Some(stored)) = (body["comment"].as_str(), &event.comment) {
                        redacted += usize::from(sent != stored);
                    }
                    assert!(!serde_json::to_string(&event).unwrap().contains("MRN-"));
                }
            }
        }
        for kind in ItemKind::ALL {
            assert!(
                kinds.get(&kind).is_some_and(|n| *n > 0),
                "{name}: no {} in {kinds:?}",
                kind.as_str()
            );
        }
        assert!(
            redacted > 5 && referenced > 50 && late > 50,
            "{name}: {redacted} redacted, {referenced} referenced, {late} late"
        );
    }
}

#[test]
fn a_dropped_stage_scores_lower_inside_its_window_than_outside() {
    let (catalog, scenario) = load("general-hospital");
    let r = run(11, 14);
    let (from, to) = window(&r, 0.45, 0.60);
    // [inside, outside] x [top box, all] for the waiting-room kiosk, and the
    // treatment survey's wait_time item, by when the visit happened.
    let mut kiosk = [[0usize; 2]; 2];
    let mut wait = [[0usize; 2]; 2];
    for item in scenario
        .stream(&r)
        .filter(|i| matches!(i.kind, ItemKind::Submission | ItemKind::KioskPress))
    {
        let event = check(&item, &catalog).unwrap().into_event(
            &carepulse_model::Pseudonymiser::new("k1", &[1; 32]).unwrap(),
            item.at,
        );
        let t = event.occurred_at.with_timezone(&Utc);
        let inside = usize::from(!(from <= t && t < to));
        let top = |a: &carepulse_model::EventAnswer| a.scale.parse(&a.value).unwrap().is_top_box();
        if event.touchpoint == "ed-waiting-kiosk" {
            kiosk[inside][0] += usize::from(top(&event.overall));
            kiosk[inside][1] += 1;
            assert_eq!(item.incident.is_some(), inside == 0, "{item:?}");
        }
        if let Some(a) = event
            .items
            .iter()
            .find(|a| a.question == "wait_time" && event.touchpoint == "ed-treatment-survey")
        {
            wait[inside][0] += usize::from(top(a));
            wait[inside][1] += 1;
        }
    }
    for (what, [inside, outside]) in [("waiting kiosk", kiosk), ("ED wait_time", wait)] {
        let share = |[top, all]: [usize; 2]| top as f64 / all as f64;
        assert!(
            inside[1] >= 40 && outside[1] >= 200,
            "{what}: too few answers {inside:?} {outside:?}"
        );
        assert!(
            share(inside) < share(outside) - 0.1,
            "{what}: {} inside vs {} outside",
            share(inside),
            share(outside)
        );
    }
}

#[test]
fn kiosks_go_silent_buttons_get_mashed_and_floods_and_duplicates_stay_in_their_windows() {
    let (_, scenario) = load("general-hospital");
    let r = run(5, 7);
    let items: Vec<Item> = scenario.stream(&r).collect();
    let (silent_from, silent_to) = window(&r, 0.20, 0.30);
    let clinic_b: Vec<&Item> = items
        .iter()
        .filter(|i| json(i)["device_id"] == "kiosk-opd-02")
        .collect();
    assert!(clinic_b
        .iter()
        .all(|i| i.at < silent_from || i.at >= silent_to));
    assert!(
        clinic_b.iter().any(|i| i.at < silent_from) && clinic_b.iter().any(|i| i.at >= silent_to)
    );

    let mashed: Vec<&Item> = items
        .iter()
        .filter(|i| i.kind == ItemKind::MashedPress)
        .collect();
    let (mash_at, _) = window(&r, 0.35, 0.35);
    assert_eq!(mashed.len(), 40);
    assert!(mashed
        .iter()
        .all(|i| json(i)["device_id"] == "kiosk-ed-02" && json(i)["button"] == "very_unhappy"));
    assert!(mashed
        .iter()
        .all(|i| i.at >= mash_at && i.at <= mash_at + TimeDelta::seconds(30)));

    let (bad_from, bad_to) = window(&r, 0.75, 0.75);
    let bad_to = bad_to + TimeDelta::minutes(30);
    let bad: Vec<&Item> = items.iter().filter(|i| i.kind == ItemKind::Bad).collect();
    assert!(
        bad.len() > 200,
        "{} bad items in 30 minutes at 10 a minute",
        bad.len()
    );
    assert!(bad
        .iter()
        .all(|i| i.at >= bad_from && i.at < bad_to && i.facility == "stmarys-general"));

    let (dup_from, _) = window(&r, 0.62, 0.62);
    let dup_to = dup_from + TimeDelta::hours(2) + TimeDelta::minutes(2);
    let mut seen: BTreeMap<&str, &Item> = BTreeMap::new();
    let mut duplicates = 0;
    for item in &items {
        let id = item.event_id.as_deref().unwrap_or_default();
        match item.kind {
            ItemKind::Duplicate => {
                duplicates += 1;
                let original = seen
                    .get(id)
                    .unwrap_or_else(|| panic!("{id} duplicates nothing sent before"));
                assert_eq!(original.body, item.body);
                assert!(
                    item.at >= dup_from && item.at < dup_to && item.facility == "stmarys-general"
                );
            }
            _ => assert!(
                seen.insert(id, item).is_none() || item.kind == ItemKind::Bad,
                "{id} reused"
            ),
        }
    }
    assert!(duplicates > 10, "{duplicates} duplicates");
}

#[test]
fn items_answer_along_their_true_driver_weights() {
    // Correlation of each ED survey item with the overall answer: with one
    // halo for all items it ranks as the true weights (wait_time 0.5 first).
    let (catalog, scenario) = load("general-hospital");
    let r = run(13, 28);
    let mut pairs: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let key = carepulse_model::Pseudonymiser::new("k1", &[1; 32]).unwrap();
    for item in scenario
        .stream(&r)
        .filter(|i| i.kind == ItemKind::Submission)
    {
        let event = check(&item, &catalog).unwrap().into_event(&key, item.at);
        if event.questionnaire != "ed-visit-survey" {
            continue;
        }
        let linear =
            |a: &carepulse_model::EventAnswer| a.scale.parse(&a.value).unwrap().linear().unwrap();
        for a in &event.items {
            pairs
                .entry(a.question.clone())
                .or_default()
                .push((linear(a), linear(&event.overall)));
        }
    }
    let correlation = |xy: &Vec<(f64, f64)>| {
        let n = xy.len() as f64;
        let (mx, my) = (
            xy.iter().map(|p| p.0).sum::<f64>() / n,
            xy.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let cov: f64 = xy.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
        let vx: f64 = xy.iter().map(|(x, _)| (x - mx).powi(2)).sum();
        let vy: f64 = xy.iter().map(|(_, y)| (y - my).powi(2)).sum();
        cov / (vx * vy).sqrt()
    };
    let r: BTreeMap<&str, f64> = pairs
        .iter()
        .map(|(q, xy)| (q.as_str(), correlation(xy)))
        .collect();
    assert!(
        pairs["wait_time"].len() > 300,
        "{}",
        pairs["wait_time"].len()
    );
    assert!(r["wait_time"] > r["staff_courtesy"] + 0.05, "{r:?}");
    assert!(r["staff_courtesy"] > r["pain_managed"], "{r:?}");
}

#[test]
fn scenario_problems_name_their_place_and_the_fix() {
    let (catalog, _) = load("general-hospital");
    let text = r#"
        name = "broken"
        catalog = "x.toml"
        [[journeys]]
        journey = "ed-visit"
        visits_per_day = 10
        rhythm = "nights"
        stages = [{ stage = "triage" }, { stage = "arrival", after = ["1h", "5m"] }]
        [[touchpoints]]
        touchpoint = "ed-waiting-kiosk"
        asked = 1.5
        channels = { sms = 1 }
        top_box = 0.5
        [[incidents]]
        kind = "kiosk_silent"
        device = "kiosk-on-mars"
        start = "soon"
        duration = "1h"
    "#;
    let err = ScenarioFile::from_toml(text)
        .unwrap()
        .check(&catalog)
        .unwrap_err()
        .to_string();
    for expected in [
        "journeys[0].rhythm: unknown rhythm 'nights': define it under [rhythms.nights]",
        "journeys[0].stages[1].stage: stage 'arrival' must come after",
        "journeys[0].stages[1].after: the first span must not exceed the second",
        "touchpoints[0].channels.sms: the catalog lets touchpoint 'ed-waiting-kiosk' report only by kiosk",
        "touchpoints[0].asked: 1.5 must be a share from 0 to 1",
        "incidents[0].device: device 'kiosk-on-mars' sends nothing",
        "incidents[0].start: 'soon' is not a time span",
    ] {
        assert!(err.contains(expected), "missing '{expected}' in:\n{err}");
    }
    let err = ScenarioFile::from_toml("name = \"x\"\ncatalog = \"y\"\nvisits = 3\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `visits`"), "{err}");
}
