//! carepulse's front door: the HTTP API (v1) that hospital kiosks, the
//! patient portal back end and SMS/e-mail survey gateways post feedback to.
//!
//! Every event is authenticated (a bearer token scoped to a facility),
//! decoded and validated against the catalog with field-level problems,
//! pseudonymised and redacted, flagged when a kiosk is mashed, and published
//! to Kafka. A client gets 202 only after the broker acknowledged the event;
//! when the broker is down or slow it gets 503 with `Retry-After`, never a
//! 202 for an event that may be lost. Errors are RFC 9457 problem details.
//! The contract is [`openapi::document`], published as
//! `schema/ingest-openapi.v1.json`.
//!
//! ```no_run
//! # async fn run(ingest: std::sync::Arc<carepulse_ingest::Ingest>) {
//! let shutdown = async { tokio::signal::ctrl_c().await.ok(); };
//! carepulse_ingest::serve(ingest, "127.0.0.1:8080".parse().unwrap(), "127.0.0.1:9464".parse().unwrap(), shutdown)
//!     .await
//!     .unwrap();
//! # }
//! ```

mod auth;
pub mod metrics;
pub mod openapi;
mod problem;
mod routes;
mod server;
mod service;
mod settings;
mod throttle;

pub use auth::token_hash;
pub use problem::ApiError;
pub use routes::router;
pub use server::{metrics_router, serve, ServeError};
pub use service::{Accepted, Ingest};
pub use settings::{IngestSettings, TokenSettings};
