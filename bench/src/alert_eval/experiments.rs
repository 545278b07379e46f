//! The three experiments: stationary streams (false alerts), injected drops
//! of top-box share (detection delay), and a kiosk going silent (detection
//! delay). Each run is one simulated hospital, one seed.

use anyhow::Context;
use carepulse_detect::{normal_cdf, AlertKind, AlertState, Settings};
use carepulse_simulator::Run;
use chrono::{DateTime, TimeDelta, Utc};

use crate::replay::{Change, Replay};
use crate::stream::{Answer, Hospital, KeySet};

/// What every run shares.
pub struct Setup {
    /// The configurations compared (the first is the default).
    pub settings: Vec<Settings>,
    /// Simulated start of every run.
    pub start: DateTime<Utc>,
    /// Evaluation tick.
    pub tick: TimeDelta,
    /// Days before anything is measured (baselines fill up).
    pub warmup_days: i64,
}

/// A replayed run: its keys, answers and alert changes.
pub struct Replayed {
    /// The run's keys.
    pub keys: KeySet,
    /// The visible answers, in order.
    pub answers: Vec<Answer>,
    /// Every alert change, per configuration.
    pub changes: Vec<Change>,
    /// Start of the measured part.
    pub measured_from: DateTime<Utc>,
}

/// Generates and replays one run of `hospital` with `incidents`.
pub fn replay(
    setup: &Setup,
    hospital: &Hospital,
    incidents: &str,
    seed: u64,
    days: i64,
) -> anyhow::Result<Replayed> {
    let scenario = hospital.scenario(incidents)?;
    let run = Run {
        seed,
        start: setup.start,
        duration: TimeDelta::days(days),
    };
    let mut keys = KeySet::default();
    let answers: Vec<Answer> = hospital.answers(&scenario, &run, &mut keys).collect();
    let mut replay = Replay::new(&setup.settings, run.start, setup.tick);
    for answer in &answers {
        replay.push(answer, &keys);
    }
    replay.finish(run.end(), &keys);
    Ok(Replayed {
        keys,
        answers,
        changes: replay.changes,
        measured_from: run.start + TimeDelta::days(setup.warmup_days),
    })
}

/// The drop (in latent standard deviations) that lowers a top-box share
/// `p` by `points`: Φ⁻¹(1 − p + d) − Φ⁻¹(1 − p).
pub fn shift_for(p: f64, points: f64) -> f64 {
    let quantile = |q: f64| {
        let (mut low, mut high) = (-9.0, 9.0);
        for _ in 0..100 {
            let mid = (low + high) / 2.0;
            if normal_cdf(mid) < q {
                low = mid;
            } else {
                high = mid;
            }
        }
        (low + high) / 2.0
    };
    quantile(1.0 - p + points / 100.0) - quantile(1.0 - p)
}

/// A drop or silence to inject and the key expected to report it.
pub struct Injection {
    /// `[[incidents]]` TOML.
    pub incident: String,
    /// When it starts and ends.
    pub window: (DateTime<Utc>, DateTime<Utc>),
    /// The key that should alert (`stage=...` or `source=...`).
    pub key: String,
    /// The alert kind expected.
    pub kind: AlertKind,
}

impl Injection {
    /// A stage drop of `points` on a stage whose one touchpoint has
    /// top-box share `p`, starting `hours` after the run's start.
    pub fn drop(
        setup: &Setup,
        stage: &str,
        p: f64,
        points: f64,
        hours: i64,
        days: i64,
    ) -> Injection {
        let delta = shift_for(p, points);
        let start = setup.start + TimeDelta::hours(hours);
        Injection {
            incident: format!(
                "[[incidents]]\nkind = \"stage_drop\"\nname = \"eval-drop\"\nstage = \"{stage}\"\nstart = \"{hours}h\"\nduration = \"{days}d\"\ndrop = {delta:.6}\n"
            ),
            window: (start, start + TimeDelta::days(days)),
            key: format!("stage={stage}"),
            kind: AlertKind::ScoreDrop,
        }
    }

    /// A kiosk silent for `days`, starting `hours` after the run's start.
    pub fn silence(setup: &Setup, device: &str, hours: i64, days: i64) -> Injection {
        let start = setup.start + TimeDelta::hours(hours);
        Injection {
            incident: format!(
                "[[incidents]]\nkind = \"kiosk_silent\"\nname = \"eval-silence\"\ndevice = \"{device}\"\nstart = \"{hours}h\"\nduration = \"{days}d\"\n"
            ),
            window: (start, start + TimeDelta::days(days)),
            key: format!("source={device}"),
            kind: AlertKind::Silence,
        }
    }
}

/// How one configuration did on one injected incident.
#[derive(Debug, Clone, Copy, Default)]
pub struct Detection {
    /// From the incident's start to the alert.
    pub delay: Option<TimeDelta>,
    /// Answers the key received in that time (drops), or the answers the
    /// usual rates expected in the silence (silences).
    pub answers: u64,
    /// Of those, answers from visits inside the drop's window.
    pub affected: u64,
    /// From the incident's end to the resolution.
    pub resolved_after: Option<TimeDelta>,
    /// Alerts of the expected kind on the key before the incident.
    pub early: usize,
    /// Alerts that fired again inside the window after the first one
    /// (a resolution too early, then a new alert).
    pub refired: usize,
    /// A (false) alert of the kind was already firing when the incident
    /// began; such runs count as neither detected nor missed.
    pub firing_at_start: bool,
}

