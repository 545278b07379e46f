//! Smoke tests against the real local services (`dev/services up`): a Kafka
//! round trip through the admin API, an idempotent producer and a consumer
//! group; a ClickHouse round trip through the client the product uses.

use std::time::Duration;

use carepulse_service_tests::{database, require_kafka, unique_name};
use clickhouse::Row;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message};
use serde::{Deserialize, Serialize};

#[tokio::test]
async fn kafka_topic_create_produce_consume_round_trip() {
    let brokers = require_kafka();
    let topic = unique_name("smoke");

    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create()
        .expect("admin client");
    let results = admin
        .create_topics(
            &[NewTopic::new(&topic, 3, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .expect("create_topics request");
    for r in results {
        r.expect("topic created");
    }

    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .create()
        .expect("producer");
    let sent: Vec<(String, String)> = (0..20)
        .map(|i| (format!("dept-{}", i % 4), format!("{{\"n\":{i}}}")))
        .collect();
    for (key, payload) in &sent {
        producer
            .send(
                FutureRecord::to(&topic).key(key).payload(payload),
                Duration::from_secs(10),
            )
            .await
            .expect("broker acknowledged");
    }

    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", unique_name("smoke-group"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer.subscribe(&[&topic]).expect("subscribe");
    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while received.len() < sent.len() {
        let message = tokio::time::timeout_at(deadline, consumer.recv())
            .await
            .unwrap_or_else(|_| {
                panic!("only {} of {} messages arrived", received.len(), sent.len())
            })
            .expect("consume");
        let key = String::from_utf8(message.key().unwrap_or_default().to_vec()).unwrap();
        let payload = String::from_utf8(message.payload().unwrap_or_default().to_vec()).unwrap();
        received.push((key, payload));
        consumer
            .commit_message(&message, CommitMode::Sync)
            .expect("commit");
    }
    let mut expected = sent.clone();
    expected.sort();
    received.sort();
    assert_eq!(received, expected);
}

#[derive(Debug, Row, Serialize, Deserialize, PartialEq)]
struct SmokeRow {
    department: String,
    responses: u32,
    score: f64,
}

#[tokio::test]
async fn clickhouse_create_insert_select_round_trip() {
    let client = database::client();
    client
        .query("CREATE DATABASE IF NOT EXISTS carepulse_smoke")
        .execute()
        .await
        .expect("create database");
    let client = client.with_database("carepulse_smoke");
    let table = unique_name("rows");
    client
        .query(&format!(
            "CREATE TABLE {table} (department String, responses UInt32, score Float64) \
             ENGINE = MergeTree ORDER BY department"
        ))
        .execute()
        .await
        .expect("create table");

    let rows = vec![
        SmokeRow {
            department: "ed".into(),
            responses: 12,
            score: 71.5,
        },
        SmokeRow {
            department: "radiology".into(),
            responses: 3,
            score: 88.25,
        },
    ];
    let mut insert = client.insert::<SmokeRow>(&table).await.expect("insert");
    for row in &rows {
        insert.write(row).await.expect("write row");
    }
    insert.end().await.expect("insert acknowledged");

    let back = client
        .query(&format!("SELECT ?fields FROM {table} ORDER BY department"))
        .fetch_all::<SmokeRow>()
        .await
        .expect("select");
    assert_eq!(back, rows);
    client
        .query(&format!("DROP TABLE {table}"))
        .execute()
        .await
        .expect("drop table");
}
