//! Where a run goes (`--target`): an NDJSON file, the ingest HTTP API, or
//! straight to Kafka through the ingest service's own steps.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::Context;
use carepulse_simulator::Item;
use chrono::SecondsFormat;

use super::http::HttpSink;
use super::kafka::KafkaSink;
use super::report::{Outcome, Report};

/// `--target`.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// `file:<path>`: NDJSON, one line per item.
    File(PathBuf),
    /// `http:<base-url>`: the ingest service.
    Http(String),
    /// `kafka`: the configured brokers.
    Kafka,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "kafka" {
            return Ok(Target::Kafka);
        }
        if let Some(path) = text.strip_prefix("file:").filter(|p| !p.is_empty()) {
            return Ok(Target::File(PathBuf::from(path)));
        }
        match text.strip_prefix("http:").map(url::Url::parse) {
            Some(Ok(url)) if url.scheme() == "http" && url.host().is_some() => {
                Ok(Target::Http(url.as_str().trim_end_matches('/').to_owned()))
            }
            _ => Err(format!(
                "'{text}' is not a target: write file:<path>, http:<base-url> (e.g. http:http://127.0.0.1:8080) or kafka"
            )),
        }
    }
}

/// An open target.
pub enum Sink {
    /// NDJSON lines.
    File(BufWriter<File>),
    /// The ingest HTTP API.
    Http(HttpSink),
    /// Kafka.
    Kafka(Box<KafkaSink>),
}

/// The NDJSON line of an item: send time, kind, endpoint, facility,
/// channel, incident and the body exactly as it would be posted.
pub fn ndjson_line(item: &Item) -> String {
    let text = |s: &str| serde_json::to_string(s).expect("strings serialise");
    format!(
        "{{\"at\":{},\"kind\":{},\"endpoint\":{},\"facility\":{},\"channel\":{},\"incident\":{},\"body\":{}}}\n",
        text(&item.at.to_rfc3339_opts(SecondsFormat::Millis, true)),
        text(item.kind.as_str()),
        text(item.endpoint.path()),
        text(&item.facility),
        text(item.channel.as_str()),
        item.incident.as_deref().map_or("null".to_owned(), text),
        item.body
    )
}

impl Sink {
    /// A file target, created (or truncated).
    pub fn file(path: &PathBuf) -> anyhow::Result<Sink> {
        let file =
            File::create(path).with_context(|| format!("cannot create '{}'", path.display()))?;
        Ok(Sink::File(BufWriter::new(file)))
    }

    /// Sends (or queues) one item.
    pub async fn send(&mut self, item: Item, report: &mut Report) -> anyhow::Result<()> {
        report.sent(item.kind);
        match self {
            Sink::File(out) => {
                out.write_all(ndjson_line(&item).as_bytes())?;
                let written = Outcome::Accepted {
                    how: "written".into(),
                    flagged: false,
                };
                report.outcome(item.kind, written);
            }
            Sink::Http(http) => http.send(item, report).await,
            Sink::Kafka(kafka) => kafka.send(item, report).await,
        }
        Ok(())
    }

    /// Housekeeping between items: due batches, finished requests.
    pub async fn tick(&mut self, report: &mut Report) {
        match self {
            Sink::File(_) => {}
            Sink::Http(http) => http.tick(report).await,
            Sink::Kafka(kafka) => kafka.collect(report),
        }
    }

    /// Sends what is queued and waits for every answer.
    pub async fn finish(&mut self, report: &mut Report) -> anyhow::Result<()> {
        match self {
            Sink::File(out) => out.flush()?,
            Sink::Http(http) => http.finish(report).await,
            Sink::Kafka(kafka) => kafka.finish(report).await,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_or_say_what_to_write() {
        assert_eq!("kafka".parse(), Ok(Target::Kafka));
        assert_eq!(
            "file:out.ndjson".parse(),
            Ok(Target::File("out.ndjson".into()))
        );
        assert_eq!(
            "http:http://127.0.0.1:8080/".parse(),
            Ok(Target::Http("http://127.0.0.1:8080".into()))
        );
        for bad in ["file:", "http:ftp://x", "s3:bucket"] {
            assert!(
                bad.parse::<Target>().unwrap_err().contains("file:<path>"),
                "{bad}"
            );
        }
    }
}
