//! Score drop detection for one key and one share.
//!
//! Each observation (the answers of one tick) is compared with the share
//! the trailing baseline expects at that hour of the week (crate::baseline:
//! the last `baseline_days`, ending where the current excursion began,
//! firing episodes left out):
//!
//! 1. A persistent-shift chart on the answers, standardised by the
//!    expected share `p`: the lower tabular CUSUM of
//!    `z = (x - n p) / sqrt(p (1 - p))` with `k = design_drop / 2` in the
//!    same units and decision interval `h` (default), or an EWMA of the
//!    residual share with `λ` and `L`. An excursion (the CUSUM above zero,
//!    the EWMA below its centre) dates the drop: `since`.
//! 2. When the chart signals, the answers since then must pass every gate:
//!    at least `min_n` of them (and `min_baseline_n` in the baseline), a
//!    drop of at least `min_drop` points, and a pooled two-proportion
//!    z-test P-value of at most `alpha` against the baseline. Then the alert
//!    fires; while it fires the baseline is frozen and nothing new is
//!    raised.
//! 3. Hysteresis: the alert resolves only when a recovery CUSUM (upper
//!    side, reference line half the design drop below the expected share,
//!    decision interval `recovery_ratio · h`) shows the share is back. The key then
//!    cannot fire for `cooldown_hours`. The firing hours stay in later
//!    baselines: leaving them out biases the baseline upwards after every
//!    false alert (the evaluation showed that spiral), and a long real drop
//!    becomes the new normal after `baseline_days` either way.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::Reading;
use crate::alert::{stable_id, Alert, AlertKind, AlertState, Measure, Severity};
use crate::baseline::Baseline;
use crate::config::DropConfig;
use crate::cusum::{decision_interval, TabularCusum};
use crate::ewma::Ewma;
use crate::history::{hour_of, hour_start, Clock, Counts, History};
use crate::proportion::TwoProportions;
use crate::run::Tallied;

/// A share a drop detector watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Score {
    /// Top-box share of valid answers.
    TopBox,
    /// Favourable share of valid answers (CSAT, % agreeing, smiley happy).
    Positive,
}

impl Score {
    /// `top_box` or `positive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Score::TopBox => "top_box",
            Score::Positive => "positive",
        }
    }

    /// (answers in the share, valid answers).
    pub(crate) fn of(self, c: Counts) -> (u64, u64) {
        let x = match self {
            Score::TopBox => c.top_box,
            Score::Positive => c.positive,
        };
        (u64::from(x), u64::from(c.valid))
    }
}

/// The persistent-shift chart of a drop detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Lower tabular CUSUM (Page; Montgomery's tabular form).
    Cusum,
    /// EWMA with exact limits (Roberts; Montgomery).
    Ewma,
}

#[derive(Debug, Clone)]
enum Chart {
    Cusum(TabularCusum),
    Ewma(Ewma),
}

#[derive(Debug, Clone)]
struct Firing {
    alert: Alert,
    baseline: Baseline,
    /// The detection's decision interval when it fired.
    h: f64,
    recovery: TabularCusum,
    recovered: Option<Tallied>,
}

/// Drop detection state for one key and share: the chart, the answers of
/// the current excursion, the baseline's expected shares (1.3 KiB, rebuilt
/// when the baseline moves, at most once an hour) and the alert while one
/// fires.
#[derive(Debug, Clone)]
pub(crate) struct DropWatch {
    pub score: Score,
    chart: Chart,
    run: Option<Tallied>,
    baseline: Option<Baseline>,
    /// The CUSUM decision interval for the current baseline.
    h: f64,
    quiet_until: Option<DateTime<Utc>>,
    firing: Option<Box<Firing>>,
}

/// `σ` of one answer at share `p`, kept away from zero.
fn sigma(p: f64) -> f64 {
    let p = p.clamp(0.02, 0.98);
    (p * (1.0 - p)).sqrt()
}

