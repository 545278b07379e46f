//! Load generator for the ingest service, and the baseline it is measured
//! against: the same events published straight to the broker with the same
//! idempotent, `acks=all` producer. `bench/ingest.sh` runs both side by side
//! and writes the table in BENCHMARKS.md.
//!
//! Every run prints one JSON line: events, seconds, events/s, latency
//! percentiles (ms) and this process's CPU seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use carepulse_bench::cpu_seconds;
use carepulse_kafka::{FeedbackProducer, KafkaSettings, ProducerOptions};
use carepulse_model::{
    decode_submission, validate, Catalog, Limits, Pseudonymiser, ValidationContext,
};
use chrono::{TimeDelta, Utc};
use clap::{Parser, Subcommand};
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    run: Run,
}

#[derive(Subcommand)]
enum Run {
    /// Publish the events straight to Kafka (no HTTP, no ingest service).
    Baseline {
        #[arg(long, default_value = "127.0.0.1:9092")]
        brokers: String,
        #[arg(long)]
        topic: String,
        #[arg(long, default_value_t = 200_000)]
        events: usize,
        #[arg(long, default_value_t = 10_000)]
        in_flight: usize,
    },
    /// Publish single events straight to Kafka at a fixed rate (open loop):
    /// the broker's own acknowledgement latency, the floor for `single`.
    BaselineSingle {
        #[arg(long, default_value = "127.0.0.1:9092")]
        brokers: String,
        #[arg(long)]
        topic: String,
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Producer linger in milliseconds (the ingest default is 1).
        #[arg(long, default_value_t = 1)]
        linger_ms: u64,
    },
    /// POST NDJSON batches to the ingest service as fast as it answers.
    Batched {
        #[arg(long)]
        url: String,
        #[arg(long)]
        token: String,
        #[arg(long, default_value_t = 200_000)]
        events: usize,
        #[arg(long, default_value_t = 200)]
        batch: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// POST single events at a fixed rate (open loop: latency counts from
    /// the scheduled send time, so a slow server cannot hide its queue).
    Single {
        #[arg(long)]
        url: String,
        #[arg(long)]
        token: String,
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
}

/// Realistic submissions: the documented examples (kiosk, SMS with items and
/// references, portal with a slider, cross-organisation pharmacy, FFT) with
/// fresh ids and times. All of one facility, so one token posts them.
fn submissions(count: usize, run: &str) -> anyhow::Result<Vec<String>> {
    let names = [
        "kiosk-smiley.json",
        "sms-ed-visit-survey.json",
        "portal-imaging-survey.json",
        "ed-discharge-fft.json",
    ];
    let mut templates = Vec::new();
    for name in names {
        let text = std::fs::read_to_string(format!("docs/examples/{name}"))
            .context("run from the repository root")?;
        templates.push(serde_json::from_str::<Value>(&text)?);
    }
    let occurred = (Utc::now() - TimeDelta::hours(2)).to_rfc3339();
    let responded = (Utc::now() - TimeDelta::hours(1)).to_rfc3339();
    Ok((0..count)
        .map(|i| {
            let mut body = templates[i % templates.len()].clone();
            body["event_id"] = json!(format!("bench-{run}-{i}"));
            body["occurred_at"] = json!(occurred);
            if body.get("responded_at").is_some() {
                body["responded_at"] = json!(responded);
            }
            body.to_string()
        })
        .collect())
}

/// CPU seconds (user + system) this process used so far.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(
    kind: &str,
    events: usize,
    errors: usize,
    elapsed: Duration,
    cpu: f64,
    mut latencies_ms: Vec<f64>,
) {
    latencies_ms.sort_by(f64::total_cmp);
    println!(
        "{}",
        json!({
            "run": kind,
            "events": events,
            "errors": errors,
            "seconds": elapsed.as_secs_f64(),
            "events_per_sec": events as f64 / elapsed.as_secs_f64(),
            "p50_ms": percentile(&latencies_ms, 0.50),
            "p90_ms": percentile(&latencies_ms, 0.90),
            "p99_ms": percentile(&latencies_ms, 0.99),
            "max_ms": latencies_ms.last().copied().unwrap_or(f64::NAN),
            "client_cpu_seconds": cpu,
        })
    );
}

/// The events the ingest service would publish for the same submissions;
/// preparing them is not part of the measured time.
fn events(count: usize, run: &str) -> anyhow::Result<Vec<carepulse_model::FeedbackEvent>> {
    let catalog = Catalog::from_toml(&std::fs::read_to_string(
        "deploy/catalog/general-hospital.toml",
    )?)?;
    let limits = Limits::default();
    let pseudonymiser = Pseudonymiser::new("bench", &[9u8; 32])?;
    let now = Utc::now();
    let ctx = ValidationContext {
        catalog: &catalog,
        now,
        limits: &limits,
    };
    Ok(submissions(count, run)?
        .iter()
        .map(|body| {
            let valid = decode_submission(body.as_bytes()).and_then(|s| validate(s, &ctx))?;
            Ok(valid.into_event(&pseudonymiser, now))
        })
        .collect::<Result<_, carepulse_model::Problems>>()?)
}

async fn baseline_single(
    brokers: String,
    topic: String,
    rate: u64,
    seconds: u64,
    linger_ms: u64,
) -> anyhow::Result<()> {
    let count = (rate * seconds) as usize;
    let events = Arc::new(events(count, "baseline-single")?);
    let settings = KafkaSettings {
        brokers,
        feedback_topic: topic,
        ..KafkaSettings::default()
    };
    carepulse_kafka::ensure_topics(&settings).await?;
    let options = ProducerOptions {
        linger: Duration::from_millis(linger_ms),
        ..ProducerOptions::default()
    };
    let producer = FeedbackProducer::new(&settings, &options)?;
    // Warm up: connection, metadata and producer id, as a running service has.
    for event in events.iter().take(100) {
        producer.publish(event).await?;
    }
    let cpu = cpu_seconds();
    let (latencies, errors, elapsed) = open_loop(rate, count, |i| {
        let (producer, events) = (producer.clone(), Arc::clone(&events));
        async move { producer.publish(&events[i]).await.is_ok() }
    })
    .await?;
    report(
        "baseline-single",
        latencies.len(),
        errors,
        elapsed,
        cpu_seconds() - cpu,
        latencies,
    );
    Ok(())
}

async fn baseline(
    brokers: String,
    topic: String,
    count: usize,
    in_flight: usize,
) -> anyhow::Result<()> {
    let events = events(count, "baseline")?;
    let settings = KafkaSettings {
        brokers,
        feedback_topic: topic,
        ..KafkaSettings::default()
    };
    carepulse_kafka::ensure_topics(&settings).await?;
    let producer = FeedbackProducer::new(
        &settings,
        &ProducerOptions {
            delivery_timeout: Duration::from_secs(30),
            ..ProducerOptions::default()
        },
    )?;
    let cpu = cpu_seconds();
    let started = Instant::now();
    let errors = stream::iter(events.iter())
        .map(|event| producer.publish(event))
        .buffer_unordered(in_flight)
        .filter(|r| futures::future::ready(r.is_err()))
        .count()
        .await;
    report(
        "baseline",
        count - errors,
        errors,
        started.elapsed(),
        cpu_seconds() - cpu,
        Vec::new(),
    );
    Ok(())
}

async fn batched(
    url: String,
    token: String,
    count: usize,
    batch: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    let bodies: Vec<String> = submissions(count, "batched")?
        .chunks(batch)
        .map(|chunk| chunk.join("\n"))
        .collect();
    let client = reqwest::Client::new();
    let endpoint = format!("{url}/v1/feedback/batch");
    let cpu = cpu_seconds();
    let started = Instant::now();
    let results: Vec<(usize, usize, f64)> = stream::iter(bodies)
        .map(|body| {
            let (client, endpoint, token) = (client.clone(), endpoint.clone(), token.clone());
            async move {
                let sent = Instant::now();
                let response = client
                    .post(&endpoint)
                    .bearer_auth(&token)
                    .header("content-type", "application/x-ndjson")
                    .body(body)
                    .send()
                    .await;
                let ms = sent.elapsed().as_secs_f64() * 1000.0;
                let text = match response {
                    Ok(r) if r.status().is_success() => r.text().await.unwrap_or_default(),
                    _ => return (0, 1, ms),
                };
                let reply: Value = serde_json::from_str(&text).unwrap_or_default();
                let accepted = reply["accepted"].as_u64().unwrap_or(0) as usize;
                let failed = reply["results"]
                    .as_array()
                    .map_or(1, |r| r.len() - accepted);
                (accepted, failed, ms)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let accepted = results.iter().map(|r| r.0).sum();
    let errors = results.iter().map(|r| r.1).sum();
    report(
        "batched",
        accepted,
        errors,
        elapsed,
        cpu_seconds() - cpu,
        results.iter().map(|r| r.2).collect(),
    );
    Ok(())
}

async fn single(url: String, token: String, rate: u64, seconds: u64) -> anyhow::Result<()> {
    let count = (rate * seconds) as usize;
    let bodies = Arc::new(submissions(count, "single")?);
    let client = reqwest::Client::new();
    let endpoint = Arc::new(format!("{url}/v1/feedback"));
    let cpu = cpu_seconds();
    let (latencies, errors, elapsed) = open_loop(rate, count, |i| {
        let (client, endpoint, token, bodies) = (
            client.clone(),
            Arc::clone(&endpoint),
            token.clone(),
            Arc::clone(&bodies),
        );
        async move {
            let response = client
                .post(endpoint.as_str())
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(bodies[i].clone())
                .send()
                .await;
            matches!(&response, Ok(r) if r.status().as_u16() == 202)
        }
    })
    .await?;
    report(
        "single",
        latencies.len(),
        errors,
        elapsed,
        cpu_seconds() - cpu,
        latencies,
    );
    Ok(())
}

/// Starts `send(i)` for i in 0..count at `rate` per second whatever the
/// answers take, and times each from its scheduled start: the latencies in
/// ms of the successes, the failures, the whole duration.
async fn open_loop<F, Fut>(
    rate: u64,
    count: usize,
    send: F,
) -> anyhow::Result<(Vec<f64>, usize, Duration)>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let scheduled = started + interval * i as u32;
        tokio::time::sleep_until(scheduled).await;
        let sending = send(i);
        tasks.push(tokio::spawn(async move {
            let ok = sending.await;
            (ok, scheduled.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let mut latencies = Vec::with_capacity(count);
    let mut errors = 0;
    for task in tasks {
        let (ok, ms) = task.await?;
        if ok {
            latencies.push(ms);
        } else {
            errors += 1;
        }
    }
    Ok((latencies, errors, started.elapsed()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().run {
        Run::Baseline {
            brokers,
            topic,
            events,
            in_flight,
        } => baseline(brokers, topic, events, in_flight).await,
        Run::BaselineSingle {
            brokers,
            topic,
            rate,
            seconds,
            linger_ms,
        } => baseline_single(brokers, topic, rate, seconds, linger_ms).await,
        Run::Batched {
            url,
            token,
            events,
            batch,
            concurrency,
        } => batched(url, token, events, batch, concurrency).await,
        Run::Single {
            url,
            token,
            rate,
            seconds,
        } => {
            if rate == 0 {
                bail!("--rate must be positive");
            }
            single(url, token, rate, seconds).await
        }
    }
}
