//! The fast path of [`EventView::from_json`]: a scanner for feedback events
//! as carepulse writes them (any field order and whitespace, no escapes in
//! strings, plain numbers). It returns `None` for anything else: escapes,
//! unknown, missing or repeated fields, wrong types, numbers with an
//! exponent or more than 15 digits, times in another shape; serde_json then
//! decodes the message and reports what is wrong. It never accepts what
//! serde_json rejects and never decodes a message differently (tests
//! compare the two on generated and mutated messages).
//!
//! A message without backslashes or control bytes (what carepulse writes)
//! has its quotes indexed first, 64 bytes at a time with SSE2: each
//! string then ends at the next quote, found from the index without reading
//! the string. Other messages are read string by string.

use std::borrow::Cow;

use chrono::Utc;
use serde::de::value::{BorrowedStrDeserializer, Error as ValueError};
use serde::Deserialize;

use crate::event::{Channel, Experience, RespondentRole};
use crate::rfc3339;
use crate::scale::Scale;
use crate::view::{AnswerView, EventView, ValueView};

/// Whether any byte of `word` is `"`, `\\` or a control character (below
/// 0x20): the bytes a plain string stops or fails at.
fn ends_string(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    zero_byte(word ^ (ONES * u64::from(b'"')))
        || zero_byte(word ^ (ONES * u64::from(b'\\')))
        || word.wrapping_sub(ONES * 0x20) & !word & HIGH != 0
}

/// An enum of fields and the table of their names, in one list.
macro_rules! fields {
    ($(#[$doc:meta])* $name:ident, $table:ident: $($variant:ident = $text:literal,)*) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        enum $name {
            $($variant,)*
        }

        const $table: &[(&str, $name)] = &[$(($text, $name::$variant),)*];
    };
}

fields! {
    /// The fields of a feedback event, in the order carepulse writes them.
    Field, FIELDS:
    V = "v",
    EventId = "event_id",
    OccurredAt = "occurred_at",
    RespondedAt = "responded_at",
    ReceivedAt = "received_at",
    Organisation = "organisation",
    Facility = "facility",
    Department = "department",
    Journey = "journey",
    Stage = "stage",
    Touchpoint = "touchpoint",
    Experience = "experience",
    Channel = "channel",
    SourceId = "source_id",
    RespondentRole = "respondent_role",
    Subject = "subject",
    JourneyInstance = "journey_instance",
    Questionnaire = "questionnaire",
    Overall = "overall",
    Items = "items",
    Comment = "comment",
    Locale = "locale",
    ConsentToContact = "consent_to_contact",
    Suspect = "suspect",
}

fields! {
    /// The fields of an answer, in the order carepulse writes them.
    AnswerField, ANSWER_FIELDS:
    Question = "question",
    Scale = "scale",
    Value = "value",
}

/// `a == b` for slices of the same length, compared in overlapping words
/// instead of a call to `memcmp` (field names are short).
fn same_short(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert_eq!(n, b.len());
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    if n >= 8 {
        (0..n - 8).step_by(8).all(|at| word(a, at) == word(b, at))
            && word(a, n - 8) == word(b, n - 8)
    } else if n >= 4 {
        half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4)
    } else {
        a == b
    }
}

/// Bytes of the longest message whose quotes are indexed (longer ones are
/// scanned string by string).
const INDEXED: usize = 64 * 64;

/// Where the quotes of a message are, one bit per byte, for a message with
/// no escapes and no control bytes anywhere: there every string ends at
/// the next quote, so the scanner finds it without reading the string.
struct Quotes {
    words: [u64; INDEXED / 64],
}

