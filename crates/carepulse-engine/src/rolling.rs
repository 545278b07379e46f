//! Rolling windows per rollup key: each rollup keeps some dimensions and
//! replaces the others by `*`; each key keeps sparse per-minute slots for
//! the last hour and per-hour slots for the longest window, so a key costs
//! memory only for the minutes and hours it had answers in.
//!
//! Window semantics, for `now` in minutes: a window of up to 60 minutes
//! covers the minutes `(now - N, now]`; a longer window (a whole number of
//! hours) covers whole clock hours: the hour of `now` and the `N/60 - 1`
//! hours before it.

use std::collections::VecDeque;

use rustc_hash::FxHashMap as HashMap;

use crate::cell::{Cell, Interner, Sym, ALL, DIMENSIONS};
use crate::counts::Counts;

/// A rollup: which dimensions it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    /// Name used in storage (`department_stage`).
    pub name: String,
    /// For each of [`DIMENSIONS`], whether it is kept.
    pub keep: [bool; 9],
}

impl Rollup {
    /// A rollup keeping the named dimensions; `None` if a name is unknown.
    pub fn keeping(name: &str, dims: &[&str]) -> Option<Rollup> {
        let mut keep = [false; 9];
        for d in dims {
            keep[DIMENSIONS.iter().position(|x| x == d)?] = true;
        }
        Some(Rollup {
            name: name.to_owned(),
            keep,
        })
    }
}

/// A rolling window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Length in minutes: up to 60, or a whole number of hours.
    pub minutes: i64,
}

#[derive(Debug, Default)]
struct Series {
    minutes: VecDeque<(i64, Counts)>,
    hours: VecDeque<(i64, Counts)>,
}

/// Adds `counts` at `at` to slots that keep at most `span` consecutive
/// slot times before the newest; older slots are dropped, and an addition
/// older than that is ignored (no window can reach it any more).
fn add_slot(slots: &mut VecDeque<(i64, Counts)>, at: i64, counts: &Counts, span: i64) {
    let newest = slots.back().map_or(at, |(t, _)| (*t).max(at));
    if at <= newest - span {
        return;
    }
    match slots.binary_search_by_key(&at, |(t, _)| *t) {
        Ok(i) => slots[i].1.add(counts),
        Err(i) => slots.insert(i, (at, *counts)),
    }
    while slots.front().is_some_and(|(t, _)| *t <= newest - span) {
        slots.pop_front();
    }
}

fn sum_since(slots: &VecDeque<(i64, Counts)>, first: i64, last: i64) -> Counts {
    let mut sum = Counts::default();
    for (_, c) in slots.iter().filter(|(t, _)| *t >= first && *t <= last) {
        sum.add(c);
    }
    sum
}

/// The counts of one rollup key over one window.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Rollup name.
    pub rollup: String,
    /// The key (dimensions not kept are `*`).
    pub key: Cell,
    /// Window length in minutes.
    pub window: i64,
    /// The counts.
    pub counts: Counts,
}

/// Rolling windows for every rollup key.
#[derive(Debug)]
pub struct RollingScores {
    rollups: Vec<Rollup>,
    windows: Vec<Window>,
    series: HashMap<(usize, Cell), Series>,
    star: Sym,
}

impl RollingScores {
    /// Keeps `windows` for every key of every rollup.
    pub fn new(rollups: Vec<Rollup>, windows: Vec<Window>, interner: &mut Interner) -> Self {
        RollingScores {
            rollups,
            windows,
            series: HashMap::default(),
            star: interner.intern(ALL),
        }
    }

    fn longest_hours(&self) -> i64 {
        self.windows
            .iter()
            .map(|w| (w.minutes + 59) / 60)
            .max()
            .unwrap_or(1)
    }

    /// Adds counts of `cell` at `minute` to every rollup key it belongs to.
    pub fn add(&mut self, minute: i64, cell: &Cell, counts: &Counts) {
        let hours = self.longest_hours();
        for (i, rollup) in self.rollups.iter().enumerate() {
            let mut key = cell.clone();
            for (d, keep) in rollup.keep.iter().enumerate() {
                if !keep {
                    key.dims[d] = self.star.clone();
                }
            }
            let series = self.series.entry((i, key)).or_default();
            add_slot(&mut series.minutes, minute, counts, 60);
            add_slot(&mut series.hours, minute.div_euclid(60), counts, hours);
        }
    }

    /// Every key's counts over every window at `now` (minutes), in rollup
    /// and key order; drops slots too old for any window and keys left
    /// empty.
    pub fn snapshots(&mut self, now: i64) -> Vec<Snapshot> {
        let hour = now.div_euclid(60);
        let oldest_hour = hour - self.longest_hours() + 1;
        self.series.retain(|_, s| {
            while s.minutes.front().is_some_and(|(t, _)| *t <= now - 60) {
                s.minutes.pop_front();
            }
            while s.hours.front().is_some_and(|(t, _)| *t < oldest_hour) {
                s.hours.pop_front();
            }
            !s.hours.is_empty()
        });
        let mut keys: Vec<&(usize, Cell)> = self.series.keys().collect();
        keys.sort();
        let mut out = Vec::with_capacity(keys.len() * self.windows.len());
        for key in keys {
            let series = &self.series[key];
            for window in &self.windows {
                let counts = if window.minutes <= 60 {
                    sum_since(&series.minutes, now - window.minutes + 1, now)
                } else {
                    sum_since(&series.hours, hour - window.minutes / 60 + 1, hour)
                };
                out.push(Snapshot {
                    rollup: self.rollups[key.0].name.clone(),
                    key: key.1.clone(),
                    window: window.minutes,
                    counts,
                });
            }
        }
        out
    }

    /// Number of rollup keys held.
    pub fn keys(&self) -> usize {
        self.series.len()
    }
}
