//! The processor's state across partitions and the flush that makes a
//! batch durable: raw rows, dead letters, minute counts, snapshots, then
//! the offset commit, in that order, each step retried until it succeeds.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Range;
use std::time::{Duration, Instant};

use carepulse_clickhouse::minutes::MinuteEncoder;
use carepulse_clickhouse::rowbinary::EncodedChunks;
use carepulse_clickhouse::rows::{
    EventWrite, MinuteCountWrite, RejectedRow, SnapshotRow, UncountedRow,
};
use carepulse_engine::{EngineConfig, MinuteRow};
use chrono::{TimeDelta, Utc};
use clickhouse::Client;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::BorrowedMessage;
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::runtime::Handle;

use crate::dead_letter::DeadLetters;
use crate::partition::{PartitionState, Rejected, DISORDER};
use crate::settings::ProcessSettings;
use crate::{metrics, sink};

/// Room the held-message buffer keeps between rounds (a round takes up to
/// 1,000 messages; carepulse's are about 1 KiB).
const HELD_BYTES_KEPT: usize = 4 << 20;

/// Messages read and not handled yet, copied into one buffer that is
/// reused once every message in it was handled (a copy per message, no
/// allocation per message).
#[derive(Debug, Default)]
struct Held {
    bytes: Vec<u8>,
    messages: VecDeque<HeldMessage>,
}

/// Where a held message is in [`Held::bytes`].
#[derive(Debug)]
struct HeldMessage {
    partition: i32,
    offset: i64,
    key: Option<Range<usize>>,
    payload: Range<usize>,
}

impl Held {
    /// Keeps a copy of `message`.
    fn push(&mut self, message: &BorrowedMessage<'_>) {
        let mut copy = |data: &[u8]| {
            let start = self.bytes.len();
            self.bytes.extend_from_slice(data);
            start..self.bytes.len()
        };
        let key = message.key().map(&mut copy);
        let payload = copy(message.payload().unwrap_or_default());
        self.messages.push_back(HeldMessage {
            partition: message.partition(),
            offset: message.offset(),
            key,
            payload,
        });
    }

    /// Drops the messages of `partitions`.
    fn forget(&mut self, partitions: &[i32]) {
        self.messages.retain(|m| !partitions.contains(&m.partition));
        self.reuse_if_empty();
    }

    /// Empties the buffer once every message in it was handled, giving
    /// back what a burst made it grow beyond [`HELD_BYTES_KEPT`].
    fn reuse_if_empty(&mut self) {
        if self.messages.is_empty() {
            self.bytes.clear();
            self.bytes.shrink_to(HELD_BYTES_KEPT);
        }
    }
}

/// Why a step of the processor failed; every one is retried.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// ClickHouse refused or did not answer.
    #[error(transparent)]
    Sink(#[from] sink::SinkError),
    /// The broker refused or did not answer.
    #[error("Kafka {what} failed: {source}")]
    Kafka {
        /// What was attempted.
        what: &'static str,
        /// The client error.
        source: KafkaError,
    },
}

/// A flush in progress: its rows are drained from the partitions and
/// written step by step; a failed step is retried, earlier steps are not
/// repeated.
#[derive(Debug, Default)]
struct Batch {
    events: EncodedChunks,
    uncounted: Vec<UncountedRow>,
    rejected: Vec<Rejected>,
    /// Minute rows by partition, with the version they are written with.
    minutes: Vec<(i32, u64, Vec<MinuteRow>)>,
    snapshots: Vec<SnapshotRow>,
    received: Vec<chrono::DateTime<Utc>>,
    duplicates: u64,
    offsets: Vec<(i32, i64)>,
    done: usize,
}

const STEPS: usize = 7;

/// Everything the processor holds, shared between the poll loop and the
/// rebalance callbacks (which run inside `poll` on the same thread).
pub struct Core {
    settings: ProcessSettings,
    engine: EngineConfig,
    client: Client,
    runtime: Handle,
    dead_letters: DeadLetters,
    topic: String,
    owned: BTreeMap<i32, PartitionState>,
    parked: BTreeMap<i32, PartitionState>,
    unrestored: BTreeSet<i32>,
    held: Held,
    /// Encodes minute rows, keeping each cell's columns encoded.
    minute_encoder: MinuteEncoder,
    batch: Option<Batch>,
    pending_messages: usize,
    last_flush: Instant,
    last_snapshot: Option<Instant>,
    /// Version of the snapshot rows written last (or found at a restore).
    last_version: u64,
}

