//! Journey analytics: every stage of a journey in the catalog's order,
//! across departments and organisations, with its overall score and n; the
//! weakest stage; and, where answers carry a journey-instance reference
//! (the pseudonymised visit), how a bad stage goes with the rest of the
//! visit.
//!
//! Linkage: for each visit with answers at two stages or more, each stage
//! gets the mean of its answers' 0-100 scores and counts as bad when one of
//! them is in the bottom box. For stage s, the visits that rated s and some
//! other stage are split by whether s was bad; the "rest of the journey" is
//! the mean score of the visit's other stages. A large gap says that a bad
//! experience at s comes with worse ratings elsewhere (or the reverse): a
//! lead for a quality team, not proof of cause.

use std::collections::BTreeMap;

use carepulse_model::{Response, Tally};
use serde::Serialize;

/// A stage as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageInfo {
    /// Stage id.
    pub stage: String,
    /// Display name.
    pub name: String,
    /// Department running it.
    pub department: String,
    /// Organisation of that department (through its facility).
    pub organisation: String,
}

/// A stage's overall score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageScore {
    /// The stage.
    #[serde(flatten)]
    pub info: StageInfo,
    /// Answers with a 0-100 score.
    pub n: u64,
    /// Mean 0-100 score.
    pub linear_mean: Option<f64>,
    /// Top-box share, in percent.
    pub top_box: Option<f64>,
    /// At least the minimum n.
    pub sufficient: bool,
}

/// How a bad experience at one stage goes with the rest of the visit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageImpact {
    /// Stage id.
    pub stage: String,
    /// Visits that rated this stage and another.
    pub visits: u64,
    /// Of those, visits where this stage was bad.
    pub bad: u64,
    /// Mean score of the other stages when this one was bad.
    pub rest_when_bad: Option<f64>,
    /// Mean score of the other stages when it was not.
    pub rest_when_not_bad: Option<f64>,
    /// `rest_when_bad − rest_when_not_bad`.
    pub difference: Option<f64>,
    /// Both groups hold at least the minimum number of visits.
    pub reliable: bool,
}

/// One journey's table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JourneyReport {
    /// Journey id.
    pub journey: String,
    /// Display name.
    pub name: String,
    /// Stages in order.
    pub stages: Vec<StageScore>,
    /// The stage with the lowest score among those with enough answers.
    pub weakest: Option<String>,
    /// Visits with answers at two stages or more.
    pub linked_visits: u64,
    /// Per stage, where linked visits exist.
    pub impacts: Vec<StageImpact>,
}

#[derive(Debug, Clone, Default)]
struct VisitStage {
    sum: f64,
    count: u32,
    bad: bool,
}

/// Collects one journey's answers.
#[derive(Debug, Clone)]
pub struct JourneyAccumulator {
    tallies: Vec<Tally>,
    visits: BTreeMap<String, BTreeMap<usize, VisitStage>>,
}

impl JourneyAccumulator {
    /// For a journey with `stages` stages.
    pub fn new(stages: usize) -> JourneyAccumulator {
        JourneyAccumulator {
            tallies: vec![Tally::default(); stages],
            visits: BTreeMap::new(),
        }
    }

    /// Records an overall answer at stage index `stage`, with the visit's
    /// pseudonymised reference when it has one.
    pub fn record(&mut self, stage: usize, overall: &Response, visit: Option<&str>) {
        let Some(tally) = self.tallies.get_mut(stage) else {
            return;
        };
        tally.record(overall);
        if let (Some(visit), Some(score)) = (visit, overall.linear()) {
            let entry = self
                .visits
                .entry(visit.to_owned())
                .or_default()
                .entry(stage)
                .or_default();
            entry.sum += score;
            entry.count += 1;
            entry.bad |= overall.is_bottom_box();
        }
    }

    /// The journey's table; `stages` as given to `new`, in order.
    pub fn finish(
        &self,
        journey: &str,
        name: &str,
        stages: &[StageInfo],
        min_n: u64,
        min_linked: u64,
    ) -> JourneyReport {
        let scores: Vec<StageScore> = stages
            .iter()
            .zip(&self.tallies)
            .map(|(info, tally)| StageScore {
                info: info.clone(),
                n: tally.valid,
                linear_mean: tally.linear_mean(),
                top_box: tally.top_box_share().map(|s| s.percent),
                sufficient: tally.valid >= min_n.max(1),
            })
            .collect();
        let weakest = scores
            .iter()
            .filter(|s| s.sufficient)
            .filter_map(|s| s.linear_mean.map(|m| (m, &s.info.stage)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, stage)| stage.clone());
        // Per stage: [bad, not bad] × (visits, sum of rest-of-journey means).
        let mut groups = vec![[(0u64, 0.0f64); 2]; stages.len()];
        let mut linked = 0;
        for visit in self.visits.values().filter(|v| v.len() >= 2) {
            linked += 1;
            let means: Vec<(usize, f64, bool)> = visit
                .iter()
                .map(|(&s, v)| (s, v.sum / f64::from(v.count), v.bad))
                .collect();
            let total: f64 = means.iter().map(|m| m.1).sum();
            for &(stage, mean, bad) in &means {
                let rest = (total - mean) / (means.len() - 1) as f64;
                let group = &mut groups[stage][usize::from(!bad)];
                group.0 += 1;
                group.1 += rest;
            }
        }
        let impacts = stages
            .iter()
            .zip(&groups)
            .filter(|(_, g)| g[0].0 + g[1].0 > 0)
            .map(|(info, [bad, good])| {
                let mean = |(n, sum): (u64, f64)| (n > 0).then(|| sum / n as f64);
                let (when_bad, when_good) = (mean(*bad), mean(*good));
                StageImpact {
                    stage: info.stage.clone(),
                    visits: bad.0 + good.0,
                    bad: bad.0,
                    rest_when_bad: when_bad,
                    rest_when_not_bad: when_good,
                    difference: when_bad.zip(when_good).map(|(b, g)| b - g),
                    reliable: bad.0 >= min_linked && good.0 >= min_linked,
                }
            })
            .collect();
        JourneyReport {
            journey: journey.to_owned(),
            name: name.to_owned(),
            stages: scores,
            weakest,
            linked_visits: linked,
            impacts,
        }
    }
}
