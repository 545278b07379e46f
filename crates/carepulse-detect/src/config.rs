//! Detector configuration: rules that pick keys by pattern, each with its
//! drop and volume settings. Parsed with serde (unknown fields refused),
//! then checked into [`Settings`](crate::Settings) with every problem and
//! its path.
//!
//! ```toml
//! dashboard_url = "https://grafana.example.org/d/carepulse-scores"
//! timezone = "Europe/London"
//!
//! [[rules]]                    # kiosks: watch volume only
//! keys = "device=*"
//! drop = { enabled = false }
//!
//! [[rules]]                    # everything else: the defaults, CSAT too
//! keys = "*"
//! drop = { scores = ["top_box", "positive"] }
//! ```
//!
//! The first rule whose pattern matches a key applies; a key no rule
//! matches gets the built-in defaults. A field a rule leaves out takes its
//! built-in default (below, and the table in docs/alerting.md), not the
//! value of an earlier rule.

use serde::{Deserialize, Serialize};

use crate::alert::Severity;
use crate::{Method, Score};

/// The whole detector configuration (`[detect]` in carepulse.toml).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    /// Grafana dashboard the alerts link to; the key's parts are added as
    /// `var-DIMENSION=VALUE`, with `from` and `to` around the alert.
    pub dashboard_url: String,
    /// IANA time zone of the hours of the week (usual volumes, the
    /// baseline's hour-of-week shares): the hospital's, so that opening
    /// hours stay put when the clocks change.
    pub timezone: String,
    /// Rules, first match wins.
    pub rules: Vec<Rule>,
}

impl Default for DetectConfig {
    fn default() -> DetectConfig {
        DetectConfig {
            dashboard_url: "http://127.0.0.1:3000/d/carepulse-scores".into(),
            timezone: "UTC".into(),
            rules: Vec::new(),
        }
    }
}

/// Settings for the keys a pattern picks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Key pattern (`department=*,stage=*`, `device=kiosk-*`, `*`).
    pub keys: String,
    /// The time zone of these keys' hours, when not the configuration's.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Score drop detection.
    #[serde(default)]
    pub drop: DropConfig,
    /// Silence and volume collapse detection.
    #[serde(default)]
    pub volume: VolumeConfig,
}

impl Default for Rule {
    /// Every key, the built-in defaults.
    fn default() -> Rule {
        Rule {
            keys: "*".into(),
            timezone: None,
            drop: DropConfig::default(),
            volume: VolumeConfig::default(),
        }
    }
}

/// Score drop detection for one key (docs/alerting.md explains each
/// choice and the evaluation behind the defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DropConfig {
    /// Whether drops are detected at all.
    pub enabled: bool,
    /// The shares watched: `top_box`, `positive`.
    pub scores: Vec<Score>,
    /// The persistent-shift chart: `cusum` or `ewma`.
    pub method: Method,
    /// The drop the chart is tuned for, in points: the CUSUM's reference
    /// value `k` is half of it, in standard deviations of one answer.
    pub design_drop: f64,
    /// The false alerts per key per 30 days the CUSUM is designed for: each
    /// key's decision interval `h` is set so that its in-control average
    /// run length (Siegmund's approximation) is the key's answers in 30
    /// days divided by this. Busy keys get a higher `h`, quiet keys a lower
    /// one, and all the same false alert rate in time.
    pub false_alerts_per_30_days: f64,
    /// A fixed CUSUM decision interval `h`, in standard deviations of one
    /// answer, instead of the one derived from `false_alerts_per_30_days`.
    pub h: Option<f64>,
    /// Guard against an optimistic baseline, in standard errors of the
    /// baseline share: `h` is derived for a baseline this much too high,
    /// so keys with small baselines (few answers) get a larger `h`.
    pub baseline_guard: f64,
    /// EWMA smoothing `λ` per answer.
    pub lambda: f64,
    /// EWMA limit width `L`.
    pub width: f64,
    /// Fewest answers in the recent window for an alert (DOMAIN.md: below
    /// it a score is insufficient and never alerts).
    pub min_n: u64,
    /// Fewest answers in the baseline.
    pub min_baseline_n: u64,
    /// Length of the trailing baseline, in days.
    pub baseline_days: u32,
    /// Longest excursion, in days: an excursion that has not alerted by
    /// then starts over (the baseline ends where an excursion starts).
    pub max_recent_days: u32,
    /// Weight, in answers, of the overall baseline share in the expected
    /// share of each hour of the week (crate::baseline); a huge value turns
    /// the hour-of-week adjustment off.
    pub hour_of_week_prior: f64,
    /// Smallest drop worth an alert, in points.
    pub min_drop: f64,
    /// Largest one-sided P-value of the two-proportion test of the recent
    /// window against the baseline.
    pub alpha: f64,
    /// The recovery CUSUM's decision interval as a share of the
    /// detection's `h`: resolution needs that much evidence that the share
    /// is back above the expected share minus half the design drop. 1 asks
    /// as much evidence to resolve as to fire (slow); small values resolve
    /// sooner but flap while a drop lasts.
    pub recovery_ratio: f64,
    /// After a resolution, hours in which the key cannot fire again.
    pub cooldown_hours: u32,
    /// A drop of at least this many points is `critical`, else `warning`.
    pub critical_drop: f64,
}

