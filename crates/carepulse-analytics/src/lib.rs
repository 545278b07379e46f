//! carepulse's analytics engine: know what to fix, not only that a score is
//! low. Pure: no IO, no async runtime, no clock; the processor and
//! `carepulse report` feed it events and store or print what it returns.
//!
//! - **Key driver analysis** ([`drivers`]): the relative importance of each
//!   questionnaire item for the overall score, as the exact Shapley
//!   decomposition of R² (LMG, general dominance) up to 15 items and
//!   Johnson's relative weights beyond, with R², n, the F test, each
//!   driver's share of R², its performance (mean 0-100), bootstrap
//!   intervals and an importance-performance quadrant; "not reliable"
//!   below a minimum number of complete responses.
//! - **Question quality** ([`quality`]): Cronbach's alpha, corrected
//!   item-total correlations, alpha if deleted, non-response, ceiling and
//!   floor.
//! - **Journeys** ([`journeys`]): stages in order with score and n, the
//!   weakest stage, and how a bad stage goes with the rest of the visit.
//! - **Scores** ([`scores`]): n, linear mean, top box, NPS, CSAT, FFT.
//!
//! One pass over the responses builds sums and cross-products (and a
//! bounded random sample for the bootstrap); everything after works on
//! p×p matrices, so a million responses cost one pass plus milliseconds.
//!
//! ```
//! use carepulse_analytics::{DriverAnalysis, ReportBuilder, ReportSettings};
//! use carepulse_model::{Catalog, FeedbackEvent};
//!
//! let catalog = Catalog::from_toml(include_str!("../../../deploy/catalog/general-hospital.toml")).unwrap();
//! let mut builder = ReportBuilder::new(&catalog, ReportSettings::default());
//! for i in 0..40 {
//!     let event: FeedbackEvent = serde_json::from_value(serde_json::json!({
//!         "v": 1, "event_id": format!("e{i}"),
//!         "occurred_at": "2026-11-20T10:00:00Z", "responded_at": "2026-11-20T10:00:00Z",
//!         "received_at": "2026-11-20T10:00:01Z",
//!         "organisation": "stmarys-trust", "facility": "stmarys-general", "department": "ed",
//!         "journey": "ed-visit", "stage": "treatment", "touchpoint": "ed-treatment-survey",
//!         "experience": "patient", "channel": "sms", "respondent_role": "patient",
//!         "questionnaire": "ed-visit-survey",
//!         "overall": { "question": "overall", "scale": "rating_0_10", "value": i % 11 },
//!         "items": [{ "question": "wait_time", "scale": "csat_1_5", "value": 1 + (i % 11) / 3 }],
//!         "consent_to_contact": false
//!     })).unwrap();
//!     builder.add(&event).unwrap();
//! }
//! let report = builder.finish();
//! assert_eq!(report.input.used, 40);
//! // Only wait_time was answered: the ED survey's other items are missing,
//! // so no response is complete and the drivers are "not reliable".
//! assert!(matches!(report.drivers[0].analysis, DriverAnalysis::NotReliable { .. }));
//! assert_eq!(report.quality[0].quality.items[0].answered, 40);
//! ```

pub mod bootstrap;
mod builder;
pub mod drivers;
pub mod eigen;
mod error;
pub mod importance;
pub mod journeys;
pub mod matrix;
pub mod moments;
pub mod quality;
pub mod relative_weights;
mod report;
pub mod scores;
pub mod shapley;
pub mod special;

pub use bootstrap::Interval;
pub use builder::ReportBuilder;
pub use drivers::{DriverAccumulator, DriverAnalysis, DriverResult, DriverSettings, Quadrant};
pub use error::AnalyticsError;
pub use importance::{decompose, Decomposition, Method};
pub use journeys::JourneyReport;
pub use matrix::Matrix;
pub use moments::CrossProducts;
pub use quality::{cronbach_alpha, QualitySettings, QuestionnaireQuality};
pub use report::{DriverGroup, InputSummary, QualityReport, Report, ReportSettings, Skipped};
pub use scores::{Dimension, ScoreRow};
