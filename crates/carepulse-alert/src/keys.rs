//! The keys an answer counts in (docs/alerting.md): department x stage,
//! department, journey stage (`stage=journey/stage`), experience type,
//! facility, touchpoint and source (the kiosk or gateway), as the alert
//! evaluation used them.

use std::collections::HashMap;

use carepulse_detect::Key;

/// The dimension values of one answer, as stored in `feedback_events`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dims {
    /// Facility id.
    pub facility: String,
    /// Department id.
    pub department: String,
    /// Journey id.
    pub journey: String,
    /// Stage id within the journey.
    pub stage: String,
    /// Touchpoint id.
    pub touchpoint: String,
    /// `patient` or `customer`.
    pub experience: String,
    /// Device or gateway id ('' when absent: no source key).
    pub source_id: String,
}

/// The keys of `dims`. A value that cannot be part of a key (empty, or
/// holding ',' or '=') leaves that key out; catalog ids never do.
pub fn keys_of(dims: &Dims) -> Vec<Key> {
    let stage = format!("{}/{}", dims.journey, dims.stage);
    let mut texts = vec![
        format!("department={},stage={stage}", dims.department),
        format!("department={}", dims.department),
        format!("stage={stage}"),
        format!("experience={}", dims.experience),
        format!("facility={}", dims.facility),
        format!("touchpoint={}", dims.touchpoint),
    ];
    if !dims.source_id.is_empty() {
        texts.push(format!("source={}", dims.source_id));
    }
    texts.iter().filter_map(|t| t.parse().ok()).collect()
}

/// [`keys_of`], remembered per distinct [`Dims`] (there are few: one per
/// touchpoint and source), forgetting everything past `capacity`.
#[derive(Debug, Default)]
pub struct KeyCache {
    known: HashMap<Dims, Vec<Key>>,
}

impl KeyCache {
    const CAPACITY: usize = 100_000;

    /// The keys of `dims`.
    pub fn keys(&mut self, dims: &Dims) -> &[Key] {
        if self.known.len() >= Self::CAPACITY && !self.known.contains_key(dims) {
            self.known.clear();
        }
        self.known
            .entry(dims.clone())
            .or_insert_with(|| keys_of(dims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(source: &str) -> Dims {
        Dims {
            facility: "stmarys-general".into(),
            department: "ed".into(),
            journey: "ed-visit".into(),
            stage: "triage".into(),
            touchpoint: "ed-waiting-kiosk".into(),
            experience: "patient".into(),
            source_id: source.into(),
        }
    }

    #[test]
    fn an_answer_counts_in_seven_keys_or_six_without_a_source() {
        let keys: Vec<String> = keys_of(&dims("kiosk-07"))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            keys,
            [
                "department=ed,stage=ed-visit/triage",
                "department=ed",
                "stage=ed-visit/triage",
                "experience=patient",
                "facility=stmarys-general",
                "touchpoint=ed-waiting-kiosk",
                "source=kiosk-07",
            ]
        );
        assert_eq!(keys_of(&dims("")).len(), 6);
        assert_eq!(keys_of(&dims("a=b")).len(), 6, "a bad value drops its key");
    }
}
