//! The ingest pipeline for one event: authorise, decode, validate against
//! the catalog, pseudonymise and redact, flag kiosk repeats, publish and wait
//! for the broker. Handlers in `routes` call these steps.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use carepulse_kafka::{FeedbackProducer, PublishError};
use carepulse_model::{
    decode_press, decode_submission, validate, Catalog, FeedbackEvent, Limits, Pseudonymiser,
    RepeatPresses, Submission, Suspicion, ValidationContext,
};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::auth::{Authenticator, Caller};
use crate::metrics;
use crate::problem::ApiError;
use crate::settings::IngestSettings;
use crate::throttle::RateLimiter;

/// Everything the ingest service needs, built once at start.
pub struct Ingest {
    pub(crate) catalog: Arc<Catalog>,
    limits: Limits,
    pseudonymiser: Pseudonymiser,
    pub(crate) auth: Authenticator,
    token_limits: RateLimiter,
    device_limits: RateLimiter,
    repeats: Mutex<RepeatPresses>,
    pub(crate) producer: FeedbackProducer,
    pub(crate) settings: IngestSettings,
}

/// The answer for an accepted event.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    /// The event's id (the client's, or generated).
    pub event_id: String,
    /// Always `accepted`.
    pub status: &'static str,
    /// Set when the event is kept for audit but does not count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspect: Option<Suspicion>,
}

impl Ingest {
    /// Assembles the service from validated configuration and a producer.
    pub fn new(
        catalog: Arc<Catalog>,
        limits: Limits,
        pseudonymiser: Pseudonymiser,
        settings: IngestSettings,
        producer: FeedbackProducer,
    ) -> Self {
        Ingest {
            auth: Authenticator::new(&settings.tokens),
            token_limits: RateLimiter::new(settings.token_rate_per_sec, settings.token_burst),
            device_limits: RateLimiter::new(
                settings.device_rate_per_min / 60.0,
                settings.device_burst,
            ),
            repeats: Mutex::new(RepeatPresses::new(TimeDelta::seconds(
                settings.kiosk_repeat_interval_secs as i64,
            ))),
            catalog,
            limits,
            pseudonymiser,
            producer,
            settings,
        }
    }

    /// Charges `events` to the caller's token bucket.
    pub(crate) fn charge_token(&self, caller: &Caller, events: usize) -> Result<(), ApiError> {
        self.token_limits
            .take(&caller.name, events as f64, Instant::now())
            .map_err(|wait| {
                ApiError::rate_limited(
                    format!("token '{}' is over its rate limit", caller.name),
                    wait,
                )
            })
    }

    /// A submission body, checked and turned into the event to publish.
    pub(crate) fn prepare(
        &self,
        caller: &Caller,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<FeedbackEvent, ApiError> {
        let submission = decode_submission(body).map_err(ApiError::invalid)?;
        self.finish(caller, submission, now)
    }

    /// A kiosk press body, checked and turned into the event to publish.
    pub(crate) fn prepare_press(
        &self,
        caller: &Caller,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<FeedbackEvent, ApiError> {
        let press = decode_press(body).map_err(ApiError::invalid)?;
        caller.check_device(&press.device_id)?;
        if self.catalog.device(&press.device_id).is_some() {
            self.device_limits
                .take(&press.device_id, 1.0, Instant::now())
                .map_err(|wait| {
                    ApiError::rate_limited(
                        format!("device '{}' sends presses too fast", press.device_id),
                        wait,
                    )
                })?;
        }
        let submission = press
            .into_submission(&self.catalog, now.fixed_offset())
            .map_err(ApiError::invalid)?;
        self.finish(caller, submission, now)
    }

    fn finish(
        &self,
        caller: &Caller,
        submission: Submission,
        now: DateTime<Utc>,
    ) -> Result<FeedbackEvent, ApiError> {
        caller.check_scope(&submission.facility, submission.channel)?;
        let ctx = ValidationContext {
            catalog: &self.catalog,
            now,
            limits: &self.limits,
        };
        let valid = validate(submission, &ctx).map_err(ApiError::invalid)?;
        let mut event = valid.into_event(&self.pseudonymiser, now);
        let mut repeats = self.repeats.lock().unwrap_or_else(|e| e.into_inner());
        repeats.flag(&mut event);
        let (remembered, forgotten) = repeats.devices();
        drop(repeats);
        ::metrics::gauge!(metrics::KIOSK_DEVICES).set(remembered as f64);
        ::metrics::counter!(metrics::KIOSK_DEVICES_FORGOTTEN).absolute(forgotten);
        Ok(event)
    }

    /// Publishes and waits for the broker's acknowledgement.
    pub(crate) async fn publish(&self, event: FeedbackEvent) -> Result<Accepted, ApiError> {
        let started = Instant::now();
        let result = self.producer.publish(&event).await;
        match result {
            Ok(_) => {
                ::metrics::histogram!(metrics::PUBLISH_SECONDS)
                    .record(started.elapsed().as_secs_f64());
                let reason = if event.suspect.is_some() {
                    "repeat_press"
                } else {
                    "ok"
                };
                metrics::event("accepted", reason);
                Ok(Accepted {
                    event_id: event.event_id,
                    status: "accepted",
                    suspect: event.suspect,
                })
            }
            Err(e) => {
                let reason = match e {
                    PublishError::QueueFull => "queue_full",
                    PublishError::NotAcknowledged(_) => "not_acknowledged",
                    PublishError::Encode(_) => "encode",
                };
                metrics::event("unavailable", reason);
                tracing::warn!(error = %e, event_id = %event.event_id, "event not published");
                Err(ApiError::unavailable(
                    format!("the feedback was not stored ({e}); retry with the same event_id"),
                    self.settings.retry_after_secs,
                ))
            }
        }
    }
}
