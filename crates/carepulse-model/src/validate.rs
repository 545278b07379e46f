//! Checking a decoded [`Submission`] against the catalog, the clock and the
//! limits, and turning it into a [`FeedbackEvent`].
//!
//! Validation reports every problem at once. Fields the client may omit
//! (department, journey, stage, organisation, questionnaire, experience,
//! scales) are derived from the catalog; fields it does send must agree with
//! the catalog.

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};

use crate::catalog::{Catalog, StageRef, Touchpoint};
use crate::event::{
    Answer, Channel, EventAnswer, Experience, FeedbackEvent, RespondentRole, Submission,
    EVENT_VERSION,
};
use crate::problem::{ProblemCode, Problems};
use crate::pseudonym::{Pseudonymiser, RawReference, ReferenceKind, MAX_REFERENCE_LEN};
use crate::redact::redact_comment;
use crate::scale::Scale;

/// Limits a submission must respect.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// How far in the future a time may be (sender clocks drift).
    pub max_future_skew: TimeDelta,
    /// How old a touchpoint may be when its feedback arrives.
    pub max_event_age: TimeDelta,
    /// How long after the touchpoint an answer may be given.
    pub max_response_delay: TimeDelta,
    /// Longest comment, in characters.
    pub max_comment_chars: usize,
    /// Most item answers in one submission.
    pub max_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_future_skew: TimeDelta::minutes(5),
            max_event_age: TimeDelta::days(400),
            max_response_delay: TimeDelta::days(90),
            max_comment_chars: 4000,
            max_items: 50,
        }
    }
}

/// What validation checks against.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// The hospital catalog.
    pub catalog: &'a Catalog,
    /// The current time.
    pub now: DateTime<Utc>,
    /// The limits.
    pub limits: &'a Limits,
}

/// A submission that passed validation, with everything derived from the
/// catalog; raw references are still raw until [`Self::into_event`].
#[derive(Debug, Clone)]
pub struct ValidSubmission {
    event_id: Option<String>,
    occurred_at: DateTime<FixedOffset>,
    responded_at: DateTime<FixedOffset>,
    organisation: String,
    facility: String,
    department: String,
    stage: StageRef,
    touchpoint: String,
    experience: Experience,
    channel: Channel,
    source_id: Option<String>,
    respondent_role: RespondentRole,
    subject_ref: Option<RawReference>,
    journey_instance_ref: Option<RawReference>,
    questionnaire: String,
    overall: EventAnswer,
    items: Vec<EventAnswer>,
    comment: Option<String>,
    locale: Option<String>,
    consent_to_contact: bool,
}

impl ValidSubmission {
    /// The event to publish: references pseudonymised, identifiers in the
    /// comment redacted, an id generated when the client sent none.
    pub fn into_event(
        self,
        pseudonymiser: &Pseudonymiser,
        received_at: DateTime<Utc>,
    ) -> FeedbackEvent {
        let pseudonymise =
            |kind, raw: Option<RawReference>| raw.map(|r| pseudonymiser.pseudonymise(kind, &r));
        FeedbackEvent {
            v: EVENT_VERSION,
            event_id: self.event_id.unwrap_or_else(|| generated_id(received_at)),
            occurred_at: self.occurred_at,
            responded_at: self.responded_at,
            received_at,
            organisation: self.organisation,
            facility: self.facility,
            department: self.department,
            journey: self.stage.journey,
            stage: self.stage.stage,
            touchpoint: self.touchpoint,
            experience: self.experience,
            channel: self.channel,
            source_id: self.source_id,
            respondent_role: self.respondent_role,
            subject: pseudonymise(ReferenceKind::Subject, self.subject_ref),
            journey_instance: pseudonymise(
                ReferenceKind::JourneyInstance,
                self.journey_instance_ref,
            ),
            questionnaire: self.questionnaire,
            overall: self.overall,
            items: self.items,
            comment: self.comment.map(|c| redact_comment(&c).text),
            locale: self.locale,
            consent_to_contact: self.consent_to_contact,
            suspect: None,
        }
    }

    /// The client's idempotency id, if it sent one.
    pub fn event_id(&self) -> Option<&str> {
        self.event_id.as_deref()
    }

    /// Facility id (for authorisation checks).
    pub fn facility(&self) -> &str {
        &self.facility
    }

