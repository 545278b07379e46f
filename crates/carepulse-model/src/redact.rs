//! Redaction of free-text comments before they leave the ingest service:
//! e-mail addresses, phone numbers and record-number-like digit runs are
//! replaced by a marker saying what was there.
//!
//! Names are not detected: doing that reliably needs a language model, and a
//! false sense of safety is worse than none. Comments therefore stay
//! health-adjacent data and are stored with the same care as the rest.

use std::sync::OnceLock;

use regex::Regex;

/// What redaction did to a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    /// The comment with identifiers replaced.
    pub text: String,
    /// How many e-mail addresses were replaced.
    pub emails: usize,
    /// How many phone numbers were replaced.
    pub phones: usize,
    /// How many record-number-like digit runs were replaced.
    pub numbers: usize,
}

impl Redacted {
    /// Whether anything was replaced.
    pub fn changed(&self) -> bool {
        self.emails + self.phones + self.numbers > 0
    }
}

fn email() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
            .expect("valid pattern")
    })
}

/// A run of digits with the separators phone numbers use; counted as a phone
/// number when it holds at least 9 digits.
fn phone_like() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\+?\(?\d[\d\s().-]{6,}\d").expect("valid pattern"))
}

/// Six or more digits in a row, possibly glued to letters (`MRN00123456`).
fn digit_run() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\d{6,}").expect("valid pattern"))
}

/// Replaces e-mail addresses with `[email]`, phone numbers (9+ digits,
/// spaces, dashes, dots and brackets allowed) with `[phone]`, and other runs
/// of 6+ digits with `[number]`.
pub fn redact_comment(comment: &str) -> Redacted {
    let mut emails = 0;
    let text = email().replace_all(comment, |_: &regex::Captures<'_>| {
        emails += 1;
        "[email]"
    });
    let mut phones = 0;
    let text = phone_like().replace_all(&text, |caps: &regex::Captures<'_>| {
        let found = &caps[0];
        if found.bytes().filter(u8::is_ascii_digit).count() >= 9 {
            phones += 1;
            // Keep the whitespace the pattern swallowed at neither end.
            "[phone]".to_owned()
        } else {
            found.to_owned()
        }
    });
    let mut numbers = 0;
    let text = digit_run().replace_all(&text, |_: &regex::Captures<'_>| {
        numbers += 1;
        "[number]"
    });
    Redacted {
        text: text.into_owned(),
        emails,
        phones,
        numbers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_replaced_and_counted() {
        let r = redact_comment(
            "Call me on 07700 900123 or +44 (0)20 7946 0958, or mail jan.de.vries@example.nl. MRN00123456, ward 7.",
        );
        assert_eq!(
            r.text,
            "Call me on [phone] or [phone], or mail [email]. MRN[number], ward 7."
        );
        assert_eq!((r.emails, r.phones, r.numbers), (1, 2, 1));
        assert!(r.changed());
    }

    #[test]
    fn dutch_numbers_and_nhs_numbers_are_caught() {
        let r = redact_comment("Bel 06-12345678. NHS nummer 943 476 5919.");
        assert_eq!(r.text, "Bel [phone]. NHS nummer [phone].");
    }

    #[test]
    fn ordinary_numbers_dates_and_times_stay() {
        let text =
            "Waited 4 hours (from 14:30) on 21/11/2026 and 2026-11-21, room 12, paid £1,200.";
        let r = redact_comment(text);
        assert_eq!(r.text, text);
        assert!(!r.changed());
    }
}
