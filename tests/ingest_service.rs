//! The ingest service against the real local broker (`dev/services up`):
//! what a client posts is what lands on the topic, keyed, pseudonymised and
//! redacted; bad input gets the right status and a body naming the problem;
//! kiosk mashing is flagged; batches are acknowledged per item; no body
//! makes the service panic or fail with a 5xx other than 503.

use std::time::Duration;

use axum::http::StatusCode;
use carepulse_model::{FeedbackEvent, RawReference, ReferenceKind, Suspicion};
use carepulse_service_tests::ingest::{self, call, post, read_topic, token};
use carepulse_service_tests::require_kafka;
use chrono::{TimeDelta, Utc};
use serde_json::{json, Value};

fn example(name: &str) -> Value {
    let text = std::fs::read_to_string(ingest::repo().join("docs/examples").join(name)).unwrap();
    let mut body: Value = serde_json::from_str(&text).unwrap();
    // Examples carry fixed dates; move them close to now.
    body["occurred_at"] = json!((Utc::now() - TimeDelta::hours(3)).to_rfc3339());
    if body.get("responded_at").is_some() {
        body["responded_at"] = json!((Utc::now() - TimeDelta::hours(1)).to_rfc3339());
    }
    body
}

const STMARYS: &str = "stmarys-general";

