//! Rolling windows per rollup key: each rollup keeps some dimensions and
//! replaces the others by `*`. Each key of a *kept* rollup keeps the hours
//! of the longest window that had answers, oldest first, so adding an
//! answer in time order is a push at the end, and a key costs memory for
//! the hours it had answers in (at most about 37 KiB with a 28-day window).
//! The rollup keys of a cell are worked out once, when the cell gets its
//! id; counting an answer is then an array lookup per kept rollup.
//!
//! Windows of up to an hour are not counted per key: when snapshots are
//! taken they are summed from the per-minute counts of the cells
//! ([`MinuteCells`]), which hold every minute of the last hour anyway.
//!
//! A rollup whose dimensions are all kept by another rollup (`facility`
//! within `department_experience`, `journey` within `journey_stage` and
//! that within `department_stage`) keeps no series of its own: its window
//! counts are the sums of the finer rollup's keys that roll up into it,
//! added when snapshots are taken. Counts are additive, so the sums are the
//! same; an answer touches only the rollups no other rollup contains (3 of
//! the default 8).
//!
//! Window semantics, for `now` in minutes (not earlier than any counted
//! answer): a window of up to 60 minutes covers the minutes
//! `(now - N, now]`; a longer window (a whole number of hours) covers whole
//! clock hours: the hour of `now` and the `N/60 - 1` hours before it.

use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use crate::cell::{Cell, Interner, Sym, ALL, DIMENSIONS};
use crate::counts::Counts;
use crate::minutes::MinuteCells;
use crate::slots::position;

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

/// The counts of the last `len` time units that had answers, oldest
/// first: memory follows how many units had answers, not the window length
/// (a quiet key's 28 days of hours cost a few slots, a busy one's at most
/// `len`). The oldest and newest times are kept beside the slots, so that
/// adding in time order reads only the newest slot.
#[derive(Debug)]
struct Ring {
    len: i64,
    /// Times of the oldest and newest slot; unused while empty.
    oldest: i64,
    newest: i64,
    slots: VecDeque<(i64, Counts)>,
}

impl Ring {
    fn new(len: usize) -> Self {
        Ring {
            len: len as i64,
            oldest: 0,
            newest: 0,
            slots: VecDeque::new(),
        }
    }

    /// Adds at time `t`. Times at or before `newest - len` are out of
    /// every window: they are dropped, and forgotten as newer ones arrive.
    fn add(&mut self, t: i64, counts: &Counts) {
        if self.slots.is_empty() {
            (self.oldest, self.newest) = (t, t);
            self.slots.push_back((t, *counts));
        } else if t == self.newest {
            if let Some((_, c)) = self.slots.back_mut() {
                c.add(counts);
            }
        } else if t > self.newest {
            if self.oldest <= t - self.len {
                while self
                    .slots
                    .front()
                    .is_some_and(|(first, _)| *first <= t - self.len)
                {
                    self.slots.pop_front();
                }
                self.oldest = self.slots.front().map_or(t, |(first, _)| *first);
            }
            if self.slots.len() == self.slots.capacity() {
                // Grow by halves, never past `len` slots.
                let room = (self.slots.len() / 2).max(4) as i64;
                let room = room.min(self.len - self.slots.len() as i64).max(1);
                self.slots.reserve_exact(room as usize);
            }
            self.newest = t;
            self.slots.push_back((t, *counts));
        } else if t > self.newest - self.len {
            match position(&self.slots, t, |(time, _)| *time) {
                Ok(i) => self.slots[i].1.add(counts),
                Err(i) => {
                    self.oldest = self.oldest.min(t);
                    self.slots.insert(i, (t, *counts));
                }
            }
        }
    }

    /// Sum over the times `first..=last`.
    fn sum(&self, first: i64, last: i64) -> Counts {
        let mut sum = Counts::default();
        for (t, c) in self.slots.iter().rev() {
            if *t < first {
                break;
            }
            if *t <= last {
                sum.add(c);
            }
        }
        sum
    }
}

/// The counts of one rollup key over one window.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The key's id, stable for the engine's life.
    pub id: u32,
    /// Rollup name.
    pub rollup: Arc<str>,
    /// The key (dimensions not kept are `*`).
    pub key: Arc<Cell>,
    /// Window length in minutes.
    pub window: i64,
    /// The counts.
    pub counts: Counts,
}

