//! Answer scales: which raw answers each scale accepts, and what an answer means
//! (0-100 linear score, top/bottom box, NPS category, polarity).
//!
//! Every scale maps its answers onto 0..100 in equal steps, as the HCAHPS
//! linear mean does. "Don't know" (FFT only) has no linear score and no box;
//! it counts only in the FFT denominator. The table, with its sources, is in
//! docs/scales.md.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A raw answer as sent by a client: a number for numeric scales, a label
/// (`"always"`, `"very_good"`, `"dont_know"`, ...) for labelled ones.
/// Whole numbers serialise without a fraction (`6`, not `6.0`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AnswerValue {
    /// A numeric answer (0-10 rating, CSAT 1-5, CES 1-7, 0-100 slider).
    Number(f64),
    /// A labelled answer (FFT, smiley, HCAHPS frequency, yes/no, agreement).
    Label(String),
}

impl Serialize for AnswerValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
        match self {
            AnswerValue::Number(n) if n.fract() == 0.0 && n.abs() < EXACT => {
                s.serialize_i64(*n as i64)
            }
            AnswerValue::Number(n) => s.serialize_f64(*n),
            AnswerValue::Label(l) => s.serialize_str(l),
        }
    }
}

/// A borrowed [`AnswerValue`]: what [`Scale::read`] checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AnswerRef<'a> {
    /// A numeric answer.
    Number(f64),
    /// A labelled answer.
    Label(&'a str),
}

impl AnswerValue {
    /// The value, borrowed.
    pub fn as_ref(&self) -> AnswerRef<'_> {
        match self {
            AnswerValue::Number(n) => AnswerRef::Number(*n),
            AnswerValue::Label(l) => AnswerRef::Label(l),
        }
    }
}

impl fmt::Display for AnswerValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerValue::Number(n) => write!(f, "{n}"),
            AnswerValue::Label(l) => write!(f, "'{l}'"),
        }
    }
}

/// The answer scales carepulse understands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// 0-10 rating; also the NPS "how likely are you to recommend" scale.
    #[serde(rename = "rating_0_10")]
    Rating0To10,
    /// Customer satisfaction, 1 (very dissatisfied) to 5 (very satisfied).
    #[serde(rename = "csat_1_5")]
    Csat1To5,
    /// Customer effort (Gartner CES 2.0), 1 (strongly disagree) to 7
    /// (strongly agree) that the organisation "made it easy".
    #[serde(rename = "ces_1_7")]
    Ces1To7,
    /// NHS Friends and Family Test: five points plus "don't know".
    Fft,
    /// Four-button kiosk smiley (HappyOrNot style).
    #[serde(rename = "smiley_4")]
    Smiley4,
    /// HCAHPS frequency: never, sometimes, usually, always.
    HcahpsFrequency,
    /// Yes or no.
    YesNo,
    /// Four-point agreement: strongly disagree to strongly agree.
    #[serde(rename = "agreement_4")]
    Agreement4,
    /// 0-100 slider (visual analogue scale, as portals and EQ-5D use).
    #[serde(rename = "slider_0_100")]
    Slider0To100,
}

/// Where an answer sits relative to "good": the basis of CSAT, FFT %
/// positive, smiley % positive and CES % agreeing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// A favourable answer.
    Positive,
    /// Neither favourable nor unfavourable.
    Neutral,
    /// An unfavourable answer.
    Negative,
    /// FFT "don't know": counted in the FFT denominator only.
    DontKnow,
}

/// Net Promoter category of a 0-10 answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NpsCategory {
    /// 9 or 10.
    Promoter,
    /// 7 or 8.
    Passive,
    /// 0 to 6.
    Detractor,
}

/// Why a raw answer does not fit its scale. The message names the accepted
/// values so an integrator can fix the sender.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{value} is not on the {scale} scale: expected {expected}")]
pub struct ScaleError {
    /// The scale that was asked for.
    pub scale: Scale,
    /// The value that was sent.
    pub value: AnswerValue,
    /// What the scale accepts, in words.
    pub expected: String,
}

const FFT_LABELS: [&str; 5] = [
    "very_poor",
    "poor",
    "neither_good_nor_poor",
    "good",
    "very_good",
];
const FFT_DONT_KNOW: &str = "dont_know";
const SMILEY_LABELS: [&str; 4] = ["very_unhappy", "unhappy", "happy", "very_happy"];
const FREQUENCY_LABELS: [&str; 4] = ["never", "sometimes", "usually", "always"];
const YES_NO_LABELS: [&str; 2] = ["no", "yes"];
const AGREEMENT_LABELS: [&str; 4] = ["strongly_disagree", "disagree", "agree", "strongly_agree"];