impl Core {
    /// A processor with no partitions yet.
    pub fn new(
        settings: ProcessSettings,
        client: Client,
        runtime: Handle,
        dead_letters: DeadLetters,
        topic: String,
    ) -> Self {
        Core {
            engine: settings.engine_config(),
            settings,
            client,
            runtime,
            dead_letters,
            topic,
            owned: BTreeMap::new(),
            parked: BTreeMap::new(),
            unrestored: BTreeSet::new(),
            held: Held::default(),
            minute_encoder: MinuteEncoder::default(),
            batch: None,
            pending_messages: 0,
            last_flush: Instant::now(),
            last_snapshot: None,
            last_version: 0,
        }
    }

    /// Keeps a copy of a message for [`Core::work`].
    pub fn hold(&mut self, message: &BorrowedMessage<'_>) {
        self.held.push(message);
    }

    /// Partitions were assigned: their state is restored before their
    /// first message is handled. Parked states of partitions not assigned
    /// back went to another instance: they are dropped (each can hold a
    /// partition's 28 days of windows).
    pub fn assign(&mut self, partitions: &[i32]) {
        let before = self.parked.len();
        self.parked.retain(|p, _| partitions.contains(p));
        if self.parked.len() < before {
            tracing::info!(
                dropped = before - self.parked.len(),
                "states of partitions now owned elsewhere dropped"
            );
        }
        self.unrestored.extend(partitions.iter().copied());
        self.set_assigned_gauge();
        tracing::info!(?partitions, "partitions assigned");
    }

