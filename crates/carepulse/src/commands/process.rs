//! `carepulse process`: runs the stream processor until SIGTERM or Ctrl-C,
//! then flushes, commits and leaves the consumer group.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use carepulse_process::ProcessorConfig;

/// Starts the processor with the validated configuration.
pub async fn run(file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = super::valid_config(file)?;
    let listen = config.process.metrics_listen.parse()?;
    let metrics = carepulse_metrics::serve(listen).await?;
    let clickhouse = config
        .clickhouse
        .client()
        .with_database(&config.clickhouse.database);
    let stop = Arc::new(AtomicBool::new(false));
    let processor = ProcessorConfig {
        settings: config.process,
        kafka: config.kafka,
        clickhouse,
        runtime: tokio::runtime::Handle::current(),
    };
    let flag = Arc::clone(&stop);
    let mut job = tokio::task::spawn_blocking(move || carepulse_process::run(processor, flag));
    let result = tokio::select! {
        result = &mut job => result,
        () = super::shutdown_signal() => {
            stop.store(true, Ordering::Relaxed);
            job.await
        }
    };
    metrics.abort();
    result
        .context("the processor thread panicked")?
        .context("the processor stopped")?;
    tracing::info!("processor stopped");
    Ok(ExitCode::SUCCESS)
}
