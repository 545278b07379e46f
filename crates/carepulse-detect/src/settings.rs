//! A checked configuration: every rule's key pattern compiled, its time
//! zone resolved and its numbers in range, with every problem reported at
//! once with its path (`rules[1].drop.h: must be positive`).

use chrono_tz::Tz;

use crate::config::{DetectConfig, DropConfig, VolumeConfig};
use crate::history::Clock;
use crate::key::{Key, KeyPattern};

/// One thing wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigProblem {
    /// Where: `rules[1].drop.h`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Why a configuration cannot be used: every problem at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("detector configuration has {} problem(s): {}", .0.len(), list(.0))]
pub struct ConfigError(pub Vec<ConfigProblem>);

fn list(problems: &[ConfigProblem]) -> String {
    let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
    all.join("; ")
}

/// A checked rule.
#[derive(Debug, Clone)]
pub(crate) struct RuleSettings {
    pub pattern: KeyPattern,
    pub drop: DropConfig,
    pub volume: VolumeConfig,
    pub clock: Clock,
}

/// A checked configuration, ready for [`crate::Detectors`].
#[derive(Debug, Clone)]
pub struct Settings {
    pub(crate) dashboard_url: String,
    pub(crate) rules: Vec<RuleSettings>,
}

impl Default for Settings {
    fn default() -> Settings {
        DetectConfig::default()
            .check()
            .expect("the defaults are valid")
    }
}

fn zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("'{name}' is not an IANA time zone (Europe/London, UTC, ...)"))
}

impl DetectConfig {
    /// Checks every rule; the built-in defaults are appended for `*`.
    pub fn check(&self) -> Result<Settings, ConfigError> {
        let mut problems = Vec::new();
        let default_zone = zone(&self.timezone).unwrap_or_else(|message| {
            problems.push(ConfigProblem {
                path: "timezone".into(),
                message,
            });
            Tz::UTC
        });
        let mut rules = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let mut bad = |field: &str, message: String| {
                problems.push(ConfigProblem {
                    path: format!("rules[{i}].{field}"),
                    message,
                })
            };
            let tz = match rule.timezone.as_deref().map(zone) {
                None => default_zone,
                Some(Ok(tz)) => tz,
                Some(Err(message)) => {
                    bad("timezone", message);
                    default_zone
                }
            };
            match rule.keys.parse::<KeyPattern>() {
                Ok(pattern) => rules.push(RuleSettings {
                    pattern,
                    drop: rule.drop.clone(),
                    volume: rule.volume.clone(),
                    clock: Clock(tz),
                }),
                Err(e) => bad("keys", e.to_string()),
            }
            rule.drop.check(&mut |f, m| bad(&format!("drop.{f}"), m));
            rule.volume
                .check(&mut |f, m| bad(&format!("volume.{f}"), m));
        }
        if !problems.is_empty() {
            return Err(ConfigError(problems));
        }
        rules.push(RuleSettings {
            pattern: "*".parse().expect("* is a pattern"),
            drop: DropConfig::default(),
            volume: VolumeConfig::default(),
            clock: Clock(default_zone),
        });
        Ok(Settings {
            dashboard_url: self.dashboard_url.trim_end_matches('?').to_owned(),
            rules,
        })
    }
}

/// Reports `field: message` when `ok` is false.
fn need(ok: bool, bad: &mut dyn FnMut(&str, String), field: &str, message: &str) {
    if !ok {
        bad(field, message.to_owned());
    }
}

impl DropConfig {
    pub(crate) fn check(&self, bad: &mut dyn FnMut(&str, String)) {
        let points = |v: f64| v > 0.0 && v < 100.0;
        need(
            !self.scores.is_empty() || !self.enabled,
            bad,
            "scores",
            "name at least one score, or set enabled = false",
        );
        need(
            points(self.design_drop),
            bad,
            "design_drop",
            "must be between 0 and 100 points",
        );
        need(
            self.false_alerts_per_30_days > 0.0,
            bad,
            "false_alerts_per_30_days",
            "must be positive",
        );
        need(self.h.is_none_or(|h| h > 0.0), bad, "h", "must be positive");
        need(
            self.baseline_guard >= 0.0,
            bad,
            "baseline_guard",
            "must not be negative",
        );
        need(
            self.lambda > 0.0 && self.lambda <= 1.0,
            bad,
            "lambda",
            "must be in (0, 1]",
        );
        need(self.width > 0.0, bad, "width", "must be positive");
        need(self.min_n > 0, bad, "min_n", "must be at least 1");
        need(
            self.min_baseline_n > 0,
            bad,
            "min_baseline_n",
            "must be at least 1",
        );
        need(
            self.baseline_days > 0,
            bad,
            "baseline_days",
            "must be at least 1",
        );
        need(
            self.max_recent_days > 0,
            bad,
            "max_recent_days",
            "must be at least 1",
        );
        need(
            self.min_drop >= 0.0 && self.min_drop < 100.0,
            bad,
            "min_drop",
            "must be from 0 to 100 points",
        );
        need(
            self.alpha > 0.0 && self.alpha <= 0.5,
            bad,
            "alpha",
            "must be in (0, 0.5]",
        );
        need(
            self.recovery_ratio > 0.0,
            bad,
            "recovery_ratio",
            "must be positive",
        );
        need(
            self.critical_drop >= self.min_drop,
            bad,
            "critical_drop",
            "must not be below min_drop",
        );
    }
}

