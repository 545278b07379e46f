//! Per-minute counts per cell: the per-minute trend, written to storage as
//! full values of every minute that changed since the last flush (so that
//! writing a minute again replaces it rather than adding to it).

use std::collections::VecDeque;
use std::sync::Arc;

use crate::cell::{Cell, CellIndex};
use crate::counts::Counts;
use crate::slots::position;

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

/// One minute of one cell, and whether it changed since the last drain.
#[derive(Debug, Clone, Copy)]
struct Slot {
    minute: i64,
    counts: Counts,
    changed: bool,
}

impl Slot {
    fn new(minute: i64) -> Self {
        Slot {
            minute,
            counts: Counts::default(),
            changed: false,
        }
    }
}

/// The minutes of one cell, oldest first.
#[derive(Debug)]
struct CellMinutes {
    slots: VecDeque<Slot>,
    /// The oldest minute changed since the last drain; `i64::MAX` if none.
    first_changed: i64,
}

impl Default for CellMinutes {
    fn default() -> Self {
        CellMinutes {
            slots: VecDeque::new(),
            first_changed: i64::MAX,
        }
    }
}

/// Per-minute counts per cell, with the minutes changed since the last
/// [`MinuteCells::drain_changed`]. Each cell keeps its minutes in time
/// order, so an answer in time order goes to the cell's newest slot or a
/// new one after it, memory the cell touched recently, instead of a random
/// place in one big table. A drain walks each changed cell once, from its
/// oldest changed minute on.
#[derive(Debug, Default)]
pub struct MinuteCells {
    by_cell: Vec<CellMinutes>,
    /// Cells with a changed minute, each once.
    changed: Vec<u32>,
    held: usize,
}

impl MinuteCells {
    /// The counts of `cell` in `minute`, to add answers to.
    pub fn entry(&mut self, minute: i64, cell: u32) -> &mut Counts {
        let cell_index = cell as usize;
        if self.by_cell.len() <= cell_index {
            self.by_cell
                .resize_with(cell_index + 1, CellMinutes::default);
        }
        let minutes = &mut self.by_cell[cell_index];
        let slots = &mut minutes.slots;
        let at = match slots.back() {
            Some(last) if last.minute == minute => slots.len() - 1,
            Some(last) if last.minute > minute => match position(slots, minute, |s| s.minute) {
                Ok(at) => at,
                Err(at) => {
                    slots.insert(at, Slot::new(minute));
                    self.held += 1;
                    at
                }
            },
            _ => {
                slots.push_back(Slot::new(minute));
                self.held += 1;
                slots.len() - 1
            }
        };
        if minutes.first_changed == i64::MAX {
            self.changed.push(cell);
        }
        minutes.first_changed = minutes.first_changed.min(minute);
        let slot = &mut slots[at];
        slot.changed = true;
        &mut slot.counts
    }

    /// Full values of every minute changed since the last call, by cell.
    pub fn drain_changed(&mut self, cells: &CellIndex) -> Vec<MinuteRow> {
        let mut rows = Vec::new();
        for cell in self.changed.drain(..) {
            let minutes = &mut self.by_cell[cell as usize];
            let first = minutes.first_changed;
            minutes.first_changed = i64::MAX;
            // Minutes forgotten since they changed are gone.
            let start = minutes.slots.partition_point(|s| s.minute < first);
            for slot in minutes.slots.range_mut(start..) {
                if slot.changed {
                    slot.changed = false;
                    rows.push(MinuteRow {
                        minute: slot.minute,
                        cell: Arc::clone(cells.cell(cell)),
                        counts: slot.counts,
                    });
                }
            }
        }
        rows
    }

    /// Forgets minutes before `minute` (they can no longer change).
    pub fn forget_before(&mut self, minute: i64) {
        for minutes in &mut self.by_cell {
            let slots = &mut minutes.slots;
            if slots.front().is_none_or(|s| s.minute >= minute) {
                continue;
            }
            let gone = slots.partition_point(|s| s.minute < minute);
            slots.drain(..gone);
            self.held -= gone;
            if slots.capacity() > 2 * slots.len() + 16 {
                slots.shrink_to_fit();
            }
        }
    }

    /// The counts of `cell` over the minutes `first..=last`.
    pub fn sum(&self, cell: u32, first: i64, last: i64) -> Counts {
        let mut sum = Counts::default();
        let Some(minutes) = self.by_cell.get(cell as usize) else {
            return sum;
        };
        for slot in minutes.slots.iter().rev() {
            if slot.minute < first {
                break;
            }
            if slot.minute <= last {
                sum.add(&slot.counts);
            }
        }
        sum
    }

    /// Number of cell-minutes held.
    pub fn len(&self) -> usize {
        self.held
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.held == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one() -> Counts {
        Counts {
            responses: 1,
            ..Counts::default()
        }
    }

    #[test]
    fn changed_minutes_are_drained_once_in_full_and_forgotten_ones_are_skipped() {
        let mut cells = CellIndex::default();
        let dims = cells.dims_id(["f", "o", "d", "j", "s", "patient", "sms", "unknown", "q"]);
        let (a, _) = cells.cell_id(dims, "overall", carepulse_model::Scale::Rating0To10);
        let (b, _) = cells.cell_id(dims, "wait", carepulse_model::Scale::Rating0To10);
        let mut minutes = MinuteCells::default();
        for (minute, cell) in [(10, a), (12, a), (11, a), (10, a), (5, b)] {
            minutes.entry(minute, cell).add(&one());
        }
        assert_eq!(minutes.len(), 4);
        let mut rows: Vec<(i64, u32)> = minutes
            .drain_changed(&cells)
            .iter()
            .map(|r| (r.minute, r.counts.responses))
            .collect();
        rows.sort();
        assert_eq!(rows, [(5, 1), (10, 2), (11, 1), (12, 1)]);
        assert!(minutes.drain_changed(&cells).is_empty());

        minutes.entry(11, a).add(&one());
        minutes.entry(5, b).add(&one());
        minutes.forget_before(6);
        let rows = minutes.drain_changed(&cells);
        assert_eq!(rows.len(), 1, "minute 5 was forgotten after it changed");
        assert_eq!((rows[0].minute, rows[0].counts.responses), (11, 2));
        assert_eq!(minutes.len(), 3);
    }
}
