//! The stream processor against the real local broker and ClickHouse:
//! every row it writes equals what the oracle computes from the published
//! events, through rebalances, ClickHouse outages, a hung ClickHouse and
//! poison messages.

use std::time::Duration;

use carepulse_process::ProcessSettings;
use carepulse_service_tests::pipeline::{metric, three_days_of_events, Pipeline};
use carepulse_service_tests::require_clickhouse;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_row_equals_the_oracle() {
    let pipeline = Pipeline::new("process_oracle", 3, &require_clickhouse()).await;
    let events = three_days_of_events(7);
    let published = pipeline.publish(&events).await;
    let processor = pipeline.start("oracle");
    pipeline.wait_committed("oracle", Duration::from_secs(120));
    processor.stop();
    let report = pipeline.check(&published).await;
    eprintln!("{} events published: {report:?}", published.len());
    assert!(report.counted > 1_000, "{report:?}");
    assert!(
        report.late > 10 && report.duplicates > 10 && report.suspect > 0,
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processors_and_rebalances_give_the_same_rows() {
    let pipeline = Pipeline::new("process_rebalance", 4, &require_clickhouse()).await;
    let events = three_days_of_events(11);
    let (first, rest) = events.split_at(events.len() / 3);
    let (second, third) = rest.split_at(rest.len() / 2);
    let mut published = pipeline.publish(first).await;
    let a = pipeline.start("rebalance");
    tokio::time::sleep(Duration::from_secs(2)).await;
    // B joins: the partitions are shared out again while A holds state.
    let b = pipeline.start("rebalance");
    published.extend(pipeline.publish(second).await);
    tokio::time::sleep(Duration::from_secs(3)).await;
    // A leaves in the middle of the stream: B takes every partition.
    a.stop();
    published.extend(pipeline.publish(third).await);
    pipeline.wait_committed("rebalance", Duration::from_secs(120));
    b.stop();
    assert!(
        metric("carepulse_process_restored_events_total") > 0.0,
        "B rebuilt A's partitions from ClickHouse"
    );
    let report = pipeline.check(&published).await;
    eprintln!("{} events published: {report:?}", published.len());
    assert!(report.counted > 1_000, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clickhouse_outage_pauses_and_loses_nothing() {
    use carepulse_service_tests::clickhouse::PrivateClickHouse;
    let mut clickhouse = PrivateClickHouse::start("process_outage");
    let pipeline = Pipeline::new("process_outage", 3, &clickhouse.url()).await;
    let events = three_days_of_events(13);
    let (before, after) = events.split_at(events.len() / 2);
    let mut published = pipeline.publish(before).await;
    let processor = pipeline.start("outage");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    clickhouse.kill();
    // Down for a while, with events arriving.
    published.extend(pipeline.publish(after).await);
    tokio::time::sleep(Duration::from_secs(5)).await;
    clickhouse.restart();
    pipeline.wait_committed("outage", Duration::from_secs(120));
    processor.stop();
    assert!(
        metric("carepulse_process_sink_errors_total") > 0.0,
        "the outage was seen"
    );
    let report = pipeline.check(&published).await;
    eprintln!("{} events published: {report:?}", published.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hung_clickhouse_during_a_restore_times_out_and_the_restore_is_retried() {
    use carepulse_service_tests::clickhouse::PrivateClickHouse;
    let clickhouse = PrivateClickHouse::start("process_hang");
    let pipeline = Pipeline::new("process_hang", 3, &clickhouse.url()).await;
    let events = three_days_of_events(19);
    let (before, after) = events.split_at(events.len() / 2);
    let mut published = pipeline.publish(before).await;
    let first = pipeline.start("hang");
    pipeline.wait_committed("hang", Duration::from_secs(120));
    first.stop();
    // The next processor restores every partition from ClickHouse, which
    // accepts its connections and answers nothing.
    clickhouse.pause();
    published.extend(pipeline.publish(after).await);
    let failed_before = metric("carepulse_process_restore_errors_total");
    let hung = pipeline.start_with(ProcessSettings {
        query_timeout_secs: 2,
        ..Pipeline::settings("hang")
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    // Asked to stop while the server still hangs, it gives up its restore
    // and stops (blocked in a query without a time limit, it never would).
    let stopped = tokio::task::spawn_blocking(move || hung.stop());
    tokio::time::timeout(Duration::from_secs(60), stopped)
        .await
        .expect("the processor stopped while ClickHouse hung")
        .unwrap();
    assert!(
        metric("carepulse_process_restore_errors_total") > failed_before,
        "the failed restores were counted"
    );
    clickhouse.resume();
    let last = pipeline.start("hang");
    pipeline.wait_committed("hang", Duration::from_secs(120));
    last.stop();
    let report = pipeline.check(&published).await;
    eprintln!("{} events published: {report:?}", published.len());
    assert!(report.counted > 1_000, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_messages_go_to_the_dead_letter_topic_with_a_reason() {
    use rdkafka::consumer::{Consumer, StreamConsumer};
    use rdkafka::message::Headers;
    use rdkafka::{ClientConfig, Message};

    let pipeline = Pipeline::new("process_poison", 2, &require_clickhouse()).await;
    let events = three_days_of_events(17);
    let good = &events[..200];
    let mut wrong_version = serde_json::to_value(&events[0]).unwrap();
    wrong_version["v"] = 2.into();
    let mut bad_answer = serde_json::to_value(&events[1]).unwrap();
    bad_answer["event_id"] = "poison-bad-answer".into();
    bad_answer["overall"] =
        serde_json::json!({"question": "overall", "scale": "rating_0_10", "value": 42});
    let poison: Vec<Vec<u8>> = vec![
        b"this is not json".to_vec(),
        b"{\"v\":1}".to_vec(),
        serde_json::to_vec(&wrong_version).unwrap(),
        serde_json::to_vec(&bad_answer).unwrap(),
        vec![0xff, 0xfe, 0x00],
    ];
    pipeline.publish_raw("poison/key", &poison).await;
    let published = pipeline.publish(good).await;
    let processor = pipeline.start("poison");
    pipeline.wait_committed("poison", Duration::from_secs(60));
    processor.stop();
    // The processor went on: every good event is counted.
    pipeline.check(&published).await;

    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &pipeline.kafka.brokers)
        .set("group.id", "poison-reader")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer
        .subscribe(&[&pipeline.kafka.dead_letter_topic])
        .unwrap();
    let mut reasons = Vec::new();
    while reasons.len() < poison.len() {
        let message = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .expect("every poison message reaches the dead-letter topic")
            .unwrap();
        let headers = message.headers().expect("dead letters carry headers");
        let header = |name: &str| {
            headers
                .iter()
                .find(|h| h.key == name)
                .and_then(|h| h.value)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default()
        };
        assert!(header(carepulse_process::ORIGIN_HEADER).contains('/'));
        assert!(
            poison.iter().any(|p| message.payload() == Some(p)),
            "whole message kept"
        );
        reasons.push(header(carepulse_process::REASON_HEADER));
    }
    reasons.sort();
    eprintln!("{reasons:#?}");
    assert!(
        reasons.iter().any(|r| r.starts_with("v: format version 2")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.starts_with("answers:")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("missing field")),
        "{reasons:?}"
    );
    assert_eq!(
        reasons
            .iter()
            .filter(|r| r.starts_with("not a feedback event v1"))
            .count(),
        3,
        "{reasons:?}"
    );
    let rejected: u64 = pipeline
        .client()
        .query("SELECT count() FROM rejected_events FINAL")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(rejected, poison.len() as u64);
}
