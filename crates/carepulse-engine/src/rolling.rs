//! Rolling windows per rollup key: each rollup keeps some dimensions and
//! replaces the others by `*`. Counting an answer touches only its cell's
//! minute ([`CellHistory`]: minutes, and hours of settled minutes); a key's
//! window is the sum of the windows of the cells that roll up into it,
//! added when snapshots are taken (every 30 s in the processor). The rollup
//! keys of a cell are worked out once, when the cell gets its id.
//!
//! Window semantics, for `now` in minutes (not earlier than any counted
//! answer): a window of up to 60 minutes covers the minutes
//! `(now - N, now]`; a longer window (a whole number of hours) covers whole
//! clock hours: the hour of `now` and the `N/60 - 1` hours before it.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use crate::cell::{Cell, Interner, Sym, ALL, DIMENSIONS};
use crate::counts::Counts;
use crate::history::CellHistory;

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

/// One rollup key.
#[derive(Debug)]
struct Key {
    rollup: usize,
    cell: Arc<Cell>,
}

/// The rollup keys and which cells roll up into each.
#[derive(Debug)]
pub struct RollingScores {
    rollups: Vec<Rollup>,
    /// Rollup names, shared by the snapshots.
    names: Vec<Arc<str>>,
    windows: Vec<Window>,
    star: Sym,
    keys: Vec<Key>,
    /// Key ids in rollup and key order, kept as keys are created so that
    /// snapshots need no sort.
    order: Vec<u32>,
    index: HashMap<(usize, Arc<Cell>), u32>,
    /// Rollup key ids of each cell id, `rollups.len()` per cell.
    by_cell: Vec<u32>,
}

impl RollingScores {
    /// Keeps `windows` for every key of every rollup.
    pub fn new(rollups: Vec<Rollup>, windows: Vec<Window>, interner: &mut Interner) -> Self {
        RollingScores {
            names: rollups.iter().map(|r| Arc::from(r.name.as_str())).collect(),
            rollups,
            windows,
            star: interner.intern(ALL),
            keys: Vec::new(),
            order: Vec::new(),
            index: HashMap::default(),
            by_cell: Vec::new(),
        }
    }

    /// Hours a cell must keep for the longest window.
    pub fn hours_kept(windows: &[Window]) -> i64 {
        windows
            .iter()
            .map(|w| (w.minutes + 59) / 60)
            .max()
            .unwrap_or(1)
            .max(1)
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
        });
        id
    }

    /// Works out the rollup keys of the next cell id (ids are handed out
    /// in order), creating keys on first sight.
    pub fn register(&mut self, cell: &Cell) {
        for r in 0..self.rollups.len() {
            let id = self.key_id(r, cell);
            self.by_cell.push(id);
        }
    }

    /// The non-empty counts of every key over every window at `now`
    /// (minutes), in rollup and key order, summed from the cells'
    /// `history`.
    pub fn snapshots(&self, now: i64, history: &CellHistory) -> Vec<Snapshot> {
        let width = self.windows.len();
        let mut sums = vec![Counts::default(); self.keys.len() * width];
        let per_cell = self.rollups.len().max(1);
        for (cell, keys) in self.by_cell.chunks(per_cell).enumerate() {
            for (w, window) in self.windows.iter().enumerate() {
                let counts = history.window(cell as u32, window.minutes, now);
                if counts.is_empty() {
                    continue;
                }
                for &key in keys {
                    sums[key as usize * width + w].add(&counts);
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
