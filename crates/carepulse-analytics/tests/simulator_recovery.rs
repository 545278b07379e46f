//! Driver analysis on simulator data generated with known true driver
//! weights (docs/simulator.md, crates/carepulse-simulator/src/latent.rs):
//! the events go through the model's decode, validate and into_event path,
//! then through the report engine, and the shares it reports are compared
//! with the population Shapley shares of the scenario's latent model.
//!
//! The latent truth is what the answers would show on a continuous scale.
//! Real answers are coarse (a yes/no item keeps about half of its latent
//! correlation), so on the shipped hospital the coarse items' shares come
//! out lower than the latent truth; the second test uses 0-100 sliders,
//! where the answer scale keeps the latent information, and there the
//! truth lies inside every bootstrap interval.

mod latent_truth;

use carepulse_analytics::{
    Dimension, DriverAnalysis, DriverResult, Method, ReportBuilder, ReportSettings,
};
use carepulse_model::{Catalog, Limits, Pseudonymiser};
use carepulse_simulator::{Endpoint, ItemKind, Publisher, Run, ScenarioFile};
use chrono::TimeDelta;
use latent_truth::true_shares;

/// Simulates `days` of the scenario, validates each submission as the
/// ingest service would, and analyses the questionnaire's drivers.
fn analyse(
    scenario: &toml::Table,
    catalog: &Catalog,
    questionnaire: &str,
    days: i64,
    settings: ReportSettings,
) -> DriverResult {
    let checked = ScenarioFile::from_toml(&toml::to_string(scenario).unwrap())
        .unwrap()
        .check(catalog)
        .unwrap();
    let run = Run {
        seed: 2026,
        start: "2026-01-05T00:00:00Z".parse().unwrap(),
        duration: TimeDelta::days(days),
    };
    let mut publisher = Publisher::new(
        catalog.clone(),
        Limits::default(),
        Pseudonymiser::new("k1", &[3; 32]).unwrap(),
        TimeDelta::zero(),
    );
    let mut builder = ReportBuilder::new(catalog, settings);
    for item in checked.stream(&run) {
        if item.kind == ItemKind::Submission && item.endpoint == Endpoint::Feedback {
            builder
                .add(&publisher.event(&item, item.at).unwrap())
                .unwrap();
        }
    }
    let report = builder.finish();
    let group = report
        .drivers
        .into_iter()
        .find(|g| g.questionnaire == questionnaire && g.dimension == Dimension::All)
        .unwrap();
    match group.analysis {
        DriverAnalysis::Analysed(result) => result,
        other => panic!("{other:?}"),
    }
}

/// Prints truth and estimate side by side; returns (truth, estimate,
/// interval) per item in `items` order and checks the ranking.
fn compare(result: &DriverResult, items: &[&str], truth: &[f64]) -> Vec<(f64, f64, f64, f64)> {
    eprintln!(
        "n {} R² {:.3} {:?} ({} replicates)",
        result.n, result.r_squared, result.r_squared_interval, result.bootstrap.replicates
    );
    let rows: Vec<(f64, f64, f64, f64)> = items
        .iter()
        .zip(truth)
        .map(|(item, t)| {
            let d = result.drivers.iter().find(|d| d.item == *item).unwrap();
            let iv = d.share_interval.unwrap();
            eprintln!(
                "{item:22} true {t:.3}  est {:.3} [{:.3}, {:.3}]  rank {}",
                d.share, iv.low, iv.high, d.rank
            );
            (*t, d.share, iv.low, iv.high)
        })
        .collect();
    // Items are listed most important first in truth; the ranks must agree.
    for (rank, item) in items.iter().enumerate() {
        let d = result.drivers.iter().find(|d| d.item == *item).unwrap();
        assert_eq!(d.rank, rank + 1, "{item}: {:?}", result.drivers);
    }
    rows
}

#[test]
fn the_shipped_hospitals_ed_survey_drivers_come_back_in_their_true_order() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy");
    let mut scenario: toml::Table =
        std::fs::read_to_string(format!("{dir}/scenarios/general-hospital.toml"))
            .unwrap()
            .parse()
            .unwrap();
    // A stage drop on wait_time changes what drives the overall while it
    // lasts; the driver truth holds in normal times.
    scenario.remove("incidents");
    let catalog = Catalog::from_toml(
        &std::fs::read_to_string(format!("{dir}/catalog/general-hospital.toml")).unwrap(),
    )
    .unwrap();
    let items = [
        "wait_time",
        "staff_courtesy",
        "information_clarity",
        "pain_managed",
    ];
    let truth = true_shares(&scenario, "ed-visit-survey", &items);
    let result = analyse(
        &scenario,
        &catalog,
        "ed-visit-survey",
        90,
        ReportSettings::default(),
    );
    assert!(result.n > 2_000, "{}", result.n);
    let rows = compare(&result, &items, &truth);
    for (item, (t, est, _, _)) in items.iter().zip(&rows) {
        // Coarse scales attenuate (pain_managed is yes/no with 75% "yes"),
        // so allow 0.06 of share.
        assert!((t - est).abs() < 0.06, "{item}: true {t} estimated {est}");
    }
}

const SLIDER_CATALOG: &str = r#"
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

#[test]
fn on_continuous_answers_every_true_share_lies_in_its_bootstrap_interval() {
    // top_box 0.1 on the slider puts the latent mean near 0, where the
    // slider (100·Φ(latent)) is close to linear in the latent value.
    let catalog = Catalog::from_toml(SLIDER_CATALOG).unwrap();
    let scenario: toml::Table = latent_truth::SLIDER_SCENARIO.parse().unwrap();
    let items = latent_truth::SLIDER_ITEMS;
    let truth = true_shares(&scenario, "sliders", &items);
    // 99% intervals from 1,000 replicates: five items each inside a 95%
    // interval would hold in only about 4 runs of 5.
    let mut settings = ReportSettings::default();
    settings.drivers.level = 0.99;
    settings.drivers.replicates = 1_000;
    let result = analyse(&scenario, &catalog, "sliders", 30, settings);
    assert!(result.n > 3_000, "{}", result.n);
    assert_eq!(result.method, Method::Shapley);
    for (item, (t, est, low, high)) in items.iter().zip(compare(&result, &items, &truth)) {
        assert!(
            low <= t && t <= high,
            "{item}: true {t} outside [{low}, {high}] around {est}"
        );
        assert!(
            high - low < 0.12,
            "{item}: interval [{low}, {high}] says little"
        );
    }
    let r2 = result.r_squared_interval.unwrap();
    // Φ attenuates correlations a little (sliders are 100·Φ(latent)).
    assert!(r2.high > 0.5 && r2.low < 0.6, "{r2:?}");
}
