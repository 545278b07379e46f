//! Tests on counts: the pooled two-proportion z-test of a recent window
//! against its baseline, the standard normal distribution function, and the
//! Poisson distribution function for "fewer answers than usual".

use serde::{Deserialize, Serialize};

/// Standard normal distribution function Φ(x) (Abramowitz and Stegun
/// 26.2.17, absolute error below 7.5e-8).
pub fn normal_cdf(x: f64) -> f64 {
    const P: f64 = 0.231_641_9;
    const B: [f64; 5] = [
        0.319_381_530,
        -0.356_563_782,
        1.781_477_937,
        -1.821_255_978,
        1.330_274_429,
    ];
    let a = x.abs();
    let t = 1.0 / (1.0 + P * a);
    let density = (-a * a / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let polynomial = B.iter().rev().fold(0.0, |acc, b| (acc + b) * t);
    let upper_tail = density * polynomial;
    if x >= 0.0 {
        1.0 - upper_tail
    } else {
        upper_tail
    }
}

/// The result of a pooled two-proportion z-test of sample 1 against
/// sample 2.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TwoProportions {
    /// `x1 / n1`.
    pub p1: f64,
    /// `x2 / n2`.
    pub p2: f64,
    /// The pooled proportion `(x1 + x2) / (n1 + n2)`.
    pub pooled: f64,
    /// `sqrt(p (1 - p) (1/n1 + 1/n2))` with the pooled `p`.
    pub standard_error: f64,
    /// `(p1 - p2) / standard_error`; negative when sample 1 is lower.
    pub z: f64,
}

impl TwoProportions {
    /// The test of `x1` of `n1` against `x2` of `n2`; `None` when a sample
    /// is empty or the pooled proportion is 0 or 1 (no variation to test).
    pub fn test(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<TwoProportions> {
        if n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2 {
            return None;
        }
        let share = |x: u64, n: u64| x as f64 / n as f64;
        TwoProportions::of_shares(share(x1, n1), n1, share(x2, n2), n2)
    }

    /// The same test from shares `p1` of `n1` and `p2` of `n2` (0..1): for
    /// an expected share standing in for sample 2's observed one.
    pub fn of_shares(p1: f64, n1: u64, p2: f64, n2: u64) -> Option<TwoProportions> {
        if n1 == 0 || n2 == 0 || !(0.0..=1.0).contains(&p1) || !(0.0..=1.0).contains(&p2) {
            return None;
        }
        let (f1, f2) = (n1 as f64, n2 as f64);
        let pooled = (p1 * f1 + p2 * f2) / (f1 + f2);
        let standard_error = (pooled * (1.0 - pooled) * (1.0 / f1 + 1.0 / f2)).sqrt();
        (standard_error > 0.0).then(|| TwoProportions {
            p1,
            p2,
            pooled,
            standard_error,
            z: (p1 - p2) / standard_error,
        })
    }

    /// One-sided P-value for "sample 1 is lower": Φ(z).
    pub fn p_lower(&self) -> f64 {
        normal_cdf(self.z)
    }

    /// Two-sided P-value: 2 (1 - Φ(|z|)).
    pub fn p_two_sided(&self) -> f64 {
        2.0 * (1.0 - normal_cdf(self.z.abs()))
    }
}

/// P(X <= k) for X ~ Poisson(mean), summed in log space so that large
/// means do not underflow.
pub fn poisson_cdf(k: u64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 1.0;
    }
    let log_terms = || {
        (0..=k).scan(-mean, move |log_term, i| {
            if i > 0 {
                *log_term += (mean / i as f64).ln();
            }
            Some(*log_term)
        })
    };
    let largest = log_terms().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = log_terms().map(|t| (t - largest).exp()).sum();
    (largest + sum.ln()).exp().min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64, what: &str) {
        assert!(
            (actual - expected).abs() < tolerance,
            "{what}: {actual} != {expected}"
        );
    }

    #[test]
    fn normal_cdf_matches_table_values() {
        close(normal_cdf(0.0), 0.5, 1e-7, "Φ(0)");
        close(normal_cdf(1.959_964), 0.975, 1e-7, "Φ(1.96)");
        close(normal_cdf(-1.644_854), 0.05, 1e-7, "Φ(-1.645)");
        close(normal_cdf(-3.090_232), 0.001, 1e-7, "Φ(-3.09)");
        close(normal_cdf(2.326_348), 0.99, 1e-7, "Φ(2.33)");
    }

    #[test]
    fn montgomery_and_runger_st_johns_wort_example() {
        // Montgomery and Runger, Applied Statistics and Probability for
        // Engineers, section "Inference on two population proportions",
        // the St. John's Wort example (JAMA, 18 April 2001): 27 of 100
        // improved on the extract, 19 of 100 on placebo. Pooled p = 0.23,
        // z0 = 0.08 / sqrt(0.23 * 0.77 * (1/100 + 1/100)) = 1.34, two-sided
        // P-value about 0.18: no evidence at α = 0.05.
        let t = TwoProportions::test(27, 100, 19, 100).unwrap();
        close(t.pooled, 0.23, 1e-12, "pooled");
        close(t.standard_error, 0.059_514_7, 1e-6, "standard error");
        close((t.z * 100.0).round() / 100.0, 1.34, 1e-12, "z0");
        close(t.p_two_sided(), 0.1789, 0.0005, "P-value");
        // Swapped, the same test says the placebo group is lower.
        let swapped = TwoProportions::test(19, 100, 27, 100).unwrap();
        close(swapped.z, -t.z, 1e-12, "swapped z");
        close(swapped.p_lower(), t.p_two_sided() / 2.0, 1e-9, "one-sided");
    }

    #[test]
    fn physicians_health_study_heart_attacks() {
        // Steering Committee of the Physicians' Health Study, NEJM 1989:
        // 189 heart attacks in 11,034 on placebo, 104 in 11,037 on aspirin,
        // a common textbook example of the pooled test: pooled p = 293/22,071
        // = 0.01328, standard error 0.00154, z = 5.0.
        let t = TwoProportions::test(104, 11_037, 189, 11_034).unwrap();
        close(t.pooled, 293.0 / 22_071.0, 1e-12, "pooled");
        close(t.standard_error, 0.001_540_8, 1e-7, "standard error");
        close(t.z, -5.0014, 1e-4, "z");
        assert!(t.p_lower() < 1e-6);
    }

    #[test]
    fn degenerate_samples_cannot_be_tested() {
        assert_eq!(TwoProportions::test(0, 0, 3, 10), None);
        assert_eq!(TwoProportions::test(5, 5, 10, 10), None, "all top box");
        assert_eq!(TwoProportions::test(6, 5, 1, 10), None, "more than n");
    }

    #[test]
    fn poisson_cdf_small_and_large_means() {
        // e^-3 (1 + 3 + 9/2) = 0.42319.
        close(poisson_cdf(2, 3.0), 0.423_190_08, 1e-8, "P(X <= 2; 3)");
        // No answer where ln(1000) are expected: probability 1 / 1000.
        close(poisson_cdf(0, 1000f64.ln()), 0.001, 1e-12, "P(0)");
        // A mean of 1,000 would underflow e^-m; 1,000 or fewer is about half.
        let half = poisson_cdf(1000, 1000.0);
        assert!(half > 0.5 && half < 0.52, "{half}");
        assert!(poisson_cdf(200, 1000.0) < 1e-100);
        assert_eq!(poisson_cdf(4, 0.0), 1.0, "no answers expected");
    }
}
