//! `alert-eval`: evaluates the drop and silence detectors of
//! carepulse-detect on simulated hospitals in accelerated time,
//! reproducibly from a seed, and prints the tables in EVALUATION.md.
//!
//! Three experiments, every run a shipped scenario (deploy/scenarios) with
//! its incidents replaced, every item validated and turned into an event as
//! the ingest service would, replayed tick by tick through each detector
//! configuration compared:
//!
//! 1. stationary: no incidents; every alert after the warm-up is false;
//! 2. drops of 10 and 20 points of top-box share on a stage of low, medium
//!    and high volume: delay to the alert, in time and in answers;
//! 3. kiosks going silent: delay to the silence alert.

mod experiments;
mod replay;
mod report;
mod stream;

use std::sync::Mutex;

use carepulse_detect::{DetectConfig, DropConfig, Method, Rule, Settings, VolumeConfig};
use chrono::TimeDelta;
use clap::Parser;

use experiments::{Injected, Injection, KeyCount, Setup};
use stream::Hospital;

#[derive(Parser)]
#[command(about = "Evaluates carepulse's alert detectors on simulated hospitals")]
struct Cli {
    /// Base seed; run i uses seed + i.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Stationary runs per scenario.
    #[arg(long, default_value_t = 3)]
    stationary_runs: u64,
    /// Simulated days of each stationary run (the warm-up included).
    #[arg(long, default_value_t = 88)]
    stationary_days: i64,
    /// Runs per injected drop or silence.
    #[arg(long, default_value_t = 8)]
    injected_runs: u64,
    /// Evaluation tick in minutes.
    #[arg(long, default_value_t = 5)]
    tick_minutes: i64,
    /// Days before anything is measured.
    #[arg(long, default_value_t = 28)]
    warmup_days: i64,
    /// Also compare the alternative configurations (slower).
    #[arg(long)]
    grid: bool,
    /// Worker threads (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// The configurations compared: the defaults first, then variations.
fn configurations(grid: bool) -> Vec<(String, Settings)> {
    // The scenarios' hospitals keep London time, as their deployment's
    // configuration would say.
    let zoned = |name: &str, drop: DropConfig, volume: VolumeConfig, timezone: &str| {
        let rules = vec![Rule {
            drop,
            volume,
            ..Rule::default()
        }];
        let config = DetectConfig {
            timezone: timezone.into(),
            rules,
            ..DetectConfig::default()
        };
        let settings = config.check().expect("valid evaluation settings");
        (name.to_owned(), settings)
    };
    let with = |name: &str, drop, volume| zoned(name, drop, volume, "Europe/London");
    let d = DropConfig::default;
    let v = VolumeConfig::default;
    let mut all = vec![with("default", d(), v())];
    if !grid {
        return all;
    }
    for (guard, target) in [(0.5, 0.05), (0.5, 0.1), (0.0, 0.02), (1.0, 0.02)] {
        let drop = DropConfig {
            baseline_guard: guard,
            false_alerts_per_30_days: target,
            ..d()
        };
        all.push(with(
            &format!("guard {guard}, {target} false/30 d"),
            drop,
            v(),
        ));
    }
    let fixed = DropConfig {
        h: Some(30.0),
        ..d()
    };
    all.push(with("cusum, fixed h = 30", fixed, v()));
    let ewma = DropConfig {
        method: Method::Ewma,
        lambda: 0.05,
        width: 3.2,
        ..d()
    };
    all.push(with("ewma λ = 0.05, L = 3.2", ewma, v()));
    let flat = DropConfig {
        hour_of_week_prior: 1e12,
        ..d()
    };
    all.push(with("no hour-of-week adjustment", flat, v()));
    let ungated = DropConfig {
        alpha: 0.5,
        min_drop: 0.0,
        min_n: 1,
        ..d()
    };
    all.push(with("no gates (CUSUM alone)", ungated, v()));
    for ratio in [1.0, 0.25] {
        let drop = DropConfig {
            recovery_ratio: ratio,
            ..d()
        };
        all.push(with(&format!("recovery ratio {ratio}"), drop, v()));
    }
    let volume = VolumeConfig {
        alpha: Some(1e-4),
        ..v()
    };
    all.push(with("volume, fixed α = 0.0001", d(), volume));
    all.push(zoned("hours of the week in UTC", d(), v(), "UTC"));
    all
}

/// Drop cases: (volume level, scenario, stage, its one touchpoint).
const DROPS: [(&str, &str, &str, &str); 4] = [
    (
        "low",
        "small-gp-practice",
        "repeat-prescription/approval",
        "gp-approval-sms",
    ),
    (
        "low",
        "general-hospital",
        "repeat-prescription/approval",
        "gp-approval-sms",
    ),
    (
        "medium",
        "general-hospital",
        "ed-visit/treatment",
        "ed-treatment-survey",
    ),
    (
        "high",
        "general-hospital",
        "outpatient-appointment/check-in",
        "opd-check-in-kiosk",
    ),
];

/// Silence cases: (scenario, kiosk).
const SILENCES: [(&str, &str); 4] = [
    ("general-hospital", "kiosk-opd-02"),
    ("general-hospital", "kiosk-ed-01"),
    ("general-hospital", "kiosk-tto-01"),
    ("general-hospital", "kiosk-riverside-pharmacy-01"),
];

/// Days a drop lasts, and days after it (to see it resolve).
const DROP_DAYS: i64 = 28;
const AFTER_DAYS: i64 = 7;
const SILENT_DAYS: i64 = 2;

enum Job {
    Stationary { hospital: usize, seed: u64 },
    Drop { case: usize, points: f64, seed: u64 },
    Silence { case: usize, seed: u64 },
}

enum Outcome {
    Stationary(usize, Vec<KeyCount>),
    Drop(usize, f64, Injected),
    Silence(usize, Injected),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let began = std::time::Instant::now();
    let configs = configurations(cli.grid);
    let setup = Setup {
        settings: configs.iter().map(|(_, s)| s.clone()).collect(),
        start: "2026-01-05T00:00:00Z".parse()?,
        tick: TimeDelta::minutes(cli.tick_minutes),
        warmup_days: cli.warmup_days,
    };
    let hospitals = [
        Hospital::load("general-hospital")?,
        Hospital::load("small-gp-practice")?,
    ];
    let hospital = |name: &str| {
        hospitals
            .iter()
            .position(|h| h.name == name)
            .expect("a loaded scenario")
    };

