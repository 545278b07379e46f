//! What each cell counted, over time: per minute for as long as answers
//! may still arrive (the per-minute trend, written to storage as full
//! values of every minute that changed since the last flush, so that
//! writing a minute again replaces it rather than adding to it), and per
//! hour once its minutes are settled, for the longest rolling window. An
//! answer touches only its minute: a cell's minutes sit together and in
//! time order, so an answer in time order adds to the newest slot, memory
//! the cell touched recently. Settled minutes are folded into their hours
//! when they are forgotten. Rolling windows are sums of both series
//! ([`crate::rolling`]).

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

/// The counts of the last `len` time units that had answers, oldest
/// first: memory follows how many units had answers, not the window length
/// (a quiet cell's 28 days of hours cost a few slots, a busy one's at most
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
    fn new(len: i64) -> Self {
        Ring {
            len,
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

/// The minutes and hours of one cell.
#[derive(Debug)]
struct CellSeries {
    /// Minutes not settled yet, oldest first.
    slots: VecDeque<Slot>,
    /// The oldest minute changed since the last drain; `i64::MAX` if none.
    first_changed: i64,
    /// Hours of the minutes settled and forgotten.
    hours: Ring,
}

impl CellSeries {
    fn new(hours_kept: i64) -> Self {
        CellSeries {
            slots: VecDeque::new(),
            first_changed: i64::MAX,
            hours: Ring::new(hours_kept),
        }
    }
}

/// Per-minute and per-hour counts per cell id, with the minutes changed
/// since the last [`CellHistory::drain_changed`]. A drain walks each changed
/// cell once, from its oldest changed minute on.
#[derive(Debug)]
pub struct CellHistory {
    by_cell: Vec<CellSeries>,
    /// Hours each cell keeps: the longest window's.
    hours_kept: i64,
    /// Cells with a changed minute, each once.
    changed: Vec<u32>,
    held: usize,
}

impl CellHistory {
    /// Empty, keeping `hours_kept` hours per cell.
    pub fn new(hours_kept: i64) -> Self {
        CellHistory {
            by_cell: Vec::new(),
            hours_kept: hours_kept.max(1),
            changed: Vec::new(),
            held: 0,
        }
    }

    /// Counts `counts` in `cell` at `minute`.
    pub fn add(&mut self, minute: i64, cell: u32, counts: &Counts) {
        let cell_index = cell as usize;
        if self.by_cell.len() <= cell_index {
            let hours_kept = self.hours_kept;
            self.by_cell
                .resize_with(cell_index + 1, || CellSeries::new(hours_kept));
        }
        let series = &mut self.by_cell[cell_index];
        let slots = &mut series.slots;
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
        if series.first_changed == i64::MAX {
            self.changed.push(cell);
        }
        series.first_changed = series.first_changed.min(minute);
        let slot = &mut slots[at];
        slot.changed = true;
        slot.counts.add(counts);
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

    /// Marks every minute held as changed, so that the next drain returns
    /// them all.
    pub fn mark_all_changed(&mut self) {
        for (cell, series) in self.by_cell.iter_mut().enumerate() {
            let Some(first) = series.slots.front() else {
                continue;
            };
            if series.first_changed == i64::MAX {
                self.changed.push(cell as u32);
            }
            series.first_changed = first.minute;
            for slot in &mut series.slots {
                slot.changed = true;
            }
        }
    }

    /// Forgets minutes before `minute` (they can no longer change), adding
    /// them to their hours for the rolling windows.
    pub fn forget_before(&mut self, minute: i64) {
        for series in &mut self.by_cell {
            let slots = &mut series.slots;
            if slots.front().is_none_or(|s| s.minute >= minute) {
                continue;
            }
            let gone = slots.partition_point(|s| s.minute < minute);
            for slot in slots.drain(..gone) {
                series.hours.add(slot.minute.div_euclid(60), &slot.counts);
            }
            self.held -= gone;
            if slots.capacity() > 2 * slots.len() + 16 {
                slots.shrink_to_fit();
            }
        }
    }

    /// The counts of `cell` over the window of `window` minutes at `now`
    /// (see [`crate::rolling`] for what a window covers).
    pub fn window(&self, cell: u32, window: i64, now: i64) -> Counts {
        let mut sum = Counts::default();
        let Some(series) = self.by_cell.get(cell as usize) else {
            return sum;
        };
        let (first, last) = if window > 60 {
            let hour = now.div_euclid(60);
            let first_hour = hour - window / 60 + 1;
            sum = series.hours.sum(first_hour, hour);
            (first_hour * 60, hour * 60 + 59)
        } else {
            (now - window + 1, now)
        };
        for slot in series.slots.iter().rev() {
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

    /// (minute, responses) of every drained row, in order.
    fn drained(minutes: &mut CellHistory, cells: &CellIndex) -> Vec<(i64, u32)> {
        let mut rows: Vec<(i64, u32)> = minutes
            .drain_changed(cells)
            .iter()
            .map(|r| (r.minute, r.counts.responses))
            .collect();
        rows.sort();
        rows
    }

    #[test]
    fn changed_minutes_are_drained_once_in_full_and_forgotten_ones_are_skipped() {
        let mut cells = CellIndex::default();
        let dims = cells.dims_id(["f", "o", "d", "j", "s", "patient", "sms", "unknown", "q"]);
        let (a, _) = cells.cell_id(dims, "overall", carepulse_model::Scale::Rating0To10);
        let (b, _) = cells.cell_id(dims, "wait", carepulse_model::Scale::Rating0To10);
        let mut minutes = CellHistory::new(24);
        for (minute, cell) in [(10, a), (12, a), (11, a), (10, a), (5, b)] {
            minutes.add(minute, cell, &one());
        }
        assert_eq!(minutes.len(), 4);
        let rows = drained(&mut minutes, &cells);
        assert_eq!(rows, [(5, 1), (10, 2), (11, 1), (12, 1)]);
        assert!(minutes.drain_changed(&cells).is_empty());

        minutes.add(11, a, &one());
        minutes.add(5, b, &one());
        minutes.forget_before(6);
        let rows = minutes.drain_changed(&cells);
        assert_eq!(rows.len(), 1, "minute 5 was forgotten after it changed");
        assert_eq!((rows[0].minute, rows[0].counts.responses), (11, 2));
        assert_eq!(minutes.len(), 3);
        assert_eq!(
            minutes.window(a, 24 * 60, 12).responses,
            5,
            "hours are kept when minutes are forgotten"
        );
        assert_eq!(minutes.window(a, 2, 12).responses, 3, "minutes 11 and 12");

        minutes.add(12, a, &one());
        minutes.mark_all_changed();
        let rows = drained(&mut minutes, &cells);
        assert_eq!(rows, [(10, 2), (11, 2), (12, 2)], "every minute held, once");
        assert!(minutes.drain_changed(&cells).is_empty());
    }
}
