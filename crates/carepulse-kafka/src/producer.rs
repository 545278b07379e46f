//! Publishing feedback events: an idempotent producer with `acks=all`, keyed
//! by facility and department so that one department's events stay ordered
//! in one partition. A publish succeeds only when the broker acknowledged;
//! a full queue or a broker that does not answer in time is an error the
//! caller turns into "retry later", never into a silent loss.
//!
//! After an outage an idempotent producer can be left with sequence numbers
//! the broker no longer accepts (tansu answers every produce with an unknown
//! error until the producer gets a new producer id). So when the broker
//! refuses a message, the producer is replaced by a fresh one (at most once
//! per [`RESET_INTERVAL`]). Events that failed were answered "retry later"
//! and carry their event id, so a retry that duplicates one is deduplicated
//! downstream.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use carepulse_model::FeedbackEvent;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::Producer;
use rdkafka::ClientConfig;

use crate::acked::{AckedProducer, Delivery};
use crate::KafkaSettings;

/// Producer tuning.
#[derive(Debug, Clone)]
pub struct ProducerOptions {
    /// How long a message may wait for the broker's acknowledgement before
    /// the publish fails (`message.timeout.ms`).
    pub delivery_timeout: Duration,
    /// Most messages waiting in the producer queue; beyond it publishes fail
    /// at once with [`PublishError::QueueFull`].
    pub queue_max_messages: u32,
    /// How long the producer waits to fill a batch (`linger.ms`).
    pub linger: Duration,
}

impl Default for ProducerOptions {
    fn default() -> Self {
        ProducerOptions {
            delivery_timeout: Duration::from_secs(5),
            queue_max_messages: 100_000,
            linger: Duration::from_millis(5),
        }
    }
}

/// Why a publish failed. None of these means the event was stored.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The producer queue is full: the broker is slow or down.
    #[error("the producer queue is full")]
    QueueFull,
    /// The broker did not acknowledge in time or refused the message.
    #[error("the broker did not acknowledge the event: {0}")]
    NotAcknowledged(KafkaError),
    /// The event could not be encoded (a bug, never the client's fault).
    #[error("cannot encode the event: {0}")]
    Encode(#[from] serde_json::Error),
}

/// The message key of an event: `facility/department`.
pub fn partition_key(event: &FeedbackEvent) -> String {
    format!("{}/{}", event.facility, event.department)
}

/// Shortest time between two producer replacements.
pub const RESET_INTERVAL: Duration = Duration::from_secs(2);

/// How long a readiness answer is reused: however often `/readyz` is
/// called, the broker gets at most one metadata request per interval.
pub const READY_CACHE: Duration = Duration::from_secs(1);

/// Publishes feedback events to the feedback topic.
#[derive(Clone)]
pub struct FeedbackProducer {
    config: ClientConfig,
    current: Arc<RwLock<AckedProducer>>,
    last_reset: Arc<Mutex<Instant>>,
    /// The last readiness answer and when it was found.
    readiness: Arc<tokio::sync::Mutex<Option<(Instant, bool)>>>,
    topic: String,
}

