//! Helpers for tests that run against the real local services started by
//! `dev/services up`: where the services are, unique names per test, and a
//! clear failure when a service is not running.
//!
//! Addresses come from the same `CAREPULSE__SECTION__KEY` variables the
//! product reads (`dev/services up` prints them), with the local defaults.

pub mod broker;
pub mod clickhouse;
pub mod database;
pub mod grafana;
pub mod ingest;
pub mod pipeline;

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Bootstrap servers of the local Kafka-compatible broker.
pub fn kafka_brokers() -> String {
    std::env::var("CAREPULSE__KAFKA__BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// HTTP URL of the local ClickHouse.
pub fn clickhouse_url() -> String {
    std::env::var("CAREPULSE__CLICKHOUSE__URL").unwrap_or_else(|_| "http://127.0.0.1:8123".into())
}

/// A name no other test run uses: `prefix_<pid>_<time>_<n>`.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000_000_000)
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{nanos}_{n}", std::process::id())
}

/// Panics with instructions when nothing listens at `host:port`.
fn require(service: &str, address: &str, variable: &str) {
    let reachable = address.to_socket_addrs().ok().is_some_and(|mut addrs| {
        addrs.any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
    });
    assert!(
        reachable,
        "{service} is not reachable at {address}: start the local services with `dev/services up` \
         (or point {variable} at a running one)"
    );
}

/// Fails the test with instructions unless the broker is reachable.
pub fn require_kafka() -> String {
    let brokers = kafka_brokers();
    let first = brokers.split(',').next().unwrap_or_default().to_owned();
    require(
        "the Kafka-compatible broker",
        &first,
        "CAREPULSE__KAFKA__BROKERS",
    );
    brokers
}

/// Fails the test with instructions unless ClickHouse is reachable.
pub fn require_clickhouse() -> String {
    let url = clickhouse_url();
    let address = url
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_owned();
    require("ClickHouse", &address, "CAREPULSE__CLICKHOUSE__URL");
    url
}

/// Fails the test with instructions unless Alertmanager is reachable;
/// returns its URL.
pub fn require_alertmanager() -> String {
    let url = std::env::var("CAREPULSE_ALERTMANAGER_URL")
        .unwrap_or_else(|_| "http://127.0.0.1:9093".into());
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    require("Alertmanager", address, "CAREPULSE_ALERTMANAGER_URL");
    url
}
