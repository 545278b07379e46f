//! Running the service: the API and the metrics endpoint on their own
//! listeners, graceful shutdown (stop accepting, finish requests in flight,
//! flush the producer).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;

use crate::service::Ingest;

/// Why the service stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A listen address is taken or not local.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The server failed.
    #[error("the HTTP server failed: {0}")]
    Serve(#[from] std::io::Error),
}

/// `/metrics` in the Prometheus text format.
pub fn metrics_router() -> Router {
    Router::new().route(
        "/metrics",
        get(|| async { crate::metrics::handle().render() }),
    )
}

async fn bind(address: SocketAddr) -> Result<tokio::net::TcpListener, ServeError> {
    tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| ServeError::Bind { address, source })
}

/// Serves until `shutdown` completes, then drains requests in flight and
/// flushes the producer.
pub async fn serve(
    ingest: Arc<Ingest>,
    listen: SocketAddr,
    metrics_listen: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    crate::metrics::handle();
    let api = bind(listen).await?;
    let metrics = bind(metrics_listen).await?;
    tracing::info!(%listen, %metrics_listen, "ingest service listening");
    let metrics_task = tokio::spawn(async move { axum::serve(metrics, metrics_router()).await });
    let producer = ingest.producer.clone();
    let queue_task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            metrics::gauge!(crate::metrics::QUEUE_DEPTH).set(f64::from(producer.queue_depth()));
        }
    });
    axum::serve(api, crate::router(Arc::clone(&ingest)))
        .with_graceful_shutdown(shutdown)
        .await?;
    tracing::info!(
        in_flight = ingest.producer.queue_depth(),
        "stopped accepting; flushing the producer"
    );
    if let Err(e) = ingest.producer.flush(Duration::from_secs(30)).await {
        tracing::error!(error = %e, "events still unacknowledged at shutdown");
    }
    metrics_task.abort();
    queue_task.abort();
    Ok(())
}