impl FeedbackProducer {
    /// An idempotent, `acks=all` producer for `settings.feedback_topic`.
    pub fn new(settings: &KafkaSettings, options: &ProducerOptions) -> Result<Self, KafkaError> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &settings.brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("socket.nagle.disable", "true")
            .set("linger.ms", options.linger.as_millis().to_string())
            .set(
                "message.timeout.ms",
                options.delivery_timeout.as_millis().to_string(),
            )
            .set(
                "queue.buffering.max.messages",
                options.queue_max_messages.to_string(),
            );
        let producer = AckedProducer::new(&config)?;
        Ok(FeedbackProducer {
            config,
            current: Arc::new(RwLock::new(producer)),
            last_reset: Arc::new(Mutex::new(Instant::now() - RESET_INTERVAL)),
            readiness: Arc::default(),
            topic: settings.feedback_topic.clone(),
        })
    }

    fn producer(&self) -> AckedProducer {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces `failed` by a fresh producer (new producer id), unless it
    /// was replaced already (answers of the old one keep failing for a
    /// while after a reset) or a reset happened less than
    /// [`RESET_INTERVAL`] ago.
    fn reset(&self, failed: &AckedProducer) {
        // Held until the end: one reset at a time, so the current producer
        // cannot change between the check and the swap.
        let mut last = self.last_reset.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() < RESET_INTERVAL || !self.producer().same(failed) {
            return;
        }
        *last = Instant::now();
        match AckedProducer::new(&self.config) {
            Ok(fresh) => {
                // Dropping the old handle does not wait: its thread finishes
                // the messages in flight, then stops.
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh;
                tracing::warn!("the broker refused events; replaced the producer with a fresh one");
            }
            Err(e) => tracing::error!(error = %e, "cannot create a fresh producer"),
        }
    }

    /// Publishes one event and waits for the broker's acknowledgement.
    pub async fn publish(&self, event: &FeedbackEvent) -> Result<Delivery, PublishError> {
        let payload = serde_json::to_vec(event)?;
        let key = partition_key(event);
        // Never wait for queue space: a full queue is an immediate "retry
        // later".
        let producer = self.producer();
        let answer = producer
            .send_and_wait(&self.topic, Some(&key), &payload)
            .await;
        match answer {
            Ok(delivery) => Ok(delivery),
            Err(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)) => {
                Err(PublishError::QueueFull)
            }
            Err(e) => {
                self.reset(&producer);
                Err(PublishError::NotAcknowledged(e))
            }
        }
    }

    /// Messages waiting for an acknowledgement.
    pub fn queue_depth(&self) -> i32 {
        self.producer().inner().in_flight_count()
    }

    /// Whether the broker answers and knows the feedback topic; an answer
    /// found less than [`READY_CACHE`] ago is reused. One check runs at a
    /// time: concurrent callers wait for it rather than each holding a
    /// blocking thread.
    pub async fn ready(&self, timeout: Duration) -> bool {
        let mut last = self.readiness.lock().await;
        if let Some((at, ready)) = *last {
            if at.elapsed() < READY_CACHE {
                return ready;
            }
        }
        let ready = self.ask_ready(timeout).await;
        *last = Some((Instant::now(), ready));
        ready
    }

    async fn ask_ready(&self, timeout: Duration) -> bool {
        let producer = self.producer();
        let topic = self.topic.clone();
        tokio::task::spawn_blocking(move || {
            producer
                .inner()
                .client()
                .fetch_metadata(Some(&topic), timeout)
                .ok()
                .and_then(|m| {
                    m.topics()
                        .first()
                        .map(|t| t.error().is_none() && !t.partitions().is_empty())
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }

    /// Waits until every queued event is acknowledged or `timeout` passes.
    pub async fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        let producer = self.producer();
        tokio::task::spawn_blocking(move || producer.flush(timeout))
            .await
            .unwrap_or(Err(KafkaError::Canceled))
    }

    /// The topic events go to.
    pub fn topic(&self) -> &str {
        &self.topic
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::mocking::MockCluster;

    // librdkafka's mock cluster (in process): the broker can vanish between
    // two calls here; the real broker's readiness is covered by the ingest
    // tests.
    #[tokio::test]
    async fn readiness_is_asked_at_most_once_a_second() {
        let cluster = MockCluster::new(1).expect("mock cluster");
        cluster.create_topic("feedback", 1, 1).expect("topic");
        let settings = KafkaSettings {
            brokers: cluster.bootstrap_servers(),
            feedback_topic: "feedback".into(),
            ..KafkaSettings::default()
        };
        let producer =
            FeedbackProducer::new(&settings, &ProducerOptions::default()).expect("producer");
        let wait = Duration::from_millis(500);
        assert!(producer.ready(wait).await);
        drop(cluster);
        assert!(producer.ready(wait).await, "the answer of a moment ago");
        tokio::time::sleep(READY_CACHE).await;
        assert!(
            !producer.ready(wait).await,
            "asked again: the broker is gone"
        );
    }

    #[tokio::test]
    async fn only_the_current_producer_is_replaced() {
        let cluster = MockCluster::new(1).expect("mock cluster");
        let settings = KafkaSettings {
            brokers: cluster.bootstrap_servers(),
            ..KafkaSettings::default()
        };
        let producer =
            FeedbackProducer::new(&settings, &ProducerOptions::default()).expect("producer");
        let first = producer.producer();
        producer.reset(&first);
        let second = producer.producer();
        assert!(!second.same(&first), "a failing producer is replaced");
        tokio::time::sleep(RESET_INTERVAL).await;
        producer.reset(&first);
        assert!(
            producer.producer().same(&second),
            "a late failure of the replaced producer leaves its successor alone"
        );
    }
}
