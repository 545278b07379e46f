//! What a score is kept for: a [`Key`] of `dimension=value` parts
//! (`department=ed,stage=ed-visit/triage`), and [`KeyPattern`]s that pick
//! keys for a configuration rule (`department=*,stage=ed-visit/*`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a key or key pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A part without `=`, with an empty side, or a dimension that is not
    /// a lowercase slug.
    #[error("'{part}' is not dimension=value: dimensions are lowercase letters, digits and _, values are not empty and hold no ',' or '='")]
    Part {
        /// The offending part.
        part: String,
    },
    /// The same dimension twice.
    #[error("dimension '{0}' appears twice")]
    Repeated(String),
    /// No parts at all.
    #[error("a key needs at least one dimension=value part")]
    Empty,
}

/// An ordered list of `dimension=value` parts naming one rolling score,
/// written `department=ed,stage=ed-visit/triage`. Parts keep the order they
/// are given in; two keys with the same parts in another order differ.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Key {
    parts: Vec<(String, String)>,
}

fn is_dimension(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn is_value(s: &str) -> bool {
    !s.is_empty() && !s.contains([',', '='])
}

/// Splits `a=b,c=d` into checked pairs; `value_ok` checks each value.
fn split(text: &str, value_ok: fn(&str) -> bool) -> Result<Vec<(String, String)>, KeyError> {
    let mut parts: Vec<(String, String)> = Vec::new();
    for part in text.split(',') {
        let bad = || KeyError::Part {
            part: part.to_owned(),
        };
        let (dimension, value) = part.trim().split_once('=').ok_or_else(bad)?;
        if !is_dimension(dimension) || !value_ok(value) {
            return Err(bad());
        }
        if parts.iter().any(|(d, _)| d == dimension) {
            return Err(KeyError::Repeated(dimension.to_owned()));
        }
        parts.push((dimension.to_owned(), value.to_owned()));
    }
    Ok(parts)
}

impl Key {
    /// A key from its parts, checked.
    pub fn new<D: Into<String>, V: Into<String>>(
        parts: impl IntoIterator<Item = (D, V)>,
    ) -> Result<Key, KeyError> {
        let parts: Vec<String> = parts
            .into_iter()
            .map(|(d, v)| format!("{}={}", d.into(), v.into()))
            .collect();
        if parts.is_empty() {
            return Err(KeyError::Empty);
        }
        parts.join(",").parse()
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[(String, String)] {
        &self.parts
    }

    /// The value of one dimension.
    pub fn get(&self, dimension: &str) -> Option<&str> {
        self.parts
            .iter()
            .find(|(d, _)| d == dimension)
            .map(|(_, v)| v.as_str())
    }
}

impl FromStr for Key {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Key, KeyError> {
        if text.trim().is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(Key {
            parts: split(text, is_value)?,
        })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (d, v)) in self.parts.iter().enumerate() {
            let comma = if i == 0 { "" } else { "," };
            write!(f, "{comma}{d}={v}")?;
        }
        Ok(())
    }
}

impl TryFrom<String> for Key {
    type Error = KeyError;

    fn try_from(text: String) -> Result<Key, KeyError> {
        text.parse()
    }
}

impl From<Key> for String {
    fn from(key: Key) -> String {
        key.to_string()
    }
}

/// Picks keys: `*` matches every key; otherwise `dimension=glob` parts, in
/// any order, matching keys with exactly those dimensions (a final `,*`
/// allows more). In a glob `*` matches any run of characters and `?` one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPattern {
    parts: Vec<(String, String)>,
    open: bool,
}

impl FromStr for KeyPattern {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<KeyPattern, KeyError> {
        let text = text.trim();
        if text == "*" {
            return Ok(KeyPattern {
                parts: Vec::new(),
                open: true,
            });
        }
        let (text, open) = match text.strip_suffix(",*") {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        Ok(KeyPattern {
            parts: split(text, is_value)?,
            open,
        })
    }
}

impl KeyPattern {
    /// Whether `key` is one of the keys this pattern picks.
    pub fn matches(&self, key: &Key) -> bool {
        let dimensions_fit = self.open || key.parts.len() == self.parts.len();
        dimensions_fit
            && self
                .parts
                .iter()
                .all(|(d, glob)| key.get(d).is_some_and(|v| glob_matches(glob, v)))
    }
}

/// Glob matching with `*` and `?`, by backtracking over the last `*`.
fn glob_matches(glob: &str, text: &str) -> bool {
    let (g, t): (Vec<char>, Vec<char>) = (glob.chars().collect(), text.chars().collect());
    let (mut gi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == t[ti]) {
            gi += 1;
            ti += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some((gi, ti));
            gi += 1;
        } else if let Some((star_g, star_t)) = star {
            gi = star_g + 1;
            ti = star_t + 1;
            star = Some((star_g, star_t + 1));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        text.parse().unwrap()
    }

    fn pattern(text: &str) -> KeyPattern {
        text.parse().unwrap()
    }

    #[test]
    fn keys_parse_print_and_serialise_as_text() {
        let k = key("department=ed,stage=ed-visit/triage");
        assert_eq!(k.to_string(), "department=ed,stage=ed-visit/triage");
        assert_eq!(k.get("stage"), Some("ed-visit/triage"));
        assert_eq!(
            Key::new([("department", "ed"), ("stage", "ed-visit/triage")]),
            Ok(k.clone())
        );
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(json, "\"department=ed,stage=ed-visit/triage\"");
        assert_eq!(serde_json::from_str::<Key>(&json).unwrap(), k);
    }

    #[test]
    fn broken_keys_say_what_is_wrong() {
        assert!(matches!("ed".parse::<Key>(), Err(KeyError::Part { .. })));
        assert!(matches!(
            "Dept=ed".parse::<Key>(),
            Err(KeyError::Part { .. })
        ));
        assert!(matches!(
            "department=".parse::<Key>(),
            Err(KeyError::Part { .. })
        ));
        assert_eq!(
            "a=1,a=2".parse::<Key>(),
            Err(KeyError::Repeated("a".into()))
        );
        assert_eq!(
            Key::new(Vec::<(String, String)>::new()),
            Err(KeyError::Empty)
        );
    }

    #[test]
    fn patterns_match_dimensions_exactly_unless_left_open() {
        let stage = key("department=ed,stage=ed-visit/triage");
        assert!(pattern("*").matches(&stage));
        assert!(pattern("stage=ed-visit/*,department=*").matches(&stage));
        assert!(
            !pattern("department=*").matches(&stage),
            "a dimension short"
        );
        assert!(pattern("department=*,*").matches(&stage));
        assert!(!pattern("department=out*,*").matches(&stage));
        assert!(pattern("department=e?").matches(&key("department=ed")));
        assert!(!pattern("department=*,stage=*,device=*").matches(&stage));
    }

    #[test]
    fn globs_backtrack() {
        assert!(glob_matches("*", ""));
        assert!(glob_matches("kiosk-*-0?", "kiosk-opd-02"));
        assert!(glob_matches("*a*b", "xaxxab"));
        assert!(!glob_matches("*a*b", "xaxxa"));
        assert!(!glob_matches("kiosk-?", "kiosk-12"));
        assert!(glob_matches("a**", "a"));
    }
}