    /// Collection channel (for authorisation checks).
    pub fn channel(&self) -> Channel {
        self.channel
    }
}

/// A UUID v7 whose time is `received_at` (not the clock), for events the
/// client sent without an id.
fn generated_id(received_at: DateTime<Utc>) -> String {
    let ts = uuid::Timestamp::from_unix(
        uuid::NoContext,
        received_at.timestamp().max(0) as u64,
        received_at.timestamp_subsec_nanos(),
    );
    uuid::Uuid::new_v7(ts).to_string()
}

/// Whether a client id (event id, source id) is safe to use as a key.
fn is_client_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// A BCP 47 language tag in its common shape: `nl`, `en-GB`, `zh-Hant-TW`.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

struct Check<'a> {
    ctx: ValidationContext<'a>,
    problems: Problems,
}

impl<'a> Check<'a> {
    fn push(&mut self, field: impl Into<String>, code: ProblemCode, reason: impl Into<String>) {
        self.problems.push(field, code, reason);
    }

    fn time(&mut self, field: &str, t: DateTime<FixedOffset>) {
        let now = self.ctx.now;
        let limits = self.ctx.limits;
        if t > now + limits.max_future_skew {
            self.push(
                field,
                ProblemCode::TimeOutOfRange,
                format!(
                    "{t} is in the future (now {now}, tolerance {} s): check the sender's clock",
                    limits.max_future_skew.num_seconds()
                ),
            );
        } else if t < now - limits.max_event_age {
            self.push(
                field,
                ProblemCode::TimeOutOfRange,
                format!("{t} is older than {} days", limits.max_event_age.num_days()),
            );
        }
    }

    fn reference(&mut self, field: &str, raw: &Option<RawReference>) {
        if let Some(raw) = raw {
            if raw.is_empty() || raw.len() > MAX_REFERENCE_LEN {
                self.push(
                    field,
                    ProblemCode::BadValue,
                    format!("must be 1 to {MAX_REFERENCE_LEN} bytes and not blank"),
                );
            }
        }
    }

