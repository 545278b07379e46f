//! The readable form of a report: one aligned table per section.

use std::collections::BTreeMap;
use std::fmt::Write;

use carepulse_analytics::drivers::DriverResult;
use carepulse_analytics::{Dimension, DriverAnalysis, Interval, Report, ScoreRow};

/// Columns padded to their widest cell, two spaces apart, indented by
/// `indent` spaces.
fn table(out: &mut String, indent: usize, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(out, "{:indent$}{}", "", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

fn num(value: Option<f64>, digits: usize) -> String {
    value.map_or("-".into(), |v| format!("{v:.digits$}"))
}

fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}

fn interval(iv: Option<Interval>, pct: bool) -> String {
    iv.map_or("-".into(), |iv| {
        if pct {
            format!("[{}, {}]", percent(iv.low), percent(iv.high))
        } else {
            format!("[{:.3}, {:.3}]", iv.low, iv.high)
        }
    })
}

fn standard(row: &ScoreRow) -> String {
    let share = |name: &str, s: Option<carepulse_model::Share>| {
        s.map(|s| format!("{name} {:.1}% [{:.1}, {:.1}]", s.percent, s.low, s.high))
    };
    [
        row.nps
            .map(|n| format!("NPS {:+.1} (SE {:.1})", n.score, n.standard_error)),
        share("CSAT", row.csat),
        share("FFT positive", row.fft_positive),
        share("negative", row.fft_negative),
        share("positive", row.positive),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

fn scores(out: &mut String, report: &Report) {
    let min_n = report.settings.min_n;
    let _ = writeln!(
        out,
        "\nSCORES of overall answers (* fewer than {min_n} answers: not reliable)"
    );
    let mut by_key: BTreeMap<(String, &str), Vec<&ScoreRow>> = BTreeMap::new();
    for row in &report.scores {
        by_key
            .entry((row.dimension.name().to_owned(), row.key.as_str()))
            .or_default()
            .push(row);
    }
    let mut rows = Vec::new();
    for ((dimension, key), group) in by_key {
        let per_scale: Vec<&&ScoreRow> = group.iter().filter(|r| r.scale.is_some()).collect();
        // One scale: its row says everything the every-scale row says.
        let shown: Vec<&ScoreRow> = if per_scale.len() == 1 {
            vec![per_scale[0]]
        } else {
            group.clone()
        };
        for row in shown {
            rows.push(vec![
                dimension.clone(),
                key.to_owned(),
                row.scale
                    .map_or("(every scale)".into(), |s| s.name().to_owned()),
                format!("{}{}", row.n, if row.sufficient { "" } else { "*" }),
                num(row.linear_mean, 1),
                row.top_box
                    .map_or("-".into(), |s| format!("{:.1}%", s.percent)),
                standard(row),
            ]);
        }
    }
    table(
        out,
        2,
        &[
            "dimension",
            "key",
            "scale",
            "n",
            "mean 0-100",
            "top box",
            "standard score",
        ],
        &rows,
    );
}

fn driver_result(out: &mut String, r: &DriverResult) {
    let p = r.p_value.map_or("-".into(), |p| {
        if p < 0.001 {
            "< 0.001".into()
        } else {
            format!("{p:.3}")
        }
    });
    let _ = writeln!(
        out,
        "    n {} complete of {} responses, R² {:.3} {}, F test p {p}, {}, {} bootstrap replicates of {} responses",
        r.n, r.responses, r.r_squared, interval(r.r_squared_interval, false), r.method.name(), r.bootstrap.replicates, r.bootstrap.resampled
    );
    let level = format!("{:.0}% interval", r.bootstrap.level * 100.0);
    let rows: Vec<Vec<String>> = r
        .drivers
        .iter()
        .map(|d| {
            vec![
                d.rank.to_string(),
                d.item.clone(),
                percent(d.share),
                interval(d.share_interval, true),
                format!("{:.4}", d.importance),
                format!("{:.1}", d.performance),
                d.quadrant.label().to_owned() + if d.constant { " (no variance)" } else { "" },
            ]
        })
        .collect();
    table(
        out,
        4,
        &[
            "rank",
            "item",
            "share of R²",
            &level,
            "importance",
            "performance",
            "quadrant",
        ],
        &rows,
    );
}

fn drivers(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "\nDRIVERS of the overall score (share of R², Shapley/LMG or relative weights)"
    );
    for group in &report.drivers {
        let _ = write!(out, "  {}", group.questionnaire);
        if group.dimension != Dimension::All {
            let _ = write!(out, ", {} {}", group.dimension.name(), group.key);
        }
        match &group.analysis {
            DriverAnalysis::NotReliable { reason, .. } => {
                let _ = writeln!(out, ": not reliable: {reason}");
            }
            DriverAnalysis::Analysed(r) => {
                let _ = writeln!(out, ":");
                driver_result(out, r);
            }
        }
    }
}

fn quality(out: &mut String, report: &Report) {
    let _ = writeln!(out, "\nQUESTION QUALITY");
    for q in &report.quality {
        let alpha = q.quality.alpha.map_or_else(
            || q.quality.note.clone().unwrap_or_default(),
            |a| format!("Cronbach's alpha {a:.3}"),
        );
        let _ = writeln!(
            out,
            "  {}: {alpha} ({} of {} responses answered every item)",
            q.questionnaire, q.quality.complete, q.quality.responses
        );
        let rows: Vec<Vec<String>> = q
            .quality
            .items
            .iter()
            .map(|i| {
                let flags: Vec<&str> = i.flags.iter().map(|f| f.label()).collect();
                vec![
                    i.item.clone(),
                    i.answered.to_string(),
                    format!("{:.1}%", i.non_response),
                    num(i.mean, 1),
                    i.top_box.map_or("-".into(), |t| format!("{t:.1}%")),
                    i.bottom_box.map_or("-".into(), |b| format!("{b:.1}%")),
                    num(i.item_total, 3),
                    num(i.alpha_if_deleted, 3),
                    flags.join(", "),
                ]
            })
            .collect();
        table(
            out,
            4,
            &[
                "item",
                "answered",
                "non-response",
                "mean",
                "top box",
                "bottom box",
                "item-total r",
                "alpha if deleted",
                "flags",
            ],
            &rows,
        );
    }
}

fn journeys(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "\nJOURNEYS (* fewer than {} answers)",
        report.settings.min_n
    );
    for j in &report.journeys {
        let _ = writeln!(
            out,
            "  {} ({}): weakest stage {}",
            j.journey,
            j.name,
            j.weakest.as_deref().unwrap_or("-")
        );
        let rows: Vec<Vec<String>> = j
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| {
                vec![
                    (i + 1).to_string(),
                    s.info.stage.clone(),
                    s.info.department.clone(),
                    s.info.organisation.clone(),
                    format!("{}{}", s.n, if s.sufficient { "" } else { "*" }),
                    num(s.linear_mean, 1),
                    s.top_box.map_or("-".into(), |t| format!("{t:.1}%")),
                ]
            })
            .collect();
        table(
            out,
            4,
            &[
                "#",
                "stage",
                "department",
                "organisation",
                "n",
                "mean 0-100",
                "top box",
            ],
            &rows,
        );
        if j.linked_visits == 0 {
            continue;
        }
        let _ = writeln!(out, "    {} visits rated two stages or more; the rest of the visit when a stage was bad (bottom box) or not:", j.linked_visits);
        let rows: Vec<Vec<String>> = j
            .impacts
            .iter()
            .map(|i| {
                vec![
                    i.stage.clone(),
                    i.visits.to_string(),
                    i.bad.to_string(),
                    num(i.rest_when_bad, 1),
                    num(i.rest_when_not_bad, 1),
                    num(i.difference, 1) + if i.reliable { "" } else { " (too few visits)" },
                ]
            })
            .collect();
        table(
            out,
            4,
            &[
                "stage",
                "visits",
                "bad",
                "rest when bad",
                "rest otherwise",
                "difference",
            ],
            &rows,
        );
    }
}

/// The whole report as text.
pub fn render(report: &Report, header: &str) -> String {
    let mut out = header.to_owned();
    scores(&mut out, report);
    drivers(&mut out, report);
    quality(&mut out, report);
    journeys(&mut out, report);
    for note in &report.notes {
        let _ = writeln!(out, "\nnote: {note}");
    }
    out
}
