//! Reading RFC 3339 times fast: the exact shape carepulse publishes
//! (`2026-11-21T09:15:00Z`, `2026-11-21T09:15:00.250+01:00`) is read
//! digit by digit; anything else (other separators, leap seconds, more
//! than nine fraction digits) goes to chrono's parser. The results are the
//! same as chrono's serde impls (a test compares them), only cheaper.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::de::{self, Deserializer, Visitor};

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, or `None` for
/// anything else (chrono decides then).
pub(crate) fn exact(text: &str) -> Option<DateTime<FixedOffset>> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let mut rest = &b[19..];
    let mut nanos = 0;
    if let Some((b'.', fraction)) = rest.split_first() {
        let n = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(&fraction[..n])? * 10u32.pow(9 - n as u32);
        rest = &fraction[n..];
    }
    let offset = match rest {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = (h * 3600 + m * 60) as i32;
            if *sign == b'-' {
                -seconds
            } else {
                seconds
            }
        }
        _ => return None,
    };
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let zone = FixedOffset::east_opt(offset)?;
    // UTC is the local time minus the offset. Within the same day (always
    // for `Z`, as ingest writes `received_at`) that is one subtraction;
    // chrono's offset arithmetic divides, and costs more than the rest of
    // the time's reading.
    let utc_seconds = (hour * 3600 + minute * 60 + second) as i32 - offset;
    if (0..86_400).contains(&utc_seconds) {
        let time = NaiveTime::from_num_seconds_from_midnight_opt(utc_seconds as u32, nanos)?;
        return Some(DateTime::from_naive_utc_and_offset(
            date.and_time(time),
            zone,
        ));
    }
    let local = date.and_hms_nano_opt(hour, minute, second, nanos)?;
    zone.from_local_datetime(&local).single()
}

/// Parses like chrono's `FromStr` for `DateTime<FixedOffset>`.
pub(crate) fn parse(text: &str) -> Result<DateTime<FixedOffset>, chrono::ParseError> {
    match exact(text) {
        Some(t) => Ok(t),
        None => text.parse(),
    }
}

struct Rfc3339;

impl Visitor<'_> for Rfc3339 {
    type Value = DateTime<FixedOffset>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The same words as chrono's serde impl.
        f.write_str("an RFC 3339 formatted date and time string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        parse(value).map_err(E::custom)
    }
}

/// `deserialize_with` for `DateTime<FixedOffset>` fields.
pub(crate) fn fixed<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
    d.deserialize_str(Rfc3339)
}

/// `deserialize_with` for `DateTime<Utc>` fields.
pub(crate) fn utc<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    d.deserialize_str(Rfc3339).map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chrono(text: &str) -> Option<DateTime<FixedOffset>> {
        text.parse().ok()
    }

    proptest! {
        #[test]
        fn agrees_with_chrono_on_generated_times(
            seconds in -2_000_000_000i64..8_000_000_000,
            nanos in 0u32..1_000_000_000,
            digits in 0usize..=9,
            offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59),
            zulu in any::<bool>(),
        ) {
            let offset = if zulu { 0 } else { offset_minutes * 60 };
            let t = FixedOffset::east_opt(offset).unwrap()
                .timestamp_opt(seconds, nanos).unwrap();
            let mut text = t.format("%Y-%m-%dT%H:%M:%S").to_string();
            if digits > 0 {
                text.push_str(&format!(".{:09}", nanos)[..digits + 1]);
            }
            if zulu {
                text.push('Z');
            } else {
                text.push_str(&t.format("%:z").to_string());
            }
            prop_assert_eq!(exact(&text), chrono(&text), "{}", text);
            prop_assert!(exact(&text).is_some(), "{}", text);
            // Equality compares instants only: the offsets must agree too.
            prop_assert_eq!(
                exact(&text).map(|t| *t.offset()),
                chrono(&text).map(|t| *t.offset()),
                "{}", text
            );
        }

        #[test]
        fn never_accepts_what_chrono_rejects(text in "[0-9T:.Z+-]{19,32}") {
            if let Some(t) = exact(&text) {
                prop_assert_eq!(Some(t), chrono(&text), "{}", text);
                prop_assert_eq!(Some(*t.offset()), chrono(&text).map(|t| *t.offset()));
            }
        }
    }

    #[test]
    fn unusual_shapes_go_to_chrono() {
        for text in [
            "2026-11-21t09:15:00z",
            "2026-11-21 09:15:00Z",
            "2026-12-31T23:59:60Z",
            "2026-11-21T09:15:00.1234567891Z",
            "2026-11-21T09:15:00+0100",
            "2026-02-30T09:15:00Z",
            "2026-11-21T24:00:00Z",
            "2026-11-21T23:75:00+05:00",
            "2026-11-21T09:15:00-24:00",
            "+2026-11-21T09:15:00Z",
        ] {
            assert_eq!(exact(text), None, "{text}");
            assert_eq!(parse(text).ok(), chrono(text), "{text}");
        }
    }
}
