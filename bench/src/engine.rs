//! Engine throughput on one core: decode each feedback event from JSON (as
//! it arrives from Kafka, into a borrowing [`EventView`]), then count it in
//! every minute cell and every rolling window of every rollup; no IO. The
//! messages lie back to back in one buffer, as the processor holds a batch
//! read from Kafka.
//! Baselines, in the same run: decoding into an owned `FeedbackEvent` (what
//! a plain serde consumer does), and decoding into the view only. The events are a simulated fortnight at St Mary's (validated and
//! pseudonymised as the ingest service does), repeated with fresh ids and
//! shifted times up to the requested count.
//!
//! `cargo run --release -p carepulse-bench --bin engine -- --events 1000000`

use std::ops::Range;
use std::time::Instant;

use carepulse_bench::{payloads, rss_mib, simulated};
use carepulse_engine::{Engine, EngineConfig};
use carepulse_model::{EventView, FeedbackEvent};
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
    /// Runs the engine only, without the decode baselines (for profiling).
    #[arg(long)]
    engine_only: bool,
}

/// The messages copied into one buffer, and where each is in it.
fn back_to_back(messages: Vec<Vec<u8>>) -> (Vec<u8>, Vec<Range<usize>>) {
    let mut buffer = Vec::with_capacity(messages.iter().map(Vec::len).sum());
    let ranges = messages
        .into_iter()
        .map(|m| {
            let start = buffer.len();
            buffer.extend_from_slice(&m);
            start..buffer.len()
        })
        .collect();
    (buffer, ranges)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let base = simulated()?;
    let (buffer, ranges) = back_to_back(payloads(&base, args.events));
    let input: Vec<&[u8]> = ranges.iter().map(|r| &buffer[r.clone()]).collect();
    let bytes = buffer.len();
    eprintln!(
        "{} events ({} simulated, {:.0} bytes each on average)",
        input.len(),
        base.len(),
        bytes as f64 / input.len() as f64
    );
    for round in 1..=args.rounds {
        let mut decoded = 0usize;
        let (mut decode_s, mut view_s) = (f64::NAN, f64::NAN);
        if !args.engine_only {
            let started = Instant::now();
            for payload in &input {
                let event: FeedbackEvent = serde_json::from_slice(payload)?;
                decoded += event.items.len();
            }
            decode_s = started.elapsed().as_secs_f64();

            let started = Instant::now();
            for payload in &input {
                let event = EventView::from_json(payload)?;
                decoded += event.items.len();
            }
            view_s = started.elapsed().as_secs_f64();
        }

        let rss_before = rss_mib();
        let started = Instant::now();
        let mut engine = Engine::new(EngineConfig::default());
        let mut counted = 0usize;
        for (i, payload) in input.iter().enumerate() {
            let event = EventView::from_json(payload)?;
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
                "view_decode_only_events_per_sec": input.len() as f64 / view_s,
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
