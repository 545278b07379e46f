//! Replays a stream of answers through several detector configurations in
//! accelerated time, as the stream processor will: every tick, one tally
//! per key that received answers, then the tick itself.

use std::collections::BTreeMap;

use carepulse_detect::{Alert, Detectors, Settings, Tally};
use chrono::{DateTime, TimeDelta, Utc};

use crate::stream::{Answer, KeySet};

/// An alert that fired or resolved, under configuration `config`.
pub struct Change {
    /// Index of the configuration.
    pub config: usize,
    /// The alert at the change.
    pub alert: Alert,
}

/// Detectors for each configuration, fed the same ticks.
pub struct Replay {
    detectors: Vec<Detectors>,
    tick: TimeDelta,
    next: DateTime<Utc>,
    pending: BTreeMap<usize, Tally>,
    /// Every alert change so far, in time order per configuration.
    pub changes: Vec<Change>,
}

impl Replay {
    /// A replay starting at `start` with ticks of `tick`.
    pub fn new(settings: &[Settings], start: DateTime<Utc>, tick: TimeDelta) -> Replay {
        Replay {
            detectors: settings.iter().cloned().map(Detectors::new).collect(),
            tick,
            next: start + tick,
            pending: BTreeMap::new(),
            changes: Vec::new(),
        }
    }

    /// Takes one answer; runs the ticks that ended before it.
    pub fn push(&mut self, answer: &Answer, keys: &KeySet) {
        while answer.at >= self.next {
            self.flush(keys);
        }
        for k in &answer.keys {
            self.pending.entry(*k).or_default().merge(&answer.tally);
        }
    }

    /// Runs the remaining ticks up to `end`.
    pub fn finish(&mut self, end: DateTime<Utc>, keys: &KeySet) {
        while self.next <= end {
            self.flush(keys);
        }
    }

    fn flush(&mut self, keys: &KeySet) {
        let at = self.next;
        for (config, detectors) in self.detectors.iter_mut().enumerate() {
            let mut record = |alerts: Vec<Alert>| {
                let changes = alerts.into_iter().map(|alert| Change { config, alert });
                self.changes.extend(changes);
            };
            for (k, tally) in &self.pending {
                record(detectors.observe(&keys.keys()[*k], at, tally));
            }
            record(detectors.tick(at));
        }
        self.pending.clear();
        self.next += self.tick;
    }
}
