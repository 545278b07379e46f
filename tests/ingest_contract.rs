//! The running router honours its published OpenAPI document: every
//! documented operation answers a representative request with a documented
//! status, and every body matches the documented schema. Uses the real
//! local broker, so that 202s are real acknowledgements.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use carepulse_service_tests::ingest::{self, call, post, token};
use carepulse_service_tests::require_kafka;
use chrono::Utc;
use serde_json::{json, Value};

/// A validator for one documented response body, with the document's
/// components in scope for `$ref`s.
fn body_validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut wrapper = schema.clone();
    if let Value::Object(map) = &mut wrapper {
        map.insert("components".into(), doc["components"].clone());
    } else {
        wrapper = json!({ "allOf": [schema], "components": doc["components"] });
    }
    jsonschema::validator_for(&wrapper).unwrap()
}

fn check(
    doc: &Value,
    path: &str,
    method: &str,
    status: StatusCode,
    content_type: &str,
    body: &Value,
) {
    let response = &doc["paths"][path][method]["responses"][status.as_str()];
    assert!(
        response.is_object(),
        "{method} {path} answered {status}, which is not documented"
    );
    let media = content_type.split(';').next().unwrap();
    let schema = &response["content"][media]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status}: content type {media} is not documented"
    );
    let validator = body_validator(doc, schema);
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: body {body} breaks the schema: {errors:?}"
    );
}

#[tokio::test]
async fn the_router_answers_as_documented() {
    let brokers = require_kafka();
    let service = ingest::start(&brokers, |_| {}).await;
    let doc = carepulse_ingest::openapi::document();
    let stmarys = token("stmarys-general");
    let now = Utc::now().to_rfc3339();
    let submission = json!({
        "occurred_at": now, "facility": "stmarys-general", "touchpoint": "ed-waiting-kiosk",
        "channel": "kiosk", "answers": { "overall": { "question": "overall", "value": "happy" } }
    });
    let mut invalid = submission.clone();
    invalid["answers"]["overall"]["value"] = json!(12);
    let press = json!({ "device_id": "kiosk-opd-02", "button": "happy", "pressed_at": now });

    let mut requests: Vec<(&str, &str, Request<Body>)> = vec![
        (
            "/v1/feedback",
            "post",
            post(
                "/v1/feedback",
                Some(&stmarys),
                "application/json",
                submission.to_string(),
            ),
        ),
        (
            "/v1/feedback",
            "post",
            post(
                "/v1/feedback",
                Some(&stmarys),
                "application/json",
                invalid.to_string(),
            ),
        ),
        (
            "/v1/feedback",
            "post",
            post(
                "/v1/feedback",
                None,
                "application/json",
                submission.to_string(),
            ),
        ),
        (
            "/v1/feedback",
            "post",
            post("/v1/feedback", Some(&stmarys), "text/csv", "a,b"),
        ),
        (
            "/v1/feedback",
            "post",
            post("/v1/feedback", Some(&stmarys), "application/json", "{"),
        ),
        (
            "/v1/feedback/batch",
            "post",
            post(
                "/v1/feedback/batch",
                Some(&stmarys),
                "application/json",
                json!([submission, invalid]).to_string(),
            ),
        ),
        (
            "/v1/feedback/batch",
            "post",
            post(
                "/v1/feedback/batch",
                Some(&stmarys),
                "application/json",
                "[]",
            ),
        ),
        (
            "/v1/kiosk/presses",
            "post",
            post(
                "/v1/kiosk/presses",
                Some(&stmarys),
                "application/json",
                press.to_string(),
            ),
        ),
        (
            "/v1/kiosk/presses",
            "post",
            post(
                "/v1/kiosk/presses",
                Some(&token("riverside-surgery")),
                "application/json",
                press.to_string(),
            ),
        ),
    ];
    for path in ["/livez", "/readyz", "/v1/openapi.json"] {
        requests.push((path, "get", Request::get(path).body(Body::empty()).unwrap()));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (path, method, request) in requests {
        let reply = call(&service.router, request).await;
        check(
            &doc,
            path,
            method,
            reply.status,
            &reply.content_type,
            &reply.body,
        );
        seen.insert((path, method));
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(
                seen.contains(&(path.as_str(), method.as_str())),
                "{method} {path} is documented but not exercised"
            );
        }
    }
    let served = call(
        &service.router,
        Request::get("/v1/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(served.body, doc);
}
