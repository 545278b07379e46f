//! `carepulse ingest`: runs the HTTP API that kiosks, portals and survey
//! gateways post feedback to, until SIGTERM or Ctrl-C.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use carepulse_ingest::Ingest;
use carepulse_kafka::{ensure_topics, FeedbackProducer};

/// Starts the service with the validated configuration.
pub async fn run(file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = super::valid_config(file)?;
    let Some(pseudonymiser) = config.pseudonymiser else {
        bail!("set privacy.key_file (or privacy.key): the ingest service pseudonymises subject and journey references before publishing");
    };
    if config.ingest.tokens.is_empty() {
        bail!("no API tokens configured: add [[ingest.tokens]] entries (`carepulse token new` makes one)");
    }
    for (topic, status) in ensure_topics(&config.kafka).await? {
        tracing::info!(topic, ?status, "kafka topic");
    }
    let options = config.ingest.producer_options();
    let producer = FeedbackProducer::new(&config.kafka, &options)
        .context("cannot create the Kafka producer")?;
    let listen = config.ingest.listen.parse()?;
    let metrics_listen = config.ingest.metrics_listen.parse()?;
    let ingest = Arc::new(Ingest::new(
        Arc::new(config.catalog),
        config.limits,
        pseudonymiser,
        config.ingest,
        producer,
    ));
    carepulse_ingest::serve(ingest, listen, metrics_listen, super::shutdown_signal()).await?;
    tracing::info!("ingest service stopped");
    Ok(ExitCode::SUCCESS)
}
