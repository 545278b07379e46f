//! Kafka plumbing shared by the ingest service, the stream processor and the
//! simulator: the `[kafka]` settings, topic creation through the admin API
//! (the brokers carepulse runs on do not auto-create topics), and the
//! producer that publishes feedback events keyed by facility and department.

mod producer;
mod settings;
mod topics;

pub use producer::{partition_key, Delivery, FeedbackProducer, ProducerOptions, PublishError};
pub use settings::KafkaSettings;
pub use topics::{ensure_topics, TopicError, TopicStatus};
