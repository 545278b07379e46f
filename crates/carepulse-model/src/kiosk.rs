//! Kiosk button presses: the smallest possible payload a button terminal can
//! send, turned into a full submission from the device's entry in the
//! catalog (facility, department, journey stage, touchpoint, questionnaire);
//! and the repeat-press rule that keeps a mashed button from counting.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, FixedOffset, TimeDelta};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::catalog::Catalog;
use crate::event::{Answer, Answers, Channel, FeedbackEvent, Submission, Suspicion};
use crate::problem::{ProblemCode, Problems};
use crate::scale::AnswerValue;

/// A button press as a kiosk reports it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "carepulse kiosk button press v1")]
pub struct KioskPress {
    /// Device id from the catalog (`kiosk-ed-01`).
    pub device_id: String,
    /// The button pressed: its label on the touchpoint's scale (`happy`), or
    /// its position counted from the most negative button (1 = most
    /// negative). On numeric scales, the value itself.
    pub button: AnswerValue,
    /// When the button was pressed (RFC 3339 with offset); defaults to the
    /// time carepulse received the press. Kiosks that upload after being
    /// offline must send it.
    #[serde(default)]
    pub pressed_at: Option<DateTime<FixedOffset>>,
    /// The device's own id for this press (a counter is fine); makes retries
    /// idempotent. The event id becomes `DEVICE:PRESS_ID`.
    #[serde(default)]
    pub press_id: Option<String>,
}

impl KioskPress {
    /// The submission this press stands for; `received_at` stands in for a
    /// missing `pressed_at`.
    pub fn into_submission(
        self,
        catalog: &Catalog,
        received_at: DateTime<FixedOffset>,
    ) -> Result<Submission, Problems> {
        let mut problems = Problems::default();
        let Some(device) = catalog.device(&self.device_id) else {
            problems.push(
                "device_id",
                ProblemCode::UnknownReference,
                format!(
                    "unknown device '{}': register it under [[devices]] in the catalog",
                    self.device_id
                ),
            );
            return Err(problems);
        };
        let touchpoint = catalog
            .touchpoint(&device.touchpoint)
            .expect("catalog checks device touchpoints");
        let department = catalog
            .department(&touchpoint.department)
            .expect("catalog checks touchpoint departments");
        let questionnaire = catalog
            .questionnaire(&touchpoint.questionnaire)
            .expect("catalog checks touchpoint questionnaires");
        let labels = questionnaire.overall.scale.labels();
        let value = match &self.button {
            AnswerValue::Number(n) if !labels.is_empty() => {
                let position = *n as usize;
                if n.fract() != 0.0 || position < 1 || position > labels.len() {
                    problems.push(
                        "button",
                        ProblemCode::OutOfScale,
                        format!(
                            "button {n} does not exist: this kiosk has buttons 1 to {} ({})",
                            labels.len(),
                            labels.join(", ")
                        ),
                    );
                    return Err(problems);
                }
                AnswerValue::Label(labels[position - 1].to_owned())
            }
            other => other.clone(),
        };
        Ok(Submission {
            event_id: self.press_id.map(|p| format!("{}:{p}", device.id)),
            occurred_at: self.pressed_at.unwrap_or(received_at),
            responded_at: None,
            facility: department.facility.clone(),
            organisation: None,
            department: None,
            journey: Some(device.stage.journey.clone()),
            stage: Some(device.stage.stage.clone()),
            touchpoint: touchpoint.id.clone(),
            experience: None,
            channel: Channel::Kiosk,
            source_id: Some(device.id.clone()),
            respondent_role: None,
            subject_ref: None,
            journey_instance_ref: None,
            questionnaire: None,
            answers: Answers {
                overall: Answer {
                    question: questionnaire.overall.id.clone(),
                    scale: None,
                    value,
                },
                items: Vec::new(),
            },
            comment: None,
            locale: None,
            consent_to_contact: None,
        })
    }
}

/// Parses a kiosk press body; problems are reported like
/// [`crate::decode_submission`]'s.
pub fn decode_press(body: &[u8]) -> Result<KioskPress, Problems> {
    serde_json::from_slice(body).map_err(|e| {
        let mut problems = Problems::default();
        let code = if e.is_syntax() || e.is_eof() {
            ProblemCode::MalformedJson
        } else {
            ProblemCode::WrongType
        };
        problems.push("", code, format!("not a kiosk press: {e}"));
        problems
    })
}

/// How many recent presses per device are remembered to answer a resent
/// press the way the original was answered.
const REMEMBERED_PRESSES: usize = 16;

/// How many devices are remembered by default: far more kiosks than a
/// hospital group has. Events name their device freely (`source_id`), so
/// without a bound a client sending ever new device ids would grow memory
/// without end.
const REMEMBERED_DEVICES: usize = 10_000;

