//! The alerter's Prometheus metrics: stable names, documented in
//! docs/metrics.md ("Alerter"), on the process-wide recorder of
//! `carepulse-metrics`.

use std::net::SocketAddr;
use std::sync::OnceLock;

use carepulse_detect::{Alert, AlertKind, AlertState};

/// Alerts firing now, by `kind` (`score_drop`, `silence`, `volume_collapse`).
pub const FIRING: &str = "carepulse_alert_firing";
/// State changes by `kind` and `state` (`firing`, `resolved`).
pub const TRANSITIONS: &str = "carepulse_alert_transitions_total";
/// Alertmanager posts by `result` (`ok`, `error`).
pub const NOTIFICATIONS: &str = "carepulse_alert_notifications_total";
/// Time of one tick: read, detect, deliver to Kafka and ClickHouse.
pub const TICK_SECONDS: &str = "carepulse_alert_tick_duration_seconds";
/// Keys the detectors hold.
pub const KEYS: &str = "carepulse_alert_keys";
/// Events fed to the detectors (rows read again left out).
pub const EVENTS_READ: &str = "carepulse_alert_events_read_total";

const KINDS: [AlertKind; 3] = [
    AlertKind::ScoreDrop,
    AlertKind::Silence,
    AlertKind::VolumeCollapse,
];

fn kind_name(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::ScoreDrop => "score_drop",
        AlertKind::Silence => "silence",
        AlertKind::VolumeCollapse => "volume_collapse",
    }
}

fn state_name(state: AlertState) -> &'static str {
    match state {
        AlertState::Firing => "firing",
        AlertState::Resolved => "resolved",
    }
}

/// Describes the metrics once (the recorder is installed on first use).
pub fn describe() {
    static DESCRIBED: OnceLock<()> = OnceLock::new();
    carepulse_metrics::handle();
    DESCRIBED.get_or_init(|| {
        metrics::describe_gauge!(FIRING, "alerts firing now, by kind");
        metrics::describe_counter!(TRANSITIONS, "alert state changes by kind and state");
        metrics::describe_counter!(NOTIFICATIONS, "Alertmanager posts by result");
        metrics::describe_histogram!(
            TICK_SECONDS,
            metrics::Unit::Seconds,
            "time of one alerter tick: read, detect, deliver"
        );
        metrics::describe_gauge!(KEYS, "keys the detectors hold");
        metrics::describe_counter!(EVENTS_READ, "events fed to the detectors");
    });
}

/// Serves `/metrics` on `address` with the alerter's metrics described.
pub async fn serve(
    address: SocketAddr,
) -> Result<tokio::task::JoinHandle<()>, carepulse_metrics::BindError> {
    describe();
    carepulse_metrics::serve(address).await
}

/// Records one tick: its changes, the firing alerts, keys and events.
pub fn tick<'a>(
    changes: &[Alert],
    firing: impl Iterator<Item = &'a Alert>,
    keys: usize,
    events: usize,
    seconds: f64,
) {
    for alert in changes {
        let (kind, state) = (kind_name(alert.kind), state_name(alert.state));
        metrics::counter!(TRANSITIONS, "kind" => kind, "state" => state).increment(1);
    }
    let mut counts = [0usize; 3];
    for alert in firing {
        counts[KINDS.iter().position(|k| *k == alert.kind).unwrap_or(0)] += 1;
    }
    for (kind, n) in KINDS.iter().zip(counts) {
        metrics::gauge!(FIRING, "kind" => kind_name(*kind)).set(n as f64);
    }
    metrics::gauge!(KEYS).set(keys as f64);
    metrics::counter!(EVENTS_READ).increment(events as u64);
    metrics::histogram!(TICK_SECONDS).record(seconds);
}

/// Counts one Alertmanager post.
pub fn notification(ok: bool) {
    let result = if ok { "ok" } else { "error" };
    metrics::counter!(NOTIFICATIONS, "result" => result).increment(1);
}
