//! The alerter (`carepulse alert`) against the real local services
//! (`dev/services up`): ClickHouse 18.16, the tansu broker and Debian's
//! Alertmanager. Four weeks of steady kiosk answers, a day of a drop and
//! two days of recovery are written to `feedback_events` (the drop and
//! recovery twice, as a redelivery would); the alerter starts at the end
//! of the four weeks and is ticked through the rest in replayed time. The
//! drop must fire once per key, reach Alertmanager with its labels, a row
//! in `alert_events` and a message on the alerts topic, and resolve in all
//! three when the scores recover.

use std::collections::BTreeMap;
use std::time::Duration;

use carepulse_alert::{AlertSettings, AlertSink, Alerter, DetectConfig, EventSource, Notifier};
use carepulse_clickhouse::rows::EventRow;
use carepulse_detect::{Alert, AlertKind, AlertState};
use carepulse_kafka::{ensure_topics, KafkaSettings};
use carepulse_model::FeedbackEvent;
use carepulse_service_tests::ingest::read_topic;
use carepulse_service_tests::{database, require_alertmanager, require_kafka};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use clickhouse::Row;
use serde::Deserialize;
use serde_json::{json, Value};

/// Where the test's answers come from: every value unique to the run.
struct Place {
    run: String,
}

impl Place {
    fn value(&self, what: &str) -> String {
        format!("{what}-{}", self.run.replace('_', "-"))
    }

    /// One CSAT answer (5 is top box) received at `at`.
    fn event(&self, n: usize, at: DateTime<Utc>, top: bool) -> FeedbackEvent {
        let time = at.to_rfc3339();
        serde_json::from_value(json!({
            "v": 1, "event_id": format!("{}-{n}", self.run),
            "occurred_at": time, "responded_at": time, "received_at": time,
            "organisation": self.value("org"), "facility": self.value("fac"),
            "department": self.value("dep"), "journey": self.value("jny"), "stage": "triage",
            "touchpoint": self.value("tp"), "source_id": self.value("kiosk"),
            "experience": "patient", "channel": "kiosk", "respondent_role": "unknown",
            "questionnaire": "q", "consent_to_contact": false,
            "overall": {"question": "overall", "scale": "csat_1_5", "value": if top { 5 } else { 3 }},
        }))
        .unwrap()
    }
}

/// Twelve answers an hour, day and night, from `from` for `hours` hours;
/// `top(i)` says whether the i-th (from 0) is top box.
fn stream(
    place: &Place,
    first: usize,
    from: DateTime<Utc>,
    hours: i64,
    top: impl Fn(usize) -> bool,
) -> Vec<FeedbackEvent> {
    (0..(hours * 12) as usize)
        .map(|i| {
            let at = from + TimeDelta::minutes(5 * i as i64);
            place.event(first + i, at, top(i))
        })
        .collect()
}

async fn insert(
    client: &clickhouse::Client,
    database: &str,
    events: &[FeedbackEvent],
    offset: i64,
) {
    let client = client.clone().with_database(database);
    let mut insert = client.insert::<EventRow>("feedback_events").await.unwrap();
    for (i, event) in events.iter().enumerate() {
        let payload = serde_json::to_string(event).unwrap();
        let row = EventRow::new(event, 0, offset + i as i64, payload);
        insert.write(&row).await.unwrap();
    }
    insert.end().await.unwrap();
}

#[derive(Debug, Row, Deserialize)]
struct StoredChange {
    alert_id: String,
    state: String,
    severity: String,
    alert_key: String,
    department: String,
    stage: String,
    current_value: f64,
    baseline_value: f64,
    resolved_at: Option<u32>,
}

async fn stored(client: &clickhouse::Client, database: &str, id: &str) -> Vec<StoredChange> {
    client
        .query(&format!(
            "SELECT alert_id, state, severity, alert_key, department, stage, current_value, \
             baseline_value, resolved_at FROM {database}.alert_events FINAL \
             WHERE alert_id = ? ORDER BY updated_at, state"
        ))
        .bind(id)
        .fetch_all()
        .await
        .unwrap()
}

