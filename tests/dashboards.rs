//! The Grafana dashboards ask questions the data can answer, without a
//! Grafana server: every SQL query of every dashboard in
//! `deploy/grafana/dashboards/` (panels and template variables, dashboards
//! added later included) runs, with Grafana's macros and variables
//! substituted, against a database seeded with two simulated days at St
//! Mary's (events through validation and the scoring engine, as the
//! processor writes them, and the analytics tables as `carepulse analyze`
//! writes them over those events), on the real local ClickHouse 18.16 and on
//! current ClickHouse (chdb); each must return the columns its panel uses
//! and at least one row. Every PromQL expression (panels and
//! `deploy/prometheus/rules`) passes `promtool` and evaluates without error
//! on a private Prometheus scraping a running ingest service.
//!
//! Needs `dev/services up` (ClickHouse, the broker), `prometheus` and
//! `promtool` (Debian package prometheus), and chdb (`pip install
//! chdb-core`).

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::Duration;

use carepulse_clickhouse::rows::{
    seconds, EventRow, MinuteCountWrite, RejectedRow, SnapshotRow, UncountedRow,
};
use carepulse_engine::{Engine, EngineConfig, Outcome};
use carepulse_model::Limits;
use carepulse_service_tests::grafana::{self, DashboardQuery, Interpolation, CLICKHOUSE};
use carepulse_service_tests::ingest::{self, call, post, repo, token};
use carepulse_service_tests::{clickhouse_url, database, require_kafka, unique_name};
use carepulse_simulator::{ItemKind, Publisher, Run, ScenarioFile};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use clickhouse::Row;
use serde::Serialize;
use serde_json::{json, Value};

const PARTITIONS: usize = 3;

/// What was written, for the report.
#[derive(Debug, Default)]
struct Seeded {
    events: usize,
    uncounted: usize,
    minutes: usize,
    snapshots: usize,
    analysis: usize,
}

async fn insert<T>(client: &clickhouse::Client, table: &str, rows: &[T])
where
    for<'a> T: Row<Value<'a> = T> + Serialize,
{
    let mut insert = client.insert::<T>(table).await.unwrap();
    for row in rows {
        insert.write(row).await.unwrap();
    }
    insert.end().await.unwrap();
}