    /// Partitions are being revoked: flush what was read (a few attempts)
    /// so that the next owner starts where this one stopped, then let them
    /// go. A state flushed and committed is parked, in case the partition
    /// comes back unchanged.
    pub fn revoke<C: ConsumerContext>(&mut self, consumer: &BaseConsumer<C>, partitions: &[i32]) {
        tracing::info!(?partitions, "partitions revoked; flushing first");
        let mut flushed = false;
        for attempt in 0..3 {
            match self.flush(consumer) {
                Ok(()) => {
                    flushed = true;
                    break;
                }
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "flush before revocation failed");
                    std::thread::sleep(self.backoff(attempt));
                }
            }
        }
        self.held.forget(partitions);
        // Lets go of the cells of the engines dropped below.
        self.minute_encoder.clear();
        for p in partitions {
            self.unrestored.remove(p);
            if let Some(mut state) = self.owned.remove(p) {
                metrics::gauge_lag(*p, 0);
                if flushed && state.committed == state.next_offset {
                    state.pending = Default::default();
                    self.parked.insert(*p, state);
                }
            }
            if let Some(batch) = &mut self.batch {
                // The next owner replays from the committed offset; this
                // instance must not commit for the partition any more, nor
                // write its minute and snapshot rows later: their versions
                // could beat the next owner's newer rows. (Its events and
                // audit rows are the same whoever writes them.)
                batch.offsets.retain(|(q, _)| q != p);
                batch.minutes.retain(|(q, _, _)| q != p);
                batch
                    .snapshots
                    .retain(|r| i32::from(r.kafka_partition) != *p);
            }
        }
        self.set_assigned_gauge();
    }

    fn set_assigned_gauge(&self) {
        ::metrics::gauge!(metrics::ASSIGNED).set((self.owned.len() + self.unrestored.len()) as f64);
    }

    /// The wait before retry number `attempt` (from 0).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ms = self
            .settings
            .retry_initial_ms
            .saturating_mul(1 << attempt.min(16))
            .min(self.settings.retry_max_ms);
        Duration::from_millis(ms)
    }

    /// Does what is due: restores assigned partitions, finishes a flush in
    /// progress, handles held messages and flushes when the batch is full
    /// or old enough. An error leaves everything in place for a retry.
    pub fn work<C: ConsumerContext>(
        &mut self,
        consumer: &BaseConsumer<C>,
    ) -> Result<(), StepError> {
        if !self.unrestored.is_empty() {
            self.restore(consumer).inspect_err(|_| {
                ::metrics::counter!(metrics::RESTORE_ERRORS).increment(1);
            })?;
        }
        if self.batch.is_some() {
            self.flush(consumer)?;
        }
        let now = Utc::now();
        while let Some(message) = self.held.messages.pop_front() {
            let Some(state) = self.owned.get_mut(&message.partition) else {
                continue; // revoked since it was read
            };
            let bytes = &self.held.bytes;
            let key = message.key.map(|k| &bytes[k]);
            state.handle(message.offset, key, &bytes[message.payload], now);
            self.pending_messages += 1;
            if self.pending_messages >= self.settings.max_batch_events {
                self.flush(consumer)?;
            }
        }
        self.held.reuse_if_empty();
        let snapshot_due = self.snapshot_due();
        let flush_due = self.last_flush.elapsed() >= self.settings.flush_interval()
            && (self.pending_messages > 0 || (snapshot_due && !self.owned.is_empty()));
        if flush_due {
            self.flush(consumer)?;
        }
        Ok(())
    }

    /// Restores every assigned partition: a parked state whose position is
    /// the committed offset is taken back as it is; otherwise the state is
    /// rebuilt from every counted event ClickHouse holds for the partition
    /// (see [`PartitionState::restored`]) and reading starts at the
    /// committed offset, or at the log's start when the position was lost
    /// or points past the log.
    fn restore<C: ConsumerContext>(&mut self, consumer: &BaseConsumer<C>) -> Result<(), StepError> {
        let mut tpl = TopicPartitionList::new();
        for p in &self.unrestored {
            tpl.add_partition(&self.topic, *p);
        }
        let committed = consumer
            .committed_offsets(tpl, Duration::from_secs(10))
            .map_err(|source| StepError::Kafka {
                what: "reading committed offsets",
                source,
            })?;
        let horizon = self.engine.allowed_lateness
            + TimeDelta::minutes(
                self.engine
                    .windows
                    .iter()
                    .map(|w| w.minutes)
                    .max()
                    .unwrap_or(60),
            )
            + DISORDER;
        let timeout = self.settings.query_timeout();
        for element in committed.elements() {
            let p = element.partition();
            let stored = self
                .runtime
                .block_on(sink::stored(&self.client, p, timeout))?;
            let (low, high) = consumer
                .fetch_watermarks(&self.topic, p, Duration::from_secs(10))
                .map_err(|source| StepError::Kafka {
                    what: "reading the partition's watermarks",
                    source,
                })?;
            // What is found here is counted once the partition is
            // restored, not at every attempt.
            let mut found = None;
            let offset = match element.offset() {
                Offset::Offset(o) if o > high => {
                    found = Some(metrics::LOG_RESETS);
                    self.read_from_log_start(consumer, p, o, low)?
                }
                Offset::Offset(o) => o,
                _ => {
                    if warn_if_offsets_lost(p, stored.events) {
                        found = Some(metrics::OFFSETS_LOST);
                    }
                    0
                }
            };
            let count_found = || {
                if let Some(name) = found {
                    ::metrics::counter!(name).increment(1);
                }
            };
            // Minute versions are log positions plus a base that keeps them
            // above every version the partition's minutes have: another
            // instance may have written past the committed offset, and a
            // replaced log starts again from a low offset.
            let minutes_version =
                self.runtime
                    .block_on(sink::latest_minute_version(&self.client, p, timeout))?;
            let base = minutes_version.saturating_sub(offset.max(0) as u64);
            // Snapshot versions are milliseconds, kept above the partition's
            // highest, which another instance's clock may have set.
            let latest =
                self.runtime
                    .block_on(sink::latest_snapshot_version(&self.client, p, timeout))?;
            self.last_version = self.last_version.max(latest);
            if let Some(mut parked) = self.parked.remove(&p) {
                if parked.next_offset == offset {
                    tracing::info!(partition = p, offset, "partition taken back as it was");
                    parked.version_base = parked.version_base.max(base);
                    self.owned.insert(p, parked);
                    self.unrestored.remove(&p);
                    count_found();
                    continue;
                }
            }
            let started = Instant::now();
            let mut state = PartitionState::new(p, offset, self.engine.clone());
            // Up to the last stored event (and the log's end), messages
            // whose events ClickHouse holds are read again: the state must
            // find them duplicates, so it forgets nothing before (the
            // restored events include later ones than the position, whose
            // times would move the forgetting ahead of where the reading
            // is). Beyond, the state forgets as usual, however long the
            // backlog.
            if stored.events > 0 {
                state.catch_up_until = high.min(stored.last_offset as i64 + 1);
            }
            let restored = self.runtime.block_on(sink::restore_events(
                &self.client,
                p,
                &stored,
                horizon,
                timeout,
                |event| state.restore(event),
            ))?;
            let written =
                self.runtime
                    .block_on(sink::written_snapshots(&self.client, p, timeout))?;
            state.version_base = base;
            state.restored(written);
            tracing::info!(
                partition = p,
                offset,
                restored,
                seconds = started.elapsed().as_secs_f64(),
                "partition state restored from ClickHouse"
            );
            self.owned.insert(p, state);
            self.unrestored.remove(&p);
            count_found();
        }
        self.set_assigned_gauge();
        Ok(())
    }

    /// Moves the consumer to `low`, the start of a log that ends before the
    /// committed `offset`: the broker lost the end of the log (an unclean
    /// leader election, storage restored from a backup), or the topic was
    /// created again while the group kept its offsets. The state starts
    /// there too, or every message below the old position would be skipped
    /// as a redelivery.
    fn read_from_log_start<C: ConsumerContext>(
        &self,
        consumer: &BaseConsumer<C>,
        partition: i32,
        offset: i64,
        low: i64,
    ) -> Result<i64, StepError> {
        consumer
            .seek(
                &self.topic,
                partition,
                Offset::Offset(low),
                Duration::from_secs(10),
            )
            .map_err(|source| StepError::Kafka {
                what: "moving to the start of a partition's log",
                source,
            })?;
        tracing::error!(
            partition,
            committed = offset,
            "the partition's log ends before the committed offset (topic re-created, or the \
             broker lost messages): reading it from its start, {low}, on top of the state \
             ClickHouse holds (see docs/processing.md, \"Lost consumer offsets and replaced logs\")"
        );
        Ok(low)
    }

    /// Whether the next flush writes the rolling-window snapshots.
    fn snapshot_due(&self) -> bool {
        self.last_snapshot
            .is_none_or(|t| t.elapsed() >= self.settings.snapshot_interval())
    }

    fn drain(&mut self) -> Batch {
        let mut batch = Batch::default();
        let snapshot_due = self.snapshot_due();
        let now = Utc::now();
        let version = next_version(now.timestamp_millis(), self.last_version);
        self.last_version = version;
        let mut snapshot_time = Duration::ZERO;
        for state in self.owned.values_mut() {
            let pending = std::mem::take(&mut state.pending);
            batch.events.extend(pending.events.into_chunks());
            batch.uncounted.extend(pending.uncounted);
            batch.rejected.extend(pending.rejected);
            batch.received.extend(pending.received);
            batch.duplicates += pending.duplicates;
            let (version, rows) = state.minute_rows();
            batch.minutes.push((state.partition, version, rows));
            if snapshot_due {
                let started = Instant::now();
                batch.snapshots.extend(state.snapshot_rows(now, version));
                snapshot_time += started.elapsed();
            }
            if state.next_offset > state.committed {
                batch.offsets.push((state.partition, state.next_offset));
            }
        }
        if snapshot_due {
            self.last_snapshot = Some(Instant::now());
            ::metrics::histogram!(metrics::SNAPSHOT_SECONDS).record(snapshot_time.as_secs_f64());
        }
        self.pending_messages = 0;
        batch
    }

    /// Drains what was read into a batch (unless one is in progress) and
    /// writes it; see the module doc for the order.
    pub fn flush<C: ConsumerContext>(
        &mut self,
        consumer: &BaseConsumer<C>,
    ) -> Result<(), StepError> {
        let mut batch = match self.batch.take() {
            Some(batch) => batch,
            None => self.drain(),
        };
        let result = self.write(consumer, &mut batch);
        if let Err(e) = result {
            self.batch = Some(batch);
            return Err(e);
        }
        let now = Utc::now();
        let freshness = ::metrics::histogram!(metrics::FRESHNESS_SECONDS);
        for received in &batch.received {
            freshness.record((now - *received).as_seconds_f64().max(0.0));
        }
        metrics::events("counted", batch.events.rows as u64);
        metrics::events("duplicate", batch.duplicates);
        let late = batch
            .uncounted
            .iter()
            .filter(|r| r.reason == "late")
            .count() as u64;
        metrics::events("late", late);
        metrics::events("suspect", batch.uncounted.len() as u64 - late);
        metrics::events("dead_lettered", batch.rejected.len() as u64);
        for (p, offset) in &batch.offsets {
            if let Some(state) = self.owned.get_mut(p) {
                state.committed = *offset;
                state.forget_settled();
            }
        }
        let held = self
            .owned
            .values()
            .map(PartitionState::held)
            .fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
        ::metrics::gauge!(metrics::HELD, "kind" => "cell_minutes").set(held.0 as f64);
        ::metrics::gauge!(metrics::HELD, "kind" => "rollup_keys").set(held.1 as f64);
        ::metrics::gauge!(metrics::HELD, "kind" => "event_ids").set(held.2 as f64);
        self.last_flush = Instant::now();
        Ok(())
    }

    fn write<C: ConsumerContext>(
        &mut self,
        consumer: &BaseConsumer<C>,
        batch: &mut Batch,
    ) -> Result<(), StepError> {
        let client = &self.client;
        while batch.done < STEPS {
            match batch.done {
                0 => self
                    .runtime
                    .block_on(sink::insert_encoded::<EventWrite<'static>>(
                        client,
                        "feedback_events",
                        &batch.events,
                    ))?,
                1 => {
                    self.runtime
                        .block_on(sink::insert(client, "late_events", &batch.uncounted))?
                }
                2 => {
                    let rows: Vec<RejectedRow> =
                        batch.rejected.iter().map(|r| r.row.clone()).collect();
                    self.runtime
                        .block_on(sink::insert(client, "rejected_events", &rows))?
                }
                3 => self
                    .runtime
                    .block_on(self.dead_letters.publish(&batch.rejected))
                    .map_err(|source| StepError::Kafka {
                        what: "publishing dead letters",
                        source,
                    })?,
                4 => {
                    let rows = self.minute_encoder.encode(
                        batch
                            .minutes
                            .iter()
                            .flat_map(|(_, version, rows)| rows.iter().map(|row| (row, *version))),
                    );
                    self.runtime
                        .block_on(sink::insert_encoded::<MinuteCountWrite<'static>>(
                            client,
                            "score_minutes",
                            &rows,
                        ))?
                }
                5 => self.runtime.block_on(sink::insert(
                    client,
                    "score_snapshots",
                    &batch.snapshots,
                ))?,
                _ => {
                    if !batch.offsets.is_empty() {
                        let mut tpl = TopicPartitionList::new();
                        for (p, offset) in &batch.offsets {
                            tpl.add_partition_offset(&self.topic, *p, Offset::Offset(*offset))
                                .map_err(|source| StepError::Kafka {
                                    what: "building the commit",
                                    source,
                                })?;
                        }
                        if let Err(e) = consumer.commit(&tpl, CommitMode::Sync) {
                            // The rows are in ClickHouse; a later flush
                            // commits a later offset, or the next owner
                            // replays these messages and writes the same.
                            tracing::warn!(error = %e, "offset commit failed; the next flush commits again");
                            batch.offsets.clear();
                        }
                    }
                }
            }
            batch.done += 1;
        }
        Ok(())
    }

    /// Partitions owned or being restored.
    pub fn assigned(&self) -> Vec<i32> {
        self.owned.keys().chain(&self.unrestored).copied().collect()
    }

    /// The feedback topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Makes the next flush write snapshots (at shutdown, so the last
    /// rolling windows are in ClickHouse).
    pub fn force_snapshot(&mut self) {
        self.last_snapshot = None;
    }

    /// Waits for dead letters still queued (at shutdown).
    pub fn close(&self) {
        self.dead_letters.flush(Duration::from_secs(10));
    }
}

