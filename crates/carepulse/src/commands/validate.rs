//! `carepulse validate`: checks submissions from files as the ingest service
//! would, so an integrator can test a kiosk or gateway payload offline.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use carepulse_model::{decode_submission, validate, Pseudonymiser, ValidationContext};
use chrono::{DateTime, Utc};

/// Files to check.
#[derive(clap::Args)]
pub struct Args {
    /// Files holding one JSON object, a JSON array of objects, or NDJSON
    /// (one object per line); `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Validate as if it were this time (RFC 3339), e.g. for old examples.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// Print each valid submission as the event carepulse would publish
    /// (NDJSON on stdout; reports go to stderr).
    #[arg(long)]
    print_events: bool,
}

/// Splits a file into submissions: one JSON document (an object, or an
/// array of them), or NDJSON when the first line is a JSON value on its own,
/// so that one broken line is one problem, not a broken file.
fn split_items(text: &str) -> Vec<String> {
    let trimmed = text.trim();
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(trimmed) {
        return match value {
            serde_json::Value::Array(items) => items.iter().map(|v| v.to_string()).collect(),
            _ => vec![trimmed.to_owned()],
        };
    }
    let mut lines = text.lines().filter(|l| !l.trim().is_empty()).peekable();
    let ndjson = lines
        .peek()
        .is_some_and(|first| serde_json::from_str::<serde_json::Value>(first).is_ok());
    if ndjson {
        lines.map(str::to_owned).collect()
    } else {
        vec![text.to_owned()]
    }
}

pub(crate) fn read(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read '{}'", path.display()))
}

/// Validates every item; exit code 1 when any is invalid.
pub fn run(config_file: Option<&Path>, args: &Args) -> anyhow::Result<ExitCode> {
    let config = super::valid_config(config_file)?;
    let now = args.now.unwrap_or_else(Utc::now);
    let ctx = ValidationContext {
        catalog: &config.catalog,
        now,
        limits: &config.limits,
    };
    let pseudonymiser = match &config.pseudonymiser {
        Some(p) => p.clone(),
        None => {
            if args.print_events {
                eprintln!("note: no privacy key configured; pseudonyms below use a throwaway key");
            }
            Pseudonymiser::new("preview", &[0x5a; 32]).expect("fixed key is long enough")
        }
    };
    let (mut ok, mut bad) = (0usize, 0usize);
    for path in &args.files {
        let text = read(path)?;
        for (i, item) in split_items(&text).iter().enumerate() {
            let place = format!("{}#{}", path.display(), i + 1);
            let result = decode_submission(item.as_bytes()).and_then(|s| validate(s, &ctx));
            match result {
                Ok(valid) => {
                    ok += 1;
                    eprintln!("{place}: ok");
                    if args.print_events {
                        let event = valid.into_event(&pseudonymiser, now);
                        println!("{}", serde_json::to_string(&event)?);
                    }
                }
                Err(problems) => {
                    bad += 1;
                    eprintln!("{place}: {} problem(s)", problems.0.len());
                    for p in problems.iter() {
                        let field = if p.field.is_empty() {
                            "(body)"
                        } else {
                            &p.field
                        };
                        eprintln!("  {field}: {} [{}]", p.reason, p.code);
                    }
                }
            }
        }
    }
    eprintln!("{ok} valid, {bad} invalid");
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::split_items;

    #[test]
    fn files_split_into_arrays_ndjson_or_one_object() {
        assert_eq!(split_items("[{\"a\":1},{\"b\":2}]").len(), 2);
        assert_eq!(split_items("{\"a\":1}\n{\"b\":2}\n\n").len(), 2);
        assert_eq!(split_items("{\n  \"a\": 1\n}\n").len(), 1);
        assert_eq!(split_items("{broken").len(), 1);
        assert_eq!(
            split_items("{\"a\":1}\n{broken\n{\"b\":2}\n").len(),
            3,
            "one broken line is one item"
        );
    }
}