impl Default for DropConfig {
    fn default() -> DropConfig {
        DropConfig {
            enabled: true,
            scores: vec![Score::TopBox],
            method: Method::Cusum,
            design_drop: 10.0,
            false_alerts_per_30_days: 0.02,
            h: None,
            baseline_guard: 0.5,
            lambda: 0.02,
            width: 3.0,
            min_n: 30,
            min_baseline_n: 100,
            baseline_days: 28,
            max_recent_days: 21,
            hour_of_week_prior: 20.0,
            min_drop: 5.0,
            alpha: 0.01,
            recovery_ratio: 0.5,
            cooldown_hours: 12,
            critical_drop: 20.0,
        }
    }
}

/// Silence and volume collapse detection for one key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VolumeConfig {
    /// Whether volume is watched at all.
    pub enabled: bool,
    /// Days of history before the usual volume is trusted.
    pub min_history_days: u32,
    /// The false alerts per key per 30 days the checks are designed for:
    /// every answer ends a gap, and each gap has probability `alpha` of
    /// looking like a silence by chance, so `alpha` is this divided by the
    /// key's usual answers per 30 days (at most 0.01). Busy keys need
    /// stronger evidence, quiet keys less.
    pub false_alerts_per_30_days: f64,
    /// A fixed `alpha` instead: the largest probability, at the usual
    /// hourly rates, of seeing so few answers (silence fires when
    /// `exp(-expected) <= alpha`).
    pub alpha: Option<f64>,
    /// Shortest silence reported, in minutes.
    pub min_silence_minutes: u32,
    /// Window of the collapse check, in hours.
    pub collapse_hours: u32,
    /// Collapse: at most this share of the expected answers arrived.
    pub collapse_ratio: f64,
    /// A collapse resolves when the window holds this share again.
    pub recover_ratio: f64,
    /// After a resolution, hours in which the key cannot fire again.
    pub cooldown_hours: u32,
    /// Severity of volume alerts.
    pub severity: Severity,
}

impl Default for VolumeConfig {
    fn default() -> VolumeConfig {
        VolumeConfig {
            enabled: true,
            min_history_days: 7,
            false_alerts_per_30_days: 0.02,
            alpha: None,
            min_silence_minutes: 30,
            collapse_hours: 6,
            collapse_ratio: 0.25,
            recover_ratio: 0.6,
            cooldown_hours: 1,
            severity: Severity::Warning,
        }
    }
}

impl DropConfig {
    /// Hours of history a key needs: the baseline and the longest recent
    /// window.
    pub(crate) fn history_hours(&self) -> usize {
        (self.baseline_days + self.max_recent_days) as usize * 24 + 1
    }
}