/// Says so loudly when ClickHouse already holds events (`stored`) of a
/// partition the group has no committed offset for: the group was
/// re-created, the topic was deleted (which deletes its offsets), or the
/// broker expired the offsets (Kafka's `offsets.retention.minutes`, 7 days
/// by default, after the last processor stopped). The partition is read
/// from its earliest message on top of the state rebuilt from those events:
/// what was counted before is kept, and a message read again is a duplicate
/// (see docs/processing.md for the limits). Returns whether it said so.
fn warn_if_offsets_lost(partition: i32, stored: u64) -> bool {
    if stored > 0 {
        tracing::error!(
            partition,
            stored,
            "no committed offset, but ClickHouse holds events of this partition: \
             rebuilding its state from them and reading it from the earliest message \
             (see docs/processing.md, \"Lost consumer offsets and replaced logs\")"
        );
    }
    stored > 0
}

/// The version of the next snapshot rows: the time in milliseconds, but
/// always above the last version, which may come from another instance
/// whose clock ran ahead (or from before this host's clock stepped back):
/// rows with a lower version would lose to the old ones.
fn next_version(now_millis: i64, last: u64) -> u64 {
    (now_millis.max(0) as u64).max(last + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use carepulse_kafka::KafkaSettings;

    #[test]
    fn snapshot_versions_follow_the_clock_but_never_go_back() {
        assert_eq!(next_version(5_000, 1_000), 5_000);
        assert_eq!(next_version(5_000, 9_000), 9_001, "another clock ran ahead");
        assert_eq!(next_version(-1, 0), 1);
    }

    // Nothing here reaches a broker or ClickHouse: assignment only moves
    // states in memory (the dead-letter producer points at a closed port).
    #[tokio::test]
    async fn parked_states_of_partitions_assigned_elsewhere_are_dropped() {
        let settings = ProcessSettings::default();
        let kafka = KafkaSettings {
            brokers: "127.0.0.1:1".into(),
            ..KafkaSettings::default()
        };
        let mut core = Core::new(
            settings,
            Client::default(),
            Handle::current(),
            DeadLetters::new(&kafka).expect("producer"),
            "feedback".into(),
        );
        for p in [0, 1, 2] {
            core.parked
                .insert(p, PartitionState::new(p, 10, core.engine.clone()));
        }
        core.assign(&[1, 3]);
        assert_eq!(core.parked.keys().copied().collect::<Vec<_>>(), [1]);
        assert_eq!(core.unrestored.iter().copied().collect::<Vec<_>>(), [1, 3]);
    }

    // ClickHouse and the broker are closed ports: the flush before the
    // revocation fails, as when ClickHouse is down during a rebalance.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_revoked_partition_leaves_no_minute_or_snapshot_rows_to_write_later() {
        let settings = ProcessSettings {
            retry_initial_ms: 1,
            retry_max_ms: 1,
            ..ProcessSettings::default()
        };
        let kafka = KafkaSettings {
            brokers: "127.0.0.1:1".into(),
            ..KafkaSettings::default()
        };
        let mut core = Core::new(
            settings,
            Client::default().with_url("http://127.0.0.1:1"),
            Handle::current(),
            DeadLetters::new(&kafka).expect("producer"),
            "feedback".into(),
        );
        let event = serde_json::json!({
            "v": 1, "event_id": "e1", "occurred_at": "2026-11-21T09:15:00Z",
            "responded_at": "2026-11-21T09:15:00Z", "received_at": "2026-11-21T09:15:02Z",
            "organisation": "o", "facility": "f", "department": "ed", "journey": "ed-visit",
            "stage": "triage", "touchpoint": "t", "experience": "customer", "channel": "kiosk",
            "respondent_role": "unknown", "questionnaire": "q",
            "overall": { "question": "overall", "scale": "smiley_4", "value": "happy" },
            "consent_to_contact": false
        })
        .to_string()
        .into_bytes();
        for p in [0, 1] {
            let mut state = PartitionState::new(p, 0, core.engine.clone());
            state.handle(0, None, &event, Utc::now());
            core.owned.insert(p, state);
        }
        let consumer: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:1")
            .set("group.id", "test")
            .create()
            .expect("consumer");
        let revoke = tokio::task::block_in_place(|| {
            core.revoke(&consumer, &[0]);
            core.batch.take()
        });
        let batch = revoke.expect("the failed flush is kept for a retry");
        let partitions: Vec<i32> = batch.minutes.iter().map(|(p, _, _)| *p).collect();
        assert_eq!(partitions, [1], "only the kept partition's minutes");
        assert!(!batch.snapshots.is_empty());
        assert!(batch.snapshots.iter().all(|r| r.kafka_partition == 1));
    }
}
