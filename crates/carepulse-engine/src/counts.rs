//! Compact, additive answer counters: the engine's unit of aggregation.
//!
//! [`Counts`] holds what [`carepulse_model::Tally`] holds in 32-bit counters
//! (one key in one hour never sees four billion answers), so a key's 28 days
//! of hourly slots stay small. Converting to a `Tally` gives every standard
//! score.

use carepulse_model::{Response, Tally};
use serde::{Deserialize, Serialize};

/// Additive counters of answers; see [`Tally`] for their meaning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Sum of the 0-100 linear scores of valid answers.
    pub linear_sum: f64,
    /// Every answer, "don't know" included.
    pub responses: u32,
    /// Answers with a linear score.
    pub valid: u32,
    /// Top-box answers.
    pub top_box: u32,
    /// Bottom-box answers.
    pub bottom_box: u32,
    /// Favourable answers.
    pub positive: u32,
    /// Unfavourable answers.
    pub negative: u32,
    /// "Don't know" answers.
    pub dont_know: u32,
    /// 0-10 answers of 9-10.
    pub promoters: u32,
    /// 0-10 answers of 7-8.
    pub passives: u32,
    /// 0-10 answers of 0-6.
    pub detractors: u32,
}

impl Counts {
    /// Counts one answer.
    pub fn record(&mut self, r: &Response) {
        let one = Tally::one(r);
        self.add(&Counts {
            linear_sum: one.linear_sum,
            responses: 1,
            valid: one.valid as u32,
            top_box: one.top_box as u32,
            bottom_box: one.bottom_box as u32,
            positive: one.positive as u32,
            negative: one.negative as u32,
            dont_know: one.dont_know as u32,
            promoters: one.promoters as u32,
            passives: one.passives as u32,
            detractors: one.detractors as u32,
        });
    }

    /// Adds `other`.
    pub fn add(&mut self, other: &Counts) {
        self.linear_sum += other.linear_sum;
        self.responses += other.responses;
        self.valid += other.valid;
        self.top_box += other.top_box;
        self.bottom_box += other.bottom_box;
        self.positive += other.positive;
        self.negative += other.negative;
        self.dont_know += other.dont_know;
        self.promoters += other.promoters;
        self.passives += other.passives;
        self.detractors += other.detractors;
    }

    /// Removes `other`, which was added before.
    pub fn subtract(&mut self, other: &Counts) {
        self.linear_sum -= other.linear_sum;
        self.responses -= other.responses;
        self.valid -= other.valid;
        self.top_box -= other.top_box;
        self.bottom_box -= other.bottom_box;
        self.positive -= other.positive;
        self.negative -= other.negative;
        self.dont_know -= other.dont_know;
        self.promoters -= other.promoters;
        self.passives -= other.passives;
        self.detractors -= other.detractors;
        if self.valid == 0 {
            // Keep an empty sum exactly zero despite floating-point residue.
            self.linear_sum = 0.0;
        }
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.responses == 0
    }

    /// Whether `other` counts the same answers, as far as can be told: every
    /// count equal, and the sums of linear scores equal up to what adding
    /// them in another order changes (a relative 1e-9). Windows summed
    /// after settled minutes were folded into hours, or from a restored
    /// state, differ from the same answers added before in the last bits.
    pub fn same_answers(&self, other: &Counts) -> bool {
        let tolerance = 1e-9 * self.linear_sum.abs().max(other.linear_sum.abs()).max(1.0);
        Counts {
            linear_sum: 0.0,
            ..*self
        } == Counts {
            linear_sum: 0.0,
            ..*other
        } && (self.linear_sum - other.linear_sum).abs() <= tolerance
    }

    /// The same counts as a model [`Tally`], for the standard scores.
    pub fn tally(&self) -> Tally {
        Tally {
            responses: u64::from(self.responses),
            valid: u64::from(self.valid),
            linear_sum: self.linear_sum,
            top_box: u64::from(self.top_box),
            bottom_box: u64::from(self.bottom_box),
            positive: u64::from(self.positive),
            negative: u64::from(self.negative),
            dont_know: u64::from(self.dont_know),
            promoters: u64::from(self.promoters),
            passives: u64::from(self.passives),
            detractors: u64::from(self.detractors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carepulse_model::{AnswerValue, Scale};

    #[test]
    fn counts_agree_with_the_model_tally_and_subtract_back_to_empty() {
        let answers = [0.0, 6.0, 7.0, 9.0, 10.0, 10.0];
        let mut counts = Counts::default();
        let mut tally = Tally::default();
        for a in answers {
            let r = Scale::Rating0To10.parse(&AnswerValue::Number(a)).unwrap();
            counts.record(&r);
            tally.record(&r);
        }
        assert_eq!(counts.tally(), tally);
        let copy = counts;
        let mut reordered = Counts::default();
        for a in answers.iter().rev() {
            reordered.record(&Scale::Rating0To10.parse(&AnswerValue::Number(*a)).unwrap());
        }
        assert!(counts.same_answers(&reordered));
        let mut one_more = counts;
        one_more.record(&Scale::Rating0To10.parse(&AnswerValue::Number(0.0)).unwrap());
        assert!(!counts.same_answers(&one_more), "a zero still counts");
        let shifted = Counts {
            linear_sum: counts.linear_sum + 1e-6,
            ..counts
        };
        assert!(!counts.same_answers(&shifted));
        counts.subtract(&copy);
        assert!(counts.is_empty());
        assert_eq!(counts, Counts::default());
    }
}
