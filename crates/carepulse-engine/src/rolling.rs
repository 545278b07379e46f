//! Rolling windows per rollup key: each rollup keeps some dimensions and
//! replaces the others by `*`. Each key has two fixed rings indexed by time:
//! 60 minute slots and as many hour slots as the longest window, so adding
//! an answer is a few array writes, and a key costs the same memory however
//! busy it is (about 41 KiB with a 28-day window). The rollup keys of a cell
//! are worked out once per cell, not per answer.
//!
//! Window semantics, for `now` in minutes (not earlier than any counted
//! answer): a window of up to 60 minutes covers the minutes
//! `(now - N, now]`; a longer window (a whole number of hours) covers whole
//! clock hours: the hour of `now` and the `N/60 - 1` hours before it.

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

/// A ring of time slots: slot `t % len` holds time `t` or an older one.
#[derive(Debug)]
struct Ring {
    slots: Vec<(i64, Counts)>,
}

impl Ring {
    fn new(len: usize) -> Self {
        Ring {
            slots: vec![(i64::MIN, Counts::default()); len],
        }
    }

    /// Adds at time `t`; a slot holding an older time is reused (that time
    /// is out of every window now), an addition older than the slot's time
    /// is dropped (it is out of every window already).
    fn add(&mut self, t: i64, counts: &Counts) {
        let len = self.slots.len() as i64;
        let slot = &mut self.slots[t.rem_euclid(len) as usize];
        if slot.0 == t {
            slot.1.add(counts);
        } else if t > slot.0 {
            *slot = (t, *counts);
        }
    }

    /// Sum over the times `first..=last`.
    fn sum(&self, first: i64, last: i64) -> Counts {
        let mut sum = Counts::default();
        for (t, c) in &self.slots {
            if *t >= first && *t <= last {
                sum.add(c);
            }
        }
        sum
    }
}

#[derive(Debug)]
struct Series {
    minutes: Ring,
    hours: Ring,
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
    star: Sym,
    hours_kept: usize,
    keys: Vec<(usize, Cell)>,
    index: HashMap<(usize, Cell), usize>,
    by_cell: HashMap<Cell, Vec<usize>>,
    series: Vec<Series>,
}

impl RollingScores {
    /// Keeps `windows` for every key of every rollup.
    pub fn new(rollups: Vec<Rollup>, windows: Vec<Window>, interner: &mut Interner) -> Self {
        let hours_kept = windows
            .iter()
            .map(|w| (w.minutes + 59) / 60)
            .max()
            .unwrap_or(1)
            .max(1) as usize;
        RollingScores {
            rollups,
            windows,
            star: interner.intern(ALL),
            hours_kept,
            keys: Vec::new(),
            index: HashMap::default(),
            by_cell: HashMap::default(),
            series: Vec::new(),
        }
    }

    /// The rollup keys of `cell`, created on first sight.
    fn key_ids(&mut self, cell: &Cell) -> &[usize] {
        if !self.by_cell.contains_key(cell) {
            let mut ids = Vec::with_capacity(self.rollups.len());
            for (r, rollup) in self.rollups.iter().enumerate() {
                let mut key = cell.clone();
                for (d, keep) in rollup.keep.iter().enumerate() {
                    if !keep {
                        key.dims[d] = self.star.clone();
                    }
                }
                let next = self.keys.len();
                let id = *self.index.entry((r, key.clone())).or_insert(next);
                if id == next {
                    self.keys.push((r, key));
                    self.series.push(Series {
                        minutes: Ring::new(60),
                        hours: Ring::new(self.hours_kept),
                    });
                }
                ids.push(id);
            }
            self.by_cell.insert(cell.clone(), ids);
        }
        &self.by_cell[cell]
    }

    /// Adds counts of `cell` at `minute` to every rollup key it belongs to.
    pub fn add(&mut self, minute: i64, cell: &Cell, counts: &Counts) {
        self.key_ids(cell);
        let (by_cell, series) = (&self.by_cell, &mut self.series);
        for &id in &by_cell[cell] {
            let series = &mut series[id];
            series.minutes.add(minute, counts);
            series.hours.add(minute.div_euclid(60), counts);
        }
    }

    /// The non-empty counts of every key over every window at `now`
    /// (minutes), in rollup and key order.
    pub fn snapshots(&self, now: i64) -> Vec<Snapshot> {
        let hour = now.div_euclid(60);
        let mut order: Vec<usize> = (0..self.keys.len()).collect();
        order.sort_by(|a, b| self.keys[*a].cmp(&self.keys[*b]));
        let mut out = Vec::new();
        for id in order {
            let (rollup, key) = &self.keys[id];
            let series = &self.series[id];
            for window in &self.windows {
                let counts = if window.minutes <= 60 {
                    series.minutes.sum(now - window.minutes + 1, now)
                } else {
                    series.hours.sum(hour - window.minutes / 60 + 1, hour)
                };
                if !counts.is_empty() {
                    out.push(Snapshot {
                        rollup: self.rollups[*rollup].name.clone(),
                        key: key.clone(),
                        window: window.minutes,
                        counts,
                    });
                }
            }
        }
        out
    }

    /// Number of rollup keys held.
    pub fn keys(&self) -> usize {
        self.keys.len()
    }
}
