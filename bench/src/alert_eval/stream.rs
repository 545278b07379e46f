//! Simulated hospitals as streams of visible answers: the shipped
//! scenarios with their incidents replaced by the evaluation's own, every
//! item validated and turned into an event as the ingest service would, and
//! each answer counted in the keys the stream processor will keep.

use std::collections::HashMap;

use anyhow::{anyhow, Context};
use carepulse_detect::Key;
use carepulse_model::{
    decode_press, decode_submission, validate, Catalog, FeedbackEvent, Limits, Pseudonymiser,
    Tally, ValidationContext,
};
use carepulse_simulator::{Endpoint, Item, ItemKind, Run, Scenario, ScenarioFile};

/// A shipped scenario without its incidents, ready to take others.
pub struct Hospital {
    /// The scenario's file name without `.toml`.
    pub name: String,
    catalog: Catalog,
    text: String,
}

impl Hospital {
    /// Loads `deploy/scenarios/NAME.toml` and its catalog; everything from
    /// the first `[[incidents]]` on is dropped.
    pub fn load(name: &str) -> anyhow::Result<Hospital> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/scenarios");
        let path = format!("{dir}/{name}.toml");
        let full = std::fs::read_to_string(&path).with_context(|| path.clone())?;
        let file = ScenarioFile::from_toml(&full)?;
        let catalog_path = format!("{dir}/{}", file.catalog());
        let catalog = Catalog::from_toml(&std::fs::read_to_string(&catalog_path)?)?;
        let text = full
            .split("[[incidents]]")
            .next()
            .unwrap_or_default()
            .to_owned();
        Ok(Hospital {
            name: name.to_owned(),
            catalog,
            text,
        })
    }

    /// The scenario with `incidents` (TOML `[[incidents]]` tables).
    pub fn scenario(&self, incidents: &str) -> anyhow::Result<Scenario> {
        let file = ScenarioFile::from_toml(&format!("{}\n{incidents}", self.text))?;
        file.check(&self.catalog)
            .map_err(|e| anyhow!("{}: {e}", self.name))
    }

    /// A touchpoint's `top_box` in the scenario file.
    pub fn top_box(&self, touchpoint: &str) -> anyhow::Result<f64> {
        let value: toml::Value = toml::from_str(&self.text)?;
        value["touchpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["touchpoint"].as_str() == Some(touchpoint))
            .and_then(|t| t["top_box"].as_float())
            .ok_or_else(|| anyhow!("no touchpoint {touchpoint} in {}", self.name))
    }

    /// The visible answers of a run, in arrival order.
    pub fn answers<'a>(
        &'a self,
        scenario: &'a Scenario,
        run: &Run,
        keys: &'a mut KeySet,
    ) -> impl Iterator<Item = Answer> + 'a {
        let key = Pseudonymiser::new("eval", &[9; 32]).expect("a valid key");
        scenario
            .stream(run)
            .filter(|i| matches!(i.kind, ItemKind::Submission | ItemKind::KioskPress))
            .map(move |item| {
                let event = self.event(&item, &key);
                let mut tally = Tally::default();
                let response = event.overall.scale.parse(&event.overall.value);
                tally.record(&response.expect("validated answers parse"));
                Answer {
                    at: item.at,
                    keys: keys.of(&event),
                    tally,
                    incident: item.incident.is_some(),
                }
            })
    }

    /// Decodes and validates an item as the ingest service does.
    fn event(&self, item: &Item, key: &Pseudonymiser) -> FeedbackEvent {
        let limits = Limits::default();
        let cx = ValidationContext {
            catalog: &self.catalog,
            now: item.at,
            limits: &limits,
        };
        let submission = match item.endpoint {
            Endpoint::Feedback => decode_submission(item.body.as_bytes()),
            Endpoint::KioskPresses => decode_press(item.body.as_bytes())
                .and_then(|p| p.into_submission(&self.catalog, item.at.fixed_offset())),
        };
        let valid = submission
            .and_then(|s| validate(s, &cx))
            .unwrap_or_else(|p| panic!("a simulated answer was refused: {p}\n{}", item.body));
        valid.into_event(key, item.at)
    }
}

/// One answer as the detectors see it: when it became visible, which keys
/// count it, and its tally.
pub struct Answer {
    /// Arrival time.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Indices into the [`KeySet`].
    pub keys: Vec<usize>,
    /// The one answer, counted.
    pub tally: Tally,
    /// Made or changed by an incident (a visit inside a drop's window).
    pub incident: bool,
}

/// The keys of a run, numbered in the order they are first seen.
#[derive(Default)]
pub struct KeySet {
    keys: Vec<Key>,
    index: HashMap<String, usize>,
    /// The key indices of each (touchpoint, source) seen.
    routes: HashMap<(String, Option<String>), Vec<usize>>,
}

impl KeySet {
    /// Every key.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The index of a key, if seen.
    pub fn find(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    fn intern(&mut self, text: String) -> usize {
        if let Some(i) = self.index.get(&text) {
            return *i;
        }
        let key: Key = text.parse().expect("catalog ids make valid keys");
        self.keys.push(key);
        self.index.insert(text, self.keys.len() - 1);
        self.keys.len() - 1
    }

    /// The keys an event counts in: department x stage, department, journey
    /// stage, experience type, facility, touchpoint, and its source (the
    /// kiosk device or gateway), as the processor will keep them.
    fn of(&mut self, e: &FeedbackEvent) -> Vec<usize> {
        let route = (e.touchpoint.clone(), e.source_id.clone());
        if let Some(keys) = self.routes.get(&route) {
            return keys.clone();
        }
        let stage = format!("{}/{}", e.journey, e.stage);
        let mut texts = vec![
            format!("department={},stage={stage}", e.department),
            format!("department={}", e.department),
            format!("stage={stage}"),
            format!("experience={}", e.experience.as_str()),
            format!("facility={}", e.facility),
            format!("touchpoint={}", e.touchpoint),
        ];
        texts.extend(e.source_id.as_ref().map(|s| format!("source={s}")));
        let keys: Vec<usize> = texts.into_iter().map(|t| self.intern(t)).collect();
        self.routes.insert(route, keys.clone());
        keys
    }
}
