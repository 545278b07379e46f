//! The `[alert]` configuration section, checked together with `[detect]`
//! into an [`AlertConfig`] before anything connects.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use carepulse_detect::DetectConfig;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// `[alert]`: the alerter service (`carepulse alert`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    /// Seconds between ticks: each tick reads the events that arrived,
    /// feeds the detectors and runs their volume checks.
    pub tick_interval_secs: u64,
    /// Seconds each read reaches back before the previous tick, for rows
    /// the stream processor wrote after their `received_at` had passed
    /// (consumer lag, a processor restart). Rows that become visible later
    /// than this are not fed (they count again at the next start).
    pub read_overlap_secs: u64,
    /// Most event ids remembered to leave out rows read twice (the overlap,
    /// a redelivered event written again).
    pub max_remembered_events: usize,
    /// Where `/metrics` listens.
    pub metrics_listen: String,
    /// Alertmanager's base URL (`http://127.0.0.1:9093`); empty or absent:
    /// alerts go to Kafka and ClickHouse only.
    pub alertmanager_url: Option<String>,
    /// Seconds between re-sends of every firing alert to Alertmanager.
    pub resend_interval_secs: u64,
    /// Seconds a firing alert stays valid in Alertmanager without a re-send
    /// (its `endsAt`): alerts of a dead alerter expire on their own.
    pub alert_valid_for_secs: u64,
    /// Seconds one Alertmanager request may take.
    pub alertmanager_timeout_secs: u64,
    /// Labels added to every alert sent to Alertmanager (`env`, `site`);
    /// a label of the alert itself wins.
    pub labels: BTreeMap<String, String>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            tick_interval_secs: 60,
            read_overlap_secs: 600,
            max_remembered_events: 1_000_000,
            metrics_listen: "127.0.0.1:9466".into(),
            alertmanager_url: None,
            resend_interval_secs: 60,
            alert_valid_for_secs: 300,
            alertmanager_timeout_secs: 10,
            labels: BTreeMap::new(),
        }
    }
}

/// Where and how alerts go to Alertmanager.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertmanagerOptions {
    /// `POST` target: `BASE/api/v2/alerts`.
    pub alerts_url: String,
    /// Between re-sends of the firing alerts.
    pub resend_interval: Duration,
    /// `endsAt` of a firing alert: now plus this.
    pub valid_for: TimeDelta,
    /// Per request.
    pub timeout: Duration,
    /// Added to every alert's labels unless the alert has the label.
    pub labels: BTreeMap<String, String>,
}

/// A checked `[alert]` and `[detect]`.
#[derive(Debug, Clone)]
pub struct AlertConfig {
    /// Between ticks.
    pub tick_interval: Duration,
    /// How far each read reaches back before the previous tick.
    pub read_overlap: TimeDelta,
    /// Most event ids remembered.
    pub max_remembered_events: usize,
    /// `/metrics` address.
    pub metrics_listen: SocketAddr,
    /// Alertmanager delivery, when configured.
    pub alertmanager: Option<AlertmanagerOptions>,
    /// The detectors' settings.
    pub detect: carepulse_detect::Settings,
    /// How much history the detectors keep (the longest
    /// `baseline_days + max_recent_days` of any rule): backfilled at start.
    pub history: TimeDelta,
}

/// Labels carepulse sets itself; `[alert] labels` may not replace them.
const RESERVED: &[&str] = &["alertname", "severity", "measure"];

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

/// Days of history the detectors keep: the longest
/// `baseline_days + max_recent_days` of any rule and the built-in default.
pub fn history_days(detect: &DetectConfig) -> u32 {
    let default = carepulse_detect::DropConfig::default();
    detect
        .rules
        .iter()
        .map(|r| r.drop.baseline_days + r.drop.max_recent_days)
        .chain([default.baseline_days + default.max_recent_days])
        .max()
        .unwrap_or(49)
}

