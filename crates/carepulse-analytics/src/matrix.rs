//! Small dense square matrices and the one regression the crate needs: the
//! R² of one variable on a subset of others, from their correlation matrix.
//!
//! Driver analysis never touches response rows here: one pass over the data
//! builds a (p+1)×(p+1) correlation matrix (`moments`), and every R² of
//! every subset of items is read off that matrix. The R² of a subset `S` is
//! `r_S' R_SS⁻¹ r_S`, computed with a Cholesky factorisation of `R_SS` that
//! skips a pivot when a column is (numerically) a combination of earlier
//! ones, so collinear items or an item without variance add nothing instead
//! of failing: the result is the R² of the projection on the span.

use serde::Serialize;

/// Pivots below this fraction of the diagonal count as linearly dependent.
const DEPENDENT: f64 = 1e-10;

/// A square matrix of `f64`, row-major.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matrix {
    dim: usize,
    data: Vec<f64>,
}

impl Matrix {
    /// A `dim`×`dim` matrix of zeros.
    pub fn zeros(dim: usize) -> Matrix {
        Matrix {
            dim,
            data: vec![0.0; dim * dim],
        }
    }

    /// The identity matrix.
    pub fn identity(dim: usize) -> Matrix {
        let mut m = Matrix::zeros(dim);
        for i in 0..dim {
            m.set(i, i, 1.0);
        }
        m
    }

    /// From rows of equal length; `None` when the rows do not form a square.
    pub fn from_rows(rows: &[&[f64]]) -> Option<Matrix> {
        let dim = rows.len();
        if rows.iter().any(|r| r.len() != dim) {
            return None;
        }
        Some(Matrix {
            dim,
            data: rows.iter().flat_map(|r| r.iter().copied()).collect(),
        })
    }

    /// Number of rows (and columns).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The element at row `i`, column `j`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.dim + j]
    }

    /// Sets the element at row `i`, column `j`.
    pub fn set(&mut self, i: usize, j: usize, value: f64) {
        self.data[i * self.dim + j] = value;
    }

    /// The square submatrix of the given rows and columns, in that order.
    pub fn select(&self, indices: &[usize]) -> Matrix {
        let mut m = Matrix::zeros(indices.len());
        for (a, &i) in indices.iter().enumerate() {
            for (b, &j) in indices.iter().enumerate() {
                m.set(a, b, self.get(i, j));
            }
        }
        m
    }

    /// Sum of all elements.
    pub fn sum(&self) -> f64 {
        self.data.iter().sum()
    }

    /// Sum of the diagonal.
    pub fn trace(&self) -> f64 {
        (0..self.dim).map(|i| self.get(i, i)).sum()
    }
}

/// Computes R² of one variable on subsets of the others from a correlation
/// matrix, reusing its scratch space between calls (the Shapley
/// decomposition asks for up to 2^15 of them).
#[derive(Debug, Clone)]
pub struct SubsetRegression {
    lower: Vec<f64>,
    z: Vec<f64>,
    dependent: Vec<bool>,
}

impl SubsetRegression {
    /// Scratch space for subsets of up to `max` predictors.
    pub fn new(max: usize) -> SubsetRegression {
        SubsetRegression {
            lower: vec![0.0; max * max],
            z: vec![0.0; max],
            dependent: vec![false; max],
        }
    }

