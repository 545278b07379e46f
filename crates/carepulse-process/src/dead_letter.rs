//! The dead-letter topic: messages that could not be decoded or validated,
//! whole, with the reason and their origin in headers.

use std::time::Duration;

use carepulse_kafka::{AckedProducer, KafkaSettings};
use rdkafka::error::KafkaError;
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
        let producer = AckedProducer::new(
            ClientConfig::new()
                .set("bootstrap.servers", &settings.brokers)
                .set("enable.idempotence", "true")
                .set("acks", "all")
                .set("linger.ms", "5")
                .set("message.timeout.ms", "10000"),
        )?;
        Ok(DeadLetters {
            producer,
            topic: settings.dead_letter_topic.clone(),
        })
    }

    /// Publishes every message and waits until the broker acknowledged all
    /// of them.
    pub async fn publish(&self, rejected: &[Rejected]) -> Result<(), KafkaError> {
        let mut deliveries = Vec::with_capacity(rejected.len());
        for r in rejected {
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
            deliveries.push(self.producer.send(
                &self.topic,
                r.key.as_deref(),
                &r.payload,
                Some(headers),
            )?);
        }
        for delivery in deliveries {
            delivery.await?;
        }
        Ok(())
    }

    /// Waits for messages still queued.
    pub fn flush(&self, timeout: Duration) {
        let _ = self.producer.flush(timeout);
    }
}