impl AlertSettings {
    /// Checks `[alert]` and `[detect]`, appending every problem with the
    /// setting to change (`alert.tick_interval_secs: ...`,
    /// `detect.rules[1].drop.h: ...`).
    pub fn check(&self, detect: &DetectConfig, problems: &mut Vec<String>) -> Option<AlertConfig> {
        let before = problems.len();
        let mut bad =
            |name: &str, message: String| problems.push(format!("alert.{name}: {message}"));
        if !(1..=3600).contains(&self.tick_interval_secs) {
            bad(
                "tick_interval_secs",
                format!("{} must be between 1 and 3600", self.tick_interval_secs),
            );
        }
        if self.read_overlap_secs > 86_400 {
            bad(
                "read_overlap_secs",
                format!("{} must be at most 86400 (a day)", self.read_overlap_secs),
            );
        }
        if self.max_remembered_events < 1000 {
            bad(
                "max_remembered_events",
                format!("{} must be at least 1000", self.max_remembered_events),
            );
        }
        let metrics_listen = self.metrics_listen.parse::<SocketAddr>().map_err(|_| {
            bad(
                "metrics_listen",
                format!(
                    "'{}' is not host:port such as 127.0.0.1:9466",
                    self.metrics_listen
                ),
            )
        });
        if !(1..=3600).contains(&self.resend_interval_secs) {
            bad(
                "resend_interval_secs",
                format!("{} must be between 1 and 3600", self.resend_interval_secs),
            );
        }
        if self.alert_valid_for_secs <= self.resend_interval_secs {
            bad(
                "alert_valid_for_secs",
                format!(
                    "{} must be longer than resend_interval_secs ({}), or firing alerts expire between re-sends",
                    self.alert_valid_for_secs, self.resend_interval_secs
                ),
            );
        }
        if !(1..=300).contains(&self.alertmanager_timeout_secs) {
            bad(
                "alertmanager_timeout_secs",
                format!(
                    "{} must be between 1 and 300",
                    self.alertmanager_timeout_secs
                ),
            );
        }
        for (name, value) in &self.labels {
            if !is_label_name(name) || RESERVED.contains(&name.as_str()) {
                bad(
                    "labels",
                    format!("'{name}' is not a label name carepulse can add ([a-zA-Z_][a-zA-Z0-9_]*, not alertname, severity or measure)"),
                );
            }
            if value.is_empty() {
                bad("labels", format!("'{name}' has an empty value"));
            }
        }
        let base = self
            .alertmanager_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        let alerts_url = match base.map(url::Url::parse) {
            None => None,
            Some(Ok(u)) if u.scheme() == "http" && u.host().is_some() => Some(format!(
                "{}/api/v2/alerts",
                u.as_str().trim_end_matches('/')
            )),
            Some(_) => {
                bad(
                    "alertmanager_url",
                    format!(
                        "'{}' is not an http URL such as http://127.0.0.1:9093 (this build speaks plain HTTP only)",
                        base.unwrap_or_default()
                    ),
                );
                None
            }
        };
        let detect_settings = match detect.check() {
            Ok(settings) => Some(settings),
            Err(e) => {
                problems.extend(
                    e.0.iter()
                        .map(|p| format!("detect.{}: {}", p.path, p.message)),
                );
                None
            }
        };
        if problems.len() > before {
            return None;
        }
        Some(AlertConfig {
            tick_interval: Duration::from_secs(self.tick_interval_secs),
            read_overlap: TimeDelta::seconds(self.read_overlap_secs as i64),
            max_remembered_events: self.max_remembered_events,
            metrics_listen: metrics_listen.ok()?,
            alertmanager: alerts_url.map(|alerts_url| AlertmanagerOptions {
                alerts_url,
                resend_interval: Duration::from_secs(self.resend_interval_secs),
                valid_for: TimeDelta::seconds(self.alert_valid_for_secs as i64),
                timeout: Duration::from_secs(self.alertmanager_timeout_secs),
                labels: self.labels.clone(),
            }),
            detect: detect_settings?,
            history: TimeDelta::days(i64::from(history_days(detect))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_alertmanager_is_optional() {
        let mut problems = Vec::new();
        let config = AlertSettings::default()
            .check(&DetectConfig::default(), &mut problems)
            .unwrap();
        assert!(problems.is_empty());
        assert!(config.alertmanager.is_none());
        assert_eq!(config.history, TimeDelta::days(49));
        assert_eq!(config.metrics_listen.port(), 9466);
        let with = AlertSettings {
            alertmanager_url: Some("http://127.0.0.1:9093/".into()),
            ..AlertSettings::default()
        };
        let config = with.check(&DetectConfig::default(), &mut problems).unwrap();
        assert_eq!(
            config.alertmanager.unwrap().alerts_url,
            "http://127.0.0.1:9093/api/v2/alerts"
        );
    }

    #[test]
    fn every_problem_names_its_setting() {
        let settings = AlertSettings {
            tick_interval_secs: 0,
            metrics_listen: "nowhere".into(),
            alertmanager_url: Some("ftp://x".into()),
            alert_valid_for_secs: 30,
            labels: BTreeMap::from([("alertname".into(), "x".into())]),
            ..AlertSettings::default()
        };
        let detect = DetectConfig {
            timezone: "Mars/Olympus".into(),
            ..DetectConfig::default()
        };
        let mut problems = Vec::new();
        assert!(settings.check(&detect, &mut problems).is_none());
        let text = problems.join("\n");
        for setting in [
            "alert.tick_interval_secs:",
            "alert.metrics_listen:",
            "alert.alertmanager_url:",
            "alert.alert_valid_for_secs:",
            "alert.labels:",
            "detect.timezone:",
        ] {
            assert!(text.contains(setting), "{setting} missing in\n{text}");
        }
        assert_eq!(problems.len(), 6, "{text}");
    }

    #[test]
    fn history_covers_the_longest_rule() {
        let mut detect = DetectConfig::default();
        let mut rule = carepulse_detect::Rule::default();
        rule.drop.baseline_days = 56;
        detect.rules.push(rule);
        assert_eq!(history_days(&detect), 56 + 21);
    }
}