    /// R² of variable `target` regressed on `predictors` (indices into
    /// `corr`), in 0..=1; 0 for no predictors.
    pub fn r_squared(&mut self, corr: &Matrix, target: usize, predictors: &[usize]) -> f64 {
        let k = predictors.len();
        if self.z.len() < k {
            *self = SubsetRegression::new(k);
        }
        let (lower, z, dependent) = (&mut self.lower, &mut self.z, &mut self.dependent);
        let mut total = 0.0;
        for (a, &i) in predictors.iter().enumerate() {
            // Row a of the Cholesky factor L of R_SS, then z_a of L z = r_S.
            for (b, &j) in predictors.iter().enumerate().take(a + 1) {
                let mut value = corr.get(i, j);
                for c in 0..b {
                    value -= lower[a * k + c] * lower[b * k + c];
                }
                if b < a {
                    lower[a * k + b] = if dependent[b] {
                        0.0
                    } else {
                        value / lower[b * k + b]
                    };
                } else if value <= DEPENDENT * corr.get(i, i).max(f64::MIN_POSITIVE) {
                    dependent[a] = true;
                    lower[a * k + a] = 0.0;
                } else {
                    dependent[a] = false;
                    lower[a * k + a] = value.sqrt();
                }
            }
            if dependent[a] {
                z[a] = 0.0;
                continue;
            }
            let mut value = corr.get(i, target);
            for c in 0..a {
                value -= lower[a * k + c] * z[c];
            }
            z[a] = value / lower[a * k + a];
            total += z[a] * z[a];
        }
        total.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_predictors_add_their_squared_correlations() {
        // Known analytically: with uncorrelated predictors R² = Σ r_iy².
        let corr = Matrix::from_rows(&[
            &[1.0, 0.5, 0.3, 0.1],
            &[0.5, 1.0, 0.0, 0.0],
            &[0.3, 0.0, 1.0, 0.0],
            &[0.1, 0.0, 0.0, 1.0],
        ])
        .unwrap();
        let mut reg = SubsetRegression::new(3);
        let r2 = reg.r_squared(&corr, 0, &[1, 2, 3]);
        assert!((r2 - (0.25 + 0.09 + 0.01)).abs() < 1e-12, "{r2}");
        assert!((reg.r_squared(&corr, 0, &[2]) - 0.09).abs() < 1e-12);
        assert_eq!(reg.r_squared(&corr, 0, &[]), 0.0);
    }

    #[test]
    fn two_predictors_follow_the_closed_form() {
        // R² = (r1² + r2² - 2 r1 r2 r12) / (1 - r12²), any textbook on
        // multiple correlation.
        let (r1, r2, r12) = (0.6, 0.4, 0.3);
        let corr = Matrix::from_rows(&[&[1.0, r1, r2], &[r1, 1.0, r12], &[r2, r12, 1.0]]).unwrap();
        let expected = (r1 * r1 + r2 * r2 - 2.0 * r1 * r2 * r12) / (1.0 - r12 * r12);
        let got = SubsetRegression::new(2).r_squared(&corr, 0, &[1, 2]);
        assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
    }

    #[test]
    fn a_duplicated_predictor_adds_nothing() {
        let corr = Matrix::from_rows(&[
            &[1.0, 0.6, 0.6, 0.4],
            &[0.6, 1.0, 1.0, 0.3],
            &[0.6, 1.0, 1.0, 0.3],
            &[0.4, 0.3, 0.3, 1.0],
        ])
        .unwrap();
        let mut reg = SubsetRegression::new(3);
        let with = reg.r_squared(&corr, 0, &[1, 2, 3]);
        let without = reg.r_squared(&corr, 0, &[1, 3]);
        assert!((with - without).abs() < 1e-9, "{with} vs {without}");
        assert!(with.is_finite() && with > 0.36);
    }

    #[test]
    fn selecting_and_summing() {
        let m = Matrix::from_rows(&[&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0], &[7.0, 8.0, 9.0]]).unwrap();
        let s = m.select(&[2, 0]);
        assert_eq!(s, Matrix::from_rows(&[&[9.0, 7.0], &[3.0, 1.0]]).unwrap());
        assert_eq!(m.sum(), 45.0);
        assert_eq!(m.trace(), 15.0);
        assert_eq!(Matrix::identity(2).trace(), 2.0);
        assert!(Matrix::from_rows(&[&[1.0, 2.0]]).is_none());
    }
}
