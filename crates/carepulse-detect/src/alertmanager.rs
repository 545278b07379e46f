//! The mapping from an [`Alert`] to Alertmanager's API v2 `postableAlert`
//! (`POST /api/v2/alerts` takes a JSON array of them). Delivery is the
//! processor's job; this is only the shape.
//!
//! - labels (the alert's identity in Alertmanager): `alertname`,
//!   `severity`, `measure`, and every part of the key (`department`,
//!   `stage`, `device`, ...), so Alertmanager can group and route on them;
//! - annotations: summary, description, the current and baseline values
//!   with their intervals and n, since when, the evidence, the alert id and
//!   the dashboard link;
//! - `startsAt`: when the alert fired; `endsAt`: `now + valid_for` while
//!   firing (re-send more often than that, or Alertmanager resolves it), the
//!   resolution time once resolved; `generatorURL`: the dashboard link.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::{Alert, AlertState, Reading};

/// One element of the body of `POST /api/v2/alerts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostableAlert {
    /// Identity, grouping and routing.
    pub labels: BTreeMap<String, String>,
    /// Information for people.
    pub annotations: BTreeMap<String, String>,
    /// RFC 3339.
    #[serde(rename = "startsAt")]
    pub starts_at: String,
    /// RFC 3339.
    #[serde(rename = "endsAt")]
    pub ends_at: String,
    /// Where the alert comes from: the dashboard.
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting `__`.
fn label_name(dimension: &str) -> String {
    let name: String = dimension
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    match name.chars().next() {
        Some(c) if c.is_ascii_digit() || name.starts_with("__") => format!("key_{name}"),
        _ => name,
    }
}

fn interval(r: &Reading) -> Option<String> {
    Some(format!("{:.1}-{:.1}", r.low?, r.high?))
}

