//! One module per subcommand; each returns the process exit code.

pub mod alert;
pub mod analyze;
pub mod catalog;
pub mod check_config;
pub mod ingest;
pub mod migrate;
pub mod process;
pub mod report;
pub mod schema;
pub mod simulate;
pub mod token;
pub mod validate;

use std::path::Path;

use crate::config::{self, ValidConfig};

/// Loads and validates the configuration, or explains what to fix.
pub fn valid_config(file: Option<&Path>) -> anyhow::Result<ValidConfig> {
    Ok(config::load(file)?.validate()?)
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = terminate => tracing::info!("SIGTERM received"),
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C received"),
    }
}
