//! Question quality of a questionnaire's item set: "are we asking the right
//! questions?"
//!
//! - Cronbach's alpha, `k/(k−1) · (1 − Σσ²ᵢ / σ²_total)` (Cronbach 1951),
//!   and alpha with each item left out;
//! - corrected item-total correlations: each item against the sum of the
//!   *other* items, so an item does not correlate with itself;
//! - item non-response: responses to the questionnaire without a 0-100
//!   score for the item (unanswered or "don't know"), in percent;
//! - ceiling and floor: the item's top-box and bottom-box shares (the
//!   model's box definitions, docs/scales.md).
//!
//! Alpha and item-total correlations use responses that answered every
//! item (listwise; the overall answer does not matter here); the shares and
//! non-response use every response. Flags mark what a quality team should
//! look at, by rules of thumb: a box holding most answers (the item cannot
//! tell good from better), an item-total correlation below 0.3 (Nunnally &
//! Bernstein 1994, Psychometric Theory), high non-response.

use carepulse_model::{Response, Tally};
use serde::Serialize;

use crate::matrix::Matrix;
use crate::moments::CrossProducts;

/// Thresholds of the quality flags; `Default` holds the documented values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QualitySettings {
    /// Fewer item-complete responses: no alpha or item-total correlations.
    pub min_n: u64,
    /// Top-box (or bottom-box) share, in percent, from which an item is
    /// flagged as a ceiling (floor).
    pub box_limit: f64,
    /// Corrected item-total correlation below which an item is flagged.
    pub item_total_limit: f64,
    /// Non-response, in percent, above which an item is flagged.
    pub non_response_limit: f64,
}

impl Default for QualitySettings {
    fn default() -> Self {
        QualitySettings {
            min_n: 30,
            box_limit: 80.0,
            item_total_limit: 0.3,
            non_response_limit: 10.0,
        }
    }
}

/// What may be wrong with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityFlag {
    /// Most answers in the top box.
    Ceiling,
    /// Most answers in the bottom box.
    Floor,
    /// Barely related to the other items.
    LowItemTotal,
    /// Often left unanswered.
    HighNonResponse,
}

impl QualityFlag {
    /// Label for tables.
    pub fn label(self) -> &'static str {
        match self {
            QualityFlag::Ceiling => "ceiling",
            QualityFlag::Floor => "floor",
            QualityFlag::LowItemTotal => "low item-total",
            QualityFlag::HighNonResponse => "high non-response",
        }
    }
}

/// Quality of one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemQuality {
    /// Item id.
    pub item: String,
    /// Answers with a 0-100 score.
    pub answered: u64,
    /// Responses without a score for this item, in percent.
    pub non_response: f64,
    /// Mean 0-100 score.
    pub mean: Option<f64>,
    /// Top-box share of the answers, in percent.
    pub top_box: Option<f64>,
    /// Bottom-box share of the answers, in percent.
    pub bottom_box: Option<f64>,
    /// Corrected item-total correlation.
    pub item_total: Option<f64>,
    /// Cronbach's alpha of the other items.
    pub alpha_if_deleted: Option<f64>,
    /// What to look at.
    pub flags: Vec<QualityFlag>,
}

/// Quality of a questionnaire's items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionnaireQuality {
    /// Responses to the questionnaire.
    pub responses: u64,
    /// Responses that answered every item.
    pub complete: u64,
    /// Cronbach's alpha of all items (two items or more, enough responses).
    pub alpha: Option<f64>,
    /// Why `alpha` is missing, when it is.
    pub note: Option<String>,
    /// Items in questionnaire order.
    pub items: Vec<ItemQuality>,
}

/// Cronbach's alpha from the items' covariance matrix; `None` for fewer
/// than two items or no total variance.
pub fn cronbach_alpha(cov: &Matrix) -> Option<f64> {
    let k = cov.dim() as f64;
    let total = cov.sum();
    (k >= 2.0 && total > 0.0).then(|| k / (k - 1.0) * (1.0 - cov.trace() / total))
}

/// Alpha of the remaining items with each item left out.
pub fn alpha_if_deleted(cov: &Matrix) -> Vec<Option<f64>> {
    let k = cov.dim();
    (0..k)
        .map(|left_out| {
            let rest: Vec<usize> = (0..k).filter(|&i| i != left_out).collect();
            cronbach_alpha(&cov.select(&rest))
        })
        .collect()
}

