//! The answers of one excursion: how many, how many in the share, and how
//! many the baseline expected in it.

use chrono::{DateTime, Utc};

/// Answers counted since `since`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tallied {
    /// When the first of them arrived.
    pub since: DateTime<Utc>,
    /// Answers in the share.
    pub x: u64,
    /// Valid answers.
    pub n: u64,
    /// Answers in the share the baseline expected: `Σ n · p`.
    pub expected: f64,
}

impl Tallied {
    /// Nothing yet, from `since`.
    pub fn new(since: DateTime<Utc>) -> Tallied {
        Tallied {
            since,
            x: 0,
            n: 0,
            expected: 0.0,
        }
    }

    /// With `x` of `n` more answers, of which the baseline expected a
    /// share `p`.
    pub fn plus(self, x: u64, n: u64, p: f64) -> Tallied {
        Tallied {
            x: self.x + x,
            n: self.n + n,
            expected: self.expected + n as f64 * p,
            ..self
        }
    }

    /// The observed share (0..1).
    pub fn share(&self) -> f64 {
        self.x as f64 / self.n.max(1) as f64
    }

    /// The share the baseline expected for these answers (0..1).
    pub fn expected_share(&self) -> f64 {
        self.expected / self.n.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_shares_weigh_each_tick_by_its_answers() {
        let at: DateTime<Utc> = "2026-03-09T10:00:00Z".parse().unwrap();
        let t = Tallied::new(at).plus(1, 10, 0.3).plus(6, 10, 0.5);
        assert_eq!((t.x, t.n), (7, 20));
        assert!((t.share() - 0.35).abs() < 1e-12);
        assert!((t.expected_share() - 0.4).abs() < 1e-12);
        assert_eq!(Tallied::new(at).share(), 0.0);
    }
}
