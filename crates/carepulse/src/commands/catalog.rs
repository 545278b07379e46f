//! `carepulse catalog`: a readable summary of the hospital catalog.

use std::path::Path;
use std::process::ExitCode;

use carepulse_model::Catalog;

/// Prints organisations, facilities, departments, journeys (stages in order)
/// and touchpoints.
pub fn run(file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = super::valid_config(file)?;
    print!("{}", summary(&config.catalog));
    Ok(ExitCode::SUCCESS)
}

fn summary(c: &Catalog) -> String {
    let mut out = String::new();
    for org in c.organisations() {
        out += &format!("organisation {} ({:?}): {}\n", org.id, org.kind, org.name);
        for f in c.facilities().iter().filter(|f| f.organisation == org.id) {
            out += &format!("  facility {} [{}]: {}\n", f.id, f.timezone, f.name);
            for d in c.departments().iter().filter(|d| d.facility == f.id) {
                out += &format!("    department {}: {}\n", d.id, d.name);
            }
        }
    }
    for j in c.journeys() {
        out += &format!("journey {}: {}\n", j.id, j.name);
        for (i, s) in j.stages.iter().enumerate() {
            let org = c
                .department(&s.department)
                .and_then(|d| c.facility(&d.facility))
                .map(|f| f.organisation.as_str())
                .unwrap_or("?");
            out += &format!(
                "  {}. {} ({}, {org}): {}\n",
                i + 1,
                s.id,
                s.department,
                s.name
            );
        }
    }
    for t in c.touchpoints() {
        let stages: Vec<String> = t
            .stages
            .iter()
            .map(|s| format!("{}/{}", s.journey, s.stage))
            .collect();
        out += &format!(
            "touchpoint {} [{:?}, questionnaire {}]: {} -> {}\n",
            t.id,
            t.experience,
            t.questionnaire,
            t.name,
            stages.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lists_journey_stages_in_order_across_organisations() {
        let catalog = Catalog::from_toml(include_str!(
            "../../../../deploy/catalog/general-hospital.toml"
        ))
        .unwrap();
        let text = summary(&catalog);
        let request = text
            .find("  1. request (gp-reception, riverside-gp)")
            .expect(&text);
        let pickup = text
            .find("pickup (pharmacy-counter, riverside-pharmacy)")
            .expect(&text);
        assert!(request < pickup);
    }
}