    /// Resolves the stage from the touchpoint and the optional journey and
    /// stage the client sent.
    fn stage(&mut self, s: &Submission, t: &Touchpoint) -> Option<StageRef> {
        let catalog = self.ctx.catalog;
        if let Some(journey) = &s.journey {
            if catalog.journey(journey).is_none() {
                self.push(
                    "journey",
                    ProblemCode::UnknownReference,
                    format!("unknown journey '{journey}'"),
                );
                return None;
            }
        }
        let candidates: Vec<&StageRef> = t
            .stages
            .iter()
            .filter(|r| s.journey.as_ref().is_none_or(|j| *j == r.journey))
            .filter(|r| s.stage.as_ref().is_none_or(|st| *st == r.stage))
            .collect();
        let served = || {
            t.stages
                .iter()
                .map(|r| format!("{}/{}", r.journey, r.stage))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match candidates.as_slice() {
            [one] => Some((*one).clone()),
            [] => {
                let field = if s.stage.is_some() {
                    "stage"
                } else {
                    "journey"
                };
                self.push(
                    field,
                    ProblemCode::Inconsistent,
                    format!(
                        "touchpoint '{}' serves {}, not the journey/stage sent",
                        t.id,
                        served()
                    ),
                );
                None
            }
            _ => {
                self.push(
                    "journey",
                    ProblemCode::Missing,
                    format!(
                        "touchpoint '{}' serves several stages ({}): send journey and stage",
                        t.id,
                        served()
                    ),
                );
                None
            }
        }
    }

    fn answer(&mut self, field: &str, answer: &Answer, declared: Scale) -> Option<EventAnswer> {
        if let Some(sent) = answer.scale {
            if sent != declared {
                self.push(
                    format!("{field}.scale"),
                    ProblemCode::Inconsistent,
                    format!(
                        "question '{}' is on the {declared} scale in the catalog, not {sent}",
                        answer.question
                    ),
                );
                return None;
            }
        }
        match declared.parse(&answer.value) {
            Ok(_) => Some(EventAnswer {
                question: answer.question.clone(),
                scale: declared,
                value: answer.value.clone(),
            }),
            Err(e) => {
                self.push(
                    format!("{field}.value"),
                    ProblemCode::OutOfScale,
                    e.to_string(),
                );
                None
            }
        }
    }

    fn answers(
        &mut self,
        s: &Submission,
        questionnaire_id: &str,
    ) -> Option<(EventAnswer, Vec<EventAnswer>)> {
        let questionnaire = self.ctx.catalog.questionnaire(questionnaire_id)?;
        let overall_q = &questionnaire.overall;
        let overall = if s.answers.overall.question == overall_q.id {
            self.answer("answers.overall", &s.answers.overall, overall_q.scale)
        } else {
            self.push(
                "answers.overall.question",
                ProblemCode::Inconsistent,
                format!(
                    "the overall question of questionnaire '{}' is '{}', not '{}'",
                    questionnaire.id, overall_q.id, s.answers.overall.question
                ),
            );
            None
        };
        if s.answers.items.len() > self.ctx.limits.max_items {
            self.push(
                "answers.items",
                ProblemCode::BadValue,
                format!(
                    "{} items sent; at most {}",
                    s.answers.items.len(),
                    self.ctx.limits.max_items
                ),
            );
            return None;
        }
        let mut items = Vec::with_capacity(s.answers.items.len());
        let mut all_ok = true;
        for (i, item) in s.answers.items.iter().enumerate() {
            let field = format!("answers.items[{i}]");
            if s.answers.items[..i]
                .iter()
                .any(|earlier| earlier.question == item.question)
            {
                self.push(
                    format!("{field}.question"),
                    ProblemCode::Inconsistent,
                    format!("question '{}' is answered twice", item.question),
                );
                all_ok = false;
                continue;
            }
            let Some(q) = questionnaire.item(&item.question) else {
                let known: Vec<&str> = questionnaire.items.iter().map(|q| q.id.as_str()).collect();
                self.push(
                    format!("{field}.question"),
                    ProblemCode::UnknownReference,
                    format!(
                        "questionnaire '{}' has no item '{}' (items: {})",
                        questionnaire.id,
                        item.question,
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
                all_ok = false;
                continue;
            };
            match self.answer(&field, item, q.scale) {
                Some(a) => items.push(a),
                None => all_ok = false,
            }
        }
        Some((overall?, items)).filter(|_| all_ok)
    }
}

/// Validates a submission; on success everything is resolved from the
/// catalog.
pub fn validate(s: Submission, ctx: &ValidationContext<'_>) -> Result<ValidSubmission, Problems> {
    let mut c = Check {
        ctx: *ctx,
        problems: Problems::default(),
    };
    let catalog = ctx.catalog;

    if let Some(id) = &s.event_id {
        if !is_client_id(id) {
            c.push(
                "event_id",
                ProblemCode::BadValue,
                "must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'",
            );
        }
    }
    c.time("occurred_at", s.occurred_at);
    let responded_at = s.responded_at.unwrap_or(s.occurred_at);
    if s.responded_at.is_some() {
        c.time("responded_at", responded_at);
        if responded_at < s.occurred_at - ctx.limits.max_future_skew {
            c.push(
                "responded_at",
                ProblemCode::TimeOutOfRange,
                format!(
                    "answer given at {responded_at}, before the touchpoint happened at {}",
                    s.occurred_at
                ),
            );
        } else if responded_at > s.occurred_at + ctx.limits.max_response_delay {
            c.push(
                "responded_at",
                ProblemCode::TimeOutOfRange,
                format!(
                    "answer given more than {} days after the touchpoint",
                    ctx.limits.max_response_delay.num_days()
                ),
            );
        }
    }

    let facility = catalog.facility(&s.facility);
    if facility.is_none() {
        c.push(
            "facility",
            ProblemCode::UnknownReference,
            format!(
                "unknown facility '{}' (known: {})",
                s.facility,
                catalog.known_facilities()
            ),
        );
    }
    let organisation = facility.and_then(|f| catalog.organisation(&f.organisation));
    if let (Some(sent), Some(org)) = (&s.organisation, organisation) {
        if *sent != org.id {
            let code = if catalog.organisation(sent).is_some() {
                ProblemCode::Inconsistent
            } else {
                ProblemCode::UnknownReference
            };
            c.push(
                "organisation",
                code,
                format!(
                    "facility '{}' belongs to organisation '{}', not '{sent}'",
                    s.facility, org.id
                ),
            );
        }
    }

    let touchpoint = catalog.touchpoint(&s.touchpoint);
    if touchpoint.is_none() {
        c.push(
            "touchpoint",
            ProblemCode::UnknownReference,
            format!(
                "unknown touchpoint '{}' (known: {})",
                s.touchpoint,
                catalog.known_touchpoints()
            ),
        );
    }
    let department = touchpoint.and_then(|t| catalog.department(&t.department));
    if let Some(sent) = &s.department {
        if catalog.department(sent).is_none() {
            c.push(
                "department",
                ProblemCode::UnknownReference,
                format!(
                    "unknown department '{sent}' (known: {})",
                    catalog.known_departments()
                ),
            );
        } else if let Some(d) = department.filter(|d| d.id != *sent) {
            c.push(
                "department",
                ProblemCode::Inconsistent,
                format!(
                    "touchpoint '{}' belongs to department '{}', not '{sent}'",
                    s.touchpoint, d.id
                ),
            );
        }
    }
    if let (Some(d), Some(f)) = (department, facility) {
        if d.facility != f.id {
            c.push(
                "facility",
                ProblemCode::Inconsistent,
                format!(
                    "touchpoint '{}' is at facility '{}', not '{}'",
                    s.touchpoint, d.facility, f.id
                ),
            );
        }
    }
    let stage = touchpoint.and_then(|t| c.stage(&s, t));
    if let Some(t) = touchpoint {
        if !t.channels.is_empty() && !t.channels.contains(&s.channel) {
            let allowed: Vec<String> = t.channels.iter().map(|ch| ch.as_str().to_owned()).collect();
            c.push(
                "channel",
                ProblemCode::Inconsistent,
                format!(
                    "touchpoint '{}' accepts feedback only by {}",
                    t.id,
                    allowed.join(", ")
                ),
            );
        }
    }
    if let Some(source) = &s.source_id {
        if !is_client_id(source) {
            c.push(
                "source_id",
                ProblemCode::BadValue,
                "must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'",
            );
        }
    }
    c.reference("subject_ref", &s.subject_ref);
    c.reference("journey_instance_ref", &s.journey_instance_ref);

    let questionnaire = touchpoint.map(|t| t.questionnaire.clone());
    if let (Some(sent), Some(expected)) = (&s.questionnaire, &questionnaire) {
        if sent != expected {
            c.push(
                "questionnaire",
                ProblemCode::Inconsistent,
                format!(
                    "touchpoint '{}' uses questionnaire '{expected}', not '{sent}'",
                    s.touchpoint
                ),
            );
        }
    }
    let answers = questionnaire.as_deref().and_then(|q| c.answers(&s, q));

    let comment = s
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(text) = comment {
        let chars = text.chars().count();
        if chars > ctx.limits.max_comment_chars {
            c.push(
                "comment",
                ProblemCode::BadValue,
                format!(
                    "comment is {chars} characters; at most {}",
                    ctx.limits.max_comment_chars
                ),
            );
        }
    }
    if let Some(locale) = &s.locale {
        if !is_language_tag(locale) {
            c.push(
                "locale",
                ProblemCode::BadValue,
                format!("'{locale}' is not a BCP 47 language tag such as 'en-GB' or 'nl'"),
            );
        }
    }

    let problems = std::mem::take(&mut c.problems);
    let (
        Some(facility),
        Some(organisation),
        Some(touchpoint),
        Some(department),
        Some(stage),
        Some((overall, items)),
    ) = (
        facility,
        organisation,
        touchpoint,
        department,
        stage,
        answers,
    )
    else {
        return Err(problems);
    };
    problems.into_result(ValidSubmission {
        event_id: s.event_id,
        occurred_at: s.occurred_at,
        responded_at,
        organisation: organisation.id.clone(),
        facility: facility.id.clone(),
        department: department.id.clone(),
        stage,
        touchpoint: touchpoint.id.clone(),
        experience: s.experience.unwrap_or(touchpoint.experience),
        channel: s.channel,
        source_id: s.source_id,
        respondent_role: s.respondent_role.unwrap_or(RespondentRole::Unknown),
        subject_ref: s.subject_ref,
        journey_instance_ref: s.journey_instance_ref,
        questionnaire: touchpoint.questionnaire.clone(),
        overall,
        items,
        comment: comment.map(str::to_owned),
        locale: s.locale,
        consent_to_contact: s.consent_to_contact.unwrap_or(false),
    })
}
