//! Score drops end to end through [`Detectors`]: a drop fires once and
//! resolves after the share recovers, small samples never alert, the hour
//! of the week's mix is not a drop, and a restart can backfill history.

use carepulse_detect::{
    AlertKind, AlertState, DetectConfig, Detectors, DropConfig, Key, Rule, Severity, Tally,
};
use chrono::{DateTime, Datelike, TimeDelta, Utc};

/// xorshift64*: a tiny deterministic generator, so the tests need no
/// dependency and always see the same answers.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `n` answers, each top box with probability `p`.
    fn answers(&mut self, n: u64, p: f64) -> Tally {
        let top = (0..n).filter(|_| self.uniform() < p).count() as u64;
        Tally {
            responses: n,
            valid: n,
            top_box: top,
            ..Tally::default()
        }
    }
}

fn start() -> DateTime<Utc> {
    "2026-01-05T00:00:00Z".parse().unwrap() // a Monday
}

fn key() -> Key {
    "department=ed,stage=ed-visit/triage".parse().unwrap()
}

fn detectors(drop: DropConfig) -> Detectors {
    let config = DetectConfig {
        rules: vec![Rule {
            drop,
            ..Rule::default()
        }],
        ..DetectConfig::default()
    };
    Detectors::new(config.check().unwrap())
}

#[test]
fn a_drop_fires_once_and_resolves_when_the_share_recovers() {
    let mut d = Detectors::new(DetectConfig::default().check().unwrap());
    let mut rng = Rng(7);
    let drop_at = start() + TimeDelta::days(35);
    let back_at = drop_at + TimeDelta::days(5);
    let mut alerts = Vec::new();
    // Six answers an hour at 50% top box; 25% for five days; 50% again.
    for hour in 0..(45 * 24) {
        let at = start() + TimeDelta::hours(hour);
        let p = if at >= drop_at && at < back_at {
            0.25
        } else {
            0.5
        };
        alerts.extend(d.observe(&key(), at, &rng.answers(6, p)));
        alerts.extend(d.tick(at));
    }
    let fired: Vec<_> = alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .collect();
    assert_eq!(fired.len(), 1, "one alert, deduplicated: {alerts:#?}");
    let alert = fired[0];
    assert_eq!(
        (alert.kind, alert.severity),
        (AlertKind::ScoreDrop, Severity::Critical)
    );
    assert!(
        alert.fired_at > drop_at && alert.fired_at < drop_at + TimeDelta::days(1),
        "{alert:#?}"
    );
    assert!(
        (alert.since - drop_at).num_hours().abs() <= 6,
        "since {}",
        alert.since
    );
    assert!(alert.baseline.value > 45.0 && alert.baseline.value < 55.0);
    assert!(alert.current.value < 35.0 && alert.current.n >= 30);
    assert!(alert.current.high.unwrap() < alert.baseline.low.unwrap());
    let resolved: Vec<_> = alerts
        .iter()
        .filter(|a| a.state == AlertState::Resolved)
        .collect();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].id, alert.id, "the same alert resolves");
    let after = resolved[0].resolved_at.unwrap() - back_at;
    assert!(
        after > TimeDelta::zero() && after < TimeDelta::days(2),
        "resolved {after} after"
    );
    assert!(resolved[0].current.value > 40.0, "the recovered stretch");
    assert_eq!(d.firing().count(), 0);
}

#[test]
fn small_samples_never_alert() {
    // Two answers a day: a month gives 60, below min_baseline_n = 100;
    // then every answer is bottom box.
    let mut d = Detectors::new(DetectConfig::default().check().unwrap());
    let mut alerts = Vec::new();
    let mut rng = Rng(3);
    for day in 0..60 {
        for hour in [10, 16] {
            let at = start() + TimeDelta::days(day) + TimeDelta::hours(hour);
            let p = if day < 30 { 0.6 } else { 0.0 };
            alerts.extend(d.observe(&key(), at, &rng.answers(1, p)));
        }
    }
    assert!(
        alerts.iter().all(|a| a.kind != AlertKind::ScoreDrop),
        "{alerts:#?}"
    );
    // The same with min_n, min_baseline_n and the baseline guard lowered
    // does alert: the small-sample rules are what kept it quiet.
    let mut d = detectors(DropConfig {
        min_n: 5,
        min_baseline_n: 20,
        baseline_guard: 0.0,
        ..DropConfig::default()
    });
    let mut rng = Rng(3);
    let mut fired = 0;
    for day in 0..60 {
        for hour in [10, 16] {
            let at = start() + TimeDelta::days(day) + TimeDelta::hours(hour);
            let p = if day < 30 { 0.6 } else { 0.0 };
            fired += d.observe(&key(), at, &rng.answers(1, p)).len();
        }
    }
    assert_eq!(fired, 1);
}

/// Weekdays: 3 ticks of 8 answers, 2 top box (a kiosk); weekends: 6 ticks
/// of 8 answers, 6 top box (late SMS answers). Eight weeks.
fn weekly_mix(d: &mut Detectors) -> usize {
    let mut fired = 0;
    for day in 0..56 {
        let date = start() + TimeDelta::days(day);
        let weekend = date.weekday().num_days_from_monday() >= 5;
        let (ticks, top) = if weekend { (6, 6) } else { (3, 2) };
        for t in 0..ticks {
            let at = date + TimeDelta::hours(8 + 2 * t);
            let tally = Tally {
                responses: 8,
                valid: 8,
                top_box: top,
                ..Tally::default()
            };
            fired += d.observe(&key(), at, &tally).len();
        }
    }
    fired
}

#[test]
fn the_weekly_mix_is_not_a_drop() {
    let mut adjusted = Detectors::new(DetectConfig::default().check().unwrap());
    assert_eq!(weekly_mix(&mut adjusted), 0);
    // Compared with the plain baseline share, every working week is a drop.
    let mut plain = detectors(DropConfig {
        hour_of_week_prior: 1e12,
        ..DropConfig::default()
    });
    assert!(weekly_mix(&mut plain) >= 2);
}

#[test]
fn a_restart_backfills_history_and_detects_at_once() {
    let mut d = Detectors::new(DetectConfig::default().check().unwrap());
    let mut rng = Rng(11);
    let now = start() + TimeDelta::days(30);
    for hour in 0..(30 * 24) {
        let at = start() + TimeDelta::hours(hour);
        d.backfill(&key(), at, &rng.answers(6, 0.5));
    }
    let mut fired = None;
    for hour in 0..48 {
        let at = now + TimeDelta::hours(hour);
        if let Some(alert) = d.observe(&key(), at, &rng.answers(6, 0.2)).pop() {
            fired = Some(alert);
            break;
        }
    }
    let alert = fired.expect("no warm-up needed after a backfill");
    assert!(alert.fired_at - now < TimeDelta::hours(24));
    assert!(alert.baseline.n > 4000, "{}", alert.baseline.n);
}
