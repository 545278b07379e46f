//! `carepulse migrate`: creates what carepulse needs in the systems it uses;
//! today the Kafka topics (feedback and dead letters). Safe to run again.

use std::path::Path;
use std::process::ExitCode;

use carepulse_kafka::{ensure_topics, TopicStatus};

/// Creates missing topics and says what it did.
pub async fn run(file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = super::valid_config(file)?;
    for (topic, status) in ensure_topics(&config.kafka).await? {
        let what = match status {
            TopicStatus::Created => format!("created with {} partitions", config.kafka.partitions),
            TopicStatus::Existed => "already there".to_owned(),
        };
        println!("kafka topic {topic}: {what}");
    }
    Ok(ExitCode::SUCCESS)
}
