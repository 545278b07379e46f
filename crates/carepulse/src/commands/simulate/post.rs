//! Posting to the ingest service: one item, or a gateway batch whose items
//! the service could not store (503 per item) are posted again. 429 and
//! 503 are retried after their `Retry-After`, connection errors after a
//! back-off, both at most five times.

use std::time::Duration;

use carepulse_simulator::{Item, ItemKind};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde::Deserialize;

use super::report::Outcome;

const MAX_ATTEMPTS: u32 = 5;
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// What became of the items of one request.
pub type Results = Vec<(ItemKind, Outcome)>;

/// One POST; 429 and 503 are retried after `Retry-After`, connection
/// errors after a back-off. The final status and body, or the error.
async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    media: &str,
    body: String,
    attempts: u32,
) -> Result<(u16, String), String> {
    for attempt in 1..=attempts {
        let request = client
            .post(url)
            .bearer_auth(token)
            .header(CONTENT_TYPE, media)
            .body(body.clone());
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                if matches!(status, 429 | 503) && attempt < attempts {
                    let wait = response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok()?.parse().ok())
                        .unwrap_or(1);
                    tokio::time::sleep(Duration::from_secs(wait).min(MAX_RETRY_WAIT)).await;
                    continue;
                }
                return Ok((status, response.text().await.unwrap_or_default()));
            }
            Err(e) if attempt == attempts => return Err(format!("POST {url}: {e}")),
            Err(_) => tokio::time::sleep(Duration::from_millis(250 << attempt)).await,
        }
    }
    Err(format!("POST {url}: gave up"))
}

#[derive(Deserialize)]
struct Accepted {
    suspect: Option<String>,
}

/// Posts one item. Mashed presses are not retried: a 429 from the
/// service's per-device limit is one of the answers they test for.
pub async fn post_one(client: reqwest::Client, url: String, token: String, item: Item) -> Results {
    let attempts = if item.kind == ItemKind::MashedPress {
        1
    } else {
        MAX_ATTEMPTS
    };
    let media = "application/json";
    let outcome = match post(&client, &url, &token, media, item.body, attempts).await {
        Ok((status, body)) if (200..300).contains(&status) => {
            let flagged =
                serde_json::from_str::<Accepted>(&body).is_ok_and(|a| a.suspect.is_some());
            Outcome::Accepted {
                how: status.to_string(),
                flagged,
            }
        }
        Ok((status, _)) => Outcome::Rejected(status.to_string()),
        Err(e) => Outcome::Failed(e),
    };
    vec![(item.kind, outcome)]
}

#[derive(Deserialize)]
struct BatchAnswer {
    results: Vec<BatchItem>,
}

#[derive(Deserialize)]
struct BatchItem {
    index: usize,
    status: u16,
    suspect: Option<String>,
}

/// Posts a gateway batch; items the service could not store (503) are
/// posted again.
pub async fn post_batch(
    client: reqwest::Client,
    url: String,
    token: String,
    mut items: Vec<(ItemKind, String)>,
) -> Results {
    let mut out = Vec::with_capacity(items.len());
    for attempt in 1..=MAX_ATTEMPTS {
        let body = items
            .iter()
            .map(|(_, b)| b.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let answer = match post(
            &client,
            &url,
            &token,
            "application/x-ndjson",
            body,
            MAX_ATTEMPTS,
        )
        .await
        {
            Err(e) => {
                out.extend(
                    items
                        .iter()
                        .map(|(kind, _)| (*kind, Outcome::Failed(e.clone()))),
                );
                return out;
            }
            Ok((200, text)) => serde_json::from_str::<BatchAnswer>(&text),
            Ok((status, _)) => {
                out.extend(
                    items
                        .iter()
                        .map(|(kind, _)| (*kind, Outcome::Rejected(status.to_string()))),
                );
                return out;
            }
        };
        let Ok(answer) = answer else {
            out.extend(
                items
                    .iter()
                    .map(|(kind, _)| (*kind, Outcome::Failed("unreadable batch answer".into()))),
            );
            return out;
        };
        let mut again = Vec::new();
        for r in answer.results {
            let Some((kind, body)) = items.get(r.index).cloned() else {
                continue;
            };
            match r.status {
                503 if attempt < MAX_ATTEMPTS => again.push((kind, body)),
                200..=299 => out.push((
                    kind,
                    Outcome::Accepted {
                        how: r.status.to_string(),
                        flagged: r.suspect.is_some(),
                    },
                )),
                status => out.push((kind, Outcome::Rejected(status.to_string()))),
            }
        }
        if again.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        items = again;
    }
    out
}
