//! Relative importance of items for the overall score: the decomposition of
//! R² into one share per item, exactly by Shapley values (LMG) when the
//! item count allows, by Johnson's relative weights otherwise.

use serde::Serialize;

use crate::error::AnalyticsError;
use crate::matrix::Matrix;
use crate::{relative_weights, shapley};

/// How importances are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Shapley value decomposition of R² over all 2^p subsets of items
    /// (Lindeman, Merenda & Gold 1980; general dominance, Budescu 1993).
    Shapley,
    /// Johnson's (2000) relative weights: R² of the orthogonal counterparts
    /// of the items, apportioned back to the items; a close and fast
    /// approximation of the Shapley values.
    RelativeWeights,
}

impl Method {
    /// Shapley when `items` is at most `exact_limit`, else relative weights.
    pub fn for_items(items: usize, exact_limit: usize) -> Method {
        if items <= exact_limit.min(shapley::MAX_ITEMS) {
            Method::Shapley
        } else {
            Method::RelativeWeights
        }
    }

    /// Name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Method::Shapley => "shapley (lmg)",
            Method::RelativeWeights => "relative weights",
        }
    }
}

/// R² of the overall score on all items, and its share per item; the
/// importances sum to `r_squared`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decomposition {
    /// R² of the full model.
    pub r_squared: f64,
    /// Importance of each item, in the order of the correlation matrix.
    pub importances: Vec<f64>,
}

impl Decomposition {
    /// Each importance as a share of R² (0..1); zeros when R² is zero.
    pub fn shares(&self) -> Vec<f64> {
        self.importances
            .iter()
            .map(|i| {
                if self.r_squared > 0.0 {
                    i / self.r_squared
                } else {
                    0.0
                }
            })
            .collect()
    }
}

/// Decomposes R² for the correlation matrix `corr` of the overall score
/// (row and column 0) and the items (1..).
pub fn decompose(corr: &Matrix, method: Method) -> Result<Decomposition, AnalyticsError> {
    match method {
        Method::Shapley => shapley::lmg(corr),
        Method::RelativeWeights => Ok(relative_weights::relative_weights(corr)),
    }
}
