//! Score rows: the standard scores of overall answers per department,
//! journey stage and experience type, from the model's mergeable
//! [`Tally`]. Each key gets a row over every scale (n, 0-100 linear mean,
//! top box: comparable across scales) and a row per scale with the scale's
//! own standard score: NPS on 0-10, CSAT on 1-5, FFT % positive and %
//! negative, CES % agreeing, smiley % positive (docs/scales.md).

use carepulse_model::{Nps, Scale, Share, Tally};
use serde::Serialize;

/// What a row (or a driver group) is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Everything in the window.
    All,
    /// A department id.
    Department,
    /// A journey id.
    Journey,
    /// A journey stage, `journey/stage`.
    Stage,
    /// `patient` or `customer`.
    Experience,
}

impl Dimension {
    /// Name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::All => "all",
            Dimension::Department => "department",
            Dimension::Journey => "journey",
            Dimension::Stage => "stage",
            Dimension::Experience => "experience",
        }
    }
}

/// One row of the scores table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreRow {
    /// What the row is keyed by.
    pub dimension: Dimension,
    /// The key (`ed`, `ed-visit/triage`, `patient`; `all`).
    pub key: String,
    /// The scale of the answers; `None`: every scale, by linear score.
    pub scale: Option<Scale>,
    /// Answers, "don't know" included.
    pub responses: u64,
    /// Answers with a 0-100 score.
    pub n: u64,
    /// Mean 0-100 score.
    pub linear_mean: Option<f64>,
    /// Top-box share with its Wilson interval.
    pub top_box: Option<Share>,
    /// Net Promoter Score (0-10 scale).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<Nps>,
    /// CSAT: % 4-5 (1-5 scale).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat: Option<Share>,
    /// FFT % positive, "don't know" in the denominator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fft_positive: Option<Share>,
    /// FFT % negative, "don't know" in the denominator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fft_negative: Option<Share>,
    /// CES % agreeing (5-7), smiley % positive (two happy buttons).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positive: Option<Share>,
    /// At least the minimum n; below it the row is marked, not hidden.
    pub sufficient: bool,
}

impl ScoreRow {
    /// The row for a tally.
    pub fn new(
        dimension: Dimension,
        key: &str,
        scale: Option<Scale>,
        tally: &Tally,
        min_n: u64,
    ) -> ScoreRow {
        let on = |s: Scale| scale == Some(s);
        ScoreRow {
            dimension,
            key: key.to_owned(),
            scale,
            responses: tally.responses,
            n: tally.valid,
            linear_mean: tally.linear_mean(),
            top_box: tally.top_box_share(),
            nps: if on(Scale::Rating0To10) {
                tally.nps()
            } else {
                None
            },
            csat: if on(Scale::Csat1To5) {
                tally.positive_share()
            } else {
                None
            },
            fft_positive: if on(Scale::Fft) {
                tally.fft_positive()
            } else {
                None
            },
            fft_negative: if on(Scale::Fft) {
                tally.fft_negative()
            } else {
                None
            },
            positive: if on(Scale::Ces1To7) || on(Scale::Smiley4) {
                tally.positive_share()
            } else {
                None
            },
            sufficient: tally.valid >= min_n.max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carepulse_model::AnswerValue;

    fn tally(scale: Scale, values: &[f64]) -> Tally {
        let mut t = Tally::default();
        for v in values {
            t.record(&scale.parse(&AnswerValue::Number(*v)).unwrap());
        }
        t
    }

    #[test]
    fn each_scale_row_carries_its_own_standard_score() {
        // docs/scales.md: 3 fives, 4 fours, 2 threes, 1 one: CSAT 70%.
        let t = tally(Scale::Csat1To5, &[5., 5., 5., 4., 4., 4., 4., 3., 3., 1.]);
        let row = ScoreRow::new(Dimension::Department, "ed", Some(Scale::Csat1To5), &t, 30);
        assert_eq!(row.csat.unwrap().percent, 70.0);
        assert!(row.nps.is_none() && row.fft_positive.is_none());
        assert!(!row.sufficient);
        let t = tally(Scale::Rating0To10, &[10., 9., 7., 3.]);
        let row = ScoreRow::new(Dimension::All, "all", Some(Scale::Rating0To10), &t, 3);
        assert_eq!(row.nps.unwrap().score, 25.0);
        assert!(row.csat.is_none() && row.sufficient);
        let all = ScoreRow::new(Dimension::All, "all", None, &t, 3);
        assert!(all.nps.is_none());
        assert_eq!(all.linear_mean, Some(72.5));
    }
}