/// Alertmanager's active alerts carrying `carepulse_test="RUN"`.
async fn active(url: &str, run: &str) -> Vec<Value> {
    let response = reqwest::Client::new()
        .get(format!(
            "{url}/api/v2/alerts?active=true&filter=carepulse_test%3D%22{run}%22"
        ))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

/// Polls Alertmanager until `done` holds for the run's alerts.
async fn wait_for(url: &str, run: &str, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let alerts = active(url, run).await;
        if done(&alerts) {
            return alerts;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Alertmanager never showed {what}: {alerts:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn with_id<'a>(alerts: &'a [Value], id: &str) -> Option<&'a Value> {
    alerts.iter().find(|a| a["annotations"]["alert_id"] == id)
}

#[tokio::test]
async fn a_drop_fires_everywhere_and_resolves_when_scores_recover() {
    let brokers = require_kafka();
    let am = require_alertmanager();
    let (client, database) = database::migrated("alerter").await;
    let run = database.clone();
    let kafka = KafkaSettings {
        brokers: brokers.clone(),
        feedback_topic: format!("{run}.feedback"),
        dead_letter_topic: format!("{run}.dead-letter"),
        alerts_topic: format!("{run}.alerts"),
        partitions: 1,
        ..KafkaSettings::default()
    };
    ensure_topics(&kafka).await.unwrap();

    // 28 days at half top box, then a day at one in ten, then two days back
    // at half; all in the past, so ticks replay it.
    let place = Place { run: run.clone() };
    let hour = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap();
    let begin = hour - TimeDelta::days(32);
    let start = begin + TimeDelta::days(28);
    let baseline = stream(&place, 0, begin, 28 * 24, |i| i % 2 == 0);
    let drop = stream(&place, baseline.len(), start, 24, |i| i % 10 == 0);
    let after = start + TimeDelta::days(1);
    let recovery = stream(&place, baseline.len() + drop.len(), after, 48, |i| {
        i % 2 == 0
    });
    insert(&client, &database, &baseline, 0).await;
    for copy in 0..2 {
        // The second copy is a redelivery: same events, later offsets.
        let offset = 1_000_000 * (copy + 1);
        insert(&client, &database, &drop, offset).await;
        insert(&client, &database, &recovery, offset + 500_000).await;
    }

    let settings = AlertSettings {
        alertmanager_url: Some(am.clone()),
        labels: BTreeMap::from([("carepulse_test".to_owned(), run.clone())]),
        ..AlertSettings::default()
    };
    let mut problems = Vec::new();
    let config = settings
        .check(&DetectConfig::default(), &mut problems)
        .unwrap_or_else(|| panic!("{problems:?}"));
    let source = EventSource::new(client.clone(), &database).unwrap();
    let sink = AlertSink::new(client.clone(), &database, &brokers, &kafka.alerts_topic).unwrap();
    let (notifier, _delivery) = Notifier::spawn(config.alertmanager.clone().unwrap());
    let mut alerter = Alerter::start(&config, source, sink, Some(notifier.clone()), start)
        .await
        .unwrap();

    // Tick every 15 minutes of replayed time until the stage's drop fires.
    let stage_key = format!(
        "department={},stage={}/triage",
        place.value("dep"),
        place.value("jny")
    );
    let mut now = start;
    let mut changes: Vec<Alert> = Vec::new();
    let mut events = 0;
    let fired = loop {
        now += TimeDelta::minutes(15);
        assert!(
            now <= after,
            "no alert during the day of the drop: {changes:#?}"
        );
        let report = alerter.tick(now).await.unwrap();
        assert!(
            report.delivered,
            "changes reached alert_events and the topic"
        );
        events += report.events;
        changes.extend(report.changes);
        if let Some(a) = changes.iter().find(|a| a.key.to_string() == stage_key) {
            break a.clone();
        }
    };
    let hours_to_fire = (fired.fired_at - start).num_minutes() as f64 / 60.0;
    println!(
        "fired after {hours_to_fire:.2} h of replayed drop: {}",
        fired.description()
    );
    assert_eq!(
        (fired.kind, fired.state),
        (AlertKind::ScoreDrop, AlertState::Firing)
    );
    assert!(
        fired.baseline.value > 40.0 && fired.baseline.value < 60.0,
        "{fired:?}"
    );
    assert!(fired.current.value < 25.0, "{fired:?}");
    assert_eq!(fired.severity.as_str(), "critical", "a 40-point drop");
    let answered = (fired.fired_at - fired.since).num_minutes() / 5 + 12;
    assert!(
        fired.current.n as i64 <= answered,
        "the redelivered copies are not counted: n = {} for about {answered} answers",
        fired.current.n
    );
    assert_eq!(
        events as i64,
        (now - start).num_minutes() / 5,
        "every answer fed once"
    );
    let drops: Vec<&Alert> = changes
        .iter()
        .filter(|a| a.kind == AlertKind::ScoreDrop)
        .collect();
    assert!(drops.len() <= 7, "at most one per key: {drops:#?}");

    // Alertmanager: the stage's alert with the key's labels.
    let alerts = wait_for(&am, &run, "the stage's drop", |a| {
        with_id(a, &fired.id).is_some()
    })
    .await;
    let posted = with_id(&alerts, &fired.id).unwrap();
    let labels = &posted["labels"];
    assert_eq!(labels["alertname"], "CarepulseScoreDrop");
    assert_eq!(labels["severity"], "critical");
    assert_eq!(labels["measure"], "top_box");
    assert_eq!(labels["department"], place.value("dep"));
    assert_eq!(labels["stage"], format!("{}/triage", place.value("jny")));
    assert_eq!(labels["carepulse_test"], run.as_str());
    assert!(
        labels.get("facility").is_none(),
        "only the key's dimensions"
    );
    assert_eq!(posted["status"]["state"], "active");

    // ClickHouse: the firing row.
    let rows = stored(&client, &database, &fired.id).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0].state.as_str(), rows[0].severity.as_str()),
        ("firing", "critical")
    );
    assert_eq!(rows[0].alert_key, stage_key);
    assert_eq!(rows[0].department, place.value("dep"));
    assert_eq!(rows[0].stage, format!("{}/triage", place.value("jny")));
    assert!(rows[0].current_value < rows[0].baseline_value - 20.0);
    assert_eq!(rows[0].resolved_at, None);

    // Recovery: tick through the two good days until the stage resolves.
    let resolved = loop {
        now += TimeDelta::minutes(15);
        assert!(
            now <= after + TimeDelta::days(2),
            "the stage's alert never resolved: {:#?}",
            alerter.firing()
        );
        let report = alerter.tick(now).await.unwrap();
        assert!(report.delivered);
        changes.extend(report.changes);
        let done = changes
            .iter()
            .find(|a| a.id == fired.id && a.state == AlertState::Resolved);
        if let Some(a) = done {
            break a.clone();
        }
    };
    let hours_to_resolve = (resolved.resolved_at.unwrap() - after).num_minutes() as f64 / 60.0;
    println!("resolved {hours_to_resolve:.2} h after the scores recovered");
    assert!(resolved.resolved_at.unwrap() > after);

    let rows = stored(&client, &database, &fired.id).await;
    let states: Vec<&str> = rows.iter().map(|r| r.state.as_str()).collect();
    assert_eq!(states, ["firing", "resolved"], "{rows:?}");
    assert!(rows[1].resolved_at.is_some());
    assert!(rows.iter().all(|r| r.alert_id == fired.id));

    wait_for(&am, &run, "the stage's alert resolved", |a| {
        with_id(a, &fired.id).is_none()
    })
    .await;

    // The topic: every change, keyed by alert id, as the Alert record.
    let messages = read_topic(
        &brokers,
        &kafka.alerts_topic,
        changes.len(),
        Duration::from_secs(30),
    )
    .await;
    let records: Vec<(String, Alert)> = messages
        .iter()
        .map(|(key, payload)| (key.clone(), serde_json::from_slice(payload).unwrap()))
        .collect();
    assert!(records.iter().all(|(key, alert)| *key == alert.id));
    let stage: Vec<AlertState> = records
        .iter()
        .filter(|(key, _)| *key == fired.id)
        .map(|(_, alert)| alert.state)
        .collect();
    assert_eq!(stage, [AlertState::Firing, AlertState::Resolved]);
    assert!(notifier.stats().ok >= 2, "{:?}", notifier.stats());

    database::drop(&client, &database).await;
}

