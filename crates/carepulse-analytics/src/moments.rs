//! One pass over responses: counts, sums and cross-products of a fixed set
//! of variables, from which means, covariances and correlations follow.
//!
//! Values are 0-100 scores; they are shifted by 50 before summing so that
//! `Σx² − n·x̄²` does not lose digits to cancellation (with 10⁶ rows of
//! scores near 60 the unshifted sums carry about one digit less). Sums add
//! up, so accumulators of days or groups merge without revisiting rows, and
//! a row may carry a weight (bootstrap resampling counts).

use crate::matrix::Matrix;

/// Subtracted from every value before it is summed.
const SHIFT: f64 = 50.0;

/// Sums and cross-products of `dim` variables over complete rows.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossProducts {
    dim: usize,
    weight: f64,
    sums: Vec<f64>,
    /// Upper triangle (j >= i) of Σ (x_i - SHIFT)(x_j - SHIFT), row-major.
    products: Vec<f64>,
}

/// Correlations of the variables, with those that do not vary marked:
/// their correlations are 0 (and their diagonal 1) so they explain nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlations {
    /// The correlation matrix.
    pub matrix: Matrix,
    /// Variables whose variance is zero.
    pub constant: Vec<bool>,
}

impl CrossProducts {
    /// An empty accumulator for rows of `dim` values.
    pub fn new(dim: usize) -> CrossProducts {
        CrossProducts {
            dim,
            weight: 0.0,
            sums: vec![0.0; dim],
            products: vec![0.0; dim * dim],
        }
    }

    /// Number of variables.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Adds a row of `dim` values.
    pub fn record(&mut self, row: &[f64]) {
        self.record_weighted(row, 1.0);
    }

    /// Adds a row counted `weight` times.
    pub fn record_weighted(&mut self, row: &[f64], weight: f64) {
        debug_assert_eq!(row.len(), self.dim);
        self.weight += weight;
        let dim = self.dim;
        for i in 0..dim {
            let xi = (row[i] - SHIFT) * weight;
            self.sums[i] += xi;
            let products = &mut self.products[i * dim..(i + 1) * dim];
            for j in i..dim {
                products[j] += xi * (row[j] - SHIFT);
            }
        }
    }

    /// Adds another accumulator over the same variables.
    pub fn merge(&mut self, other: &CrossProducts) {
        debug_assert_eq!(other.dim, self.dim);
        self.weight += other.weight;
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
        for (a, b) in self.products.iter_mut().zip(&other.products) {
            *a += b;
        }
    }

    /// Rows recorded (sum of weights).
    pub fn count(&self) -> f64 {
        self.weight
    }

    /// Means of the variables; NaN without rows.
    pub fn means(&self) -> Vec<f64> {
        self.sums.iter().map(|s| s / self.weight + SHIFT).collect()
    }

    /// Sample covariance matrix (denominator n − 1).
    pub fn covariance(&self) -> Matrix {
        let dim = self.dim;
        let n = self.weight;
        let mut m = Matrix::zeros(dim);
        for i in 0..dim {
            for j in i..dim {
                let centred = self.products[i * dim + j] - self.sums[i] * self.sums[j] / n;
                let value = centred / (n - 1.0);
                m.set(i, j, value);
                m.set(j, i, value);
            }
        }
        m
    }

    /// Correlation matrix; a variable whose variance is (numerically) zero
    /// gets correlation 0 with every other.
    pub fn correlations(&self) -> Correlations {
        let cov = self.covariance();
        let dim = self.dim;
        let sd: Vec<f64> = (0..dim).map(|i| cov.get(i, i).max(0.0).sqrt()).collect();
        // 1e-9 of a 0-100 score's standard deviation is far below rounding
        // of any scale's steps.
        let constant: Vec<bool> = sd.iter().map(|s| s.is_nan() || *s <= 1e-9).collect();
        let mut matrix = Matrix::identity(dim);
        for i in 0..dim {
            for j in (i + 1)..dim {
                if constant[i] || constant[j] {
                    continue;
                }
                let r = (cov.get(i, j) / (sd[i] * sd[j])).clamp(-1.0, 1.0);
                matrix.set(i, j, r);
                matrix.set(j, i, r);
            }
        }
        Correlations { matrix, constant }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_covariances_and_correlations_match_the_textbook_formulas() {
        let rows = [[1.0, 2.0], [2.0, 4.0], [3.0, 5.0], [4.0, 4.0]];
        let mut cp = CrossProducts::new(2);
        for r in &rows {
            cp.record(r);
        }
        assert_eq!(cp.count(), 4.0);
        let means = cp.means();
        assert!((means[0] - 2.5).abs() < 1e-12 && (means[1] - 3.75).abs() < 1e-12);
        let cov = cp.covariance();
        // Deviations by hand: x −1.5 −0.5 0.5 1.5, y −1.75 0.25 1.25 0.25,
        // so var x = 5/3, var y = 4.75/3, cov = 3.5/3.
        assert!((cov.get(0, 0) - 5.0 / 3.0).abs() < 1e-12);
        assert!((cov.get(1, 1) - 4.75 / 3.0).abs() < 1e-12);
        assert!((cov.get(0, 1) - 3.5 / 3.0).abs() < 1e-12);
        let r = cp.correlations().matrix.get(0, 1);
        assert!((r - 3.5 / (5.0f64 * 4.75).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn weights_and_merging_equal_recording_rows_again() {
        let mut once = CrossProducts::new(3);
        let mut twice = CrossProducts::new(3);
        let mut split = CrossProducts::new(3);
        let mut other = CrossProducts::new(3);
        for (i, r) in [[10.0, 20.0, 90.0], [55.0, 5.0, 70.0], [100.0, 0.0, 75.0]]
            .iter()
            .enumerate()
        {
            once.record_weighted(r, 2.0);
            twice.record(r);
            twice.record(r);
            if i == 0 {
                split.record_weighted(r, 2.0);
            } else {
                other.record_weighted(r, 2.0);
            }
        }
        split.merge(&other);
        for cp in [&twice, &split] {
            assert_eq!(cp.count(), once.count());
            for (a, b) in cp.means().iter().zip(once.means()) {
                assert!((a - b).abs() < 1e-12);
            }
            for i in 0..3 {
                for j in 0..3 {
                    let (a, b) = (cp.covariance().get(i, j), once.covariance().get(i, j));
                    assert!((a - b).abs() < 1e-9, "{a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn a_constant_variable_correlates_with_nothing() {
        let mut cp = CrossProducts::new(2);
        for x in [10.0, 40.0, 70.0] {
            cp.record(&[x, 100.0]);
        }
        let c = cp.correlations();
        assert_eq!(c.constant, vec![false, true]);
        assert_eq!(c.matrix.get(0, 1), 0.0);
        assert_eq!(c.matrix.get(1, 1), 1.0);
    }
}
