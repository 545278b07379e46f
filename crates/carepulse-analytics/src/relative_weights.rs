//! Johnson's (2000) relative weights: a fast approximation of the Shapley
//! decomposition for item sets too large for 2^p regressions.
//!
//! With the item correlation matrix `Rxx = V diag(λ) V'`, the orthogonal
//! counterparts of the items are `Z = X Rxx^(-1/2)`; the overall score is
//! regressed on them (`β = Rxx^(-1/2) r_xy`, `R² = Σ β_k²`) and each `Z_k`
//! is apportioned back to the items by the squared loadings
//! `Λ = Rxx^(1/2)`: `ε_j = Σ_k Λ_jk² β_k²`. Since `Λ'Λ = Rxx` has a unit
//! diagonal, the weights add up to R². Johnson, J. W. (2000). A heuristic
//! method for estimating the relative weight of predictor variables in
//! multiple regression. Multivariate Behavioral Research, 35(1), 1-19.
//! Eigenvalues that are (numerically) zero, from collinear items, are left
//! out of the inverse square root (a pseudo-inverse), so such items share
//! what they explain together instead of failing.

use crate::eigen::symmetric_eigen;
use crate::importance::Decomposition;
use crate::matrix::Matrix;

/// Eigenvalues below this fraction of the largest count as zero.
const NEGLIGIBLE: f64 = 1e-12;

/// Relative weights of the items (variables 1.. of `corr`) for the overall
/// score (variable 0).
pub fn relative_weights(corr: &Matrix) -> Decomposition {
    let p = corr.dim().saturating_sub(1);
    let items: Vec<usize> = (1..=p).collect();
    let rxx = corr.select(&items);
    let rxy: Vec<f64> = items.iter().map(|&i| corr.get(i, 0)).collect();
    let eigen = symmetric_eigen(&rxx);
    let largest = eigen.values.iter().copied().fold(0.0, f64::max);
    let roots: Vec<f64> = eigen.values.iter().map(|v| v.max(0.0).sqrt()).collect();
    let v = |i: usize, k: usize| eigen.vectors.get(i, k);
    // Λ = V diag(√λ) V'.
    let mut loadings = Matrix::zeros(p);
    for i in 0..p {
        for j in 0..p {
            loadings.set(i, j, (0..p).map(|k| v(i, k) * roots[k] * v(j, k)).sum());
        }
    }
    // β = V diag(1/√λ) V' r_xy, skipping null directions.
    let projected: Vec<f64> = (0..p)
        .map(|k| {
            if eigen.values[k] > NEGLIGIBLE * largest {
                (0..p).map(|j| v(j, k) * rxy[j]).sum::<f64>() / roots[k]
            } else {
                0.0
            }
        })
        .collect();
    let beta: Vec<f64> = (0..p)
        .map(|i| (0..p).map(|k| v(i, k) * projected[k]).sum())
        .collect();
    let importances: Vec<f64> = (0..p)
        .map(|j| {
            (0..p)
                .map(|k| loadings.get(j, k).powi(2) * beta[k].powi(2))
                .sum()
        })
        .collect();
    Decomposition {
        r_squared: beta.iter().map(|b| b * b).sum::<f64>().clamp(0.0, 1.0),
        importances,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapley::lmg;

    #[test]
    fn orthogonal_items_get_their_squared_correlations() {
        // Known analytically: with Rxx = I, Z = X and ε_j = r_jy².
        let corr =
            Matrix::from_rows(&[&[1.0, 0.6, 0.3], &[0.6, 1.0, 0.0], &[0.3, 0.0, 1.0]]).unwrap();
        let d = relative_weights(&corr);
        assert!((d.importances[0] - 0.36).abs() < 1e-12);
        assert!((d.importances[1] - 0.09).abs() < 1e-12);
        assert!((d.r_squared - 0.45).abs() < 1e-12);
    }

    #[test]
    fn two_items_match_the_shapley_values() {
        // For two items Johnson's weights coincide with the Shapley values,
        // whose closed form shapley.rs checks; here against lmg().
        let corr =
            Matrix::from_rows(&[&[1.0, 0.6, 0.3], &[0.6, 1.0, 0.5], &[0.3, 0.5, 1.0]]).unwrap();
        let rw = relative_weights(&corr);
        let exact = lmg(&corr).unwrap();
        assert!((rw.r_squared - exact.r_squared).abs() < 1e-12);
        for (a, b) in rw.importances.iter().zip(&exact.importances) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    #[test]
    fn collinear_items_share_instead_of_failing() {
        let corr =
            Matrix::from_rows(&[&[1.0, 0.5, 0.5], &[0.5, 1.0, 1.0], &[0.5, 1.0, 1.0]]).unwrap();
        let d = relative_weights(&corr);
        assert!((d.r_squared - 0.25).abs() < 1e-9, "{d:?}");
        assert!((d.importances[0] - d.importances[1]).abs() < 1e-9);
    }
}
