//! Subject and journey-instance references: raw on the way in, keyed hashes
//! from then on.
//!
//! A [`RawReference`] can be deserialised but has no `Serialize` impl and a
//! redacting `Debug`, so no code path can write it to Kafka, ClickHouse or a
//! log by accident; the only way forward is [`Pseudonymiser::pseudonymise`].
//!
//! ```compile_fail
//! // A raw reference cannot be serialised: this does not compile.
//! let raw: carepulse_model::RawReference = serde_json::from_str("\"MRN-1234\"").unwrap();
//! serde_json::to_string(&raw).unwrap();
//! ```

use std::fmt;

use hmac::{Hmac, Mac};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Longest raw reference accepted, in bytes.
pub const MAX_REFERENCE_LEN: usize = 256;

/// A raw identifier (medical record number, visit id, ...) as a client sent
/// it. Deserialise-only; see the module docs.
#[derive(Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct RawReference(#[schemars(length(min = 1, max = 256))] String);

impl RawReference {
    /// Length in bytes, for validation.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the reference is empty.
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for RawReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawReference(<redacted>)")
    }
}

/// What a reference identifies; hashed under different labels so a subject
/// pseudonym can never be matched with a journey-instance pseudonym.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    /// A patient or other respondent.
    Subject,
    /// One pass through a journey (a visit, an admission, a prescription).
    JourneyInstance,
}

impl ReferenceKind {
    fn label(self) -> &'static [u8] {
        match self {
            ReferenceKind::Subject => b"carepulse/subject/v1",
            ReferenceKind::JourneyInstance => b"carepulse/journey-instance/v1",
        }
    }
}

/// A keyed hash of a raw reference: `KEYID:32 hex digits` (128 bits of
/// HMAC-SHA256). Equal raw values under the same key give equal pseudonyms,
/// so visits of one patient can be linked without knowing who they are.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Pseudonym(#[schemars(regex(pattern = r"^[a-z0-9_-]{1,16}:[0-9a-f]{32}$"))] String);

impl Pseudonym {
    /// The pseudonym as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A pseudonym read back from a published event (decoding accepts any
    /// string here, as the `Deserialize` impl does).
    pub(crate) fn from_stored(text: String) -> Self {
        Pseudonym(text)
    }
}

/// Why a pseudonymisation key is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KeyError {
    /// Too few bytes to resist guessing.
    #[error("pseudonymisation key is {0} bytes; use at least 32 random bytes")]
    TooShort(usize),
    /// The key id would not fit the pseudonym format.
    #[error("pseudonymisation key id '{0}' must be 1-16 characters of a-z, 0-9, '_' or '-'")]
    BadKeyId(String),
}

/// Turns raw references into pseudonyms with a secret key.
#[derive(Clone)]
pub struct Pseudonymiser {
    key_id: String,
    mac: Hmac<Sha256>,
}

impl Pseudonymiser {
    /// Minimum key length in bytes.
    pub const MIN_KEY_LEN: usize = 32;

    /// A pseudonymiser for `key` (at least 32 bytes), whose id is written
    /// into every pseudonym so that a key rotation is visible in the data.
    pub fn new(key_id: &str, key: &[u8]) -> Result<Self, KeyError> {
        let id_ok = (1..=16).contains(&key_id.len())
            && key_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !id_ok {
            return Err(KeyError::BadKeyId(key_id.to_owned()));
        }
        if key.len() < Self::MIN_KEY_LEN {
            return Err(KeyError::TooShort(key.len()));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
        Ok(Pseudonymiser {
            key_id: key_id.to_owned(),
            mac,
        })
    }

    /// The pseudonym of `raw` as a reference of `kind`.
    pub fn pseudonymise(&self, kind: ReferenceKind, raw: &RawReference) -> Pseudonym {
        let mut mac = self.mac.clone();
        mac.update(kind.label());
        mac.update(&[0]);
        mac.update(raw.0.trim().as_bytes());
        let digest = mac.finalize().into_bytes();
        Pseudonym(format!("{}:{}", self.key_id, hex::encode(&digest[..16])))
    }
}

impl fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pseudonymiser")
            .field("key_id", &self.key_id)
            .field("key", &"<secret>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> RawReference {
        serde_json::from_value(serde_json::Value::String(s.into())).unwrap()
    }

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn pseudonyms_are_stable_keyed_and_kind_separated() {
        let p = Pseudonymiser::new("k1", KEY).unwrap();
        let a = p.pseudonymise(ReferenceKind::Subject, &raw("MRN-0042"));
        assert_eq!(a, p.pseudonymise(ReferenceKind::Subject, &raw("MRN-0042")));
        assert!(a.as_str().starts_with("k1:"));
        assert_eq!(a.as_str().len(), 3 + 32);
        assert!(!a.as_str().contains("0042"));
        assert_ne!(
            a,
            p.pseudonymise(ReferenceKind::JourneyInstance, &raw("MRN-0042"))
        );
        let other_key = Pseudonymiser::new("k2", b"another key of at least 32 bytes!!").unwrap();
        let b = other_key.pseudonymise(ReferenceKind::Subject, &raw("MRN-0042"));
        assert_ne!(a.as_str()[3..], b.as_str()[3..]);
    }

    #[test]
    fn hmac_matches_the_rfc_4231_construction() {
        // Recompute by hand to pin the format: HMAC-SHA256(key, label 0x00 raw).
        let p = Pseudonymiser::new("k1", KEY).unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(KEY).unwrap();
        mac.update(b"carepulse/subject/v1\0MRN-0042");
        let expected = hex::encode(&mac.finalize().into_bytes()[..16]);
        let got = p.pseudonymise(ReferenceKind::Subject, &raw(" MRN-0042 "));
        assert_eq!(got.as_str(), format!("k1:{expected}"));
    }

    #[test]
    fn weak_keys_and_bad_ids_are_refused() {
        assert_eq!(
            Pseudonymiser::new("k1", b"short").unwrap_err(),
            KeyError::TooShort(5)
        );
        assert!(matches!(
            Pseudonymiser::new("Key 1", KEY),
            Err(KeyError::BadKeyId(_))
        ));
    }

    #[test]
    fn debug_output_never_shows_raw_values_or_keys() {
        assert_eq!(format!("{:?}", raw("MRN-0042")), "RawReference(<redacted>)");
        let p = Pseudonymiser::new("k1", KEY).unwrap();
        assert!(!format!("{p:?}").contains("0123"));
    }
}
