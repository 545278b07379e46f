//! [`EventView`]: a feedback event decoded without copying its strings, for
//! the stream processor's hot path. It accepts exactly what
//! [`FeedbackEvent`] accepts (same fields, types, enums and unknown-field
//! rule; a test holds the two together), but its strings borrow from the
//! message bytes unless they contain escapes.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::event::{Channel, EventAnswer, Experience, FeedbackEvent, RespondentRole, Suspicion};
use crate::pseudonym::Pseudonym;
use crate::scale::{AnswerRef, AnswerValue, Scale};
use crate::{rfc3339, scan};

/// A borrowed answer value: a number or a label.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueView<'a> {
    /// A numeric answer.
    Number(f64),
    /// A labelled answer.
    Label(Cow<'a, str>),
}

impl ValueView<'_> {
    /// The value, as [`Scale::read`] takes it.
    pub fn as_ref(&self) -> AnswerRef<'_> {
        match self {
            ValueView::Number(n) => AnswerRef::Number(*n),
            ValueView::Label(l) => AnswerRef::Label(l),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ValueView<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Expect;
        impl<'de> Visitor<'de> for Expect {
            type Value = ValueView<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a label")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(ValueView::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(ValueView::Number(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(ValueView::Number(v as f64))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(ValueView::Label(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ValueView::Label(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_any(Expect)
    }
}

/// One answer of an [`EventView`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerView<'a> {
    /// Question id.
    #[serde(borrow)]
    pub question: Cow<'a, str>,
    /// The scale the answer is on.
    pub scale: Scale,
    /// The answer.
    #[serde(borrow)]
    pub value: ValueView<'a>,
}

/// A feedback event (format v1) whose strings borrow from the bytes it was
/// decoded from; see [`FeedbackEvent`] for what each field means.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct EventView<'a> {
    pub v: u32,
    #[serde(borrow)]
    pub event_id: Cow<'a, str>,
    #[serde(deserialize_with = "rfc3339::fixed")]
    pub occurred_at: DateTime<FixedOffset>,
    #[serde(deserialize_with = "rfc3339::fixed")]
    pub responded_at: DateTime<FixedOffset>,
    #[serde(deserialize_with = "rfc3339::utc")]
    pub received_at: DateTime<Utc>,
    #[serde(borrow)]
    pub organisation: Cow<'a, str>,
    #[serde(borrow)]
    pub facility: Cow<'a, str>,
    #[serde(borrow)]
    pub department: Cow<'a, str>,
    #[serde(borrow)]
    pub journey: Cow<'a, str>,
    #[serde(borrow)]
    pub stage: Cow<'a, str>,
    #[serde(borrow)]
    pub touchpoint: Cow<'a, str>,
    pub experience: Experience,
    pub channel: Channel,
    #[serde(borrow, default)]
    pub source_id: Option<Cow<'a, str>>,
    pub respondent_role: RespondentRole,
    #[serde(borrow, default)]
    pub subject: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub journey_instance: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub questionnaire: Cow<'a, str>,
    #[serde(borrow)]
    pub overall: AnswerView<'a>,
    #[serde(borrow, default)]
    pub items: Vec<AnswerView<'a>>,
    #[serde(borrow, default)]
    pub comment: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub locale: Option<Cow<'a, str>>,
    pub consent_to_contact: bool,
    #[serde(default)]
    pub suspect: Option<Suspicion>,
}

impl<'a> EventView<'a> {
    /// Decodes a JSON message: first with a scanner for the shape
    /// carepulse writes, then, for anything it does not handle, with
    /// serde_json, which also explains what is wrong. The UTF-8 check runs
    /// once over the whole message rather than once per string.
    pub fn from_json(bytes: &'a [u8]) -> serde_json::Result<Self> {
        Self::from_json_text(bytes).map(|(_, view)| view)
    }

