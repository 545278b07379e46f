//! ClickHouse for tests: a client of the shared local server, a fresh
//! database with carepulse's migrations, and running carepulse's schema and
//! checks on current ClickHouse through chdb.

use std::process::Command;

use crate::ingest::repo;
use crate::{require_clickhouse, unique_name};

/// A client of the local ClickHouse (schema validation off: 18.16 does not
/// know the setting the check sends). Fails the test with instructions when
/// ClickHouse is not running.
pub fn client() -> ::clickhouse::Client {
    ::clickhouse::Client::default()
        .with_url(require_clickhouse())
        .with_validation(false)
}

/// A client and a fresh database named after `prefix`, with every migration
/// applied.
pub async fn migrated(prefix: &str) -> (::clickhouse::Client, String) {
    let client = client();
    let database = unique_name(prefix);
    carepulse_clickhouse::apply(&client, &database)
        .await
        .unwrap();
    (client, database)
}

/// Runs carepulse's schema, then `checks` (statements and one-row
/// `SELECT name, ok` checks, `{db}` for the database), on current
/// ClickHouse through chdb (tests/sql/current_clickhouse.py). Returns
/// whether every statement ran and every check held, and the report.
pub fn on_current_clickhouse(checks: &str, database: &str) -> (bool, String) {
    let dir = std::env::temp_dir().join(unique_name("current_clickhouse"));
    std::fs::create_dir_all(&dir).unwrap();
    let schema: String = carepulse_clickhouse::statements("{db}")
        .iter()
        .map(|s| format!("{s};\n"))
        .collect();
    std::fs::write(dir.join("schema.sql"), schema).unwrap();
    std::fs::write(dir.join("checks.sql"), checks).unwrap();
    let out = Command::new("python3")
        .arg(repo().join("tests/sql/current_clickhouse.py"))
        .arg(dir.join("schema.sql"))
        .arg(dir.join("checks.sql"))
        .arg(database)
        .output()
        .expect("python3 runs");
    let _ = std::fs::remove_dir_all(dir);
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), report)
}

/// Drops `database` (a test's own, at its end).
pub async fn drop(client: &::clickhouse::Client, database: &str) {
    client
        .query(&format!("DROP DATABASE {database}"))
        .execute()
        .await
        .unwrap();
}
