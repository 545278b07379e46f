//! Validation problems: a field path, a stable code and a reason a kiosk
//! integrator can act on.

use std::fmt;

use serde::Serialize;

/// Machine-readable kind of problem; the names are stable (they become
/// metric labels and API error codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// The body is not JSON.
    MalformedJson,
    /// A required field is absent.
    Missing,
    /// A field has the wrong JSON type or an unknown enum value.
    WrongType,
    /// A field that the format does not define.
    UnknownField,
    /// An id that the catalog does not know.
    UnknownReference,
    /// Fields that contradict each other or the catalog.
    Inconsistent,
    /// An answer that is not on its scale.
    OutOfScale,
    /// A time too far in the future or the past.
    TimeOutOfRange,
    /// A value too long, too short or badly formed.
    BadValue,
}

impl ProblemCode {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::MalformedJson => "malformed_json",
            ProblemCode::Missing => "missing",
            ProblemCode::WrongType => "wrong_type",
            ProblemCode::UnknownField => "unknown_field",
            ProblemCode::UnknownReference => "unknown_reference",
            ProblemCode::Inconsistent => "inconsistent",
            ProblemCode::OutOfScale => "out_of_scale",
            ProblemCode::TimeOutOfRange => "time_out_of_range",
            ProblemCode::BadValue => "bad_value",
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing wrong with a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Path of the field: `answers.items[2].value`; empty for the whole body.
    pub field: String,
    /// Kind of problem.
    pub code: ProblemCode,
    /// What is wrong, in words.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", self.field, self.reason)
        }
    }
}

/// Every problem found in one submission, in field order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, thiserror::Error)]
#[serde(transparent)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// Adds a problem.
    pub fn push(&mut self, field: impl Into<String>, code: ProblemCode, reason: impl Into<String>) {
        self.0.push(Problem {
            field: field.into(),
            code,
            reason: reason.into(),
        });
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was found.
    pub fn into_result<T>(self, value: T) -> Result<T, Problems> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// The problems.
    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(Problem::to_string).collect();
        f.write_str(&lines.join("; "))
    }
}
