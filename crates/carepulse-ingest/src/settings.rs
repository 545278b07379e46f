//! The `[ingest]` configuration section: listen addresses, limits, API
//! tokens (stored as SHA-256 hashes, never in plain text) and rate limits.

use std::net::SocketAddr;
use std::time::Duration;

use carepulse_model::{Catalog, Channel};
use serde::{Deserialize, Serialize};

/// `[ingest]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSettings {
    /// Address of the feedback API.
    pub listen: String,
    /// Address of the Prometheus metrics endpoint (`/metrics`).
    pub metrics_listen: String,
    /// Largest request body, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Most events in one batch (413 beyond).
    pub max_batch_items: usize,
    /// How long a publish waits for the broker's acknowledgement before
    /// the client gets 503.
    pub publish_timeout_ms: u64,
    /// Most events waiting for the broker; beyond it clients get 503.
    pub producer_queue_max_messages: u32,
    /// How long the producer waits to fill a batch, in milliseconds: adds
    /// up to this much to every single post, saves CPU under load.
    pub producer_linger_ms: u64,
    /// Seconds a client is asked to wait after 503 (`Retry-After`).
    pub retry_after_secs: u64,
    /// Events per second one token may submit, sustained.
    pub token_rate_per_sec: f64,
    /// Events one token may submit in a burst.
    pub token_burst: f64,
    /// Presses per minute one kiosk device may send, sustained.
    pub device_rate_per_min: f64,
    /// Presses one kiosk device may send in a burst.
    pub device_burst: f64,
    /// A kiosk press within this many seconds of the same device's previous
    /// press is accepted but marked suspect and not counted.
    pub kiosk_repeat_interval_secs: u64,
    /// API tokens.
    pub tokens: Vec<TokenSettings>,
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            listen: "127.0.0.1:8080".into(),
            metrics_listen: "127.0.0.1:9464".into(),
            max_body_bytes: 1024 * 1024,
            max_batch_items: 500,
            publish_timeout_ms: 5_000,
            producer_queue_max_messages: 100_000,
            producer_linger_ms: 1,
            retry_after_secs: 5,
            token_rate_per_sec: 500.0,
            token_burst: 2_000.0,
            device_rate_per_min: 30.0,
            device_burst: 10.0,
            kiosk_repeat_interval_secs: 5,
            tokens: Vec::new(),
        }
    }
}

/// `[[ingest.tokens]]`: one API token, scoped to a facility.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    /// Who holds the token (`ed-kiosks`, `sms-gateway`); appears in logs.
    pub name: String,
    /// SHA-256 of the token, 64 hex digits (`carepulse token new` makes both).
    pub sha256: String,
    /// The only facility the token may submit for.
    pub facility: String,
    /// Channels the token may submit; empty means any.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Kiosk devices the token may press for; empty means any device of
    /// the facility.
    #[serde(default)]
    pub devices: Vec<String>,
}

impl IngestSettings {
    /// Appends every problem, each naming the setting to change.
    pub fn check(&self, catalog: Option<&Catalog>, problems: &mut Vec<String>) {
        for (name, address) in [
            ("listen", &self.listen),
            ("metrics_listen", &self.metrics_listen),
        ] {
            if address.parse::<SocketAddr>().is_err() {
                problems.push(format!(
                    "ingest.{name}: '{address}' is not an address such as 127.0.0.1:8080"
                ));
            }
        }
        if self.listen == self.metrics_listen {
            problems.push("ingest.metrics_listen: must differ from ingest.listen".into());
        }
        for (name, value) in [
            ("max_body_bytes", self.max_body_bytes as f64),
            ("max_batch_items", self.max_batch_items as f64),
            ("publish_timeout_ms", self.publish_timeout_ms as f64),
            (
                "producer_queue_max_messages",
                f64::from(self.producer_queue_max_messages),
            ),
            ("token_rate_per_sec", self.token_rate_per_sec),
            ("token_burst", self.token_burst),
            ("device_rate_per_min", self.device_rate_per_min),
            ("device_burst", self.device_burst),
        ] {
            if !(value.is_finite() && value > 0.0) {
                problems.push(format!("ingest.{name}: {value} must be greater than 0"));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, token) in self.tokens.iter().enumerate() {
            let path = format!("ingest.tokens[{i}]");
            if !names.insert(token.name.as_str()) {
                problems.push(format!(
                    "{path}.name: '{}' is used by two tokens",
                    token.name
                ));
            }
            let hex_ok =
                token.sha256.len() == 64 && token.sha256.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex_ok {
                problems.push(format!(
                    "{path}.sha256: must be the 64 hex digit SHA-256 of the token (make one with `carepulse token new`), never the token itself"
                ));
            }
            let Some(catalog) = catalog else { continue };
            if catalog.facility(&token.facility).is_none() {
                problems.push(format!(
                    "{path}.facility: unknown facility '{}'",
                    token.facility
                ));
            }
            for device in &token.devices {
                match catalog.device(device) {
                    None => problems.push(format!("{path}.devices: unknown device '{device}'")),
                    Some(d) => {
                        let facility = catalog
                            .touchpoint(&d.touchpoint)
                            .and_then(|t| catalog.department(&t.department))
                            .map(|dep| dep.facility.as_str());
                        if facility != Some(token.facility.as_str()) {
                            problems.push(format!(
                                "{path}.devices: device '{device}' is not at facility '{}'",
                                token.facility
                            ));
                        }
                    }
                }
            }
        }
    }

    /// Producer tuning from these settings.
    pub fn producer_options(&self) -> carepulse_kafka::ProducerOptions {
        carepulse_kafka::ProducerOptions {
            delivery_timeout: Duration::from_millis(self.publish_timeout_ms),
            queue_max_messages: self.producer_queue_max_messages,
            linger: Duration::from_millis(self.producer_linger_ms),
        }
    }
}
