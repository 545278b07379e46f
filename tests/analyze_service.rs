//! `carepulse analyze` against the real local ClickHouse 18.16 (`dev/services
//! up`): simulated events generated with known true driver weights are
//! stored in `feedback_events` as the processor stores them, the analysis
//! runs over them, and the stored rows must give back the truth: the
//! drivers in their true order, each true share (the latent model's
//! population Shapley share) close to the estimate and inside its stored
//! bootstrap interval; question quality and journey rows present; and a
//! department with too few responses stored as not reliable, without
//! importance figures.
//!
//! The stored rows are also compared with the engine's own run over the
//! same events in memory. The answers are 0-100 sliders, which keep the latent information (see
//! crates/carepulse-analytics/tests/simulator_recovery.rs).

use std::sync::Arc;

#[path = "../crates/carepulse-analytics/tests/latent_truth/mod.rs"]
mod latent_truth;

use carepulse_analytics::{DriverAnalysis, ReportBuilder, ReportSettings};
use carepulse_clickhouse::analytics::{
    AnalysisRunRow, DriverImportanceRow, JourneyStageScoreRow, QuestionQualityRow,
};
use carepulse_clickhouse::rows::EventRow;
use carepulse_model::{Catalog, FeedbackEvent, Limits, Pseudonymiser};
use carepulse_service_tests::database;
use carepulse_simulator::{Endpoint, ItemKind, Publisher, Run, ScenarioFile};
use chrono::{DateTime, TimeDelta, Utc};
use latent_truth::{true_shares, SLIDER_ITEMS as ITEMS, SLIDER_SCENARIO as SCENARIO};

const CATALOG: &str = r#"
[[organisations]]
id = "org"
name = "Test trust"
kind = "hospital"
[[facilities]]
id = "site"
name = "Test site"
organisation = "org"
timezone = "Europe/London"
[[departments]]
id = "clinic"
name = "Clinic"
facility = "site"
[[departments]]
id = "annex"
name = "Annex"
facility = "site"
[[questionnaires]]
id = "sliders"
name = "Five sliders"
overall = { id = "overall", text = "Overall?", scale = "slider_0_100" }
items = [
  { id = "a", text = "A?", scale = "slider_0_100" },
  { id = "b", text = "B?", scale = "slider_0_100" },
  { id = "c", text = "C?", scale = "slider_0_100" },
  { id = "d", text = "D?", scale = "slider_0_100" },
  { id = "e", text = "E?", scale = "slider_0_100" },
]
[[journeys]]
id = "visit"
name = "Visit"
stages = [{ id = "seen", name = "Seen", department = "clinic" }]
[[touchpoints]]
id = "survey"
name = "Survey"
stages = ["visit/seen"]
experience = "patient"
questionnaire = "sliders"
channels = ["portal"]
"#;

/// `days` simulated days of the slider survey at the clinic from `start`,
/// validated as the ingest service validates them.
fn simulate(catalog: &Catalog, seed: u64, start: DateTime<Utc>, days: i64) -> Vec<FeedbackEvent> {
    let run = Run {
        seed,
        start,
        duration: TimeDelta::days(days),
    };
    let scenario = ScenarioFile::from_toml(SCENARIO)
        .unwrap()
        .check(catalog)
        .unwrap();
    let mut publisher = Publisher::new(
        catalog.clone(),
        Limits::default(),
        Pseudonymiser::new("k1", &[3; 32]).unwrap(),
        TimeDelta::zero(),
    );
    scenario
        .stream(&run)
        .filter(|item| item.kind == ItemKind::Submission && item.endpoint == Endpoint::Feedback)
        .map(|item| publisher.event(&item, item.at).unwrap())
        .collect()
}

/// 14 days at the clinic, plus 12 answers at the annex: fresh draws from
/// the same model (another seed), so the truth holds for all of them.
fn events(catalog: &Catalog, start: DateTime<Utc>) -> Vec<FeedbackEvent> {
    let mut events = simulate(catalog, 2026, start, 14);
    let annex = simulate(catalog, 7, start, 1)
        .into_iter()
        .take(12)
        .map(|mut e| {
            e.event_id = format!("{}-annex", e.event_id);
            e.department = "annex".into();
            e
        });
    events.extend(annex);
    events
}

