//! NDJSON input of `carepulse report`: each line is one of
//!
//! - a feedback event, as published to Kafka (`carepulse validate
//!   --print-events`, a topic dump): used as it is;
//! - a line of the simulator's file target (`{"at", "kind", "endpoint",
//!   "body", ...}`): the body goes through the ingest service's steps, as
//!   of the line's send time `at`: decoded (a kiosk press through its
//!   device), validated, pseudonymised, and flagged `suspect` when it
//!   repeats a press within the repeat interval;
//! - a submission (`carepulse validate` input): validated as of the time it
//!   was answered, so that years-old exports pass the age rule.
//!
//! Deliberately invalid simulator items (`kind: bad`) are refused like any
//! malformed line.

use carepulse_model::{
    decode_press, decode_submission, validate, Catalog, FeedbackEvent, Limits, Problems,
    Pseudonymiser, RepeatPresses, Submission, ValidationContext,
};
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;

/// Turns NDJSON lines into feedback events.
pub struct LineDecoder<'a> {
    catalog: &'a Catalog,
    limits: &'a Limits,
    pseudonymiser: &'a Pseudonymiser,
    repeats: RepeatPresses,
}

fn problems(p: &Problems) -> String {
    p.iter()
        .map(|p| {
            if p.field.is_empty() {
                p.reason.clone()
            } else {
                format!("{}: {}", p.field, p.reason)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl<'a> LineDecoder<'a> {
    /// A decoder validating against `catalog`; kiosk presses closer than
    /// `repeat_interval` on one device are flagged as repeats.
    pub fn new(
        catalog: &'a Catalog,
        limits: &'a Limits,
        pseudonymiser: &'a Pseudonymiser,
        repeat_interval: chrono::TimeDelta,
    ) -> LineDecoder<'a> {
        LineDecoder {
            catalog,
            limits,
            pseudonymiser,
            repeats: RepeatPresses::new(repeat_interval),
        }
    }

    /// The event a line stands for, or why there is none.
    pub fn decode(&mut self, line: &str) -> Result<FeedbackEvent, String> {
        let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
        let has = |key: &str| value.get(key).is_some();
        if has("kind") && has("body") {
            self.simulator_line(&value)
        } else if has("v") && has("received_at") {
            serde_json::from_value(value).map_err(|e| format!("not a feedback event v1: {e}"))
        } else if has("answers") {
            let submission = decode_submission(line.as_bytes()).map_err(|p| problems(&p))?;
            let at = submission.responded_at.unwrap_or(submission.occurred_at);
            self.accept(submission, at.with_timezone(&Utc))
        } else {
            Err("neither a feedback event, a submission nor a line of `carepulse simulate --target file:`".into())
        }
    }

    fn simulator_line(&mut self, value: &Value) -> Result<FeedbackEvent, String> {
        let at: DateTime<FixedOffset> = value["at"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .ok_or("at: missing or not an RFC 3339 time")?;
        let body = value["body"].to_string();
        let submission = match value["endpoint"].as_str() {
            Some("/v1/kiosk/presses") => decode_press(body.as_bytes())
                .and_then(|p| p.into_submission(self.catalog, at))
                .map_err(|p| problems(&p))?,
            Some("/v1/feedback") => decode_submission(body.as_bytes()).map_err(|p| problems(&p))?,
            other => {
                return Err(format!(
                    "endpoint: {other:?} is neither /v1/feedback nor /v1/kiosk/presses"
                ))
            }
        };
        let mut event = self.accept(submission, at.with_timezone(&Utc))?;
        self.repeats.flag(&mut event);
        Ok(event)
    }

    fn accept(&self, submission: Submission, now: DateTime<Utc>) -> Result<FeedbackEvent, String> {
        let ctx = ValidationContext {
            catalog: self.catalog,
            now,
            limits: self.limits,
        };
        let valid = validate(submission, &ctx).map_err(|p| problems(&p))?;
        Ok(valid.into_event(self.pseudonymiser, now))
    }
}
