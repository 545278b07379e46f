//! Free-text comments in English and Dutch, matching the tone of the
//! answer, some with a phone number, an e-mail address or a record number
//! that carepulse must redact before storage.
//!
//! Phone numbers come from ranges reserved for drama and tests (UK 07700
//! 900xxx, Dutch 06-1234xxxx), e-mail addresses from `example.org` and
//! `example.nl`: no real person can be reached through a generated comment.

use carepulse_model::Polarity;
use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The languages comments are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    English,
    Dutch,
}

impl Language {
    /// The language of a BCP 47 tag, if comments can be written in it.
    pub(crate) fn of(locale: &str) -> Option<Language> {
        match locale.split('-').next().unwrap_or_default() {
            "en" => Some(Language::English),
            "nl" => Some(Language::Dutch),
            _ => None,
        }
    }
}

const EN_POSITIVE: &[&str] = &[
    "Staff were kind and explained everything clearly.",
    "Quick and friendly, thank you.",
    "The nurse took time to listen to my mum.",
    "Much better than last time, well organised.",
    "Everyone was professional and caring.",
    "Seen on time and the doctor was great.",
];
const EN_NEUTRAL: &[&str] = &[
    "It was fine, a bit of a wait.",
    "OK overall but the signs are confusing.",
    "Nothing special, did the job.",
    "Parking was difficult but the care was good.",
    "Average. The waiting room was crowded.",
];
const EN_NEGATIVE: &[&str] = &[
    "Waited almost four hours and nobody told us why.",
    "The receptionist was rude and the toilets were dirty.",
    "Nobody explained what happens next.",
    "My appointment was cancelled twice without notice.",
    "Too noisy at night to get any sleep.",
    "The prescription was still not ready after three days.",
];
const NL_POSITIVE: &[&str] = &[
    "Vriendelijk personeel, alles goed uitgelegd.",
    "Snel geholpen, dank jullie wel.",
    "De verpleegkundige nam echt de tijd voor mijn vader.",
    "Goed georganiseerd en op tijd.",
    "Heel professioneel en betrokken.",
];
const NL_NEUTRAL: &[&str] = &[
    "Prima, wel even wachten.",
    "Redelijk, maar de bewegwijzering is onduidelijk.",
    "Niets bijzonders.",
    "Parkeren was lastig, de zorg was goed.",
];
const NL_NEGATIVE: &[&str] = &[
    "Bijna vier uur gewacht zonder uitleg.",
    "De baliemedewerker was onvriendelijk.",
    "Niemand vertelde wat de volgende stap is.",
    "Mijn afspraak is twee keer zonder bericht verzet.",
    "Het recept was na drie dagen nog steeds niet klaar.",
];

const NAMES: &[&str] = &[
    "j.smith",
    "a.patel",
    "m.jones",
    "s.devries",
    "p.jansen",
    "k.bakker",
];

fn phrases(language: Language, polarity: Polarity) -> &'static [&'static str] {
    use Polarity::{Negative, Positive};
    match (language, polarity) {
        (Language::English, Positive) => EN_POSITIVE,
        (Language::English, Negative) => EN_NEGATIVE,
        (Language::English, _) => EN_NEUTRAL,
        (Language::Dutch, Positive) => NL_POSITIVE,
        (Language::Dutch, Negative) => NL_NEGATIVE,
        (Language::Dutch, _) => NL_NEUTRAL,
    }
}

/// A sentence holding an identifier the ingest service must redact.
fn identifier(rng: &mut ChaCha8Rng, language: Language) -> String {
    let name = NAMES.choose(rng).expect("names are listed");
    match (language, rng.random_range(0..3)) {
        (Language::English, 0) => format!("Call me on 07700 900{:03}.", rng.random_range(0..1000)),
        (Language::English, 1) => format!("Please email me at {name}@example.org."),
        (Language::English, _) => format!(
            "My hospital number is {:08}.",
            rng.random_range(0..100_000_000u32)
        ),
        (Language::Dutch, 0) => format!("Bel mij op 06-1234{:04}.", rng.random_range(0..10_000)),
        (Language::Dutch, 1) => format!("Mail mij op {name}@example.nl."),
        (Language::Dutch, _) => format!(
            "Mijn patiëntnummer is {:08}.",
            rng.random_range(0..100_000_000u32)
        ),
    }
}

/// A comment in `language` whose tone follows `polarity`; with an
/// identifier sentence when `with_identifier`.
pub(crate) fn comment(
    rng: &mut ChaCha8Rng,
    language: Language,
    polarity: Polarity,
    with_identifier: bool,
) -> String {
    let text = phrases(language, polarity)
        .choose(rng)
        .expect("every bank has phrases");
    if with_identifier {
        format!("{text} {}", identifier(rng, language))
    } else {
        (*text).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carepulse_model::redact_comment;
    use rand::SeedableRng;

    #[test]
    fn identifiers_are_found_by_the_redactor_in_both_languages() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for language in [Language::English, Language::Dutch] {
            for _ in 0..50 {
                let text = comment(&mut rng, language, Polarity::Negative, true);
                assert!(redact_comment(&text).changed(), "not redacted: {text}");
                let plain = comment(&mut rng, language, Polarity::Positive, false);
                assert!(!redact_comment(&plain).changed(), "redacted: {plain}");
            }
        }
    }

    #[test]
    fn locales_map_to_languages() {
        assert_eq!(Language::of("en-GB"), Some(Language::English));
        assert_eq!(Language::of("nl"), Some(Language::Dutch));
        assert_eq!(Language::of("fr-BE"), None);
    }
}