/// Correlation of each item with the sum of the other items.
pub fn corrected_item_total(cov: &Matrix) -> Vec<Option<f64>> {
    let k = cov.dim();
    let total = cov.sum();
    (0..k)
        .map(|i| {
            let with_all: f64 = (0..k).map(|j| cov.get(i, j)).sum();
            let var_i = cov.get(i, i);
            let covariance = with_all - var_i;
            let var_rest = total - 2.0 * with_all + var_i;
            (k >= 2 && var_i > 0.0 && var_rest > 0.0)
                .then(|| covariance / (var_i * var_rest).sqrt())
        })
        .collect()
}

/// Collects a questionnaire's item answers in one pass.
#[derive(Debug, Clone)]
pub struct QualityAccumulator {
    items: Vec<String>,
    responses: u64,
    tallies: Vec<Tally>,
    moments: CrossProducts,
    row: Vec<f64>,
}

impl QualityAccumulator {
    /// For the given items, in questionnaire order.
    pub fn new(items: Vec<String>) -> QualityAccumulator {
        QualityAccumulator {
            responses: 0,
            tallies: vec![Tally::default(); items.len()],
            moments: CrossProducts::new(items.len()),
            row: vec![0.0; items.len()],
            items,
        }
    }

    /// Records one response's item answers (None: unanswered), in the
    /// order given to `new`.
    pub fn record(&mut self, answers: &[Option<Response>]) {
        self.responses += 1;
        let mut complete = answers.len() == self.items.len();
        for (i, answer) in answers.iter().enumerate().take(self.items.len()) {
            match answer.as_ref().map(|r| (r, r.linear())) {
                Some((response, Some(score))) => {
                    self.tallies[i].record(response);
                    self.row[i] = score;
                }
                Some((response, None)) => {
                    self.tallies[i].record(response);
                    complete = false;
                }
                None => complete = false,
            }
        }
        if complete && !self.items.is_empty() {
            self.moments.record(&self.row);
        }
    }

    /// Computes the quality figures.
    pub fn finish(&self, settings: &QualitySettings) -> QuestionnaireQuality {
        let complete = self.moments.count() as u64;
        let enough = complete >= settings.min_n.max(2);
        let cov = enough.then(|| self.moments.covariance());
        let alpha = cov.as_ref().and_then(cronbach_alpha);
        let deleted = cov.as_ref().map(alpha_if_deleted);
        let item_total = cov.as_ref().map(corrected_item_total);
        let note = if self.items.len() < 2 {
            Some("one item: no internal consistency to measure".to_owned())
        } else if !enough {
            Some(format!(
                "not reliable: {complete} responses answered every item, fewer than {}",
                settings.min_n
            ))
        } else {
            None
        };
        let items = self
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let tally = &self.tallies[i];
                let pick = |v: &Option<Vec<Option<f64>>>| v.as_ref().and_then(|v| v[i]);
                let item_total = pick(&item_total).filter(|_| self.items.len() > 1);
                let mut quality = ItemQuality {
                    item: item.clone(),
                    answered: tally.valid,
                    non_response: if self.responses == 0 {
                        0.0
                    } else {
                        (self.responses - tally.valid) as f64 * 100.0 / self.responses as f64
                    },
                    mean: tally.linear_mean(),
                    top_box: tally.top_box_share().map(|s| s.percent),
                    bottom_box: tally.bottom_box_share().map(|s| s.percent),
                    item_total,
                    alpha_if_deleted: pick(&deleted).filter(|_| self.items.len() > 2),
                    flags: Vec::new(),
                };
                quality.flags = flags(&quality, settings);
                quality
            })
            .collect();
        QuestionnaireQuality {
            responses: self.responses,
            complete,
            alpha,
            note,
            items,
        }
    }
}

fn flags(q: &ItemQuality, settings: &QualitySettings) -> Vec<QualityFlag> {
    let mut flags = Vec::new();
    if q.top_box.is_some_and(|t| t >= settings.box_limit) {
        flags.push(QualityFlag::Ceiling);
    }
    if q.bottom_box.is_some_and(|b| b >= settings.box_limit) {
        flags.push(QualityFlag::Floor);
    }
    if q.item_total.is_some_and(|r| r < settings.item_total_limit) {
        flags.push(QualityFlag::LowItemTotal);
    }
    if q.non_response > settings.non_response_limit {
        flags.push(QualityFlag::HighNonResponse);
    }
    flags
}
