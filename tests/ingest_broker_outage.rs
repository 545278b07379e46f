//! With the broker down, no client gets a 202: posts get 503 with
//! Retry-After and nothing is acknowledged; when the broker returns, posts
//! succeed again without restarting the service. Runs its own tansu on a
//! free port so stopping it does not disturb other tests.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use carepulse_service_tests::broker::PrivateBroker;
use carepulse_service_tests::ingest::{self, call, post, read_topic, token};
use chrono::Utc;
use serde_json::json;

fn submission(id: &str) -> String {
    json!({
        "event_id": id,
        "occurred_at": Utc::now().to_rfc3339(),
        "facility": "stmarys-general",
        "touchpoint": "ed-waiting-kiosk",
        "channel": "kiosk",
        "answers": { "overall": { "question": "overall", "value": "happy" } }
    })
    .to_string()
}

#[tokio::test]
async fn broker_outage_gives_503_and_the_service_recovers_by_itself() {
    let mut broker = PrivateBroker::start("outage");
    let service = ingest::start(&broker.address(), |s| {
        s.publish_timeout_ms = 2_000;
        s.retry_after_secs = 3;
    })
    .await;
    let stmarys = token("stmarys-general");
    let send = |id: &str| {
        post(
            "/v1/feedback",
            Some(&stmarys),
            "application/json",
            submission(id),
        )
    };

    let reply = call(&service.router, send("before-outage")).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);

    broker.kill();
    let reply = call(&service.router, send("during-outage-1")).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert_eq!(reply.retry_after.as_deref(), Some("3"));
    assert_eq!(reply.content_type, "application/problem+json");
    let batch = format!(
        "[{},{}]",
        submission("during-outage-2"),
        submission("during-outage-3")
    );
    let reply = call(
        &service.router,
        post(
            "/v1/feedback/batch",
            Some(&stmarys),
            "application/json",
            batch,
        ),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    let ready = axum::http::Request::get("/readyz")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(
        call(&service.router, ready).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );

    broker.restart();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reply = call(&service.router, send("after-outage")).await;
        if reply.status == StatusCode::ACCEPTED {
            break;
        }
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            reply.body
        );
        assert!(
            Instant::now() < deadline,
            "the service did not recover after the broker returned"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Acknowledged events are on the topic. An event answered with 503 may
    // still arrive (the client retries with the same event_id and the
    // processor deduplicates), but a 202 is never missing.
    let messages = read_topic(
        &broker.address(),
        &service.kafka.feedback_topic,
        2,
        Duration::from_secs(30),
    )
    .await;
    let ids: Vec<String> = messages
        .iter()
        .map(|(_, p)| {
            serde_json::from_slice::<serde_json::Value>(p).unwrap()["event_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(ids.contains(&"before-outage".to_owned()), "{ids:?}");
    assert!(
        ids.contains(&"after-outage".to_owned()) || ids.len() >= 2,
        "{ids:?}"
    );
}
