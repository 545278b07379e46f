//! How long stored analytics computations are kept. The analytics tables
//! are partitioned by the month of `computed_at`, so old computations go a
//! whole month at a time (`DROP PARTITION`: immediate and cheap on 18.16
//! and on current ClickHouse, unlike a row delete). A month is dropped once
//! all of it is before the first day to keep, so at least the days asked
//! for are kept, and at most a month more. `analysis_runs` goes first:
//! readers find a computation through its run row, so none is seen half
//! dropped.

use chrono::{DateTime, Datelike, Utc};
use clickhouse::Client;

use crate::analyze::{check_database, AnalyzeError};

/// The tables of analytics computations, in the order months are dropped.
pub const COMPUTATION_TABLES: [&str; 4] = [
    "analysis_runs",
    "driver_importance",
    "question_quality",
    "journey_stage_scores",
];

/// The month of `t` as ClickHouse's `toYYYYMM` gives it (202611).
pub fn month_of(t: DateTime<Utc>) -> u32 {
    t.year().max(0) as u32 * 100 + t.month()
}

/// The months of computations in `table` before `month`, oldest first.
pub fn months_before_sql(database: &str, table: &str, month: u32) -> String {
    format!(
        "SELECT DISTINCT toUInt32(toYYYYMM(computed_at)) AS month FROM {database}.{table} \
         WHERE toYYYYMM(computed_at) < {month} ORDER BY month"
    )
}

/// Drops the computations of `month` from `table`.
pub fn drop_month_sql(database: &str, table: &str, month: u32) -> String {
    format!("ALTER TABLE {database}.{table} DROP PARTITION {month}")
}

/// Drops every month of computations that ended before `keep_from`'s
/// month, from every analytics table. Returns the months dropped from
/// `analysis_runs` (each a computation month that no reader will see).
pub async fn forget_computations(
    client: &Client,
    database: &str,
    keep_from: DateTime<Utc>,
) -> Result<Vec<u32>, AnalyzeError> {
    check_database(database)?;
    let first_kept = month_of(keep_from);
    let mut dropped_runs = Vec::new();
    for table in COMPUTATION_TABLES {
        let failed = |source| AnalyzeError::Retention { table, source };
        let months: Vec<u32> = client
            .query(&months_before_sql(database, table, first_kept))
            .fetch_all()
            .await
            .map_err(failed)?;
        for &month in &months {
            client
                .query(&drop_month_sql(database, table, month))
                .execute()
                .await
                .map_err(failed)?;
        }
        if table == COMPUTATION_TABLES[0] {
            dropped_runs = months;
        }
    }
    Ok(dropped_runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_numbered_as_clickhouse_numbers_them() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(month_of(t("2026-11-22T09:00:00Z")), 202611);
        assert_eq!(month_of(t("2026-01-01T00:00:00Z")), 202601);
        assert_eq!(month_of(t("2025-12-31T23:59:59Z")), 202512);
    }
}
