//! The ClickHouse schema (`carepulse migrate`) on the real local ClickHouse
//! 18.16 (`dev/services up`) and on current ClickHouse (through chdb): the
//! migrations apply, apply again without effect, and the tables behave as
//! the processor relies on (the latest full value of a minute wins; a
//! redelivered event is one row); old analytics computations are dropped a
//! month at a time.

use carepulse_clickhouse::retention::{
    drop_month_sql, forget_computations, month_of, months_before_sql, COMPUTATION_TABLES,
};
use carepulse_service_tests::database::{self, on_current_clickhouse};
use carepulse_service_tests::{ingest::repo, unique_name};

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
    let client = database::client();
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
    database::drop(&client, &database).await;
}

#[test]
fn migrations_and_checks_run_on_current_clickhouse() {
    let checks = std::fs::read_to_string(repo().join("tests/sql/replacing_checks.sql")).unwrap();
    let (ok, report) = on_current_clickhouse(&checks, "carepulse_current");
    assert!(
        ok,
        "current ClickHouse (chdb) refused the schema or a check:\n{report}"
    );
    assert_eq!(report.matches("ok: ").count(), 9, "{report}");
}

/// Computations in January and February 2025 and in October and November
/// 2026, in every analytics table.
fn computations(database: &str) -> Vec<String> {
    COMPUTATION_TABLES
        .iter()
        .map(|table| {
            format!(
                "INSERT INTO {database}.{table} (computed_at) VALUES ('2025-01-15 10:00:00'), \
                 ('2025-02-10 10:00:00'), ('2026-10-01 00:00:00'), ('2026-11-20 10:00:00')"
            )
        })
        .collect()
}

/// Keeping from 5 October 2026 keeps all of October.
fn keep_from() -> chrono::DateTime<chrono::Utc> {
    "2026-10-05T00:00:00Z".parse().unwrap()
}

#[tokio::test]
async fn old_computations_are_dropped_a_month_at_a_time_on_clickhouse_18() {
    let (client, database) = database::migrated("carepulse_retention").await;
    for sql in computations(&database) {
        client.query(&sql).execute().await.unwrap();
    }
    let dropped = forget_computations(&client, &database, keep_from())
        .await
        .unwrap();
    assert_eq!(dropped, [202501, 202502]);
    for table in COMPUTATION_TABLES {
        let months: Vec<u32> = client
            .query(&format!(
                "SELECT DISTINCT toUInt32(toYYYYMM(computed_at)) AS m FROM {database}.{table} ORDER BY m"
            ))
            .fetch_all()
            .await
            .unwrap();
        assert_eq!(months, [202610, 202611], "{table}");
    }
    let again = forget_computations(&client, &database, keep_from())
        .await
        .unwrap();
    assert!(again.is_empty(), "nothing more to drop: {again:?}");
    database::drop(&client, &database).await;
}

#[test]
fn the_statements_that_drop_old_computations_run_on_current_clickhouse() {
    let database = "carepulse_current";
    let first_kept = month_of(keep_from());
    let mut checks = computations("{db}");
    let before = months_before_sql("{db}", COMPUTATION_TABLES[0], first_kept);
    checks.push(format!(
        "SELECT 'months before the first kept one', toUInt8(arraySort(groupArray(month)) = [202501, 202502]) FROM ({before})"
    ));
    for table in COMPUTATION_TABLES {
        for month in [202501, 202502] {
            checks.push(drop_month_sql("{db}", table, month));
        }
        checks.push(format!(
            "SELECT 'only recent months left in {table}', toUInt8(arraySort(groupUniqArray(toYYYYMM(computed_at))) = [202610, 202611]) FROM {{db}}.{table}"
        ));
    }
    let (ok, report) = on_current_clickhouse(&(checks.join(";\n") + ";\n"), database);
    assert!(
        ok,
        "current ClickHouse (chdb) refused a retention statement:\n{report}"
    );
    assert_eq!(report.matches("ok: ").count(), 5, "{report}");
}

/// Events as the processor writes them (encoded as they are counted, sent
/// as RowBinary chunks) read back from ClickHouse 18.16 as the owned rows
/// of the same events: every column type, escapes, NULL, long strings
/// (two- and three-byte lengths) and rows across several chunks.
#[tokio::test]
async fn encoded_event_rows_read_back_as_the_owned_rows_on_clickhouse_18() {
    use carepulse_clickhouse::rowbinary::{self, EncodedRows};
    use carepulse_clickhouse::rows::{EventRow, EventWrite};
    use carepulse_model::{EventView, FeedbackEvent};

    let (client, database) = database::migrated("carepulse_rowbinary").await;
    let client = client.with_database(&database);
    let base = r#"{"v":1,"event_id":"ID","occurred_at":"2026-11-21T09:15:00Z",
        "responded_at":"2026-11-21T09:16:00+01:00","received_at":"2026-11-21T09:16:02.250Z",
        "organisation":"trust","facility":"st-marys","department":"ed","journey":"ed-visit",
        "stage":"triage","touchpoint":"kiosk-3","experience":"patient","channel":"kiosk",
        "source_id":"kiosk-3","respondent_role":"patient","subject":null,
        "questionnaire":"fft","overall":{"question":"overall","scale":"fft","value":"VALUE"},
        "comment":"COMMENT","consent_to_contact":true}"#;
    let payloads: Vec<String> = (0..400)
        .map(|i| {
            let comment = "c".repeat([0, 100, 20_000][i % 3]);
            let value = ["very_good", "dont_know", "poor"][i % 3];
            let id = if i % 7 == 0 {
                format!("e-\\\"{i}\\\"")
            } else {
                format!("e-{i}")
            };
            base.replace("ID", &id)
                .replace("VALUE", value)
                .replace("COMMENT", &comment)
        })
        .collect();
    let mut rows = EncodedRows::default();
    let mut expected = Vec::new();
    for (offset, payload) in payloads.iter().enumerate() {
        let view = EventView::from_json(payload.as_bytes()).unwrap();
        rows.push(&EventWrite::new(&view, payload, 3, offset as i64))
            .unwrap();
        let owned: FeedbackEvent = serde_json::from_str(payload).unwrap();
        expected.push(EventRow::new(&owned, 3, offset as i64, payload.clone()));
    }
    let chunks = rows.into_chunks();
    assert!(chunks.chunks.len() > 1, "the rows span several chunks");
    rowbinary::insert::<EventWrite<'static>>(&client, "feedback_events", &chunks, None, None)
        .await
        .unwrap();
    let stored = client
        .query("SELECT ?fields FROM feedback_events ORDER BY kafka_offset")
        .fetch_all::<EventRow>()
        .await
        .unwrap();
    assert_eq!(stored.len(), expected.len());
    for (got, want) in stored.iter().zip(&expected) {
        assert_eq!(got, want);
    }
    assert!(stored.iter().any(|r| r.overall_linear.is_none()));
    database::drop(&client, &database).await;
}
