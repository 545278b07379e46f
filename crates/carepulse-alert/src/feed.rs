//! Which events read from ClickHouse are new: a bounded memory of the ids
//! already fed, and the tally of one answer.
//!
//! Each tick reads `received_at` in `[previous tick - overlap, now]`, so
//! most rows are read more than once; a redelivered event written again by
//! the processor comes back with the same id and `received_at` until
//! ClickHouse merges it away. Ids are remembered by a 64-bit hash with their
//! `received_at`: an id older than the start of the next read can never be
//! read again and is forgotten, and past `capacity` the oldest go first (a
//! burst larger than that may feed a few rows twice; it is logged). At a
//! million ids the memory is about 50 MiB; a hash collision (one in 10^7
//! at that size) would leave one answer out.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

use carepulse_model::{EventView, Tally};

/// The ids of events already fed, bounded.
#[derive(Debug)]
pub struct SeenEvents {
    by_id: HashMap<u64, i64>,
    by_time: BTreeSet<(i64, u64)>,
    capacity: usize,
    evicted_early: u64,
}

fn hash(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl SeenEvents {
    /// Remembers at most `capacity` ids.
    pub fn new(capacity: usize) -> SeenEvents {
        SeenEvents {
            by_id: HashMap::new(),
            by_time: BTreeSet::new(),
            capacity: capacity.max(1),
            evicted_early: 0,
        }
    }

    /// Remembers `id` (received at `received`, seconds); true when it was
    /// not remembered yet.
    pub fn insert(&mut self, id: &str, received: i64) -> bool {
        let h = hash(id);
        if self.by_id.contains_key(&h) {
            return false;
        }
        self.by_id.insert(h, received);
        self.by_time.insert((received, h));
        while self.by_id.len() > self.capacity {
            let Some(oldest) = self.by_time.pop_first() else {
                break;
            };
            self.by_id.remove(&oldest.1);
            self.evicted_early += 1;
        }
        true
    }

    /// Forgets ids received before `t` (seconds): reads no longer reach them.
    pub fn forget_before(&mut self, t: i64) {
        while let Some(&(received, h)) = self.by_time.first() {
            if received >= t {
                break;
            }
            self.by_time.pop_first();
            self.by_id.remove(&h);
        }
    }

    /// Ids held.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether none are held.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Ids forgotten because of the capacity, not their age.
    pub fn evicted_early(&self) -> u64 {
        self.evicted_early
    }
}

/// The tally of the overall answer of a stored event (its JSON payload);
/// `None` when it does not decode or the answer does not fit its scale
/// (never for a counted event).
pub fn overall_tally(payload: &str) -> Option<Tally> {
    let event = EventView::from_json(payload.as_bytes()).ok()?;
    let response = event.overall.scale.read(event.overall.value.as_ref())?;
    Some(Tally::one(&response))
}

/// `tally` counted `n` times.
pub fn times(tally: &Tally, n: u64) -> Tally {
    Tally {
        responses: tally.responses * n,
        valid: tally.valid * n,
        linear_sum: tally.linear_sum * n as f64,
        top_box: tally.top_box * n,
        bottom_box: tally.bottom_box * n,
        positive: tally.positive * n,
        negative: tally.negative * n,
        dont_know: tally.dont_know * n,
        promoters: tally.promoters * n,
        passives: tally.passives * n,
        detractors: tally.detractors * n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_fed_once_and_forgotten_when_reads_pass_it() {
        let mut seen = SeenEvents::new(10);
        assert!(seen.insert("a", 100));
        assert!(!seen.insert("a", 100), "read again in the overlap");
        assert!(seen.insert("b", 160));
        seen.forget_before(150);
        assert_eq!(seen.len(), 1);
        assert!(seen.insert("a", 100), "older than any read: forgotten");
    }

    #[test]
    fn the_capacity_bounds_memory_oldest_first() {
        let mut seen = SeenEvents::new(3);
        for (i, id) in ["a", "b", "c", "d"].iter().enumerate() {
            seen.insert(id, i as i64);
        }
        assert_eq!(seen.len(), 3);
        assert_eq!(seen.evicted_early(), 1);
        assert!(!seen.insert("d", 3));
        assert!(seen.insert("a", 0), "the oldest went first");
    }

    #[test]
    fn a_tally_times_n_is_n_tallies() {
        let one = Tally {
            responses: 1,
            valid: 1,
            top_box: 1,
            linear_sum: 100.0,
            ..Tally::default()
        };
        let mut sum = Tally::default();
        (0..3).for_each(|_| sum.merge(&one));
        assert_eq!(times(&one, 3), sum);
    }
}
