//! `carepulse migrate`: creates what carepulse needs in the systems it uses:
//! the Kafka topics (feedback and dead letters) and the ClickHouse schema
//! (versioned migrations) with the catalog's journey stages for the
//! dashboards. Safe to run again.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use carepulse_kafka::{ensure_topics, TopicStatus};

/// Options.
#[derive(clap::Args)]
pub struct Args {
    /// Print the ClickHouse statements instead of running anything.
    #[arg(long)]
    print_sql: bool,
}

/// Applies missing ClickHouse migrations, creates missing topics, and says
/// what it did.
pub async fn run(file: Option<&Path>, args: &Args) -> anyhow::Result<ExitCode> {
    let config = super::valid_config(file)?;
    let database = &config.clickhouse.database;
    if args.print_sql {
        for statement in carepulse_clickhouse::statements(database) {
            println!("{statement};");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let client = config.clickhouse.client();
    let applied = carepulse_clickhouse::apply(&client, database)
        .await
        .with_context(|| format!("cannot migrate ClickHouse at {}", config.clickhouse.url))?;
    if applied.is_empty() {
        println!("clickhouse {database}: schema up to date");
    }
    for m in applied {
        println!(
            "clickhouse {database}: applied migration {} ({})",
            m.version, m.name
        );
    }
    let version = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let stages = carepulse_clickhouse::write_catalog(&client, database, &config.catalog, version)
        .await
        .context("cannot write the catalog's journey stages to ClickHouse")?;
    println!("clickhouse {database}: catalog written ({stages} journey stages)");
    for (topic, status) in ensure_topics(&config.kafka).await? {
        let what = match status {
            TopicStatus::Created => format!("created with {} partitions", config.kafka.partitions),
            TopicStatus::Existed => "already there".to_owned(),
        };
        println!("kafka topic {topic}: {what}");
    }
    Ok(ExitCode::SUCCESS)
}