    let mut jobs = Vec::new();
    for h in 0..hospitals.len() {
        jobs.extend((0..cli.stationary_runs).map(|r| Job::Stationary {
            hospital: h,
            seed: cli.seed + r,
        }));
    }
    for case in 0..DROPS.len() {
        for points in [10.0, 20.0] {
            jobs.extend((0..cli.injected_runs).map(|r| Job::Drop {
                case,
                points,
                seed: cli.seed + 100 + r,
            }));
        }
    }
    for case in 0..SILENCES.len() {
        jobs.extend((0..cli.injected_runs).map(|r| Job::Silence {
            case,
            seed: cli.seed + 200 + r,
        }));
    }

    // An incident starts at a different hour of the day in every run.
    let offset = |seed: u64| cli.warmup_days * 24 + (seed as i64 * 7) % 24;
    let run = |job: &Job| -> anyhow::Result<Outcome> {
        Ok(match *job {
            Job::Stationary { hospital, seed } => {
                let counts = experiments::stationary(
                    &setup,
                    &hospitals[hospital],
                    seed,
                    cli.stationary_days,
                )?;
                Outcome::Stationary(hospital, counts)
            }
            Job::Drop { case, points, seed } => {
                let (_, name, stage, touchpoint) = DROPS[case];
                let h = &hospitals[hospital(name)];
                let inj = Injection::drop(
                    &setup,
                    stage,
                    h.top_box(touchpoint)?,
                    points,
                    offset(seed),
                    DROP_DAYS,
                );
                let days = cli.warmup_days + 1 + DROP_DAYS + AFTER_DAYS;
                Outcome::Drop(
                    case,
                    points,
                    experiments::injected(&setup, h, &inj, seed, days)?,
                )
            }
            Job::Silence { case, seed } => {
                let (name, device) = SILENCES[case];
                let inj = Injection::silence(&setup, device, offset(seed), SILENT_DAYS);
                let days = cli.warmup_days + 1 + SILENT_DAYS + 1;
                Outcome::Silence(
                    case,
                    experiments::injected(&setup, &hospitals[hospital(name)], &inj, seed, days)?,
                )
            }
        })
    };

    let threads = cli
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let queue = Mutex::new(jobs.iter().enumerate().collect::<Vec<_>>());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let Some((i, job)) = queue.lock().expect("queue").pop() else {
                    break;
                };
                let outcome = run(job);
                results.lock().expect("results").push((i, outcome));
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by_key(|(i, _)| *i);
    let outcomes: Vec<Outcome> = results
        .into_iter()
        .map(|(_, o)| o)
        .collect::<anyhow::Result<_>>()?;

    let names: Vec<&str> = configs.iter().map(|(n, _)| n.as_str()).collect();
    let mut report = report::Report::new(&names, cli.stationary_days - cli.warmup_days);
    for outcome in outcomes {
        match outcome {
            Outcome::Stationary(h, counts) => report.stationary(&hospitals[h].name, counts),
            Outcome::Drop(case, points, injected) => {
                let (level, name, stage, _) = DROPS[case];
                report.drop(level, &format!("{name}: stage={stage}"), points, injected);
            }
            Outcome::Silence(case, injected) => {
                let (name, device) = SILENCES[case];
                report.silence(&format!("{name}: source={device}"), injected);
            }
        }
    }
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    print!("{}", report.render(&command, threads));
    println!("Finished in {:.0} s.", began.elapsed().as_secs_f64());
    Ok(())
}