/// Two simulated days at St Mary's ending at `now`, through validation and
/// one scoring engine per Kafka partition (departments spread over
/// partitions as the feedback topic's key does), written as the processor
/// writes them; plus alerts, dead letters and the catalog.
async fn seed(client: &clickhouse::Client, database: &str, now: DateTime<Utc>) -> Seeded {
    let catalog = ingest::catalog();
    let text =
        std::fs::read_to_string(repo().join("deploy/scenarios/general-hospital.toml")).unwrap();
    let scenario = ScenarioFile::from_toml(&text)
        .unwrap()
        .check(&catalog)
        .unwrap();
    let run = Run {
        seed: 7,
        start: now - TimeDelta::days(2),
        duration: TimeDelta::days(2),
    };
    let mut publisher = Publisher::new(
        catalog.clone(),
        Limits::default(),
        ingest::pseudonymiser(),
        TimeDelta::seconds(ingest::local_settings().kiosk_repeat_interval_secs as i64),
    );
    let mut engines: Vec<Engine> = (0..PARTITIONS)
        .map(|_| Engine::new(EngineConfig::default()))
        .collect();
    let mut offsets = [0i64; PARTITIONS];
    let (mut events, mut uncounted, mut rejected) = (Vec::new(), Vec::new(), Vec::new());
    for item in scenario.stream(&run) {
        if item.kind == ItemKind::Bad {
            rejected.push(RejectedRow {
                kafka_partition: 0,
                kafka_offset: 1_000_000 + rejected.len() as u64,
                seen_at: seconds(&item.at),
                reason: "malformed_json".into(),
                payload: item.body.clone(),
            });
            continue;
        }
        let Ok(event) = publisher.event(&item, item.at) else {
            continue;
        };
        let p = event.department.bytes().map(usize::from).sum::<usize>() % PARTITIONS;
        offsets[p] += 1;
        let payload = serde_json::to_string(&event).unwrap();
        let reason = match engines[p].record(&event.view()) {
            Outcome::Counted => {
                events.push(EventRow::new(&event, p as i32, offsets[p], payload));
                continue;
            }
            Outcome::Duplicate => "duplicate",
            Outcome::Late => "late",
            Outcome::Suspect => "repeat_press",
            Outcome::Invalid => "invalid",
        };
        uncounted.push(UncountedRow {
            event_id: event.event_id.clone(),
            kafka_partition: p as u16,
            kafka_offset: offsets[p] as u64,
            occurred_at: seconds(&event.occurred_at),
            received_at: seconds(&event.received_at),
            facility: event.facility.clone(),
            department: event.department.clone(),
            reason: reason.into(),
            payload,
        });
    }
    let (mut drained, mut snapshots) = (Vec::new(), Vec::new());
    for (p, engine) in engines.iter_mut().enumerate() {
        let version = offsets[p] as u64;
        drained.push((version, engine.drain_minutes()));
        snapshots.extend(
            engine
                .snapshots(now)
                .iter()
                .map(|s| SnapshotRow::new(s, p as i32, seconds(&now), version)),
        );
    }
    let client = client.clone().with_database(database);
    insert(&client, "feedback_events", &events).await;
    insert(&client, "late_events", &uncounted).await;
    insert(&client, "rejected_events", &rejected).await;
    let minutes: Vec<MinuteCountWrite<'_>> = drained
        .iter()
        .flat_map(|(version, rows)| rows.iter().map(|m| MinuteCountWrite::new(m, *version)))
        .collect();
    let mut writer = client
        .insert::<MinuteCountWrite<'static>>("score_minutes")
        .await
        .unwrap();
    for row in &minutes {
        writer.write(row).await.unwrap();
    }
    writer.end().await.unwrap();
    insert(&client, "score_snapshots", &snapshots).await;
    carepulse_clickhouse::write_catalog(&client, database, &catalog, 1)
        .await
        .unwrap();
    // The analytics tables, as `carepulse analyze` writes them: the engine
    // over the stored events of the last 90 days.
    let settings = carepulse_analytics::ReportSettings {
        from: Some(now - TimeDelta::days(90)),
        until: Some(now),
        ..Default::default()
    };
    let analysed = carepulse_clickhouse::analyze(
        &client,
        database,
        std::sync::Arc::new(catalog.clone()),
        settings,
        now,
    )
    .await
    .unwrap();
    // Over HTTP: the links hold '?', which the client takes for a bind
    // parameter.
    let url = carepulse_service_tests::clickhouse_url();
    let response = reqwest::Client::new()
        .post(format!("{url}/?database={database}"))
        .body(alerts_sql(now))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
    Seeded {
        events: events.len(),
        uncounted: uncounted.len(),
        minutes: minutes.len(),
        snapshots: snapshots.len(),
        analysis: analysed.rows.drivers.len()
            + analysed.rows.quality.len()
            + analysed.rows.stages.len(),
    }
}

