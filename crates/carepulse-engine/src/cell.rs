//! Cells: the finest grain scores are counted at (facility, organisation,
//! department, journey, stage, experience type, channel, respondent role,
//! questionnaire, question, scale). [`CellIndex`] gives each cell a dense
//! integer id, found from an event's borrowed strings with two hash lookups
//! per answer and no allocation; the engine counts by id, and the [`Cell`]
//! (shared strings) is built once, when the id is handed out.

use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use carepulse_model::{EventView, Scale};
use hashbrown::HashTable;
use rustc_hash::FxHasher;

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

/// The dimension values of an event, in the order of [`DIMENSIONS`].
pub fn dimensions<'e>(e: &'e EventView<'_>) -> [&'e str; 9] {
    [
        &e.facility,
        &e.organisation,
        &e.department,
        &e.journey,
        &e.stage,
        e.experience.as_str(),
        e.channel.as_str(),
        e.respondent_role.as_str(),
        &e.questionnaire,
    ]
}

fn hash_dims(dims: &[&str; 9]) -> u64 {
    let mut h = FxHasher::default();
    dims.hash(&mut h);
    h.finish()
}

fn hash_cell(dims: u32, question: &str, scale: Scale) -> u64 {
    let mut h = FxHasher::default();
    (dims, question, scale).hash(&mut h);
    h.finish()
}

/// A cell's id with what it is looked up by, kept in the table itself so
/// that a lookup reads no other memory (question texts are few and stay
/// in cache).
#[derive(Debug)]
struct CellKey {
    dims: u32,
    scale: Scale,
    question: Sym,
    id: u32,
}

/// Dense ids for the dimension tuples and cells seen so far. Grows with the
/// number of distinct cells (catalog-sized), never with events.
#[derive(Debug, Default)]
pub struct CellIndex {
    interner: Interner,
    dims: Vec<[Sym; 9]>,
    dims_ids: HashTable<u32>,
    cells: Vec<Arc<Cell>>,
    cell_ids: HashTable<CellKey>,
}

impl CellIndex {
    /// The interner the cells' strings come from.
    pub fn interner(&mut self) -> &mut Interner {
        &mut self.interner
    }

    /// The id of a dimension tuple, handed out on first sight.
    pub fn dims_id(&mut self, values: [&str; 9]) -> u32 {
        let hash = hash_dims(&values);
        let CellIndex {
            interner,
            dims,
            dims_ids,
            ..
        } = self;
        let same = |id: &u32| {
            dims[*id as usize]
                .iter()
                .zip(values)
                .all(|(a, b)| a.as_str() == b)
        };
        if let Some(id) = dims_ids.find(hash, same) {
            return *id;
        }
        let id = dims.len() as u32;
        dims.push(values.map(|v| interner.intern(v)));
        dims_ids.insert_unique(hash, id, |id| {
            hash_dims(&dims[*id as usize].each_ref().map(Sym::as_str))
        });
        id
    }

    /// The id of the cell of `question` on `scale` within dimension tuple
    /// `dims`, and whether it is new.
    pub fn cell_id(&mut self, dims: u32, question: &str, scale: Scale) -> (u32, bool) {
        let hash = hash_cell(dims, question, scale);
        let same =
            |k: &CellKey| k.dims == dims && k.scale == scale && k.question.as_str() == question;
        if let Some(key) = self.cell_ids.find(hash, same) {
            return (key.id, false);
        }
        let id = self.cells.len() as u32;
        let question = self.interner.intern(question);
        self.cells.push(Arc::new(Cell {
            dims: self.dims[dims as usize].clone(),
            question: question.clone(),
            scale,
        }));
        let key = CellKey {
            dims,
            scale,
            question,
            id,
        };
        self.cell_ids.insert_unique(hash, key, |k| {
            hash_cell(k.dims, k.question.as_str(), k.scale)
        });
        (id, true)
    }

    /// The cell with id `id`.
    pub fn cell(&self, id: u32) -> &Arc<Cell> {
        &self.cells[id as usize]
    }
}
