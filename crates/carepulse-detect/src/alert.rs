//! The alert record: what dropped, where, by how much, against which
//! baseline, with how many answers, since when, and where to look.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::key::Key;
use crate::Score;

/// What kind of trouble an alert reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A share (top box, positive) dropped against its baseline.
    ScoreDrop,
    /// A key that normally reports sent nothing for longer than chance
    /// explains (a kiosk offline, a gateway broken).
    Silence,
    /// Far fewer answers than usual arrived, though some did.
    VolumeCollapse,
}

impl AlertKind {
    /// The Alertmanager `alertname`.
    pub fn alertname(self) -> &'static str {
        match self {
            AlertKind::ScoreDrop => "CarepulseScoreDrop",
            AlertKind::Silence => "CarepulseSourceSilent",
            AlertKind::VolumeCollapse => "CarepulseVolumeCollapse",
        }
    }
}

/// Firing until resolved; a resolved alert is reported once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// The trouble is ongoing.
    Firing,
    /// The score recovered, or answers came back.
    Resolved,
}

/// How urgent an alert is (the `severity` label routes on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Look at it today.
    Warning,
    /// Look at it now.
    Critical,
}

impl Severity {
    /// `warning` or `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// What was measured: a share or the volume of answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// A share of valid answers, in percent.
    Share(Score),
    /// Answers per hour.
    Volume,
}

impl Measure {
    /// `top_box`, `positive` or `volume`.
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Share(score) => score.as_str(),
            Measure::Volume => "volume",
        }
    }
}

/// A measured value over a window: a share in percent with its 95% Wilson
/// interval, or a volume in answers per hour (no interval).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// The share (percent) or the rate (answers per hour).
    pub value: f64,
    /// Lower bound of the 95% interval, when there is one.
    pub low: Option<f64>,
    /// Upper bound of the 95% interval, when there is one.
    pub high: Option<f64>,
    /// Answers behind the value: the share's denominator, or the answers
    /// counted (expected, for a volume baseline).
    pub n: u64,
    /// Start of the window.
    pub from: DateTime<Utc>,
    /// End of the window.
    pub to: DateTime<Utc>,
}

impl Reading {
    /// `x` of `n` as a percentage with its 95% Wilson interval, over
    /// `[from, to)`; `None` without answers.
    pub fn share(x: u64, n: u64, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<Reading> {
        let share = carepulse_model::Share::of(x, n)?;
        Some(Reading {
            value: share.percent,
            low: Some(share.low),
            high: Some(share.high),
            n,
            from,
            to,
        })
    }

    /// `45.1% (95% CI 43.0-47.2, n=2120)` or `12.0/h (n=288)`.
    pub fn describe(&self, measure: Measure) -> String {
        match (measure, self.low, self.high) {
            (Measure::Share(_), Some(low), Some(high)) => format!(
                "{:.1}% (95% CI {low:.1}-{high:.1}, n={})",
                self.value, self.n
            ),
            _ => format!("{:.1}/h (n={})", self.value, self.n),
        }
    }
}

/// One alert: deduplicated while firing (one record, one id, updated in
/// place), then resolved once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable id: the same for every update and the resolution of one
    /// episode, from the kind, key, measure and start.
    pub id: String,
    /// What kind of trouble.
    pub kind: AlertKind,
    /// Firing or resolved.
    pub state: AlertState,
    /// Set when the alert fires; not changed by updates (it is a label, and
    /// labels are an Alertmanager alert's identity).
    pub severity: Severity,
    /// Where.
    pub key: Key,
    /// What dropped.
    pub measure: Measure,
    /// The recent window: since the drop began (while firing), or the
    /// recovered stretch (when resolved).
    pub current: Reading,
    /// The baseline it is compared with, frozen when the alert fired.
    pub baseline: Reading,
    /// When the trouble is estimated to have begun.
    pub since: DateTime<Utc>,
    /// When the alert fired.
    pub fired_at: DateTime<Utc>,
    /// Last change of `current`.
    pub updated_at: DateTime<Utc>,
    /// When it resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The statistics behind the decision, for people.
    pub evidence: String,
    /// The dashboard for the key around the alert.
    pub link: String,
}

impl Alert {
    /// `current - baseline`: negative for a drop (points, or answers per
    /// hour).
    pub fn change(&self) -> f64 {
        self.current.value - self.baseline.value
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        let what = match self.kind {
            AlertKind::ScoreDrop => format!("{} dropped", self.measure.as_str().replace('_', "-")),
            AlertKind::Silence => "no answers".to_owned(),
            AlertKind::VolumeCollapse => "answers collapsed".to_owned(),
        };
        format!("{what} at {}", self.key)
    }

    /// The full sentence: by how much, against what, since when.
    pub fn description(&self) -> String {
        let since = self.since.to_rfc3339_opts(SecondsFormat::Secs, true);
        format!(
            "{}: {} against a baseline of {}, since {since}; {}",
            self.summary(),
            self.current.describe(self.measure),
            self.baseline.describe(self.measure),
            self.evidence
        )
    }
}

/// A stable id: FNV-1a (64 bit) of the parts, in hex.
pub(crate) fn stable_id(
    kind: AlertKind,
    key: &Key,
    measure: Measure,
    since: DateTime<Utc>,
) -> String {
    let text = format!("{kind:?}|{key}|{}|{}", measure.as_str(), since.timestamp());
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The dashboard link: the key's parts as Grafana variables, and the time
/// range from a day before `since` to now.
pub(crate) fn dashboard_link(base: &str, key: &Key, since: DateTime<Utc>) -> String {
    let mut link = format!("{base}?");
    for (dimension, value) in key.parts() {
        link.push_str(&format!("var-{dimension}={}&", encode(value)));
    }
    let from = (since - TimeDelta::days(1)).timestamp_millis();
    link.push_str(&format!("from={from}&to=now"));
    link
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_differ_by_episode() {
        let key: Key = "department=ed".parse().unwrap();
        let at: DateTime<Utc> = "2026-03-09T10:00:00Z".parse().unwrap();
        let measure = Measure::Share(Score::TopBox);
        let id = stable_id(AlertKind::ScoreDrop, &key, measure, at);
        assert_eq!(id.len(), 16);
        assert_eq!(id, stable_id(AlertKind::ScoreDrop, &key, measure, at));
        let later = at + TimeDelta::hours(1);
        assert_ne!(id, stable_id(AlertKind::ScoreDrop, &key, measure, later));
        assert_ne!(id, stable_id(AlertKind::Silence, &key, measure, at));
    }

    #[test]
    fn links_carry_the_key_and_the_time_range() {
        let key: Key = "department=ed,stage=ed-visit/triage".parse().unwrap();
        let since: DateTime<Utc> = "2026-03-09T10:00:00Z".parse().unwrap();
        let link = dashboard_link("https://g.example.org/d/x", &key, since);
        assert_eq!(
            link,
            "https://g.example.org/d/x?var-department=ed&var-stage=ed-visit%2Ftriage&from=1772964000000&to=now"
        );
    }
}
