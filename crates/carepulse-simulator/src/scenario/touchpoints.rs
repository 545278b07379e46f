//! `[[touchpoints]]` and `[channels.NAME]`: who is asked where, by which
//! channels, how the channels behave, and how well each touchpoint does.

use std::collections::BTreeMap;

use super::check::Checker;
use super::file::{ChannelFile, TouchpointFile};
use super::{ChannelPlan, JourneyPlan, TouchpointPlan};
use crate::latent::{mean_for_top_box, AnswerModel};
use carepulse_model::Channel;

/// Built-in behaviour per channel: answer rate, delay range, source id.
fn default_channel(channel: Channel) -> (f64, &'static str, &'static str, &'static str) {
    match channel {
        Channel::Kiosk => (1.0, "0s", "0s", "kiosk"),
        Channel::Tablet => (0.8, "0s", "10m", "bedside-tablets"),
        Channel::StaffEntered => (0.9, "0s", "2h", "staff-desk"),
        Channel::Portal => (0.25, "10m", "3d", "patient-portal"),
        Channel::App => (0.3, "5m", "2d", "patient-app"),
        Channel::Sms => (0.2, "2m", "2d", "sms-gateway-1"),
        Channel::Email => (0.12, "30m", "4d", "email-gateway-1"),
        Channel::Ivr => (0.3, "1h", "1d", "ivr-1"),
        Channel::Paper => (0.1, "2d", "10d", "paper-scanning"),
    }
}

/// A channel by its wire name.
pub(crate) fn channel_named(name: &str) -> Option<Channel> {
    Channel::ALL.into_iter().find(|c| c.as_str() == name)
}

pub(super) fn known_channels() -> String {
    let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    names.join(", ")
}

pub(super) fn channels(
    c: &mut Checker<'_>,
    file: &BTreeMap<String, ChannelFile>,
) -> Vec<ChannelPlan> {
    for name in file.keys() {
        if channel_named(name).is_none() {
            c.problem(
                format!("channels.{name}"),
                format!("unknown channel (channels: {})", known_channels()),
            );
        }
    }
    Channel::ALL
        .into_iter()
        .map(|channel| {
            let (rate, low, high, source) = default_channel(channel);
            let given = file.get(channel.as_str()).cloned().unwrap_or_default();
            let path = format!("channels.{}", channel.as_str());
            let delay = given.delay.unwrap_or([low.into(), high.into()]);
            let source = given.source.unwrap_or_else(|| source.into());
            let id_ok = (1..=128).contains(&source.len())
                && source
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
            if !id_ok {
                c.problem(
                    format!("{path}.source"),
                    "must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'",
                );
            }
            ChannelPlan {
                answer_rate: c.share(
                    format!("{path}.answer_rate"),
                    given.answer_rate.unwrap_or(rate),
                ),
                delay: c.range(&format!("{path}.delay"), &delay),
                source,
            }
        })
        .collect()
}

pub(super) fn touchpoints(
    c: &mut Checker<'_>,
    files: &[TouchpointFile],
    journeys: &mut [JourneyPlan],
    models: &[(String, AnswerModel)],
) -> Vec<TouchpointPlan> {
    let mut out: Vec<TouchpointPlan> = Vec::new();
    for (i, t) in files.iter().enumerate() {
        let path = format!("touchpoints[{i}]");
        let Some(touchpoint) = c.catalog.touchpoint(&t.touchpoint) else {
            c.problem(
                format!("{path}.touchpoint"),
                format!(
                    "unknown touchpoint '{}' (known: {})",
                    t.touchpoint,
                    c.catalog.known_touchpoints()
                ),
            );
            continue;
        };
        let served: Vec<String> = touchpoint
            .stages
            .iter()
            .map(|s| format!("{}/{}", s.journey, s.stage))
            .collect();
        let stage = match (&t.stage, served.as_slice()) {
            (Some(s), _) if served.contains(s) => s.clone(),
            (Some(s), _) => {
                c.problem(
                    format!("{path}.stage"),
                    format!(
                        "touchpoint '{}' does not serve '{s}' (it serves {})",
                        t.touchpoint,
                        served.join(", ")
                    ),
                );
                continue;
            }
            (None, [one]) => one.clone(),
            (None, _) => {
                c.problem(format!("{path}.stage"), format!("touchpoint '{}' serves several stages ({}): say which one as stage = \"journey/stage\"", t.touchpoint, served.join(", ")));
                continue;
            }
        };
        let (journey_id, stage_id) = stage
            .split_once('/')
            .expect("served stages are journey/stage");
        if out
            .iter()
            .any(|o| o.id == t.touchpoint && o.journey == journey_id && o.stage == stage_id)
        {
            c.problem(
                format!("{path}.touchpoint"),
                format!("touchpoint '{}' at '{stage}' is listed twice", t.touchpoint),
            );
        }
        let Some(stage_plan) = journeys
            .iter_mut()
            .find(|j| j.id == journey_id)
            .and_then(|j| j.stages.iter_mut().find(|s| s.id == stage_id))
        else {
            c.problem(format!("{path}.touchpoint"), format!("nobody passes stage '{stage}': list it under the [[journeys]] entry of journey '{journey_id}'"));
            continue;
        };
        let mut channels = Vec::new();
        if t.channels.is_empty() {
            c.problem(
                format!("{path}.channels"),
                "give the channel mix, e.g. channels = { sms = 0.7, email = 0.3 }",
            );
        }
        for (name, weight) in &t.channels {
            let cpath = format!("{path}.channels.{name}");
            match channel_named(name) {
                None => c.problem(
                    cpath,
                    format!("unknown channel (channels: {})", known_channels()),
                ),
                Some(ch)
                    if !touchpoint.channels.is_empty() && !touchpoint.channels.contains(&ch) =>
                {
                    let allowed: Vec<&str> =
                        touchpoint.channels.iter().map(|c| c.as_str()).collect();
                    c.problem(
                        cpath,
                        format!(
                            "the catalog lets touchpoint '{}' report only by {}",
                            t.touchpoint,
                            allowed.join(", ")
                        ),
                    );
                }
                Some(_) if !weight.is_finite() || *weight <= 0.0 => {
                    c.problem(cpath, "must be a positive weight")
                }
                Some(ch) => channels.push((ch, *weight)),
            }
        }
        let model = models
            .iter()
            .position(|(id, _)| *id == touchpoint.questionnaire)
            .expect("every catalog questionnaire has a model");
        if !(0.01..=0.99).contains(&t.top_box) {
            c.problem(
                format!("{path}.top_box"),
                format!("{} must be a share from 0.01 to 0.99", t.top_box),
            );
        }
        let devices = c
            .catalog
            .devices()
            .iter()
            .filter(|d| {
                d.touchpoint == t.touchpoint
                    && format!("{}/{}", d.stage.journey, d.stage.stage) == stage
            })
            .map(|d| d.id.clone())
            .collect();
        let facility = c
            .catalog
            .department(&touchpoint.department)
            .map(|d| d.facility.clone())
            .unwrap_or_default();
        stage_plan.touchpoints.push(out.len());
        out.push(TouchpointPlan {
            id: t.touchpoint.clone(),
            tz: c.tz(&facility),
            facility,
            journey: journey_id.to_owned(),
            stage: stage_id.to_owned(),
            name_stage: served.len() > 1,
            asked: c.share(format!("{path}.asked"), t.asked),
            channels,
            devices,
            model,
            mean: mean_for_top_box(models[model].1.overall_scale, t.top_box.clamp(0.01, 0.99)),
        });
    }
    out
}
