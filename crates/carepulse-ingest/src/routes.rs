//! The HTTP API (v1): routes, content negotiation, batches with per-item
//! results, health endpoints, and request metrics and tracing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use carepulse_model::FeedbackEvent;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use tower_http::trace::TraceLayer;

use crate::auth::Caller;
use crate::metrics;
use crate::problem::ApiError;
use crate::service::{Accepted, Ingest};

/// The API router. Metrics are served separately ([`crate::metrics_router`]).
pub fn router(state: Arc<Ingest>) -> Router {
    let max_body = state.settings.max_body_bytes;
    Router::new()
        .route("/v1/feedback", post(submit_one))
        .route("/v1/feedback/batch", post(submit_batch))
        .route("/v1/kiosk/presses", post(submit_press))
        .route("/v1/openapi.json", get(openapi))
        .route("/livez", get(live))
        .route("/readyz", get(ready))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(track))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", MatchedPath::as_str);
                tracing::info_span!("http", method = %request.method(), route)
            }),
        )
        .with_state(state)
}

async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    ::metrics::counter!(metrics::REQUESTS, "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    ::metrics::histogram!(metrics::REQUEST_SECONDS, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The media type of the request, lower case, without parameters.
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large("the request body is larger than ingest.max_body_bytes")
        } else {
            ApiError::bad_request(rejection.body_text())
        }
    })
}

fn rejected(error: ApiError) -> Response {
    metrics::event("rejected", error.reason());
    error.into_response()
}

fn accepted(result: Result<Accepted, ApiError>) -> Response {
    match result {
        Ok(accepted) => (StatusCode::ACCEPTED, Json(accepted)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Turns a checked body into the event to publish.
type Prepare = fn(&Ingest, &Caller, &[u8], DateTime<Utc>) -> Result<FeedbackEvent, ApiError>;

/// One JSON body, one event: authenticate, check the media type and the
/// rate limit, prepare, publish.
async fn submit(
    ingest: Arc<Ingest>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
    prepare: Prepare,
) -> Response {
    let prepared = (|| {
        let caller = ingest.auth.authenticate(&headers)?;
        if media_type(&headers) != "application/json" {
            return Err(ApiError::unsupported_media_type("application/json"));
        }
        let raw = body(raw)?;
        ingest.charge_token(caller, 1)?;
        prepare(&ingest, caller, &raw, Utc::now())
    })();
    match prepared {
        Ok(event) => accepted(ingest.publish(event).await),
        Err(error) => rejected(error),
    }
}

async fn submit_one(
    State(ingest): State<Arc<Ingest>>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    submit(ingest, headers, raw, Ingest::prepare).await
}

async fn submit_press(
    State(ingest): State<Arc<Ingest>>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    submit(ingest, headers, raw, Ingest::prepare_press).await
}

/// The result for one item of a batch: the status it would have had on its
/// own, with the accepted event's id or the problem.
#[derive(Debug, Serialize)]
struct ItemResult {
    index: usize,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suspect: Option<carepulse_model::Suspicion>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<carepulse_model::Problem>,
}

impl ItemResult {
    fn new(index: usize, outcome: Result<Accepted, ApiError>) -> Self {
        match outcome {
            Ok(a) => ItemResult {
                index,
                status: StatusCode::ACCEPTED.as_u16(),
                event_id: Some(a.event_id),
                suspect: a.suspect,
                kind: None,
                title: None,
                detail: None,
                problems: Vec::new(),
            },
            Err(e) => ItemResult {
                index,
                status: e.status,
                event_id: None,
                suspect: None,
                kind: Some(e.kind),
                title: Some(e.title),
                detail: Some(e.detail),
                problems: e.problems,
            },
        }
    }
}

#[derive(Debug, Serialize)]
struct BatchResult {
    accepted: usize,
    rejected: usize,
    unavailable: usize,
    results: Vec<ItemResult>,
}

/// Splits a batch body into items: a JSON array, or NDJSON lines.
fn batch_items<'a>(media: &str, raw: &'a [u8]) -> Result<Vec<&'a [u8]>, ApiError> {
    match media {
        "application/json" => {
            let items: Vec<&RawValue> = serde_json::from_slice(raw).map_err(|e| {
                ApiError::bad_request(format!(
                    "a JSON batch must be an array of feedback objects: {e}"
                ))
            })?;
            Ok(items
                .into_iter()
                .map(|item| item.get().as_bytes())
                .collect())
        }
        "application/x-ndjson" => Ok(raw
            .split(|b| *b == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .collect()),
        _ => Err(ApiError::unsupported_media_type(
            "application/json (an array) or application/x-ndjson",
        )),
    }
}

async fn submit_batch(
    State(ingest): State<Arc<Ingest>>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let now = Utc::now();
    let prepared = (|| {
        let caller = ingest.auth.authenticate(&headers)?;
        let raw = body(raw)?;
        let items = batch_items(&media_type(&headers), &raw)?;
        let max = ingest.settings.max_batch_items;
        if items.len() > max {
            return Err(ApiError::too_large(format!(
                "the batch has {} items; at most {max} (ingest.max_batch_items)",
                items.len()
            )));
        }
        if items.is_empty() {
            return Err(ApiError::bad_request("the batch is empty"));
        }
        ingest.charge_token(caller, items.len())?;
        Ok(items
            .iter()
            .map(|item| ingest.prepare(caller, item, now))
            .collect::<Vec<_>>())
    })();
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(error) => return rejected(error),
    };
    let outcomes = futures::future::join_all(prepared.into_iter().map(|item| {
        let ingest = Arc::clone(&ingest);
        async move {
            match item {
                Ok(event) => ingest.publish(event).await,
                Err(error) => {
                    metrics::event("rejected", error.reason());
                    Err(error)
                }
            }
        }
    }))
    .await;
    let mut batch = BatchResult {
        accepted: 0,
        rejected: 0,
        unavailable: 0,
        results: Vec::with_capacity(outcomes.len()),
    };
    for (index, outcome) in outcomes.into_iter().enumerate() {
        let item = ItemResult::new(index, outcome);
        match item.status {
            202 => batch.accepted += 1,
            503 => batch.unavailable += 1,
            _ => batch.rejected += 1,
        }
        batch.results.push(item);
    }
    if batch.unavailable > 0 && batch.accepted == 0 && batch.rejected == 0 {
        return ApiError::unavailable(
            "no event of the batch was stored; retry it with the same event ids",
            ingest.settings.retry_after_secs,
        )
        .into_response();
    }
    (StatusCode::OK, Json(batch)).into_response()
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        Json(crate::openapi::document()),
    )
        .into_response()
}

async fn live() -> Response {
    Json(serde_json::json!({ "status": "live" })).into_response()
}

async fn ready(State(ingest): State<Arc<Ingest>>) -> Response {
    if ingest.producer.ready(Duration::from_secs(2)).await {
        Json(serde_json::json!({ "status": "ready" })).into_response()
    } else {
        ApiError::unavailable(
            format!(
                "the Kafka broker does not answer or has no topic '{}'",
                ingest.producer.topic()
            ),
            ingest.settings.retry_after_secs,
        )
        .into_response()
    }
}

async fn not_found(request: Request) -> Response {
    ApiError::not_found(request.uri().path()).into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::method_not_allowed().into_response()
}
