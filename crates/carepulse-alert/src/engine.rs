//! The synchronous core of the alerter: the detectors of every key, fed
//! with what ClickHouse returned. No IO and no clock, so tests drive it
//! with any time they like (the async loop in `alerter` reads and delivers
//! around it).

use std::collections::BTreeMap;

use carepulse_detect::{Alert, Detectors, Key, Settings};
use carepulse_model::Tally;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use crate::feed::SeenEvents;
use crate::keys::{Dims, KeyCache};

/// One counted event, as read for a tick.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    /// Event id (deduplication).
    pub event_id: String,
    /// When ingest accepted it: the time the detectors count it at.
    pub received_at: DateTime<Utc>,
    /// Its dimensions (the keys it counts in).
    pub dims: Dims,
    /// Its overall answer, counted.
    pub tally: Tally,
}

/// The answers of one cell in one hour of arrival, for the backfill.
#[derive(Debug, Clone, PartialEq)]
pub struct HourCount {
    /// Start of the hour.
    pub hour: DateTime<Utc>,
    /// The cell's dimensions.
    pub dims: Dims,
    /// The answers.
    pub tally: Tally,
}

/// What one tick did.
#[derive(Debug, Clone, Default)]
pub struct Fed {
    /// Alerts that fired or resolved, in order.
    pub changes: Vec<Alert>,
    /// Events fed (rows read again left out).
    pub new_events: usize,
    /// `observe` calls made.
    pub observations: usize,
}

/// Detectors, the ids already fed, and the keys of each cell.
pub struct Engine {
    detectors: Detectors,
    seen: SeenEvents,
    keys: KeyCache,
    overlap: TimeDelta,
}

fn hour_start(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at)
}

impl Engine {
    /// An engine with no history; reads reach `overlap` before the
    /// previous tick.
    pub fn new(settings: Settings, max_remembered: usize, overlap: TimeDelta) -> Engine {
        Engine {
            detectors: Detectors::new(settings),
            seen: SeenEvents::new(max_remembered),
            keys: KeyCache::default(),
            overlap,
        }
    }

    /// Loads hourly counts (any order: they are sorted here, oldest first,
    /// as the detectors need) into every key's history.
    pub fn backfill_hours(&mut self, mut counts: Vec<HourCount>) {
        counts.sort_by_key(|c| c.hour);
        let mut by_key: BTreeMap<(DateTime<Utc>, Key), Tally> = BTreeMap::new();
        for count in &counts {
            for key in self.keys.keys(&count.dims) {
                by_key
                    .entry((count.hour, key.clone()))
                    .or_default()
                    .merge(&count.tally);
            }
        }
        for ((hour, key), tally) in by_key {
            self.detectors.backfill(&key, hour, &tally);
        }
    }

    /// Loads events of the last overlap before the start into the history
    /// and remembers their ids, so the first tick, which reads them again,
    /// does not count them twice.
    pub fn backfill_arrivals(&mut self, arrivals: &[Arrival]) {
        let mut by_key: BTreeMap<(DateTime<Utc>, Key), Tally> = BTreeMap::new();
        for a in arrivals {
            if !self.seen.insert(&a.event_id, a.received_at.timestamp()) {
                continue;
            }
            for key in self.keys.keys(&a.dims) {
                by_key
                    .entry((hour_start(a.received_at), key.clone()))
                    .or_default()
                    .merge(&a.tally);
            }
        }
        for ((hour, key), tally) in by_key {
            self.detectors.backfill(&key, hour, &tally);
        }
    }

