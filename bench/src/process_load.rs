//! Load and baseline for the stream-processor benchmark (bench/process.sh):
//! fills a topic with simulated events, reads it back as a raw consumer
//! that only decodes (the baseline), waits for a processor's consumer group
//! to commit everything, or publishes fresh events at a steady rate. Each
//! run prints one JSON line. `drop` deletes a run's topics afterwards.

use std::time::{Duration, Instant};

use anyhow::Context;
use carepulse_bench::{cpu_seconds, payloads, rss_mib, simulated};
use carepulse_kafka::{ensure_topics, KafkaSettings};
use carepulse_model::FeedbackEvent;
use chrono::Utc;
use clap::{Parser, Subcommand};
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

#[derive(Parser)]
struct Args {
    /// Bootstrap servers.
    #[arg(
        long,
        env = "CAREPULSE__KAFKA__BROKERS",
        default_value = "127.0.0.1:9092"
    )]
    brokers: String,
    /// The feedback topic.
    #[arg(long)]
    topic: String,
    #[command(subcommand)]
    run: Run,
}

#[derive(Subcommand)]
enum Run {
    /// Create the topic and publish simulated events to it.
    Fill {
        /// Events.
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// Copies of the hospital (facility and department ids suffixed
        /// `-cN`), to multiply the rollup keys.
        #[arg(long, default_value_t = 1)]
        copies: usize,
        /// Partitions of the topic.
        #[arg(long, default_value_t = 6)]
        partitions: i32,
    },
    /// Read `events` messages from the start and decode each (baseline).
    Raw {
        /// Messages to read.
        #[arg(long)]
        events: usize,
    },
    /// Wait until consumer group `group` committed the end of every partition.
    Wait {
        /// The processor's consumer group.
        #[arg(long)]
        group: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 1800)]
        timeout: u64,
    },
    /// Delete the topic and its dead-letter and alerts topics.
    Drop,
    /// Publish fresh events (received now) at a steady rate.
    Steady {
        /// Events per second.
        #[arg(long, default_value_t = 2_000)]
        rate: u64,
        /// For how long.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
}

fn producer(brokers: &str) -> anyhow::Result<FutureProducer> {
    Ok(ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "200000")
        .create()?)
}

fn key_of(payload: &[u8]) -> String {
    let event: FeedbackEvent = serde_json::from_slice(payload).expect("own events decode");
    carepulse_kafka::partition_key(&event)
}

async fn publish_all(
    producer: &FutureProducer,
    topic: &str,
    input: &[Vec<u8>],
) -> anyhow::Result<()> {
    for chunk in input.chunks(10_000) {
        let mut deliveries = Vec::with_capacity(chunk.len());
        for payload in chunk {
            let key = key_of(payload);
            let record = FutureRecord::to(topic).key(&key).payload(payload);
            let delivery = producer.send_result(record).map_err(|(e, _)| e)?;
            deliveries.push(delivery);
        }
        for result in futures::future::join_all(deliveries).await {
            result?
                .map_err(|(e, _)| e)
                .context("the broker refused an event")?;
        }
    }
    Ok(())
}