/// Alert history: a critical drop still firing, a warning that fired and
/// resolved, a silence still firing (keyed by facility only).
fn alerts_sql(now: DateTime<Utc>) -> String {
    let t = |hours: i64| (now - TimeDelta::hours(hours)).timestamp();
    let row = |id: &str,
               state: &str,
               kind: &str,
               severity: &str,
               key: &str,
               dims: [&str; 4],
               values: (f64, u64, f64, u64),
               since: i64,
               fired: i64,
               updated: i64,
               resolved: Option<i64>| {
        let (fac, dep, stage, exp) = (dims[0], dims[1], dims[2], dims[3]);
        let (cur, cur_n, base, base_n) = values;
        let resolved = resolved.map_or("NULL".to_owned(), |r| format!("toDateTime({r})"));
        format!(
            "('{id}', '{state}', '{kind}', '{severity}', '{key}', '{fac}', '{dep}', '{stage}', '{exp}', 'top_box', \
             {cur}, {lo}, {hi}, {cur_n}, toDateTime({since}), toDateTime({updated}), \
             {base}, {blo}, {bhi}, {base_n}, toDateTime({bfrom}), toDateTime({since}), \
             toDateTime({since}), toDateTime({fired}), toDateTime({updated}), {resolved}, \
             'top-box dropped at {key}', 'CUSUM signalled', \
             'http://127.0.0.1:3000/d/carepulse-scores?var-department={dep}&from=now-2d&to=now', '{{}}')",
            lo = cur - 6.0,
            hi = cur + 7.0,
            blo = base - 1.5,
            bhi = base + 1.5,
            bfrom = since - 28 * 86_400,
        )
    };
    let rows = [
        row(
            "a1",
            "firing",
            "score_drop",
            "critical",
            "department=ed,stage=ed-visit/triage",
            ["stmarys-general", "ed", "ed-visit/triage", ""],
            (24.1, 162, 45.2, 5611),
            t(20),
            t(18),
            t(1),
            None,
        ),
        row(
            "a2",
            "firing",
            "score_drop",
            "warning",
            "department=outpatients",
            ["stmarys-general", "outpatients", "", ""],
            (38.0, 120, 47.0, 3000),
            t(40),
            t(36),
            t(30),
            None,
        ),
        row(
            "a2",
            "resolved",
            "score_drop",
            "warning",
            "department=outpatients",
            ["stmarys-general", "outpatients", "", ""],
            (46.0, 300, 47.0, 3000),
            t(40),
            t(36),
            t(26),
            Some(t(26)),
        ),
        row(
            "a3",
            "firing",
            "silence",
            "warning",
            "facility=stmarys-general,source=kiosk-ed-01",
            ["stmarys-general", "", "", ""],
            (0.0, 0, 12.0, 900),
            t(3),
            t(2),
            t(1),
            None,
        ),
    ];
    format!(
        "INSERT INTO alert_events (alert_id, state, kind, severity, alert_key, facility, department, stage, experience, measure, \
         current_value, current_low, current_high, current_n, current_from, current_to, \
         baseline_value, baseline_low, baseline_high, baseline_n, baseline_from, baseline_to, \
         since, fired_at, updated_at, resolved_at, summary, evidence, link, record) VALUES {}",
        rows.join(", ")
    )
}

/// Variable values: a specific facility, department and journey with every
/// stage and experience; and narrower choices (a patient stage, another
/// journey, the 7-day window, one alert kind).
fn scenarios(now: DateTime<Utc>) -> Vec<(&'static str, Interpolation)> {
    let make = |pairs: &[(&str, &str)]| Interpolation {
        variables: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        from: (now - TimeDelta::days(2)).timestamp(),
        to: now.timestamp(),
        interval_s: 600,
    };
    vec![
        (
            "broad",
            make(&[
                ("facility", "stmarys-general"),
                ("department", "ed"),
                ("stage", "*"),
                ("experience", "*"),
                ("journey", "ed-visit"),
                ("window", "1440"),
                ("kind", "*"),
                ("questionnaire", "ed-visit-survey"),
            ]),
        ),
        (
            "narrow",
            make(&[
                ("facility", "stmarys-general"),
                ("department", "ed"),
                ("stage", "ed-visit/treatment"),
                ("experience", "patient"),
                ("journey", "outpatient-appointment"),
                ("window", "10080"),
                ("kind", "score_drop"),
                ("questionnaire", "*"),
            ]),
        ),
    ]
}

/// The "All" choice of every variable that offers one, on top of `base`.
fn with_all(dashboard: &Value, base: &Interpolation) -> Option<Interpolation> {
    let mut all = base.clone();
    let mut any = false;
    for v in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if v["includeAll"].as_bool() == Some(true) {
            let name = v["name"].as_str().unwrap().to_owned();
            let value = v["allValue"].as_str().unwrap_or("*").to_owned();
            all.variables.insert(name, value);
            any = true;
        }
    }
    any.then_some(all)
}

