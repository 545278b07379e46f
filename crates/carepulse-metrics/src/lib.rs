//! The process-wide Prometheus recorder and the `/metrics` endpoint that
//! every carepulse service (ingest, processor, alerter) exposes on its own
//! port. Metric names and labels are documented in docs/metrics.md; each
//! service declares its names as constants next to the code that records
//! them.

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Histogram buckets of every `*_seconds` metric.
pub const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0,
];

/// Histogram buckets of every `*_rows` metric (batch sizes).
pub const ROWS_BUCKETS: &[f64] = &[
    1.0, 10.0, 100.0, 1_000.0, 5_000.0, 10_000.0, 50_000.0, 100_000.0,
];

/// The process's Prometheus recorder, installed on first use (so a test
/// process running several services shares one).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_rows".into()), ROWS_BUCKETS))
            .expect("buckets are not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed")
    })
}

/// `GET /metrics` in the Prometheus text format.
pub fn router() -> Router {
    Router::new().route("/metrics", get(|| async { handle().render() }))
}

/// The metrics listener could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen for metrics on {address}: {source}")]
pub struct BindError {
    /// The address.
    pub address: SocketAddr,
    /// The OS error.
    pub source: std::io::Error,
}

/// Binds `address` and serves `/metrics` on it in a background task until
/// the task is aborted.
pub async fn serve(address: SocketAddr) -> Result<tokio::task::JoinHandle<()>, BindError> {
    handle();
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| BindError { address, source })?;
    let bound = listener.local_addr().unwrap_or(address);
    tracing::info!(%bound, "metrics listening");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router()).await {
            tracing::error!(error = %e, "metrics endpoint failed");
        }
    }))
}
