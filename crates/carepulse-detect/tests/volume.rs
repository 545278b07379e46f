//! Silence and collapse on synthetic keys with a weekly rhythm.

use carepulse_detect::{
    Alert, AlertKind, AlertState, DetectConfig, Detectors, Key, Rule, Settings, Tally, VolumeConfig,
};
use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};

fn answers(n: u64) -> Tally {
    Tally {
        responses: n,
        valid: n,
        top_box: n / 2,
        ..Tally::default()
    }
}

/// A clinic kiosk: 10 presses an hour on weekdays 9 to 17 (UTC), none
/// otherwise; `rate` scales the hours where `f` says so.
fn run(days: i64, rate: impl Fn(DateTime<Utc>) -> u64) -> Vec<Alert> {
    run_with(DetectConfig::default().check().unwrap(), days, rate)
}

fn run_with(settings: Settings, days: i64, rate: impl Fn(DateTime<Utc>) -> u64) -> Vec<Alert> {
    let mut d = Detectors::new(settings);
    let key: Key = "source=kiosk-opd-02".parse().unwrap();
    let start: DateTime<Utc> = "2026-01-05T00:00:00Z".parse().unwrap(); // a Monday
    let mut alerts = Vec::new();
    for minute in (0..days * 24 * 60).step_by(5) {
        let at = start + TimeDelta::minutes(minute);
        let open = at.weekday().num_days_from_monday() < 5 && (9..17).contains(&at.hour());
        let n = if open && at.minute() % 30 == 0 {
            rate(at)
        } else {
            0
        };
        if n > 0 {
            alerts.extend(d.observe(&key, at, &answers(n)));
        }
        alerts.extend(d.tick(at));
    }
    alerts
}

#[test]
fn closed_nights_and_weekends_are_no_news() {
    let alerts = run(35, |_| 5);
    assert!(alerts.is_empty(), "{alerts:#?}");
}

#[test]
fn a_kiosk_silent_in_opening_hours_alerts_and_resolves_with_the_next_press() {
    // Silent from Tuesday of week 5, 10:00, to Wednesday 12:00.
    let from: DateTime<Utc> = "2026-02-03T10:00:00Z".parse().unwrap();
    let to: DateTime<Utc> = "2026-02-04T12:00:00Z".parse().unwrap();
    let alerts = run(35, |at| if at >= from && at < to { 0 } else { 5 });
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    let (fired, resolved) = (&alerts[0], &alerts[1]);
    assert_eq!(
        (fired.kind, fired.state),
        (AlertKind::Silence, AlertState::Firing)
    );
    // The last press was at 09:30; 10 an hour are usual, about 1,700 in 30
    // days, so alpha = 0.02 / 1,700 and the silence must be worth
    // ln(1 / alpha) = 11.4 expected presses: 68 minutes from 09:30.
    assert!(
        fired.fired_at > from && fired.fired_at - from <= TimeDelta::hours(1),
        "{fired:#?}"
    );
    assert_eq!(fired.since, from - TimeDelta::minutes(30));
    assert!(fired.baseline.n >= 9);
    assert_eq!(
        (resolved.state, resolved.id.as_str()),
        (AlertState::Resolved, fired.id.as_str())
    );
    assert_eq!(resolved.resolved_at, Some(to));
}

#[test]
fn a_volume_collapse_alerts_when_answers_thin_out() {
    // From week 5 a fifth of the usual presses arrive (1 where 5 did).
    let from: DateTime<Utc> = "2026-02-02T00:00:00Z".parse().unwrap();
    let alerts = run(36, |at| if at >= from { 1 } else { 5 });
    let collapse = alerts
        .iter()
        .find(|a| a.kind == AlertKind::VolumeCollapse)
        .unwrap_or_else(|| panic!("{alerts:#?}"));
    assert_eq!(collapse.state, AlertState::Firing);
    assert!(
        collapse.fired_at - from < TimeDelta::hours(14),
        "{collapse:#?}"
    );
    assert!(collapse.current.value < collapse.baseline.value * 0.25);
}

#[test]
fn nothing_is_expected_before_min_history_days() {
    // Nine days of presses (Monday to the next Tuesday), then silence from
    // Wednesday 09:00 of the second week: the first Wednesday says 10 an
    // hour are usual, so the default (7 days of history) alerts that
    // morning; asking for 14 days waits for the third Monday.
    let silent_from: DateTime<Utc> = "2026-01-14T00:00:00Z".parse().unwrap();
    let rate = |at: DateTime<Utc>| u64::from(at < silent_from) * 5;
    let alerts = run(16, rate);
    assert_eq!(alerts[0].kind, AlertKind::Silence);
    assert_eq!(alerts[0].fired_at.date_naive(), silent_from.date_naive());
    let config = DetectConfig {
        rules: vec![Rule {
            volume: VolumeConfig {
                min_history_days: 14,
                ..VolumeConfig::default()
            },
            ..Rule::default()
        }],
        ..DetectConfig::default()
    };
    let alerts = run_with(config.check().unwrap(), 16, rate);
    let first = "2026-01-19T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
    assert!(alerts.iter().all(|a| a.fired_at >= first), "{alerts:#?}");
    assert_eq!(alerts[0].fired_at.date_naive(), first.date_naive());
}
