//! The ingest service's Prometheus metrics: stable names, documented labels
//! (docs/metrics.md), and the process-wide recorder.

use std::sync::OnceLock;

use metrics_exporter_prometheus::PrometheusHandle;

/// Requests by `route` (the route template), `method` and `status`.
pub const REQUESTS: &str = "carepulse_ingest_http_requests_total";
/// Request duration in seconds by `route`.
pub const REQUEST_SECONDS: &str = "carepulse_ingest_http_request_duration_seconds";
/// Events by `outcome` (`accepted`, `rejected`, `unavailable`) and `reason`
/// (`ok`, `repeat_press`, a validation problem code, `forbidden`,
/// `rate-limited`, `queue_full`, `not_acknowledged`, ...).
pub const EVENTS: &str = "carepulse_ingest_events_total";
/// Time from handing an event to the producer to the broker's
/// acknowledgement, in seconds.
pub const PUBLISH_SECONDS: &str = "carepulse_ingest_publish_duration_seconds";
/// Events waiting for the broker's acknowledgement.
pub const QUEUE_DEPTH: &str = "carepulse_ingest_producer_queue_depth";
/// Kiosk devices whose recent presses are remembered (repeat presses).
pub const KIOSK_DEVICES: &str = "carepulse_ingest_kiosk_devices";
/// Kiosk devices forgotten to keep that memory bounded.
pub const KIOSK_DEVICES_FORGOTTEN: &str = "carepulse_ingest_kiosk_devices_forgotten_total";

/// The process's Prometheus recorder, with ingest's metrics described.
pub fn handle() -> &'static PrometheusHandle {
    static DESCRIBED: OnceLock<()> = OnceLock::new();
    let handle = carepulse_metrics::handle();
    DESCRIBED.get_or_init(describe);
    handle
}

fn describe() {
    metrics::describe_counter!(REQUESTS, "HTTP requests by route, method and status");
    metrics::describe_histogram!(
        REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "HTTP request duration by route"
    );
    metrics::describe_counter!(EVENTS, "feedback events by outcome and reason");
    metrics::describe_gauge!(
        KIOSK_DEVICES,
        "kiosk devices whose recent presses are remembered for repeat-press checks"
    );
    metrics::describe_counter!(
        KIOSK_DEVICES_FORGOTTEN,
        "kiosk devices forgotten (least recently pressed first) to keep that memory bounded"
    );
    metrics::describe_histogram!(
        PUBLISH_SECONDS,
        metrics::Unit::Seconds,
        "time until the broker acknowledged an event"
    );
    metrics::describe_gauge!(
        QUEUE_DEPTH,
        "events waiting for the broker's acknowledgement"
    );
}

/// Counts one event outcome.
pub fn event(outcome: &'static str, reason: &str) {
    metrics::counter!(EVENTS, "outcome" => outcome, "reason" => reason.to_owned()).increment(1);
}
