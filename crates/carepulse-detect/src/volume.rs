//! Silence and volume collapse for one key: fewer answers than its usual
//! hours explain.
//!
//! The usual volume is a rate per local hour of the week (168 slots),
//! averaged over the history (`baseline_days`, firing episodes left out).
//! Quiet nights and closed weekends therefore expect nothing, and silence
//! there is no news.
//!
//! - Silence: no answer since `last`, where the usual rates expect `e`
//!   answers; fires when `P(0 answers) = exp(-e) <= alpha` and the silence
//!   is at least `min_silence_minutes` long. Resolves with the next answer.
//!   Each answer ends a gap and each gap looks silent by chance with
//!   probability `alpha`, so `alpha = false_alerts_per_30_days / answers
//!   per 30 days` gives every key the same false alert rate in time.
//! - Collapse: in the last `collapse_hours`, `o` answers where `e` were
//!   expected; fires when `o <= collapse_ratio · e` and the Poisson
//!   probability `P(X <= o)` is at most `alpha`; resolves when `o` is back
//!   to `recover_ratio · e` at hours that expect answers (`e >= ln(1 /
//!   alpha)`, so a quiet night does not count as a recovery).
//!
//! Nothing fires before the key has `min_history_days` of history.

use chrono::{DateTime, TimeDelta, Utc};

use crate::alert::{stable_id, Alert, AlertKind, AlertState, Measure, Reading};
use crate::config::VolumeConfig;
use crate::history::{hour_of, slot_at, Clock, History, Hour, WEEK};
use crate::proportion::poisson_cdf;
use crate::Key;

/// Volume watching state for one key: the usual rates (1.3 KiB, rebuilt
/// once an hour) and the alert while one fires.
#[derive(Debug, Clone, Default)]
pub(crate) struct VolumeWatch {
    last_answer: Option<DateTime<Utc>>,
    /// The usual rates, when they were computed and the UTC offset then.
    rates: Option<(Hour, i64, Box<[f64; WEEK]>)>,
    firing: Option<Alert>,
    quiet_until: Option<DateTime<Utc>>,
}

/// What the watcher needs from the key it serves.
pub(crate) struct Context<'a> {
    pub key: &'a Key,
    pub config: &'a VolumeConfig,
    pub dashboard: &'a str,
    pub baseline_hours: i64,
    pub clock: Clock,
}

impl VolumeWatch {
    /// The alert while one fires.
    pub fn firing(&self) -> Option<&Alert> {
        self.firing.as_ref()
    }

    /// Answers arrived at `at`: a silence is over.
    pub fn observe(
        &mut self,
        cx: &Context<'_>,
        history: &mut History,
        at: DateTime<Utc>,
    ) -> Option<Alert> {
        self.last_answer = Some(self.last_answer.map_or(at, |last| last.max(at)));
        match &self.firing {
            Some(alert) if alert.kind == AlertKind::Silence => self.resolve(cx, history, at),
            _ => None,
        }
    }

    /// Checks the key at `now`; returns an alert that fired or resolved.
    pub fn tick(
        &mut self,
        cx: &Context<'_>,
        history: &mut History,
        now: DateTime<Utc>,
    ) -> Option<Alert> {
        let c = cx.config;
        let hour = hour_of(now);
        let known = history.known_since()?;
        if hour - known < i64::from(c.min_history_days) * 24 {
            return None;
        }
        if self.rates.as_ref().is_none_or(|(at, _, _)| *at != hour) {
            let rates = usual_rates(history, hour - cx.baseline_hours, hour, cx.clock);
            self.rates = Some((hour, cx.clock.offset(hour), rates));
        }
        let window_start = (hour - i64::from(c.collapse_hours) + 1) * 3600;
        let window_start = DateTime::from_timestamp(window_start, 0).unwrap_or(now);
        let observed = u64::from(history.sum_all(hour_of(window_start), hour + 1).responses);
        let expected = self.expected(window_start, now);
        let alpha = self.alpha(c);
        if let Some(alert) = &self.firing {
            let back = alert.kind == AlertKind::VolumeCollapse
                && expected >= -alpha.ln()
                && observed as f64 >= c.recover_ratio * expected;
            return back.then(|| self.resolve(cx, history, now)).flatten();
        }
        if self.quiet_until.is_some_and(|q| now < q) {
            return None;
        }
        let last = self.last_answer?;
        let silent = self.expected(last, now);
        if now - last >= TimeDelta::minutes(i64::from(c.min_silence_minutes))
            && poisson_cdf(0, silent) <= alpha
        {
            let evidence = format!(
                "no answers for {} min where {silent:.1} were expected (P = {:.1e})",
                (now - last).num_minutes(),
                poisson_cdf(0, silent)
            );
            return self.fire(cx, AlertKind::Silence, (last, now), (0, silent), evidence);
        }
        let p = poisson_cdf(observed, expected);
        if observed as f64 <= c.collapse_ratio * expected && p <= alpha {
            let evidence = format!(
                "{observed} answers in {} h where {expected:.1} were expected (P = {p:.1e})",
                c.collapse_hours
            );
            let window = (window_start, now);
            return self.fire(
                cx,
                AlertKind::VolumeCollapse,
                window,
                (observed, expected),
                evidence,
            );
        }
        None
    }

