//! Page's CUSUM in Montgomery's tabular (algorithmic) form, for small
//! persistent shifts of a mean.
//!
//! ```text
//! C+_i = max(0, x_i - (μ0 + K) + C+_{i-1})     upper side
//! C-_i = max(0, (μ0 - K) - x_i + C-_{i-1})     lower side
//! ```
//!
//! `K` (the reference value or allowance) is usually half the shift to
//! detect and `H` (the decision interval) about five standard deviations;
//! a side signals when its sum exceeds `H`. `N+` and `N-` count the periods
//! since the sum was last zero: the shift is estimated to have started
//! after period `i - N`. [`TabularCusum::observe_many`] adds `n`
//! observations in one step (a tick's answers): the sum moves by their total
//! and is clipped at zero once, at the end of the step.

use serde::{Deserialize, Serialize};

/// Siegmund's approximation of the average run length of a one-sided
/// CUSUM on standardised data whose mean is `k` below the reference line
/// (in control: `ARL0`), for decision interval `h`:
/// `ARL = (exp(2 k b) - 2 k b - 1) / (2 k²)` with `b = h + 1.166`.
pub fn siegmund_arl(k: f64, h: f64) -> f64 {
    let b = h + 1.166;
    if k.abs() < 1e-9 {
        return b * b;
    }
    ((2.0 * k * b).exp() - 2.0 * k * b - 1.0) / (2.0 * k * k)
}

/// The decision interval `h` whose in-control average run length
/// ([`siegmund_arl`]) is `arl` observations, for reference value `k`.
pub fn decision_interval(k: f64, arl: f64) -> f64 {
    let (mut low, mut high) = (0.0, 1.0);
    while siegmund_arl(k, high) < arl && high < 1e6 {
        high *= 2.0;
    }
    for _ in 0..60 {
        let mid = (low + high) / 2.0;
        if siegmund_arl(k, mid) < arl {
            low = mid;
        } else {
            high = mid;
        }
    }
    (low + high) / 2.0
}

/// One side of a tabular CUSUM: the sum and how long it has been positive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CusumSide {
    /// `C+` or `C-`, never negative.
    pub sum: f64,
    /// `N+` or `N-`: consecutive steps with a positive sum.
    pub run: u64,
}

impl CusumSide {
    fn step(&mut self, increment: f64) {
        self.sum = (self.sum + increment).max(0.0);
        self.run = if self.sum > 0.0 { self.run + 1 } else { 0 };
    }
}

/// A two-sided tabular CUSUM with target `μ0`, reference value `K` and
/// decision interval `H`, all in the data's units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TabularCusum {
    target: f64,
    k: f64,
    h: f64,
    /// The upper side, `C+`.
    pub upper: CusumSide,
    /// The lower side, `C-`.
    pub lower: CusumSide,
}

impl TabularCusum {
    /// A CUSUM for target `μ0`, reference value `K` and decision interval
    /// `H` (in standardised form: `μ0 = 0`, `K = k`, `H = h`).
    pub fn new(target: f64, k: f64, h: f64) -> TabularCusum {
        TabularCusum {
            target,
            k,
            h,
            upper: CusumSide::default(),
            lower: CusumSide::default(),
        }
    }

    /// Changes `μ0`, `K` and `H`, keeping the sums (a moving baseline).
    pub fn retune(&mut self, target: f64, k: f64, h: f64) {
        self.target = target;
        self.k = k;
        self.h = h;
    }

    /// Adds one observation.
    pub fn observe(&mut self, x: f64) {
        self.observe_many(x, 1);
    }

    /// Adds `n` observations whose sum is `sum`, as one step.
    pub fn observe_many(&mut self, sum: f64, n: u64) {
        let n = n as f64;
        self.upper.step(sum - n * (self.target + self.k));
        self.lower.step(n * (self.target - self.k) - sum);
    }

    /// The upper sum exceeds `H`: the mean has moved up.
    pub fn upper_signal(&self) -> bool {
        self.upper.sum > self.h
    }

    /// The lower sum exceeds `H`: the mean has moved down.
    pub fn lower_signal(&self) -> bool {
        self.lower.sum > self.h
    }