    /// [`EventView::from_json`], also giving the message as text, for a
    /// caller that keeps it.
    pub fn from_json_text(bytes: &'a [u8]) -> serde_json::Result<(&'a str, Self)> {
        match simdutf8::basic::from_utf8(bytes) {
            Ok(text) => match scan::scan(text) {
                Some(view) => Ok((text, view)),
                None => serde_json::from_str(text).map(|view| (text, view)),
            },
            // Let serde_json say where and why.
            Err(_) => Err(serde_json::from_slice::<Self>(bytes)
                .err()
                .unwrap_or_else(|| serde::de::Error::custom("the message is not UTF-8"))),
        }
    }

    /// The overall answer, then the items.
    pub fn answers(&self) -> impl Iterator<Item = &AnswerView<'a>> {
        std::iter::once(&self.overall).chain(&self.items)
    }

    /// The same event, owning its strings.
    pub fn into_owned(self) -> FeedbackEvent {
        let text = Cow::into_owned;
        let answer = |a: AnswerView<'_>| EventAnswer {
            question: a.question.into_owned(),
            scale: a.scale,
            value: match a.value {
                ValueView::Number(n) => AnswerValue::Number(n),
                ValueView::Label(l) => AnswerValue::Label(l.into_owned()),
            },
        };
        FeedbackEvent {
            v: self.v,
            event_id: text(self.event_id),
            occurred_at: self.occurred_at,
            responded_at: self.responded_at,
            received_at: self.received_at,
            organisation: text(self.organisation),
            facility: text(self.facility),
            department: text(self.department),
            journey: text(self.journey),
            stage: text(self.stage),
            touchpoint: text(self.touchpoint),
            experience: self.experience,
            channel: self.channel,
            source_id: self.source_id.map(text),
            respondent_role: self.respondent_role,
            subject: self.subject.map(|s| Pseudonym::from_stored(s.into_owned())),
            journey_instance: self
                .journey_instance
                .map(|s| Pseudonym::from_stored(s.into_owned())),
            questionnaire: text(self.questionnaire),
            overall: answer(self.overall),
            items: self.items.into_iter().map(answer).collect(),
            comment: self.comment.map(text),
            locale: self.locale.map(text),
            consent_to_contact: self.consent_to_contact,
            suspect: self.suspect,
        }
    }
}

