//! One visit: a journey instance walking its stages, and the feedback its
//! visitor gives at the touchpoints on the way (a kiosk press at once, a
//! tablet before leaving, an SMS or e-mail answer hours or days later, or
//! nothing at all).

use carepulse_model::{AnswerValue, Channel, Scale};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use rand::seq::IndexedRandom;
use rand::Rng;

use crate::comments::{comment, Language};
use crate::item::{Endpoint, Item, ItemKind};
use crate::latent::Sheet;
use crate::scenario::{Opening, TouchpointPlan};
use crate::stream::Stream;
use crate::wire::{local_time, to_json, WireAnswer, WireAnswers, WirePress, WireSubmission};

/// Who is on the journey.
struct Visitor {
    journey_ref: String,
    subject_ref: String,
    role: &'static str,
    locale: String,
}

/// A weighted choice; weights are positive (checked with the scenario).
pub(crate) fn pick<'a, T>(rng: &mut impl Rng, choices: &'a [(T, f64)]) -> &'a T {
    let total: f64 = choices.iter().map(|c| c.1).sum();
    let mut x = rng.random::<f64>() * total;
    for (choice, weight) in choices {
        if x < *weight {
            return choice;
        }
        x -= weight;
    }
    &choices.last().expect("choices are not empty").0
}

/// `at` when the stage is open then, or else a random time within its
/// next opening.
fn when_open(rng: &mut impl Rng, at: DateTime<Utc>, opening: Opening, tz: Tz) -> DateTime<Utc> {
    let (open, close) = opening.hours;
    let is_open = |day: NaiveDate| opening.days[day.weekday().num_days_from_monday() as usize];
    let local = at.with_timezone(&tz);
    let mut day = local.date_naive();
    if is_open(day) && (open..close).contains(&local.hour()) {
        return at;
    }
    if !(is_open(day) && local.hour() < open) {
        day = day.succ_opt().unwrap_or(day);
        for _ in 0..7 {
            if is_open(day) {
                break;
            }
            day = day.succ_opt().unwrap_or(day);
        }
    }
    let opening_time =
        day.and_time(NaiveTime::from_hms_opt(open, 0, 0).expect("hours are checked"));
    let seconds = rng.random_range(0..(close - open) * 3600);
    let naive = opening_time + TimeDelta::seconds(i64::from(seconds));
    tz.from_local_datetime(&naive)
        .earliest()
        .map_or(at + TimeDelta::hours(1), |t| t.with_timezone(&Utc))
}

