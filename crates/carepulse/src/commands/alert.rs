//! `carepulse alert`: runs the alerter (score drops, silences) until
//! SIGTERM or Ctrl-C: ClickHouse's counted events in, alerts out to the
//! alerts topic, `alert_events`, `/metrics` and Alertmanager.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use carepulse_alert::{AlertSink, Alerter, EventSource, Notifier};
use carepulse_kafka::ensure_topics;

/// Starts the alerter with the validated configuration.
pub async fn run(file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = super::valid_config(file)?;
    let alert = &config.alert;
    for (topic, status) in ensure_topics(&config.kafka).await? {
        tracing::info!(topic, ?status, "kafka topic");
    }
    let metrics = carepulse_alert::metrics::serve(alert.metrics_listen).await?;
    let client = config.clickhouse.client();
    let database = &config.clickhouse.database;
    let source = EventSource::new(client.clone(), database)?;
    source
        .healthcheck()
        .await
        .with_context(|| format!("ClickHouse at {} does not answer", config.clickhouse.url))?;
    let sink = AlertSink::new(
        client,
        database,
        &config.kafka.brokers,
        &config.kafka.alerts_topic,
    )?;
    let notifier = alert.alertmanager.clone().map(|options| {
        tracing::info!(url = options.alerts_url, "alerts go to Alertmanager");
        Notifier::spawn(options)
    });
    if notifier.is_none() {
        tracing::warn!("alert.alertmanager_url is not set: alerts go to Kafka and ClickHouse only");
    }
    let (notifier, delivery) = notifier.unzip();
    let alerter = Alerter::start(alert, source, sink, notifier, chrono::Utc::now()).await?;
    tracing::info!(tick_secs = alert.tick_interval.as_secs(), "alerter running");
    alerter
        .run(alert.tick_interval, super::shutdown_signal())
        .await;
    if let Some(task) = delivery {
        task.abort();
    }
    metrics.abort();
    Ok(ExitCode::SUCCESS)
}
