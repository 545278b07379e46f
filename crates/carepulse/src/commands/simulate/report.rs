//! Counting what a run sent and what became of it: a progress line about
//! once a second while it runs, a table per kind of item at the end.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use carepulse_simulator::ItemKind;
use chrono::{DateTime, SecondsFormat, Utc};

/// What became of one item.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Taken: the HTTP status, `published` or `written`; `flagged` when the
    /// service marked it suspect (a repeated kiosk press).
    Accepted { how: String, flagged: bool },
    /// Refused: the HTTP status, or `invalid`.
    Rejected(String),
    /// Not sent, and why.
    Skipped(&'static str),
    /// Could not be delivered (connection, broker), with the error.
    Failed(String),
}

#[derive(Debug, Default)]
struct Tally {
    sent: usize,
    accepted: usize,
    flagged: usize,
    rejected: usize,
    throttled: usize,
    skipped: usize,
    failed: usize,
    by: BTreeMap<String, usize>,
}

enum Progress {
    Off,
    Live,
    Lines,
}

/// Counts per kind of item, and the progress display.
pub struct Report {
    kinds: BTreeMap<ItemKind, Tally>,
    started: Instant,
    shown: Instant,
    progress: Progress,
    first_error: Option<String>,
}

impl Report {
    /// Progress goes to stderr when it is a terminal (one updating line) or
    /// when `forced` (plain lines).
    pub fn new(forced: bool) -> Report {
        let progress = match (std::io::stderr().is_terminal(), forced) {
            (true, _) => Progress::Live,
            (false, true) => Progress::Lines,
            (false, false) => Progress::Off,
        };
        Report {
            kinds: BTreeMap::new(),
            started: Instant::now(),
            shown: Instant::now(),
            progress,
            first_error: None,
        }
    }

    /// An item went out.
    pub fn sent(&mut self, kind: ItemKind) {
        self.kinds.entry(kind).or_default().sent += 1;
    }

    /// What became of an item.
    pub fn outcome(&mut self, kind: ItemKind, outcome: Outcome) {
        let t = self.kinds.entry(kind).or_default();
        match outcome {
            Outcome::Accepted { how, flagged } => {
                t.accepted += 1;
                t.flagged += usize::from(flagged);
                *t.by.entry(how).or_default() += 1;
            }
            Outcome::Rejected(how) => {
                t.rejected += 1;
                t.throttled += usize::from(how == "429");
                *t.by.entry(how).or_default() += 1;
            }
            Outcome::Skipped(why) => {
                t.skipped += 1;
                *t.by.entry(format!("skipped ({why})")).or_default() += 1;
            }
            Outcome::Failed(error) => {
                t.failed += 1;
                *t.by.entry("failed".into()).or_default() += 1;
                self.first_error.get_or_insert(error);
            }
        }
    }

    fn totals(&self) -> (usize, usize) {
        let sent = self.kinds.values().map(|t| t.sent).sum();
        let errors = self.kinds.values().map(|t| t.failed).sum();
        (sent, errors)
    }

    /// Shows progress when a second has passed since it was last shown.
    pub fn tick(&mut self, simulated: DateTime<Utc>) {
        if matches!(self.progress, Progress::Off) || self.shown.elapsed() < Duration::from_secs(1) {
            return;
        }
        self.shown = Instant::now();
        let (sent, errors) = self.totals();
        let rate = sent as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        let line = format!(
            "sent {sent} items, {rate:.0}/s, {errors} errors, simulated time {}",
            simulated.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        let mut err = std::io::stderr().lock();
        let _ = match self.progress {
            Progress::Live => write!(err, "\r\x1b[2K{line}"),
            _ => writeln!(err, "{line}"),
        };
    }

    /// Whether an item meant to be accepted was refused for a reason other
    /// than the service's rate limits, or could not be delivered.
    pub fn has_failures(&self) -> bool {
        self.kinds.iter().any(|(kind, t)| {
            let refused = t.rejected - t.throttled;
            t.failed > 0 || (!matches!(kind, ItemKind::Bad | ItemKind::MashedPress) && refused > 0)
        })
    }

    /// The table at the end of a run.
    pub fn summary(&self, out: &mut impl Write) -> std::io::Result<()> {
        if matches!(self.progress, Progress::Live) {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{:<13} {:>8} {:>9} {:>8} {:>8} {:>7}  by status",
            "kind", "sent", "accepted", "rejected", "skipped", "failed"
        )?;
        for (kind, t) in &self.kinds {
            let mut by: Vec<String> = t.by.iter().map(|(how, n)| format!("{how}: {n}")).collect();
            if t.flagged > 0 {
                by.push(format!("flagged repeat_press: {}", t.flagged));
            }
            writeln!(
                out,
                "{:<13} {:>8} {:>9} {:>8} {:>8} {:>7}  {}",
                kind.as_str(),
                t.sent,
                t.accepted,
                t.rejected,
                t.skipped,
                t.failed,
                by.join(", ")
            )?;
        }
        let (sent, errors) = self.totals();
        let seconds = self.started.elapsed().as_secs_f64();
        writeln!(
            out,
            "{sent} items in {seconds:.1} s ({:.0}/s), {errors} failed",
            sent as f64 / seconds.max(0.001)
        )?;
        let throttled: usize = self.kinds.values().map(|t| t.throttled).sum();
        if throttled > 0 {
            writeln!(
                out,
                "{throttled} items were refused with 429 by the ingest service's rate limits \
                 (ingest.device_rate_per_min, ingest.token_rate_per_sec): a slower --pace avoids that"
            )?;
        }
        if let Some(error) = &self.first_error {
            writeln!(out, "first failure: {error}")?;
        }
        Ok(())
    }
}
