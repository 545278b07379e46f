//! The dead-letter topic: messages that could not be decoded or validated,
//! whole, with the reason and their origin in headers. A message refused
//! as too large is sent again alone, and cut short (its full length in a
//! header) if it still does not fit, rather than stalling the processor.

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
    /// acknowledged, then goes on. A message refused as too large is sent
    /// again on its own, cut short if it must be.
    pub async fn publish(&self, rejected: &[Rejected]) -> Result<(), KafkaError> {
        let mut deliveries = Vec::with_capacity(rejected.len());
        for r in rejected {
            let delivery = match self.send(r, usize::MAX) {
                Err(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)) => {
                    self.settle(&mut deliveries).await?;
                    self.send_alone(r).await?;
                    continue;
                }
                Err(e) if too_large(&e) => {
                    self.send_alone(r).await?;
                    continue;
                }
                other => other?,
            };
            deliveries.push((r, delivery));
        }
        self.settle(&mut deliveries).await
    }

    /// Waits for each acknowledgement.
    async fn settle(
        &self,
        deliveries: &mut Vec<(&Rejected, Acknowledgement)>,
    ) -> Result<(), KafkaError> {
        for (r, delivery) in deliveries.drain(..) {
            match delivery.await {
                // The broker refuses a whole batch: this message may be
                // small, and fit when sent alone.
                Err(e) if too_large(&e) => self.send_alone(r).await?,
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }

    /// Sends `r` alone and waits for it, waiting for queue space if need
    /// be: whole first, then cut to [`CUT_TO`] bytes, then to a quarter of
    /// that each time it is refused again (down to the headers alone), so
    /// that it always ends up sent.
    async fn send_alone(&self, r: &Rejected) -> Result<(), KafkaError> {
        let mut limit = usize::MAX;
        loop {
            let answer = match self.send(r, limit) {
                Ok(delivery) => delivery.await.map(drop),
                Err(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                Err(e) => Err(e),
            };
            match answer {
                Ok(()) if is_cut(r, limit) => {
                    ::metrics::counter!(crate::metrics::DEAD_LETTERS_CUT).increment(1);
                    tracing::warn!(
                        origin = origin(r),
                        bytes = r.payload.len(),
                        "a rejected message was too large for the dead-letter topic; sent its first {limit} bytes"
                    );
                    return Ok(());
                }
                Err(e) if too_large(&e) && limit > 0 => {
                    limit = if limit == usize::MAX {
                        self.cut_to
                    } else {
                        limit / 4
                    };
                }
                other => return other,
            }
        }
    }

    /// Queues `r` with its payload and key cut to `limit` bytes (with the
    /// full length in a header when anything was cut).
    fn send(&self, r: &Rejected, limit: usize) -> Result<Acknowledgement, KafkaError> {
        let origin = origin(r);
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
        let payload = &r.payload[..r.payload.len().min(limit)];
        let key = r.key.as_deref().map(|k| &k[..k.len().min(limit)]);
        if is_cut(r, limit) {
            headers = headers.insert(Header {
                key: TRUNCATED_HEADER,
                value: Some(full_length.as_bytes()),
            });
        }
        self.producer.send(&self.topic, key, payload, Some(headers))
    }

    /// Waits for messages still queued.
    pub fn flush(&self, timeout: Duration) {
        let _ = self.producer.flush(timeout);
    }
}

/// `partition/offset` of `r` on the feedback topic.
fn origin(r: &Rejected) -> String {
    format!("{}/{}", r.row.kafka_partition, r.row.kafka_offset)
}

/// Whether cutting `r` to `limit` bytes cuts its payload or its key.
fn is_cut(r: &Rejected, limit: usize) -> bool {
    limit < r.payload.len().max(r.key.as_ref().map_or(0, Vec::len))
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

    /// Payload length, key length and the truncation header of each
    /// message on `dead`, in order (waits for `n` of them).
    fn read_back(cluster: &Cluster, n: usize) -> Vec<(usize, usize, Option<String>)> {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        use rdkafka::message::Headers;
        use rdkafka::{Message, Offset, TopicPartitionList};
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
        while seen.len() < n && std::time::Instant::now() < deadline {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
                let cut = m.headers().and_then(|h| {
                    h.iter()
                        .find(|h| h.key == TRUNCATED_HEADER)
                        .and_then(|h| h.value.map(|v| String::from_utf8_lossy(v).into_owned()))
                });
                let len = |b: Option<&[u8]>| b.map_or(0, <[u8]>::len);
                seen.push((len(m.payload()), len(m.key()), cut));
            }
        }
        seen
    }

    #[tokio::test]
    async fn a_message_too_large_for_the_producer_is_sent_cut_short() {
        let (cluster, mut dead_letters) = mock(&[("message.max.bytes", "1000")]);
        dead_letters.cut_to = 500;
        let mut large = rejected(7);
        large.payload = vec![b'x'; 5_000];
        let mut large_key = rejected(8);
        large_key.key = Some(vec![b'k'; 5_000]);
        let batch = [rejected(6), large, large_key, rejected(9)];
        assert_eq!(published(&dead_letters, &batch).await, 4);
        let full = Some("5000".to_owned());
        let cut_key = Some("1".to_owned());
        assert_eq!(
            read_back(&cluster, 4),
            [
                (1, 0, None),
                (500, 0, full),
                (1, 500, cut_key),
                (1, 0, None)
            ],
            "each message once; the large payload and the large key cut short, \
             with the payload's full length"
        );
    }

    #[tokio::test]
    async fn only_the_large_message_of_a_refused_batch_is_cut() {
        use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
        let (cluster, dead_letters) = mock(&[("linger.ms", "50"), ("enable.idempotence", "true")]);
        // The broker refuses the first request, the whole batch, as too
        // large; sent again alone, each fits.
        cluster.request_errors(
            RDKafkaApiKey::Produce,
            &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE],
        );
        let batch = [rejected(1), rejected(2), rejected(3)];
        assert_eq!(published(&dead_letters, &batch).await, 3);
        assert_eq!(
            read_back(&cluster, 3),
            [(1, 0, None), (1, 0, None), (1, 0, None)],
            "sent whole, unmarked"
        );
    }
}
