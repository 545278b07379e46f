//! A key's recent past in hourly buckets: the bounded memory the detectors
//! compute baselines, recent windows and usual volumes from.
//!
//! Buckets hold running totals (wrapping `u32` arithmetic), so the sum of
//! any window is one subtraction however long the window is; a window's
//! true sum must stay below 2^32 answers, which any hospital does. Memory is
//! 16 bytes an hour: the default 49 days are 18.4 KiB per key. Hours can be
//! left out of sums (a silence or collapse), so an outage does not become
//! the usual volume the next hours are compared with.

use std::collections::VecDeque;

use carepulse_model::Tally;
use chrono::{DateTime, Offset, Utc};
use chrono_tz::Tz;

/// An hour since the Unix epoch.
pub type Hour = i64;

/// The hour `at` falls in.
pub fn hour_of(at: DateTime<Utc>) -> Hour {
    at.timestamp().div_euclid(3600)
}

/// The start of `hour`.
pub fn hour_start(hour: Hour) -> DateTime<Utc> {
    DateTime::from_timestamp(hour * 3600, 0).unwrap_or_default()
}

/// Hours in a week: the slots of usual volumes and shares.
pub const WEEK: usize = 168;

/// Local hours of the week in one time zone, so that opening hours stay
/// in their slots when the clocks change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock(pub Tz);

/// The slot of UTC `hour` at a UTC offset of `offset` seconds, Monday
/// 00:00 first (the epoch was a Thursday, 72 hours into its week).
pub fn slot_at(hour: Hour, offset: i64) -> usize {
    ((hour * 3600 + offset).div_euclid(3600) + 72).rem_euclid(WEEK as Hour) as usize
}

impl Clock {
    /// The UTC offset at `hour`, in seconds.
    pub fn offset(self, hour: Hour) -> i64 {
        let local = hour_start(hour).with_timezone(&self.0);
        i64::from(local.offset().fix().local_minus_utc())
    }

    /// The local hour-of-week slot of the UTC hour `hour`.
    pub fn hour_of_week(self, hour: Hour) -> usize {
        slot_at(hour, self.offset(hour))
    }

    /// The slots of hours `[from, to)`, looking the offset up once a day
    /// (a change of the clocks moves the slots from the next midnight UTC).
    pub fn slots(self, from: Hour, to: Hour) -> impl Iterator<Item = (Hour, usize)> {
        let mut offset = self.offset(from);
        (from..to).map(move |h| {
            if h != from && h.rem_euclid(24) == 0 {
                offset = self.offset(h);
            }
            (h, slot_at(h, offset))
        })
    }
}

/// Counts of answers, the part of a [`Tally`] the detectors need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Every answer, "don't know" included: the volume.
    pub responses: u32,
    /// Answers with a linear score: the denominator of the shares.
    pub valid: u32,
    /// Answers in the top box.
    pub top_box: u32,
    /// Favourable answers.
    pub positive: u32,
}

impl Counts {
    /// The counts of a tally (saturating at `u32::MAX`).
    pub fn of(tally: &Tally) -> Counts {
        let c = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        Counts {
            responses: c(tally.responses),
            valid: c(tally.valid),
            top_box: c(tally.top_box),
            positive: c(tally.positive),
        }
    }

    fn zip(self, other: Counts, f: fn(u32, u32) -> u32) -> Counts {
        Counts {
            responses: f(self.responses, other.responses),
            valid: f(self.valid, other.valid),
            top_box: f(self.top_box, other.top_box),
            positive: f(self.positive, other.positive),
        }
    }

    fn plus(self, other: Counts) -> Counts {
        self.zip(other, u32::wrapping_add)
    }

    fn minus(self, other: Counts) -> Counts {
        self.zip(other, u32::wrapping_sub)
    }
}