/// The outcome of one injected run: per configuration, and the realised
/// drop (share outside and inside the window, in percent).
pub struct Injected {
    /// Per configuration.
    pub detections: Vec<Detection>,
    /// Top-box % of the key's answers from visits outside / inside.
    pub realised: (f64, f64),
    /// The key's answers per day.
    pub per_day: f64,
}

/// Runs an injection and measures each configuration on it.
pub fn injected(
    setup: &Setup,
    hospital: &Hospital,
    inj: &Injection,
    seed: u64,
    days: i64,
) -> anyhow::Result<Injected> {
    let run = replay(setup, hospital, &inj.incident, seed, days)?;
    let key = run
        .keys
        .find(&inj.key)
        .with_context(|| format!("no answers at {}", inj.key))?;
    let (start, end) = inj.window;
    let at_key = || run.answers.iter().filter(|a| a.keys.contains(&key));
    let share = |inside: bool| {
        let (top, all) = at_key()
            .filter(|a| a.incident == inside)
            .fold((0, 0), |(t, n), a| (t + a.tally.top_box, n + a.tally.valid));
        top as f64 * 100.0 / all.max(1) as f64
    };
    let mut detections = vec![Detection::default(); setup.settings.len()];
    let key_text = run.keys.keys()[key].to_string();
    for change in run
        .changes
        .iter()
        .filter(|c| c.alert.kind == inj.kind && c.alert.key.to_string() == key_text)
    {
        let d = &mut detections[change.config];
        let alert = &change.alert;
        match alert.state {
            AlertState::Firing if alert.fired_at < start => {
                d.early += 1;
                d.firing_at_start = true;
            }
            AlertState::Resolved if alert.resolved_at.is_some_and(|r| r < start) => {
                d.firing_at_start = false;
            }
            AlertState::Firing
                if d.delay.is_none() && !d.firing_at_start && alert.fired_at < end =>
            {
                d.delay = Some(alert.fired_at - start);
                let (arrived, affected) = at_key()
                    .filter(|a| a.at >= start && a.at < alert.fired_at)
                    .fold((0, 0), |(n, f), a| {
                        (n + a.tally.valid, f + u64::from(a.incident) * a.tally.valid)
                    });
                d.answers = match inj.kind {
                    AlertKind::Silence => alert.baseline.n,
                    _ => arrived,
                };
                d.affected = affected;
            }
            AlertState::Firing if alert.fired_at < end => d.refired += 1,
            AlertState::Resolved if d.delay.is_some() && d.resolved_after.is_none() => {
                d.resolved_after = alert.resolved_at.map(|r| r - end);
            }
            _ => {}
        }
    }
    let answered = at_key().count() as f64;
    Ok(Injected {
        detections,
        realised: (share(false), share(true)),
        per_day: answered / days as f64,
    })
}

/// Alerts counted on one key of a stationary run.
pub struct KeyCount {
    /// The key.
    pub key: String,
    /// Its answers per day.
    pub per_day: f64,
    /// Score drop alerts fired in the measured days, per configuration.
    pub drops: Vec<usize>,
    /// Silence and collapse alerts fired in the measured days, per
    /// configuration.
    pub volume: Vec<usize>,
    /// Score drop alerts fired in the warm-up days (baselines still
    /// filling), per configuration.
    pub warmup_drops: Vec<usize>,
}

/// A run without incidents: every alert is false.
pub fn stationary(
    setup: &Setup,
    hospital: &Hospital,
    seed: u64,
    days: i64,
) -> anyhow::Result<Vec<KeyCount>> {
    let run = replay(setup, hospital, "", seed, days)?;
    let configs = setup.settings.len();
    let mut counts: Vec<KeyCount> = run
        .keys
        .keys()
        .iter()
        .map(|key| KeyCount {
            key: key.to_string(),
            per_day: 0.0,
            drops: vec![0; configs],
            volume: vec![0; configs],
            warmup_drops: vec![0; configs],
        })
        .collect();
    for answer in &run.answers {
        for k in &answer.keys {
            counts[*k].per_day += 1.0 / days as f64;
        }
    }
    let firing = run
        .changes
        .iter()
        .filter(|c| c.alert.state == AlertState::Firing);
    for change in firing {
        let key = change.alert.key.to_string();
        let k = run.keys.find(&key).expect("alerts are on known keys");
        let measured = change.alert.fired_at >= run.measured_from;
        let count = match (change.alert.kind, measured) {
            (AlertKind::ScoreDrop, true) => &mut counts[k].drops,
            (AlertKind::ScoreDrop, false) => &mut counts[k].warmup_drops,
            (_, true) => &mut counts[k].volume,
            (_, false) => continue,
        };
        count[change.config] += 1;
    }
    Ok(counts)
}