/// Every ClickHouse query of every dashboard, substituted for each scenario.
fn sql_cases(now: DateTime<Utc>) -> Vec<(String, String, DashboardQuery)> {
    let mut cases = Vec::new();
    for (file, dashboard) in grafana::dashboards() {
        let queries = grafana::queries(&file, &dashboard);
        let mut runs = scenarios(now);
        if let Some(all) = with_all(&dashboard, &runs[0].1) {
            runs.push(("all", all));
        }
        for q in queries.into_iter().filter(|q| q.datasource == CLICKHOUSE) {
            for (scenario, values) in &runs {
                cases.push((
                    format!("{} [{scenario}]", q.name),
                    values.sql(&q.text),
                    q.clone(),
                ));
            }
        }
    }
    cases
}

/// Problems with one query's answer: `meta` (column names) and row count.
fn judge(name: &str, q: &DashboardQuery, columns: &[String], rows: usize) -> Option<String> {
    if rows == 0 {
        return Some(format!("{name}: no rows"));
    }
    let missing: Vec<_> = q.columns.iter().filter(|c| !columns.contains(c)).collect();
    if !missing.is_empty() {
        return Some(format!(
            "{name}: missing columns {missing:?} (got {columns:?})"
        ));
    }
    if q.variable && columns.len() != 1 {
        return Some(format!(
            "{name}: a variable query must return one column, got {columns:?}"
        ));
    }
    None
}

async fn clickhouse_json(
    http: &reqwest::Client,
    url: &str,
    database: &str,
    sql: &str,
) -> Result<Value, String> {
    let response = http
        .post(format!("{url}/?database={database}"))
        .body(format!("{sql} FORMAT JSON"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(text.trim().to_owned());
    }
    serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))
}

