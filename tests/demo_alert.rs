//! The demo of `dev/run` against the real local services (`dev/services
//! up`): three weeks of the demo scenario (deploy/scenarios/demo.toml)
//! seeded into Kafka with `received_at` at each item's simulated send time
//! (what `carepulse simulate --target kafka --received-at send-time` does),
//! counted by the stream processor into ClickHouse, then the alerter started
//! an hour before the scenario's incident and replayed up to the wall clock
//! (what `carepulse alert --replay-from` does). The incident's drop must
//! show as a firing alert in Alertmanager, within a bounded time.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use carepulse_alert::{AlertSettings, AlertSink, Alerter, DetectConfig, EventSource, Notifier};
use carepulse_detect::{AlertKind, AlertState};
use carepulse_kafka::ensure_topics;
use carepulse_model::{FeedbackEvent, Limits};
use carepulse_service_tests::ingest::{catalog, pseudonymiser, repo};
use carepulse_service_tests::pipeline::Pipeline;
use carepulse_service_tests::{require_alertmanager, require_clickhouse};
use carepulse_simulator::{ItemKind, Publisher, Run, ScenarioFile};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

/// The incident's stage and when it starts, from the end of the run
/// (deploy/scenarios/demo.toml: `start = "20d12h"` of 21 days).
const STAGE: &str = "ed-visit/triage";
const INCIDENT_BEFORE_END: TimeDelta = TimeDelta::hours(12);
const RUN: TimeDelta = TimeDelta::days(21);

/// The demo scenario's items up to `end`, as the kafka target publishes
/// them with `--received-at send-time`: validated, pseudonymised and
/// flagged as of each item's send time, which becomes its `received_at`.
fn seeded_events(seed: u64, end: DateTime<Utc>) -> Vec<FeedbackEvent> {
    let catalog = catalog();
    let text = std::fs::read_to_string(repo().join("deploy/scenarios/demo.toml")).unwrap();
    let scenario = ScenarioFile::from_toml(&text)
        .unwrap()
        .check(&catalog)
        .unwrap();
    assert_eq!(scenario.duration(), RUN, "demo.toml's duration");
    let run = Run::ending_at(seed, RUN, end);
    let mut publisher = Publisher::new(
        catalog,
        Limits::default(),
        pseudonymiser(),
        TimeDelta::seconds(5),
    );
    scenario
        .stream(&run)
        .filter(|item| item.kind != ItemKind::Bad && item.at <= end)
        .map(|item| {
            publisher
                .event(&item, item.at)
                .expect("the demo scenario sends valid items")
        })
        .collect()
}

