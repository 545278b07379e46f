//! Counted events held until the flush writes them to `feedback_events`:
//! the published JSON once, with the place of each string column in it, so
//! that holding an event costs one allocation rather than one per column.

use std::borrow::Cow;
use std::ops::Range;

fn optional<'s>(s: &'s Option<Cow<'_, str>>) -> &'s str {
    s.as_deref().unwrap_or_default()
}

use carepulse_clickhouse::rows::EventWrite;
use carepulse_model::EventView;

/// The string columns kept as ranges, in this order.
const EVENT_ID: usize = 0;
const FACILITY: usize = 1;
const ORGANISATION: usize = 2;
const DEPARTMENT: usize = 3;
const JOURNEY: usize = 4;
const STAGE: usize = 5;
const TOUCHPOINT: usize = 6;
const QUESTIONNAIRE: usize = 7;
const SOURCE_ID: usize = 8;
const SUBJECT: usize = 9;
const JOURNEY_INSTANCE: usize = 10;

/// A counted event, ready to be written.
#[derive(Debug, Clone)]
pub struct CountedEvent {
    /// The published JSON, then any string column that is not in it
    /// verbatim (it had escapes).
    text: String,
    payload_len: usize,
    columns: [Range<u32>; 11],
    /// The columns that do not borrow from the event.
    rest: EventWrite<'static>,
}

impl CountedEvent {
    /// The event `event`, decoded from `payload`, read at
    /// `partition`/`offset`.
    pub fn new(event: &EventView<'_>, payload: &str, partition: i32, offset: i64) -> Self {
        let mut text = String::with_capacity(payload.len());
        text.push_str(payload);
        let base = payload.as_ptr() as usize;
        let mut place = |s: &str| -> Range<u32> {
            let at = (s.as_ptr() as usize).wrapping_sub(base);
            if at <= payload.len() && s.len() <= payload.len() - at {
                at as u32..(at + s.len()) as u32
            } else {
                let start = text.len();
                text.push_str(s);
                start as u32..text.len() as u32
            }
        };
        let columns = [
            place(&event.event_id),
            place(&event.facility),
            place(&event.organisation),
            place(&event.department),
            place(&event.journey),
            place(&event.stage),
            place(&event.touchpoint),
            place(&event.questionnaire),
            place(optional(&event.source_id)),
            place(optional(&event.subject)),
            place(optional(&event.journey_instance)),
        ];
        CountedEvent {
            text,
            payload_len: payload.len(),
            columns,
            rest: EventWrite::without_text(event, partition, offset),
        }
    }

    /// Its `feedback_events` row.
    pub fn row(&self) -> EventWrite<'_> {
        let column = |i: usize| {
            let r = &self.columns[i];
            &self.text[r.start as usize..r.end as usize]
        };
        EventWrite {
            event_id: column(EVENT_ID),
            facility: column(FACILITY),
            organisation: column(ORGANISATION),
            department: column(DEPARTMENT),
            journey: column(JOURNEY),
            stage: column(STAGE),
            touchpoint: column(TOUCHPOINT),
            questionnaire: column(QUESTIONNAIRE),
            source_id: column(SOURCE_ID),
            subject: column(SUBJECT),
            journey_instance: column(JOURNEY_INSTANCE),
            payload: &self.text[..self.payload_len],
            ..self.rest.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carepulse_clickhouse::rows::EventRow;
    use carepulse_model::FeedbackEvent;

    const EVENT: &str = r#"{"v":1,"event_id":"e-1","occurred_at":"2026-11-21T09:15:00Z",
        "responded_at":"2026-11-21T09:16:00Z","received_at":"2026-11-21T09:16:02Z",
        "organisation":"trust","facility":"st-marys","department":"ed","journey":"ed-visit",
        "stage":"triage","touchpoint":"kiosk-3","experience":"patient","channel":"kiosk",
        "source_id":"kiosk-3","respondent_role":"patient","subject":null,
        "questionnaire":"kiosk-smiley","overall":{"question":"overall","scale":"smiley_4","value":"happy"},
        "comment":"quick","consent_to_contact":false}"#;

    /// The row written equals the owned row of the same event, column by
    /// column and in column order.
    fn assert_same_row(payload: &str) {
        let view = EventView::from_json(payload.as_bytes()).unwrap();
        let counted = CountedEvent::new(&view, payload, 2, 41);
        let owned: FeedbackEvent = serde_json::from_str(payload).unwrap();
        let expected = EventRow::new(&owned, 2, 41, payload.to_owned());
        assert_eq!(
            serde_json::to_string(&counted.row()).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
    }

    #[test]
    fn columns_are_read_from_the_held_text() {
        assert_same_row(EVENT);
    }

    #[test]
    fn columns_with_escapes_are_kept_decoded() {
        let escaped = EVENT
            .replace(r#""ed""#, r#""e\u0064""#)
            .replace(r#""e-1""#, r#""e-\"1\"""#);
        assert_same_row(&escaped);
        let view = EventView::from_json(escaped.as_bytes()).unwrap();
        let counted = CountedEvent::new(&view, &escaped, 0, 0);
        assert_eq!(counted.row().department, "ed");
        assert_eq!(counted.row().event_id, "e-\"1\"");
        assert_eq!(counted.row().payload, escaped);
    }
}