#[tokio::test]
async fn posted_feedback_lands_on_the_topic_keyed_pseudonymised_and_redacted() {
    let brokers = require_kafka();
    let service = ingest::start(&brokers, |_| {}).await;
    let body = example("sms-ed-visit-survey.json");
    let reply = call(
        &service.router,
        post(
            "/v1/feedback",
            Some(&token(STMARYS)),
            "application/json",
            body.to_string(),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({ "event_id": "smsgw-7f3a9c21", "status": "accepted" })
    );

    let messages = read_topic(
        &brokers,
        &service.kafka.feedback_topic,
        1,
        Duration::from_secs(30),
    )
    .await;
    let (key, payload) = &messages[0];
    assert_eq!(key, "stmarys-general/ed");
    let event: FeedbackEvent = serde_json::from_slice(payload).unwrap();
    assert_eq!(event.event_id, "smsgw-7f3a9c21");
    assert_eq!(
        (event.journey.as_str(), event.stage.as_str()),
        ("ed-visit", "treatment")
    );
    let raw: RawReference = serde_json::from_value(json!("MRN-00123456")).unwrap();
    let expected = ingest::pseudonymiser().pseudonymise(ReferenceKind::Subject, &raw);
    assert_eq!(event.subject, Some(expected));
    assert_eq!(
        event.comment.as_deref(),
        Some("Four hours in the waiting room with my dad. Staff were kind though. Call me on [phone].")
    );
    let text = String::from_utf8_lossy(payload);
    for secret in [
        "MRN-00123456",
        "ED-ATT-2026-118822",
        "07700 900123",
        "07700",
    ] {
        assert!(
            !text.contains(secret) && !key.contains(secret),
            "{secret} reached the topic: {text}"
        );
    }
}

#[tokio::test]
async fn bad_inputs_get_the_right_status_and_a_body_naming_the_problem() {
    let brokers = require_kafka();
    let service = ingest::start(&brokers, |s| s.max_body_bytes = 16 * 1024).await;
    let good = example("kiosk-smiley.json");
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        edit(&mut b);
        b.to_string()
    };
    let stmarys = token(STMARYS);
    let riverside = token("riverside-surgery");
    struct Case<'a> {
        name: &'a str,
        token: Option<&'a str>,
        content_type: &'a str,
        body: String,
        status: StatusCode,
        mentions: &'a [&'a str],
    }
    let cases = [
        Case {
            name: "malformed JSON",
            token: Some(&stmarys),
            content_type: "application/json",
            body: "{\"facility\": ".into(),
            status: StatusCode::BAD_REQUEST,
            mentions: &["not valid JSON", "EOF"],
        },
        Case {
            name: "wrong types",
            token: Some(&stmarys),
            content_type: "application/json",
            body: with(&|b| {
                b["channel"] = json!(7);
                b["consent_to_contact"] = json!("yes");
            }),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            mentions: &[
                "\"field\":\"channel\"",
                "\"field\":\"consent_to_contact\"",
                "wrong_type",
            ],
        },
        Case {
            name: "unknown department",
            token: Some(&stmarys),
            content_type: "application/json",
            body: with(&|b| b["department"] = json!("cardiology")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            mentions: &[
                "\"field\":\"department\"",
                "unknown department 'cardiology'",
            ],
        },
        Case {
            name: "out-of-scale answer",
            token: Some(&stmarys),
            content_type: "application/json",
            body: with(&|b| b["answers"]["overall"]["value"] = json!("ecstatic")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            mentions: &[
                "answers.overall.value",
                "'ecstatic' is not on the smiley_4 scale",
            ],
        },
        Case {
            name: "oversized body",
            token: Some(&stmarys),
            content_type: "application/json",
            body: with(&|b| b["comment"] = json!("x".repeat(20_000))),
            status: StatusCode::PAYLOAD_TOO_LARGE,
            mentions: &["max_body_bytes"],
        },
        Case {
            name: "wrong content type",
            token: Some(&stmarys),
            content_type: "text/plain",
            body: good.to_string(),
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            mentions: &["application/json"],
        },
        Case {
            name: "missing token",
            token: None,
            content_type: "application/json",
            body: good.to_string(),
            status: StatusCode::UNAUTHORIZED,
            mentions: &["Authorization: Bearer"],
        },
        Case {
            name: "invalid token",
            token: Some("cp_not_a_real_token"),
            content_type: "application/json",
            body: good.to_string(),
            status: StatusCode::UNAUTHORIZED,
            mentions: &["not valid"],
        },
        Case {
            name: "token for another facility",
            token: Some(&riverside),
            content_type: "application/json",
            body: good.to_string(),
            status: StatusCode::FORBIDDEN,
            mentions: &["facility 'riverside-surgery' only, not 'stmarys-general'"],
        },
    ];
    for case in cases {
        let reply = call(
            &service.router,
            post("/v1/feedback", case.token, case.content_type, case.body),
        )
        .await;
        assert_eq!(reply.status, case.status, "{}: {}", case.name, reply.body);
        assert_eq!(
            reply.content_type, "application/problem+json",
            "{}",
            case.name
        );
        let text = reply.body.to_string();
        for mention in case.mentions {
            assert!(
                text.contains(mention),
                "{}: {mention} not in {text}",
                case.name
            );
        }
        assert_eq!(
            reply.body["status"],
            json!(case.status.as_u16()),
            "{}",
            case.name
        );
    }
    let reply = call(
        &service.router,
        post("/v1/nowhere", Some(&stmarys), "application/json", "{}"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.content_type, "application/problem+json");
    let get = axum::http::Request::get("/v1/feedback")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(
        call(&service.router, get).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn kiosk_repeats_are_kept_but_flagged_and_fast_devices_are_throttled() {
    let brokers = require_kafka();
    let service = ingest::start(&brokers, |s| {
        s.device_burst = 4.0;
        s.device_rate_per_min = 1.0;
    })
    .await;
    let stmarys = token(STMARYS);
    let press = |n: u32| {
        json!({ "device_id": "kiosk-ed-01", "button": 1 + n % 4, "press_id": n.to_string() })
            .to_string()
    };
    let mut suspects = Vec::new();
    for n in 0..4 {
        let reply = call(
            &service.router,
            post(
                "/v1/kiosk/presses",
                Some(&stmarys),
                "application/json",
                press(n),
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
        suspects.push(reply.body.get("suspect").cloned());
    }
    assert_eq!(suspects[0], None, "the first press counts");
    assert!(
        suspects[1..]
            .iter()
            .all(|s| *s == Some(json!("repeat_press"))),
        "{suspects:?}"
    );

    let reply = call(
        &service.router,
        post(
            "/v1/kiosk/presses",
            Some(&stmarys),
            "application/json",
            press(4),
        ),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
    assert!(reply
        .retry_after
        .is_some_and(|s| s.parse::<u64>().unwrap() >= 1));
    assert!(reply.body["detail"]
        .as_str()
        .unwrap()
        .contains("kiosk-ed-01"));

    let unknown = json!({ "device_id": "kiosk-mars-01", "button": 2 }).to_string();
    let reply = call(
        &service.router,
        post(
            "/v1/kiosk/presses",
            Some(&stmarys),
            "application/json",
            unknown,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["problems"][0]["field"], "device_id");

    // The flagged presses are on the topic for audit, marked as suspect.
    let messages = read_topic(
        &brokers,
        &service.kafka.feedback_topic,
        4,
        Duration::from_secs(30),
    )
    .await;
    let events: Vec<FeedbackEvent> = messages
        .iter()
        .map(|(_, p)| serde_json::from_slice(p).unwrap())
        .collect();
    let flagged = events
        .iter()
        .filter(|e| e.suspect == Some(Suspicion::RepeatPress))
        .count();
    assert_eq!(flagged, 3);
    assert!(events
        .iter()
        .all(|e| e.stage == "arrival" && e.source_id.as_deref() == Some("kiosk-ed-01")));
}

#[tokio::test]
async fn batches_are_acknowledged_per_item() {
    let brokers = require_kafka();
    let service = ingest::start(&brokers, |s| s.max_batch_items = 3).await;
    let stmarys = token(STMARYS);
    let mut invalid = example("kiosk-smiley.json");
    invalid["answers"]["overall"]["value"] = json!(11);
    invalid["event_id"] = json!("bad-one");
    let mut other_facility = example("pharmacy-pickup-sms.json");
    other_facility["event_id"] = json!("not-ours");
    let items = [example("kiosk-smiley.json"), invalid, other_facility];
    let array = Value::Array(items.to_vec()).to_string();
    let reply = call(
        &service.router,
        post(
            "/v1/feedback/batch",
            Some(&stmarys),
            "application/json",
            array,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        (
            reply.body["accepted"].clone(),
            reply.body["rejected"].clone()
        ),
        (json!(1), json!(2))
    );
    let statuses: Vec<Value> = reply.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(202), json!(422), json!(403)]);
    assert_eq!(
        reply.body["results"][1]["problems"][0]["field"],
        "answers.overall.value"
    );

    let ndjson: String = [
        example("portal-imaging-survey.json"),
        example("ed-discharge-fft.json"),
    ]
    .iter()
    .map(|v| v.to_string() + "\n")
    .collect();
    let reply = call(
        &service.router,
        post(
            "/v1/feedback/batch",
            Some(&stmarys),
            "application/x-ndjson",
            ndjson,
        ),
    )
    .await;
    assert_eq!(reply.body["accepted"], json!(2), "{}", reply.body);

    let four = Value::Array(vec![example("kiosk-smiley.json"); 4]).to_string();
    let reply = call(
        &service.router,
        post(
            "/v1/feedback/batch",
            Some(&stmarys),
            "application/json",
            four,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let reply = call(
        &service.router,
        post(
            "/v1/feedback/batch",
            Some(&stmarys),
            "application/json",
            "{\"not\":\"an array\"}",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    let messages = read_topic(
        &brokers,
        &service.kafka.feedback_topic,
        3,
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(messages.len(), 3, "only the accepted items were published");
}

#[tokio::test]
async fn metrics_count_requests_and_events() {
    let brokers = require_kafka();
    let service = ingest::start(&brokers, |_| {}).await;
    let handle = carepulse_ingest::metrics::handle();
    let body = example("kiosk-smiley.json").to_string();
    let reply = call(
        &service.router,
        post(
            "/v1/feedback",
            Some(&token(STMARYS)),
            "application/json",
            body,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let text = handle.render();
    for name in [
        "carepulse_ingest_http_requests_total{route=\"/v1/feedback\",method=\"POST\",status=\"202\"}",
        "carepulse_ingest_events_total{outcome=\"accepted\",reason=\"ok\"}",
        "carepulse_ingest_publish_duration_seconds_bucket",
        "carepulse_ingest_http_request_duration_seconds_bucket{route=\"/v1/feedback\"",
        "carepulse_ingest_kiosk_devices ",
        "carepulse_ingest_kiosk_devices_forgotten_total ",
    ] {
        assert!(text.contains(name), "{name} missing from\n{text}");
    }
}

mod random_bodies {
    use super::*;
    use proptest::prelude::*;

    fn body() -> impl Strategy<Value = Vec<u8>> {
        let fields = prop::sample::select(vec![
            "occurred_at",
            "facility",
            "touchpoint",
            "channel",
            "answers",
            "comment",
            "event_id",
            "subject_ref",
            "device_id",
            "button",
            "journey",
            "stage",
            "items",
        ]);
        let value = prop_oneof![
            Just(json!(null)),
            any::<i64>().prop_map(|n| json!(n)),
            "\\PC{0,40}".prop_map(|s| json!(s)),
            Just(json!("stmarys-general")),
            Just(json!("kiosk")),
            Just(json!({ "overall": { "question": "overall", "value": 3 } })),
            Just(json!([1, "x", null])),
        ];
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            prop::collection::btree_map(fields, value, 0..8)
                .prop_map(|m| serde_json::to_vec(&m).unwrap()),
        ]
    }

    #[test]
    fn random_bodies_never_panic_or_fail_with_5xx() {
        let brokers = require_kafka();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let service = runtime.block_on(ingest::start(&brokers, |_| {}));
        let stmarys = token(STMARYS);
        let paths = ["/v1/feedback", "/v1/feedback/batch", "/v1/kiosk/presses"];
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(400));
        runner
            .run(
                &(body(), 0..3usize, any::<bool>()),
                |(body, path, ndjson)| {
                    let content_type = if ndjson && path == 1 {
                        "application/x-ndjson"
                    } else {
                        "application/json"
                    };
                    let reply = runtime.block_on(call(
                        &service.router,
                        post(paths[path], Some(&stmarys), content_type, body),
                    ));
                    let status = reply.status.as_u16();
                    prop_assert!(
                        status < 500 || status == 503,
                        "status {status}: {}",
                        reply.body
                    );
                    Ok(())
                },
            )
            .unwrap();
    }
}
