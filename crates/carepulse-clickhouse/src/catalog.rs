//! The catalog's journeys in ClickHouse (`catalog_stages`), so dashboards
//! can show a journey's stages in the order visitors pass them, with their
//! names, across departments and organisations. `carepulse migrate` writes
//! the configured catalog each time it runs: every run is a new `version`,
//! and readers take the rows of the latest one, so a stage removed from the
//! catalog disappears from the dashboards.
//!
//! ```sql
//! SELECT journey, position, stage, stage_name FROM catalog_stages FINAL
//! WHERE version = (SELECT max(version) FROM catalog_stages)
//! ORDER BY journey, position
//! ```

use carepulse_model::Catalog;
use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

/// A row of `catalog_stages`: one stage of a journey.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct StageRow {
    /// Journey id.
    pub journey: String,
    /// Journey display name.
    pub journey_name: String,
    /// Position of the stage in the journey, from 1.
    pub position: u16,
    /// Stage id.
    pub stage: String,
    /// Stage display name.
    pub stage_name: String,
    /// Department responsible for the stage.
    pub department: String,
    /// Department display name.
    pub department_name: String,
    /// Facility of the department.
    pub facility: String,
    /// Organisation of the facility.
    pub organisation: String,
    /// The catalog version these rows belong to (higher is newer).
    pub version: u64,
}

/// Every stage of every journey of `catalog`, in order, as `version`.
pub fn stage_rows(catalog: &Catalog, version: u64) -> Vec<StageRow> {
    let mut rows = Vec::new();
    for journey in catalog.journeys() {
        for (i, stage) in journey.stages.iter().enumerate() {
            let department = catalog.department(&stage.department);
            let facility = department.and_then(|d| catalog.facility(&d.facility));
            rows.push(StageRow {
                journey: journey.id.clone(),
                journey_name: journey.name.clone(),
                position: u16::try_from(i + 1).unwrap_or(u16::MAX),
                stage: stage.id.clone(),
                stage_name: stage.name.clone(),
                department: stage.department.clone(),
                department_name: department.map(|d| d.name.clone()).unwrap_or_default(),
                facility: facility.map(|f| f.id.clone()).unwrap_or_default(),
                organisation: facility.map(|f| f.organisation.clone()).unwrap_or_default(),
                version,
            });
        }
    }
    rows
}

/// Writes the catalog's stages into `database.catalog_stages` as `version`
/// (e.g. the current Unix time); returns how many rows were written.
pub async fn write_catalog(
    client: &Client,
    database: &str,
    catalog: &Catalog,
    version: u64,
) -> Result<usize, clickhouse::error::Error> {
    let rows = stage_rows(catalog, version);
    let client = client.clone().with_database(database);
    let mut insert = client.insert::<StageRow>("catalog_stages").await?;
    for row in &rows {
        insert.write(row).await?;
    }
    insert.end().await?;
    Ok(rows.len())
}
