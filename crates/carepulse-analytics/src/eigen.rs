//! Eigen decomposition of a small symmetric matrix by cyclic Jacobi
//! rotations, for Johnson's relative weights (the symmetric square root of
//! the item correlation matrix).
//!
//! Jacobi is slow for large matrices but exact to rounding, simple and
//! robust on the 2..100-item correlation matrices seen here (Golub & Van
//! Loan, Matrix Computations, 4th ed., section 8.5).

use crate::matrix::Matrix;

/// Off-diagonal mass below which the matrix counts as diagonal.
const CONVERGED: f64 = 1e-24;
/// Sweeps before giving up (convergence is quadratic; 10 are typical).
const MAX_SWEEPS: usize = 100;

/// `A = V diag(values) V'`: eigenvalues, and eigenvectors as the columns
/// of `vectors`.
#[derive(Debug, Clone, PartialEq)]
pub struct SymmetricEigen {
    /// Eigenvalues, in no particular order.
    pub values: Vec<f64>,
    /// Eigenvectors: column `k` belongs to `values[k]`.
    pub vectors: Matrix,
}

fn off_diagonal(a: &Matrix) -> f64 {
    let n = a.dim();
    let mut sum = 0.0;
    for i in 0..n {
        for j in (i + 1)..n {
            sum += a.get(i, j) * a.get(i, j);
        }
    }
    sum
}

/// Decomposes a symmetric matrix (only its symmetry is assumed).
pub fn symmetric_eigen(matrix: &Matrix) -> SymmetricEigen {
    let n = matrix.dim();
    let mut a = matrix.clone();
    let mut v = Matrix::identity(n);
    let scale = a.trace().abs().max(1.0);
    for _ in 0..MAX_SWEEPS {
        if off_diagonal(&a) <= CONVERGED * scale * scale {
            break;
        }
        for p in 0..n {
            for q in (p + 1)..n {
                let apq = a.get(p, q);
                if apq == 0.0 {
                    continue;
                }
                // The rotation that zeroes a[p][q] (Golub & Van Loan 8.5.2).
                let theta = (a.get(q, q) - a.get(p, p)) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a.get(k, p), a.get(k, q));
                    a.set(k, p, c * akp - s * akq);
                    a.set(k, q, s * akp + c * akq);
                }
                for k in 0..n {
                    let (apk, aqk) = (a.get(p, k), a.get(q, k));
                    a.set(p, k, c * apk - s * aqk);
                    a.set(q, k, s * apk + c * aqk);
                }
                for k in 0..n {
                    let (vkp, vkq) = (v.get(k, p), v.get(k, q));
                    v.set(k, p, c * vkp - s * vkq);
                    v.set(k, q, s * vkp + c * vkq);
                }
            }
        }
    }
    SymmetricEigen {
        values: (0..n).map(|i| a.get(i, i)).collect(),
        vectors: v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reconstruct(e: &SymmetricEigen) -> Matrix {
        let n = e.values.len();
        let mut m = Matrix::zeros(n);
        for i in 0..n {
            for j in 0..n {
                let value = (0..n)
                    .map(|k| e.vectors.get(i, k) * e.values[k] * e.vectors.get(j, k))
                    .sum();
                m.set(i, j, value);
            }
        }
        m
    }

    #[test]
    fn a_two_by_two_correlation_matrix_has_eigenvalues_one_plus_and_minus_r() {
        // Known analytically: [[1, r], [r, 1]] has eigenvalues 1 ± r.
        let e = symmetric_eigen(&Matrix::from_rows(&[&[1.0, 0.6], &[0.6, 1.0]]).unwrap());
        let mut values = e.values.clone();
        values.sort_by(f64::total_cmp);
        assert!((values[0] - 0.4).abs() < 1e-12 && (values[1] - 1.6).abs() < 1e-12);
    }

    #[test]
    fn the_decomposition_reconstructs_the_matrix_with_orthonormal_vectors() {
        let m = Matrix::from_rows(&[
            &[4.0, 1.0, -2.0, 2.0],
            &[1.0, 2.0, 0.0, 1.0],
            &[-2.0, 0.0, 3.0, -2.0],
            &[2.0, 1.0, -2.0, -1.0],
        ])
        .unwrap();
        let e = symmetric_eigen(&m);
        let back = reconstruct(&e);
        for i in 0..4 {
            for j in 0..4 {
                assert!((back.get(i, j) - m.get(i, j)).abs() < 1e-10);
                let dot: f64 = (0..4)
                    .map(|k| e.vectors.get(k, i) * e.vectors.get(k, j))
                    .sum();
                assert!((dot - f64::from(u8::from(i == j))).abs() < 1e-10);
            }
        }
        assert!((e.values.iter().sum::<f64>() - m.trace()).abs() < 1e-10);
    }
}
