//! Alerting on score drops and silent sources, without alert fatigue. Pure:
//! no IO, no async runtime, no clock (time is passed in).
//!
//! The stream processor feeds [`Detectors`] one [`Tally`] per key and tick:
//! the answers that became visible for that key since its last tick
//! (arrival time, not visit time: a late SMS answer counts when it
//! arrives). Detectors keep each key's last weeks in hourly buckets (bounded
//! memory, about 21 KiB per key with the defaults) and return the
//! [`Alert`]s that fire or resolve:
//!
//! - score drops of a [`Score`] (top box, positive share): a tabular CUSUM
//!   ([`TabularCusum`], or an [`Ewma`]) on the answers against a trailing
//!   baseline adjusted to the hour of the week, its decision interval set
//!   per key from the key's volume and a design rate of false alerts,
//!   confirmed by a two-proportion z-test ([`TwoProportions`]) of the
//!   recent window, with a minimum n, a minimum effect, hysteresis (a
//!   recovery CUSUM) and a cool-down;
//! - silence and volume collapse: fewer answers than the key's usual local
//!   hours of the week explain (Poisson, [`poisson_cdf`]);
//! - [`postable_alert`]: an [`Alert`] as Alertmanager's API v2 wants it.
//!
//! Modules: `key` (keys and patterns), `config` and `settings` (rules per
//! key pattern), `history` (hourly buckets), `baseline`, `drop`, `volume`,
//! `detector`, `alert`, `alertmanager`, and the statistics: `cusum`, `ewma`,
//! `proportion`.
//!
//! ```
//! use carepulse_detect::{AlertKind, AlertState, DetectConfig, Detectors, Key};
//! use carepulse_model::Tally;
//! use chrono::{DateTime, TimeDelta, Utc};
//!
//! let mut detectors = Detectors::new(DetectConfig::default().check().unwrap());
//! let key: Key = "department=ed,stage=ed-visit/triage".parse().unwrap();
//! let start: DateTime<Utc> = "2026-03-02T00:00:00Z".parse().unwrap();
//! // Four answers an hour: half top box for four weeks, then one in ten.
//! let mut alerts = Vec::new();
//! for hour in 0..(35 * 24) {
//!     let at = start + TimeDelta::hours(hour);
//!     let top = if hour < 28 * 24 { 2 } else { u64::from(hour % 5 == 0) * 2 };
//!     let tally = Tally { responses: 4, valid: 4, top_box: top, ..Tally::default() };
//!     alerts.extend(detectors.observe(&key, at, &tally));
//!     alerts.extend(detectors.tick(at));
//! }
//! let alert = &alerts[0];
//! assert_eq!((alert.kind, alert.state), (AlertKind::ScoreDrop, AlertState::Firing));
//! assert!(alert.baseline.value > 45.0 && alert.current.value < 20.0);
//! assert!(alert.fired_at - alert.since < TimeDelta::days(1));
//! assert_eq!(detectors.firing().count(), 1, "deduplicated while firing");
//! ```
//!
//! docs/alerting.md describes the methods, the defaults and the evaluation
//! they were chosen from (EVALUATION.md), and the processor's contract.

pub mod alert;
pub mod alertmanager;
mod baseline;
pub mod config;
pub mod cusum;
mod detector;
mod drop;
pub mod ewma;
pub mod history;
pub mod key;
pub mod proportion;
mod run;
mod settings;
mod volume;

pub use alert::{Alert, AlertKind, AlertState, Measure, Reading, Severity};
pub use alertmanager::{postable_alert, PostableAlert};
pub use carepulse_model::Tally;
pub use config::{DetectConfig, DropConfig, Rule, VolumeConfig};
pub use cusum::TabularCusum;
pub use detector::Detectors;
pub use drop::{Method, Score};
pub use ewma::Ewma;
pub use key::{Key, KeyError, KeyPattern};
pub use proportion::{normal_cdf, poisson_cdf, TwoProportions};
pub use settings::{ConfigError, ConfigProblem, Settings};
