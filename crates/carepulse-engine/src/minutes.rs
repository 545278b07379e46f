//! Per-minute counts per cell: the per-minute trend, written to storage as
//! full values of every minute that changed since the last flush (so that
//! writing a minute again replaces it rather than adding to it).

use std::collections::hash_map::Entry;
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use crate::cell::{Cell, CellIndex};
use crate::counts::Counts;

/// The counts of one cell in one minute.
#[derive(Debug, Clone, PartialEq)]
pub struct MinuteRow {
    /// Minutes since the Unix epoch (UTC) of the answer's event time.
    pub minute: i64,
    /// The cell.
    pub cell: Arc<Cell>,
    /// Everything counted in that cell and minute so far.
    pub counts: Counts,
}

/// Per-minute counts per cell, with the minutes changed since the last
/// [`MinuteCells::drain_changed`], keyed by minute and cell id. One hash
/// lookup per answer: each entry carries its own "changed" flag.
#[derive(Debug, Default)]
pub struct MinuteCells {
    counts: HashMap<(i64, u32), (Counts, bool)>,
    changed: Vec<(i64, u32)>,
}

impl MinuteCells {
    /// The counts of `cell` in `minute`, to add answers to.
    pub fn entry(&mut self, minute: i64, cell: u32) -> &mut Counts {
        let MinuteCells { counts, changed } = self;
        match counts.entry((minute, cell)) {
            Entry::Occupied(occupied) => {
                if !occupied.get().1 {
                    changed.push(*occupied.key());
                }
                let slot = occupied.into_mut();
                slot.1 = true;
                &mut slot.0
            }
            Entry::Vacant(vacant) => {
                changed.push(*vacant.key());
                &mut vacant.insert((Counts::default(), true)).0
            }
        }
    }

    /// Full values of every minute changed since the last call, in no
    /// particular order.
    pub fn drain_changed(&mut self, cells: &CellIndex) -> Vec<MinuteRow> {
        let MinuteCells { counts, changed } = self;
        changed
            .drain(..)
            .filter_map(|key| {
                let slot = counts.get_mut(&key)?;
                slot.1 = false;
                Some(MinuteRow {
                    minute: key.0,
                    cell: Arc::clone(cells.cell(key.1)),
                    counts: slot.0,
                })
            })
            .collect()
    }

    /// Forgets minutes before `minute` (they can no longer change).
    pub fn forget_before(&mut self, minute: i64) {
        self.counts.retain(|(m, _), _| *m >= minute);
    }

    /// Number of cell-minutes held.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}