/// What the detector needs from the key it serves.
pub(crate) struct Context<'a> {
    pub key: &'a crate::Key,
    pub config: &'a DropConfig,
    pub dashboard: &'a str,
    pub clock: Clock,
}

impl DropWatch {
    pub fn new(score: Score, config: &DropConfig) -> DropWatch {
        let chart = match config.method {
            Method::Cusum => Chart::Cusum(TabularCusum::new(0.0, 0.0, f64::INFINITY)),
            Method::Ewma => Chart::Ewma(Ewma::new(0.0, 0.5, config.lambda, config.width)),
        };
        DropWatch {
            score,
            chart,
            run: None,
            baseline: None,
            h: f64::INFINITY,
            quiet_until: None,
            firing: None,
        }
    }

    /// The alert while one fires.
    pub fn firing(&self) -> Option<&Alert> {
        self.firing.as_ref().map(|f| &f.alert)
    }

    /// Takes one tick's counts (already added to `history`); returns the
    /// alert when it fires or resolves.
    pub fn observe(
        &mut self,
        cx: &Context<'_>,
        history: &mut History,
        at: DateTime<Utc>,
        counts: Counts,
    ) -> Option<Alert> {
        let (x, n) = self.score.of(counts);
        if n == 0 {
            return None;
        }
        if self.firing.is_some() {
            return self.recover(cx, at, x, n);
        }
        let c = cx.config;
        let now = hour_of(at);
        if self
            .run
            .is_some_and(|r| at - r.since > TimeDelta::days(i64::from(c.max_recent_days)))
        {
            self.restart();
        }
        let end = self.run.map_or(now, |r| hour_of(r.since));
        if self.baseline.as_ref().is_none_or(|b| b.to != end) {
            let from = end - i64::from(c.baseline_days) * 24;
            let b = Baseline::build(
                history,
                self.score,
                (from, end),
                c.hour_of_week_prior,
                cx.clock,
            );
            // In control, the chart drifts down by k per answer; by less if
            // the baseline share is too high by `baseline_guard` standard
            // errors (sqrt(p (1 - p) / n) is 1 / sqrt(n) in these units).
            let k = c.design_drop / 200.0 / sigma(b.share());
            let k_guarded = k - c.baseline_guard / (b.n.max(1) as f64).sqrt();
            let arl = b.per_30_days() / c.false_alerts_per_30_days;
            self.h = c.h.unwrap_or_else(|| decision_interval(k_guarded, arl));
            self.baseline = Some(b);
        }
        let baseline = self.baseline.as_ref()?;
        if baseline.n < c.min_baseline_n {
            return None;
        }
        let p = baseline.expected(now);
        let (s, k) = (sigma(p), c.design_drop / 200.0 / sigma(p));
        let excursion = match &mut self.chart {
            Chart::Cusum(cusum) => {
                cusum.retune(0.0, k, self.h);
                cusum.observe_many((x as f64 - n as f64 * p) / s, n);
                cusum.lower.sum > 0.0
            }
            Chart::Ewma(ewma) => {
                ewma.retarget(0.0, sigma(baseline.share()));
                ewma.observe_many(x as f64 / n as f64 - p, n);
                ewma.value() < 0.0
            }
        };
        self.run = excursion.then(|| self.run.unwrap_or(Tallied::new(at)).plus(x, n, p));
        let signal = match &self.chart {
            Chart::Cusum(cusum) => cusum.lower_signal(),
            Chart::Ewma(ewma) => ewma.lower_signal(),
        };
        if !signal || self.quiet_until.is_some_and(|q| at < q) {
            return None;
        }
        let run = self.run?;
        let expected = run.expected_share();
        let test = TwoProportions::of_shares(run.share(), run.n, expected, baseline.n)?;
        let drop = (expected - run.share()) * 100.0;
        if run.n < c.min_n || drop < c.min_drop || test.p_lower() > c.alpha {
            return None;
        }
        let alert = self.alert(cx, at, run, test, drop)?;
        self.firing = Some(Box::new(Firing {
            alert: alert.clone(),
            baseline: self.baseline.clone()?,
            h: self.h,
            recovery: TabularCusum::new(0.0, 0.0, c.recovery_ratio * self.h),
            recovered: None,
        }));
        Some(alert)
    }