/// One device's recent presses: event id, time, verdict.
#[derive(Debug, Clone, Default)]
struct Device {
    /// When its last press came, as [`RepeatPresses::presses_seen`] then.
    last: u64,
    presses: VecDeque<(String, DateTime<FixedOffset>, bool)>,
}

/// Spots rapid repeat presses on one kiosk (the "child pressing 40 times"
/// problem): a press within the interval of the device's previous press is
/// a repeat. Every press moves the window, so a minute of mashing counts
/// once. A resent press (same event id) gets the verdict the original got.
/// At most 10,000 devices are remembered (see [`RepeatPresses::remembering`]):
/// when that many are, the half whose last press is oldest is forgotten.
#[derive(Debug, Clone)]
pub struct RepeatPresses {
    interval: TimeDelta,
    max_devices: usize,
    /// Presses seen so far, over all devices: orders devices by their
    /// last press.
    presses_seen: u64,
    /// Devices forgotten so far to stay within `max_devices`.
    forgotten: u64,
    recent: HashMap<String, Device>,
}

impl RepeatPresses {
    /// Presses closer than `interval` to the device's previous press repeat it.
    pub fn new(interval: TimeDelta) -> Self {
        RepeatPresses {
            interval,
            max_devices: REMEMBERED_DEVICES,
            presses_seen: 0,
            forgotten: 0,
            recent: HashMap::new(),
        }
    }

    /// The same, remembering at most `devices` devices (at least 2).
    pub fn remembering(mut self, devices: usize) -> Self {
        self.max_devices = devices.max(2);
        self
    }

    /// Whether press `event_id` of `device` at `at` is a repeat.
    pub fn is_repeat(&mut self, device: &str, event_id: &str, at: DateTime<FixedOffset>) -> bool {
        if self.recent.len() >= self.max_devices && !self.recent.contains_key(device) {
            self.forget_older_half();
        }
        self.presses_seen += 1;
        let known = self.recent.entry(device.to_owned()).or_default();
        known.last = self.presses_seen;
        let presses = &mut known.presses;
        if let Some((_, _, verdict)) = presses.iter().find(|(id, _, _)| id == event_id) {
            return *verdict;
        }
        let repeat = presses
            .back()
            .is_some_and(|(_, previous, _)| (at - *previous).abs() < self.interval);
        if presses.len() == REMEMBERED_PRESSES {
            presses.pop_front();
        }
        presses.push_back((event_id.to_owned(), at, repeat));
        repeat
    }

    /// Forgets the devices whose last press is older than the median's.
    fn forget_older_half(&mut self) {
        let mut lasts: Vec<u64> = self.recent.values().map(|d| d.last).collect();
        let middle = lasts.len() / 2;
        let (_, median, _) = lasts.select_nth_unstable(middle);
        let median = *median;
        let before = self.recent.len();
        self.recent.retain(|_, d| d.last >= median);
        self.forgotten += (before - self.recent.len()) as u64;
    }

    /// Devices remembered now, and devices forgotten so far to stay within
    /// the limit (a resent press of a forgotten device is judged afresh).
    pub fn devices(&self) -> (usize, u64) {
        (self.recent.len(), self.forgotten)
    }

