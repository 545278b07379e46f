//! The tables: false alerts per key per 30 days on stationary streams,
//! detection delays of injected drops and silences, in Markdown.

use std::fmt::Write;

use chrono::TimeDelta;

use crate::experiments::{Detection, Injected, KeyCount};

/// One key of the stationary runs, merged over runs.
struct KeyRow {
    hospital: String,
    key: String,
    per_day: f64,
    runs: usize,
    drops: usize,
    volume: usize,
}

/// Collected outcomes, rendered at the end.
pub struct Report<'a> {
    names: &'a [&'a str],
    measured_days: i64,
    stationary: Vec<(String, KeyCount)>,
    drops: Vec<(&'static str, String, f64, Injected)>,
    silences: Vec<(String, Injected)>,
}

/// `2d 3h`, `5h 10m` or `35m` (`-` before, for a negative span).
fn span(d: TimeDelta) -> String {
    if d < TimeDelta::zero() {
        return format!("-{}", span(-d));
    }
    let m = d.num_minutes();
    match m {
        _ if m >= 24 * 60 => format!("{}d {}h", m / 1440, m % 1440 / 60),
        _ if m >= 60 => format!("{}h {:02}m", m / 60, m % 60),
        _ => format!("{m}m"),
    }
}

/// The nearest-rank quantile `q` of `values`.
fn quantile<T: Copy + Ord>(values: &[T], q: f64) -> Option<T> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
    sorted.get(rank - 1).copied()
}

/// `median (p90)` of durations, or `-`.
fn spans(values: &[TimeDelta]) -> String {
    match (quantile(values, 0.5), quantile(values, 0.9)) {
        (Some(m), Some(p)) => format!("{} ({})", span(m), span(p)),
        _ => "-".into(),
    }
}

/// `median (p90)` of counts, or `-`.
fn counts(values: &[u64]) -> String {
    match (quantile(values, 0.5), quantile(values, 0.9)) {
        (Some(m), Some(p)) => format!("{m} ({p})"),
        _ => "-".into(),
    }
}

