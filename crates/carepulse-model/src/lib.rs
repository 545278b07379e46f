//! carepulse's domain model: the feedback event (v1), answer scales and the
//! standard scores, validation with field-level problems, pseudonymised
//! references and the hospital catalog. Pure: no IO, no async runtime.
//!
//! The path of one submission:
//!
//! ```
//! use carepulse_model::{decode_submission, validate, Catalog, Limits, Pseudonymiser, ValidationContext};
//!
//! let catalog = Catalog::from_toml(include_str!("../../../deploy/catalog/general-hospital.toml")).unwrap();
//! let body = br#"{
//!     "event_id": "kiosk-ed-01:000123",
//!     "occurred_at": "2026-11-21T09:15:00+00:00",
//!     "facility": "stmarys-general",
//!     "touchpoint": "ed-waiting-kiosk",
//!     "channel": "kiosk",
//!     "answers": { "overall": { "question": "overall", "value": "happy" } }
//! }"#;
//! let submission = decode_submission(body).unwrap();
//! let now = "2026-11-21T09:16:00Z".parse().unwrap();
//! let limits = Limits::default();
//! let ctx = ValidationContext { catalog: &catalog, now, limits: &limits };
//! let valid = validate(submission, &ctx).unwrap();
//! let pseudonymiser = Pseudonymiser::new("k1", &[7u8; 32]).unwrap();
//! let event = valid.into_event(&pseudonymiser, now);
//! assert_eq!(event.department, "ed");
//! assert_eq!(event.journey, "ed-visit");
//! ```

pub mod catalog;
mod decode;
pub mod event;
mod kiosk;
mod problem;
pub mod pseudonym;
mod redact;
mod rfc3339;
pub mod scale;
mod scan;
pub mod score;
mod validate;
mod view;

pub use catalog::{Catalog, CatalogError, CatalogProblem};
pub use decode::{decode_answer, decode_submission, SUBMISSION_FIELDS};
pub use event::{
    Answer, Answers, Channel, EventAnswer, Experience, FeedbackEvent, RespondentRole, Submission,
    Suspicion, EVENT_VERSION,
};
pub use kiosk::{decode_press, KioskPress, RepeatPresses};
pub use problem::{Problem, ProblemCode, Problems};
pub use pseudonym::{KeyError, Pseudonym, Pseudonymiser, RawReference, ReferenceKind};
pub use redact::{redact_comment, Redacted};
pub use scale::{AnswerRef, AnswerValue, NpsCategory, Polarity, Response, Scale, ScaleError};
pub use score::{Nps, Share, Tally};
pub use validate::{validate, Limits, ValidSubmission, ValidationContext};
pub use view::{AnswerView, EventView, ValueView};

/// JSON Schema of [`Submission`], as published in
/// `schema/feedback-submission.v1.schema.json`.
pub fn submission_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Submission)).expect("schemas serialise")
}

/// JSON Schema of [`KioskPress`], as published in
/// `schema/kiosk-press.v1.schema.json`.
pub fn kiosk_press_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(KioskPress)).expect("schemas serialise")
}

/// JSON Schema of [`FeedbackEvent`], as published in
/// `schema/feedback-event.v1.schema.json`.
pub fn event_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(FeedbackEvent)).expect("schemas serialise")
}
