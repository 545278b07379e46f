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

fn text<'t>(texts: &'t BTreeMap<i64, String>, e: &Entry) -> &'t str {
    let buffer = texts.get(&e.hour()).map_or("", String::as_str);
    buffer
        .get(e.start as usize..(e.start + e.len) as usize)
        .unwrap_or("")
}

impl SeenIds {
    /// Whether `id` is remembered.
    pub fn contains(&self, id: &str) -> bool {
        self.entries
            .find(hash(id), |e| text(&self.texts, e) == id)
            .is_some()
    }

    /// Remembers `id`, counted in `minute`; `id` must not be remembered yet.
    pub fn insert(&mut self, id: &str, minute: i64) {
        let SeenIds { entries, texts } = self;
        let buffer = texts.entry(minute.div_euclid(60)).or_default();
        let entry = Entry {
            minute,
            start: buffer.len() as u32,
            len: id.len() as u32,
        };
        buffer.push_str(id);
        entries.insert_unique(hash(id), entry, |e| hash(text(texts, e)));
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
        for (i, minute) in [(0, 10), (1, 70), (2, 75), (3, 200)] {
            seen.insert(&format!("event-{i}"), minute);
        }
        assert!(seen.contains("event-2"));
        assert!(!seen.contains("event-9"));
        assert!(!seen.contains("event-"), "a prefix is not an id");
        seen.forget_before(72);
        assert!(!seen.contains("event-0"));
        assert!(!seen.contains("event-1"), "minute 70 is before 72");
        assert!(seen.contains("event-2"), "same hour, later minute: kept");
        assert!(seen.contains("event-3"));
        assert_eq!(seen.len(), 2);
        seen.insert("event-0", 80);
        assert!(seen.contains("event-0"));
    }
}