/// How a scale's answers are written.
enum Points {
    /// Whole numbers `low..=high`.
    Integers { low: u8, high: u8 },
    /// Labels, most negative first.
    Labels(&'static [&'static str]),
    /// Any number in 0..=100.
    Continuous,
}

impl Scale {
    /// Every scale, for tables and tests.
    pub const ALL: [Scale; 9] = [
        Scale::Rating0To10,
        Scale::Csat1To5,
        Scale::Ces1To7,
        Scale::Fft,
        Scale::Smiley4,
        Scale::HcahpsFrequency,
        Scale::YesNo,
        Scale::Agreement4,
        Scale::Slider0To100,
    ];

    /// The scale's name on the wire (`csat_1_5`, `fft`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Scale::Rating0To10 => "rating_0_10",
            Scale::Csat1To5 => "csat_1_5",
            Scale::Ces1To7 => "ces_1_7",
            Scale::Fft => "fft",
            Scale::Smiley4 => "smiley_4",
            Scale::HcahpsFrequency => "hcahps_frequency",
            Scale::YesNo => "yes_no",
            Scale::Agreement4 => "agreement_4",
            Scale::Slider0To100 => "slider_0_100",
        }
    }

    fn points(self) -> Points {
        match self {
            Scale::Rating0To10 => Points::Integers { low: 0, high: 10 },
            Scale::Csat1To5 => Points::Integers { low: 1, high: 5 },
            Scale::Ces1To7 => Points::Integers { low: 1, high: 7 },
            Scale::Fft => Points::Labels(&FFT_LABELS),
            Scale::Smiley4 => Points::Labels(&SMILEY_LABELS),
            Scale::HcahpsFrequency => Points::Labels(&FREQUENCY_LABELS),
            Scale::YesNo => Points::Labels(&YES_NO_LABELS),
            Scale::Agreement4 => Points::Labels(&AGREEMENT_LABELS),
            Scale::Slider0To100 => Points::Continuous,
        }
    }

    /// The accepted labels of a labelled scale, most negative first
    /// (`dont_know` excluded); empty for numeric scales.
    pub fn labels(self) -> &'static [&'static str] {
        match self.points() {
            Points::Labels(labels) => labels,
            _ => &[],
        }
    }

    /// What the scale accepts, in words, for error messages and docs.
    pub fn expected(self) -> String {
        match self.points() {
            Points::Integers { low, high } => format!("a whole number from {low} to {high}"),
            Points::Continuous => "a number from 0 to 100".to_owned(),
            Points::Labels(labels) => {
                let mut all: Vec<&str> = labels.to_vec();
                if self == Scale::Fft {
                    all.push(FFT_DONT_KNOW);
                }
                format!("one of {}", all.join(", "))
            }
        }
    }

    /// Checks a raw answer against the scale.
    pub fn parse(self, value: &AnswerValue) -> Result<Response, ScaleError> {
        self.read(value.as_ref()).ok_or_else(|| ScaleError {
            scale: self,
            value: value.clone(),
            expected: self.expected(),
        })
    }

    /// Checks a borrowed answer against the scale, without allocating: the
    /// scoring engine's path, where an invalid answer needs no explanation.
    pub fn read(self, value: AnswerRef<'_>) -> Option<Response> {
        let point = match (self.points(), value) {
            (Points::Integers { low, high }, AnswerRef::Number(n))
                if n.fract() == 0.0 && n >= f64::from(low) && n <= f64::from(high) =>
            {
                // The guard keeps n within u8.
                Some(Point::Index(n as u8 - low))
            }
            (Points::Continuous, AnswerRef::Number(n)) if (0.0..=100.0).contains(&n) => {
                Some(Point::Continuous(n))
            }
            (Points::Labels(labels), AnswerRef::Label(l)) => {
                if self == Scale::Fft && l == FFT_DONT_KNOW {
                    Some(Point::DontKnow)
                } else {
                    labels
                        .iter()
                        .position(|candidate| *candidate == l)
                        .map(|i| Point::Index(i as u8))
                }
            }
            _ => None,
        };
        point.map(|point| Response { scale: self, point })
    }

    /// Number of ordered categories (for numeric scales, the number of
    /// whole-number points); `None` for the continuous slider.
    fn categories(self) -> Option<u8> {
        match self.points() {
            Points::Integers { low, high } => Some(high - low + 1),
            Points::Labels(labels) => Some(labels.len() as u8),
            Points::Continuous => None,
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Point {
    /// Position among the scale's ordered categories, 0 = most negative.
    Index(u8),
    /// A slider position, 0..=100.
    Continuous(f64),
    /// FFT "don't know".
    DontKnow,
}

/// An answer known to be valid on its scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Response {
    scale: Scale,
    point: Point,
}

impl Response {
    /// The scale the answer was given on.
    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// The answer on the 0-100 linear scale (equal steps between
    /// categories); `None` for "don't know".
    pub fn linear(&self) -> Option<f64> {
        match self.point {
            Point::DontKnow => None,
            Point::Continuous(v) => Some(v),
            Point::Index(i) => {
                let steps = f64::from(self.scale.categories().unwrap_or(2) - 1);
                Some(f64::from(i) * 100.0 / steps)
            }
        }
    }

    /// Whether the answer is a valid answer for box and mean scores, i.e.
    /// anything but "don't know".
    pub fn is_valid_for_scores(&self) -> bool {
        self.point != Point::DontKnow
    }

    /// In the most positive category (HCAHPS "Always", "9-10", "Yes").
    pub fn is_top_box(&self) -> bool {
        match (self.scale, self.point) {
            (_, Point::DontKnow) => false,
            (Scale::Rating0To10, Point::Index(i)) => i >= 9,
            (Scale::Slider0To100, Point::Continuous(v)) => v >= 90.0,
            (scale, Point::Index(i)) => Some(i + 1) == scale.categories(),
            _ => false,
        }
    }

    /// In the most negative category; HCAHPS conventions where they exist:
    /// "0-6" on 0-10, "Never/Sometimes" on frequency, "Strongly disagree/
    /// Disagree" on agreement.
    pub fn is_bottom_box(&self) -> bool {
        match (self.scale, self.point) {
            (_, Point::DontKnow) => false,
            (Scale::Rating0To10, Point::Index(i)) => i <= 6,
            (Scale::Slider0To100, Point::Continuous(v)) => v <= 60.0,
            (Scale::HcahpsFrequency | Scale::Agreement4, Point::Index(i)) => i <= 1,
            (_, Point::Index(i)) => i == 0,
            _ => false,
        }
    }

    /// NPS category; only answers on the 0-10 scale have one.
    pub fn nps_category(&self) -> Option<NpsCategory> {
        match (self.scale, self.point) {
            (Scale::Rating0To10, Point::Index(i)) => Some(match i {
                9..=10 => NpsCategory::Promoter,
                7..=8 => NpsCategory::Passive,
                _ => NpsCategory::Detractor,
            }),
            _ => None,
        }
    }

    /// Favourable, neutral or unfavourable. CSAT counts 4-5 as positive, FFT
    /// "very good"/"good", the smiley kiosk its two happy buttons, CES 5-7
    /// (agree that it was easy); docs/scales.md has the full table.
    pub fn polarity(&self) -> Polarity {
        use Polarity::{Negative, Neutral, Positive};
        let Point::Index(i) = self.point else {
            return match self.point {
                Point::Continuous(_) if self.is_top_box() => Positive,
                Point::Continuous(_) if self.is_bottom_box() => Negative,
                Point::Continuous(_) => Neutral,
                _ => Polarity::DontKnow,
            };
        };
        let (negative_up_to, positive_from) = match self.scale {
            Scale::Rating0To10 => (6, 9),
            Scale::Csat1To5 => (1, 3),
            Scale::Ces1To7 => (2, 4),
            Scale::Fft => (1, 3),
            Scale::Smiley4 | Scale::Agreement4 => (1, 2),
            Scale::HcahpsFrequency => (1, 3),
            Scale::YesNo => (0, 1),
            Scale::Slider0To100 => unreachable!("slider answers are continuous"),
        };
        if i <= negative_up_to {
            Negative
        } else if i >= positive_from {
            Positive
        } else {
            Neutral
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(scale: Scale, v: f64) -> Response {
        scale.parse(&AnswerValue::Number(v)).unwrap()
    }

    fn label(scale: Scale, l: &str) -> Response {
        scale.parse(&AnswerValue::Label(l.to_owned())).unwrap()
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn rating_0_10_is_value_times_ten_with_hcahps_boxes_and_nps() {
        use NpsCategory::*;
        let expected = [
            (0, Detractor, false, true),
            (6, Detractor, false, true),
            (7, Passive, false, false),
            (8, Passive, false, false),
            (9, Promoter, true, false),
            (10, Promoter, true, false),
        ];
        for (v, nps, top, bottom) in expected {
            let r = num(Scale::Rating0To10, f64::from(v));
            assert!(close(r.linear(), f64::from(v) * 10.0), "linear of {v}");
            assert_eq!(r.nps_category(), Some(nps), "nps of {v}");
            assert_eq!(r.is_top_box(), top, "top box of {v}");
            assert_eq!(r.is_bottom_box(), bottom, "bottom box of {v}");
        }
    }

    #[test]
    fn hcahps_frequency_linear_mean_uses_thirds() {
        let s = Scale::HcahpsFrequency;
        assert!(close(label(s, "never").linear(), 0.0));
        assert!(close(label(s, "sometimes").linear(), 100.0 / 3.0));
        assert!(close(label(s, "usually").linear(), 200.0 / 3.0));
        assert!(close(label(s, "always").linear(), 100.0));
        assert!(label(s, "always").is_top_box());
        assert!(!label(s, "usually").is_top_box());
        assert!(label(s, "never").is_bottom_box());
        assert!(label(s, "sometimes").is_bottom_box());
        assert!(!label(s, "usually").is_bottom_box());
    }

    #[test]
    fn csat_counts_four_and_five_as_positive_and_five_as_top_box() {
        let s = Scale::Csat1To5;
        let polarity: Vec<Polarity> = (1..=5).map(|v| num(s, f64::from(v)).polarity()).collect();
        use Polarity::*;
        assert_eq!(polarity, [Negative, Negative, Neutral, Positive, Positive]);
        assert!(close(num(s, 1.0).linear(), 0.0));
        assert!(close(num(s, 4.0).linear(), 75.0));
        assert!(num(s, 5.0).is_top_box() && !num(s, 4.0).is_top_box());
        assert!(num(s, 1.0).is_bottom_box() && !num(s, 2.0).is_bottom_box());
        assert_eq!(num(s, 5.0).nps_category(), None);
    }

    #[test]
    fn ces_agreement_is_five_to_seven() {
        let s = Scale::Ces1To7;
        use Polarity::*;
        let polarity: Vec<Polarity> = (1..=7).map(|v| num(s, f64::from(v)).polarity()).collect();
        assert_eq!(
            polarity,
            [Negative, Negative, Negative, Neutral, Positive, Positive, Positive]
        );
        assert!(close(num(s, 4.0).linear(), 50.0));
        assert!(close(num(s, 7.0).linear(), 100.0));
    }

    #[test]
    fn fft_dont_know_has_no_score_but_a_polarity_of_its_own() {
        let s = Scale::Fft;
        let dk = label(s, "dont_know");
        assert_eq!(dk.linear(), None);
        assert_eq!(dk.polarity(), Polarity::DontKnow);
        assert!(!dk.is_top_box() && !dk.is_bottom_box() && !dk.is_valid_for_scores());
        assert!(close(label(s, "very_poor").linear(), 0.0));
        assert!(close(label(s, "poor").linear(), 25.0));
        assert!(close(label(s, "neither_good_nor_poor").linear(), 50.0));
        assert!(close(label(s, "good").linear(), 75.0));
        assert!(close(label(s, "very_good").linear(), 100.0));
        assert_eq!(label(s, "good").polarity(), Polarity::Positive);
        assert_eq!(label(s, "very_good").polarity(), Polarity::Positive);
        assert_eq!(
            label(s, "neither_good_nor_poor").polarity(),
            Polarity::Neutral
        );
        assert_eq!(label(s, "poor").polarity(), Polarity::Negative);
        assert_eq!(label(s, "very_poor").polarity(), Polarity::Negative);
    }

    #[test]
    fn smiley_positive_is_the_two_happy_buttons() {
        let s = Scale::Smiley4;
        use Polarity::*;
        let p: Vec<Polarity> = SMILEY_LABELS
            .iter()
            .map(|l| label(s, l).polarity())
            .collect();
        assert_eq!(p, [Negative, Negative, Positive, Positive]);
        assert!(close(label(s, "happy").linear(), 200.0 / 3.0));
        assert!(label(s, "very_happy").is_top_box());
        assert!(label(s, "very_unhappy").is_bottom_box());
        assert!(!label(s, "unhappy").is_bottom_box());
    }

    #[test]
    fn yes_no_and_agreement() {
        assert!(close(label(Scale::YesNo, "yes").linear(), 100.0));
        assert!(label(Scale::YesNo, "yes").is_top_box());
        assert!(label(Scale::YesNo, "no").is_bottom_box());
        let a = Scale::Agreement4;
        assert!(close(label(a, "disagree").linear(), 100.0 / 3.0));
        assert!(label(a, "strongly_agree").is_top_box());
        assert!(!label(a, "agree").is_top_box());
        assert!(label(a, "disagree").is_bottom_box());
        assert_eq!(label(a, "agree").polarity(), Polarity::Positive);
    }

    #[test]
    fn slider_keeps_its_value_and_uses_the_0_10_boxes() {
        let s = Scale::Slider0To100;
        assert!(close(num(s, 72.5).linear(), 72.5));
        assert!(num(s, 90.0).is_top_box() && !num(s, 89.9).is_top_box());
        assert!(num(s, 60.0).is_bottom_box() && !num(s, 60.1).is_bottom_box());
        assert_eq!(num(s, 75.0).polarity(), Polarity::Neutral);
    }

    #[test]
    fn out_of_scale_answers_name_what_is_accepted() {
        let err = Scale::Csat1To5
            .parse(&AnswerValue::Number(7.0))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "7 is not on the csat_1_5 scale: expected a whole number from 1 to 5"
        );
        let err = Scale::Fft
            .parse(&AnswerValue::Label("great".into()))
            .unwrap_err();
        assert!(err.to_string().contains("dont_know"), "{err}");
        for bad in [
            (Scale::Rating0To10, AnswerValue::Number(4.5)),
            (Scale::Rating0To10, AnswerValue::Number(-1.0)),
            (Scale::Rating0To10, AnswerValue::Number(f64::NAN)),
            (Scale::Slider0To100, AnswerValue::Number(100.01)),
            (Scale::Slider0To100, AnswerValue::Label("50".into())),
            (Scale::YesNo, AnswerValue::Number(1.0)),
            (Scale::Smiley4, AnswerValue::Label("dont_know".into())),
        ] {
            assert!(
                bad.0.parse(&bad.1).is_err(),
                "{:?} accepted {:?}",
                bad.0,
                bad.1
            );
        }
    }

    #[test]
    fn every_scale_spans_0_to_100_in_equal_steps() {
        for scale in Scale::ALL {
            let mut values: Vec<AnswerValue> = match scale.points() {
                Points::Integers { low, high } => (low..=high)
                    .map(|v| AnswerValue::Number(v.into()))
                    .collect(),
                Points::Labels(labels) => labels
                    .iter()
                    .map(|l| AnswerValue::Label((*l).to_owned()))
                    .collect(),
                Points::Continuous => vec![AnswerValue::Number(0.0), AnswerValue::Number(100.0)],
            };
            let linear: Vec<f64> = values
                .drain(..)
                .map(|v| scale.parse(&v).unwrap().linear().unwrap())
                .collect();
            assert_eq!(linear.first(), Some(&0.0), "{scale}");
            assert_eq!(linear.last(), Some(&100.0), "{scale}");
            let step = linear[1] - linear[0];
            for pair in linear.windows(2) {
                assert!(
                    (pair[1] - pair[0] - step).abs() < 1e-9,
                    "{scale} steps unequal"
                );
            }
        }
    }

    #[test]
    fn whole_numbers_serialise_without_a_fraction() {
        let values = [
            AnswerValue::Number(6.0),
            AnswerValue::Number(72.5),
            AnswerValue::Label("yes".into()),
        ];
        assert_eq!(serde_json::to_string(&values).unwrap(), r#"[6,72.5,"yes"]"#);
        let back: Vec<AnswerValue> = serde_json::from_str(r#"[6,72.5,"yes"]"#).unwrap();
        assert_eq!(back, values);
    }

    #[test]
    fn scale_names_round_trip_through_serde() {
        for scale in Scale::ALL {
            let json = serde_json::to_string(&scale).unwrap();
            assert_eq!(json, format!("\"{}\"", scale.name()));
            assert_eq!(serde_json::from_str::<Scale>(&json).unwrap(), scale);
        }
    }
}