/// Alertmanager's active score-drop alerts of the stage carrying
/// `carepulse_test="RUN"`.
async fn stage_drops(url: &str, run: &str) -> Vec<Value> {
    let response = reqwest::Client::new()
        .get(format!(
            "{url}/api/v2/alerts?active=true&filter=carepulse_test%3D%22{run}%22\
             &filter=alertname%3D%22CarepulseScoreDrop%22"
        ))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let alerts: Vec<Value> = response.json().await.unwrap();
    alerts
        .into_iter()
        .filter(|a| a["labels"]["stage"] == STAGE)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_incident_fires_in_alertmanager_after_a_replay() {
    let url = require_clickhouse();
    let am = require_alertmanager();
    let began = Instant::now();
    let pipeline = Pipeline::new("demo_alert", 3, &url).await;
    let mut kafka = pipeline.kafka.clone();
    kafka.alerts_topic = format!("{}.alerts", pipeline.database);
    ensure_topics(&kafka).await.unwrap();

    let end = Utc::now();
    let events = seeded_events(3, end);
    let incident = end - INCIDENT_BEFORE_END;
    let in_drop = events
        .iter()
        .filter(|e| e.stage == "triage" && e.journey == "ed-visit" && e.received_at >= incident)
        .count();
    eprintln!(
        "{} events seeded ({in_drop} at the stage during the incident) in {:.1} s",
        events.len(),
        began.elapsed().as_secs_f64()
    );
    assert!(events.len() > 20_000, "three weeks of a hospital");
    assert!(
        events
            .iter()
            .all(|e| e.received_at <= end && e.received_at > end - RUN),
        "received_at is the send time, inside the run"
    );
    pipeline.publish(&events).await;
    let processor = pipeline.start("demo");
    pipeline.wait_committed("demo", Duration::from_secs(120));
    processor.stop();
    let seeded = began.elapsed();

    let run = pipeline.database.clone();
    let settings = AlertSettings {
        alertmanager_url: Some(am.clone()),
        labels: BTreeMap::from([("carepulse_test".to_owned(), run.clone())]),
        ..AlertSettings::default()
    };
    let mut problems = Vec::new();
    let config = settings
        .check(&DetectConfig::default(), &mut problems)
        .unwrap_or_else(|| panic!("{problems:?}"));
    let client = pipeline.client();
    let source = EventSource::new(client.clone(), &pipeline.database).unwrap();
    let sink = AlertSink::new(
        client.clone(),
        &pipeline.database,
        &kafka.brokers,
        &kafka.alerts_topic,
    )
    .unwrap();
    let (notifier, _delivery) = Notifier::spawn(config.alertmanager.clone().unwrap());
    let replay_from = incident - TimeDelta::hours(1);
    let replay_began = Instant::now();
    let mut alerter = Alerter::start(&config, source, sink, Some(notifier), replay_from)
        .await
        .unwrap();
    let step = TimeDelta::from_std(config.tick_interval).unwrap();
    let done = alerter.catch_up(step, Utc::now).await.unwrap();
    eprintln!(
        "replay: {done:?} in {:.1} s",
        replay_began.elapsed().as_secs_f64()
    );
    assert!(
        done.ticks >= 13 * 60 - 2,
        "a tick a minute from an hour before the incident to now: {done:?}"
    );
    assert!(
        Utc::now() - done.until < step + TimeDelta::seconds(5),
        "{done:?}"
    );

    let firing = alerter.firing();
    let drop = firing
        .iter()
        .find(|a| {
            a.kind == AlertKind::ScoreDrop
                && a.state == AlertState::Firing
                && a.key.to_string() == format!("stage={STAGE}")
        })
        .unwrap_or_else(|| panic!("the stage's drop is not firing after the replay: {firing:#?}"));
    eprintln!(
        "fired {:.1} h into the incident: {}",
        (drop.fired_at - incident).num_minutes() as f64 / 60.0,
        drop.description()
    );
    assert!(drop.fired_at > incident && drop.since >= incident - TimeDelta::hours(1));
    assert!(drop.current.value < drop.baseline.value - 15.0, "{drop:?}");
    // Every other drop is on a key the waiting-room answers count in.
    let triage = events
        .iter()
        .find(|e| e.journey == "ed-visit" && e.stage == "triage")
        .unwrap();
    let values = [
        triage.facility.clone(),
        triage.department.clone(),
        format!("ed-visit/{}", triage.stage),
        triage.touchpoint.clone(),
        triage.experience.as_str().to_owned(),
        triage.source_id.clone().unwrap_or_default(),
    ];
    let elsewhere: Vec<String> = firing
        .iter()
        .filter(|a| a.kind == AlertKind::ScoreDrop)
        .filter(|a| {
            let key = a.key.to_string();
            !key.split(',').all(|part| {
                let value = part.split_once('=').map_or(part, |(_, v)| v);
                values.iter().any(|v| v == value)
            })
        })
        .map(|a| a.description())
        .collect();
    assert!(
        elsewhere.is_empty(),
        "drops only where the waiting-room answers count: {elsewhere:#?}"
    );

    let deadline = Instant::now() + Duration::from_secs(15);
    let posted = loop {
        let alerts = stage_drops(&am, &run).await;
        if let Some(a) = alerts
            .iter()
            .find(|a| a["annotations"]["alert_id"] == drop.id.as_str())
        {
            break a.clone();
        }
        assert!(
            Instant::now() < deadline,
            "Alertmanager never showed the stage's drop {}: {alerts:#?}",
            drop.id
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(posted["status"]["state"], "active");
    assert_eq!(posted["labels"]["carepulse_test"], run.as_str());
    let to_alert = replay_began.elapsed();
    eprintln!(
        "seeded and processed in {:.1} s; alerter start to the alert in Alertmanager {:.1} s",
        seeded.as_secs_f64(),
        to_alert.as_secs_f64()
    );
    assert!(
        to_alert < Duration::from_secs(45),
        "the replay must find the demo's drop within minutes of starting: {to_alert:?}"
    );

    client
        .query(&format!("DROP DATABASE {}", pipeline.database))
        .execute()
        .await
        .unwrap();
}