/// Where a rollup's window counts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Its keys keep series.
    Kept,
    /// Summed from the keys of this (kept) rollup, which keeps every
    /// dimension it keeps.
    SumOf(usize),
}

/// For each rollup, where its counts come from: a rollup is summed from
/// the kept rollup with the fewest dimensions that contains it, and kept
/// if no other rollup contains it (of equal ones, the first is kept).
fn sources(rollups: &[Rollup]) -> Vec<Source> {
    let contains =
        |outer: &Rollup, inner: &Rollup| outer.keep.iter().zip(inner.keep).all(|(o, i)| *o || !i);
    let width = |r: &Rollup| r.keep.iter().filter(|k| **k).count();
    let kept: Vec<bool> = rollups
        .iter()
        .enumerate()
        .map(|(i, r)| {
            !rollups.iter().enumerate().any(|(j, other)| {
                j != i && contains(other, r) && (width(other) > width(r) || j < i)
            })
        })
        .collect();
    rollups
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if kept[i] {
                return Source::Kept;
            }
            let from = (0..rollups.len())
                .filter(|&j| kept[j] && contains(&rollups[j], r))
                .min_by_key(|&j| width(&rollups[j]))
                .expect("a rollup not kept is contained by a kept one");
            Source::SumOf(from)
        })
        .collect()
}

/// One rollup key.
#[derive(Debug)]
struct Key {
    rollup: usize,
    cell: Arc<Cell>,
    /// Kept keys: the index of its hours.
    series: Option<u32>,
    /// Kept keys: the keys of summed rollups it adds to.
    feeds: Vec<u32>,
}

