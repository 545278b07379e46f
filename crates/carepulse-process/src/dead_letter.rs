//! The dead-letter topic: messages that could not be decoded or validated,
//! whole, with the reason and their origin in headers.

use std::time::Duration;

use carepulse_kafka::{AckedProducer, Acknowledgement, KafkaSettings};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::ClientConfig;

use crate::partition::Rejected;

/// Header holding why the message was rejected.
pub const REASON_HEADER: &str = "carepulse-reason";
/// Header holding `partition/offset` of the message on the feedback topic.
pub const ORIGIN_HEADER: &str = "carepulse-origin";

/// Publishes rejected messages to the dead-letter topic.
#[derive(Clone)]
pub struct DeadLetters {
    producer: AckedProducer,
    topic: String,
}

impl DeadLetters {
    /// An idempotent, `acks=all` producer for `settings.dead_letter_topic`.
    pub fn new(settings: &KafkaSettings) -> Result<Self, KafkaError> {
        Self::with_config(
            ClientConfig::new()
                .set("bootstrap.servers", &settings.brokers)
                .set("enable.idempotence", "true")
                .set("acks", "all")
                .set("linger.ms", "5")
                .set("message.timeout.ms", "10000"),
            &settings.dead_letter_topic,
        )
    }

    fn with_config(config: &ClientConfig, topic: &str) -> Result<Self, KafkaError> {
        Ok(DeadLetters {
            producer: AckedProducer::new(config)?,
            topic: topic.to_owned(),
        })
    }

    /// Publishes every message and waits until the broker acknowledged all
    /// of them. When the producer's queue is full (a batch can reject more
    /// messages than it holds), waits for what is queued to be
    /// acknowledged, then goes on.
    pub async fn publish(&self, rejected: &[Rejected]) -> Result<(), KafkaError> {
        let mut deliveries = Vec::with_capacity(rejected.len());
        for r in rejected {
            let delivery = match self.send(r) {
                Err(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull))
                    if !deliveries.is_empty() =>
                {
                    for delivery in deliveries.drain(..) {
                        delivery.await?;
                    }
                    self.send(r)?
                }
                other => other?,
            };
            deliveries.push(delivery);
        }
        for delivery in deliveries {
            delivery.await?;
        }
        Ok(())
    }

    fn send(&self, r: &Rejected) -> Result<Acknowledgement, KafkaError> {
        let origin = format!("{}/{}", r.row.kafka_partition, r.row.kafka_offset);
        let headers = OwnedHeaders::new()
            .insert(Header {
                key: REASON_HEADER,
                value: Some(r.row.reason.as_bytes()),
            })
            .insert(Header {
                key: ORIGIN_HEADER,
                value: Some(origin.as_bytes()),
            });
        self.producer
            .send(&self.topic, r.key.as_deref(), &r.payload, Some(headers))
    }

    /// Waits for messages still queued.
    pub fn flush(&self, timeout: Duration) {
        let _ = self.producer.flush(timeout);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carepulse_clickhouse::rows::RejectedRow;
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::Producer;

    fn rejected(offset: u64) -> Rejected {
        Rejected {
            row: RejectedRow {
                kafka_partition: 0,
                kafka_offset: offset,
                seen_at: 0,
                reason: "not JSON".into(),
                payload: "x".into(),
            },
            key: None,
            payload: b"x".to_vec(),
        }
    }

    // librdkafka's mock cluster (in process): a producer queue this small
    // cannot be set up with the real broker's tests in reasonable time.
    #[tokio::test]
    async fn a_batch_larger_than_the_producer_queue_is_published_whole() {
        let cluster = MockCluster::new(1).expect("mock cluster");
        cluster.create_topic("dead", 1, 1).expect("topic");
        let dead_letters = DeadLetters::with_config(
            ClientConfig::new()
                .set("bootstrap.servers", cluster.bootstrap_servers())
                .set("queue.buffering.max.messages", "3")
                .set("message.timeout.ms", "5000"),
            "dead",
        )
        .expect("producer");
        let batch: Vec<Rejected> = (0..10).map(rejected).collect();
        let published =
            tokio::time::timeout(Duration::from_secs(20), dead_letters.publish(&batch)).await;
        assert!(matches!(published, Ok(Ok(()))), "{published:?}");
        let (_, high) = dead_letters
            .producer
            .inner()
            .client()
            .fetch_watermarks("dead", 0, Duration::from_secs(5))
            .expect("watermarks");
        assert_eq!(high, 10, "each message once");
    }
}
