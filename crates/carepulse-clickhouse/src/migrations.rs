//! The versioned migrations and applying them, idempotently.

use clickhouse::Client;

/// One schema change: statements run in order, each safe to run again.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Version, increasing from 1.
    pub version: u32,
    /// What it does.
    pub name: &'static str,
    /// SQL statements; `{db}` stands for the database.
    pub statements: &'static [&'static str],
}

/// The columns of an event's dimensions, in sorting order.
macro_rules! dims {
    () => {
        "facility String, organisation String, department String, journey String, stage String, \
         experience String, channel String, respondent_role String, questionnaire String"
    };
}

/// Answer counters, as in `carepulse_engine::Counts`.
macro_rules! counts {
    () => {
        "responses UInt32, valid UInt32, linear_sum Float64, top_box UInt32, bottom_box UInt32, \
         positive UInt32, negative UInt32, dont_know UInt32, promoters UInt32, passives UInt32, \
         detractors UInt32"
    };
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "feedback events, per-minute counts, rolling snapshots, late and rejected events",
    statements: &[
        "CREATE TABLE IF NOT EXISTS {db}.feedback_events (\
            event_id String, kafka_partition UInt16, kafka_offset UInt64, \
            occurred_at DateTime, responded_at DateTime, received_at DateTime, \
            facility String, organisation String, department String, journey String, stage String, \
            touchpoint String, experience String, channel String, respondent_role String, \
            questionnaire String, source_id String, subject String, journey_instance String, \
            overall_scale String, overall_linear Nullable(Float64), has_comment UInt8, \
            consent_to_contact UInt8, payload String\
        ) ENGINE = ReplacingMergeTree() \
        PARTITION BY toYYYYMM(occurred_at) \
        ORDER BY (facility, department, event_id)",
        concat!(
            "CREATE TABLE IF NOT EXISTS {db}.score_minutes (minute DateTime, ",
            dims!(),
            ", question String, scale String, ",
            counts!(),
            ", version UInt64) ENGINE = ReplacingMergeTree(version) \
             PARTITION BY toYYYYMM(minute) \
             ORDER BY (facility, department, journey, stage, minute, organisation, experience, channel, \
                       respondent_role, questionnaire, question, scale)"
        ),
        concat!(
            "CREATE TABLE IF NOT EXISTS {db}.score_snapshots (rollup String, window_minutes UInt32, ",
            dims!(),
            ", question String, scale String, at DateTime, ",
            counts!(),
            ", version UInt64) ENGINE = ReplacingMergeTree(version) \
             ORDER BY (rollup, facility, department, journey, stage, organisation, experience, channel, \
                       respondent_role, questionnaire, question, scale, window_minutes)"
        ),
        "CREATE TABLE IF NOT EXISTS {db}.late_events (\
            event_id String, kafka_partition UInt16, kafka_offset UInt64, \
            occurred_at DateTime, received_at DateTime, facility String, department String, \
            reason String, payload String\
        ) ENGINE = ReplacingMergeTree() \
        PARTITION BY toYYYYMM(received_at) \
        ORDER BY (facility, department, event_id)",
        "CREATE TABLE IF NOT EXISTS {db}.rejected_events (\
            kafka_partition UInt16, kafka_offset UInt64, seen_at DateTime, reason String, payload String\
        ) ENGINE = ReplacingMergeTree() \
        PARTITION BY toYYYYMM(seen_at) \
        ORDER BY (kafka_partition, kafka_offset)",
    ],
},
Migration {
    version: 2,
    name: "rolling snapshots per Kafka partition, alert history",
    statements: &[
        // Version 1 kept one snapshot row per rollup key; a rollup key that
        // spans departments (a journey stage, a facility) is counted by
        // several partitions, each of which writes its own share.
        "DROP TABLE IF EXISTS {db}.score_snapshots",
        concat!(
            "CREATE TABLE IF NOT EXISTS {db}.score_snapshots (rollup String, window_minutes UInt32, ",
            dims!(),
            ", question String, scale String, kafka_partition UInt16, at DateTime, ",
            counts!(),
            ", version UInt64) ENGINE = ReplacingMergeTree(version) \
             ORDER BY (rollup, facility, department, journey, stage, organisation, experience, channel, \
                       respondent_role, questionnaire, question, scale, window_minutes, kafka_partition)"
        ),
        "CREATE TABLE IF NOT EXISTS {db}.alert_events (\
            alert_id String, state String, kind String, severity String, alert_key String, \
            facility String, department String, stage String, experience String, measure String, \
            current_value Float64, current_low Nullable(Float64), current_high Nullable(Float64), \
            current_n UInt64, current_from DateTime, current_to DateTime, \
            baseline_value Float64, baseline_low Nullable(Float64), baseline_high Nullable(Float64), \
            baseline_n UInt64, baseline_from DateTime, baseline_to DateTime, \
            since DateTime, fired_at DateTime, updated_at DateTime, resolved_at Nullable(DateTime), \
            summary String, evidence String, link String, record String\
        ) ENGINE = ReplacingMergeTree() \
        PARTITION BY toYYYYMM(fired_at) \
        ORDER BY (alert_id, state, updated_at)",
    ],
},
Migration {
    version: 3,
    name: "the catalog's journey stages in order, for dashboards",
    statements: &[
        // Written by `carepulse migrate` from the configured catalog, one
        // `version` per run (catalog.rs); readers keep the latest version.
        "CREATE TABLE IF NOT EXISTS {db}.catalog_stages (\
            journey String, journey_name String, position UInt16, stage String, stage_name String, \
            department String, department_name String, facility String, organisation String, \
            version UInt64\
        ) ENGINE = ReplacingMergeTree(version) \
        ORDER BY (journey, stage)",
    ],
},
Migration {
    version: 4,
    name: "analytics: driver importance, question quality, journey stages, runs",
    statements: &[
        // Written by `carepulse analyze`, one `computed_at` per computation;
        // the run row is written last and readers take the latest run
        // (analytics.rs).
        "CREATE TABLE IF NOT EXISTS {db}.driver_importance (\
            computed_at DateTime, window_from DateTime, window_to DateTime, \
            questionnaire String, dimension String, group_key String, \
            departments String, journeys String, experiences String, method String, \
            responses UInt64, n UInt64, min_n UInt64, reliable UInt8, note String, \
            r_squared Nullable(Float64), r_squared_low Nullable(Float64), r_squared_high Nullable(Float64), \
            p_value Nullable(Float64), overall_mean Nullable(Float64), item String, rank UInt16, \
            importance Nullable(Float64), importance_low Nullable(Float64), importance_high Nullable(Float64), \
            share Nullable(Float64), share_low Nullable(Float64), share_high Nullable(Float64), \
            performance Nullable(Float64), quadrant String, constant UInt8\
        ) ENGINE = ReplacingMergeTree() \
        PARTITION BY toYYYYMM(computed_at) \
        ORDER BY (computed_at, questionnaire, dimension, group_key, item)",
        "CREATE TABLE IF NOT EXISTS {db}.question_quality (\
            computed_at DateTime, window_from DateTime, window_to DateTime, \
            questionnaire String, responses UInt64, complete UInt64, alpha Nullable(Float64), note String, \
            position UInt16, item String, answered UInt64, non_response Float64, mean Nullable(Float64), \
            top_box Nullable(Float64), bottom_box Nullable(Float64), item_total Nullable(Float64), \
            alpha_if_deleted Nullable(Float64), flags String\
        ) ENGINE = ReplacingMergeTree() \
        PARTITION BY toYYYYMM(computed_at) \
        ORDER BY (computed_at, questionnaire, position, item)",
        "CREATE TABLE IF NOT EXISTS {db}.journey_stage_scores (\
            computed_at DateTime, window_from DateTime, window_to DateTime, \
            journey String, journey_name String, position UInt16, stage String, stage_name String, \
            department String, organisation String, n UInt64, linear_mean Nullable(Float64), \
            top_box Nullable(Float64), sufficient UInt8, weakest UInt8, linked_visits UInt64, \
            visits UInt64, bad_visits UInt64, rest_when_bad Nullable(Float64), \
            rest_when_not_bad Nullable(Float64), impact Nullable(Float64), impact_reliable UInt8\
        ) ENGINE = ReplacingMergeTree() \
        PARTITION BY toYYYYMM(computed_at) \
        ORDER BY (computed_at, journey, position, stage)",
        "CREATE TABLE IF NOT EXISTS {db}.analysis_runs (\
            computed_at DateTime, window_from DateTime, window_to DateTime, \
            events_read UInt64, events_used UInt64, duplicates UInt64, malformed UInt64, \
            min_n UInt64, replicates UInt32, level Float64, driver_rows UInt32, quality_rows UInt32, \
            stage_rows UInt32, duration_seconds Float64, notes String\
        ) ENGINE = ReplacingMergeTree() \
        PARTITION BY toYYYYMM(computed_at) \
        ORDER BY computed_at",
    ],
}];

const BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS {db}.schema_migrations (\
    version UInt32, name String, applied_at DateTime\
) ENGINE = ReplacingMergeTree() ORDER BY version";

/// Why migrating failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The database name would not be safe in SQL.
    #[error("database name '{0}' must be letters, digits and '_'")]
    BadDatabase(String),
    /// ClickHouse refused or could not be reached.
    #[error("migration {version} ({name}) failed: {source}")]
    Statement {
        /// Migration version (0 for the bookkeeping table).
        version: u32,
        /// Migration name.
        name: &'static str,
        /// The client error.
        source: clickhouse::error::Error,
    },
}

/// A migration that ran now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Its version.
    pub version: u32,
    /// Its name.
    pub name: &'static str,
}

/// Whether `database` is safe to put in SQL as it is: letters, digits and
/// `_` only.
pub(crate) fn safe_database_name(database: &str) -> bool {
    !database.is_empty()
        && database
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn check_database(database: &str) -> Result<(), MigrateError> {
    if safe_database_name(database) {
        Ok(())
    } else {
        Err(MigrateError::BadDatabase(database.to_owned()))
    }
}

/// Every statement for `database`, bookkeeping first, in order: for
/// printing and for checking on other ClickHouse versions.
pub fn statements(database: &str) -> Vec<String> {
    std::iter::once(format!("CREATE DATABASE IF NOT EXISTS {database}"))
        .chain(std::iter::once(BOOKKEEPING.replace("{db}", database)))
        .chain(
            MIGRATIONS
                .iter()
                .flat_map(|m| m.statements.iter().map(|s| s.replace("{db}", database))),
        )
        .collect()
}

/// Creates the database and applies the migrations not applied yet.
pub async fn apply(client: &Client, database: &str) -> Result<Vec<Applied>, MigrateError> {
    check_database(database)?;
    let run = |version, name, sql: String| async move {
        client
            .query(&sql)
            .execute()
            .await
            .map_err(|source| MigrateError::Statement {
                version,
                name,
                source,
            })
    };
    run(
        0,
        "database",
        format!("CREATE DATABASE IF NOT EXISTS {database}"),
    )
    .await?;
    run(0, "bookkeeping", BOOKKEEPING.replace("{db}", database)).await?;
    let done: Vec<u32> = client
        .query(&format!(
            "SELECT DISTINCT version FROM {database}.schema_migrations"
        ))
        .fetch_all::<u32>()
        .await
        .map_err(|source| MigrateError::Statement {
            version: 0,
            name: "bookkeeping",
            source,
        })?;
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        for statement in m.statements {
            run(m.version, m.name, statement.replace("{db}", database)).await?;
        }
        let record = format!(
            "INSERT INTO {database}.schema_migrations (version, name, applied_at) VALUES ({}, '{}', now())",
            m.version,
            m.name.replace('\'', "")
        );
        run(m.version, m.name, record).await?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        applied.push(Applied {
            version: m.version,
            name: m.name,
        });
    }
    Ok(applied)
}
