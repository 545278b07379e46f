//! [`Detectors`]: every key's history and detectors, fed by the stream
//! processor with one tally per key and tick, and asked for volume checks
//! once per tick.

use std::collections::BTreeMap;

use carepulse_model::Tally;
use chrono::{DateTime, Utc};

use crate::alert::Alert;
use crate::drop::{self, DropWatch};
use crate::history::{hour_of, Counts, History};
use crate::key::Key;
use crate::settings::{RuleSettings, Settings};
use crate::volume::{self, VolumeWatch};

/// One key's state: 18.4 KiB of hourly history (49 days by default), 1.3
/// KiB of usual rates, 1.3 KiB of expected shares per watched share and a
/// few hundred bytes of detector state: about 21 KiB.
#[derive(Debug, Clone)]
struct KeyState {
    rule: usize,
    history: History,
    drops: Vec<DropWatch>,
    volume: Option<VolumeWatch>,
}

/// Drop and volume detectors for every key seen.
#[derive(Debug, Clone)]
pub struct Detectors {
    settings: Settings,
    keys: BTreeMap<Key, KeyState>,
}

impl Detectors {
    /// Detectors with checked settings.
    pub fn new(settings: Settings) -> Detectors {
        Detectors {
            settings,
            keys: BTreeMap::new(),
        }
    }

    fn state(&mut self, key: &Key) -> &mut KeyState {
        let settings = &self.settings;
        self.keys.entry(key.clone()).or_insert_with(|| {
            let rule = settings.rule_for(key);
            let RuleSettings { drop, volume, .. } = &settings.rules[rule];
            let drops = match drop.enabled {
                true => drop
                    .scores
                    .iter()
                    .map(|s| DropWatch::new(*s, drop))
                    .collect(),
                false => Vec::new(),
            };
            KeyState {
                rule,
                history: History::new(drop.history_hours()),
                drops,
                volume: volume.enabled.then(VolumeWatch::default),
            }
        })
    }

    /// Records the answers that became visible for `key` since its last
    /// observation, at `at` (the tick's time; not before earlier ticks),
    /// and evaluates the key's drop detectors. Returns the alerts that
    /// fired or resolved.
    pub fn observe(&mut self, key: &Key, at: DateTime<Utc>, tally: &Tally) -> Vec<Alert> {
        let counts = Counts::of(tally);
        self.state(key).history.add(hour_of(at), counts);
        let Some(state) = self.keys.get_mut(key) else {
            return Vec::new();
        };
        let rule = &self.settings.rules[state.rule];
        let dashboard = self.settings.dashboard_url.as_str();
        let mut changes = Vec::new();
        let cx = drop::Context {
            key,
            config: &rule.drop,
            dashboard,
            clock: rule.clock,
        };
        for watch in &mut state.drops {
            changes.extend(watch.observe(&cx, &mut state.history, at, counts));
        }
        if let (Some(watch), true) = (&mut state.volume, counts.responses > 0) {
            let cx = volume_context(rule, key, dashboard);
            changes.extend(watch.observe(&cx, &mut state.history, at));
        }
        changes
    }

    /// Loads past counts into a key's history without evaluating anything:
    /// for a restart, feed the hourly tallies of the last
    /// `baseline_days + max_recent_days` days (oldest first) before the
    /// first [`Detectors::observe`].
    pub fn backfill(&mut self, key: &Key, hour: DateTime<Utc>, tally: &Tally) {
        let counts = Counts::of(tally);
        self.state(key).history.add(hour_of(hour), counts);
    }

    /// Runs the volume checks of every key at `now` (call once per tick,
    /// after the tick's observations) and forgets keys with no data and no
    /// alert for longer than their history. Returns the alerts that fired
    /// or resolved.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Alert> {
        let hour = hour_of(now);
        let mut changes = Vec::new();
        let dashboard = self.settings.dashboard_url.as_str();
        for (key, state) in &mut self.keys {
            state.history.advance(hour);
            if let Some(watch) = &mut state.volume {
                let cx = volume_context(&self.settings.rules[state.rule], key, dashboard);
                changes.extend(watch.tick(&cx, &mut state.history, now));
            }
        }
        self.keys.retain(|_, state| {
            let firing = state.drops.iter().any(|d| d.firing().is_some())
                || state.volume.as_ref().is_some_and(|v| v.firing().is_some());
            firing || state.history.sum_all(i64::MIN / 2, hour + 1).responses > 0
        });
        changes
    }

    /// Every alert now firing, one per key and measure (to re-send to
    /// Alertmanager within its resolve timeout).
    pub fn firing(&self) -> impl Iterator<Item = &Alert> {
        self.keys.values().flat_map(|state| {
            let drops = state.drops.iter().filter_map(DropWatch::firing);
            drops.chain(state.volume.iter().filter_map(VolumeWatch::firing))
        })
    }

    /// Keys held.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }
}

fn volume_context<'a>(
    rule: &'a RuleSettings,
    key: &'a Key,
    dashboard: &'a str,
) -> volume::Context<'a> {
    volume::Context {
        key,
        config: &rule.volume,
        dashboard,
        baseline_hours: i64::from(rule.drop.baseline_days) * 24,
        clock: rule.clock,
    }
}
