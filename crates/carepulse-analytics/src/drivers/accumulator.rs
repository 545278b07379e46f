//! [`DriverAccumulator`]: one pass over a group's responses (sums and
//! cross-products, and the bootstrap reservoir), then the analysis.

use crate::bootstrap::{intervals, Interval, Reservoir};
use crate::importance::{decompose, Method};
use crate::moments::CrossProducts;
use crate::special::r_squared_p_value;

use super::{BootstrapSummary, Driver, DriverAnalysis, DriverResult, DriverSettings, Quadrant};

/// Collects the responses of one group in one pass.
#[derive(Debug, Clone)]
pub struct DriverAccumulator {
    items: Vec<String>,
    moments: CrossProducts,
    reservoir: Reservoir,
    responses: u64,
    row: Vec<f64>,
}

impl DriverAccumulator {
    /// For the given items (in questionnaire order); `seed` makes the
    /// reservoir and the resampling reproducible.
    pub fn new(items: Vec<String>, settings: &DriverSettings, seed: u64) -> DriverAccumulator {
        let dim = items.len() + 1;
        DriverAccumulator {
            moments: CrossProducts::new(dim),
            reservoir: Reservoir::new(dim, settings.reservoir, seed),
            responses: 0,
            row: vec![0.0; dim],
            items,
        }
    }

    /// Records a response: the overall 0-100 score and each item's (None:
    /// unanswered or "don't know"), in the order given to `new`. Returns
    /// whether it was complete and entered the analysis.
    pub fn record(&mut self, overall: Option<f64>, items: &[Option<f64>]) -> bool {
        self.responses += 1;
        let Some(overall) = overall else {
            return false;
        };
        if items.len() != self.items.len() || items.iter().any(Option::is_none) {
            return false;
        }
        self.row[0] = overall;
        for (slot, value) in self.row[1..].iter_mut().zip(items) {
            *slot = value.unwrap_or_default();
        }
        self.moments.record(&self.row);
        self.reservoir.offer(&self.row);
        true
    }

    /// Complete responses so far.
    pub fn complete(&self) -> u64 {
        self.reservoir.seen()
    }

    /// Runs the analysis.
    pub fn finish(&self, settings: &DriverSettings) -> DriverAnalysis {
        let p = self.items.len();
        let n = self.complete();
        let not_reliable = |reason: String| DriverAnalysis::NotReliable {
            responses: self.responses,
            complete: n,
            min_n: settings.min_n,
            reason,
        };
        if n < settings.min_n.max(p as u64 + 2) {
            return not_reliable(format!(
                "{n} complete responses, fewer than the {} needed",
                settings.min_n.max(p as u64 + 2)
            ));
        }
        let correlations = self.moments.correlations();
        if correlations.constant[0] {
            return not_reliable("every overall answer is the same: nothing to explain".into());
        }
        let method = Method::for_items(p, settings.exact_limit);
        let statistic = |cp: &CrossProducts| -> Option<Vec<f64>> {
            let c = cp.correlations();
            if c.constant[0] {
                return None;
            }
            let d = decompose(&c.matrix, method).ok()?;
            let mut out = vec![d.r_squared];
            out.extend(&d.importances);
            out.extend(d.shares());
            Some(out)
        };
        let Some(full) = statistic(&self.moments) else {
            return not_reliable("the importances cannot be computed".into());
        };
        let sample = statistic(&self.reservoir.cross_products()).unwrap_or_else(|| full.clone());
        let replicates = self.reservoir.replicate(
            settings.replicates,
            settings.seed ^ 0x9e37_79b9_7f4a_7c15,
            statistic,
        );
        let bounds: Vec<Option<Interval>> = intervals(
            &full,
            &sample,
            &replicates,
            self.reservoir.scale(),
            settings.level,
        )
        .into_iter()
        .map(|iv| {
            iv.map(|iv| Interval {
                low: iv.low.clamp(0.0, 1.0),
                high: iv.high.clamp(0.0, 1.0),
            })
        })
        .collect();
        let means = self.moments.means();
        let mean_performance = means[1..].iter().sum::<f64>() / p as f64;
        let mut drivers: Vec<Driver> = (0..p)
            .map(|j| {
                let share = full[1 + p + j];
                let important = share * p as f64 >= 1.0 - 1e-9;
                let good = means[1 + j] >= mean_performance;
                Driver {
                    item: self.items[j].clone(),
                    rank: 0,
                    importance: full[1 + j],
                    importance_interval: bounds[1 + j],
                    share,
                    share_interval: bounds[1 + p + j],
                    performance: means[1 + j],
                    quadrant: match (important, good) {
                        (true, false) => Quadrant::FixFirst,
                        (true, true) => Quadrant::KeepUp,
                        (false, false) => Quadrant::Monitor,
                        (false, true) => Quadrant::OverInvested,
                    },
                    constant: correlations.constant[1 + j],
                }
            })
            .collect();
        drivers.sort_by(|a, b| b.importance.total_cmp(&a.importance));
        for (i, d) in drivers.iter_mut().enumerate() {
            d.rank = i + 1;
        }
        DriverAnalysis::Analysed(DriverResult {
            method,
            responses: self.responses,
            n,
            r_squared: full[0],
            r_squared_interval: bounds[0],
            p_value: r_squared_p_value(full[0], n, p),
            overall_mean: means[0],
            bootstrap: BootstrapSummary {
                replicates: replicates.len(),
                resampled: self.reservoir.len(),
                level: settings.level,
            },
            drivers,
        })
    }
}