/// The alerter's queries on current ClickHouse (chdb): three stored rows of
/// two events (one written twice), counted once under `FINAL` and read
/// three times without it. (The test above runs them on 18.16.)
#[test]
fn the_alerter_queries_run_on_current_clickhouse() {
    use carepulse_alert::source::{arrivals_sql, hourly_sql};
    use carepulse_service_tests::database::on_current_clickhouse;

    let row = |id: &str, at: u32, linear: &str| {
        format!(
            "INSERT INTO {{db}}.feedback_events (event_id, kafka_partition, kafka_offset, occurred_at, \
             responded_at, received_at, facility, organisation, department, journey, stage, touchpoint, \
             experience, channel, respondent_role, questionnaire, source_id, subject, journey_instance, \
             overall_scale, overall_linear, has_comment, consent_to_contact, payload) VALUES \
             ('{id}', 0, 0, {at}, {at}, {at}, 'f', 'o', 'd', 'j', 's', 't', 'patient', 'kiosk', \
             'unknown', 'q', '', '', '', 'csat_1_5', {linear}, 0, 0, '{{}}');\n"
        )
    };
    let (from, to) = (1_780_000_000, 1_780_010_000);
    let (scores, hours) = hourly_sql("{db}", from, to);
    let arrivals = arrivals_sql("{db}", from, to);
    let checks = [
        row("a", 1_780_000_100, "100"),
        row("a", 1_780_000_100, "100"),
        row("b", 1_780_005_000, "50"),
        format!("SELECT 'alerter scores', count() = 2 FROM ({scores});\n"),
        format!("SELECT 'alerter hours', sum(answers) = 2 AND count() = 2 FROM ({hours});\n"),
        format!("SELECT 'alerter arrivals', count() = 3 FROM ({arrivals});\n"),
    ]
    .concat();
    let (ok, report) = on_current_clickhouse(&checks, "carepulse_alert_current");
    assert!(ok, "current ClickHouse (chdb) refused a query:\n{report}");
    assert_eq!(report.matches("ok: alerter").count(), 3, "{report}");
}
