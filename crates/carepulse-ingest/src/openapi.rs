//! The API contract as an OpenAPI 3.1 document, generated from the same
//! Rust types the service decodes, published as
//! `schema/ingest-openapi.v1.json` and served at `/v1/openapi.json`. Tests
//! check the published file against this function and the running router
//! against the document.

use carepulse_model::{KioskPress, Submission};
use schemars::generate::SchemaSettings;
use serde_json::{json, Value};

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

fn with_retry_after(mut response: Value) -> Value {
    response["headers"] = json!({
        "Retry-After": { "description": "seconds to wait before retrying", "schema": { "type": "integer", "minimum": 1 } }
    });
    response
}

fn common_errors() -> Value {
    json!({
        "400": problem_response("the body is not JSON, or a batch is not an array"),
        "401": problem_response("no API token, or an unknown one"),
        "403": problem_response("the token may not submit for this facility, channel or device"),
        "413": problem_response("the body is larger than ingest.max_body_bytes, or the batch has too many items"),
        "415": problem_response("wrong Content-Type"),
        "422": problem_response("the feedback is invalid; `problems` lists every field with its reason"),
        "429": with_retry_after(problem_response("over the token's or the device's rate limit")),
        "503": with_retry_after(problem_response("the broker did not acknowledge: nothing was stored, retry with the same event_id")),
    })
}

fn operation(id: &str, summary: &str, request: Value, success: (&str, Value)) -> Value {
    let mut responses = common_errors();
    responses[success.0] = success.1;
    json!({
        "operationId": id,
        "summary": summary,
        "security": [{ "bearer": [] }],
        "requestBody": { "required": true, "content": request },
        "responses": responses,
    })
}

fn accepted() -> Value {
    json!({
        "description": "the broker acknowledged the event",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Accepted" } } }
    })
}

fn health(summary: &str, ready: bool) -> Value {
    let mut responses = json!({
        "200": { "description": "ok", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } }
    });
    if ready {
        responses["503"] = with_retry_after(problem_response("the broker does not answer"));
    }
    json!({ "get": { "summary": summary, "responses": responses } })
}

fn response_schemas() -> Value {
    json!({
        "Accepted": {
            "type": "object",
            "required": ["event_id", "status"],
            "properties": {
                "event_id": { "type": "string" },
                "status": { "const": "accepted" },
                "suspect": { "$ref": "#/components/schemas/Suspicion" }
            },
            "additionalProperties": false
        },
        "Suspicion": { "enum": ["repeat_press"], "description": "kept for audit, not counted in scores" },
        "FieldProblem": {
            "type": "object",
            "required": ["field", "code", "reason"],
            "properties": {
                "field": { "type": "string", "description": "path such as answers.items[2].value; empty for the whole body" },
                "code": { "enum": ["malformed_json", "missing", "wrong_type", "unknown_field", "unknown_reference", "inconsistent", "out_of_scale", "time_out_of_range", "bad_value"] },
                "reason": { "type": "string" }
            },
            "additionalProperties": false
        },
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": { "type": "string", "pattern": "^urn:carepulse:problem:[a-z-]+$" },
                "title": { "type": "string" },
                "status": { "type": "integer" },
                "detail": { "type": "string" },
                "problems": { "type": "array", "items": { "$ref": "#/components/schemas/FieldProblem" } }
            },
            "additionalProperties": false
        },
        "BatchItem": {
            "type": "object",
            "required": ["index", "status"],
            "properties": {
                "index": { "type": "integer", "minimum": 0 },
                "status": { "type": "integer", "description": "202, or the status the item would have had on its own" },
                "event_id": { "type": "string" },
                "suspect": { "$ref": "#/components/schemas/Suspicion" },
                "type": { "type": "string" },
                "title": { "type": "string" },
                "detail": { "type": "string" },
                "problems": { "type": "array", "items": { "$ref": "#/components/schemas/FieldProblem" } }
            },
            "additionalProperties": false
        },
        "BatchResult": {
            "type": "object",
            "required": ["accepted", "rejected", "unavailable", "results"],
            "properties": {
                "accepted": { "type": "integer" },
                "rejected": { "type": "integer" },
                "unavailable": { "type": "integer", "description": "items to retry later with the same event ids" },
                "results": { "type": "array", "items": { "$ref": "#/components/schemas/BatchItem" } }
            },
            "additionalProperties": false
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": { "status": { "enum": ["live", "ready"] } },
            "additionalProperties": false
        }
    })
}

/// The OpenAPI 3.1 document of the ingest API, v1.
pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut generator = settings.into_generator();
    let submission =
        serde_json::to_value(generator.subschema_for::<Submission>()).expect("schemas serialise");
    let press =
        serde_json::to_value(generator.subschema_for::<KioskPress>()).expect("schemas serialise");
    let mut schemas = response_schemas();
    for (name, schema) in generator.take_definitions(true) {
        schemas[name] = schema;
    }
    let batch_ok = json!({
        "description": "per-item results; retry the items with status 503",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/BatchResult" } } }
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "carepulse ingest API",
            "version": "1",
            "description": "Touchpoint feedback from kiosks, portals and survey gateways. A 202 means the event is stored in Kafka; a 503 means nothing was stored and the client should retry with the same event_id. Errors are RFC 9457 problem details."
        },
        "paths": {
            "/v1/feedback": { "post": operation(
                "submitFeedback",
                "Submit one feedback event",
                json!({ "application/json": { "schema": submission.clone() } }),
                ("202", accepted()),
            ) },
            "/v1/feedback/batch": { "post": operation(
                "submitFeedbackBatch",
                "Submit a batch of feedback events (JSON array or NDJSON), acknowledged per item",
                json!({
                    "application/json": { "schema": { "type": "array", "items": submission } },
                    "application/x-ndjson": { "schema": { "type": "string", "description": "one submission per line" } }
                }),
                ("200", batch_ok),
            ) },
            "/v1/kiosk/presses": { "post": operation(
                "submitKioskPress",
                "Submit one kiosk button press; the catalog supplies facility, stage, touchpoint and questionnaire",
                json!({ "application/json": { "schema": press } }),
                ("202", accepted()),
            ) },
            "/v1/openapi.json": { "get": {
                "summary": "This document",
                "responses": { "200": { "description": "the OpenAPI document", "content": { "application/json": { "schema": { "type": "object" } } } } }
            } },
            "/livez": health("The process is up", false),
            "/readyz": health("The broker answers and the feedback topic exists", true),
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas,
        }
    })
}
