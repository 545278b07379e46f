//! The feedback event, v1: what clients submit ([`Submission`]) and what
//! carepulse publishes and stores after validation ([`FeedbackEvent`]).
//!
//! A submission names its touchpoint and the answers; the catalog fills in
//! department, journey, stage, organisation, questionnaire, experience type
//! and the scales. A feedback event is complete, pseudonymised and
//! self-describing, so the processor can score it without the catalog.

use chrono::{DateTime, FixedOffset, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::pseudonym::{Pseudonym, RawReference};
use crate::scale::{AnswerValue, Scale};

/// Version of the feedback event format written to the topic and storage.
pub const EVENT_VERSION: u32 = 1;

/// Whether a touchpoint is about receiving care or about everything around
/// it (see docs/domain in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Experience {
    /// Receiving medical care in the moment: exam room, treatment, nursing.
    Patient,
    /// Around the care: scheduling, check-in, parking, billing, portal,
    /// discharge, pharmacy.
    Customer,
}

impl Experience {
    /// Both experience types.
    pub const ALL: [Experience; 2] = [Experience::Patient, Experience::Customer];

    /// The wire name (`patient`, `customer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Experience::Patient => "patient",
            Experience::Customer => "customer",
        }
    }
}

/// How the feedback was collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A kiosk or button terminal on site.
    Kiosk,
    /// The patient portal.
    Portal,
    /// An SMS survey reply.
    Sms,
    /// An e-mail survey reply.
    Email,
    /// An automated telephone survey.
    Ivr,
    /// A mobile app.
    App,
    /// A tablet handed over on site (e.g. at discharge).
    Tablet,
    /// A paper form, typed in later.
    Paper,
    /// Entered by staff on the respondent's behalf.
    StaffEntered,
}

impl Channel {
    /// The channel's name on the wire (`staff_entered`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Kiosk => "kiosk",
            Channel::Portal => "portal",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Ivr => "ivr",
            Channel::App => "app",
            Channel::Tablet => "tablet",
            Channel::Paper => "paper",
            Channel::StaffEntered => "staff_entered",
        }
    }

    /// Every channel.
    pub const ALL: [Channel; 9] = [
        Channel::Kiosk,
        Channel::Portal,
        Channel::Sms,
        Channel::Email,
        Channel::Ivr,
        Channel::App,
        Channel::Tablet,
        Channel::Paper,
        Channel::StaffEntered,
    ];
}

/// Who answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RespondentRole {
    /// The patient.
    Patient,
    /// A family member or carer.
    FamilyOrCarer,
    /// A visitor.
    Visitor,
    /// Not known (anonymous kiosks): the default.
    Unknown,
}

impl RespondentRole {
    /// Every role.
    pub const ALL: [RespondentRole; 4] = [
        RespondentRole::Patient,
        RespondentRole::FamilyOrCarer,
        RespondentRole::Visitor,
        RespondentRole::Unknown,
    ];

    /// The wire name (`family_or_carer`).
    pub fn as_str(self) -> &'static str {
        match self {
            RespondentRole::Patient => "patient",
            RespondentRole::FamilyOrCarer => "family_or_carer",
            RespondentRole::Visitor => "visitor",
            RespondentRole::Unknown => "unknown",
        }
    }
}

/// Why an accepted event does not count towards scores. Suspect events are
/// kept, visible for audit, and excluded from every score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Suspicion {
    /// A kiosk button pressed again within the repeat interval of the same
    /// device's previous press (the "child pressing 40 times" problem).
    RepeatPress,
}

/// One answer as submitted.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Question id from the questionnaire in the catalog.
    pub question: String,
    /// The scale; optional, since the catalog declares it. When present it
    /// must match the catalog.
    #[serde(default)]
    pub scale: Option<Scale>,
    /// The answer: a number on numeric scales, a label on labelled ones.
    pub value: AnswerValue,
}

/// The answers to one questionnaire.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// The overall question ("how was your visit?").
    pub overall: Answer,
    /// Item questions (wait time, courtesy, clarity, ...), each at most once.
    #[serde(default)]
    pub items: Vec<Answer>,
}

