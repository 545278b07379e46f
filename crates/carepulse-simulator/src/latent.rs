//! The latent satisfaction model behind every generated answer.
//!
//! Each answer is a standard-normal latent value mapped onto its scale: the
//! value's normal probability `u = Φ(y)` picks one of the scale's `K`
//! categories in equal slices (`floor(u K)`), or `round(100 u)` on the
//! slider. A latent mean `m` therefore sets the answer distribution; the
//! scenario gives it as the top-box share carepulse will report, and
//! [`mean_for_top_box`] solves `m` from the scale's own top-box definition.
//!
//! For a questionnaire with items (the drivers) one response is drawn as:
//!
//! ```text
//! g       ~ N(0, 1)                              the respondent's general mood
//! d_i     = h g + sqrt(1 - h²) e_i,  e_i ~ N(0,1)  item deviations (halo h)
//! x_i     = q_i + d_i                            item latent, q_i from its top box
//! y       = m + Σ w_i d_i + sqrt(1 - R²) ε       overall latent, ε ~ N(0, 1)
//! ```
//!
//! The weights `w_i` are the scenario's true driver weights scaled so the
//! items explain `R²` of the overall's latent variance (`var(Σ w_i d_i) =
//! R²`, so `y` keeps unit variance and the overall's top box matches). All
//! items share one halo, so their correlations are equal and a relative
//! importance analysis (Shapley R², Johnson's weights) ranks the items as
//! their weights rank; the stream carries the truth in the scenario file.
//!
//! A stage drop of size `δ` lowers the latents of the touchpoints at that
//! stage: all of them by `δ` (overall and items), or, when the incident
//! names items, only those items' `x_i` and `d_i`, so that the overall
//! falls by `w_i δ` through the driver weights, as it would in a hospital.

use carepulse_model::{AnswerValue, Scale};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Share of FFT answers that are "don't know".
const FFT_DONT_KNOW: f64 = 0.02;

/// Standard normal CDF (Numerical Recipes' erfc, relative error < 1.2e-7).
pub(crate) fn normal_cdf(x: f64) -> f64 {
    let z = (x / std::f64::consts::SQRT_2).abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

/// Inverse of [`normal_cdf`] by bisection (used when a scenario is checked).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    let (mut low, mut high) = (-9.0, 9.0);
    for _ in 0..80 {
        let mid = (low + high) / 2.0;
        if normal_cdf(mid) < p {
            low = mid;
        } else {
            high = mid;
        }
    }
    (low + high) / 2.0
}

/// A standard normal draw (Box-Muller).
pub(crate) fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// How answers are written on a scale.
enum Points {
    Integers(u8, u8),
    Labels(&'static [&'static str]),
    Continuous,
}

fn points(scale: Scale) -> Points {
    match scale {
        Scale::Rating0To10 => Points::Integers(0, 10),
        Scale::Csat1To5 => Points::Integers(1, 5),
        Scale::Ces1To7 => Points::Integers(1, 7),
        Scale::Slider0To100 => Points::Continuous,
        Scale::Fft | Scale::Smiley4 | Scale::HcahpsFrequency | Scale::YesNo | Scale::Agreement4 => {
            Points::Labels(scale.labels())
        }
    }
}

/// The answer a latent value `y` gives on `scale`.
pub(crate) fn answer_at(scale: Scale, y: f64) -> AnswerValue {
    let u = normal_cdf(y);
    let slice = |k: usize| ((u * k as f64) as usize).min(k - 1);
    match points(scale) {
        Points::Integers(low, high) => {
            let k = usize::from(high - low) + 1;
            AnswerValue::Number((usize::from(low) + slice(k)) as f64)
        }
        Points::Labels(labels) => AnswerValue::Label(labels[slice(labels.len())].to_owned()),
        Points::Continuous => AnswerValue::Number((u * 100.0).round().clamp(0.0, 100.0)),
    }
}

/// Where the top box starts, as a share `u*` of the unit interval.
fn top_box_threshold(scale: Scale) -> f64 {
    let is_top = |v: AnswerValue| scale.parse(&v).is_ok_and(|r| r.is_top_box());
    match points(scale) {
        Points::Integers(low, high) => {
            let k = f64::from(high - low) + 1.0;
            let first = (low..=high).find(|v| is_top(AnswerValue::Number(f64::from(*v))));
            f64::from(first.unwrap_or(high) - low) / k
        }
        Points::Labels(labels) => {
            let first = (0..labels.len()).find(|i| is_top(AnswerValue::Label(labels[*i].into())));
            first.unwrap_or(labels.len() - 1) as f64 / labels.len() as f64
        }
        Points::Continuous => {
            let first = (0..=100).find(|v| is_top(AnswerValue::Number(f64::from(*v))));
            (f64::from(first.unwrap_or(100)) - 0.5) / 100.0
        }
    }
}

