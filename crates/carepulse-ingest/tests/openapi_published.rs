//! The published OpenAPI document (schema/ingest-openapi.v1.json) equals what
//! the code generates. Regenerate after a deliberate change with
//! `CAREPULSE_UPDATE_SCHEMA=1 cargo test -p carepulse-ingest --test openapi_published`.

use std::path::PathBuf;

#[test]
fn published_openapi_document_matches_the_code() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/ingest-openapi.v1.json");
    let generated = carepulse_ingest::openapi::document();
    if std::env::var_os("CAREPULSE_UPDATE_SCHEMA").is_some() {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&generated).unwrap() + "\n",
        )
        .unwrap();
        return;
    }
    let published: serde_json::Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    assert!(
        published == generated,
        "schema/ingest-openapi.v1.json differs from the code: review the change, then run \
         `CAREPULSE_UPDATE_SCHEMA=1 cargo test -p carepulse-ingest --test openapi_published` and commit the file"
    );
}

#[test]
fn every_operation_documents_its_errors_as_problem_details() {
    let doc = carepulse_ingest::openapi::document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status} is not a problem+json response"
                    );
                }
            }
        }
    }
}
