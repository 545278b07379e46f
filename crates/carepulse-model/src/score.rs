//! Standard scores over many answers: mergeable tallies, linear mean,
//! top/bottom box, CSAT, CES, NPS with its standard error, FFT % positive and
//! negative, and Wilson score intervals.
//!
//! A [`Tally`] is a handful of counters, so tallies of minutes can be merged
//! into hours, days and rollups without revisiting answers. Shares are
//! percentages (0-100); NPS runs from -100 to +100.

use serde::{Deserialize, Serialize};

use crate::scale::{NpsCategory, Polarity, Response};

/// z for a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Counters from which every standard score can be computed; additive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Every answer, "don't know" included (the FFT denominator).
    pub responses: u64,
    /// Answers with a linear score (all but "don't know").
    pub valid: u64,
    /// Sum of linear scores of the valid answers.
    pub linear_sum: f64,
    /// Answers in the top box.
    pub top_box: u64,
    /// Answers in the bottom box.
    pub bottom_box: u64,
    /// Favourable answers.
    pub positive: u64,
    /// Unfavourable answers.
    pub negative: u64,
    /// FFT "don't know" answers.
    pub dont_know: u64,
    /// 0-10 answers of 9-10.
    pub promoters: u64,
    /// 0-10 answers of 7-8.
    pub passives: u64,
    /// 0-10 answers of 0-6.
    pub detractors: u64,
}

impl Tally {
    /// The tally of a single answer.
    pub fn one(response: &Response) -> Tally {
        let linear = response.linear();
        let polarity = response.polarity();
        let nps = response.nps_category();
        Tally {
            responses: 1,
            valid: u64::from(linear.is_some()),
            linear_sum: linear.unwrap_or(0.0),
            top_box: u64::from(response.is_top_box()),
            bottom_box: u64::from(response.is_bottom_box()),
            positive: u64::from(polarity == Polarity::Positive),
            negative: u64::from(polarity == Polarity::Negative),
            dont_know: u64::from(polarity == Polarity::DontKnow),
            promoters: u64::from(nps == Some(NpsCategory::Promoter)),
            passives: u64::from(nps == Some(NpsCategory::Passive)),
            detractors: u64::from(nps == Some(NpsCategory::Detractor)),
        }
    }

    /// Counts one answer.
    pub fn record(&mut self, response: &Response) {
        self.merge(&Tally::one(response));
    }

    /// Adds another tally (a later minute, another department, ...).
    pub fn merge(&mut self, other: &Tally) {
        self.responses += other.responses;
        self.valid += other.valid;
        self.linear_sum += other.linear_sum;
        self.top_box += other.top_box;
        self.bottom_box += other.bottom_box;
        self.positive += other.positive;
        self.negative += other.negative;
        self.dont_know += other.dont_know;
        self.promoters += other.promoters;
        self.passives += other.passives;
        self.detractors += other.detractors;
    }

    /// Mean of the 0-100 linear scores.
    pub fn linear_mean(&self) -> Option<f64> {
        (self.valid > 0).then(|| self.linear_sum / self.valid as f64)
    }

    /// Top-box share of valid answers, with its Wilson interval.
    pub fn top_box_share(&self) -> Option<Share> {
        Share::of(self.top_box, self.valid)
    }

    /// Bottom-box share of valid answers, with its Wilson interval.
    pub fn bottom_box_share(&self) -> Option<Share> {
        Share::of(self.bottom_box, self.valid)
    }

    /// Share of favourable valid answers: CSAT on a 1-5 scale, % agreeing
    /// on CES, % positive on the smiley kiosk.
    pub fn positive_share(&self) -> Option<Share> {
        Share::of(self.positive, self.valid)
    }

    /// FFT % positive: "don't know" counts in the denominator.
    pub fn fft_positive(&self) -> Option<Share> {
        Share::of(self.positive, self.responses)
    }

