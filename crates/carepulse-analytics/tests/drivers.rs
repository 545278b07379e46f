//! The driver accumulator on synthetic responses with a known answer:
//! independent items, where the population Shapley value of item i is its
//! squared correlation with the overall, w_i² / (Σ w_j² + noise²) with
//! equal item spreads.

use carepulse_analytics::drivers::Driver;
use carepulse_analytics::{
    DriverAccumulator, DriverAnalysis, DriverResult, DriverSettings, Method, Quadrant,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const WEIGHTS: [f64; 4] = [0.5, 0.5, 0.1, 0.05];
const MEANS: [f64; 4] = [30.0, 80.0, 40.0, 90.0];
const NOISE: f64 = 0.4;

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// `n` complete responses (and every tenth one partial).
fn accumulate(n: usize, settings: &DriverSettings) -> DriverAccumulator {
    let items = ["wait", "courtesy", "clarity", "parking"]
        .map(String::from)
        .to_vec();
    let mut acc = DriverAccumulator::new(items, settings, 9);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for i in 0..n {
        let z: Vec<f64> = (0..4).map(|_| normal(&mut rng)).collect();
        let overall = 50.0
            + 15.0
                * (WEIGHTS.iter().zip(&z).map(|(w, z)| w * z).sum::<f64>()
                    + NOISE * normal(&mut rng));
        let mut items: Vec<Option<f64>> = MEANS
            .iter()
            .zip(&z)
            .map(|(m, z)| Some(m + 15.0 * z))
            .collect();
        assert!(acc.record(Some(overall), &items));
        if i % 10 == 0 {
            items[2] = None;
            assert!(!acc.record(Some(overall), &items));
        }
    }
    acc
}

fn analysed(acc: &DriverAccumulator, settings: &DriverSettings) -> DriverResult {
    match acc.finish(settings) {
        DriverAnalysis::Analysed(r) => r,
        other => panic!("{other:?}"),
    }
}

fn driver<'a>(r: &'a DriverResult, item: &str) -> &'a Driver {
    r.drivers.iter().find(|d| d.item == item).unwrap()
}

fn true_shares() -> Vec<f64> {
    let total: f64 = WEIGHTS.iter().map(|w| w * w).sum();
    WEIGHTS.iter().map(|w| w * w / total).collect()
}

#[test]
fn shares_ranks_intervals_and_quadrants_come_out_as_constructed() {
    let settings = DriverSettings::default();
    let r = analysed(&accumulate(4_000, &settings), &settings);
    assert_eq!(
        (r.n, r.responses, r.method),
        (4_000, 4_400, Method::Shapley)
    );
    let total: f64 = WEIGHTS.iter().map(|w| w * w).sum();
    assert!(
        (r.r_squared - total / (total + NOISE * NOISE)).abs() < 0.03,
        "{}",
        r.r_squared
    );
    assert!(r.p_value.unwrap() < 1e-12);
    for (item, truth) in ["wait", "courtesy", "clarity", "parking"]
        .iter()
        .zip(true_shares())
    {
        let d = driver(&r, item);
        let iv = d.share_interval.unwrap();
        assert!(iv.contains(truth), "{item}: {truth} not in {iv:?}");
        assert!(d.importance_interval.unwrap().contains(d.importance));
    }
    assert_eq!(driver(&r, "clarity").rank, 3);
    assert_eq!(driver(&r, "parking").rank, 4);
    let shares: f64 = r.drivers.iter().map(|d| d.share).sum();
    assert!((shares - 1.0).abs() < 1e-9);
    // Mean performance 60, average share 1/4.
    assert_eq!(driver(&r, "wait").quadrant, Quadrant::FixFirst);
    assert_eq!(driver(&r, "courtesy").quadrant, Quadrant::KeepUp);
    assert_eq!(driver(&r, "clarity").quadrant, Quadrant::Monitor);
    assert_eq!(driver(&r, "parking").quadrant, Quadrant::OverInvested);
    assert!((driver(&r, "parking").performance - 90.0).abs() < 1.0);
}

#[test]
fn too_few_complete_responses_give_no_numbers() {
    let settings = DriverSettings::default();
    let acc = accumulate(29, &settings);
    match acc.finish(&settings) {
        DriverAnalysis::NotReliable {
            complete,
            responses,
            min_n,
            reason,
        } => {
            assert_eq!((complete, responses, min_n), (29, 32, 30));
            assert!(reason.contains("29 complete responses"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let json = serde_json::to_value(acc.finish(&settings)).unwrap();
    assert_eq!(json["status"], "not_reliable");
    assert!(json.get("drivers").is_none());
}

#[test]
fn an_overall_answer_that_never_changes_explains_nothing() {
    let settings = DriverSettings::default();
    let mut acc = DriverAccumulator::new(vec!["a".into(), "b".into()], &settings, 1);
    for i in 0..50 {
        acc.record(Some(100.0), &[Some(f64::from(i)), Some(f64::from(i % 7))]);
    }
    assert!(
        matches!(acc.finish(&settings), DriverAnalysis::NotReliable { reason, .. } if reason.contains("same"))
    );
}

#[test]
fn past_the_exact_limit_relative_weights_give_nearly_the_same_answer() {
    let exact = DriverSettings::default();
    let approximate = DriverSettings {
        exact_limit: 3,
        ..exact
    };
    let acc = accumulate(2_000, &exact);
    let (e, a) = (analysed(&acc, &exact), analysed(&acc, &approximate));
    assert_eq!(a.method, Method::RelativeWeights);
    assert!((e.r_squared - a.r_squared).abs() < 1e-9);
    for d in &e.drivers {
        assert!((d.share - driver(&a, &d.item).share).abs() < 0.01);
    }
}

#[test]
fn a_capped_bootstrap_keeps_its_cost_and_its_coverage() {
    // 40,000 responses, 2,000 kept: the intervals come from resampling the
    // sample, scaled by √(2000/40000), around the full-data estimate. At
    // 99% so that four items' coverage is not a coin toss.
    let full = DriverSettings {
        level: 0.99,
        replicates: 400,
        ..DriverSettings::default()
    };
    let capped = DriverSettings {
        reservoir: 2_000,
        ..full
    };
    let r = analysed(&accumulate(40_000, &capped), &capped);
    assert_eq!((r.n, r.bootstrap.resampled), (40_000, 2_000));
    let small = analysed(&accumulate(2_000, &full), &full);
    for (item, truth) in ["wait", "courtesy", "clarity", "parking"]
        .iter()
        .zip(true_shares())
    {
        let (big, little) = (
            driver(&r, item).share_interval.unwrap(),
            driver(&small, item).share_interval.unwrap(),
        );
        assert!(big.contains(truth), "{item}: {truth} not in {big:?}");
        let ratio = (big.high - big.low) / (little.high - little.low);
        assert!(
            (0.12..0.4).contains(&ratio),
            "{item}: width ratio {ratio}, about √(1/20) = 0.22 expected"
        );
    }
}
