//! Shared by the driver-analysis tests here and tests/analyze_service.rs
//! (which includes this file by path): the true driver shares of a
//! simulator scenario, and a scenario of five 0-100 sliders with known
//! weights, where the answers keep the latent information.

#![allow(dead_code)]

use carepulse_analytics::{decompose, Matrix, Method};

/// The population Shapley shares of the latent model: item deviations d_i
/// with unit variance and pairwise correlation halo², the overall latent
/// y = Σ w_i d_i + noise with unit variance, the scenario's raw weights
/// scaled so the items explain `r_squared` (AnswerModel::scale_weights).
pub fn true_shares(scenario: &toml::Table, questionnaire: &str, items: &[&str]) -> Vec<f64> {
    let q = &scenario["questionnaires"][questionnaire];
    let halo = q["halo"].as_float().unwrap();
    let r_squared = q["r_squared"].as_float().unwrap();
    let raw: Vec<f64> = items
        .iter()
        .map(|i| q["items"][*i]["weight"].as_float().unwrap())
        .collect();
    let h2 = halo * halo;
    let (sum, squares) = (
        raw.iter().sum::<f64>(),
        raw.iter().map(|w| w * w).sum::<f64>(),
    );
    let c = (r_squared / (h2 * sum * sum + (1.0 - h2) * squares)).sqrt();
    let w: Vec<f64> = raw.iter().map(|w| w * c).collect();
    let total: f64 = w.iter().sum();
    let mut corr = Matrix::identity(items.len() + 1);
    for (i, wi) in w.iter().enumerate() {
        // cov(y, d_i) = w_i + halo² Σ_{j≠i} w_j.
        let r = wi + h2 * (total - wi);
        corr.set(0, i + 1, r);
        corr.set(i + 1, 0, r);
        for j in (0..w.len()).filter(|&j| j != i) {
            corr.set(i + 1, j + 1, h2);
        }
    }
    let d = decompose(&corr, Method::Shapley).unwrap();
    assert!((d.r_squared - r_squared).abs() < 1e-9, "{d:?}");
    d.shares()
}

/// The items of [`SLIDER_SCENARIO`]'s questionnaire, in weight order.
pub const SLIDER_ITEMS: [&str; 5] = ["a", "b", "c", "d", "e"];

/// A clinic whose one survey (`sliders`) asks five 0-100 sliders, with
/// weights 0.4, 0.25, 0.2, 0.1 and 0.05.
pub const SLIDER_SCENARIO: &str = r#"
name = "sliders"
catalog = "catalog.toml"
[[journeys]]
journey = "visit"
visits_per_day = 120
[[touchpoints]]
touchpoint = "survey"
asked = 1
channels = { portal = 1 }
top_box = 0.1
[channels.portal]
answer_rate = 1
[questionnaires.sliders]
r_squared = 0.6
halo = 0.4
items.a = { weight = 0.4, top_box = 0.1 }
items.b = { weight = 0.25, top_box = 0.1 }
items.c = { weight = 0.2, top_box = 0.1 }
items.d = { weight = 0.1, top_box = 0.1 }
items.e = { weight = 0.05, top_box = 0.1 }
"#;
