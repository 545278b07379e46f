//! Driver analysis on a million responses with 12 items, and its baseline.
//!
//! Responses are generated in memory first (seeded; 0-100 scores stored as
//! bytes, 13 MB for a million), then one mode is timed:
//!
//! - `baseline`: one pass over the responses building the covariance
//!   matrix (sums and cross-products), then the correlations: the least
//!   any driver analysis must do;
//! - `analysis`: the driver analysis as the report engine runs it: the one
//!   pass (cross-products and the bootstrap reservoir), then the exact
//!   Shapley decomposition and the bootstrap intervals.
//!
//! Each run prints one JSON line: seconds of the pass and of the rest, CPU
//! seconds (`/proc/self/schedstat`) and the peak resident set
//! (`/proc/self/status` VmHWM, data included). Run each mode in its own
//! process so that the peaks do not mix; BENCHMARKS.md has the command.

use std::time::Instant;

use anyhow::Context;
use carepulse_analytics::{CrossProducts, DriverAccumulator, DriverAnalysis, DriverSettings};
use clap::{Parser, ValueEnum};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Mode {
    Baseline,
    Analysis,
}

#[derive(Parser)]
struct Cli {
    /// What to time.
    #[arg(long, value_enum)]
    mode: Mode,
    /// Responses to generate.
    #[arg(long, default_value_t = 1_000_000)]
    responses: usize,
    /// Items per response (besides the overall answer).
    #[arg(long, default_value_t = 12)]
    items: usize,
    /// Seed of the generated responses.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Bootstrap replicates.
    #[arg(long, default_value_t = 200)]
    replicates: usize,
    /// Most responses kept for the bootstrap.
    #[arg(long, default_value_t = 10_000)]
    reservoir: usize,
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A latent value on a scale of `points` categories, as a 0-100 score.
fn answer(latent: f64, points: u8) -> u8 {
    let steps = f64::from(points - 1);
    let category = ((latent + 2.0) / 4.0 * f64::from(points))
        .floor()
        .clamp(0.0, steps);
    (category * 100.0 / steps).round() as u8
}

/// Rows of `1 + items` scores: the overall (0-10 scale) first, then items
/// on 5-point scales, from a halo model with weights items..1.
fn generate(cli: &Cli) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(cli.seed);
    let (halo, dim) = (0.4, cli.items + 1);
    let weights: Vec<f64> = (0..cli.items)
        .map(|i| (cli.items - i) as f64 / cli.items as f64)
        .collect();
    let scale = 1.0 / weights.iter().map(|w| w * w).sum::<f64>().sqrt();
    let mut rows = Vec::with_capacity(cli.responses * dim);
    let mut item = vec![0.0; cli.items];
    for _ in 0..cli.responses {
        let mood = normal(&mut rng);
        let mut driven = 0.0;
        for (w, d) in weights.iter().zip(item.iter_mut()) {
            *d = halo * mood + (1.0 - halo * halo).sqrt() * normal(&mut rng);
            driven += w * scale * 0.7 * *d;
        }
        rows.push(answer(driven + 0.6 * normal(&mut rng), 11));
        rows.extend(item.iter().map(|d| answer(*d, 5)));
    }
    rows
}

fn cpu_seconds() -> f64 {
    let text = std::fs::read_to_string("/proc/self/schedstat").unwrap_or_default();
    let nanos: f64 = text
        .split_whitespace()
        .next()
        .and_then(|f| f.parse().ok())
        .unwrap_or(0.0);
    nanos / 1e9
}

fn peak_rss_mib() -> anyhow::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/self/status")?;
    Ok(kib / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let data = generate(&cli);
    let dim = cli.items + 1;
    let mut row = vec![0.0; dim];
    let mut scores = vec![None; cli.items];
    let (cpu, started) = (cpu_seconds(), Instant::now());
    let (pass, detail) = match cli.mode {
        Mode::Baseline => {
            let mut cp = CrossProducts::new(dim);
            for chunk in data.chunks_exact(dim) {
                row.iter_mut()
                    .zip(chunk)
                    .for_each(|(r, v)| *r = f64::from(*v));
                cp.record(&row);
            }
            let pass = started.elapsed().as_secs_f64();
            let corr = cp.correlations();
            (
                pass,
                json!({ "r_overall_first_item": corr.matrix.get(0, 1) }),
            )
        }
        Mode::Analysis => {
            let settings = DriverSettings {
                replicates: cli.replicates,
                reservoir: cli.reservoir,
                ..DriverSettings::default()
            };
            let names = (1..=cli.items).map(|i| format!("item{i}")).collect();
            let mut acc = DriverAccumulator::new(names, &settings, cli.seed);
            for chunk in data.chunks_exact(dim) {
                scores
                    .iter_mut()
                    .zip(&chunk[1..])
                    .for_each(|(s, v)| *s = Some(f64::from(*v)));
                acc.record(Some(f64::from(chunk[0])), &scores);
            }
            let pass = started.elapsed().as_secs_f64();
            let DriverAnalysis::Analysed(result) = acc.finish(&settings) else {
                anyhow::bail!("the generated data gave no analysis");
            };
            let shares: Vec<f64> = result
                .drivers
                .iter()
                .map(|d| (d.share * 1000.0).round() / 1000.0)
                .collect();
            (
                pass,
                json!({ "method": result.method, "r_squared": result.r_squared, "replicates": result.bootstrap.replicates, "resampled": result.bootstrap.resampled, "shares_by_rank": shares }),
            )
        }
    };
    let total = started.elapsed().as_secs_f64();
    let line = json!({
        "mode": match cli.mode { Mode::Baseline => "baseline", Mode::Analysis => "analysis" },
        "responses": cli.responses,
        "items": cli.items,
        "data_mib": data.len() as f64 / 1_048_576.0,
        "pass_seconds": pass,
        "after_pass_seconds": total - pass,
        "total_seconds": total,
        "cpu_seconds": cpu_seconds() - cpu,
        "peak_rss_mib": peak_rss_mib()?,
        "detail": detail,
    });
    println!("{line}");
    Ok(())
}
