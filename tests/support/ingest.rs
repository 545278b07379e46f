//! Building the ingest service for tests: the example catalog, the local
//! tokens, a test pseudonymisation key, and a topic of its own on a real
//! broker; plus reading a topic back.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use carepulse_ingest::{Ingest, IngestSettings};
use carepulse_kafka::{ensure_topics, FeedbackProducer, KafkaSettings};
use carepulse_model::{Catalog, Limits, Pseudonymiser};
use http_body_util::BodyExt;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{ClientConfig, Message};
use serde::Deserialize;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The example hospital catalog.
pub fn catalog() -> Catalog {
    let text =
        std::fs::read_to_string(repo().join("deploy/catalog/general-hospital.toml")).unwrap();
    Catalog::from_toml(&text).unwrap()
}

/// The pseudonymisation key the test services use.
pub fn pseudonymiser() -> Pseudonymiser {
    Pseudonymiser::new("test", b"carepulse test key, never used in production").unwrap()
}

/// The plain local token of a facility (deploy/local/tokens.toml).
pub fn token(facility: &str) -> String {
    #[derive(Deserialize)]
    struct Tokens {
        tokens: BTreeMap<String, String>,
    }
    let text = std::fs::read_to_string(repo().join("deploy/local/tokens.toml")).unwrap();
    let tokens: Tokens = toml::from_str(&text).unwrap();
    tokens.tokens[facility].clone()
}

/// The ingest settings of the local stack (its token hashes).
pub fn local_settings() -> IngestSettings {
    #[derive(Deserialize)]
    struct Local {
        ingest: IngestSettings,
    }
    let text = std::fs::read_to_string(repo().join("deploy/local/carepulse.toml")).unwrap();
    toml::from_str::<Local>(&text).unwrap().ingest
}

/// An ingest service publishing to its own topic.
pub struct TestIngest {
    /// The router (no socket needed).
    pub router: Router,
    /// The service.
    pub ingest: Arc<Ingest>,
    /// Kafka settings with the test's own topics.
    pub kafka: KafkaSettings,
}

/// Builds an ingest service on `brokers` with a fresh topic; `tweak` adjusts
/// the local settings.
pub async fn start(brokers: &str, tweak: impl FnOnce(&mut IngestSettings)) -> TestIngest {
    let kafka = KafkaSettings {
        brokers: brokers.to_owned(),
        feedback_topic: crate::unique_name("feedback"),
        dead_letter_topic: crate::unique_name("dead-letter"),
        alerts_topic: crate::unique_name("alerts"),
        partitions: 3,
        replication_factor: 1,
    };
    ensure_topics(&kafka).await.expect("topics created");
    let mut settings = local_settings();
    tweak(&mut settings);
    let options = settings.producer_options();
    let producer = FeedbackProducer::new(&kafka, &options).unwrap();
    let ingest = Arc::new(Ingest::new(
        Arc::new(catalog()),
        Limits::default(),
        pseudonymiser(),
        settings,
        producer,
    ));
    TestIngest {
        router: carepulse_ingest::router(Arc::clone(&ingest)),
        ingest,
        kafka,
    }
}

/// A response: status, headers and body as JSON (or the text as a JSON string).
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Content type.
    pub content_type: String,
    /// Retry-After, when sent.
    pub retry_after: Option<String>,
    /// The body.
    pub body: serde_json::Value,
}

/// Sends `request` through `router`.
pub async fn call(router: &Router, request: Request<Body>) -> Reply {
    use tower::ServiceExt;
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(axum::http::header::CONTENT_TYPE).unwrap_or_default();
    let retry_after = header(axum::http::header::RETRY_AFTER);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned())
    });
    Reply {
        status,
        content_type,
        retry_after,
        body,
    }
}

/// A POST with a bearer token and a content type.
pub fn post(
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut builder = Request::post(path).header("content-type", content_type);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(body.into()).unwrap()
}

/// Reads `count` messages from `topic` (keys and payloads), failing after
/// `timeout`.
pub async fn read_topic(
    brokers: &str,
    topic: &str,
    count: usize,
    timeout: Duration,
) -> Vec<(String, Vec<u8>)> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", crate::unique_name("reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut messages = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    while messages.len() < count {
        let message = tokio::time::timeout_at(deadline, consumer.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {count} messages on {topic}", messages.len()))
            .unwrap();
        let key = String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned();
        messages.push((key, message.payload().unwrap_or_default().to_vec()));
    }
    messages
}