    fn alert(
        &self,
        cx: &Context<'_>,
        at: DateTime<Utc>,
        run: Tallied,
        test: TwoProportions,
        drop: f64,
    ) -> Option<Alert> {
        let c = cx.config;
        let b = self.baseline.as_ref()?;
        let chart = match self.chart {
            Chart::Cusum(_) => format!(
                "CUSUM (k = {} points / 2, h = {:.1})",
                c.design_drop, self.h
            ),
            Chart::Ewma(_) => format!("EWMA (λ = {}, L = {})", c.lambda, c.width),
        };
        let evidence = format!(
            "{chart} signalled; recent vs baseline z = {:.2} (one-sided P = {:.1e}); the baseline share {:.1}% adjusted to the recent answers' hours of the week",
            test.z,
            test.p_lower(),
            b.share() * 100.0
        );
        let measure = Measure::Share(self.score);
        let expected_x = (run.expected_share() * b.n as f64).round() as u64;
        Some(Alert {
            id: stable_id(AlertKind::ScoreDrop, cx.key, measure, run.since),
            kind: AlertKind::ScoreDrop,
            state: AlertState::Firing,
            severity: if drop >= c.critical_drop {
                Severity::Critical
            } else {
                Severity::Warning
            },
            key: cx.key.clone(),
            measure,
            current: Reading::share(run.x, run.n, run.since, at)?,
            baseline: Reading::share(expected_x, b.n, hour_start(b.from), hour_start(b.to))?,
            since: run.since,
            fired_at: at,
            updated_at: at,
            resolved_at: None,
            evidence,
            link: crate::alert::dashboard_link(cx.dashboard, cx.key, run.since),
        })
    }

    /// While firing: update the current reading and watch for recovery.
    fn recover(&mut self, cx: &Context<'_>, at: DateTime<Utc>, x: u64, n: u64) -> Option<Alert> {
        let c = cx.config;
        let firing = self.firing.as_mut()?;
        let p = firing.baseline.expected(hour_of(at));
        let (s, k) = (sigma(p), c.design_drop / 200.0 / sigma(p));
        let recovery = &mut firing.recovery;
        recovery.retune(-2.0 * k, k, c.recovery_ratio * firing.h);
        recovery.observe_many((x as f64 - n as f64 * p) / s, n);
        firing.recovered = (recovery.upper.sum > 0.0)
            .then(|| firing.recovered.unwrap_or(Tallied::new(at)).plus(x, n, p));
        let run = self.run?.plus(x, n, p);
        self.run = Some(run);
        let alert = &mut firing.alert;
        alert.current = Reading::share(run.x, run.n, run.since, at).unwrap_or(alert.current);
        alert.updated_at = at;
        if !recovery.upper_signal() {
            return None;
        }
        let back = firing.recovered.unwrap_or(Tallied::new(at));
        alert.current = Reading::share(back.x, back.n, back.since, at).unwrap_or(alert.current);
        alert.state = AlertState::Resolved;
        alert.resolved_at = Some(at);
        let resolved = alert.clone();
        self.firing = None;
        self.quiet_until = Some(at + TimeDelta::hours(i64::from(c.cooldown_hours)));
        self.restart();
        Some(resolved)
    }

    /// Forgets the excursion: the chart starts again from zero.
    fn restart(&mut self) {
        self.run = None;
        match &mut self.chart {
            Chart::Cusum(cusum) => cusum.reset(),
            Chart::Ewma(ewma) => ewma.reset(),
        }
    }
}
