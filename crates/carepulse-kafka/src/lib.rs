//! Kafka plumbing shared by the ingest service, the stream processor and the
//! simulator: the `[kafka]` settings, topic creation through the admin API
//! (the brokers carepulse runs on do not auto-create topics), and the
//! producer that publishes feedback events keyed by facility and department.

mod acked;
mod producer;
mod settings;
mod topics;

pub use acked::{AckedProducer, Acknowledgement, Delivery, Reports, POLL_ROUND};
pub use producer::{partition_key, FeedbackProducer, ProducerOptions, PublishError};
pub use settings::KafkaSettings;
pub use topics::{ensure_topics, TopicError, TopicStatus};
