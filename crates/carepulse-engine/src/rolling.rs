//! Rolling windows per rollup key: each rollup keeps some dimensions and
//! replaces the others by `*`. Each key keeps two short time series: the
//! minutes of the last hour and the hours of the longest window that had
//! answers, oldest first, so adding an answer in time order is a push at the
//! end, and a key costs memory for the hours it had answers in (at most
//! about 41 KiB with a 28-day window). The rollup keys of a cell are worked
//! out once, when the cell gets its id; counting an answer is then an array
//! lookup per rollup.
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
/// `len`).
#[derive(Debug)]
struct Ring {
    len: i64,
    slots: VecDeque<(i64, Counts)>,
}

impl Ring {
    fn new(len: usize) -> Self {
        Ring {
            len: len as i64,
            slots: VecDeque::new(),
        }
    }

    /// Adds at time `t`. Times at or before `newest - len` are out of
    /// every window: they are dropped, and forgotten as newer ones arrive.
    fn add(&mut self, t: i64, counts: &Counts) {
        let newest = match self.slots.back_mut() {
            None => i64::MIN,
            Some((last, c)) if *last == t => return c.add(counts),
            Some((last, _)) => *last,
        };
        if t > newest {
            while self
                .slots
                .front()
                .is_some_and(|(first, _)| *first <= t - self.len)
            {
                self.slots.pop_front();
            }
            if self.slots.len() == self.slots.capacity() {
                // Grow by halves, never past `len` slots.
                let room = (self.slots.len() / 2).max(4) as i64;
                let room = room.min(self.len - self.slots.len() as i64).max(1);
                self.slots.reserve_exact(room as usize);
            }
            self.slots.push_back((t, *counts));
        } else if t > newest - self.len {
            match self.position(t) {
                Ok(i) => self.slots[i].1.add(counts),
                Err(i) => self.slots.insert(i, (t, *counts)),
            }
        }
    }

    /// Where time `t` is (`Ok`) or would go (`Err`) among the slots, which
    /// are not empty. Answers out of time order (SMS and e-mail replies days
    /// later) land in the middle: the slot is guessed from where `t` falls
    /// between the oldest and newest time, then walked to, which takes a
    /// step or two when the times are spread evenly; a binary search if not.
    fn position(&self, t: i64) -> Result<usize, usize> {
        let slots = &self.slots;
        let n = slots.len();
        let (oldest, newest) = (slots[0].0, slots[n - 1].0);
        if t <= oldest {
            return if t == oldest { Ok(0) } else { Err(0) };
        }
        if t >= newest {
            return if t == newest { Ok(n - 1) } else { Err(n) };
        }
        let span = (newest - oldest) as i128;
        let mut i = ((t - oldest) as i128 * (n as i128 - 1) / span) as usize;
        for _ in 0..8 {
            let here = slots[i].0;
            if here == t {
                return Ok(i);
            }
            if here > t {
                if slots[i - 1].0 < t {
                    return Err(i);
                }
                i -= 1;
            } else {
                if i + 1 == n || slots[i + 1].0 > t {
                    return Err(i + 1);
                }
                i += 1;
            }
        }
        slots.binary_search_by_key(&t, |(time, _)| *time)
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

#[derive(Debug)]
struct Series {
    minutes: Ring,
    hours: Ring,
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

/// Rolling windows for every rollup key.
#[derive(Debug)]
pub struct RollingScores {
    rollups: Vec<Rollup>,
    /// Rollup names, shared by the snapshots.
    names: Vec<Arc<str>>,
    windows: Vec<Window>,
    star: Sym,
    hours_kept: usize,
    keys: Vec<(usize, Arc<Cell>)>,
    /// Key ids in rollup and key order, kept as keys are created so that
    /// snapshots need no sort.
    order: Vec<u32>,
    index: HashMap<(usize, Arc<Cell>), u32>,
    /// Rollup key ids of each cell id, `rollups.len()` per cell.
    by_cell: Vec<u32>,
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
            names: rollups.iter().map(|r| Arc::from(r.name.as_str())).collect(),
            rollups,
            windows,
            star: interner.intern(ALL),
            hours_kept,
            keys: Vec::new(),
            order: Vec::new(),
            index: HashMap::default(),
            by_cell: Vec::new(),
            series: Vec::new(),
        }
    }

    /// Works out the rollup keys of the next cell id (ids are handed out
    /// in order), creating keys on first sight.
    pub fn register(&mut self, cell: &Cell) {
        for (r, rollup) in self.rollups.iter().enumerate() {
            let mut key = cell.clone();
            for (d, keep) in rollup.keep.iter().enumerate() {
                if !keep {
                    key.dims[d] = self.star.clone();
                }
            }
            let key = Arc::new(key);
            let next = self.keys.len() as u32;
            let id = *self.index.entry((r, Arc::clone(&key))).or_insert(next);
            if id == next {
                let entry = (r, key);
                let keys = &self.keys;
                let at = self.order.partition_point(|&o| keys[o as usize] < entry);
                self.order.insert(at, id);
                self.keys.push(entry);
                self.series.push(Series {
                    minutes: Ring::new(60),
                    hours: Ring::new(self.hours_kept),
                });
            }
            self.by_cell.push(id);
        }
    }

    /// Adds counts of cell `cell` at `minute` to every rollup key it belongs
    /// to.
    pub fn add(&mut self, minute: i64, cell: u32, counts: &Counts) {
        let width = self.rollups.len();
        let start = cell as usize * width;
        let hour = minute.div_euclid(60);
        for &id in &self.by_cell[start..start + width] {
            let series = &mut self.series[id as usize];
            series.minutes.add(minute, counts);
            series.hours.add(hour, counts);
        }
    }

    /// The non-empty counts of every key over every window at `now`
    /// (minutes), in rollup and key order.
    pub fn snapshots(&self, now: i64) -> Vec<Snapshot> {
        let hour = now.div_euclid(60);
        let mut out = Vec::new();
        for id in self.order.iter().map(|&id| id as usize) {
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
                        id: id as u32,
                        rollup: Arc::clone(&self.names[*rollup]),
                        key: Arc::clone(key),
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
        let (rollup, key) = &self.keys[id as usize];
        Snapshot {
            id,
            rollup: Arc::clone(&self.names[*rollup]),
            key: Arc::clone(key),
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
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn position_agrees_with_a_binary_search(
            mut times in prop::collection::btree_set(0i64..2_000, 1..300),
            probe in 0i64..2_000,
        ) {
            let mut ring = Ring::new(10_000);
            for t in std::mem::take(&mut times) {
                ring.slots.push_back((t, Counts::default()));
            }
            let expected = ring.slots.binary_search_by_key(&probe, |(t, _)| *t);
            prop_assert_eq!(ring.position(probe), expected);
        }
    }
}