/// Rolling windows for every rollup key.
#[derive(Debug)]
pub struct RollingScores {
    rollups: Vec<Rollup>,
    sources: Vec<Source>,
    /// Number of kept rollups.
    kept: usize,
    /// Rollup names, shared by the snapshots.
    names: Vec<Arc<str>>,
    windows: Vec<Window>,
    star: Sym,
    hours_kept: usize,
    keys: Vec<Key>,
    /// Key ids in rollup and key order, kept as keys are created so that
    /// snapshots need no sort.
    order: Vec<u32>,
    index: HashMap<(usize, Arc<Cell>), u32>,
    /// Series of each cell id, one per kept rollup.
    by_cell: Vec<u32>,
    /// The hours of each kept key, by series index.
    series: Vec<Ring>,
    /// The key of each series index.
    series_key: Vec<u32>,
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
        let sources = sources(&rollups);
        RollingScores {
            names: rollups.iter().map(|r| Arc::from(r.name.as_str())).collect(),
            kept: sources.iter().filter(|s| **s == Source::Kept).count(),
            sources,
            rollups,
            windows,
            star: interner.intern(ALL),
            hours_kept,
            keys: Vec::new(),
            order: Vec::new(),
            index: HashMap::default(),
            by_cell: Vec::new(),
            series: Vec::new(),
            series_key: Vec::new(),
        }
    }

    /// The id of the key of `cell` in rollup `r`, created on first sight.
    fn key_id(&mut self, r: usize, cell: &Cell) -> u32 {
        let mut key = cell.clone();
        for (d, keep) in self.rollups[r].keep.iter().enumerate() {
            if !keep {
                key.dims[d] = self.star.clone();
            }
        }
        let key = Arc::new(key);
        let next = self.keys.len() as u32;
        let id = *self.index.entry((r, Arc::clone(&key))).or_insert(next);
        if id != next {
            return id;
        }
        let keys = &self.keys;
        let at = self
            .order
            .partition_point(|&o| (keys[o as usize].rollup, &keys[o as usize].cell) < (r, &key));
        self.order.insert(at, id);
        self.keys.push(Key {
            rollup: r,
            cell: key,
            series: None,
            feeds: Vec::new(),
        });
        id
    }

    /// Works out the rollup keys of the next cell id (ids are handed out
    /// in order), creating keys on first sight.
    pub fn register(&mut self, cell: &Cell) {
        let ids: Vec<u32> = (0..self.rollups.len())
            .map(|r| self.key_id(r, cell))
            .collect();
        for (r, &id) in ids.iter().enumerate() {
            if self.sources[r] != Source::Kept {
                continue;
            }
            let key = &mut self.keys[id as usize];
            let series = match key.series {
                Some(series) => series,
                None => {
                    let series = self.series.len() as u32;
                    key.series = Some(series);
                    key.feeds = (0..self.rollups.len())
                        .filter(|&d| self.sources[d] == Source::SumOf(r))
                        .map(|d| ids[d])
                        .collect();
                    self.series.push(Ring::new(self.hours_kept));
                    self.series_key.push(id);
                    series
                }
            };
            self.by_cell.push(series);
        }
    }

    /// Adds counts of cell `cell` at `minute` to every rollup key it belongs
    /// to.
    pub fn add(&mut self, minute: i64, cell: u32, counts: &Counts) {
        let start = cell as usize * self.kept;
        let hour = minute.div_euclid(60);
        for &series in &self.by_cell[start..start + self.kept] {
            self.series[series as usize].add(hour, counts);
        }
    }

    /// The non-empty counts of every key over every window at `now`
    /// (minutes), in rollup and key order; windows of up to an hour are
    /// summed from `minutes`.
    pub fn snapshots(&self, now: i64, minutes: &MinuteCells) -> Vec<Snapshot> {
        let width = self.windows.len();
        let mut sums = vec![Counts::default(); self.keys.len() * width];
        let hour = now.div_euclid(60);
        for (w, window) in self.windows.iter().enumerate() {
            if window.minutes > 60 {
                let first = hour - window.minutes / 60 + 1;
                for (series, &key) in self.series.iter().zip(&self.series_key) {
                    sums[key as usize * width + w] = series.sum(first, hour);
                }
            } else {
                let first = now - window.minutes + 1;
                for (cell, series) in self.by_cell.chunks(self.kept.max(1)).enumerate() {
                    let counts = minutes.sum(cell as u32, first, now);
                    if counts.is_empty() {
                        continue;
                    }
                    for &series in series {
                        let key = self.series_key[series as usize];
                        sums[key as usize * width + w].add(&counts);
                    }
                }
            }
        }
        for (id, key) in self.keys.iter().enumerate() {
            if key.feeds.is_empty() {
                continue;
            }
            for w in 0..width {
                let counts = sums[id * width + w];
                if !counts.is_empty() {
                    for &fed in &key.feeds {
                        sums[fed as usize * width + w].add(&counts);
                    }
                }
            }
        }
        let mut out = Vec::new();
        for id in self.order.iter().map(|&id| id as usize) {
            let key = &self.keys[id];
            for (w, window) in self.windows.iter().enumerate() {
                let counts = sums[id * width + w];
                if !counts.is_empty() {
                    out.push(Snapshot {
                        id: id as u32,
                        rollup: Arc::clone(&self.names[key.rollup]),
                        key: Arc::clone(&key.cell),
                        window: window.minutes,
                        counts,
                    });
                }
            }
        }
        out
    }

    /// The snapshot of key `id` over `window` minutes with nothing counted.
    pub fn empty(&self, id: u32, window: i64) -> Snapshot {
        let key = &self.keys[id as usize];
        Snapshot {
            id,
            rollup: Arc::clone(&self.names[key.rollup]),
            key: Arc::clone(&key.cell),
            window,
            counts: Counts::default(),
        }
    }

    /// Number of rollup keys held.
    pub fn keys(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollups_contained_in_another_are_summed_from_the_narrowest_kept_one() {
        let rollup = |name: &str, dims: &[&str]| Rollup::keeping(name, dims).unwrap();
        let rollups = [
            rollup("facility", &["facility"]),
            rollup("department", &["facility", "department"]),
            rollup("department_stage", &["facility", "department", "stage"]),
            rollup("stage", &["stage"]),
            rollup("channel", &["channel"]),
            rollup("facility_again", &["facility"]),
        ];
        assert_eq!(
            sources(&rollups),
            [
                Source::SumOf(2),
                Source::SumOf(2),
                Source::Kept,
                Source::SumOf(2),
                Source::Kept,
                Source::SumOf(2),
            ]
        );
        let same = [rollup("a", &["facility"]), rollup("b", &["facility"])];
        assert_eq!(sources(&same), [Source::Kept, Source::SumOf(0)]);
    }
}