/// Hourly running totals of one key over a bounded span.
#[derive(Debug, Clone)]
pub struct History {
    capacity: usize,
    /// The hour of `totals[0]`.
    first: Hour,
    /// Running total through each hour (inclusive).
    totals: VecDeque<Counts>,
    /// Running total before `first`.
    before: Counts,
    /// When the key was first seen: hours before it are unknown, not quiet.
    since: Option<Hour>,
    /// Hours left out of sums, `[from, to)`, sorted and disjoint.
    excluded: Vec<(Hour, Hour)>,
}

impl History {
    /// A history keeping the last `hours` hours.
    pub fn new(hours: usize) -> History {
        History {
            capacity: hours.max(1),
            first: 0,
            totals: VecDeque::new(),
            before: Counts::default(),
            since: None,
            excluded: Vec::new(),
        }
    }

    /// The newest hour held, if any.
    pub fn last(&self) -> Option<Hour> {
        (!self.totals.is_empty()).then(|| self.first + self.totals.len() as Hour - 1)
    }

    /// The first hour the key was seen (or the oldest hour still held).
    pub fn known_since(&self) -> Option<Hour> {
        self.since.map(|s| s.max(self.first))
    }

    /// Extends the buckets up to `hour` (empty hours count zero) and drops
    /// hours older than the capacity.
    pub fn advance(&mut self, hour: Hour) {
        let Some(last) = self.last() else {
            self.first = hour;
            self.totals.push_back(self.before);
            return;
        };
        if hour <= last {
            return;
        }
        let total = self.totals[self.totals.len() - 1];
        if (hour - last) as usize >= self.capacity {
            self.totals.clear();
            self.before = total;
            self.first = hour;
            self.totals.push_back(total);
        } else {
            (last..hour).for_each(|_| self.totals.push_back(total));
        }
        while self.totals.len() > self.capacity {
            self.before = self.totals.pop_front().unwrap_or(self.before);
            self.first += 1;
        }
        self.excluded.retain(|(_, to)| *to > self.first);
    }

    /// Counts `counts` in `hour`; hours older than the buckets are dropped.
    pub fn add(&mut self, hour: Hour, counts: Counts) {
        self.since = Some(self.since.map_or(hour, |s| s.min(hour)));
        self.advance(hour);
        if hour < self.first {
            return;
        }
        let index = (hour - self.first) as usize;
        for total in self.totals.iter_mut().skip(index) {
            *total = total.plus(counts);
        }
    }

    fn through(&self, hour: Hour) -> Counts {
        match self.last() {
            _ if hour < self.first => self.before,
            Some(last) if hour >= last => self.totals[self.totals.len() - 1],
            Some(_) => self.totals[(hour - self.first) as usize],
            None => self.before,
        }
    }

    /// Everything counted in hours `[from, to)`, excluded hours included.
    pub fn sum_all(&self, from: Hour, to: Hour) -> Counts {
        if to <= from {
            return Counts::default();
        }
        self.through(to - 1).minus(self.through(from - 1))
    }

    /// Counts in hours `[from, to)` outside the excluded hours.
    pub fn sum(&self, from: Hour, to: Hour) -> Counts {
        self.excluded
            .iter()
            .fold(self.sum_all(from, to), |total, (a, b)| {
                total.minus(self.sum_all(from.max(*a), to.min(*b)))
            })
    }

    /// Counts per local hour of the week over the known, not excluded
    /// hours of `[from, to)`, with how many hours each slot saw.
    pub fn by_hour_of_week(
        &self,
        from: Hour,
        to: Hour,
        clock: Clock,
    ) -> (Box<[Counts; WEEK]>, [u32; WEEK]) {
        let from = from.max(self.known_since().unwrap_or(to));
        let mut sums = Box::new([Counts::default(); WEEK]);
        let mut hours = [0u32; WEEK];
        for (h, slot) in clock.slots(from, to).filter(|(h, _)| !self.is_excluded(*h)) {
            sums[slot] = sums[slot].plus(self.sum_all(h, h + 1));
            hours[slot] += 1;
        }
        (sums, hours)
    }

