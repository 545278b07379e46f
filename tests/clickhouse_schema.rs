//! The ClickHouse schema (`carepulse migrate`) on the real local ClickHouse
//! 18.16 (`dev/services up`) and on current ClickHouse (through chdb): the
//! migrations apply, apply again without effect, and the tables behave as
//! the processor relies on (the latest full value of a minute wins; a
//! redelivered event is one row).

use std::process::Command;

use carepulse_service_tests::{ingest::repo, require_clickhouse, unique_name};

fn checks(database: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("tests/sql/replacing_checks.sql")).unwrap();
    let text = text.replace("{db}", database);
    let body: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect();
    body.join("\n")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn migrations_apply_twice_and_tables_behave_on_clickhouse_18() {
    let url = require_clickhouse();
    let client = clickhouse::Client::default()
        .with_url(&url)
        .with_validation(false);
    let database = unique_name("carepulse_schema");
    let applied = carepulse_clickhouse::apply(&client, &database)
        .await
        .unwrap();
    assert_eq!(applied.len(), carepulse_clickhouse::MIGRATIONS.len());
    let again = carepulse_clickhouse::apply(&client, &database)
        .await
        .unwrap();
    assert!(again.is_empty(), "a second run applies nothing: {again:?}");

    for sql in checks(&database) {
        if sql.starts_with("SELECT") {
            let (name, ok) = client
                .query(&sql)
                .fetch_one::<(String, u8)>()
                .await
                .unwrap();
            assert_eq!(ok, 1, "check failed on ClickHouse 18.16: {name}");
        } else {
            client.query(&sql).execute().await.unwrap();
        }
    }
    client
        .query(&format!("DROP DATABASE {database}"))
        .execute()
        .await
        .unwrap();
}

#[test]
fn migrations_and_checks_run_on_current_clickhouse() {
    let dir = std::env::temp_dir().join(unique_name("schema"));
    std::fs::create_dir_all(&dir).unwrap();
    let schema = dir.join("schema.sql");
    let sql: String = carepulse_clickhouse::statements("{db}")
        .iter()
        .map(|s| format!("{s};\n"))
        .collect();
    std::fs::write(&schema, sql).unwrap();
    let out = Command::new("python3")
        .arg(repo().join("tests/sql/current_clickhouse.py"))
        .arg(&schema)
        .arg(repo().join("tests/sql/replacing_checks.sql"))
        .arg("carepulse_current")
        .output()
        .expect("python3 runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "current ClickHouse (chdb) refused the schema or a check:\n{report}"
    );
    assert_eq!(report.matches("ok: ").count(), 4, "{report}");
    let _ = std::fs::remove_dir_all(dir);
}
