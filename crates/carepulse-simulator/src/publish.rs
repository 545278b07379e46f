//! An item as the ingest service would publish it: decoded (a kiosk press
//! enriched from the catalog), validated, pseudonymised and flagged when it
//! repeats a kiosk press, all at a given time. For targets that bypass the
//! ingest service (Kafka, tests, benchmarks).

use carepulse_model::{
    decode_press, decode_submission, validate, Catalog, FeedbackEvent, Limits, Problems,
    Pseudonymiser, RepeatPresses, ValidationContext,
};
use chrono::{DateTime, TimeDelta, Utc};

use crate::{Endpoint, Item};

/// Turns items into published feedback events.
#[derive(Debug)]
pub struct Publisher {
    catalog: Catalog,
    limits: Limits,
    pseudonymiser: Pseudonymiser,
    repeats: RepeatPresses,
}

impl Publisher {
    /// Repeat presses within `repeat_interval` of the same device are flagged.
    pub fn new(
        catalog: Catalog,
        limits: Limits,
        pseudonymiser: Pseudonymiser,
        repeat_interval: TimeDelta,
    ) -> Self {
        Publisher {
            catalog,
            limits,
            pseudonymiser,
            repeats: RepeatPresses::new(repeat_interval),
        }
    }

    /// The event ingest would publish for `item` if it received it at `now`,
    /// or every problem with it.
    pub fn event(&mut self, item: &Item, now: DateTime<Utc>) -> Result<FeedbackEvent, Problems> {
        let submission = match item.endpoint {
            Endpoint::Feedback => decode_submission(item.body.as_bytes())?,
            Endpoint::KioskPresses => decode_press(item.body.as_bytes())?
                .into_submission(&self.catalog, now.fixed_offset())?,
        };
        let ctx = ValidationContext {
            catalog: &self.catalog,
            now,
            limits: &self.limits,
        };
        let mut event = validate(submission, &ctx)?.into_event(&self.pseudonymiser, now);
        self.repeats.flag(&mut event);
        Ok(event)
    }
}