impl Quotes {
    /// The index of `bytes`, or `None` if it has a backslash or a control
    /// byte (whitespace included), or is longer than [`INDEXED`], or the
    /// machine has no SSE2 (then the scanner reads string by string).
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    fn of(bytes: &[u8]) -> Option<Quotes> {
        use safe_arch::{
            bitor_m128i as or, cmp_eq_mask_i8_m128i as eq, load_unaligned_m128i, min_u8_m128i,
            move_mask_i8_m128i as mask, set_splat_i8_m128i as splat, zeroed_m128i,
        };
        if bytes.len() > INDEXED {
            return None;
        }
        let (quote, backslash, below_space) = (splat(b'"' as i8), splat(b'\\' as i8), splat(0x1f));
        let mut odd = zeroed_m128i();
        // The quote bits of 64 bytes; backslashes and control bytes are
        // gathered in `odd`, looked at once at the end.
        let mut word = |chunk: &[u8; 64]| {
            let mut bits = 0;
            for (k, block) in chunk.chunks_exact(16).enumerate() {
                let v = load_unaligned_m128i(block.try_into().unwrap_or(&[0; 16]));
                odd = or(
                    odd,
                    or(eq(min_u8_m128i(v, below_space), v), eq(v, backslash)),
                );
                bits |= u64::from(mask(eq(v, quote)) as u16) << (16 * k);
            }
            bits
        };
        let mut words = [0u64; INDEXED / 64];
        let mut chunks = bytes.chunks_exact(64);
        for (slot, chunk) in words.iter_mut().zip(chunks.by_ref()) {
            *slot = word(chunk.try_into().ok()?);
        }
        // The last chunk: the message's last 64 bytes, shifted to drop the
        // ones read already (copying it into a padded block instead stalls
        // the loads that follow the copy); padded with spaces if the
        // message is shorter. Its word is in range: the length was checked.
        let rest = chunks.remainder().len();
        if rest > 0 {
            let last = bytes.len() / 64 % (INDEXED / 64);
            words[last] = match bytes.last_chunk::<64>() {
                Some(tail) => word(tail) >> (64 - rest),
                None => {
                    let mut padded = [b' '; 64];
                    padded[..rest].copy_from_slice(bytes);
                    word(&padded)
                }
            };
        }
        (mask(odd) == 0).then_some(Quotes { words })
    }

    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    fn of(_: &[u8]) -> Option<Quotes> {
        None
    }

    /// The position of the first quote at or after `at`.
    fn next(&self, at: usize) -> Option<usize> {
        let mut word = at / 64;
        let mut bits = *self.words.get(word)? & (u64::MAX << (at % 64));
        while bits == 0 {
            word += 1;
            bits = *self.words.get(word)?;
        }
        Some(word * 64 + bits.trailing_zeros() as usize)
    }
}

struct Scan<'a> {
    text: &'a str,
    at: usize,
    quotes: Option<Quotes>,
}

/// Stores `value` in an empty slot; `None` if the field came before.
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    slot.is_none().then(|| *slot = Some(value))
}

/// A unit enum variant by its serde name.
fn variant<'de, T: Deserialize<'de>>(name: &'de str) -> Option<T> {
    T::deserialize(BorrowedStrDeserializer::<ValueError>::new(name)).ok()
}

/// The variant among `all` whose wire name (`name_of`, the name serde
/// writes: a test checks) is `text`, compared in place: serde's lookup is a
/// chain of string comparisons, each a call.
fn named<T: Copy>(all: &[T], name_of: impl Fn(T) -> &'static str, text: &str) -> Option<T> {
    all.iter().copied().find(|v| {
        let name = name_of(*v).as_bytes();
        name.len() == text.len() && same_short(name, text.as_bytes())
    })
}

