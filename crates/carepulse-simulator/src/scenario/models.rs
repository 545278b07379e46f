//! `[questionnaires.ID]`: the true driver model of each questionnaire of
//! the catalog (see the latent model in `latent.rs`).

use std::collections::BTreeMap;

use super::check::Checker;
use super::file::QuestionnaireFile;
use crate::latent::{mean_for_top_box, AnswerModel, Driver};

/// Defaults when a questionnaire has no entry, or an entry leaves a key out.
const R_SQUARED: f64 = 0.6;
const HALO: f64 = 0.5;
const NONRESPONSE: f64 = 0.03;
/// Items without an entry: equal weight 1 and this top box.
const ITEM_TOP_BOX: f64 = 0.5;

/// An answer model for every questionnaire of the catalog, in catalog
/// order, with the scenario's true weights where it gives them.
pub(super) fn models(
    c: &mut Checker<'_>,
    files: &BTreeMap<String, QuestionnaireFile>,
) -> Vec<(String, AnswerModel)> {
    for (id, file) in files {
        let Some(q) = c.catalog.questionnaire(id) else {
            let known: Vec<&str> = c
                .catalog
                .questionnaires()
                .iter()
                .map(|q| q.id.as_str())
                .collect();
            c.problem(
                format!("questionnaires.{id}"),
                format!(
                    "unknown questionnaire (catalog questionnaires: {})",
                    known.join(", ")
                ),
            );
            continue;
        };
        for item in file.items.keys() {
            if q.item(item).is_none() {
                let known: Vec<&str> = q.items.iter().map(|i| i.id.as_str()).collect();
                c.problem(
                    format!("questionnaires.{id}.items.{item}"),
                    format!(
                        "questionnaire '{id}' has no item '{item}' (items: {})",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
            }
        }
    }
    let catalog = c.catalog;
    catalog
        .questionnaires()
        .iter()
        .map(|q| {
            let path = format!("questionnaires.{}", q.id);
            let file = files.get(&q.id);
            let r_squared = file.and_then(|f| f.r_squared).unwrap_or(R_SQUARED);
            if !(0.01..=0.99).contains(&r_squared) {
                c.problem(
                    format!("{path}.r_squared"),
                    format!("{r_squared} must be from 0.01 to 0.99"),
                );
            }
            let halo = file.and_then(|f| f.halo).unwrap_or(HALO);
            if !(0.0..0.99).contains(&halo) {
                c.problem(
                    format!("{path}.halo"),
                    format!("{halo} must be from 0 to 0.98"),
                );
            }
            let nonresponse = file.and_then(|f| f.item_nonresponse).unwrap_or(NONRESPONSE);
            let nonresponse = c.share(format!("{path}.item_nonresponse"), nonresponse);
            let mut raw = Vec::new();
            let mut drivers = Vec::new();
            for item in &q.items {
                let given = file.and_then(|f| f.items.get(&item.id));
                let ipath = format!("{path}.items.{}", item.id);
                let weight = given.map_or(1.0, |g| g.weight);
                if !weight.is_finite() || weight < 0.0 {
                    c.problem(format!("{ipath}.weight"), "must be a non-negative number");
                }
                let top_box = given.map_or(ITEM_TOP_BOX, |g| g.top_box);
                if !(0.01..=0.99).contains(&top_box) {
                    c.problem(
                        format!("{ipath}.top_box"),
                        format!("{top_box} must be a share from 0.01 to 0.99"),
                    );
                }
                raw.push(weight.max(0.0));
                drivers.push(Driver {
                    id: item.id.clone(),
                    scale: item.scale,
                    weight: 0.0,
                    mean: mean_for_top_box(item.scale, top_box.clamp(0.01, 0.99)),
                });
            }
            let halo = halo.clamp(0.0, 0.98);
            let (weights, noise_sd) =
                AnswerModel::scale_weights(&raw, halo, r_squared.clamp(0.01, 0.99));
            for (d, w) in drivers.iter_mut().zip(weights) {
                d.weight = w;
            }
            let model = AnswerModel {
                overall_id: q.overall.id.clone(),
                overall_scale: q.overall.scale,
                drivers,
                halo,
                noise_sd,
                nonresponse,
            };
            (q.id.clone(), model)
        })
        .collect()
}
