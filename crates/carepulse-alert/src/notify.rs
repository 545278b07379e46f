//! Delivery to Alertmanager (`POST /api/v2/alerts`) in its own task, so an
//! Alertmanager that is down or slow never holds up detection.
//!
//! The detection loop hands over state, not messages: [`Notifier::update`]
//! takes the tick's changes and the alerts firing now and returns at once
//! (a mutex held for a copy, no IO). The task keeps a bounded mailbox: the
//! firing alerts (one entry per alert id, replaced by every tick, so a newer
//! state supersedes an older one still waiting) and the resolved alerts not
//! yet delivered (at most `capacity`, oldest dropped first, with an error
//! log). Each post carries all of them, with `endsAt` recomputed from the
//! wall clock (Alertmanager compares it with its own), so a post that
//! failed loses nothing: the next one carries the same or newer state.
//!
//! Posts happen when a tick changed something and every `resend_interval`
//! (Alertmanager resolves firing alerts whose `endsAt` passes). A failed
//! post is retried with exponential backoff from one second up to the
//! resend interval.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carepulse_detect::{postable_alert, Alert, AlertState, PostableAlert};
use chrono::Utc;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::settings::AlertmanagerOptions;

/// Most resolved alerts waiting for delivery.
pub const CAPACITY: usize = 10_000;

#[derive(Default)]
struct Mailbox {
    firing: BTreeMap<String, Alert>,
    resolved: BTreeMap<String, Alert>,
    /// Changed since the last post was taken.
    dirty: bool,
}

struct Shared {
    mailbox: Mutex<Mailbox>,
    wake: Notify,
    ok: AtomicU64,
    errors: AtomicU64,
}

/// The detection loop's handle on the delivery task.
#[derive(Clone)]
pub struct Notifier {
    shared: Arc<Shared>,
    capacity: usize,
}

/// Posts delivered and failed so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotifierStats {
    /// Posts Alertmanager accepted.
    pub ok: u64,
    /// Posts that failed (unreachable, timeout, an error status).
    pub errors: u64,
}

impl Notifier {
    /// Starts the delivery task; it stops when every [`Notifier`] is dropped.
    pub fn spawn(options: AlertmanagerOptions) -> (Notifier, tokio::task::JoinHandle<()>) {
        let shared = Arc::new(Shared {
            mailbox: Mutex::new(Mailbox::default()),
            wake: Notify::new(),
            ok: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        });
        let task = tokio::spawn(deliver(Arc::downgrade(&shared), options));
        (
            Notifier {
                shared,
                capacity: CAPACITY,
            },
            task,
        )
    }

    /// Hands over a tick's changes and the alerts firing now; never waits
    /// for the network.
    pub fn update<'a>(&self, changes: &[Alert], firing: impl Iterator<Item = &'a Alert>) {
        let mut mailbox = self
            .shared
            .mailbox
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let firing: BTreeMap<String, Alert> = firing.map(|a| (a.id.clone(), a.clone())).collect();
        let changed = !changes.is_empty() || firing.keys().ne(mailbox.firing.keys());
        mailbox.firing = firing;
        for alert in changes.iter().filter(|a| a.state == AlertState::Resolved) {
            mailbox.resolved.insert(alert.id.clone(), alert.clone());
        }
        while mailbox.resolved.len() > self.capacity {
            let oldest = mailbox
                .resolved
                .values()
                .min_by_key(|a| a.resolved_at)
                .map(|a| a.id.clone());
            if let Some(id) = oldest {
                tracing::error!(
                    alert_id = id,
                    "too many resolved alerts waiting for Alertmanager; dropped the oldest"
                );
                mailbox.resolved.remove(&id);
            }
        }
        if changed {
            mailbox.dirty = true;
            drop(mailbox);
            self.shared.wake.notify_one();
        }
    }

    /// Posts so far.
    pub fn stats(&self) -> NotifierStats {
        NotifierStats {
            ok: self.shared.ok.load(Ordering::Relaxed),
            errors: self.shared.errors.load(Ordering::Relaxed),
        }
    }
}