impl<'a> Scan<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        let bytes = self.bytes();
        // Compact JSON: no whitespace to skip.
        let first = *bytes.get(self.at)?;
        if first > b' ' {
            return Some(first);
        }
        loop {
            match *bytes.get(self.at)? {
                b' ' | b'\n' | b'\r' | b'\t' => self.at += 1,
                b => return Some(b),
            }
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        self.peek()?;
        self.text[self.at..]
            .starts_with(word)
            .then(|| self.at += word.len())
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        if let Some(quotes) = &self.quotes {
            let end = quotes.next(start)?;
            self.at = end + 1;
            return self.text.get(start..end);
        }
        let bytes = self.bytes();
        // Eight bytes at a time while none of them ends the string, then
        // byte by byte.
        while let Some(chunk) = bytes.get(self.at..self.at + 8) {
            if ends_string(u64::from_le_bytes(chunk.try_into().ok()?)) {
                break;
            }
            self.at += 8;
        }
        loop {
            match *bytes.get(self.at)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        Some(&self.text[start..self.at - 1])
    }

    /// `null` or a string.
    fn optional(&mut self) -> Option<Option<&'a str>> {
        if self.peek()? == b'n' {
            self.literal("null")?;
            return Some(None);
        }
        self.string().map(Some)
    }

    /// A non-negative number of at most 15 digits, without exponent: the
    /// shape where serde_json's and Rust's parsing give the same `f64`.
    fn number(&mut self) -> Option<f64> {
        self.peek()?;
        let bytes = self.bytes();
        let start = self.at;
        let digits = |at: &mut usize| {
            let from = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at - from
        };
        let whole = digits(&mut self.at);
        if whole == 0 || (whole > 1 && bytes[start] == b'0') {
            return None;
        }
        let mut fraction = 0;
        if bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            fraction = digits(&mut self.at);
            if fraction == 0 {
                return None;
            }
        }
        if whole + fraction > 15 || matches!(bytes.get(self.at), Some(b'e' | b'E')) {
            return None;
        }
        if fraction == 0 {
            // A whole number of at most 15 digits is exact in an f64, as
            // serde_json's integer read and then converted.
            let n = bytes[start..self.at]
                .iter()
                .fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
            return Some(n as f64);
        }
        self.text[start..self.at].parse().ok()
    }

    fn value(&mut self) -> Option<ValueView<'a>> {
        if self.peek()? == b'"' {
            Some(ValueView::Label(Cow::Borrowed(self.string()?)))
        } else {
            self.number().map(ValueView::Number)
        }
    }

    /// The index in `names` of the field name at the cursor, compared in
    /// place, starting with `names[next]`: the name after the previous one
    /// in the order carepulse writes them, so a field is usually found at
    /// the first comparison. `None` for any other name, or a name with
    /// escapes.
    fn name<F>(&mut self, names: &[(&str, F)], next: usize) -> Option<usize> {
        self.peek()?;
        let rest = &self.bytes()[self.at..];
        let is_here = |i: &usize| {
            let name = names[*i].0.as_bytes();
            rest.len() > name.len() + 1
                && rest[0] == b'"'
                && rest[name.len() + 1] == b'"'
                && same_short(&rest[1..=name.len()], name)
        };
        let index = (next..names.len()).chain(0..next).find(is_here)?;
        self.at += names[index].0.len() + 2;
        Some(index)
    }

    /// Calls `field` for each `"name": value` of an object, with the field
    /// `names` gives for the name (any other name ends the scan).
    fn object<F: Copy>(
        &mut self,
        names: &[(&str, F)],
        mut field: impl FnMut(&mut Self, F) -> Option<()>,
    ) -> Option<()> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        let mut next = 0;
        loop {
            let index = self.name(names, next)?;
            next = index + 1;
            self.expect(b':')?;
            field(self, names[index].1)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn answer(&mut self) -> Option<AnswerView<'a>> {
        let (mut question, mut scale, mut value) = (None, None, None);
        self.object(ANSWER_FIELDS, |s, field| match field {
            AnswerField::Question => set(&mut question, s.string()?),
            AnswerField::Scale => set(&mut scale, named(&Scale::ALL, Scale::name, s.string()?)?),
            AnswerField::Value => set(&mut value, s.value()?),
        })?;
        Some(AnswerView {
            question: Cow::Borrowed(question?),
            scale: scale?,
            value: value?,
        })
    }

    fn answers(&mut self) -> Option<Vec<AnswerView<'a>>> {
        self.expect(b'[')?;
        let mut out = Vec::new();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(out);
        }
        loop {
            out.push(self.answer()?);
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(out);
                }
                _ => return None,
            }
        }
    }

    fn number_u32(&mut self) -> Option<u32> {
        self.peek()?;
        let start = self.at;
        let bytes = self.bytes();
        while bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        let text = &self.text[start..self.at];
        let plain = !text.is_empty() && text.len() <= 9 && (text == "0" || !text.starts_with('0'));
        let next = bytes.get(self.at);
        if !plain || matches!(next, Some(b'.' | b'e' | b'E')) {
            return None;
        }
        text.parse().ok()
    }

    fn boolean(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.literal("true").map(|()| true),
            _ => self.literal("false").map(|()| false),
        }
    }
}