    /// FFT % negative: "don't know" counts in the denominator.
    pub fn fft_negative(&self) -> Option<Share> {
        Share::of(self.negative, self.responses)
    }

    /// Net Promoter Score of the 0-10 answers.
    pub fn nps(&self) -> Option<Nps> {
        Nps::from_counts(self.promoters, self.passives, self.detractors)
    }
}

/// A proportion in percent with its 95% Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// Answers counted in the share.
    pub count: u64,
    /// The denominator.
    pub n: u64,
    /// count / n, in percent.
    pub percent: f64,
    /// Lower bound of the 95% Wilson interval, in percent.
    pub low: f64,
    /// Upper bound of the 95% Wilson interval, in percent.
    pub high: f64,
}

impl Share {
    /// `count` of `n`; `None` when `n` is zero.
    pub fn of(count: u64, n: u64) -> Option<Share> {
        let (low, high) = wilson_interval(count, n, Z_95)?;
        Some(Share {
            count,
            n,
            percent: count as f64 * 100.0 / n as f64,
            low: low * 100.0,
            high: high * 100.0,
        })
    }
}

/// Wilson score interval for `successes` out of `n` as fractions (0..1);
/// `None` when `n` is zero. Unlike the normal approximation it stays inside
/// 0..1 and behaves on small samples.
pub fn wilson_interval(successes: u64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Net Promoter Score: % promoters - % detractors, with the standard error of
/// the +1/0/-1 score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Nps {
    /// Answers on the 0-10 scale.
    pub n: u64,
    /// -100..=100.
    pub score: f64,
    /// Standard error of `score`, in NPS points: 100 * sqrt(var / n) with
    /// var = pP + pD - (pP - pD)^2.
    pub standard_error: f64,
}