fn body(mailbox: &Mailbox, options: &AlertmanagerOptions) -> Vec<PostableAlert> {
    let now = Utc::now();
    mailbox
        .firing
        .values()
        .chain(mailbox.resolved.values())
        .map(|alert| {
            let mut posted = postable_alert(alert, now, options.valid_for);
            for (name, value) in &options.labels {
                posted
                    .labels
                    .entry(name.clone())
                    .or_insert_with(|| value.clone());
            }
            posted
        })
        .collect()
}

async fn post(
    http: &reqwest::Client,
    options: &AlertmanagerOptions,
    alerts: &[PostableAlert],
) -> Result<(), String> {
    let response = http
        .post(&options.alerts_url)
        .json(alerts)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    Err(format!(
        "{status}: {}",
        text.chars().take(200).collect::<String>()
    ))
}

const FIRST_BACKOFF: Duration = Duration::from_secs(1);

async fn deliver(shared: std::sync::Weak<Shared>, options: AlertmanagerOptions) {
    let http = match reqwest::Client::builder().timeout(options.timeout).build() {
        Ok(http) => http,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the Alertmanager HTTP client; alerts go to Kafka and ClickHouse only");
            return;
        }
    };
    let mut next_resend = Instant::now() + options.resend_interval;
    let mut backoff: Option<Duration> = None;
    // Holds the shared state for one round at a time: once every Notifier
    // is dropped, the task ends within a resend interval.
    while let Some(s) = shared.upgrade() {
        let wake = s.wake.notified();
        let dirty = s.mailbox.lock().unwrap_or_else(|e| e.into_inner()).dirty;
        match backoff {
            Some(wait) => tokio::time::sleep(wait).await,
            None if dirty => {}
            None => {
                tokio::select! {
                    _ = wake => {}
                    _ = tokio::time::sleep_until(next_resend) => {}
                }
            }
        }
        let (alerts, resolved): (Vec<PostableAlert>, Vec<String>) = {
            let mut mailbox = s.mailbox.lock().unwrap_or_else(|e| e.into_inner());
            mailbox.dirty = false;
            let resolved = mailbox.resolved.keys().cloned().collect();
            (body(&mailbox, &options), resolved)
        };
        next_resend = Instant::now() + options.resend_interval;
        if alerts.is_empty() {
            backoff = None;
            continue;
        }
        let span = tracing::info_span!("alertmanager_post", alerts = alerts.len());
        let result = tracing::Instrument::instrument(post(&http, &options, &alerts), span).await;
        crate::metrics::notification(result.is_ok());
        match result {
            Ok(()) => {
                s.ok.fetch_add(1, Ordering::Relaxed);
                backoff = None;
                // A resolved alert is final: once delivered it is done.
                let mut mailbox = s.mailbox.lock().unwrap_or_else(|e| e.into_inner());
                for id in resolved {
                    mailbox.resolved.remove(&id);
                }
            }
            Err(error) => {
                s.errors.fetch_add(1, Ordering::Relaxed);
                let wait = backoff.map_or(FIRST_BACKOFF, |b| (b * 2).min(options.resend_interval));
                tracing::warn!(error, retry_in = ?wait, url = options.alerts_url, "Alertmanager did not take the alerts");
                backoff = Some(wait);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    use axum::routing::post;
    use carepulse_detect::{AlertKind, Measure, Reading, Score, Severity};
    use chrono::{DateTime, TimeDelta};

    fn alert(id: &str, state: AlertState) -> Alert {
        let at: DateTime<Utc> = "2026-03-09T10:00:00Z".parse().unwrap();
        let reading = Reading {
            value: 30.0,
            low: Some(25.0),
            high: Some(35.0),
            n: 300,
            from: at,
            to: at,
        };
        Alert {
            id: id.into(),
            kind: AlertKind::ScoreDrop,
            state,
            severity: Severity::Warning,
            key: "department=ed".parse().unwrap(),
            measure: Measure::Share(Score::TopBox),
            current: reading,
            baseline: reading,
            since: at,
            fired_at: at,
            updated_at: at,
            resolved_at: (state == AlertState::Resolved).then_some(at + TimeDelta::hours(5)),
            evidence: "test".into(),
            link: "http://grafana/d/x".into(),
        }
    }

    fn options(url: String) -> AlertmanagerOptions {
        AlertmanagerOptions {
            alerts_url: url,
            resend_interval: Duration::from_secs(2),
            valid_for: TimeDelta::seconds(10),
            timeout: Duration::from_secs(1),
            labels: BTreeMap::from([("env".to_owned(), "test".to_owned())]),
        }
    }

    /// Hands over state the way the detection loop does, every millisecond
    /// for `ticks` ticks, and returns the slowest hand-over.
    async fn ticks(notifier: &Notifier, ticks: usize) -> Duration {
        let mut slowest = Duration::ZERO;
        for i in 0..ticks {
            let firing = [alert(&format!("a{}", i % 3), AlertState::Firing)];
            let began = std::time::Instant::now();
            notifier.update(&firing, firing.iter());
            slowest = slowest.max(began.elapsed());
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        slowest
    }

    #[tokio::test]
    async fn an_unreachable_alertmanager_never_holds_up_a_tick_and_is_retried() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/api/v2/alerts");
        let (notifier, _task) = Notifier::spawn(options(url));
        let slowest = ticks(&notifier, 1500).await;
        assert!(
            slowest < Duration::from_millis(20),
            "a hand-over took {slowest:?}"
        );
        let stats = notifier.stats();
        assert_eq!(stats.ok, 0);
        // 1.5 s of ticks with backoff 1 s, 2 s, ...: retried, not hammered.
        assert!((1..=4).contains(&stats.errors), "{stats:?}");
    }

    #[tokio::test]
    async fn a_slow_failing_alertmanager_gets_the_newest_state_once_it_recovers() {
        let calls = Arc::new(AtomicUsize::new(0));
        let bodies = Arc::new(Mutex::new(Vec::<serde_json::Value>::new()));
        let app = {
            let (calls, bodies) = (calls.clone(), bodies.clone());
            axum::Router::new().route(
                "/api/v2/alerts",
                post(
                    move |axum::Json(body): axum::Json<serde_json::Value>| async move {
                        // The first two posts hang for 0.8 s and fail.
                        if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                            tokio::time::sleep(Duration::from_millis(800)).await;
                            return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                        }
                        bodies.lock().unwrap().push(body);
                        axum::http::StatusCode::OK
                    },
                ),
            )
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/v2/alerts", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let (notifier, _task) = Notifier::spawn(options(url));
        let firing = [alert("drop-1", AlertState::Firing)];
        notifier.update(&firing, firing.iter());
        let slowest = ticks(&notifier, 300).await;
        assert!(
            slowest < Duration::from_millis(20),
            "a hand-over took {slowest:?}"
        );
        // The drop resolves while posts are failing; a1 keeps firing.
        let resolved = [alert("drop-1", AlertState::Resolved)];
        let still = [alert("a1", AlertState::Firing)];
        notifier.update(&resolved, still.iter());
        let deadline = std::time::Instant::now() + Duration::from_secs(8);
        while notifier.stats().ok == 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let stats = notifier.stats();
        assert_eq!(stats.errors, 2, "{stats:?}");
        assert!(stats.ok >= 1, "{stats:?}");
        let bodies = bodies.lock().unwrap();
        let first = bodies[0].as_array().unwrap();
        let ids: Vec<&str> = first
            .iter()
            .map(|a| a["annotations"]["alert_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["a1", "drop-1"], "the firing alert and the resolution");
        let drop_1 = &first[1];
        assert_eq!(drop_1["endsAt"], "2026-03-09T15:00:00Z", "sent as resolved");
        assert_eq!(drop_1["labels"]["env"], "test", "configured labels added");
        assert_eq!(drop_1["labels"]["alertname"], "CarepulseScoreDrop");
    }
}
