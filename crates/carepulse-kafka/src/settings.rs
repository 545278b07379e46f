//! The `[kafka]` configuration section.

use serde::{Deserialize, Serialize};

/// `[kafka]`: where the brokers are and which topics carepulse uses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaSettings {
    /// Bootstrap servers, `host:port[,host:port...]`.
    pub brokers: String,
    /// Topic of validated feedback events.
    pub feedback_topic: String,
    /// Topic of messages that could not be decoded or validated.
    pub dead_letter_topic: String,
    /// Topic of alert state changes (fired, resolved), keyed by alert id.
    pub alerts_topic: String,
    /// Partitions of topics created by carepulse.
    pub partitions: i32,
    /// Replication factor of topics created by carepulse.
    pub replication_factor: i32,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        KafkaSettings {
            brokers: "127.0.0.1:9092".into(),
            feedback_topic: "carepulse.feedback.v1".into(),
            dead_letter_topic: "carepulse.feedback.dead-letter.v1".into(),
            alerts_topic: "carepulse.alerts.v1".into(),
            partitions: 6,
            replication_factor: 1,
        }
    }
}

impl KafkaSettings {
    /// Appends every problem, each naming the setting to change.
    pub fn check(&self, problems: &mut Vec<String>) {
        for broker in self.brokers.split(',').map(str::trim) {
            let ok = broker
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !ok {
                problems.push(format!(
                    "kafka.brokers: '{broker}' is not host:port (e.g. 127.0.0.1:9092)"
                ));
            }
        }
        for (name, topic) in [
            ("feedback_topic", &self.feedback_topic),
            ("dead_letter_topic", &self.dead_letter_topic),
            ("alerts_topic", &self.alerts_topic),
        ] {
            let ok = (1..=249).contains(&topic.len())
                && topic
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
            if !ok {
                problems.push(format!(
                    "kafka.{name}: '{topic}' is not a valid topic name (1-249 characters of a-z, A-Z, 0-9, '.', '_', '-')"
                ));
            }
        }
        if self.feedback_topic == self.dead_letter_topic {
            problems.push("kafka.dead_letter_topic: must differ from kafka.feedback_topic".into());
        }
        if [&self.feedback_topic, &self.dead_letter_topic].contains(&&self.alerts_topic) {
            problems.push(
                "kafka.alerts_topic: must differ from kafka.feedback_topic and kafka.dead_letter_topic"
                    .into(),
            );
        }
        if self.partitions < 1 {
            problems.push(format!(
                "kafka.partitions: {} must be at least 1",
                self.partitions
            ));
        }
        if self.replication_factor < 1 {
            problems.push(format!(
                "kafka.replication_factor: {} must be at least 1",
                self.replication_factor
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_mistakes_are_named() {
        let mut problems = Vec::new();
        KafkaSettings::default().check(&mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let bad = KafkaSettings {
            brokers: "a:1,b".into(),
            dead_letter_topic: "carepulse.feedback.v1".into(),
            partitions: 0,
            ..KafkaSettings::default()
        };
        bad.check(&mut problems);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("kafka.brokers: 'b'"));
    }
}
