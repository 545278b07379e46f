//! How incidents change the stream: lower answers at a stage, a kiosk that
//! sends nothing, copies of items, spoilt submissions, mashed buttons.

use carepulse_model::AnswerValue;
use chrono::{DateTime, TimeDelta, Utc};
use rand::seq::IndexedRandom;
use rand::Rng;
use serde_json::json;

use crate::incident::What;
use crate::item::{Item, ItemKind};
use crate::latent::{answer_at, standard_normal, Drop};
use crate::scenario::TouchpointPlan;
use crate::stream::Stream;
use crate::visit::Press;
use crate::wire::{local_time, spoil, to_json};

impl<'a> Stream<'a> {
    /// Incidents of kind `what` in force at `at`, with their names.
    fn in_force(&self, at: DateTime<Utc>) -> impl Iterator<Item = (&'a str, &'a What)> + '_ {
        let incidents = &self.scenario.incidents;
        incidents
            .iter()
            .zip(&self.windows)
            .filter(move |(_, (from, to))| *from <= at && at < *to)
            .map(|(i, _)| (i.name.as_str(), &i.what))
    }

    /// The stage drop, if any, for feedback on a touchpoint experienced at
    /// `occurred`.
    pub(crate) fn stage_drop(
        &self,
        t: &TouchpointPlan,
        occurred: DateTime<Utc>,
    ) -> (Option<String>, Option<Drop<'a>>) {
        for (name, what) in self.in_force(occurred) {
            if let What::StageDrop {
                journey,
                stage,
                drop,
                items,
            } = what
            {
                if *journey == t.journey && *stage == t.stage {
                    let drop = Drop { size: *drop, items };
                    return (Some(name.to_owned()), Some(drop));
                }
            }
        }
        (None, None)
    }

    /// Whether `device` is silent at `at`.
    pub(crate) fn silent(&self, device: &str, at: DateTime<Utc>) -> bool {
        self.in_force(at)
            .any(|(_, what)| matches!(what, What::KioskSilent { device: d } if d == device))
    }

    /// Queues copies of `item` for the duplicate bursts in force.
    pub(crate) fn duplicate(&mut self, item: &Item) {
        let bursts: Vec<(&str, f64)> = self
            .in_force(item.at)
            .filter_map(|(name, what)| match what {
                What::Duplicates { share, facility }
                    if facility.as_ref().is_none_or(|f| *f == item.facility) =>
                {
                    Some((name, *share))
                }
                _ => None,
            })
            .collect();
        for (name, share) in bursts {
            if self.rng.random::<f64>() < share {
                let resend = self.between(TimeDelta::seconds(1), TimeDelta::minutes(2));
                let copy = Item {
                    at: item.at + resend,
                    kind: ItemKind::Duplicate,
                    incident: Some(name.to_owned()),
                    ..item.clone()
                };
                self.push(copy);
            }
        }
    }

    /// Queues one deliberately invalid item from `facility` at `at`.
    pub(crate) fn bad_event(&mut self, name: &str, facility: &str, at: DateTime<Utc>) {
        let s = self.scenario;
        let here: Vec<&TouchpointPlan> = s
            .touchpoints
            .iter()
            .filter(|t| t.facility == facility)
            .collect();
        let t = *here.choose(&mut self.rng).unwrap_or(&&s.touchpoints[0]);
        let model = &s.models[t.model];
        let value = answer_at(model.overall_scale, t.mean + standard_normal(&mut self.rng));
        let channel = t.channels[0].0;
        let id = self.next_id();
        let mut valid = json!({
            "event_id": id,
            "occurred_at": local_time(at, t.tz),
            "facility": t.facility,
            "touchpoint": t.id,
            "channel": channel.as_str(),
            "source_id": s.channel(channel).source,
            "answers": { "overall": { "question": model.overall_id, "value": value } },
        });
        if t.name_stage {
            valid["journey"] = json!(t.journey);
            valid["stage"] = json!(t.stage);
        }
        let (body, endpoint) = spoil(&mut self.rng, valid, at);
        self.push(Item {
            at,
            kind: ItemKind::Bad,
            endpoint,
            facility: facility.to_owned(),
            channel,
            event_id: body["event_id"].as_str().map(str::to_owned),
            incident: Some(name.to_owned()),
            body: to_json(&body),
        });
    }

    /// Queues `presses` presses of one button on `device` from `from` to `to`.
    pub(crate) fn button_mash(
        &mut self,
        name: &str,
        what: &What,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) {
        let What::ButtonMash {
            device,
            presses,
            button,
            facility,
            tz,
            scale,
        } = what
        else {
            return;
        };
        let value = match button {
            Some(b) => AnswerValue::Label(b.clone()),
            None => answer_at(*scale, standard_normal(&mut self.rng)),
        };
        let mut offsets: Vec<TimeDelta> = (0..*presses)
            .map(|_| self.between(TimeDelta::zero(), to - from))
            .collect();
        offsets.sort();
        for offset in offsets {
            let id = self.next_id();
            let press = Press {
                device,
                facility,
                tz: *tz,
                id: &id,
                button: &value,
            };
            self.press(
                press,
                from + offset,
                ItemKind::MashedPress,
                Some(name.to_owned()),
            );
        }
    }
}
