//! JSON bodies as kiosks and gateways send them. The model's `Submission`
//! deliberately cannot be serialised (its raw references must never be
//! written by accident), so the simulator mirrors the published format
//! (schema/feedback-submission.v1.schema.json) in its own private structs.
//! Times carry the facility's local offset, as real senders' do.

use carepulse_model::AnswerValue;
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{json, Value};

use crate::item::Endpoint;

/// RFC 3339 with the local offset of `tz`: `2026-11-20T14:03:12+00:00`.
pub(crate) fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// One answer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WireAnswer<'a> {
    pub question: &'a str,
    pub value: AnswerValue,
}

/// The answers of a submission.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WireAnswers<'a> {
    pub overall: WireAnswer<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<WireAnswer<'a>>,
}

/// A feedback submission (format v1).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WireSubmission<'a> {
    pub event_id: &'a str,
    pub occurred_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responded_at: Option<String>,
    pub facility: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journey: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<&'a str>,
    pub touchpoint: &'a str,
    pub channel: &'a str,
    pub source_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub respondent_role: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journey_instance_ref: Option<String>,
    pub answers: WireAnswers<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_to_contact: Option<bool>,
}

/// A kiosk button press (`carepulse_model::KioskPress`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WirePress<'a> {
    pub device_id: &'a str,
    pub button: &'a AnswerValue,
    pub pressed_at: String,
    pub press_id: &'a str,
}

/// Compact JSON of a body.
pub(crate) fn to_json(body: &impl Serialize) -> String {
    serde_json::to_string(body).expect("generated bodies serialise")
}

/// Turns a valid submission into one of the ways senders get it wrong; the
/// result must be refused by validation.
pub(crate) fn spoil(rng: &mut ChaCha8Rng, mut body: Value, at: DateTime<Utc>) -> (Value, Endpoint) {
    let object = body.as_object_mut().expect("submissions are objects");
    match rng.random_range(0..9) {
        0 => {
            object.insert("touchpoint".into(), json!("x-ray-vending-machine"));
        }
        1 => {
            object["answers"]["overall"]["value"] = json!("ecstatic");
        }
        2 => {
            object.remove("occurred_at");
        }
        3 => {
            object.insert("colour".into(), json!("blue"));
        }
        4 => {
            // A device whose clock battery went flat: far older than any
            // service accepts (400 days), whatever the wall clock says.
            let stale = at - chrono::TimeDelta::days(500);
            object.remove("responded_at");
            object.insert("occurred_at".into(), json!(stale.to_rfc3339()));
        }
        5 => {
            object.insert("channel".into(), json!("carrier_pigeon"));
        }
        6 => {
            object.insert("locale".into(), json!("English"));
        }
        7 => {
            object.insert("event_id".into(), json!("not a valid id!"));
        }
        _ => {
            let press = json!({
                "device_id": "kiosk-in-the-car-park",
                "button": "happy",
                "pressed_at": at.to_rfc3339_opts(SecondsFormat::Secs, false),
                "press_id": object.get("event_id").cloned().unwrap_or(Value::Null),
            });
            return (press, Endpoint::KioskPresses);
        }
    }
    (body, Endpoint::Feedback)
}