    /// Both sums back to zero.
    pub fn reset(&mut self) {
        self.upper = CusumSide::default();
        self.lower = CusumSide::default();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Montgomery, Introduction to Statistical Quality Control, 6th ed.
    /// (Wiley, 2009), section 9.1.2, Example 9.1: thirty observations
    /// (Table 9.1), the first twenty from N(10, 1), the last ten after the
    /// mean moved to 11; μ0 = 10, σ = 1, k = 1/2, h = 5, so K = 0.5, H = 5.
    pub(crate) const TABLE_9_1: [f64; 30] = [
        9.45, 7.99, 9.29, 11.66, 12.16, 10.18, 8.04, 11.46, 9.20, 10.34, 9.03, 11.47, 10.51, 9.40,
        10.08, 9.37, 10.62, 10.31, 8.52, 10.84, 10.90, 9.33, 12.29, 11.50, 10.60, 11.08, 10.38,
        11.62, 11.31, 10.52,
    ];

    /// C+_i as tabulated in Table 9.2 (two decimals; cross-checked against
    /// a published reproduction of the table).
    const UPPER: [f64; 30] = [
        0.0, 0.0, 0.0, 1.16, 2.82, 2.50, 0.04, 1.00, 0.0, 0.0, 0.0, 0.97, 0.98, 0.0, 0.0, 0.0,
        0.12, 0.0, 0.0, 0.34, 0.74, 0.0, 1.79, 2.79, 2.89, 3.47, 3.35, 4.47, 5.28, 5.30,
    ];

    /// C-_i with K = 0.5 (two decimals). Table 9.2 has this column too;
    /// these values were worked here by hand with the recursion above, not
    /// copied from the book.
    const LOWER: [f64; 30] = [
        0.05, 1.56, 1.77, 0.0, 0.0, 0.0, 1.46, 0.0, 0.30, 0.0, 0.47, 0.0, 0.0, 0.10, 0.0, 0.13,
        0.0, 0.0, 0.98, 0.0, 0.0, 0.17, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ];

    #[test]
    fn montgomery_example_9_1_sample_by_sample() {
        let mut cusum = TabularCusum::new(10.0, 0.5, 5.0);
        for (i, x) in TABLE_9_1.iter().enumerate() {
            cusum.observe(*x);
            let period = i + 1;
            assert!(
                (cusum.upper.sum - UPPER[i]).abs() < 0.005,
                "C+ at {period}: {} != {}",
                cusum.upper.sum,
                UPPER[i]
            );
            assert!(
                (cusum.lower.sum - LOWER[i]).abs() < 0.005,
                "C- at {period}: {} != {}",
                cusum.lower.sum,
                LOWER[i]
            );
            // The chart first signals at period 29 (C+ = 5.28 > H = 5).
            assert_eq!(cusum.upper_signal(), period >= 29, "signal at {period}");
            assert!(!cusum.lower_signal());
            if period == 29 {
                // N+ = 7: the shift is estimated to have begun after period 22,
                // and the new mean at μ0 + K + C+/N+ = 10 + 0.5 + 5.28/7 = 11.25.
                assert_eq!(cusum.upper.run, 7);
                let mean = 10.0 + 0.5 + cusum.upper.sum / cusum.upper.run as f64;
                assert!((mean - 11.25).abs() < 0.005, "{mean}");
            }
        }
    }

    #[test]
    fn siegmund_approximation_matches_montgomerys_arl_table() {
        // Montgomery (6th ed.), section 9.1.3: k = 1/2, h = 5 gives a
        // one-sided ARL0 of about 938.2, so a two-sided ARL0 of 1 / (2 /
        // 938.2) = 469.1; Table 9.3 (from Hawkins) lists 465 for the
        // two-sided scheme, and 168 for h = 4.
        let one_sided = siegmund_arl(0.5, 5.0);
        assert!((one_sided - 938.2).abs() < 0.5, "{one_sided}");
        assert!((one_sided / 2.0 - 465.0).abs() / 465.0 < 0.01);
        let h4 = siegmund_arl(0.5, 4.0) / 2.0;
        assert!((h4 - 168.0).abs() / 168.0 < 0.03, "{h4}");
        // The inverse gives back h.
        assert!((decision_interval(0.5, one_sided) - 5.0).abs() < 1e-6);
        assert!((decision_interval(0.1, siegmund_arl(0.1, 30.0)) - 30.0).abs() < 1e-6);
        assert!(decision_interval(0.1, 1e6) > decision_interval(0.1, 1e4));
    }

    #[test]
    fn many_observations_in_one_step_move_the_sum_by_their_total() {
        // Periods 23 to 29 of Table 9.1 added as one step from a zero sum:
        // 78.78 - 7 * 10.5 = 5.28, which is C+_29 of Table 9.2 (C+_22 = 0 and
        // the sum stays positive in between, so clipping never applies).
        let mut one_by_one = TabularCusum::new(10.0, 0.5, 5.0);
        let shifted = &TABLE_9_1[22..29];
        shifted.iter().for_each(|x| one_by_one.observe(*x));
        let mut batched = TabularCusum::new(10.0, 0.5, 5.0);
        batched.observe_many(shifted.iter().sum(), shifted.len() as u64);
        assert!(
            (batched.upper.sum - 5.28).abs() < 1e-9,
            "{}",
            batched.upper.sum
        );
        assert!((one_by_one.upper.sum - batched.upper.sum).abs() < 1e-9);
        assert_eq!(batched.upper.run, 1, "one step");
        batched.reset();
        assert_eq!(batched.upper, CusumSide::default());
    }
}