    /// The significance of both checks: fixed, or the design rate of false
    /// alerts over the usual answers per 30 days.
    fn alpha(&self, c: &VolumeConfig) -> f64 {
        let per_30_days = self.rates.as_ref().map_or(0.0, |(_, _, rates)| {
            rates.iter().sum::<f64>() * 720.0 / WEEK as f64
        });
        c.alpha
            .unwrap_or(c.false_alerts_per_30_days / per_30_days.max(1.0))
            .min(0.01)
    }

    /// Expected answers in `[from, to)` at the usual rates.
    fn expected(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
        let Some((_, offset, rates)) = &self.rates else {
            return 0.0;
        };
        (hour_of(from)..=hour_of(to))
            .map(|h| {
                let start = (h * 3600).max(from.timestamp());
                let end = ((h + 1) * 3600).min(to.timestamp());
                rates[slot_at(h, *offset)] * (end - start).max(0) as f64 / 3600.0
            })
            .sum()
    }

    fn fire(
        &mut self,
        cx: &Context<'_>,
        kind: AlertKind,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        (observed, expected): (u64, f64),
        evidence: String,
    ) -> Option<Alert> {
        let hours = ((to - from).num_seconds() as f64 / 3600.0).max(1.0 / 60.0);
        let per_hour = |count: f64, n: u64| Reading {
            value: count / hours,
            low: None,
            high: None,
            n,
            from,
            to,
        };
        let alert = Alert {
            id: stable_id(kind, cx.key, Measure::Volume, from),
            kind,
            state: AlertState::Firing,
            severity: cx.config.severity,
            key: cx.key.clone(),
            measure: Measure::Volume,
            current: per_hour(observed as f64, observed),
            baseline: per_hour(expected, expected.round() as u64),
            since: from,
            fired_at: to,
            updated_at: to,
            resolved_at: None,
            evidence,
            link: crate::alert::dashboard_link(cx.dashboard, cx.key, from),
        };
        self.firing = Some(alert.clone());
        Some(alert)
    }

    fn resolve(
        &mut self,
        cx: &Context<'_>,
        history: &mut History,
        at: DateTime<Utc>,
    ) -> Option<Alert> {
        let mut alert = self.firing.take()?;
        alert.state = AlertState::Resolved;
        alert.resolved_at = Some(at);
        alert.updated_at = at;
        history.exclude(hour_of(alert.since), hour_of(at));
        self.quiet_until = Some(at + TimeDelta::hours(i64::from(cx.config.cooldown_hours)));
        Some(alert)
    }
}

/// Usual answers per hour for each hour of the week, from hours
/// `[from, to)` that are known and not excluded. A slot never seen expects
/// nothing (unknown is not busy). No smoothing across hours: it would
/// spread a clinic's opening hours into the hours it is closed.
fn usual_rates(history: &History, from: Hour, to: Hour, clock: Clock) -> Box<[f64; WEEK]> {
    let (sums, hours) = history.by_hour_of_week(from, to, clock);
    let mut rates = Box::new([0.0; WEEK]);
    for s in (0..WEEK).filter(|s| hours[*s] > 0) {
        rates[s] = f64::from(sums[s].responses) / f64::from(hours[s]);
    }
    rates
}