/// The `postableAlert` for `alert` at `now`.
pub fn postable_alert(alert: &Alert, now: DateTime<Utc>, valid_for: TimeDelta) -> PostableAlert {
    let mut labels = BTreeMap::new();
    for (dimension, value) in alert.key.parts() {
        labels.insert(label_name(dimension), value.clone());
    }
    labels.insert("alertname".into(), alert.kind.alertname().into());
    labels.insert("severity".into(), alert.severity.as_str().into());
    labels.insert("measure".into(), alert.measure.as_str().into());

    let mut notes = BTreeMap::new();
    let mut note = |name: &str, value: String| {
        notes.insert(name.to_owned(), value);
    };
    note("summary", alert.summary());
    note("description", alert.description());
    note("key", alert.key.to_string());
    note("current", format!("{:.1}", alert.current.value));
    note("current_n", alert.current.n.to_string());
    note("baseline", format!("{:.1}", alert.baseline.value));
    note("baseline_n", alert.baseline.n.to_string());
    if let Some(i) = interval(&alert.current) {
        note("current_interval", i);
    }
    if let Some(i) = interval(&alert.baseline) {
        note("baseline_interval", i);
    }
    note("since", time(alert.since));
    note("evidence", alert.evidence.clone());
    note("alert_id", alert.id.clone());
    note("dashboard", alert.link.clone());

    let ends = match (alert.state, alert.resolved_at) {
        (AlertState::Resolved, Some(at)) => at,
        _ => now + valid_for,
    };
    PostableAlert {
        labels,
        annotations: notes,
        starts_at: time(alert.fired_at),
        ends_at: time(ends),
        generator_url: alert.link.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertKind, Measure, Severity};
    use crate::Score;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn drop_alert() -> Alert {
        let window = |from: &str, to: &str| (at(from), at(to));
        let (bf, bt) = window("2026-02-09T10:00:00Z", "2026-03-09T10:00:00Z");
        let (cf, ct) = window("2026-03-09T10:00:00Z", "2026-03-10T08:00:00Z");
        Alert {
            id: "0123456789abcdef".into(),
            kind: AlertKind::ScoreDrop,
            state: AlertState::Firing,
            severity: Severity::Critical,
            key: "department=ed,stage=ed-visit/triage".parse().unwrap(),
            measure: Measure::Share(Score::TopBox),
            current: Reading {
                value: 10.0,
                low: Some(6.5),
                high: Some(15.1),
                n: 200,
                from: cf,
                to: ct,
            },
            baseline: Reading {
                value: 30.0,
                low: Some(28.3),
                high: Some(31.8),
                n: 2800,
                from: bf,
                to: bt,
            },
            since: at("2026-03-09T10:00:00Z"),
            fired_at: at("2026-03-10T08:00:00Z"),
            updated_at: at("2026-03-10T08:00:00Z"),
            resolved_at: None,
            evidence: "CUSUM signalled".into(),
            link: "https://g.example.org/d/x?var-department=ed".into(),
        }
    }

    #[test]
    fn a_firing_drop_maps_to_the_v2_shape() {
        let alert = drop_alert();
        let now = at("2026-03-10T08:05:00Z");
        let json =
            serde_json::to_value(postable_alert(&alert, now, TimeDelta::minutes(15))).unwrap();
        assert_eq!(
            json["labels"],
            serde_json::json!({
                "alertname": "CarepulseScoreDrop",
                "severity": "critical",
                "measure": "top_box",
                "department": "ed",
                "stage": "ed-visit/triage",
            })
        );
        assert_eq!(json["startsAt"], "2026-03-10T08:00:00Z");
        assert_eq!(json["endsAt"], "2026-03-10T08:20:00Z");
        assert_eq!(
            json["generatorURL"],
            "https://g.example.org/d/x?var-department=ed"
        );
        let notes = &json["annotations"];
        assert_eq!(notes["current"], "10.0");
        assert_eq!(notes["current_interval"], "6.5-15.1");
        assert_eq!(notes["current_n"], "200");
        assert_eq!(notes["baseline"], "30.0");
        assert_eq!(notes["baseline_interval"], "28.3-31.8");
        assert_eq!(notes["baseline_n"], "2800");
        assert_eq!(notes["since"], "2026-03-09T10:00:00Z");
        assert_eq!(notes["alert_id"], "0123456789abcdef");
        assert_eq!(
            notes["summary"],
            "top-box dropped at department=ed,stage=ed-visit/triage"
        );
        let description = notes["description"].as_str().unwrap();
        assert!(
            description.contains("10.0% (95% CI 6.5-15.1, n=200) against a baseline of 30.0% (95% CI 28.3-31.8, n=2800), since 2026-03-09T10:00:00Z"),
            "{description}"
        );
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "annotations",
                "endsAt",
                "generatorURL",
                "labels",
                "startsAt"
            ]
        );
    }

    #[test]
    fn a_resolved_alert_ends_when_it_resolved() {
        let mut alert = drop_alert();
        alert.state = AlertState::Resolved;
        alert.resolved_at = Some(at("2026-03-11T09:30:00Z"));
        let posted = postable_alert(&alert, at("2026-03-11T09:31:00Z"), TimeDelta::minutes(15));
        assert_eq!(posted.ends_at, "2026-03-11T09:30:00Z");
    }

    #[test]
    fn volume_alerts_have_no_interval_and_odd_dimensions_become_label_names() {
        let mut alert = drop_alert();
        alert.kind = AlertKind::Silence;
        alert.measure = Measure::Volume;
        alert.current.low = None;
        alert.key = "device=kiosk-opd-02,2nd=x".parse().unwrap();
        let posted = postable_alert(&alert, at("2026-03-10T08:05:00Z"), TimeDelta::minutes(15));
        assert_eq!(posted.labels["alertname"], "CarepulseSourceSilent");
        assert_eq!(posted.labels["measure"], "volume");
        assert_eq!(posted.labels["device"], "kiosk-opd-02");
        assert_eq!(posted.labels["key_2nd"], "x");
        assert!(!posted.annotations.contains_key("current_interval"));
    }
}