impl FeedbackEvent {
    /// A view borrowing this event's strings.
    pub fn view(&self) -> EventView<'_> {
        fn text(s: &str) -> Cow<'_, str> {
            Cow::Borrowed(s)
        }
        fn answer(a: &EventAnswer) -> AnswerView<'_> {
            AnswerView {
                question: Cow::Borrowed(a.question.as_str()),
                scale: a.scale,
                value: match &a.value {
                    AnswerValue::Number(n) => ValueView::Number(*n),
                    AnswerValue::Label(l) => ValueView::Label(Cow::Borrowed(l.as_str())),
                },
            }
        }
        EventView {
            v: self.v,
            event_id: text(&self.event_id),
            occurred_at: self.occurred_at,
            responded_at: self.responded_at,
            received_at: self.received_at,
            organisation: text(&self.organisation),
            facility: text(&self.facility),
            department: text(&self.department),
            journey: text(&self.journey),
            stage: text(&self.stage),
            touchpoint: text(&self.touchpoint),
            experience: self.experience,
            channel: self.channel,
            source_id: self.source_id.as_deref().map(text),
            respondent_role: self.respondent_role,
            subject: self.subject.as_ref().map(|p| Cow::Borrowed(p.as_str())),
            journey_instance: self
                .journey_instance
                .as_ref()
                .map(|p| Cow::Borrowed(p.as_str())),
            questionnaire: text(&self.questionnaire),
            overall: answer(&self.overall),
            items: self.items.iter().map(answer).collect(),
            comment: self.comment.as_deref().map(text),
            locale: self.locale.as_deref().map(text),
            consent_to_contact: self.consent_to_contact,
            suspect: self.suspect,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"v":1,"event_id":"e-1","occurred_at":"2026-11-21T09:15:00+01:00","responded_at":"2026-11-21T09:20:00+01:00","received_at":"2026-11-21T08:20:01.250Z","organisation":"o","facility":"f","department":"ed","journey":"ed-visit","stage":"triage","touchpoint":"t","experience":"patient","channel":"sms","source_id":"gw","respondent_role":"family_or_carer","subject":"k1:0123456789abcdef0123456789abcdef","questionnaire":"q","overall":{"question":"overall","scale":"fft","value":"very_good"},"items":[{"question":"wait","scale":"rating_0_10","value":7},{"question":"slider","scale":"slider_0_100","value":42.5}],"comment":"He said \"fine\" \u00e9","locale":"en-GB","consent_to_contact":true}"#;

    #[test]
    fn a_view_decodes_to_the_same_event_as_the_owned_decode() {
        let owned: FeedbackEvent = serde_json::from_str(EVENT).unwrap();
        let view = EventView::from_json(EVENT.as_bytes()).unwrap();
        assert!(matches!(view.facility, Cow::Borrowed("f")));
        assert!(
            matches!(view.comment, Some(Cow::Owned(_))),
            "escapes unescaped"
        );
        assert_eq!(view.clone().into_owned(), owned);
        assert_eq!(owned.view(), view);
    }

    #[test]
    fn a_view_rejects_what_the_owned_decode_rejects() {
        let broken = [
            EVENT.replace(r#""v":1,"#, ""),
            EVENT.replace(r#""facility":"f""#, r#""facility":3"#),
            EVENT.replace(r#""channel":"sms""#, r#""channel":"pigeon""#),
            EVENT.replace(r#""scale":"fft""#, r#""scale":"stars""#),
            EVENT.replace(r#""value":7"#, r#""value":true"#),
            EVENT.replace(r#""value":7"#, r#""value":null"#),
            EVENT.replace(r#""locale""#, r#""colour""#),
            EVENT.replace(r#""question":"wait","#, r#""question":"wait","extra":1,"#),
            EVENT.replace("2026-11-21T09:15:00+01:00", "21/11/2026"),
            EVENT.replace(r#""suspect""#, r#""x""#).replace('}', ""),
            EVENT[..EVENT.len() - 1].to_owned(),
        ];
        for text in &broken {
            assert!(
                serde_json::from_str::<FeedbackEvent>(text).is_err(),
                "{text}"
            );
            assert!(EventView::from_json(text.as_bytes()).is_err(), "{text}");
        }
    }

    #[test]
    fn unusual_valid_shapes_decode_alike() {
        let variants = [
            EVENT.replace("2026-11-21T09:15:00+01:00", "2026-11-21 09:15:00+01:00"),
            EVENT.replace("2026-11-21T08:20:01.250Z", "2026-11-21T09:20:01.25+01:00"),
            EVENT.replace(r#""value":7"#, r#""value":7.0"#),
            EVENT.replace(r#""facility":"f""#, r#""facility":"f\u00e9""#),
            EVENT.replace(',', " ,\n "),
        ];
        for text in &variants {
            let owned: FeedbackEvent = serde_json::from_str(text).unwrap();
            let view = EventView::from_json(text.as_bytes()).unwrap();
            assert_eq!(view.into_owned(), owned, "{text}");
        }
    }

    #[test]
    fn values_read_on_their_scales() {
        let view = EventView::from_json(EVENT.as_bytes()).unwrap();
        let read: Vec<bool> = view
            .answers()
            .map(|a| a.scale.read(a.value.as_ref()).is_some())
            .collect();
        assert_eq!(read, [true, true, true]);
        assert_eq!(
            Scale::Rating0To10.read(AnswerRef::Number(11.0)),
            None,
            "out of range"
        );
    }
}
