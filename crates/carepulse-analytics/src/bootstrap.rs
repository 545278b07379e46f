//! Bootstrap intervals that stay affordable at a million responses.
//!
//! Resampling a million rows 200 times costs 200 passes over the data. So
//! during the one pass, a [`Reservoir`] keeps a uniform random sample of at
//! most `capacity` complete responses (Vitter's algorithm R, seeded). The
//! bootstrap resamples that sample; when it holds every response (n at most
//! the capacity, the usual case for one department over 90 days) this is
//! the ordinary percentile bootstrap. When it holds m < n rows, the
//! replicates describe the spread of an estimate from m rows, which for a
//! smooth statistic of the covariance matrix (R², Shapley shares) is
//! √(n/m) times the spread from n rows; the deviations of the replicates
//! from the sample's own estimate are therefore scaled by √(m/n) and
//! placed around the full-data estimate (the m-out-of-n bootstrap, Bickel,
//! Götze & van Zwet 1997, Statistica Sinica 7). The cost is bounded by
//! `replicates × capacity` rows, whatever n is.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::moments::CrossProducts;

/// A uniform random sample of fixed maximum size from a stream of rows.
#[derive(Debug, Clone)]
pub struct Reservoir {
    dim: usize,
    capacity: usize,
    seen: u64,
    rows: Vec<f64>,
    rng: ChaCha8Rng,
}

impl Reservoir {
    /// Keeps at most `capacity` rows of `dim` values; `seed` fixes which.
    pub fn new(dim: usize, capacity: usize, seed: u64) -> Reservoir {
        Reservoir {
            dim,
            capacity: capacity.max(1),
            seen: 0,
            rows: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Offers a row: kept with probability capacity / rows seen.
    pub fn offer(&mut self, row: &[f64]) {
        debug_assert_eq!(row.len(), self.dim);
        self.seen += 1;
        if self.rows.len() < self.capacity * self.dim {
            self.rows.extend_from_slice(row);
            return;
        }
        let slot = self.rng.random_range(0..self.seen);
        if let Ok(slot) = usize::try_from(slot) {
            if slot < self.capacity {
                self.rows[slot * self.dim..(slot + 1) * self.dim].copy_from_slice(row);
            }
        }
    }

    /// Rows offered so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Rows kept.
    pub fn len(&self) -> usize {
        self.rows.len() / self.dim.max(1)
    }

    /// Whether no row was kept.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The kept row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.rows[i * self.dim..(i + 1) * self.dim]
    }

    /// Cross-products of all kept rows.
    pub fn cross_products(&self) -> CrossProducts {
        let mut cp = CrossProducts::new(self.dim);
        for i in 0..self.len() {
            cp.record(self.row(i));
        }
        cp
    }

    /// √(kept / seen): how much narrower the full data's spread is than
    /// the sample's.
    pub fn scale(&self) -> f64 {
        if self.seen == 0 {
            1.0
        } else {
            (self.len() as f64 / self.seen as f64).sqrt()
        }
    }

    /// Evaluates `statistic` on `replicates` resamples (with replacement,
    /// of the kept rows' count); a replicate whose statistic is `None`
    /// (e.g. a degenerate resample) is left out.
    pub fn replicate<F>(&self, replicates: usize, seed: u64, mut statistic: F) -> Vec<Vec<f64>>
    where
        F: FnMut(&CrossProducts) -> Option<Vec<f64>>,
    {
        let m = self.len();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut counts = vec![0u32; m];
        let mut out = Vec::with_capacity(replicates);
        for _ in 0..replicates {
            counts.iter_mut().for_each(|c| *c = 0);
            for _ in 0..m {
                counts[rng.random_range(0..m)] += 1;
            }
            let mut cp = CrossProducts::new(self.dim);
            for (i, &c) in counts.iter().enumerate() {
                if c > 0 {
                    cp.record_weighted(self.row(i), f64::from(c));
                }
            }
            if let Some(values) = statistic(&cp) {
                out.push(values);
            }
        }
        out
    }
}

/// A two-sided interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// Whether `value` lies inside (bounds included).
    pub fn contains(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }
}

/// Quantile `q` (0..1) of sorted values, interpolating linearly between
/// order statistics (R's default, type 7).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - h.floor()) * (sorted[hi] - sorted[lo])
}

/// Percentile intervals at `level` for each component of the replicates:
/// the replicates' deviations from `sample` (the statistic on the kept
/// rows), times `scale`, around `full` (the statistic on all rows).
/// `None` for every component without replicates.
pub fn intervals(
    full: &[f64],
    sample: &[f64],
    replicates: &[Vec<f64>],
    scale: f64,
    level: f64,
) -> Vec<Option<Interval>> {
    let tail = (1.0 - level) / 2.0;
    (0..full.len())
        .map(|k| {
            let mut values: Vec<f64> = replicates.iter().map(|r| r[k]).collect();
            if values.is_empty() {
                return None;
            }
            values.sort_by(f64::total_cmp);
            let low = full[k] + scale * (quantile(&values, tail) - sample[k]);
            let high = full[k] + scale * (quantile(&values, 1.0 - tail) - sample[k]);
            Some(Interval { low, high })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reservoir_keeps_everything_until_full_then_a_uniform_sample() {
        let mut r = Reservoir::new(1, 100, 7);
        for i in 0..50 {
            r.offer(&[f64::from(i)]);
        }
        assert_eq!((r.len(), r.seen(), r.scale()), (50, 50, 1.0));
        for i in 50..100_000 {
            r.offer(&[f64::from(i)]);
        }
        assert_eq!(r.len(), 100);
        // A uniform sample of 0..100000 has a mean near 50000 (sd ≈ 2900).
        let mean = r.cross_products().means()[0];
        assert!((mean - 50_000.0).abs() < 12_000.0, "{mean}");
        assert!((r.scale() - (100.0f64 / 100_000.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn quantiles_interpolate_like_r_type_7() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&sorted, 0.0), 1.0);
        assert_eq!(quantile(&sorted, 0.5), 3.0);
        assert_eq!(quantile(&sorted, 0.1), 1.4);
        assert_eq!(quantile(&sorted, 1.0), 5.0);
    }

    #[test]
    fn the_bootstrap_interval_of_a_mean_is_close_to_the_normal_one() {
        // 400 values 0..99 repeated: mean 49.5, sd 28.9; the 95% interval of
        // the mean is about ±1.96 × 28.9 / 20 = ±2.83.
        let mut r = Reservoir::new(1, 10_000, 1);
        for i in 0..400 {
            r.offer(&[f64::from(i % 100)]);
        }
        let reps = r.replicate(1_000, 3, |cp| Some(cp.means()));
        let full = r.cross_products().means();
        let iv = intervals(&full, &full, &reps, 1.0, 0.95)[0].unwrap();
        assert!((iv.high - iv.low - 2.0 * 2.83).abs() < 0.8, "{iv:?}");
        assert!(iv.contains(49.5));
    }

    #[test]
    fn a_subsample_interval_is_scaled_down_around_the_full_estimate() {
        let reps = vec![vec![9.0], vec![10.0], vec![11.0]];
        let iv = intervals(&[20.0], &[10.0], &reps, 0.5, 1.0)[0].unwrap();
        assert_eq!(
            iv,
            Interval {
                low: 19.5,
                high: 20.5
            }
        );
        assert_eq!(intervals(&[1.0], &[1.0], &[], 1.0, 0.95), vec![None]);
    }
}