/// The latent mean at which a share `top_box` of answers on `scale` lands
/// in carepulse's top box.
pub(crate) fn mean_for_top_box(scale: Scale, top_box: f64) -> f64 {
    normal_quantile(top_box_threshold(scale)) - normal_quantile(1.0 - top_box)
}

/// A driver item of a questionnaire: its scaled weight and latent mean.
#[derive(Debug, Clone)]
pub(crate) struct Driver {
    pub id: String,
    pub scale: Scale,
    pub weight: f64,
    pub mean: f64,
}

/// The answer model of one questionnaire.
#[derive(Debug, Clone)]
pub(crate) struct AnswerModel {
    pub overall_id: String,
    pub overall_scale: Scale,
    pub drivers: Vec<Driver>,
    pub halo: f64,
    pub noise_sd: f64,
    pub nonresponse: f64,
}

/// A stage drop in force for one response.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Drop<'a> {
    pub size: f64,
    /// The items that got worse; empty: everything did.
    pub items: &'a [String],
}

/// One response: the overall answer and the answered items.
#[derive(Debug, Clone)]
pub(crate) struct Sheet {
    pub overall: AnswerValue,
    pub items: Vec<(String, AnswerValue)>,
}

impl AnswerModel {
    /// Scales raw weights so the drivers explain `r_squared` of the overall.
    pub(crate) fn scale_weights(raw: &[f64], halo: f64, r_squared: f64) -> (Vec<f64>, f64) {
        let sum: f64 = raw.iter().sum();
        let squares: f64 = raw.iter().map(|w| w * w).sum();
        let variance = halo * halo * sum * sum + (1.0 - halo * halo) * squares;
        if variance <= 0.0 {
            return (vec![0.0; raw.len()], 1.0);
        }
        let c = (r_squared / variance).sqrt();
        (
            raw.iter().map(|w| w * c).collect(),
            (1.0 - r_squared).sqrt(),
        )
    }

    fn value(scale: Scale, y: f64, rng: &mut ChaCha8Rng) -> AnswerValue {
        if scale == Scale::Fft && rng.random::<f64>() < FFT_DONT_KNOW {
            return AnswerValue::Label("dont_know".into());
        }
        answer_at(scale, y)
    }

    /// Draws one response around the overall latent mean `mean`.
    pub(crate) fn draw(&self, rng: &mut ChaCha8Rng, mean: f64, drop: Option<Drop<'_>>) -> Sheet {
        let general = standard_normal(rng);
        let spread = (1.0 - self.halo * self.halo).sqrt();
        let everything = drop.filter(|d| d.items.is_empty()).map_or(0.0, |d| d.size);
        let mut driven = 0.0;
        let mut items = Vec::with_capacity(self.drivers.len());
        for driver in &self.drivers {
            let named = drop
                .filter(|d| d.items.contains(&driver.id))
                .map_or(0.0, |d| d.size);
            let deviation = self.halo * general + spread * standard_normal(rng) - named;
            driven += driver.weight * deviation;
            let answered = rng.random::<f64>() >= self.nonresponse;
            let value = Self::value(driver.scale, driver.mean + deviation - everything, rng);
            if answered {
                items.push((driver.id.clone(), value));
            }
        }
        let y = mean - everything + driven + self.noise_sd * standard_normal(rng);
        Sheet {
            overall: Self::value(self.overall_scale, y, rng),
            items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_normal_cdf_and_its_inverse_agree_with_tables() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959964) - 0.975).abs() < 1e-6);
        assert!((normal_quantile(0.975) - 1.959964).abs() < 1e-5);
        assert!((normal_quantile(0.1) + 1.281552).abs() < 1e-5);
    }

    #[test]
    fn the_top_box_share_lands_where_asked_on_every_scale() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for scale in Scale::ALL {
            let mean = mean_for_top_box(scale, 0.6);
            let n = 20_000;
            let top = (0..n)
                .filter(|_| {
                    let v = answer_at(scale, mean + standard_normal(&mut rng));
                    scale.parse(&v).unwrap().is_top_box()
                })
                .count();
            let share = top as f64 / f64::from(n);
            assert!((share - 0.6).abs() < 0.02, "{scale}: {share}");
        }
    }

    #[test]
    fn weights_are_scaled_to_the_explained_variance() {
        let (w, noise) = AnswerModel::scale_weights(&[2.0, 1.0], 0.0, 0.5);
        assert!((w[0] * w[0] + w[1] * w[1] - 0.5).abs() < 1e-12);
        assert!((w[0] / w[1] - 2.0).abs() < 1e-12);
        assert!((noise - 0.5f64.sqrt()).abs() < 1e-12);
    }
}