/// Touchpoint feedback as a kiosk, portal or survey gateway submits it
/// (format v1). Deserialise with [`crate::decode_submission`] to get every
/// problem at once.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "carepulse feedback submission v1")]
pub struct Submission {
    /// Idempotency id chosen by the client (1-128 characters of A-Z, a-z,
    /// 0-9, '.', '_', ':', '-'). A resubmission with the same id is counted
    /// once. Generated by carepulse when absent.
    #[serde(default)]
    pub event_id: Option<String>,
    /// When the touchpoint happened (RFC 3339 with offset). Windows follow
    /// this time.
    pub occurred_at: DateTime<FixedOffset>,
    /// When the answer was given (RFC 3339 with offset); SMS and e-mail
    /// replies come hours or days after the touchpoint. Defaults to
    /// `occurred_at`.
    #[serde(default)]
    pub responded_at: Option<DateTime<FixedOffset>>,
    /// Facility id from the catalog.
    pub facility: String,
    /// Organisation id; derived from the facility when absent.
    #[serde(default)]
    pub organisation: Option<String>,
    /// Department id; derived from the touchpoint when absent.
    #[serde(default)]
    pub department: Option<String>,
    /// Journey id; derived from the touchpoint when it belongs to one journey.
    #[serde(default)]
    pub journey: Option<String>,
    /// Stage id within the journey; derived from the touchpoint when it
    /// belongs to one stage of the journey.
    #[serde(default)]
    pub stage: Option<String>,
    /// Touchpoint id from the catalog.
    pub touchpoint: String,
    /// Overrides the touchpoint's experience type from the catalog.
    #[serde(default)]
    pub experience: Option<Experience>,
    /// How the feedback was collected.
    pub channel: Channel,
    /// The device or integration that sent it (kiosk id, gateway name).
    #[serde(default)]
    pub source_id: Option<String>,
    /// Who answered; `unknown` when absent.
    #[serde(default)]
    pub respondent_role: Option<RespondentRole>,
    /// The respondent's identifier (e.g. medical record number). Never
    /// stored: replaced by a keyed hash at ingest.
    #[serde(default)]
    pub subject_ref: Option<RawReference>,
    /// The visit, admission or prescription this feedback belongs to. Never
    /// stored: replaced by a keyed hash at ingest.
    #[serde(default)]
    pub journey_instance_ref: Option<RawReference>,
    /// Questionnaire id; derived from the touchpoint when absent.
    #[serde(default)]
    pub questionnaire: Option<String>,
    /// The answers.
    pub answers: Answers,
    /// Free-text comment; names, phone numbers, e-mail addresses and record
    /// numbers are redacted before storage.
    #[serde(default)]
    pub comment: Option<String>,
    /// BCP 47 language tag of the questionnaire and comment (`en-GB`, `nl`).
    #[serde(default)]
    pub locale: Option<String>,
    /// The respondent agreed to be contacted about this feedback.
    #[serde(default)]
    pub consent_to_contact: Option<bool>,
}

/// An answer in a feedback event: complete with its scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventAnswer {
    /// Question id.
    pub question: String,
    /// The scale the answer is on.
    pub scale: Scale,
    /// The answer, valid on `scale`.
    pub value: AnswerValue,
}

/// A validated, enriched and pseudonymised feedback event (format v1): what
/// carepulse publishes to Kafka and stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "carepulse feedback event v1")]
pub struct FeedbackEvent {
    /// Format version, always 1.
    pub v: u32,
    /// Idempotency id (client-supplied or generated).
    pub event_id: String,
    /// When the touchpoint happened.
    pub occurred_at: DateTime<FixedOffset>,
    /// When the answer was given.
    pub responded_at: DateTime<FixedOffset>,
    /// When carepulse accepted it.
    pub received_at: DateTime<Utc>,
    /// Organisation id.
    pub organisation: String,
    /// Facility id.
    pub facility: String,
    /// Department id.
    pub department: String,
    /// Journey id.
    pub journey: String,
    /// Stage id within the journey.
    pub stage: String,
    /// Touchpoint id.
    pub touchpoint: String,
    /// Patient or customer experience.
    pub experience: Experience,
    /// Collection channel.
    pub channel: Channel,
    /// Device or integration id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// Who answered.
    pub respondent_role: RespondentRole,
    /// Pseudonymised respondent reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Pseudonym>,
    /// Pseudonymised journey-instance reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey_instance: Option<Pseudonym>,
    /// Questionnaire id.
    pub questionnaire: String,
    /// Answer to the overall question.
    pub overall: EventAnswer,
    /// Answers to item questions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<EventAnswer>,
    /// Free-text comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Consent to be contacted.
    pub consent_to_contact: bool,
    /// Set when the event is kept for audit but must not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspect: Option<Suspicion>,
}