impl<'a> Report<'a> {
    /// An empty report for configurations `names`.
    pub fn new(names: &'a [&'a str], measured_days: i64) -> Report<'a> {
        Report {
            names,
            measured_days,
            stationary: Vec::new(),
            drops: Vec::new(),
            silences: Vec::new(),
        }
    }

    /// Adds a stationary run's keys.
    pub fn stationary(&mut self, hospital: &str, keys: Vec<KeyCount>) {
        self.stationary
            .extend(keys.into_iter().map(|k| (hospital.to_owned(), k)));
    }

    /// Adds an injected drop run.
    pub fn drop(&mut self, level: &'static str, key: &str, points: f64, run: Injected) {
        self.drops.push((level, key.to_owned(), points, run));
    }

    /// Adds an injected silence run.
    pub fn silence(&mut self, key: &str, run: Injected) {
        self.silences.push((key.to_owned(), run));
    }

    /// The whole report.
    pub fn render(&self, command: &str, threads: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# alert-eval\n\n`{command}` ({threads} threads)\n");
        self.render_stationary(&mut out);
        self.render_injected(&mut out, "Score drops", &self.drops_by_case(), 0);
        self.render_injected(&mut out, "Kiosks going silent", &self.silences_by_case(), 0);
        if self.names.len() > 1 {
            self.render_grid(&mut out);
        }
        out
    }

    fn render_stationary(&self, out: &mut String) {
        let months = self.measured_days as f64 / 30.0;
        let keys = self.stationary.len();
        let _ = writeln!(
            out,
            "## Stationary streams: false alerts\n\n{keys} key-runs ({} measured days each, {:.0} key-months); every alert is false.\n",
            self.measured_days,
            keys as f64 * months
        );
        let _ = writeln!(out, "| configuration | drop alerts | per key per 30 days | worst key-run per 30 days | volume alerts | per key per 30 days | worst key-run per 30 days | drop alerts in the warm-up |");
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
        for (c, name) in self.names.iter().enumerate() {
            let drops: Vec<usize> = self.stationary.iter().map(|(_, k)| k.drops[c]).collect();
            let volume: Vec<usize> = self.stationary.iter().map(|(_, k)| k.volume[c]).collect();
            let rate = |v: &[usize]| v.iter().sum::<usize>() as f64 / (keys as f64 * months);
            let worst = |v: &[usize]| *v.iter().max().unwrap_or(&0) as f64 / months;
            let _ = writeln!(
                out,
                "| {name} | {} | {:.3} | {:.2} | {} | {:.3} | {:.2} | {} |",
                drops.iter().sum::<usize>(),
                rate(&drops),
                worst(&drops),
                volume.iter().sum::<usize>(),
                rate(&volume),
                worst(&volume),
                self.stationary
                    .iter()
                    .map(|(_, k)| k.warmup_drops[c])
                    .sum::<usize>()
            );
        }
        let _ = writeln!(out, "\nBy volume (default configuration):\n");
        let _ = writeln!(
            out,
            "| answers a day | keys | key-runs | drop alerts | volume alerts |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|");
        let per_key = self.per_key();
        for (low, high) in [(0.0, 10.0), (10.0, 30.0), (30.0, 100.0), (100.0, f64::MAX)] {
            let bin: Vec<&KeyRow> = per_key
                .iter()
                .filter(|k| k.per_day >= low && k.per_day < high)
                .collect();
            let label = if high == f64::MAX {
                format!("{low:.0}+")
            } else {
                format!("{low:.0}-{high:.0}")
            };
            let _ = writeln!(
                out,
                "| {label} | {} | {} | {} | {} |",
                bin.len(),
                bin.iter().map(|k| k.runs).sum::<usize>(),
                bin.iter().map(|k| k.drops).sum::<usize>(),
                bin.iter().map(|k| k.volume).sum::<usize>(),
            );
        }
        let _ = writeln!(
            out,
            "\nEvery key (default configuration, alerts summed over the runs):\n"
        );
        let _ = writeln!(
            out,
            "| scenario | key | answers a day | runs | drop alerts | volume alerts |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for k in &per_key {
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} | {} | {} | {} |",
                k.hospital, k.key, k.per_day, k.runs, k.drops, k.volume
            );
        }
        let _ = writeln!(out);
    }

    /// The stationary keys merged over runs, by volume.
    fn per_key(&self) -> Vec<KeyRow> {
        let mut rows: Vec<KeyRow> = Vec::new();
        for (hospital, k) in &self.stationary {
            let row = match rows
                .iter_mut()
                .find(|r| r.hospital == *hospital && r.key == k.key)
            {
                Some(row) => row,
                None => {
                    rows.push(KeyRow {
                        hospital: hospital.clone(),
                        key: k.key.clone(),
                        per_day: 0.0,
                        runs: 0,
                        drops: 0,
                        volume: 0,
                    });
                    rows.last_mut().expect("just pushed")
                }
            };
            row.per_day += k.per_day;
            row.runs += 1;
            row.drops += k.drops[0];
            row.volume += k.volume[0];
        }
        for row in &mut rows {
            row.per_day /= row.runs as f64;
        }
        rows.sort_by(|a, b| a.per_day.total_cmp(&b.per_day));
        rows
    }

    fn render_grid(&self, out: &mut String) {
        let drops = self.drops_by_case();
        let silences = self.silences_by_case();
        let _ = writeln!(out, "## Configurations compared\n");
        let _ = writeln!(out, "Median delay to the alert (detected / runs); false alerts per key per 30 days on the stationary runs; re-fired: alerts raised again while a drop lasted, over all drop runs.\n");
        let mut header = "| configuration | drop false alerts | volume false alerts |".to_owned();
        for (label, _) in &drops {
            let mut parts = label.split(" | ");
            let (level, key, size) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
            );
            let stage = key.rsplit('/').next().unwrap_or(key);
            let site = key.split(':').next().unwrap_or("").replace('-', " ");
            let _ = write!(header, " {level} {stage} {size} ({site}) |");
        }
        header.push_str(" silences | re-fired | resolved after the end, median |");
        let _ = writeln!(out, "{header}");
        let _ = writeln!(out, "{}", "|---".repeat(drops.len() + 6) + "|");
        let months = self.measured_days as f64 / 30.0;
        let keys = self.stationary.len() as f64;
        for (c, name) in self.names.iter().enumerate() {
            let fa = |f: fn(&KeyCount) -> &Vec<usize>| {
                self.stationary.iter().map(|(_, k)| f(k)[c]).sum::<usize>() as f64 / (keys * months)
            };
            let mut row = format!(
                "| {name} | {:.3} | {:.3} |",
                fa(|k| &k.drops),
                fa(|k| &k.volume)
            );
            let cell = |runs: &[&Injected]| {
                let delays: Vec<TimeDelta> =
                    runs.iter().filter_map(|r| r.detections[c].delay).collect();
                let median = quantile(&delays, 0.5).map_or("-".to_owned(), span);
                let eligible = runs
                    .iter()
                    .filter(|r| !r.detections[c].firing_at_start)
                    .count();
                format!(" {median} ({}/{eligible}) |", delays.len())
            };
            for (_, runs) in &drops {
                row.push_str(&cell(runs));
            }
            let all: Vec<&Injected> = silences
                .iter()
                .flat_map(|(_, r)| r.iter().copied())
                .collect();
            row.push_str(&cell(&all));
            let refired: usize = drops
                .iter()
                .flat_map(|(_, r)| r.iter())
                .map(|r| r.detections[c].refired)
                .sum();
            let resolved: Vec<TimeDelta> = drops
                .iter()
                .flat_map(|(_, r)| r.iter())
                .filter_map(|r| r.detections[c].resolved_after)
                .collect();
            let resolved = quantile(&resolved, 0.5).map_or("-".to_owned(), span);
            let _ = writeln!(out, "{row} {refired} | {resolved} |");
        }
        let _ = writeln!(out);
    }

    fn drops_by_case(&self) -> Vec<(String, Vec<&Injected>)> {
        let mut cases: Vec<(String, Vec<&Injected>)> = Vec::new();
        for (level, key, points, run) in &self.drops {
            let label = format!("{level} | {key} | -{points:.0}");
            match cases.iter_mut().find(|(l, _)| *l == label) {
                Some((_, runs)) => runs.push(run),
                None => cases.push((label, vec![run])),
            }
        }
        cases
    }

    fn silences_by_case(&self) -> Vec<(String, Vec<&Injected>)> {
        let mut cases: Vec<(String, Vec<&Injected>)> = Vec::new();
        for (key, run) in &self.silences {
            let label = format!("- | {key} | silent");
            match cases.iter_mut().find(|(l, _)| *l == label) {
                Some((_, runs)) => runs.push(run),
                None => cases.push((label, vec![run])),
            }
        }
        cases
    }

    fn render_injected(
        &self,
        out: &mut String,
        title: &str,
        cases: &[(String, Vec<&Injected>)],
        config: usize,
    ) {
        if cases.is_empty() {
            return;
        }
        let _ = writeln!(out, "## {title}\n");
        let _ = writeln!(out, "| volume | key | injected | answers a day | top box outside / inside (%) | detected | delay, median (p90) | answers until the alert, median (p90) | of them affected, median | resolved after the end, median | re-fired | alerts before | already firing at the start |");
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (label, runs) in cases {
            let d: Vec<Detection> = runs.iter().map(|r| r.detections[config]).collect();
            let found: Vec<&Detection> = d.iter().filter(|d| d.delay.is_some()).collect();
            let delays: Vec<TimeDelta> = found.iter().filter_map(|d| d.delay).collect();
            let answers: Vec<u64> = found.iter().map(|d| d.answers).collect();
            let affected: Vec<u64> = found.iter().map(|d| d.affected).collect();
            let resolved: Vec<TimeDelta> = found.iter().filter_map(|d| d.resolved_after).collect();
            let n = runs.len() as f64;
            let per_day = runs.iter().map(|r| r.per_day).sum::<f64>() / n;
            let outside = runs.iter().map(|r| r.realised.0).sum::<f64>() / n;
            let inside = runs.iter().map(|r| r.realised.1).sum::<f64>() / n;
            let _ = writeln!(
                out,
                "| {label} | {per_day:.0} | {outside:.1} / {inside:.1} | {}/{} | {} | {} | {} | {} | {} | {} | {} |",
                found.len(),
                d.iter().filter(|d| !d.firing_at_start).count(),
                spans(&delays),
                counts(&answers),
                quantile(&affected, 0.5).map_or("-".into(), |a| a.to_string()),
                quantile(&resolved, 0.5).map_or("-".into(), span),
                d.iter().map(|d| d.refired).sum::<usize>(),
                d.iter().map(|d| d.early).sum::<usize>(),
                d.iter().filter(|d| d.firing_at_start).count(),
            );
        }
        let _ = writeln!(out);
    }
}
