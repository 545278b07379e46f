//! `carepulse analyze` as an operator runs it, against the real local
//! ClickHouse 18.16 (`dev/services up`): a computation is stored, and the
//! computations older than `analyze.keep_days` are dropped a month at a
//! time while recent ones stay.

use std::path::PathBuf;
use std::process::Command;

use carepulse_clickhouse::retention::COMPUTATION_TABLES;
use carepulse_service_tests::{clickhouse_url, database};
use chrono::{DateTime, TimeDelta, Utc};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn clickhouse_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

async fn months(client: &clickhouse::Client, database: &str, table: &str) -> Vec<u32> {
    client
        .query(&format!(
            "SELECT DISTINCT toUInt32(toYYYYMM(computed_at)) AS m FROM {database}.{table} ORDER BY m"
        ))
        .fetch_all()
        .await
        .unwrap()
}

#[tokio::test]
async fn analyze_stores_a_computation_and_drops_months_older_than_kept() {
    let (client, database) = database::migrated("carepulse_analyze_cli").await;
    let now = Utc::now();
    let old = [now - TimeDelta::days(800), now - TimeDelta::days(500)];
    let recent = now - TimeDelta::days(40);
    for table in COMPUTATION_TABLES {
        for t in old.iter().chain([&recent]) {
            client
                .query(&format!(
                    "INSERT INTO {database}.{table} (computed_at) VALUES ('{}')",
                    clickhouse_time(*t)
                ))
                .execute()
                .await
                .unwrap();
        }
    }

    let out = Command::new(env!("CARGO_BIN_EXE_carepulse"))
        .current_dir(repo())
        .args(["--config", "deploy/local/carepulse.toml", "analyze"])
        .env("CAREPULSE__CLICKHOUSE__URL", clickhouse_url())
        .env("CAREPULSE__CLICKHOUSE__DATABASE", &database)
        .env("CAREPULSE__ANALYZE__KEEP_DAYS", "400")
        .output()
        .expect("carepulse runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("analysed 0 events"), "{stderr}");

    let month = |t: DateTime<Utc>| carepulse_clickhouse::retention::month_of(t);
    assert_eq!(
        months(&client, &database, "analysis_runs").await,
        [month(recent), month(now)],
        "the new run is stored, the recent one kept, the old ones dropped"
    );
    for table in &COMPUTATION_TABLES[1..] {
        assert_eq!(
            months(&client, &database, table).await,
            [month(recent)],
            "{table}: an empty computation writes no rows there"
        );
    }
    database::drop(&client, &database).await;
}