fn end_offsets(consumer: &BaseConsumer, topic: &str) -> anyhow::Result<Vec<(i32, i64)>> {
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let partitions = metadata.topics()[0].partitions().len() as i32;
    (0..partitions)
        .map(|p| {
            Ok((
                p,
                consumer
                    .fetch_watermarks(topic, p, Duration::from_secs(10))?
                    .1,
            ))
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match args.run {
        Run::Drop => {
            let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
                .set("bootstrap.servers", &args.brokers)
                .create()?;
            let names = [
                args.topic.clone(),
                format!("{}.dead-letter", args.topic),
                format!("{}.alerts", args.topic),
            ];
            let topics: Vec<&str> = names.iter().map(String::as_str).collect();
            let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
            for result in admin.delete_topics(&topics, &options).await? {
                match result {
                    Ok(_) | Err((_, RDKafkaErrorCode::UnknownTopicOrPartition)) => {}
                    Err((topic, code)) => anyhow::bail!("deleting topic {topic}: {code}"),
                }
            }
            // The broker deletes the messages after answering and may not
            // answer anything else meanwhile: wait until it does.
            let consumer: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &args.brokers)
                .create()?;
            let started = Instant::now();
            while consumer
                .fetch_metadata(None, Duration::from_secs(10))
                .is_err()
            {
                anyhow::ensure!(
                    started.elapsed() < Duration::from_secs(600),
                    "the broker did not answer for 10 minutes after deleting {}",
                    args.topic
                );
            }
        }
        Run::Fill {
            events,
            copies,
            partitions,
        } => {
            let settings = KafkaSettings {
                brokers: args.brokers.clone(),
                feedback_topic: args.topic.clone(),
                dead_letter_topic: format!("{}.dead-letter", args.topic),
                partitions,
                ..KafkaSettings::default()
            };
            ensure_topics(&settings).await?;
            let mut base = simulated()?;
            if copies > 1 {
                let original = std::mem::take(&mut base);
                for copy in 0..copies {
                    base.extend(original.iter().cloned().map(|mut e| {
                        e.facility = format!("{}-c{copy}", e.facility);
                        e.department = format!("{}-c{copy}", e.department);
                        e
                    }));
                }
            }
            let input = payloads(&base, events);
            let started = Instant::now();
            publish_all(&producer(&args.brokers)?, &args.topic, &input).await?;
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "{}",
                serde_json::json!({"run": "fill", "events": events, "copies": copies, "seconds": seconds,
                    "events_per_sec": events as f64 / seconds})
            );
        }
        Run::Raw { events } => {
            let consumer: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &args.brokers)
                .set(
                    "group.id",
                    format!("bench-raw-{}", Utc::now().timestamp_millis()),
                )
                .set("enable.auto.commit", "false")
                .set("auto.offset.reset", "earliest")
                .create()?;
            consumer.subscribe(&[&args.topic])?;
            // The clock starts before joining the group, as the
            // processor's starts when it is launched: both pay the join.
            let (cpu0, started) = (cpu_seconds(), Instant::now());
            let mut read = 0;
            let mut first = consumer.poll(Duration::from_secs(60));
            let mut answers = 0;
            while read < events {
                // Joining the group takes seconds on the local broker.
                let wait = 10;
                let polled = first
                    .take()
                    .or_else(|| consumer.poll(Duration::from_secs(wait)));
                match polled {
                    Some(Ok(m)) => {
                        let event: FeedbackEvent =
                            serde_json::from_slice(m.payload().unwrap_or_default())?;
                        answers += 1 + event.items.len();
                        read += 1;
                    }
                    Some(Err(e)) => anyhow::bail!("consumer error: {e}"),
                    None => anyhow::bail!("no message for {wait} s after {read}"),
                }
            }
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "{}",
                serde_json::json!({"run": "raw", "events": read, "answers": answers, "seconds": seconds,
                    "events_per_sec": read as f64 / seconds, "cpu_seconds": cpu_seconds() - cpu0,
                    "rss_mib": rss_mib()})
            );
        }
        Run::Wait { group, timeout } => {
            let consumer: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &args.brokers)
                .set("group.id", &group)
                .create()?;
            let ends = end_offsets(&consumer, &args.topic)?;
            let started = Instant::now();
            loop {
                let mut tpl = TopicPartitionList::new();
                for (p, _) in &ends {
                    tpl.add_partition(&args.topic, *p);
                }
                let committed = consumer.committed_offsets(tpl, Duration::from_secs(10))?;
                let done = committed.elements().iter().all(|e| {
                    let end = ends
                        .iter()
                        .find(|(p, _)| *p == e.partition())
                        .map_or(0, |x| x.1);
                    matches!(e.offset(), Offset::Offset(o) if o >= end) || end == 0
                });
                if done {
                    break;
                }
                anyhow::ensure!(
                    started.elapsed().as_secs() < timeout,
                    "not committed after {timeout} s"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            let total: i64 = ends.iter().map(|e| e.1).sum();
            println!(
                "{}",
                serde_json::json!({"run": "wait", "messages": total, "waited_seconds": started.elapsed().as_secs_f64()})
            );
        }
        Run::Steady { rate, seconds } => {
            let base = simulated()?;
            let producer = producer(&args.brokers)?;
            let started = Instant::now();
            let total = rate * seconds;
            let mut deliveries = Vec::new();
            for i in 0..total {
                let due = started + Duration::from_secs_f64(i as f64 / rate as f64);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    tokio::time::sleep(wait).await;
                }
                let mut event = base[i as usize % base.len()].clone();
                let now = Utc::now();
                event.event_id = format!(
                    "steady-{}-{i}",
                    started.elapsed().as_nanos() ^ u128::from(i)
                );
                let lag = event.received_at - event.occurred_at.with_timezone(&Utc);
                event.received_at = now;
                event.occurred_at = (now - lag).fixed_offset();
                event.responded_at = event.occurred_at;
                let payload = serde_json::to_vec(&event)?;
                let key = carepulse_kafka::partition_key(&event);
                let producer = producer.clone();
                let topic = args.topic.clone();
                deliveries.push(tokio::spawn(async move {
                    producer
                        .send(
                            FutureRecord::to(&topic).key(&key).payload(&payload),
                            Duration::from_secs(30),
                        )
                        .await
                        .map(|_| ())
                        .map_err(|(e, _)| e)
                }));
            }
            for d in deliveries {
                d.await?.context("the broker refused an event")?;
            }
            println!(
                "{}",
                serde_json::json!({"run": "steady", "events": total, "rate": rate, "seconds": started.elapsed().as_secs_f64()})
            );
        }
    }
    Ok(())
}
