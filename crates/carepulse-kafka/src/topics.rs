//! Creating carepulse's topics through the admin API, idempotently.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;

use crate::KafkaSettings;

/// What happened to one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicStatus {
    /// Created now.
    Created,
    /// It was there already (its partition count is left as it is).
    Existed,
}

/// Why topics could not be created.
#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    /// The admin request failed (broker unreachable, timeout).
    #[error("cannot reach the Kafka brokers at {brokers} to create topics: {source}")]
    Request {
        /// The configured brokers.
        brokers: String,
        /// The client error.
        source: KafkaError,
    },
    /// The broker refused to create a topic.
    #[error("the broker refused to create topic '{topic}': {code}")]
    Refused {
        /// The topic.
        topic: String,
        /// The broker's error code.
        code: RDKafkaErrorCode,
    },
}

/// Creates the feedback, dead-letter and alerts topics when missing.
pub async fn ensure_topics(
    settings: &KafkaSettings,
) -> Result<Vec<(String, TopicStatus)>, TopicError> {
    let request_error = |source| TopicError::Request {
        brokers: settings.brokers.clone(),
        source,
    };
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &settings.brokers)
        .set("socket.timeout.ms", "10000")
        .create()
        .map_err(request_error)?;
    let topics = [
        &settings.feedback_topic,
        &settings.dead_letter_topic,
        &settings.alerts_topic,
    ];
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| {
            NewTopic::new(
                t,
                settings.partitions,
                TopicReplication::Fixed(settings.replication_factor),
            )
        })
        .collect();
    let options = AdminOptions::new()
        .operation_timeout(Some(Duration::from_secs(10)))
        .request_timeout(Some(Duration::from_secs(15)));
    let results = admin
        .create_topics(&new, &options)
        .await
        .map_err(request_error)?;
    results
        .into_iter()
        .map(|r| match r {
            Ok(topic) => Ok((topic, TopicStatus::Created)),
            Err((topic, RDKafkaErrorCode::TopicAlreadyExists)) => Ok((topic, TopicStatus::Existed)),
            Err((topic, code)) => Err(TopicError::Refused { topic, code }),
        })
        .collect()
}
