//! The stream processor when the feedback topic's log no longer matches
//! the group's position: the topic deleted and created again (the deletion
//! takes the group's offsets), a log that ends before the committed
//! offset, or a group without offsets over events whose minutes ClickHouse
//! lacks. Against the real local broker and ClickHouse; every row must
//! still equal the oracle over both logs.

use std::time::Duration;

use carepulse_model::FeedbackEvent;
use carepulse_service_tests::pipeline::{days_of_events, metric, three_days_of_events, Pipeline};
use carepulse_service_tests::require_clickhouse;

/// Events published, the feedback topic deleted and created again, more
/// events published: the scores count both logs, each event once. With
/// `keep_position`, the group's old offsets are committed again after the
/// topic is re-created (as when a broker loses the end of a log while the
/// group keeps its position); otherwise the deletion took them.
async fn topic_created_again(name: &str, keep_position: bool, metric_name: &str) {
    let pipeline = Pipeline::new(name, 2, &require_clickhouse()).await;
    let events = three_days_of_events(17);
    let (before, after) = events.split_at(events.len() * 3 / 4);
    let mut published = pipeline.publish(before).await;
    let processor = pipeline.start(name);
    pipeline.wait_committed(name, Duration::from_secs(120));
    processor.stop();
    let old_ends = pipeline.log_ends();
    pipeline.recreate_feedback_topic().await;
    // The new log also answers for minutes the old one wrote: the same
    // touchpoints again, under new ids, so that their minute rows must add
    // to the old ones, not lose to them.
    let repeat = |every: usize, tag: &str| -> Vec<FeedbackEvent> {
        before
            .iter()
            .filter(|e| e.suspect.is_none())
            .step_by(every)
            .map(|e| {
                let mut e = e.clone();
                e.event_id = format!("{}-{tag}", e.event_id);
                e
            })
            .collect()
    };
    let mut next: Vec<_> = after.to_vec();
    next.extend(repeat(20, "again"));
    let again = pipeline.publish(&next).await;
    let new_ends = pipeline.log_ends();
    assert!(
        new_ends.iter().zip(&old_ends).all(|(new, old)| new < old),
        "every new offset is below the old position: {new_ends:?} {old_ends:?}"
    );
    if keep_position {
        pipeline.commit(name, &old_ends);
    }
    // The oracle reads each partition in the processor's order: the new
    // log after the old one.
    published.extend(again.into_iter().map(|mut p| {
        p.offset += old_ends[p.partition as usize];
        p
    }));
    let seen_before = metric(metric_name);
    let processor = pipeline.start(name);
    pipeline.wait_committed(name, Duration::from_secs(120));
    processor.stop();
    assert!(
        metric(metric_name) > seen_before,
        "{metric_name} counted it"
    );
    let report = pipeline.check(&published).await;
    eprintln!("{} events published: {report:?}", published.len());
    assert!(report.counted > 1_000, "{report:?}");

    // An ordinary restart over both logs, whose offsets overlap: the state
    // is rebuilt from the events of both.
    let more = pipeline.publish(&repeat(30, "later")).await;
    published.extend(more.into_iter().map(|mut p| {
        p.offset += old_ends[p.partition as usize];
        p
    }));
    let processor = pipeline.start(name);
    pipeline.wait_committed(name, Duration::from_secs(120));
    processor.stop();
    pipeline.check(&published).await;
}

/// One after the other, in a test binary of their own: tansu 0.6 loses
/// track of a topic's partitions when another topic is deleted at the same
/// time, and its storage can fail on a produce during a delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_or_replaced_position_keeps_every_count() {
    let lost = "carepulse_process_offsets_lost_total";
    topic_created_again("process_recreated", false, lost).await;
    let resets = "carepulse_process_log_resets_total";
    topic_created_again("process_log_reset", true, resets).await;
    new_group_over_events_without_minutes().await;
}

/// A group with no committed offset over events ClickHouse holds without
/// their minutes: what a crash between the two inserts leaves before the
/// first commit. Every minute must be written again.
async fn new_group_over_events_without_minutes() {
    let pipeline = Pipeline::new("process_new_group", 2, &require_clickhouse()).await;
    // Ten days: the new group reads again events older than the allowed
    // lateness, which a state forgets; they must still be duplicates.
    let published = pipeline.publish(&days_of_events(19, 10)).await;
    let first = pipeline.start("first");
    pipeline.wait_committed("first", Duration::from_secs(120));
    first.stop();
    let client = pipeline.client();
    client
        .query("ALTER TABLE score_minutes DELETE WHERE 1")
        .execute()
        .await
        .unwrap();
    // Mutations run in the background.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let left: u64 = client
            .query("SELECT count() FROM score_minutes")
            .fetch_one()
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{left} minute rows left"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let lost = "carepulse_process_offsets_lost_total";
    let seen_before = metric(lost);
    let second = pipeline.start("second");
    pipeline.wait_committed("second", Duration::from_secs(120));
    second.stop();
    assert!(metric(lost) > seen_before, "{lost} counted it");
    let report = pipeline.check(&published).await;
    eprintln!("{} events published: {report:?}", published.len());
}