/// The fast path: `Some` only for a message it fully understood.
pub(crate) fn scan<'a>(text: &'a str) -> Option<EventView<'a>> {
    let mut s = Scan {
        text,
        at: 0,
        quotes: Quotes::of(text.as_bytes()),
    };
    let (mut v, mut event_id, mut occurred, mut responded, mut received) =
        (None, None, None, None, None);
    let (mut organisation, mut facility, mut department, mut journey, mut stage) =
        (None, None, None, None, None);
    let (mut touchpoint, mut experience, mut channel, mut source_id, mut role) =
        (None, None, None, None, None);
    let (mut subject, mut journey_instance, mut questionnaire, mut overall, mut items) =
        (None, None, None, None, None);
    let (mut comment, mut locale, mut consent, mut suspect) = (None, None, None, None);
    s.object(FIELDS, |s, field| match field {
        Field::V => set(&mut v, s.number_u32()?),
        Field::EventId => set(&mut event_id, s.string()?),
        Field::OccurredAt => set(&mut occurred, rfc3339::exact(s.string()?)?),
        Field::RespondedAt => set(&mut responded, rfc3339::exact(s.string()?)?),
        Field::ReceivedAt => set(&mut received, rfc3339::exact(s.string()?)?),
        Field::Organisation => set(&mut organisation, s.string()?),
        Field::Facility => set(&mut facility, s.string()?),
        Field::Department => set(&mut department, s.string()?),
        Field::Journey => set(&mut journey, s.string()?),
        Field::Stage => set(&mut stage, s.string()?),
        Field::Touchpoint => set(&mut touchpoint, s.string()?),
        Field::Experience => set(
            &mut experience,
            named(&Experience::ALL, Experience::as_str, s.string()?)?,
        ),
        Field::Channel => set(
            &mut channel,
            named(&Channel::ALL, Channel::as_str, s.string()?)?,
        ),
        Field::SourceId => set(&mut source_id, s.optional()?),
        Field::RespondentRole => set(
            &mut role,
            named(&RespondentRole::ALL, RespondentRole::as_str, s.string()?)?,
        ),
        Field::Subject => set(&mut subject, s.optional()?),
        Field::JourneyInstance => set(&mut journey_instance, s.optional()?),
        Field::Questionnaire => set(&mut questionnaire, s.string()?),
        Field::Overall => set(&mut overall, s.answer()?),
        Field::Items => set(&mut items, s.answers()?),
        Field::Comment => set(&mut comment, s.optional()?),
        Field::Locale => set(&mut locale, s.optional()?),
        Field::ConsentToContact => set(&mut consent, s.boolean()?),
        Field::Suspect => {
            let value = match s.optional()? {
                None => None,
                Some(name) => Some(variant(name)?),
            };
            set(&mut suspect, value)
        }
    })?;
    if s.peek().is_some() {
        return None;
    }
    let text = |t: &'a str| Cow::Borrowed(t);
    Some(EventView {
        v: v?,
        event_id: text(event_id?),
        occurred_at: occurred?,
        responded_at: responded?,
        received_at: received?.with_timezone(&Utc),
        organisation: text(organisation?),
        facility: text(facility?),
        department: text(department?),
        journey: text(journey?),
        stage: text(stage?),
        touchpoint: text(touchpoint?),
        experience: experience?,
        channel: channel?,
        source_id: source_id.flatten().map(text),
        respondent_role: role?,
        subject: subject.flatten().map(text),
        journey_instance: journey_instance.flatten().map(text),
        questionnaire: text(questionnaire?),
        overall: overall?,
        items: items.unwrap_or_default(),
        comment: comment.flatten().map(text),
        locale: locale.flatten().map(text),
        consent_to_contact: consent?,
        suspect: suspect.flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{
        Channel, EventAnswer, Experience, FeedbackEvent, RespondentRole, Suspicion,
    };
    use crate::scale::{AnswerValue, Scale};
    use chrono::{FixedOffset, TimeZone};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn same_short_is_equality(a in "[a-c]{0,30}", b in "[a-c]{0,30}") {
            let n = a.len().min(b.len());
            let (a, b) = (&a.as_bytes()[..n], &b.as_bytes()[..n]);
            prop_assert_eq!(same_short(a, b), a == b);
        }

        #[test]
        fn quotes_index_every_quote_or_refuses(
            (plain_only, bytes) in (any::<bool>(), prop::collection::vec(
                prop::sample::select(vec![b'"', b'a', b' ', 0xc3, 0xa9, b'\\', b'\n', 0x1f, 0x7f]),
                0..300,
            )),
        ) {
            // Half the cases are plain: long plain messages are rare otherwise.
            let bytes: Vec<u8> = if plain_only {
                bytes.into_iter().filter(|b| *b != b'\\' && *b >= 0x20).collect()
            } else {
                bytes
            };
            let plain = !bytes.iter().any(|b| *b == b'\\' || *b < 0x20);
            match Quotes::of(&bytes) {
                Some(quotes) => {
                    prop_assert!(plain);
                    for at in 0..=bytes.len() {
                        let expected = bytes[at..].iter().position(|b| *b == b'"').map(|i| at + i);
                        prop_assert_eq!(quotes.next(at), expected, "from {}", at);
                    }
                }
                None => prop_assert!(!plain || cfg!(not(target_arch = "x86_64"))),
            }
        }

        #[test]
        fn ends_string_finds_the_bytes_a_string_stops_at(bytes in prop::array::uniform8(any::<u8>())) {
            let expected = bytes.iter().any(|b| *b == b'"' || *b == b'\\' || *b < 0x20);
            prop_assert_eq!(ends_string(u64::from_le_bytes(bytes)), expected);
        }
    }

    fn serde(text: &str) -> Option<EventView<'_>> {
        serde_json::from_str(text).ok()
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-z0-9_:.-]{1,16}",
            1 => "[a-zé€\" \\\\/\\t]{0,8}",
        ]
    }

    /// A number and whether it is written plainly (no exponent, at most 15
    /// digits).
    fn number() -> impl Strategy<Value = (f64, bool)> {
        prop_oneof![
            (0u32..=100).prop_map(|n| (f64::from(n), true)),
            (0u64..10u64.pow(15)).prop_map(|n| (n as f64, true)),
            (10u64.pow(15)..10u64.pow(17)).prop_map(|n| (n as f64, false)),
            (0u32..400).prop_map(|n| (f64::from(n) / 4.0, true)),
            Just((0.1 + 0.2, false)),
            Just((1e21, false)),
            Just((-3.0, false)),
        ]
    }

    fn answer() -> impl Strategy<Value = (EventAnswer, bool)> {
        let scales = prop::sample::select(vec![
            Scale::Rating0To10,
            Scale::Fft,
            Scale::Smiley4,
            Scale::Slider0To100,
            Scale::HcahpsFrequency,
        ]);
        let value = prop_oneof![
            number().prop_map(|(n, plain)| (AnswerValue::Number(n), plain)),
            text().prop_map(|t| (AnswerValue::Label(t), true)),
        ];
        (text(), scales, value).prop_map(|(question, scale, (value, plain))| {
            (
                EventAnswer {
                    question,
                    scale,
                    value,
                },
                plain,
            )
        })
    }

    fn time() -> impl Strategy<Value = chrono::DateTime<FixedOffset>> {
        (0i64..4_000_000_000, 0u32..1_000_000_000, -720i32..=840).prop_map(|(s, ns, m)| {
            FixedOffset::east_opt(m * 60)
                .unwrap()
                .timestamp_opt(s, ns / 1000 * 1000)
                .unwrap()
        })
    }

    prop_compose! {
        fn event()(
            ids in prop::collection::vec(text(), 9),
            optional in prop::collection::vec(prop::option::of(text()), 5),
            times in prop::collection::vec(time(), 3),
            overall in answer(),
            items in prop::collection::vec(answer(), 0..4),
            consent in any::<bool>(),
            suspect in any::<bool>(),
            channel in prop::sample::select(Channel::ALL.to_vec()),
        ) -> (FeedbackEvent, bool) {
            let plain = overall.1 && items.iter().all(|(_, p)| *p);
            let event = FeedbackEvent {
                v: 1,
                event_id: ids[0].clone(),
                occurred_at: times[0],
                responded_at: times[1],
                received_at: times[2].with_timezone(&Utc),
                organisation: ids[1].clone(),
                facility: ids[2].clone(),
                department: ids[3].clone(),
                journey: ids[4].clone(),
                stage: ids[5].clone(),
                touchpoint: ids[6].clone(),
                experience: if consent { Experience::Patient } else { Experience::Customer },
                channel,
                source_id: optional[0].clone(),
                respondent_role: RespondentRole::FamilyOrCarer,
                subject: None,
                journey_instance: None,
                questionnaire: ids[7].clone(),
                overall: overall.0,
                items: items.into_iter().map(|(a, _)| a).collect(),
                comment: optional[1].clone(),
                locale: optional[2].clone(),
                consent_to_contact: consent,
                suspect: suspect.then_some(Suspicion::RepeatPress),
            };
            (event, plain)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn decodes_what_carepulse_writes_as_serde_json_does((event, plain) in event()) {
            for text in [
                serde_json::to_string(&event).unwrap(),
                serde_json::to_string_pretty(&event).unwrap(),
            ] {
                let fast = scan(&text);
                let slow = serde(&text);
                prop_assert!(slow.is_some(), "{}", text);
                if fast.is_some() {
                    prop_assert_eq!(fast.as_ref(), slow.as_ref(), "{}", text);
                }
                if plain && !text.contains('\\') {
                    prop_assert!(fast.is_some(), "the fast path should take {}", text);
                }
            }
        }

        #[test]
        fn never_accepts_what_serde_json_rejects(
            (event, _) in event(),
            edits in prop::collection::vec(
                (any::<prop::sample::Index>(), 0u8..3, prop::sample::select(
                    vec!['"', '{', '}', '[', ']', ',', ':', '\\', ' ', '0', '9', '.', 'e', '-', 'n', 'x'],
                )),
                1..4,
            ),
        ) {
            let mut text = serde_json::to_string(&event).unwrap();
            for (at, op, c) in edits {
                let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
                let i = boundaries[at.index(boundaries.len())];
                match op {
                    0 => {
                        text.remove(i);
                    }
                    1 => text.insert(i, c),
                    _ => {
                        text.remove(i);
                        text.insert(i, c);
                    }
                }
            }
            if let Some(fast) = scan(&text) {
                prop_assert_eq!(Some(fast), serde(&text), "{}", text);
            }
        }
    }

    #[test]
    fn wire_names_are_the_names_serde_writes() {
        fn check<T>(all: &[T], name_of: impl Fn(T) -> &'static str)
        where
            T: Copy + PartialEq + std::fmt::Debug + serde::Serialize,
        {
            for v in all {
                let name = name_of(*v);
                assert_eq!(serde_json::to_value(v).unwrap(), name);
                assert_eq!(named(all, &name_of, name), Some(*v));
            }
        }
        check(&Experience::ALL, Experience::as_str);
        check(&Channel::ALL, Channel::as_str);
        check(&RespondentRole::ALL, RespondentRole::as_str);
        check(&Scale::ALL, Scale::name);
        assert_eq!(named(&Channel::ALL, Channel::as_str, "kiosks"), None);
        assert_eq!(named(&Channel::ALL, Channel::as_str, "Kiosk"), None);
    }

    #[test]
    fn leaves_unusual_messages_to_serde_json() {
        let event = r#"{"v":1,"event_id":"e","occurred_at":"2026-11-21T09:15:00Z","responded_at":"2026-11-21T09:15:00Z","received_at":"2026-11-21T09:15:02Z","organisation":"o","facility":"f","department":"d","journey":"j","stage":"s","touchpoint":"t","experience":"patient","channel":"kiosk","respondent_role":"unknown","questionnaire":"q","overall":{"question":"overall","scale":"rating_0_10","value":7},"consent_to_contact":false}"#;
        assert!(scan(event).is_some());
        for unusual in [
            event.replace(r#""v":1"#, r#""v":1,"v":1"#),
            event.replace(r#""v":1"#, r#""v":1.0"#),
            event.replace(r#""value":7"#, r#""value":7e0"#),
            event.replace(r#""value":7"#, r#""value":-0"#),
            event.replace(r#""value":7"#, r#""value":07"#),
            event.replace(r#""facility":"f""#, r#""facility":"\u0066""#),
            event.replace(r#""channel":"kiosk""#, r#""channel":"Kiosk""#),
            event.replace("2026-11-21T09:15:00Z", "2026-11-21 09:15:00Z"),
            event.replace(r#""consent_to_contact":false"#, r#""consent_to_contact":0"#),
            event.replace(r#","consent_to_contact":false"#, ""),
            format!("{event}x"),
        ] {
            assert_eq!(scan(&unusual), None, "{unusual}");
        }
        assert!(scan(&format!(" {event}\n")).is_some());
    }

    #[test]
    fn long_messages_take_the_string_by_string_path() {
        let comment = "a".repeat(INDEXED);
        let event = format!(
            r#"{{"v":1,"event_id":"e","occurred_at":"2026-11-21T09:15:00Z","responded_at":"2026-11-21T09:15:00Z","received_at":"2026-11-21T09:15:02Z","organisation":"o","facility":"f","department":"d","journey":"j","stage":"s","touchpoint":"t","experience":"patient","channel":"kiosk","respondent_role":"unknown","questionnaire":"q","overall":{{"question":"overall","scale":"rating_0_10","value":7}},"comment":"{comment}","consent_to_contact":false}}"#
        );
        assert!(Quotes::of(event.as_bytes()).is_none());
        let fast = scan(&event).expect("the fast path takes long messages too");
        assert_eq!(fast.comment.as_deref(), Some(comment.as_str()));
        assert_eq!(Some(fast), serde(&event));
    }

    #[test]
    fn takes_fields_in_any_order() {
        let event = r#"{"consent_to_contact":false,"overall":{"value":7,"scale":"rating_0_10","question":"overall"},"questionnaire":"q","respondent_role":"unknown","channel":"kiosk","experience":"patient","touchpoint":"t","stage":"s","journey":"j","department":"d","facility":"f","organisation":"o","received_at":"2026-11-21T09:15:02Z","responded_at":"2026-11-21T09:15:00Z","occurred_at":"2026-11-21T09:15:00Z","event_id":"e","v":1}"#;
        let fast = scan(event);
        assert!(fast.is_some(), "reversed fields take the fast path");
        assert_eq!(fast, serde(event));
        let prefix = event.replace(r#""stage":"s""#, r#""stag":"s""#);
        assert_eq!(
            scan(&prefix),
            None,
            "a name that is a prefix of a field is not that field"
        );
    }
}