    /// Marks `event` suspect when it is a kiosk press repeating its
    /// device's previous press (the ingest service's rule); other events
    /// pass unchanged.
    pub fn flag(&mut self, event: &mut FeedbackEvent) {
        if let (Channel::Kiosk, Some(device)) = (event.channel, &event.source_id) {
            if self.is_repeat(device, &event.event_id, event.occurred_at) {
                event.suspect = Some(Suspicion::RepeatPress);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::from_toml(include_str!(
            "../../../deploy/catalog/general-hospital.toml"
        ))
        .unwrap()
    }

    fn press(json: &str) -> KioskPress {
        serde_json::from_str(json).unwrap()
    }

    fn now() -> DateTime<FixedOffset> {
        "2026-11-21T10:00:00+00:00".parse().unwrap()
    }

    #[test]
    fn a_press_is_enriched_from_the_device() {
        let s = press(r#"{"device_id":"kiosk-ed-01","button":"very_happy","press_id":"881"}"#)
            .into_submission(&catalog(), now())
            .unwrap();
        assert_eq!(s.facility, "stmarys-general");
        assert_eq!(s.touchpoint, "ed-arrival-kiosk");
        assert_eq!(s.journey.as_deref(), Some("ed-visit"));
        assert_eq!(s.stage.as_deref(), Some("arrival"));
        assert_eq!(s.event_id.as_deref(), Some("kiosk-ed-01:881"));
        assert_eq!(s.occurred_at, now());
        assert_eq!(
            s.answers.overall.value,
            AnswerValue::Label("very_happy".into())
        );
    }

    #[test]
    fn button_positions_map_to_labels() {
        let s = press(r#"{"device_id":"kiosk-ed-01","button":1}"#)
            .into_submission(&catalog(), now())
            .unwrap();
        assert_eq!(
            s.answers.overall.value,
            AnswerValue::Label("very_unhappy".into())
        );
        let err = press(r#"{"device_id":"kiosk-ed-01","button":5}"#)
            .into_submission(&catalog(), now())
            .unwrap_err();
        assert_eq!(err.0[0].field, "button");
        assert!(err.0[0].reason.contains("buttons 1 to 4"), "{err}");
    }

    #[test]
    fn mashing_counts_once_and_a_resent_press_keeps_its_verdict() {
        let mut repeats = RepeatPresses::new(TimeDelta::seconds(5));
        let t0 = now();
        assert!(!repeats.is_repeat("kiosk-1", "p0", t0));
        for s in 1..40 {
            assert!(
                repeats.is_repeat("kiosk-1", &format!("p{s}"), t0 + TimeDelta::seconds(s)),
                "press at +{s}s"
            );
        }
        assert!(
            !repeats.is_repeat("kiosk-1", "p0", t0),
            "the first press, resent, still counts"
        );
        assert!(repeats.is_repeat("kiosk-1", "p39", t0 + TimeDelta::seconds(39)));
        assert!(
            !repeats.is_repeat("kiosk-2", "q0", t0 + TimeDelta::seconds(1)),
            "devices are separate"
        );
        assert!(
            !repeats.is_repeat("kiosk-1", "p99", t0 + TimeDelta::seconds(45)),
            "after a 6 s rest"
        );
    }

    #[test]
    fn devices_pressed_least_recently_are_forgotten_when_too_many_are_remembered() {
        let mut repeats = RepeatPresses::new(TimeDelta::seconds(5)).remembering(4);
        let t0 = now();
        assert!(!repeats.is_repeat("kiosk-1", "a0", t0));
        assert!(repeats.is_repeat("kiosk-1", "a1", t0));
        for i in 0..10 {
            let busy = repeats.is_repeat("kiosk-busy", &format!("b{i}"), t0);
            assert_eq!(busy, i > 0, "press {i} of the busy kiosk");
            assert!(!repeats.is_repeat(&format!("new-{i}"), "x", t0));
            assert!(repeats.recent.len() <= 4);
        }
        let (remembered, forgotten) = repeats.devices();
        assert_eq!(
            remembered as u64 + forgotten,
            12,
            "kiosk-1, kiosk-busy and ten new devices: each remembered or forgotten"
        );
        assert!(
            !repeats.is_repeat("kiosk-busy", "b0", t0),
            "a busy device keeps its presses: its first press, resent, still counts"
        );
        assert!(
            !repeats.is_repeat("kiosk-1", "a1", t0),
            "kiosk-1 was forgotten: its resent press is judged afresh"
        );
    }

    #[test]
    fn only_repeated_kiosk_presses_are_flagged() {
        let event = |id: &str, channel: &str, second: u32| -> FeedbackEvent {
            serde_json::from_value(serde_json::json!({
                "v": 1, "event_id": id, "occurred_at": format!("2026-11-21T09:15:{second:02}Z"),
                "responded_at": "2026-11-21T09:15:00Z", "received_at": "2026-11-21T09:15:00Z",
                "organisation": "o", "facility": "f", "department": "d", "journey": "j",
                "stage": "s", "touchpoint": "t", "experience": "customer", "channel": channel,
                "source_id": "kiosk-1", "respondent_role": "unknown", "questionnaire": "q",
                "overall": { "question": "overall", "scale": "smiley_4", "value": "happy" },
                "consent_to_contact": false
            }))
            .unwrap()
        };
        let mut repeats = RepeatPresses::new(TimeDelta::seconds(5));
        let mut flagged = Vec::new();
        for mut e in [
            event("a", "kiosk", 0),
            event("b", "kiosk", 2),
            event("c", "tablet", 3),
        ] {
            repeats.flag(&mut e);
            flagged.push(e.suspect);
        }
        assert_eq!(flagged, [None, Some(Suspicion::RepeatPress), None]);
    }

    #[test]
    fn press_bodies_are_decoded_with_problems() {
        assert!(decode_press(br#"{"device_id":"kiosk-ed-01","button":2}"#).is_ok());
        let err = decode_press(b"{").unwrap_err();
        assert_eq!(err.0[0].code, ProblemCode::MalformedJson);
        let err =
            decode_press(br#"{"device_id":"kiosk-ed-01","button":2,"colour":1}"#).unwrap_err();
        assert_eq!(err.0[0].code, ProblemCode::WrongType);
        assert!(err.0[0].reason.contains("colour"), "{err}");
    }

    #[test]
    fn unknown_devices_are_refused() {
        let err = press(r#"{"device_id":"kiosk-mars-01","button":2}"#)
            .into_submission(&catalog(), now())
            .unwrap_err();
        assert_eq!(err.0[0].code, ProblemCode::UnknownReference);
    }
}
