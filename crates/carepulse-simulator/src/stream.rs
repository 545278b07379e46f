//! The generator: a lazy, time-ordered iterator of items for one run.
//!
//! Simulated time advances in clock hours. Each hour brings Poisson
//! visits per journey (scaled by the rhythm at the facility's local hour);
//! each visit walks its stages, and at each stage's touchpoints the visitor
//! may answer, at once or hours later. Generated items wait in a queue
//! ordered by send time and leave it once no later hour can produce an
//! earlier one. Visits start `warm_up` before the run (the longest journey
//! plus the slowest answer), so late answers flow from the first minute.
//!
//! Everything random comes from one `ChaCha8Rng` seeded with the run's
//! seed and is drawn in a fixed order (scenario order, never a hash map),
//! so a seed and a start give the same stream byte for byte on the same
//! platform.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use chrono::{DateTime, Datelike, DurationRound, TimeDelta, Timelike, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::incident::What;
use crate::item::Item;
use crate::rhythm::poisson;
use crate::scenario::Scenario;

/// One run of a scenario: the seed and the simulated period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Seed of the random generator; the same seed and start reproduce the
    /// same stream.
    pub seed: u64,
    /// Start of the simulated period.
    pub start: DateTime<Utc>,
    /// Length of the simulated period.
    pub duration: TimeDelta,
}

impl Run {
    /// A run that ends at `now`: the default for accelerated and
    /// as-fast-as-possible paces. Every generated time then lies in the
    /// past when it is sent (simulated time runs ahead of the wall clock,
    /// but starts far enough back never to overtake it), and within the
    /// ingest service's 400-day window as long as `duration` is shorter.
    pub fn ending_at(seed: u64, duration: TimeDelta, now: DateTime<Utc>) -> Run {
        Run {
            seed,
            start: now - duration,
            duration,
        }
    }

    /// The end of the simulated period (exclusive).
    pub fn end(&self) -> DateTime<Utc> {
        self.start + self.duration
    }
}

/// An item waiting for its send time; ties keep generation order.
pub(crate) struct Queued {
    order: u64,
    item: Item,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.item.at, self.order).cmp(&(other.item.at, other.order))
    }
}

/// The items of one run, in send order. Made by
/// [`Scenario::stream`](crate::Scenario::stream).
pub struct Stream<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) run: Run,
    pub(crate) rng: ChaCha8Rng,
    /// Incident windows, in the order of the scenario's incidents.
    pub(crate) windows: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    next_id: u64,
    order: u64,
    /// Start of the next hour to generate.
    hour: DateTime<Utc>,
    queue: BinaryHeap<Reverse<Queued>>,
}

impl Scenario {
    /// The stream of items of `run`.
    pub fn stream(&self, run: &Run) -> Stream<'_> {
        let first = (run.start - self.warm_up)
            .duration_trunc(TimeDelta::hours(1))
            .unwrap_or(run.start - self.warm_up);
        Stream {
            scenario: self,
            run: *run,
            rng: ChaCha8Rng::seed_from_u64(run.seed),
            windows: self
                .incidents
                .iter()
                .map(|i| i.window(run.start, run.duration))
                .collect(),
            next_id: 0,
            order: 0,
            hour: first,
            queue: BinaryHeap::new(),
        }
    }
}

impl Stream<'_> {
    /// A fresh id: `sim-SEED-N`.
    pub(crate) fn next_id(&mut self) -> String {
        self.next_id += 1;
        format!("sim-{}-{}", self.run.seed, self.next_id)
    }

    /// Queues an item when it is sent within the run.
    pub(crate) fn push(&mut self, item: Item) {
        if item.at < self.run.start || item.at >= self.run.end() {
            return;
        }
        self.order += 1;
        self.queue.push(Reverse(Queued {
            order: self.order,
            item,
        }));
    }

    /// A uniformly random span from `low` to `high`, to the millisecond.
    pub(crate) fn between(&mut self, low: TimeDelta, high: TimeDelta) -> TimeDelta {
        let (low, high) = (low.num_milliseconds(), high.num_milliseconds());
        if high <= low {
            return TimeDelta::milliseconds(low);
        }
        TimeDelta::milliseconds(self.rng.random_range(low..=high))
    }

    /// Generates the visits and incident items of one hour.
    fn generate_hour(&mut self) {
        let hour = self.hour;
        let scenario = self.scenario;
        for (j, journey) in scenario.journeys.iter().enumerate() {
            let local = hour.with_timezone(&journey.tz);
            let intensity = journey
                .rhythm
                .at(local.hour(), local.weekday().num_days_from_monday());
            let visits = poisson(&mut self.rng, journey.visits_per_day / 24.0 * intensity);
            for _ in 0..visits {
                let start =
                    hour + self.between(TimeDelta::zero(), TimeDelta::milliseconds(3_599_999));
                self.visit(j, start);
            }
        }
        for (i, incident) in scenario.incidents.iter().enumerate() {
            let (from, to) = self.windows[i];
            match &incident.what {
                What::BadEvents {
                    per_minute,
                    facility,
                } => {
                    let from = from.max(hour).max(self.run.start);
                    let to = to.min(hour + TimeDelta::hours(1)).min(self.run.end());
                    if from < to {
                        let minutes = (to - from).num_milliseconds() as f64 / 60_000.0;
                        let n = poisson(&mut self.rng, per_minute * minutes);
                        for _ in 0..n {
                            let at = from
                                + self.between(
                                    TimeDelta::zero(),
                                    to - from - TimeDelta::milliseconds(1),
                                );
                            self.bad_event(&incident.name, facility, at);
                        }
                    }
                }
                What::ButtonMash { .. } if from >= hour && from < hour + TimeDelta::hours(1) => {
                    self.button_mash(&incident.name, &incident.what, from, to);
                }
                _ => {}
            }
        }
    }
}

impl Iterator for Stream<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            let done = self.hour >= self.run.end();
            if let Some(Reverse(first)) = self.queue.peek() {
                if done || first.item.at < self.hour {
                    return self.queue.pop().map(|Reverse(q)| q.item);
                }
            }
            if done {
                return None;
            }
            self.generate_hour();
            self.hour += TimeDelta::hours(1);
        }
    }
}