#[tokio::test]
async fn every_dashboard_query_answers_on_clickhouse_18_and_current_clickhouse() {
    let (client, database) = database::migrated("carepulse_dashboards").await;
    let url = clickhouse_url();
    let now = Utc::now().duration_trunc(TimeDelta::minutes(1)).unwrap();
    let started = std::time::Instant::now();
    let seeded = seed(&client, &database, now).await;
    eprintln!("seeded {seeded:?} in {:.1?}", started.elapsed());
    assert!(
        seeded.events > 1000
            && seeded.snapshots > 100
            && seeded.minutes > 100
            && seeded.uncounted > 0
            && seeded.analysis > 50,
        "{seeded:?}"
    );

    let cases = sql_cases(now);
    let dashboards: BTreeSet<_> = cases
        .iter()
        .map(|c| c.2.name.split(" / ").next().unwrap().to_owned())
        .collect();
    assert!(
        dashboards.len() >= 5,
        "every dashboard has SQL panels: {dashboards:?}"
    );
    let http = reqwest::Client::new();
    let mut problems = Vec::new();
    for (name, sql, q) in &cases {
        match clickhouse_json(&http, &url, &database, sql).await {
            Ok(answer) => {
                let columns: Vec<String> = answer["meta"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["name"].as_str().unwrap().to_owned())
                    .collect();
                let rows = answer["rows"].as_u64().unwrap_or_default() as usize;
                problems.extend(judge(name, q, &columns, rows));
            }
            Err(e) => problems.push(format!("{name}: ClickHouse 18.16 refused it: {e}\n  {sql}")),
        }
    }
    eprintln!(
        "{} queries on ClickHouse 18.16 in {:.1?}",
        cases.len(),
        started.elapsed()
    );

    // The same data and queries on current ClickHouse through chdb.
    let dir = std::env::temp_dir().join(unique_name("dashboards"));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let schema: String = carepulse_clickhouse::statements("{db}")
        .iter()
        .map(|s| format!("{s};\n"))
        .collect();
    std::fs::write(dir.join("schema.sql"), schema).unwrap();
    for table in [
        "feedback_events",
        "late_events",
        "rejected_events",
        "score_minutes",
        "score_snapshots",
        "alert_events",
        "catalog_stages",
        "driver_importance",
        "question_quality",
        "journey_stage_scores",
        "analysis_runs",
    ] {
        let response = http
            .post(format!("{url}/?database={database}"))
            .body(format!("SELECT * FROM {table} FORMAT Values"))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        std::fs::write(dir.join("data").join(table), response.text().await.unwrap()).unwrap();
    }
    let queries: Vec<Value> = cases
        .iter()
        .map(|(name, sql, _)| json!({"name": name, "sql": sql}))
        .collect();
    std::fs::write(
        dir.join("queries.json"),
        serde_json::to_string(&queries).unwrap(),
    )
    .unwrap();
    let out = Command::new("python3")
        .arg(repo().join("tests/sql/dashboard_queries.py"))
        .arg(&dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "chdb (current ClickHouse) failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: BTreeMap<String, Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["name"].as_str().unwrap().to_owned(), v)
        })
        .collect();
    for (name, sql, q) in &cases {
        let a = &answers[name];
        if let Some(e) = a["error"].as_str() {
            problems.push(format!(
                "{name}: current ClickHouse refused it: {e}\n  {sql}"
            ));
            continue;
        }
        let columns: Vec<String> = serde_json::from_value(a["columns"].clone()).unwrap();
        let rows = a["rows"].as_u64().unwrap_or_default() as usize;
        problems.extend(judge(&format!("{name} (current)"), q, &columns, rows));
    }
    eprintln!(
        "{} queries on both in {:.1?}",
        cases.len(),
        started.elapsed()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    database::drop(&client, &database).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_drop_shows_as_the_weakest_stage_with_insufficient_samples_marked() {
    // The journey table's verdicts, on hand-made snapshots: triage is the
    // weakest stage with n >= 30; a worse stage with 12 answers is marked
    // insufficient and not called the weakest.
    let (client, database) = database::migrated("carepulse_weakest").await;
    let url = clickhouse_url();
    let now = Utc::now().duration_trunc(TimeDelta::minutes(1)).unwrap();
    let c = client.clone().with_database(&database);
    carepulse_clickhouse::write_catalog(&c, &database, &ingest::catalog(), 1)
        .await
        .unwrap();
    let stage = |stage: &str, valid: u32, top: u32, partition: u16| SnapshotRow {
        rollup: "journey_stage".into(),
        window_minutes: 1440,
        facility: "*".into(),
        organisation: "*".into(),
        department: "*".into(),
        journey: "ed-visit".into(),
        stage: stage.into(),
        experience: "*".into(),
        channel: "*".into(),
        respondent_role: "*".into(),
        questionnaire: "*".into(),
        question: "overall".into(),
        scale: "smiley_4".into(),
        kafka_partition: partition,
        at: seconds(&now),
        responses: valid,
        valid,
        linear_sum: f64::from(top) * 100.0,
        top_box: top,
        bottom_box: 0,
        positive: top,
        negative: 0,
        dont_know: 0,
        promoters: 0,
        passives: 0,
        detractors: 0,
        version: 1,
    };
    let mut stale = stage("treatment", 500, 10, 2);
    stale.at = seconds(&(now - TimeDelta::days(2)));
    let rows = [
        stage("arrival", 100, 60, 0),
        stage("triage", 40, 10, 0),
        stage("triage", 40, 10, 1), // another partition's share: 80 answers, 25%
        stage("treatment", 12, 1, 1),
        stale,
        stage("discharge", 60, 30, 1),
    ];
    insert(&c, "score_snapshots", &rows).await;
    let journey = grafana::dashboards()
        .into_iter()
        .find(|(f, _)| f == "journey.json")
        .unwrap()
        .1;
    let table = grafana::queries("journey.json", &journey)
        .into_iter()
        .find(|q| q.name.contains("Stages in order"))
        .unwrap();
    let values = &scenarios(now)[0].1;
    let http = reqwest::Client::new();
    let answer = clickhouse_json(&http, &url, &database, &values.sql(&table.text))
        .await
        .unwrap();
    let got: Vec<(String, u64, String, String)> = answer["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["stage"].as_str().unwrap().to_owned(),
                r["n"]
                    .as_str()
                    .map_or_else(|| r["n"].as_u64().unwrap(), |s| s.parse().unwrap()),
                r["sample"].as_str().unwrap().to_owned(),
                r["weakest"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = |s: &str, n: u64, sample: &str, weakest: &str| {
        (s.to_owned(), n, sample.to_owned(), weakest.to_owned())
    };
    assert_eq!(
        got,
        vec![
            expect("arrival", 100, "ok", ""),
            expect("triage", 80, "ok", "weakest"),
            expect("treatment", 12, "insufficient (n < 30)", ""),
            expect("discharge", 60, "ok", ""),
        ],
        "stages in catalog order, partitions summed, stale rows skipped"
    );
    let triage = &answer["data"].as_array().unwrap()[1];
    assert_eq!(triage["top_box_pct"].as_f64(), Some(25.0));
    // Wilson 95% interval of 20 of 80: 16.8% to 35.5%.
    assert_eq!(triage["top_box_low"].as_f64(), Some(16.8), "{triage}");
    assert_eq!(triage["top_box_high"].as_f64(), Some(35.5), "{triage}");
    database::drop(&client, &database).await;
}

/// Every PromQL expression of the dashboards, substituted.
fn promql_cases() -> Vec<(String, String)> {
    let values = &scenarios(Utc::now())[0].1;
    grafana::dashboards()
        .iter()
        .flat_map(|(file, d)| grafana::queries(file, d))
        .filter(|q| q.datasource == grafana::PROMETHEUS)
        .map(|q| (q.name.clone(), values.promql(&q.text)))
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn every_dashboard_promql_expression_passes_promtool() {
    let cases = promql_cases();
    assert!(
        cases.len() >= 15,
        "the pipeline dashboard's expressions: {}",
        cases.len()
    );
    let dir = std::env::temp_dir().join(unique_name("promql"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rules = String::from("groups:\n  - name: dashboard-expressions\n    rules:\n");
    for (i, (name, expr)) in cases.iter().enumerate() {
        // JSON strings are YAML strings.
        rules.push_str(&format!(
            "      # {}\n      - record: carepulse:dashboard_check_{i}\n        expr: {}\n",
            name.replace('\n', " "),
            serde_json::to_string(expr).unwrap()
        ));
    }
    let file = dir.join("dashboard-expressions.yml");
    std::fs::write(&file, rules).unwrap();
    let out = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .expect("promtool runs: install the Debian package prometheus");
    assert!(
        out.status.success(),
        "promtool refused a dashboard expression:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A Prometheus of the test's own, stopped when dropped.
struct PrivatePrometheus {
    child: std::process::Child,
    url: String,
    dir: std::path::PathBuf,
}

impl Drop for PrivatePrometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_prometheus(metrics_port: u16) -> PrivatePrometheus {
    let dir = std::env::temp_dir().join(unique_name("prometheus"));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let rules = repo().join("deploy/prometheus/rules");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}/*.yml\n\
         scrape_configs:\n  - job_name: carepulse-ingest\n    static_configs:\n      - targets: [\"127.0.0.1:{metrics_port}\"]\n",
        rules.canonicalize().unwrap().display()
    );
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let port = free_port();
    let child = Command::new("prometheus")
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
        .spawn()
        .expect("prometheus runs: install the Debian package prometheus");
    PrivatePrometheus {
        child,
        url: format!("http://127.0.0.1:{port}"),
        dir,
    }
}

async fn instant_query(http: &reqwest::Client, url: &str, expr: &str) -> Value {
    let url =
        reqwest::Url::parse_with_params(&format!("{url}/api/v1/query"), [("query", expr)]).unwrap();
    http.get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn every_promql_expression_evaluates_on_prometheus_scraping_the_ingest_service() {
    let brokers = require_kafka();
    let service = ingest::start(&brokers, |_| {}).await;
    carepulse_ingest::metrics::handle();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_port = listener.local_addr().unwrap().port();
    let metrics = tokio::spawn(async move {
        axum::serve(listener, carepulse_ingest::metrics_router())
            .await
            .unwrap()
    });
    let prometheus = start_prometheus(metrics_port);
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !http
        .get(format!("{}/-/ready", prometheus.url))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the private Prometheus did not start within 30 s (log: {})",
            prometheus.dir.join("prometheus.log").display()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    loop {
        let up = instant_query(&http, &prometheus.url, "up{job=\"carepulse-ingest\"} == 1").await;
        if up["data"]["result"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the private Prometheus did not scrape the ingest service within 30 s (log: {})",
            prometheus.dir.join("prometheus.log").display()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // A few accepted events and one rejected.
    let text = std::fs::read_to_string(repo().join("docs/examples/kiosk-smiley.json")).unwrap();
    let mut body: Value = serde_json::from_str(&text).unwrap();
    body["occurred_at"] = json!((Utc::now() - TimeDelta::minutes(5)).to_rfc3339());
    let stmarys = token("stmarys-general");
    for n in 0..5 {
        body["event_id"] = json!(unique_name(&format!("promql-{n}")));
        let reply = call(
            &service.router,
            post(
                "/v1/feedback",
                Some(&stmarys),
                "application/json",
                body.to_string(),
            ),
        )
        .await;
        assert_eq!(reply.status.as_u16(), 202, "{}", reply.body);
    }
    let reply = call(
        &service.router,
        post("/v1/feedback", Some(&stmarys), "application/json", "{}"),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.body);
    // Two scrapes after the events, so rates have two samples.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let names: Value = http
        .get(format!("{}/api/v1/label/__name__/values", prometheus.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let present: BTreeSet<String> = serde_json::from_value(names["data"].clone()).unwrap();
    assert!(
        present.contains("carepulse_ingest_events_total"),
        "{present:?}"
    );

    let mut problems = Vec::new();
    let mut answered = 0;
    for (name, expr) in promql_cases() {
        let answer = instant_query(&http, &prometheus.url, &expr).await;
        if answer["status"] != "success" {
            problems.push(format!("{name}: {expr}: {}", answer["error"]));
            continue;
        }
        // Expressions over metrics the ingest service exposes, without
        // label filters that may match nothing, must have an answer.
        let metrics: Vec<&str> = expr
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("carepulse_") || *w == "up")
            .collect();
        let result = answer["data"]["result"].as_array().map_or(0, Vec::len);
        let filtered = expr.contains("=\"") || expr.contains("=~\"") && !expr.starts_with("up{");
        if !metrics.is_empty() && metrics.iter().all(|m| present.contains(*m)) && !filtered {
            if result == 0 {
                problems.push(format!(
                    "{name}: {expr}: empty although its metrics are scraped"
                ));
            } else {
                answered += 1;
            }
        }
    }
    assert!(answered >= 3, "expressions answered with data: {answered}");

    // The alert rules load and evaluate without error.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let rules: Value = http
            .get(format!("{}/api/v1/rules", prometheus.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let all: Vec<&Value> = rules["data"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["rules"].as_array().unwrap())
            .collect();
        assert!(
            all.len() >= 11,
            "the pipeline rules are loaded: {}",
            all.len()
        );
        let pending: Vec<_> = all
            .iter()
            .filter(|r| {
                r["lastEvaluation"]
                    .as_str()
                    .is_none_or(|t| t.starts_with("0001"))
            })
            .collect();
        if pending.is_empty() {
            for r in all.iter().filter(|r| r["health"] != "ok") {
                problems.push(format!(
                    "rule {}: {} ({})",
                    r["name"], r["health"], r["lastError"]
                ));
            }
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "rules not evaluated within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    metrics.abort();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
