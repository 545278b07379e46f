//! The published JSON Schemas (schema/*.json) must equal what the Rust types
//! generate, and the documented examples must match them.
//!
//! To regenerate after changing the types:
//! `CAREPULSE_UPDATE_SCHEMA=1 cargo test -p carepulse-model --test schema`.

use std::path::PathBuf;

use serde_json::Value;

fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

fn check_published(relative: &str, generated: Value) {
    let path = repo_file(relative);
    let pretty = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    if std::env::var_os("CAREPULSE_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, pretty).unwrap();
        return;
    }
    let published: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    assert!(
        published == generated,
        "{relative} differs from the Rust types: review the change, then run \
         `CAREPULSE_UPDATE_SCHEMA=1 cargo test -p carepulse-model --test schema` and commit the file"
    );
}

#[test]
fn published_submission_schema_matches_the_types() {
    check_published(
        "schema/feedback-submission.v1.schema.json",
        carepulse_model::submission_schema(),
    );
}

#[test]
fn published_event_schema_matches_the_types() {
    check_published(
        "schema/feedback-event.v1.schema.json",
        carepulse_model::event_schema(),
    );
}

#[test]
fn published_kiosk_press_schema_matches_the_types() {
    check_published(
        "schema/kiosk-press.v1.schema.json",
        carepulse_model::kiosk_press_schema(),
    );
}

#[test]
fn decoder_knows_exactly_the_schema_fields() {
    let schema = carepulse_model::submission_schema();
    let mut from_schema: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut decoded = carepulse_model::SUBMISSION_FIELDS.to_vec();
    from_schema.sort();
    decoded.sort();
    assert_eq!(from_schema, decoded);
}

fn examples() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo_file("docs/examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, serde_json::from_str(&text).unwrap()));
        }
    }
    assert!(out.len() >= 5, "documented examples are missing");
    out
}

#[test]
fn documented_examples_match_the_schema() {
    let validator = jsonschema::validator_for(&carepulse_model::submission_schema()).unwrap();
    for (name, example) in examples() {
        let errors: Vec<String> = validator
            .iter_errors(&example)
            .map(|e| e.to_string())
            .collect();
        if name.starts_with("invalid") {
            // Structurally fine; its problems are semantic (see tests/validation.rs).
            assert!(errors.is_empty(), "{name}: {errors:?}");
        } else {
            assert!(
                errors.is_empty(),
                "{name} does not match the schema: {errors:?}"
            );
        }
    }
}

#[test]
fn schema_rejects_what_the_decoder_rejects() {
    let validator = jsonschema::validator_for(&carepulse_model::submission_schema()).unwrap();
    let (_, mut example) = examples()
        .into_iter()
        .find(|(n, _)| n == "kiosk-smiley.json")
        .unwrap();
    assert!(validator.is_valid(&example));
    example["channel"] = Value::from("carrier_pigeon");
    assert!(!validator.is_valid(&example));
    assert!(carepulse_model::decode_submission(example.to_string().as_bytes()).is_err());
    example["channel"] = Value::from("kiosk");
    example["colour"] = Value::from("blue");
    assert!(!validator.is_valid(&example));
    assert!(carepulse_model::decode_submission(example.to_string().as_bytes()).is_err());
}
