//! The dead-letter topic: messages that could not be decoded or validated,
//! whole, with the reason and their origin in headers. A message the
//! broker refuses as too large is sent cut to its first 64 KiB, with its
//! full length in a header, rather than stalling the processor for ever.

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
/// Header holding the full length in bytes of a message sent cut short.
pub const TRUNCATED_HEADER: &str = "carepulse-truncated-from";

/// What is kept of a message too large for the dead-letter topic.
const CUT_TO: usize = 64 * 1024;

/// Publishes rejected messages to the dead-letter topic.
#[derive(Clone)]
pub struct DeadLetters {
    producer: AckedProducer,
    topic: String,
    cut_to: usize,
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
            cut_to: CUT_TO,
        })
    }

    /// Publishes every message and waits until the broker acknowledged all
    /// of them. When the producer's queue is full (a batch can reject more
    /// messages than it holds), waits for what is queued to be
    /// acknowledged, then goes on.
    pub async fn publish(&self, rejected: &[Rejected]) -> Result<(), KafkaError> {
        let mut deliveries = Vec::with_capacity(rejected.len());
        for r in rejected {
            let delivery = match self.send(r, false) {
                Err(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull))
                    if !deliveries.is_empty() =>
                {
                    self.settle(&mut deliveries).await?;
                    self.send(r, false)?
                }
                Err(e) if too_large(&e) => self.send(r, true)?,
                other => other?,
            };
            deliveries.push((r, delivery));
        }
        self.settle(&mut deliveries).await
    }

    /// Waits for each acknowledgement; a message refused as too large is
    /// sent again cut short.
    async fn settle(
        &self,
        deliveries: &mut Vec<(&Rejected, Acknowledgement)>,
    ) -> Result<(), KafkaError> {
        for (r, delivery) in deliveries.drain(..) {
            match delivery.await {
                Err(e) if too_large(&e) => {
                    self.send(r, true)?.await?;
                }
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }

    fn send(&self, r: &Rejected, cut: bool) -> Result<Acknowledgement, KafkaError> {
        let origin = format!("{}/{}", r.row.kafka_partition, r.row.kafka_offset);
        let full_length = r.payload.len().to_string();
        let mut headers = OwnedHeaders::new()
            .insert(Header {
                key: REASON_HEADER,
                value: Some(r.row.reason.as_bytes()),
            })
            .insert(Header {
                key: ORIGIN_HEADER,
                value: Some(origin.as_bytes()),
            });
        let mut payload = &r.payload[..];
        if cut {
            ::metrics::counter!(crate::metrics::DEAD_LETTERS_CUT).increment(1);
            tracing::warn!(
                origin,
                bytes = r.payload.len(),
                "a rejected message is too large for the dead-letter topic; sending its first {} bytes",
                self.cut_to
            );
            payload = &payload[..payload.len().min(self.cut_to)];
            headers = headers.insert(Header {
                key: TRUNCATED_HEADER,
                value: Some(full_length.as_bytes()),
            });
        }
        self.producer
            .send(&self.topic, r.key.as_deref(), payload, Some(headers))
    }

    /// Waits for messages still queued.
    pub fn flush(&self, timeout: Duration) {
        let _ = self.producer.flush(timeout);
    }
}

/// Whether the producer or the broker refused a message for its size.
fn too_large(e: &KafkaError) -> bool {
    matches!(
        e,
        KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use carepulse_clickhouse::rows::RejectedRow;
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{DefaultProducerContext, Producer};

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

    type Cluster = MockCluster<'static, DefaultProducerContext>;

    /// librdkafka's mock cluster (in process) with topic `dead`, and dead
    /// letters to it with `settings` added. The real broker cannot be made
    /// to refuse messages this way.
    fn mock(settings: &[(&str, &str)]) -> (Cluster, DeadLetters) {
        let cluster = MockCluster::new(1).expect("mock cluster");
        cluster.create_topic("dead", 1, 1).expect("topic");
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", cluster.bootstrap_servers())
            .set("message.timeout.ms", "5000");
        for (key, value) in settings {
            config.set(*key, *value);
        }
        let dead_letters = DeadLetters::with_config(&config, "dead").expect("producer");
        (cluster, dead_letters)
    }

    /// Publishes `batch` (within 20 s) and returns the messages on `dead`.
    async fn published(dead_letters: &DeadLetters, batch: &[Rejected]) -> i64 {
        let published =
            tokio::time::timeout(Duration::from_secs(20), dead_letters.publish(batch)).await;
        assert!(matches!(published, Ok(Ok(()))), "{published:?}");
        let (_, high) = dead_letters
            .producer
            .inner()
            .client()
            .fetch_watermarks("dead", 0, Duration::from_secs(5))
            .expect("watermarks");
        high
    }

    #[tokio::test]
    async fn a_batch_larger_than_the_producer_queue_is_published_whole() {
        let (_cluster, dead_letters) = mock(&[("queue.buffering.max.messages", "3")]);
        let batch: Vec<Rejected> = (0..10).map(rejected).collect();
        assert_eq!(
            published(&dead_letters, &batch).await,
            10,
            "each message once"
        );
    }

    #[tokio::test]
    async fn a_message_the_broker_refuses_as_too_large_is_sent_cut_short() {
        use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
        let (cluster, mut dead_letters) = mock(&[]);
        // The broker answers the first produce request "too large", as a
        // topic with a smaller `max.message.bytes` would.
        cluster.request_errors(
            RDKafkaApiKey::Produce,
            &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE],
        );
        dead_letters.cut_to = 500;
        let mut large = rejected(7);
        large.payload = vec![b'x'; 5_000];
        assert_eq!(
            published(&dead_letters, &[large]).await,
            1,
            "sent once, cut short"
        );
    }

    #[tokio::test]
    async fn a_message_too_large_for_the_producer_is_sent_cut_short() {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        use rdkafka::message::Headers;
        use rdkafka::{Message, Offset, TopicPartitionList};
        let (cluster, mut dead_letters) = mock(&[("message.max.bytes", "1000")]);
        dead_letters.cut_to = 500;
        let mut large = rejected(7);
        large.payload = vec![b'x'; 5_000];
        let batch = [rejected(6), large, rejected(8)];
        assert_eq!(published(&dead_letters, &batch).await, 3);

        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", cluster.bootstrap_servers())
            .set("group.id", "read")
            .create()
            .expect("consumer");
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset("dead", 0, Offset::Beginning)
            .expect("partition");
        consumer.assign(&tpl).expect("assign");
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while seen.len() < 3 && std::time::Instant::now() < deadline {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
                let cut = m.headers().and_then(|h| {
                    h.iter()
                        .find(|h| h.key == TRUNCATED_HEADER)
                        .and_then(|h| h.value.map(|v| String::from_utf8_lossy(v).into_owned()))
                });
                seen.push((m.payload().map_or(0, <[u8]>::len), cut));
            }
        }
        assert_eq!(
            seen,
            [(1, None), (500, Some("5000".to_owned())), (1, None)],
            "each message once, the large one cut short with its full length"
        );
    }
}
