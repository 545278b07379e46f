//! `[[journeys]]`: visits per day, rhythm, and how visits move through the
//! stages (share passing, time after the previous stage, opening hours).

use std::collections::BTreeMap;

use chrono::TimeDelta;

use super::check::Checker;
use super::file::{JourneyFile, StageFile};
use super::{JourneyPlan, Opening, StagePlan};
use crate::rhythm::Rhythm;

pub(super) fn journeys(
    c: &mut Checker<'_>,
    files: &[JourneyFile],
    rhythms: &BTreeMap<String, Rhythm>,
) -> Vec<JourneyPlan> {
    let mut out: Vec<JourneyPlan> = Vec::new();
    for (i, j) in files.iter().enumerate() {
        let path = format!("journeys[{i}]");
        let Some(journey) = c.catalog.journey(&j.journey) else {
            let known: Vec<&str> = c.catalog.journeys().iter().map(|j| j.id.as_str()).collect();
            c.problem(
                format!("{path}.journey"),
                format!(
                    "unknown journey '{}' (catalog journeys: {})",
                    j.journey,
                    known.join(", ")
                ),
            );
            continue;
        };
        if out.iter().any(|o| o.id == j.journey) {
            c.problem(
                format!("{path}.journey"),
                format!("journey '{}' is listed twice: merge the entries", j.journey),
            );
        }
        if !j.visits_per_day.is_finite() || j.visits_per_day < 0.0 {
            c.problem(
                format!("{path}.visits_per_day"),
                "must be a non-negative number",
            );
        }
        let rhythm = match &j.rhythm {
            None => Rhythm::flat(),
            Some(name) => rhythms.get(name).cloned().unwrap_or_else(|| {
                c.problem(
                    format!("{path}.rhythm"),
                    format!("unknown rhythm '{name}': define it under [rhythms.{name}]"),
                );
                Rhythm::flat()
            }),
        };
        let written: Vec<StageFile> = j.stages.clone().unwrap_or_else(|| {
            journey
                .stages
                .iter()
                .map(|s| StageFile {
                    stage: s.id.clone(),
                    share: 1.0,
                    after: None,
                    hours: None,
                    days: None,
                })
                .collect()
        });
        let mut stages: Vec<StagePlan> = Vec::new();
        let mut last_position = None;
        for (s, stage) in written.iter().enumerate() {
            let spath = format!("{path}.stages[{s}]");
            let Some(position) = journey.stages.iter().position(|x| x.id == stage.stage) else {
                let known: Vec<&str> = journey.stages.iter().map(|x| x.id.as_str()).collect();
                c.problem(
                    format!("{spath}.stage"),
                    format!(
                        "journey '{}' has no stage '{}' (stages: {})",
                        j.journey,
                        stage.stage,
                        known.join(", ")
                    ),
                );
                continue;
            };
            if last_position.is_some_and(|p| p >= position) {
                c.problem(format!("{spath}.stage"), format!("stage '{}' must come after the stages listed before it, in the catalog's order", stage.stage));
            }
            last_position = Some(position);
            let after = match (&stage.after, s) {
                (Some(_), 0) => {
                    c.problem(
                        format!("{spath}.after"),
                        "the first stage starts the visit: remove 'after'",
                    );
                    (TimeDelta::zero(), TimeDelta::zero())
                }
                (Some(range), _) => c.range(&format!("{spath}.after"), range),
                (None, 0) => (TimeDelta::zero(), TimeDelta::zero()),
                (None, _) => (TimeDelta::minutes(5), TimeDelta::minutes(60)),
            };
            let opening = opening(c, &spath, stage.hours, stage.days.as_deref());
            stages.push(StagePlan {
                id: stage.stage.clone(),
                share: c.share(format!("{spath}.share"), stage.share),
                after,
                opening,
                touchpoints: Vec::new(),
            });
        }
        let first_department = stages
            .first()
            .and_then(|s| journey.stage(&s.id))
            .map(|s| s.department.clone())
            .unwrap_or_default();
        let facility = c
            .catalog
            .department(&first_department)
            .map(|d| d.facility.clone())
            .unwrap_or_default();
        out.push(JourneyPlan {
            id: j.journey.clone(),
            visits_per_day: j.visits_per_day.max(0.0),
            rhythm,
            tz: c.tz(&facility),
            stages,
        });
    }
    out
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A stage's opening hours and days, when it has any.
fn opening(
    c: &mut Checker<'_>,
    path: &str,
    hours: Option<[u32; 2]>,
    days: Option<&[String]>,
) -> Option<Opening> {
    if hours.is_none() && days.is_none() {
        return None;
    }
    let [open, close] = hours.unwrap_or([0, 24]);
    if open >= close || close > 24 {
        c.problem(
            format!("{path}.hours"),
            "write [opening hour, closing hour] with 0 <= opening < closing <= 24",
        );
    }
    let mut open_days = [days.is_none(); 7];
    for (k, day) in days.unwrap_or_default().iter().enumerate() {
        match DAYS.iter().position(|d| d == day) {
            Some(i) => open_days[i] = true,
            None => c.problem(
                format!("{path}.days[{k}]"),
                format!("'{day}' is not a day: write {}", DAYS.join(", ")),
            ),
        }
    }
    if !open_days.contains(&true) {
        c.problem(format!("{path}.days"), "list at least one open day");
        open_days = [true; 7];
    }
    Some(Opening {
        hours: (open.min(23), close.clamp(open.min(23) + 1, 24)),
        days: open_days,
    })
}
