//! Inputs shared by the benchmarks: a simulated fortnight at St Mary's
//! (validated and pseudonymised as the ingest service does), repeated with
//! fresh ids and shifted times up to any count; and process figures from
//! `/proc`.

use anyhow::Context;
use carepulse_model::{Catalog, FeedbackEvent, Limits, Pseudonymiser};
use carepulse_simulator::{ItemKind, Publisher, Run, ScenarioFile};
use chrono::TimeDelta;

/// One fortnight of simulated events (run from the repository root).
pub fn simulated() -> anyhow::Result<Vec<FeedbackEvent>> {
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
    // No repeat presses are flagged: every event counts.
    let mut publisher = Publisher::new(
        catalog,
        Limits::default(),
        Pseudonymiser::new("bench", &[3u8; 32])?,
        TimeDelta::zero(),
    );
    let events = scenario
        .stream(&run)
        .filter(|item| matches!(item.kind, ItemKind::Submission | ItemKind::KioskPress))
        .filter_map(|item| publisher.event(&item, item.at).ok())
        .collect();
    Ok(events)
}

/// `count` payloads: the simulated events repeated with fresh ids, each lap
/// a fortnight later.
pub fn payloads(base: &[FeedbackEvent], count: usize) -> Vec<Vec<u8>> {
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

/// Resident memory of this process, MiB.
pub fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU seconds (user + system) this process used so far.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime is the
    // 14th field of the line, stime the 15th; clock ticks of 1/100 s.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}
