//! The poll loop: one thread owns the consumer; rebalance callbacks and
//! the loop share the [`Core`] (callbacks run inside `poll`, when the loop
//! does not hold it). A failed step pauses every partition and retries
//! with backoff while polling, so the group keeps the member and nothing
//! more is read until the step succeeds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use carepulse_kafka::KafkaSettings;
use clickhouse::Client;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::statistics::Statistics;
use rdkafka::{ClientConfig, TopicPartitionList};
use tokio::runtime::Handle;

use crate::core::Core;

/// Messages taken from the consumer between two rounds of work.
const BATCH: usize = 1_000;
use crate::dead_letter::DeadLetters;
use crate::metrics;
use crate::settings::ProcessSettings;

/// Why the processor could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The consumer or the dead-letter producer could not be created.
    #[error("cannot create the Kafka {what}: {source}")]
    Kafka {
        /// `consumer`, `producer`, `subscription`.
        what: &'static str,
        /// The client error.
        source: KafkaError,
    },
}

/// What the processor needs to run.
pub struct ProcessorConfig {
    /// `[process]`.
    pub settings: ProcessSettings,
    /// `[kafka]`.
    pub kafka: KafkaSettings,
    /// A ClickHouse client for the carepulse database.
    pub clickhouse: Client,
    /// The runtime ClickHouse and producer futures run on; `run` must not
    /// be called on one of its worker threads (use `spawn_blocking`).
    pub runtime: Handle,
}

struct Context {
    core: Arc<Mutex<Core>>,
}

fn lock(core: &Mutex<Core>) -> MutexGuard<'_, Core> {
    core.lock().unwrap_or_else(|e| e.into_inner())
}

fn partitions(tpl: &TopicPartitionList) -> Vec<i32> {
    tpl.elements().iter().map(|e| e.partition()).collect()
}

impl ClientContext for Context {
    fn stats(&self, statistics: Statistics) {
        for topic in statistics.topics.values() {
            for (p, partition) in &topic.partitions {
                if *p >= 0 && partition.consumer_lag >= 0 {
                    metrics::gauge_lag(*p, partition.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for Context {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            lock(&self.core).revoke(consumer, &partitions(tpl));
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => lock(&self.core).assign(&partitions(tpl)),
            Rebalance::Error(e) => tracing::error!(error = %e, "rebalance failed"),
            Rebalance::Revoke(_) => {}
        }
    }
}

/// Consumes the feedback topic until `stop` is set, then flushes, commits
/// and leaves the group. Blocking: run it on its own thread.
pub fn run(config: ProcessorConfig, stop: Arc<AtomicBool>) -> Result<(), ProcessError> {
    metrics::describe();
    let dead_letters = DeadLetters::new(&config.kafka).map_err(|source| ProcessError::Kafka {
        what: "dead-letter producer",
        source,
    })?;
    let topic = config.kafka.feedback_topic.clone();
    let core = Arc::new(Mutex::new(Core::new(
        config.settings.clone(),
        config.clickhouse,
        config.runtime,
        dead_letters,
        topic.clone(),
    )));
    let mut client_config = ClientConfig::new();
    if !config.settings.instance_id.is_empty() {
        client_config.set("group.instance.id", &config.settings.instance_id);
    }
    let consumer: BaseConsumer<Context> = client_config
        .set("bootstrap.servers", &config.kafka.brokers)
        .set("group.id", &config.settings.group_id)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "2000")
        // Above the longest restore wait (`RESTORE_WAIT_MAX_SECS`).
        .set("max.poll.interval.ms", "300000")
        .set("statistics.interval.ms", "5000")
        // Bound what librdkafka fetches ahead while a flush runs (64 MiB
        // by default); 8 MiB cut the processor's throughput to a third on
        // the local broker (BENCHMARKS.md).
        .set("queued.max.messages.kbytes", "32768")
        .create_with_context(Context {
            core: Arc::clone(&core),
        })
        .map_err(|source| ProcessError::Kafka {
            what: "consumer",
            source,
        })?;
    consumer
        .subscribe(&[&topic])
        .map_err(|source| ProcessError::Kafka {
            what: "subscription",
            source,
        })?;
    tracing::info!(%topic, group = %config.settings.group_id, "processor consuming");
    let mut failures: u32 = 0;
    let mut paused = false;
    while !stop.load(Ordering::Relaxed) {
        let wait = if failures == 0 {
            Duration::from_millis(100)
        } else {
            lock(&core).backoff(failures - 1)
        };
        // Take what is already fetched, up to a batch, before working.
        let mut taken = 0;
        let mut next = consumer.poll(wait);
        loop {
            match next {
                Some(Ok(m)) => {
                    lock(&core).hold(&m);
                    taken += 1;
                }
                Some(Err(e)) => tracing::warn!(error = %e, "consumer error"),
                None => break,
            }
            if taken >= BATCH {
                break;
            }
            // A zero-timeout poll: callbacks (which take the lock) may run.
            next = consumer.poll(Duration::ZERO);
        }
        let mut core = lock(&core);
        match core.work(&consumer) {
            Ok(()) => {
                if paused {
                    set_paused(&consumer, &core, false);
                    paused = false;
                    tracing::info!(failures, "recovered; consuming again");
                }
                failures = 0;
            }
            Err(e) => {
                failures += 1;
                tracing::warn!(error = %e, failures, "processing paused; retrying with backoff");
                set_paused(&consumer, &core, true);
                paused = true;
            }
        }
    }
    tracing::info!("stopping: flushing what was read");
    {
        let mut core = lock(&core);
        core.force_snapshot();
        for attempt in 0..5 {
            match core.work(&consumer).and_then(|()| core.flush(&consumer)) {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "final flush failed");
                    std::thread::sleep(core.backoff(attempt));
                }
            }
        }
        core.close();
    }
    consumer.unsubscribe();
    // Serve the revocation so the group hands the partitions on at once.
    let _ = consumer.poll(Duration::from_millis(500));
    Ok(())
}

fn set_paused(consumer: &BaseConsumer<Context>, core: &Core, pause: bool) {
    let mut tpl = TopicPartitionList::new();
    for p in core.assigned() {
        tpl.add_partition(core.topic(), p);
    }
    let result = if pause {
        consumer.pause(&tpl)
    } else {
        consumer.resume(&tpl)
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, pause, "cannot pause or resume partitions");
    }
}
