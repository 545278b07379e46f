//! The EWMA control chart (Roberts 1959) with Montgomery's exact,
//! time-varying limits.
//!
//! ```text
//! z_i = λ x_i + (1 - λ) z_{i-1},   z_0 = μ0
//! limits_i = μ0 ± L σ sqrt(λ / (2 - λ) · (1 - (1 - λ)^(2i)))
//! ```
//!
//! A small `λ` (0.05 to 0.25) makes the chart sensitive to small persistent
//! shifts and robust to autocorrelation and non-normal data;
//! [`Ewma::observe_many`] adds `n` observations of equal value at once (the
//! mean of a tick's answers), which is exact for the limits and for the
//! expected path of `z`.

use serde::{Deserialize, Serialize};

/// An EWMA chart for the mean `μ0` of observations with standard deviation
/// `σ`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ewma {
    target: f64,
    sigma: f64,
    lambda: f64,
    width: f64,
    z: f64,
    count: u64,
}

impl Ewma {
    /// A chart with smoothing `λ` (0 < λ <= 1) and limits `L` standard
    /// deviations of `z` wide, starting at `z_0 = μ0`.
    pub fn new(target: f64, sigma: f64, lambda: f64, width: f64) -> Ewma {
        Ewma {
            target,
            sigma,
            lambda,
            width,
            z: target,
            count: 0,
        }
    }

    /// Adds one observation; returns the new `z`.
    pub fn observe(&mut self, x: f64) -> f64 {
        self.observe_many(x, 1)
    }

    /// Adds `n` observations each equal to `mean`; returns the new `z`.
    pub fn observe_many(&mut self, mean: f64, n: u64) -> f64 {
        let keep = (1.0 - self.lambda).powf(n as f64);
        self.z = keep * self.z + (1.0 - keep) * mean;
        self.count += n;
        self.z
    }

    /// The statistic `z_i`.
    pub fn value(&self) -> f64 {
        self.z
    }

    /// Observations so far (`i`).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Moves the centre line (a new baseline) without touching `z`.
    pub fn retarget(&mut self, target: f64, sigma: f64) {
        self.target = target;
        self.sigma = sigma;
    }

    /// The lower and upper control limits after `i` observations.
    pub fn limits(&self) -> (f64, f64) {
        let l = self.lambda;
        let growth = 1.0 - (1.0 - l).powf(2.0 * self.count as f64);
        let half = self.width * self.sigma * (l / (2.0 - l) * growth).sqrt();
        (self.target - half, self.target + half)
    }

    /// `z` is below the lower limit: the mean has moved down.
    pub fn lower_signal(&self) -> bool {
        self.count > 0 && self.z < self.limits().0
    }

    /// `z` is above the upper limit: the mean has moved up.
    pub fn upper_signal(&self) -> bool {
        self.count > 0 && self.z > self.limits().1
    }

    /// Starts again from `z_0 = μ0`.
    pub fn reset(&mut self) {
        self.z = self.target;
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cusum::tests::TABLE_9_1;

    #[test]
    fn montgomery_example_9_2_sample_by_sample() {
        // Montgomery, Introduction to Statistical Quality Control, 6th ed.,
        // section 9.2.1, Example 9.2: the data of Table 9.1 with μ0 = 10,
        // σ = 1, λ = 0.1, L = 2.7. The book works z_1 = 9.945, z_2 = 9.7495
        // and the first limits 9.73 / 10.27 by hand; the other values below
        // were recomputed here with the same two formulas (to four decimals),
        // not copied from the book. The chart first signals at sample 29.
        let expected_z = [
            9.945, 9.7495, 9.7036, 9.8992, 10.1253, 10.1307, 9.9217, 10.0755, 9.9880, 10.0232,
            9.9238, 10.0785, 10.1216, 10.0495, 10.0525, 9.9843, 10.0478, 10.0740, 9.9186, 10.0108,
            10.0997, 10.0227, 10.2495, 10.3745, 10.3971, 10.4654, 10.4568, 10.5731, 10.6468,
            10.6341,
        ];
        let mut chart = Ewma::new(10.0, 1.0, 0.1, 2.7);
        for (i, x) in TABLE_9_1.iter().enumerate() {
            let z = chart.observe(*x);
            let sample = i + 1;
            assert!(
                (z - expected_z[i]).abs() < 0.00006,
                "z at {sample}: {z} != {}",
                expected_z[i]
            );
            assert_eq!(chart.upper_signal(), sample >= 29, "signal at {sample}");
            assert!(!chart.lower_signal());
        }
        // The limits approach the steady state 10 ± 2.7 sqrt(0.1 / 1.9).
        let (low, high) = chart.limits();
        assert!((high - 10.6189).abs() < 0.0001, "{high}");
        assert!((low - 9.3811).abs() < 0.0001, "{low}");
    }

    #[test]
    fn the_first_limits_are_those_worked_in_the_book() {
        let mut chart = Ewma::new(10.0, 1.0, 0.1, 2.7);
        chart.observe(9.45);
        let (low, high) = chart.limits();
        // 2.7 * sqrt(0.1 / 1.9 * (1 - 0.81)) = 2.7 * 0.1 = 0.27.
        assert!((low - 9.73).abs() < 1e-9 && (high - 10.27).abs() < 1e-9);
        chart.observe(7.99);
        assert!((chart.limits().1 - 10.3632).abs() < 0.0001);
    }

    #[test]
    fn many_equal_observations_at_once_equal_one_by_one() {
        let mut one = Ewma::new(0.5, 0.5, 0.05, 3.0);
        let mut many = one;
        for _ in 0..7 {
            one.observe(0.2);
        }
        many.observe_many(0.2, 7);
        assert!((one.value() - many.value()).abs() < 1e-12);
        assert_eq!(one.limits(), many.limits());
        many.reset();
        assert_eq!((many.value(), many.count()), (0.5, 0));
    }
}
