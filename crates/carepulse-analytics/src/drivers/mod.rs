//! Key driver analysis of one group of responses (one questionnaire in one
//! department, journey or experience type): which items drive the overall
//! score, how sure that is, and where each item stands.
//!
//! Only complete responses (overall and every item with a 0-100 score)
//! enter the regression, as in `relaimpo`'s default listwise deletion: a
//! partial response would give each subset R² a different population.
//! Partial responses still count in question quality (non-response rates,
//! item scores). Performance is an item's mean over the same complete
//! responses, so importance and performance describe the same people.
//! Quadrants follow importance-performance analysis (Martilla & James
//! 1977, Journal of Marketing 41(1)): an item is important when its share
//! of R² is at least the average share 1/p, and performs well when its mean
//! is at least the mean of the item means.

use serde::Serialize;

use crate::bootstrap::Interval;
use crate::importance::Method;

mod accumulator;

pub use accumulator::DriverAccumulator;

/// Settings of the driver analysis; `Default` holds the documented values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DriverSettings {
    /// Fewer complete responses than this: "not reliable", no numbers.
    pub min_n: u64,
    /// Most items for the exact Shapley decomposition; more use relative
    /// weights.
    pub exact_limit: usize,
    /// Bootstrap replicates.
    pub replicates: usize,
    /// Most complete responses kept for the bootstrap (see `bootstrap`).
    pub reservoir: usize,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Seed of the reservoir and the resampling.
    pub seed: u64,
}

impl Default for DriverSettings {
    fn default() -> Self {
        DriverSettings {
            min_n: 30,
            exact_limit: 15,
            replicates: 200,
            reservoir: 10_000,
            level: 0.95,
            seed: 1,
        }
    }
}

/// Where an item stands in importance-performance analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// Important and below par: fix first.
    FixFirst,
    /// Important and doing well: keep up the good work.
    KeepUp,
    /// Less important and below par: watch, low priority.
    Monitor,
    /// Less important but doing well: possibly over-invested.
    OverInvested,
}

impl Quadrant {
    /// Label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Quadrant::FixFirst => "fix first",
            Quadrant::KeepUp => "keep up",
            Quadrant::Monitor => "monitor",
            Quadrant::OverInvested => "over-invested",
        }
    }
}

/// One item's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Driver {
    /// Item id.
    pub item: String,
    /// 1 for the most important.
    pub rank: usize,
    /// Part of R² attributed to the item.
    pub importance: f64,
    /// Bootstrap interval of `importance`.
    pub importance_interval: Option<Interval>,
    /// `importance / R²` (0..1): "five times as important" is a ratio of
    /// shares.
    pub share: f64,
    /// Bootstrap interval of `share`.
    pub share_interval: Option<Interval>,
    /// Mean 0-100 score of the item over the analysed responses.
    pub performance: f64,
    /// Importance-performance quadrant.
    pub quadrant: Quadrant,
    /// The item did not vary (everyone gave the same answer): it cannot
    /// explain anything.
    pub constant: bool,
}

/// How the intervals were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BootstrapSummary {
    /// Replicates that gave a result.
    pub replicates: usize,
    /// Responses resampled (all of them, or the reservoir sample).
    pub resampled: usize,
    /// Confidence level.
    pub level: f64,
}

/// A driver analysis with enough responses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriverResult {
    /// Shapley (exact) or relative weights.
    pub method: Method,
    /// Responses seen, complete or not.
    pub responses: u64,
    /// Complete responses analysed.
    pub n: u64,
    /// R² of the overall score on all items.
    pub r_squared: f64,
    /// Bootstrap interval of R².
    pub r_squared_interval: Option<Interval>,
    /// F test of R² against zero.
    pub p_value: Option<f64>,
    /// Mean 0-100 overall score of the analysed responses.
    pub overall_mean: f64,
    /// The bootstrap behind the intervals.
    pub bootstrap: BootstrapSummary,
    /// Items, most important first.
    pub drivers: Vec<Driver>,
}

/// The outcome of a driver analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DriverAnalysis {
    /// Too few responses, or nothing to explain: no numbers are given.
    NotReliable {
        /// Responses seen, complete or not.
        responses: u64,
        /// Complete responses.
        complete: u64,
        /// The minimum asked for.
        min_n: u64,
        /// Why.
        reason: String,
    },
    /// The analysis.
    Analysed(DriverResult),
}
