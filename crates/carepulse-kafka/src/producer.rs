//! Publishing feedback events: an idempotent producer with `acks=all`, keyed
//! by facility and department so that one department's events stay ordered
//! in one partition. A publish succeeds only when the broker acknowledged;
//! a full queue or a broker that does not answer in time is an error the
//! caller turns into "retry later", never into a silent loss.

use std::time::Duration;

use carepulse_model::FeedbackEvent;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use rdkafka::ClientConfig;

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

/// Where a published event landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Partition.
    pub partition: i32,
    /// Offset within the partition.
    pub offset: i64,
}

/// The message key of an event: `facility/department`.
pub fn partition_key(event: &FeedbackEvent) -> String {
    format!("{}/{}", event.facility, event.department)
}

/// Publishes feedback events to the feedback topic.
#[derive(Clone)]
pub struct FeedbackProducer {
    producer: FutureProducer,
    topic: String,
}

impl FeedbackProducer {
    /// An idempotent, `acks=all` producer for `settings.feedback_topic`.
    pub fn new(settings: &KafkaSettings, options: &ProducerOptions) -> Result<Self, KafkaError> {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &settings.brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", options.linger.as_millis().to_string())
            .set(
                "message.timeout.ms",
                options.delivery_timeout.as_millis().to_string(),
            )
            .set(
                "queue.buffering.max.messages",
                options.queue_max_messages.to_string(),
            )
            .create()?;
        Ok(FeedbackProducer {
            producer,
            topic: settings.feedback_topic.clone(),
        })
    }

    /// Publishes one event and waits for the broker's acknowledgement.
    pub async fn publish(&self, event: &FeedbackEvent) -> Result<Delivery, PublishError> {
        let payload = serde_json::to_vec(event)?;
        let key = partition_key(event);
        let record = FutureRecord::to(&self.topic).key(&key).payload(&payload);
        // Timeout::After(0): never wait for queue space; a full queue is an
        // immediate "retry later".
        match self
            .producer
            .send(record, Timeout::After(Duration::ZERO))
            .await
        {
            Ok(delivery) => Ok(Delivery {
                partition: delivery.partition,
                offset: delivery.offset,
            }),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                Err(PublishError::QueueFull)
            }
            Err((e, _)) => Err(PublishError::NotAcknowledged(e)),
        }
    }

    /// Messages waiting for an acknowledgement.
    pub fn queue_depth(&self) -> i32 {
        self.producer.in_flight_count()
    }

    /// Whether the broker answers and knows the feedback topic.
    pub async fn ready(&self, timeout: Duration) -> bool {
        let producer = self.producer.clone();
        let topic = self.topic.clone();
        tokio::task::spawn_blocking(move || {
            producer
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
        let producer = self.producer.clone();
        tokio::task::spawn_blocking(move || producer.flush(timeout))
            .await
            .unwrap_or(Err(KafkaError::Canceled))
    }

    /// The topic events go to.
    pub fn topic(&self) -> &str {
        &self.topic
    }
}
