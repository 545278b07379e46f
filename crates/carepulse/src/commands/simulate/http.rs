//! The http target: posts items to the ingest service as kiosks and
//! gateways would, with their facility's token. Kiosks and the portal post
//! one item at a time; SMS and e-mail gateways post NDJSON batches (at most
//! 500 items, or what gathered in a second). Requests in flight are
//! bounded; 429 and 503 are retried after their `Retry-After`, connection
//! errors after a short back-off, both at most five times.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use carepulse_model::Channel;
use carepulse_simulator::{Endpoint, Item, ItemKind};
use serde::Deserialize;
use tokio::task::JoinSet;

use super::post::{post_batch, post_one, Results};
use super::report::Report;

const BATCH_ITEMS: usize = 500;
const BATCH_WAIT: Duration = Duration::from_secs(1);

/// `--tokens`: `[tokens]` mapping facility id to its plain token.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokensFile {
    tokens: BTreeMap<String, String>,
}

/// Posts items to the ingest service.
pub struct HttpSink {
    client: reqwest::Client,
    base: String,
    tokens: Arc<BTreeMap<String, String>>,
    limit: usize,
    tasks: JoinSet<Results>,
    /// Gateway batches per facility, with when their first item came.
    batches: BTreeMap<String, (Instant, Vec<(ItemKind, String)>)>,
}

impl HttpSink {
    /// A sink for `base`, with a token for each of `facilities`.
    pub fn new(
        base: &str,
        tokens: &Path,
        facilities: &[&str],
        limit: usize,
    ) -> anyhow::Result<HttpSink> {
        let text = std::fs::read_to_string(tokens).with_context(|| {
            format!(
                "cannot read the tokens file '{}' (--tokens)",
                tokens.display()
            )
        })?;
        let file: TokensFile = toml::from_str(&text).with_context(|| {
            format!(
                "'{}' must hold a [tokens] table of facility id = token",
                tokens.display()
            )
        })?;
        let missing: Vec<&str> = facilities
            .iter()
            .copied()
            .filter(|f| !file.tokens.contains_key(*f))
            .collect();
        if !missing.is_empty() {
            bail!(
                "'{}' has no token for facility {}: add it under [tokens]",
                tokens.display(),
                missing.join(", ")
            );
        }
        Ok(HttpSink {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            base: base.to_owned(),
            tokens: Arc::new(file.tokens),
            limit: limit.max(1),
            tasks: JoinSet::new(),
            batches: BTreeMap::new(),
        })
    }

    /// Posts an item, or adds it to its gateway's batch.
    pub async fn send(&mut self, item: Item, report: &mut Report) {
        let gateway = matches!(item.channel, Channel::Sms | Channel::Email)
            && item.endpoint == Endpoint::Feedback;
        if !gateway {
            let (client, token) = (self.client.clone(), self.token(&item.facility));
            let url = format!("{}{}", self.base, item.endpoint.path());
            self.spawn(
                report,
                async move { post_one(client, url, token, item).await },
            )
            .await;
            return;
        }
        let batch = self
            .batches
            .entry(item.facility.clone())
            .or_insert_with(|| (Instant::now(), Vec::new()));
        batch.1.push((item.kind, item.body));
        if batch.1.len() >= BATCH_ITEMS {
            self.flush(&item.facility, report).await;
        }
    }

    fn token(&self, facility: &str) -> String {
        self.tokens.get(facility).cloned().unwrap_or_default()
    }

    async fn flush(&mut self, facility: &str, report: &mut Report) {
        let Some((_, items)) = self.batches.remove(facility) else {
            return;
        };
        let (client, token) = (self.client.clone(), self.token(facility));
        let url = format!("{}/v1/feedback/batch", self.base);
        self.spawn(report, async move {
            post_batch(client, url, token, items).await
        })
        .await;
    }

    async fn spawn(
        &mut self,
        report: &mut Report,
        job: impl std::future::Future<Output = Results> + Send + 'static,
    ) {
        while self.tasks.len() >= self.limit {
            if let Some(done) = self.tasks.join_next().await {
                record(report, done);
            }
        }
        self.tasks.spawn(job);
    }

    /// Posts batches that waited a second; records finished requests.
    pub async fn tick(&mut self, report: &mut Report) {
        let due: Vec<String> = self
            .batches
            .iter()
            .filter(|(_, (since, _))| since.elapsed() >= BATCH_WAIT)
            .map(|(f, _)| f.clone())
            .collect();
        for facility in due {
            self.flush(&facility, report).await;
        }
        while let Some(done) = self.tasks.try_join_next() {
            record(report, done);
        }
    }

    /// Posts every batch and waits for every answer.
    pub async fn finish(&mut self, report: &mut Report) {
        let facilities: Vec<String> = self.batches.keys().cloned().collect();
        for facility in facilities {
            self.flush(&facility, report).await;
        }
        while let Some(done) = self.tasks.join_next().await {
            record(report, done);
        }
    }
}

fn record(report: &mut Report, done: Result<Results, tokio::task::JoinError>) {
    match done {
        Ok(results) => results
            .into_iter()
            .for_each(|(kind, outcome)| report.outcome(kind, outcome)),
        Err(e) => tracing::error!(error = %e, "a request task failed"),
    }
}
