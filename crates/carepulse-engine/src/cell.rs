//! Cells: the finest grain scores are counted at (facility, organisation,
//! department, journey, stage, experience type, channel, respondent role,
//! questionnaire, question, scale), and the interner that keeps their
//! strings shared so that hashing a cell costs pointer hashes, not string
//! hashes.

use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use carepulse_model::{EventAnswer, FeedbackEvent, Scale};

/// An interned string. Equality and hashing use the pointer, so symbols
/// must come from one [`Interner`]; ordering uses the text, so output is
/// deterministic.
#[derive(Clone)]
pub struct Sym(Arc<str>);

impl Sym {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for Sym {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Sym {}

impl Hash for Sym {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.0).cast::<u8>(), state);
    }
}

impl PartialOrd for Sym {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sym {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.0)
    }
}

/// Hands out one shared [`Sym`] per distinct string. Grows with the number
/// of distinct ids (catalog-sized), not with the number of events.
#[derive(Debug, Default)]
pub struct Interner {
    symbols: HashSet<Arc<str>>,
}

impl Interner {
    /// The symbol for `text`.
    pub fn intern(&mut self, text: &str) -> Sym {
        if let Some(existing) = self.symbols.get(text) {
            return Sym(Arc::clone(existing));
        }
        let new: Arc<str> = Arc::from(text);
        self.symbols.insert(Arc::clone(&new));
        Sym(new)
    }
}

/// The dimensions of a cell, in this order.
pub const DIMENSIONS: [&str; 9] = [
    "facility",
    "organisation",
    "department",
    "journey",
    "stage",
    "experience",
    "channel",
    "respondent_role",
    "questionnaire",
];

/// The symbol that stands for "all values" in a rolled-up dimension.
pub const ALL: &str = "*";

/// A cell: the dimensions of an answer, the question and its scale.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    /// Values of [`DIMENSIONS`], in order; `*` where rolled up.
    pub dims: [Sym; 9],
    /// Question id (`overall`, `wait_time`, ...).
    pub question: Sym,
    /// The question's scale.
    pub scale: Scale,
}

impl Interner {
    /// The dimensions of an event.
    pub fn dims(&mut self, e: &FeedbackEvent) -> [Sym; 9] {
        [
            self.intern(&e.facility),
            self.intern(&e.organisation),
            self.intern(&e.department),
            self.intern(&e.journey),
            self.intern(&e.stage),
            self.intern(e.experience.as_str()),
            self.intern(e.channel.as_str()),
            self.intern(e.respondent_role.as_str()),
            self.intern(&e.questionnaire),
        ]
    }

    /// The cell of one answer of an event with dimensions `dims`.
    pub fn cell(&mut self, dims: &[Sym; 9], answer: &EventAnswer) -> Cell {
        Cell {
            dims: dims.clone(),
            question: self.intern(&answer.question),
            scale: answer.scale,
        }
    }
}
