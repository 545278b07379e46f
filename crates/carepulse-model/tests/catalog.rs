//! Loading catalogs: the shipped example is valid; broken catalogs get every
//! problem with the place to fix it.

use carepulse_model::{Catalog, CatalogError};

const EXAMPLE: &str = include_str!("../../../deploy/catalog/general-hospital.toml");

#[test]
fn the_example_hospital_has_the_required_journeys_and_departments() {
    let c = Catalog::from_toml(EXAMPLE).unwrap();
    for journey in [
        "ed-visit",
        "outpatient-appointment",
        "inpatient-stay",
        "repeat-prescription",
    ] {
        assert!(c.journey(journey).is_some(), "{journey}");
    }
    for department in [
        "ed",
        "outpatients",
        "inpatient-wards",
        "radiology",
        "hospital-pharmacy",
        "gp-reception",
    ] {
        assert!(c.department(department).is_some(), "{department}");
    }
    // The repeat-prescription journey crosses organisations: GP, then pharmacy.
    let orgs: Vec<String> = c
        .journey("repeat-prescription")
        .unwrap()
        .stages
        .iter()
        .map(|s| {
            let d = c.department(&s.department).unwrap();
            c.facility(&d.facility).unwrap().organisation.clone()
        })
        .collect();
    assert_eq!(orgs, ["riverside-gp", "riverside-gp", "riverside-pharmacy"]);
    let device = c.device("kiosk-ed-01").unwrap();
    assert_eq!(
        (device.stage.journey.as_str(), device.stage.stage.as_str()),
        ("ed-visit", "arrival")
    );
    // Both experience types are represented.
    assert!(c
        .touchpoints()
        .iter()
        .any(|t| t.experience == carepulse_model::Experience::Patient));
    assert!(c
        .touchpoints()
        .iter()
        .any(|t| t.experience == carepulse_model::Experience::Customer));
}

fn problems(text: &str) -> Vec<String> {
    match Catalog::from_toml(text) {
        Err(CatalogError::Invalid(p)) => p.iter().map(ToString::to_string).collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn broken_references_are_all_reported() {
    let broken = EXAMPLE
        .replace(
            "timezone = \"Europe/London\"\n\n[[facilities]]\nid = \"riverside-surgery\"",
            "timezone = \"Mars/Olympus\"\n\n[[facilities]]\nid = \"riverside-surgery\"",
        )
        .replace("department = \"radiology\" }", "department = \"nuclear\" }")
        .replace(
            "questionnaire = \"billing-csat\"",
            "questionnaire = \"billing\"",
        )
        .replace(
            "stages = [\"ed-visit/follow-up\"]",
            "stages = [\"ed-visit/follow-up\", \"ed-visit/recovery\"]",
        )
        .replace(
            "touchpoint = \"opd-check-in-kiosk\"\n\n[[devices]]\nid = \"kiosk-tto-01\"",
            "touchpoint = \"opd-checkin\"\n\n[[devices]]\nid = \"kiosk-tto-01\"",
        );
    let found = problems(&broken);
    let expected = [
        "facilities[0].timezone: 'Mars/Olympus' is not an IANA time zone name",
        "journeys[1].stages[3].department: unknown department 'nuclear': define it under [[departments]] first",
        "touchpoints[4].stages[1]: journey 'ed-visit' has no stage 'recovery' (stages: arrival, triage, treatment, discharge, follow-up)",
        "touchpoints[9].questionnaire: unknown questionnaire 'billing'",
        "devices[3].touchpoint: unknown touchpoint 'opd-checkin'",
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (f, e) in found.iter().zip(expected) {
        assert!(f.starts_with(e), "{f}\n  expected to start with\n{e}");
    }
}

#[test]
fn duplicate_and_malformed_ids_are_reported() {
    let text = r#"
        [[organisations]]
        id = "Org One"
        name = "x"
        kind = "hospital"
        [[facilities]]
        id = "f"
        name = "F"
        organisation = "Org One"
        timezone = "UTC"
        [[facilities]]
        id = "f"
        name = "F again"
        organisation = "Org One"
        timezone = "UTC"
    "#;
    let found = problems(text);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("organisations[0].id: id 'Org One' must be")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p == "facilities[1].id: id 'f' is defined twice in facilities"),
        "{found:?}"
    );
}

#[test]
fn a_touchpoint_spanning_departments_is_refused() {
    let text = EXAMPLE.replace(
        "stages = [\"outpatient-appointment/consultation\"]",
        "stages = [\"outpatient-appointment/consultation\", \"outpatient-appointment/imaging\"]",
    );
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("serves stages of several departments (outpatients, radiology)"),
        "{found:?}"
    );
}

#[test]
fn syntax_errors_and_unknown_keys_say_where() {
    match Catalog::from_toml("[[facilities]]\nid = \"x\"\nname = \"y\"\norganisation = \"o\"\ntimezone = \"UTC\"\ncolour = 3\n") {
        Err(CatalogError::Syntax(message)) => {
            assert!(message.contains("colour"), "{message}");
            assert!(message.contains("line 6"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Catalog::from_toml("[[facilities]"),
        Err(CatalogError::Syntax(_))
    ));
}