impl Stream<'_> {
    /// A visit of journey `j` starting at `start`.
    pub(crate) fn visit(&mut self, j: usize, start: DateTime<Utc>) {
        let s = self.scenario;
        let journey = &s.journeys[j];
        let people = &s.respondents;
        let role = *pick(&mut self.rng, &people.roles);
        let visitor = Visitor {
            journey_ref: format!(
                "{}-{:09}",
                journey.id.to_uppercase(),
                self.rng.random_range(0..1_000_000_000u32)
            ),
            subject_ref: format!("MRN-{:08}", self.rng.random_range(0..people.patients)),
            role,
            locale: pick(&mut self.rng, &people.locales).clone(),
        };
        let mut at = start;
        for (k, stage) in journey.stages.iter().enumerate() {
            if k > 0 {
                at += self.between(stage.after.0, stage.after.1);
                if let Some(opening) = stage.opening {
                    at = when_open(&mut self.rng, at, opening, journey.tz);
                }
            }
            if self.rng.random::<f64>() >= stage.share {
                continue;
            }
            for t in &stage.touchpoints {
                self.feedback(&s.touchpoints[*t], &visitor, at);
            }
        }
    }

    /// The feedback (or none) of `visitor` at touchpoint `t`.
    fn feedback(&mut self, t: &TouchpointPlan, visitor: &Visitor, occurred: DateTime<Utc>) {
        let s = self.scenario;
        if self.rng.random::<f64>() >= t.asked {
            return;
        }
        let channel = *pick(&mut self.rng, &t.channels);
        let plan = s.channel(channel);
        if self.rng.random::<f64>() >= plan.answer_rate {
            return;
        }
        let (low, high) = plan.delay;
        let delay = if high <= TimeDelta::zero() {
            TimeDelta::zero()
        } else {
            // Log-uniform: many answers come soon, a long tail comes late.
            let low = low.max(TimeDelta::seconds(1)).num_milliseconds() as f64;
            let high = high.num_milliseconds() as f64;
            let x = self.rng.random::<f64>();
            TimeDelta::milliseconds((low * (high / low).powf(x)) as i64)
        };
        let responded = occurred + delay;
        if responded < self.run.start || responded >= self.run.end() {
            return;
        }
        let (incident, drop) = self.stage_drop(t, occurred);
        let sheet = s.models[t.model].draw(&mut self.rng, t.mean, drop);
        let id = self.next_id();
        if channel == Channel::Kiosk && !t.devices.is_empty() {
            let device = t
                .devices
                .choose(&mut self.rng)
                .expect("devices are not empty")
                .clone();
            if self.silent(&device, responded) {
                return;
            }
            let press = Press {
                device: &device,
                facility: &t.facility,
                tz: t.tz,
                id: &id,
                button: &sheet.overall,
            };
            self.press(press, responded, ItemKind::KioskPress, incident);
            return;
        }
        let attended = channel != Channel::Kiosk;
        let references = attended && self.rng.random::<f64>() < s.respondents.references;
        let comment = self.comment(
            attended,
            &sheet,
            &visitor.locale,
            s.models[t.model].overall_scale,
        );
        let consent = attended.then(|| self.rng.random::<f64>() < s.respondents.consent_to_contact);
        let questions: Vec<WireAnswer<'_>> = sheet
            .items
            .iter()
            .map(|(q, v)| WireAnswer {
                question: q,
                value: v.clone(),
            })
            .collect();
        let body = WireSubmission {
            event_id: &id,
            occurred_at: local_time(occurred, t.tz),
            responded_at: (delay > TimeDelta::zero()).then(|| local_time(responded, t.tz)),
            facility: &t.facility,
            journey: t.name_stage.then_some(t.journey.as_str()),
            stage: t.name_stage.then_some(t.stage.as_str()),
            touchpoint: &t.id,
            channel: channel.as_str(),
            source_id: &plan.source,
            respondent_role: attended.then_some(visitor.role),
            subject_ref: references.then(|| visitor.subject_ref.clone()),
            journey_instance_ref: references.then(|| visitor.journey_ref.clone()),
            answers: WireAnswers {
                overall: WireAnswer {
                    question: &s.models[t.model].overall_id,
                    value: sheet.overall.clone(),
                },
                items: questions,
            },
            comment,
            locale: attended.then_some(visitor.locale.as_str()),
            consent_to_contact: consent,
        };
        let item = Item {
            at: responded,
            kind: ItemKind::Submission,
            endpoint: Endpoint::Feedback,
            facility: t.facility.clone(),
            channel,
            event_id: Some(id.clone()),
            incident,
            body: to_json(&body),
        };
        self.duplicate(&item);
        self.push(item);
    }

    fn comment(
        &mut self,
        attended: bool,
        sheet: &Sheet,
        locale: &str,
        scale: Scale,
    ) -> Option<String> {
        let plan = &self.scenario.comments;
        if !attended || self.rng.random::<f64>() >= plan.share {
            return None;
        }
        let polarity = scale.parse(&sheet.overall).map(|r| r.polarity()).ok()?;
        let with_identifier = self.rng.random::<f64>() < plan.identifiers;
        let language = Language::of(locale).unwrap_or(Language::English);
        Some(comment(&mut self.rng, language, polarity, with_identifier))
    }

    /// Queues a kiosk press (and its duplicates).
    pub(crate) fn press(
        &mut self,
        p: Press<'_>,
        at: DateTime<Utc>,
        kind: ItemKind,
        incident: Option<String>,
    ) {
        let body = WirePress {
            device_id: p.device,
            button: p.button,
            pressed_at: local_time(at, p.tz),
            press_id: p.id,
        };
        let item = Item {
            at,
            kind,
            endpoint: Endpoint::KioskPresses,
            facility: p.facility.to_owned(),
            channel: Channel::Kiosk,
            event_id: Some(format!("{}:{}", p.device, p.id)),
            incident,
            body: to_json(&body),
        };
        if kind == ItemKind::KioskPress {
            self.duplicate(&item);
        }
        self.push(item);
    }
}

/// A kiosk press to queue.
pub(crate) struct Press<'a> {
    pub device: &'a str,
    pub facility: &'a str,
    pub tz: Tz,
    pub id: &'a str,
    pub button: &'a AnswerValue,
}