impl Nps {
    /// From category counts; `None` without answers.
    pub fn from_counts(promoters: u64, passives: u64, detractors: u64) -> Option<Nps> {
        let n = promoters + passives + detractors;
        if n == 0 {
            return None;
        }
        let p_promoters = promoters as f64 / n as f64;
        let p_detractors = detractors as f64 / n as f64;
        let net = p_promoters - p_detractors;
        let variance = (p_promoters + p_detractors - net * net).max(0.0);
        Some(Nps {
            n,
            score: net * 100.0,
            standard_error: (variance / n as f64).sqrt() * 100.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scale::{AnswerValue, Scale};

    fn tally(scale: Scale, answers: &[AnswerValue]) -> Tally {
        let mut t = Tally::default();
        for a in answers {
            t.record(&scale.parse(a).unwrap());
        }
        t
    }

    fn labels(ls: &[(&str, usize)]) -> Vec<AnswerValue> {
        ls.iter()
            .flat_map(|(l, k)| std::iter::repeat_n(AnswerValue::Label((*l).into()), *k))
            .collect()
    }

    fn numbers(ns: &[(u8, usize)]) -> Vec<AnswerValue> {
        ns.iter()
            .flat_map(|(v, k)| std::iter::repeat_n(AnswerValue::Number(f64::from(*v)), *k))
            .collect()
    }

    fn assert_close(actual: f64, expected: f64, what: &str) {
        assert!(
            (actual - expected).abs() < 1e-6,
            "{what}: {actual} != {expected}"
        );
    }

    #[test]
    fn nps_and_its_standard_error_match_the_domain_formula() {
        // 50 promoters, 30 passives, 20 detractors: NPS = 50 - 20 = 30.
        // var = 0.5 + 0.2 - 0.3^2 = 0.61; SE = sqrt(0.61 / 100) = 0.0781025.
        let t = tally(
            Scale::Rating0To10,
            &numbers(&[(10, 25), (9, 25), (8, 30), (3, 20)]),
        );
        let nps = t.nps().unwrap();
        assert_eq!(nps.n, 100);
        assert_close(nps.score, 30.0, "nps");
        assert_close(nps.standard_error, 7.810_249_675_906_654, "se");
    }

    #[test]
    fn nps_of_all_promoters_is_100_with_zero_error() {
        let nps = Nps::from_counts(7, 0, 0).unwrap();
        assert_close(nps.score, 100.0, "nps");
        assert_close(nps.standard_error, 0.0, "se");
        assert_eq!(Nps::from_counts(0, 0, 0), None);
    }

    #[test]
    fn fft_counts_dont_know_in_the_denominator() {
        // 60 very good, 20 good, 5 neither, 5 poor, 5 very poor, 5 don't know:
        // positive = 80 / 100 = 80%, negative = 10 / 100 = 10%.
        let answers = labels(&[
            ("very_good", 60),
            ("good", 20),
            ("neither_good_nor_poor", 5),
            ("poor", 5),
            ("very_poor", 5),
            ("dont_know", 5),
        ]);
        let t = tally(Scale::Fft, &answers);
        assert_close(t.fft_positive().unwrap().percent, 80.0, "fft positive");
        assert_close(t.fft_negative().unwrap().percent, 10.0, "fft negative");
        // Box scores use valid answers only: 60 / 95.
        assert_close(t.top_box_share().unwrap().percent, 6000.0 / 95.0, "top box");
        // Linear mean over the 95 valid answers.
        let mean = (60.0 * 100.0 + 20.0 * 75.0 + 5.0 * 50.0 + 5.0 * 25.0) / 95.0;
        assert_close(t.linear_mean().unwrap(), mean, "mean");
    }

    #[test]
    fn csat_is_the_share_of_fours_and_fives() {
        // 3 fives, 4 fours, 2 threes, 1 one: CSAT = 7 / 10 = 70%.
        let t = tally(Scale::Csat1To5, &numbers(&[(5, 3), (4, 4), (3, 2), (1, 1)]));
        assert_close(t.positive_share().unwrap().percent, 70.0, "csat");
        assert_close(t.top_box_share().unwrap().percent, 30.0, "top box");
        assert_close(t.bottom_box_share().unwrap().percent, 10.0, "bottom box");
        assert_eq!(t.nps(), None);
    }

    #[test]
    fn hcahps_linear_mean_of_frequency_answers() {
        // 2 always, 1 usually, 1 never: (100 + 100 + 66.67 + 0) / 4 = 66.67.
        let t = tally(
            Scale::HcahpsFrequency,
            &labels(&[("always", 2), ("usually", 1), ("never", 1)]),
        );
        assert_close(t.linear_mean().unwrap(), 200.0 / 3.0, "mean");
        assert_close(t.top_box_share().unwrap().percent, 50.0, "top box");
    }

    #[test]
    fn wilson_interval_matches_a_worked_example() {
        // Newcombe (1998), Stat Med 17:857, method 3: 81 of 263 gives
        // 0.2553 to 0.3662.
        let (low, high) = wilson_interval(81, 263, Z_95).unwrap();
        assert_close((low * 10_000.0).round(), 2553.0, "low");
        assert_close((high * 10_000.0).round(), 3662.0, "high");
        // 0 of 10: Wilson 0 to 0.2775 (the normal approximation gives 0 to 0).
        let (low, high) = wilson_interval(0, 10, Z_95).unwrap();
        assert_close(low, 0.0, "low");
        assert_close((high * 10_000.0).round(), 2775.0, "high");
        assert_eq!(wilson_interval(0, 0, Z_95), None);
    }

    #[test]
    fn merged_tallies_equal_one_tally_over_all_answers() {
        let a = numbers(&[(10, 3), (2, 1)]);
        let b = numbers(&[(7, 2), (9, 5)]);
        let mut merged = tally(Scale::Rating0To10, &a);
        merged.merge(&tally(Scale::Rating0To10, &b));
        let all: Vec<AnswerValue> = a.into_iter().chain(b).collect();
        assert_eq!(merged, tally(Scale::Rating0To10, &all));
    }
}