    /// One tick at `now`: feeds the events not fed before, per key in
    /// arrival order, then runs the volume checks. `floor` is the previous
    /// tick's time: an event that became visible late (its `received_at`
    /// before `floor`) counts at `floor`, the tick that consumed it, so no
    /// key's time goes backwards.
    pub fn feed(&mut self, arrivals: &[Arrival], floor: DateTime<Utc>, now: DateTime<Utc>) -> Fed {
        let mut fed = Fed::default();
        let mut groups: BTreeMap<(DateTime<Utc>, Key), (DateTime<Utc>, Tally)> = BTreeMap::new();
        for a in arrivals {
            if !self.seen.insert(&a.event_id, a.received_at.timestamp()) {
                continue;
            }
            fed.new_events += 1;
            let at = a.received_at.max(floor).min(now);
            for key in self.keys.keys(&a.dims) {
                let (last, tally) = groups
                    .entry((hour_start(at), key.clone()))
                    .or_insert((at, Tally::default()));
                *last = (*last).max(at);
                tally.merge(&a.tally);
            }
        }
        for ((_, key), (at, tally)) in groups {
            fed.observations += 1;
            fed.changes.extend(self.detectors.observe(&key, at, &tally));
        }
        fed.changes.extend(self.detectors.tick(now));
        self.seen.forget_before((now - self.overlap).timestamp());
        fed
    }

    /// The detectors (firing alerts, key count).
    pub fn detectors(&self) -> &Detectors {
        &self.detectors
    }

    /// Event ids remembered.
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carepulse_detect::{AlertKind, AlertState};

    fn dims() -> Dims {
        Dims {
            facility: "f".into(),
            department: "d".into(),
            journey: "j".into(),
            stage: "s".into(),
            touchpoint: "t".into(),
            experience: "patient".into(),
            source_id: String::new(),
        }
    }

    fn answer(id: usize, at: DateTime<Utc>, top: bool) -> Arrival {
        Arrival {
            event_id: format!("e{id}"),
            received_at: at,
            dims: dims(),
            tally: Tally {
                responses: 1,
                valid: 1,
                top_box: u64::from(top),
                ..Tally::default()
            },
        }
    }

    /// Four answers an hour, half top box for four weeks, then one in ten:
    /// backfilled for 28 days, then fed hour by hour; `reread` reads every
    /// row of the last two hours again at each tick, as the overlap does.
    fn replay(reread: bool) -> Vec<Alert> {
        let start: DateTime<Utc> = "2026-03-02T00:00:00Z".parse().unwrap();
        let mut engine = Engine::new(Settings::default(), 10_000, TimeDelta::hours(2));
        let steady = Tally {
            responses: 4,
            valid: 4,
            top_box: 2,
            ..Tally::default()
        };
        let hours = (0..28 * 24)
            .map(|h| HourCount {
                hour: start + TimeDelta::hours(h),
                dims: dims(),
                tally: steady,
            })
            .collect();
        engine.backfill_hours(hours);
        let mut rows = Vec::new();
        let mut changes = Vec::new();
        let mut floor = start + TimeDelta::days(28);
        for h in (28 * 24)..(35 * 24) {
            let hour = start + TimeDelta::hours(h);
            for q in 0..4 {
                let top = (h * 4 + q) % 10 == 0;
                let at = hour + TimeDelta::minutes(15 * q);
                rows.push(answer(rows.len(), at, top));
            }
            let now = hour + TimeDelta::hours(1);
            let from = if reread {
                floor - TimeDelta::hours(2)
            } else {
                floor
            };
            let read: Vec<Arrival> = rows
                .iter()
                .filter(|a| a.received_at >= from)
                .cloned()
                .collect();
            changes.extend(engine.feed(&read, floor, now).changes);
            assert!(
                engine.remembered() <= 3 * 4,
                "ids older than the overlap are forgotten"
            );
            floor = now;
        }
        changes
    }

    #[test]
    fn a_drop_fires_once_per_key_though_rows_are_read_twice() {
        let changes = replay(true);
        let fired: Vec<&Alert> = changes
            .iter()
            .filter(|a| a.state == AlertState::Firing && a.kind == AlertKind::ScoreDrop)
            .collect();
        assert_eq!(fired.len(), 6, "one per key (six keys): {fired:#?}");
        assert!(fired.iter().all(|a| a.current.value < 20.0));
        assert_eq!(changes, replay(false), "rows read twice count once");
    }
}
