//! The baseline a drop is measured against: the trailing share of a key,
//! and the share to expect at each hour of the week.
//!
//! A department or a facility mixes touchpoints whose shares differ (a
//! kiosk's top box at 35%, an SMS survey's at 55%), and the mix follows the
//! clock: kiosk presses by day on weekdays, late SMS answers in the evening
//! and at weekends. Compared with the plain baseline share, a weekday
//! morning looks like a drop and a Sunday like a recovery. So each answer
//! is compared with the baseline's share at its hour of the week, shrunk
//! towards the overall share by `prior` answers' worth of weight:
//!
//! ```text
//! expected(slot) = (x_slot + prior · p0) / (n_slot + prior)
//! ```
//!
//! For a key fed by one touchpoint every slot expects about `p0`.

use crate::drop::Score;
use crate::history::{slot_at, Clock, History, Hour, WEEK};

/// A key's baseline over hours `[from, to)`.
#[derive(Debug, Clone)]
pub(crate) struct Baseline {
    /// Answers in the share.
    pub x: u64,
    /// Valid answers.
    pub n: u64,
    /// First hour.
    pub from: Hour,
    /// The hour after the last.
    pub to: Hour,
    /// Hours of `[from, to)` the key was known and not excluded.
    pub hours: u64,
    /// The UTC offset at `to`, for the hours after it.
    offset: i64,
    expected: Box<[f64; WEEK]>,
}

impl Baseline {
    /// The baseline of `score` over the known, not excluded hours of
    /// `[from, to)`.
    pub fn build(
        history: &History,
        score: Score,
        (from, to): (Hour, Hour),
        prior: f64,
        clock: Clock,
    ) -> Baseline {
        let (sums, hours) = history.by_hour_of_week(from, to, clock);
        let per_slot: Vec<(u64, u64)> = sums.iter().map(|c| score.of(*c)).collect();
        let x: u64 = per_slot.iter().map(|(x, _)| x).sum();
        let n: u64 = per_slot.iter().map(|(_, n)| n).sum();
        let p0 = if n == 0 { 0.0 } else { x as f64 / n as f64 };
        let mut expected = Box::new([p0; WEEK]);
        for (slot, (xs, ns)) in per_slot.iter().enumerate() {
            if prior + (*ns as f64) > 0.0 {
                expected[slot] = (*xs as f64 + prior * p0) / (*ns as f64 + prior);
            }
        }
        Baseline {
            x,
            n,
            from,
            to,
            hours: hours.iter().map(|h| u64::from(*h)).sum(),
            offset: clock.offset(to),
            expected,
        }
    }

    /// The overall baseline share (0..1).
    pub fn share(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.x as f64 / self.n as f64
        }
    }

    /// Valid answers per 30 days, from the baseline's known hours.
    pub fn per_30_days(&self) -> f64 {
        self.n as f64 * 720.0 / self.hours.max(1) as f64
    }

    /// The share to expect for answers in `hour` (0..1).
    pub fn expected(&self, hour: Hour) -> f64 {
        self.expected[slot_at(hour, self.offset)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Counts;

    fn answers(n: u32, top: u32) -> Counts {
        Counts {
            responses: n,
            valid: n,
            top_box: top,
            positive: top,
        }
    }

    #[test]
    fn mornings_and_evenings_get_their_own_expected_share() {
        // Two weeks from a Monday: 9 o'clock answers 2 in 10 top box (a
        // kiosk), 20 o'clock answers 6 in 10 (late SMS answers).
        let monday = 20_458 * 24; // 2026-01-05T00:00Z in hours
        let utc = Clock(chrono_tz::Tz::UTC);
        assert_eq!(utc.hour_of_week(monday), 0);
        let mut h = History::new(24 * 15);
        for day in 0..14 {
            h.add(monday + day * 24 + 9, answers(10, 2));
            h.add(monday + day * 24 + 20, answers(10, 6));
        }
        let b = Baseline::build(&h, Score::TopBox, (monday, monday + 14 * 24), 20.0, utc);
        assert_eq!((b.x, b.n), (112, 280));
        assert_eq!(b.hours, 14 * 24 - 9, "known from the first answer");
        assert!((b.per_30_days() - 280.0 * 720.0 / 327.0).abs() < 1e-9);
        assert!((b.share() - 0.4).abs() < 1e-12);
        // Mondays at 9: (2 + 2 + 20 * 0.4) / (20 + 20) = 0.3.
        assert!((b.expected(monday + 9) - 0.3).abs() < 1e-12);
        assert!((b.expected(monday + 20) - 0.5).abs() < 1e-12);
        assert!(
            (b.expected(monday + 3) - 0.4).abs() < 1e-12,
            "no answers: p0"
        );
        let flat = Baseline::build(&h, Score::TopBox, (monday, monday + 14 * 24), 1e12, utc);
        assert!(
            (flat.expected(monday + 9) - 0.4).abs() < 1e-9,
            "a huge prior: no adjustment"
        );
    }
}
