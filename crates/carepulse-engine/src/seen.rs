//! The event ids counted within the allowed lateness, for deduplication.
//! Ids are copied into one text buffer per event-time hour instead of one
//! allocation each; forgetting settled hours drops whole buffers.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, BuildHasherDefault};

use hashbrown::HashTable;
use rustc_hash::FxHasher;

/// Where a remembered id's text is: its hour's buffer and the range in it.
#[derive(Debug, Clone, Copy)]
struct Entry {
    minute: i64,
    start: u32,
    len: u32,
}

impl Entry {
    fn hour(&self) -> i64 {
        self.minute.div_euclid(60)
    }
}

/// Remembered event ids with the minute (event time) they were counted in.
#[derive(Debug, Default)]
pub struct SeenIds {
    entries: HashTable<Entry>,
    texts: BTreeMap<i64, String>,
}

fn hash(id: &str) -> u64 {
    BuildHasherDefault::<FxHasher>::default().hash_one(id)
}

/// An id's hash, worked out once for [`SeenIds::contains`] and then
/// [`SeenIds::insert`].
#[derive(Debug, Clone, Copy)]
pub struct IdHash(u64);

impl IdHash {
    /// The hash of `id`.
    pub fn of(id: &str) -> Self {
        IdHash(hash(id))
    }
}

fn text<'t>(texts: &'t BTreeMap<i64, String>, e: &Entry) -> &'t str {
    let buffer = texts.get(&e.hour()).map_or("", String::as_str);
    buffer
        .get(e.start as usize..(e.start + e.len) as usize)
        .unwrap_or("")
}

impl SeenIds {
    /// Whether `id` (whose hash is `id_hash`) is remembered.
    pub fn contains(&self, id: &str, id_hash: IdHash) -> bool {
        self.entries
            .find(id_hash.0, |e| text(&self.texts, e) == id)
            .is_some()
    }

    /// Remembers `id` (whose hash is `id_hash`), counted in `minute`; `id`
    /// must not be remembered yet.
    pub fn insert(&mut self, id: &str, id_hash: IdHash, minute: i64) {
        let SeenIds { entries, texts } = self;
        let buffer = texts.entry(minute.div_euclid(60)).or_default();
        let entry = Entry {
            minute,
            start: buffer.len() as u32,
            len: id.len() as u32,
        };
        buffer.push_str(id);
        entries.insert_unique(id_hash.0, entry, |e| hash(text(texts, e)));
    }

    /// Forgets ids counted before `minute`.
    pub fn forget_before(&mut self, minute: i64) {
        self.entries.retain(|e| e.minute >= minute);
        let first_hour = minute.div_euclid(60);
        self.texts = self.texts.split_off(&first_hour);
    }

    /// Number of ids remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_ids_until_their_hour_is_forgotten() {
        let mut seen = SeenIds::default();
        let has = |seen: &SeenIds, id: &str| seen.contains(id, IdHash::of(id));
        for (i, minute) in [(0, 10), (1, 70), (2, 75), (3, 200)] {
            let id = format!("event-{i}");
            seen.insert(&id, IdHash::of(&id), minute);
        }
        assert!(has(&seen, "event-2"));
        assert!(!has(&seen, "event-9"));
        assert!(!has(&seen, "event-"), "a prefix is not an id");
        seen.forget_before(72);
        assert!(!has(&seen, "event-0"));
        assert!(!has(&seen, "event-1"), "minute 70 is before 72");
        assert!(has(&seen, "event-2"), "same hour, later minute: kept");
        assert!(has(&seen, "event-3"));
        assert_eq!(seen.len(), 2);
        seen.insert("event-0", IdHash::of("event-0"), 80);
        assert!(has(&seen, "event-0"));
    }
}