impl VolumeConfig {
    pub(crate) fn check(&self, bad: &mut dyn FnMut(&str, String)) {
        need(
            self.min_history_days > 0,
            bad,
            "min_history_days",
            "must be at least 1",
        );
        need(
            self.false_alerts_per_30_days > 0.0,
            bad,
            "false_alerts_per_30_days",
            "must be positive",
        );
        need(
            self.alpha.is_none_or(|a| a > 0.0 && a < 1.0),
            bad,
            "alpha",
            "must be in (0, 1)",
        );
        need(
            self.collapse_hours > 0,
            bad,
            "collapse_hours",
            "must be at least 1",
        );
        need(
            self.collapse_ratio > 0.0 && self.collapse_ratio < 1.0,
            bad,
            "collapse_ratio",
            "must be in (0, 1)",
        );
        need(
            self.recover_ratio > self.collapse_ratio && self.recover_ratio <= 1.0,
            bad,
            "recover_ratio",
            "must be above collapse_ratio and at most 1",
        );
    }
}

impl Settings {
    /// The index of the rule for `key`.
    pub(crate) fn rule_for(&self, key: &Key) -> usize {
        self.rules
            .iter()
            .position(|r| r.pattern.matches(key))
            .unwrap_or(self.rules.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_from_toml_and_the_first_match_wins() {
        let config: DetectConfig = toml::from_str(
            r#"
            dashboard_url = "https://grafana.example.org/d/x"
            [[rules]]
            keys = "device=*"
            drop = { enabled = false }
            [[rules]]
            keys = "department=*,*"
            drop = { h = 12, scores = ["top_box", "positive"] }
            "#,
        )
        .unwrap();
        let settings = config.check().unwrap();
        let device: Key = "device=kiosk-opd-02".parse().unwrap();
        let stage: Key = "department=ed,stage=ed-visit/triage".parse().unwrap();
        let experience: Key = "experience=patient".parse().unwrap();
        assert_eq!(settings.rule_for(&device), 0);
        assert!(!settings.rules[0].drop.enabled);
        assert_eq!(settings.rule_for(&stage), 1);
        assert_eq!(settings.rules[1].drop.h, Some(12.0));
        assert_eq!(
            settings.rules[1].drop.min_n, 30,
            "left out: the built-in default"
        );
        assert_eq!(settings.rule_for(&experience), 2, "the built-in defaults");
    }

    #[test]
    fn time_zones_default_to_the_configurations_and_rules_may_override() {
        let config: DetectConfig = toml::from_str(
            r#"
            timezone = "Europe/London"
            [[rules]]
            keys = "facility=amsterdam-*,*"
            timezone = "Europe/Amsterdam"
            "#,
        )
        .unwrap();
        let settings = config.check().unwrap();
        assert_eq!(settings.rules[0].clock, Clock(chrono_tz::Europe::Amsterdam));
        assert_eq!(settings.rules[1].clock, Clock(chrono_tz::Europe::London));
        let broken = DetectConfig {
            timezone: "Mars/Olympus".into(),
            ..DetectConfig::default()
        };
        let err = broken.check().unwrap_err().to_string();
        assert!(
            err.contains("timezone: 'Mars/Olympus' is not an IANA time zone"),
            "{err}"
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let config: DetectConfig = toml::from_str(
            r#"
            [[rules]]
            keys = "Department"
            drop = { h = -1, alpha = 2, critical_drop = 1 }
            volume = { collapse_ratio = 0.7 }
            "#,
        )
        .unwrap();
        let err = config.check().unwrap_err().to_string();
        for expected in [
            "rules[0].keys: 'Department' is not dimension=value",
            "rules[0].drop.h: must be positive",
            "rules[0].drop.alpha: must be in (0, 0.5]",
            "rules[0].drop.critical_drop: must not be below min_drop",
            "rules[0].volume.recover_ratio: must be above collapse_ratio",
        ] {
            assert!(err.contains(expected), "missing '{expected}' in {err}");
        }
        let unknown = toml::from_str::<DetectConfig>("[[rules]]\nkeys = \"*\"\ndrop = { k = 1 }\n");
        assert!(unknown
            .unwrap_err()
            .to_string()
            .contains("unknown field `k`"));
    }
}
