//! Engine throughput on one core: decode each feedback event from JSON (as
//! it arrives from Kafka), then count it in every minute cell and every
//! rolling window of every rollup; no IO. Baseline, in the same run: decode
//! only. The events are a simulated fortnight at St Mary's (validated and
//! pseudonymised as the ingest service does), repeated with fresh ids and
//! shifted times up to the requested count.
//!
//! `cargo run --release -p carepulse-bench --bin engine -- --events 1000000`

use std::time::Instant;

use anyhow::Context;
use carepulse_engine::{Engine, EngineConfig};
use carepulse_model::{
    decode_press, decode_submission, validate, Catalog, FeedbackEvent, Limits, Pseudonymiser,
    ValidationContext,
};
use carepulse_simulator::{Endpoint, ItemKind, Run, ScenarioFile};
use chrono::TimeDelta;
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Events to process.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Rounds of (baseline, engine), side by side.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

/// One fortnight of simulated events as Kafka payloads.
fn simulated() -> anyhow::Result<Vec<FeedbackEvent>> {
    let scenario_text = std::fs::read_to_string("deploy/scenarios/general-hospital.toml")
        .context("run from the repository root")?;
    let catalog = Catalog::from_toml(&std::fs::read_to_string(
        "deploy/catalog/general-hospital.toml",
    )?)?;
    let scenario = ScenarioFile::from_toml(&scenario_text)?.check(&catalog)?;
    let run = Run {
        seed: 7,
        start: "2026-03-02T00:00:00Z".parse()?,
        duration: TimeDelta::days(14),
    };
    let pseudonymiser = Pseudonymiser::new("bench", &[3u8; 32])?;
    let limits = Limits::default();
    let mut events = Vec::new();
    for item in scenario.stream(&run) {
        if !matches!(item.kind, ItemKind::Submission | ItemKind::KioskPress) {
            continue;
        }
        let ctx = ValidationContext {
            catalog: &catalog,
            now: item.at,
            limits: &limits,
        };
        let submission = match item.endpoint {
            Endpoint::Feedback => decode_submission(item.body.as_bytes()),
            Endpoint::KioskPresses => decode_press(item.body.as_bytes())
                .and_then(|p| p.into_submission(&catalog, item.at.fixed_offset())),
        };
        if let Ok(valid) = submission.and_then(|s| validate(s, &ctx)) {
            events.push(valid.into_event(&pseudonymiser, item.at));
        }
    }
    Ok(events)
}

fn payloads(base: &[FeedbackEvent], count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let mut e = base[i % base.len()].clone();
            let lap = (i / base.len()) as i64;
            e.event_id = format!("bench-{i}");
            // Each lap is a later fortnight, so windows keep moving.
            let shift = TimeDelta::days(14 * lap);
            e.occurred_at += shift;
            e.responded_at += shift;
            e.received_at += shift;
            serde_json::to_vec(&e).expect("events serialise")
        })
        .collect()
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let base = simulated()?;
    let input = payloads(&base, args.events);
    let bytes: usize = input.iter().map(Vec::len).sum();
    eprintln!(
        "{} events ({} simulated, {:.0} bytes each on average)",
        input.len(),
        base.len(),
        bytes as f64 / input.len() as f64
    );
    for round in 1..=args.rounds {
        let started = Instant::now();
        let mut decoded = 0usize;
        for payload in &input {
            let event: FeedbackEvent = serde_json::from_slice(payload)?;
            decoded += event.items.len();
        }
        let decode_s = started.elapsed().as_secs_f64();

        let rss_before = rss_mib();
        let started = Instant::now();
        let mut engine = Engine::new(EngineConfig::default());
        let mut counted = 0usize;
        for (i, payload) in input.iter().enumerate() {
            let event: FeedbackEvent = serde_json::from_slice(payload)?;
            counted += usize::from(engine.record(&event) == carepulse_engine::Outcome::Counted);
            if i % 10_000 == 0 {
                // What the processor does after each flush.
                engine.drain_minutes();
                engine.forget_settled(event.received_at);
            }
        }
        let last = base.last().map(|e| e.received_at).unwrap_or_default()
            + TimeDelta::days(14 * (args.events / base.len()) as i64);
        let snapshots = engine.snapshots(last).len();
        let engine_s = started.elapsed().as_secs_f64();
        let (cells, keys) = engine.held();
        println!(
            "{}",
            serde_json::json!({
                "round": round,
                "events": input.len(),
                "decode_only_events_per_sec": input.len() as f64 / decode_s,
                "engine_events_per_sec": input.len() as f64 / engine_s,
                "ratio_to_decode_only": decode_s / engine_s,
                "engine_us_per_event": engine_s * 1e6 / input.len() as f64,
                "counted": counted,
                "snapshots": snapshots,
                "cell_minutes_held": cells,
                "rollup_keys": keys,
                "rss_mib_growth": rss_mib() - rss_before,
                "items_seen": decoded,
            })
        );
    }
    Ok(())
}