async fn select<T>(client: &clickhouse::Client, table: &str, order: &str) -> Vec<T>
where
    T: clickhouse::RowOwned + clickhouse::RowRead,
{
    client
        .query(&format!(
            "SELECT * FROM {table} FINAL \
             WHERE computed_at = (SELECT max(computed_at) FROM analysis_runs) ORDER BY {order}"
        ))
        .fetch_all::<T>()
        .await
        .unwrap()
}

#[tokio::test]
async fn analyze_stores_recovered_drivers_quality_and_journeys_in_clickhouse() {
    let (client, database) = database::migrated("carepulse_analyze").await;
    let catalog = Catalog::from_toml(CATALOG).unwrap();
    let start: DateTime<Utc> = "2026-01-05T00:00:00Z".parse().unwrap();
    let events = events(&catalog, start);
    let db = client.clone().with_database(&database);
    let mut insert = db.insert::<EventRow>("feedback_events").await.unwrap();
    for (offset, e) in events.iter().enumerate() {
        let payload = serde_json::to_string(e).unwrap();
        insert
            .write(&EventRow::new(e, 0, offset as i64, payload))
            .await
            .unwrap();
    }
    insert.end().await.unwrap();

    // 99% intervals from 1,000 replicates: five items each inside a 95%
    // interval would hold in only about 4 runs of 5.
    let end = start + TimeDelta::days(14);
    let mut settings = ReportSettings {
        from: Some(end - TimeDelta::days(90)),
        until: Some(end),
        ..ReportSettings::default()
    };
    settings.drivers.level = 0.99;
    settings.drivers.replicates = 1_000;
    // An earlier computation, which the latest must not mix with.
    let earlier = ReportSettings {
        until: Some(start + TimeDelta::days(1)),
        ..settings
    };
    let shared = Arc::new(catalog.clone());
    carepulse_clickhouse::analyze(&client, &database, shared.clone(), earlier, end)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let done = carepulse_clickhouse::analyze(
        &client,
        &database,
        shared,
        settings,
        end + TimeDelta::minutes(5),
    )
    .await
    .unwrap();
    eprintln!(
        "{} events analysed and stored in {:.2?}",
        done.run.events_read,
        started.elapsed()
    );

    let runs: Vec<AnalysisRunRow> = select(&db, "analysis_runs", "computed_at").await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].events_read as usize, events.len());
    assert_eq!(runs[0].events_used as usize, events.len());
    assert_eq!(runs[0].malformed, 0);
    assert_eq!(i64::from(runs[0].window_to), end.timestamp());

    let drivers: Vec<DriverImportanceRow> = select(
        &db,
        "driver_importance",
        "questionnaire, dimension, group_key, rank",
    )
    .await;
    assert_eq!(drivers, done.rows.drivers, "stored as computed");
    // The same figures as the engine over the events in memory (the order
    // of the rows differs, so the bootstrap intervals may; the estimates
    // may not).
    let mut builder = ReportBuilder::new(&catalog, settings);
    for e in &events {
        builder.add(e).unwrap();
    }
    let memory = builder.finish();
    for group in &memory.drivers {
        let DriverAnalysis::Analysed(result) = &group.analysis else {
            continue;
        };
        for d in &result.drivers {
            let stored = drivers
                .iter()
                .find(|r| {
                    r.questionnaire == group.questionnaire
                        && r.dimension == group.dimension.name()
                        && r.group_key == group.key
                        && r.item == d.item
                })
                .unwrap();
            assert_eq!((stored.rank as usize, stored.n), (d.rank, result.n));
            assert!(
                (stored.share.unwrap() - d.share).abs() < 1e-9,
                "{stored:?} {d:?}"
            );
            assert!((stored.r_squared.unwrap() - result.r_squared).abs() < 1e-9);
        }
    }
    let scenario: toml::Table = SCENARIO.parse().unwrap();
    let truth = true_shares(&scenario, "sliders", &ITEMS);
    let all: Vec<&DriverImportanceRow> = drivers
        .iter()
        .filter(|d| d.questionnaire == "sliders" && d.dimension == "all")
        .collect();
    assert_eq!(all.len(), ITEMS.len(), "{all:?}");
    for (rank, (item, t)) in ITEMS.iter().zip(&truth).enumerate() {
        let d = all.iter().find(|d| d.item == *item).unwrap();
        let (share, low, high) = (
            d.share.unwrap(),
            d.share_low.unwrap(),
            d.share_high.unwrap(),
        );
        eprintln!(
            "{item}: true {t:.3} stored {share:.3} [{low:.3}, {high:.3}] rank {}",
            d.rank
        );
        assert_eq!(usize::from(d.rank), rank + 1, "{item}: {d:?}");
        assert!((share - t).abs() < 0.05, "{item}: true {t} stored {share}");
        assert!(
            low <= *t && *t <= high,
            "{item}: true {t} outside [{low}, {high}]"
        );
        assert_eq!(d.reliable, 1);
        assert_eq!(d.method, "shapley");
        assert!(d.n > 1_400, "{}", d.n);
        assert!(d.r_squared_low.unwrap() < 0.6 && d.r_squared_high.unwrap() > 0.5);
        assert_eq!(d.departments, "annex,clinic");
        assert!(!d.quadrant.is_empty());
    }
    let shares: f64 = all.iter().map(|d| d.share.unwrap()).sum();
    assert!((shares - 1.0).abs() < 1e-9, "shares add up to 1: {shares}");

    let clinic: Vec<_> = drivers
        .iter()
        .filter(|d| d.dimension == "department" && d.group_key == "clinic")
        .collect();
    assert_eq!(clinic.len(), ITEMS.len());
    assert!(clinic.iter().all(|d| d.reliable == 1 && d.share.is_some()));
    let annex: Vec<_> = drivers
        .iter()
        .filter(|d| d.dimension == "department" && d.group_key == "annex")
        .collect();
    assert_eq!(
        annex.len(),
        1,
        "one row for a group that is not reliable: {annex:?}"
    );
    let annex = annex[0];
    assert_eq!(
        (annex.reliable, annex.responses, annex.min_n),
        (0, 12, 30),
        "{annex:?}"
    );
    assert!(annex.n <= 12, "{annex:?}");
    assert!(annex.note.starts_with("not reliable"), "{}", annex.note);
    assert!(annex.item.is_empty() && annex.method.is_empty());
    assert_eq!(
        (
            annex.importance,
            annex.share,
            annex.share_low,
            annex.r_squared
        ),
        (None, None, None, None)
    );
    assert_eq!(annex.departments, "annex");

    let quality: Vec<QuestionQualityRow> =
        select(&db, "question_quality", "questionnaire, position").await;
    let items: Vec<&str> = quality.iter().map(|q| q.item.as_str()).collect();
    assert_eq!(items, ITEMS);
    // Items correlate through the halo only (r = halo² = 0.16): alpha
    // 5·0.16 / (1 + 4·0.16) = 0.488.
    for q in &quality {
        let alpha = q.alpha.unwrap();
        assert!((alpha - 0.488).abs() < 0.06, "alpha {alpha}");
        assert!(q.item_total.is_some() && q.answered > 1_400, "{q:?}");
    }

    let stages: Vec<JourneyStageScoreRow> =
        select(&db, "journey_stage_scores", "journey, position").await;
    assert_eq!(stages.len(), 1, "{stages:?}");
    let seen = &stages[0];
    assert_eq!(
        (seen.journey.as_str(), seen.stage.as_str(), seen.position),
        ("visit", "seen", 1)
    );
    assert!(seen.n as usize >= events.len() && seen.sufficient == 1 && seen.weakest == 1);
    assert!(seen.linear_mean.is_some_and(|m| m > 0.0 && m < 100.0));

    database::drop(&client, &database).await;
}