    /// Whether `hour` is excluded.
    pub fn is_excluded(&self, hour: Hour) -> bool {
        self.excluded.iter().any(|(a, b)| (*a..*b).contains(&hour))
    }

    /// Leaves hours `[from, to)` out of later sums.
    pub fn exclude(&mut self, from: Hour, to: Hour) {
        if to <= from {
            return;
        }
        self.excluded.push((from, to));
        self.excluded.sort_unstable();
        let mut merged: Vec<(Hour, Hour)> = Vec::with_capacity(self.excluded.len());
        for (a, b) in self.excluded.drain(..) {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.excluded = merged;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(n: u32, top: u32) -> Counts {
        Counts {
            responses: n,
            valid: n,
            top_box: top,
            positive: top,
        }
    }

    #[test]
    fn windows_sum_what_was_added_in_them() {
        let mut h = History::new(48);
        h.add(100, answers(3, 1));
        h.add(105, answers(4, 4));
        h.add(101, answers(2, 0)); // a late observation lands in its hour
        assert_eq!(h.sum(100, 106), answers(9, 5));
        assert_eq!(h.sum(101, 105), answers(2, 0));
        assert_eq!(h.sum(106, 200), Counts::default());
        assert_eq!(h.sum(0, 100), Counts::default());
        assert_eq!(h.known_since(), Some(100));
        assert_eq!(h.last(), Some(105));
    }

    #[test]
    fn old_hours_fall_out_and_excluded_hours_are_skipped() {
        let mut h = History::new(24);
        for hour in 0..30 {
            h.add(hour, answers(1, 1));
        }
        assert_eq!(
            h.sum(0, 30).responses,
            24,
            "only the last 24 hours are held"
        );
        h.exclude(10, 12);
        h.exclude(11, 15);
        assert!(h.is_excluded(14) && !h.is_excluded(15));
        assert_eq!(h.sum(6, 30).responses, 24 - 5);
        assert_eq!(h.sum_all(6, 30).responses, 24);
        h.add(500, answers(2, 0)); // a long gap empties the buckets
        assert_eq!(h.sum(0, 500).responses, 0);
        assert_eq!(h.sum(0, 501), answers(2, 0));
    }

    #[test]
    fn hours_of_the_week_start_on_monday() {
        let monday: DateTime<Utc> = "2026-01-05T00:00:00Z".parse().unwrap();
        let utc = Clock(Tz::UTC);
        assert_eq!(utc.hour_of_week(hour_of(monday)), 0);
        assert_eq!(utc.hour_of_week(hour_of(monday) - 1), 167, "Sunday 23:00");
        // 08:00 in London is 08:00 UTC in winter and 07:00 UTC in summer.
        let london = Clock(chrono_tz::Europe::London);
        let winter: DateTime<Utc> = "2026-03-23T08:00:00Z".parse().unwrap();
        let summer: DateTime<Utc> = "2026-03-30T07:00:00Z".parse().unwrap();
        assert_eq!(london.hour_of_week(hour_of(winter)), 8);
        assert_eq!(london.hour_of_week(hour_of(summer)), 8);
        let mut h = History::new(24 * 15);
        let start = hour_of(monday);
        for day in 0..14 {
            h.add(start + day * 24 + 9, answers(3, 1));
        }
        let (sums, hours) = h.by_hour_of_week(start, start + 14 * 24, utc);
        assert_eq!((sums[9], hours[9]), (answers(6, 2), 2), "Mondays 09:00");
        assert_eq!((sums[24 + 10], hours[24 + 10]), (Counts::default(), 2));
        assert_eq!(
            hours.iter().sum::<u32>(),
            14 * 24 - 9,
            "known from the first answer"
        );
    }

    #[test]
    fn running_totals_survive_wrapping() {
        let mut h = History::new(4);
        h.add(1, answers(u32::MAX - 1, 0));
        h.add(2, answers(5, 5));
        assert_eq!(h.sum(2, 3), answers(5, 5));
    }
}
