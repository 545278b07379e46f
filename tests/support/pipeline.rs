//! The stream processor under test: a ClickHouse database and topics of
//! its own, simulated hospital events (with late answers, duplicates and
//! repeat presses), processors run in this process, and an oracle that
//! computes every expected row straight from the published events.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use carepulse_clickhouse::rows::{MinuteCountRow, SnapshotRow};
use carepulse_engine::{minute_of, Counts, EngineConfig};
use carepulse_kafka::{ensure_topics, FeedbackProducer, KafkaSettings, ProducerOptions};
use carepulse_model::{FeedbackEvent, Limits};
use carepulse_process::{ProcessSettings, ProcessorConfig};
use carepulse_simulator::{ItemKind, Publisher, Run, ScenarioFile};
use chrono::{DateTime, TimeDelta, Utc};
use clickhouse::Client;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use crate::ingest::{catalog, pseudonymiser, repo};

/// A database and topics for one test.
pub struct Pipeline {
    /// Kafka settings with this test's topics.
    pub kafka: KafkaSettings,
    /// ClickHouse URL.
    pub url: String,
    /// The database.
    pub database: String,
}

impl Pipeline {
    /// Creates the database (migrated) and the topics.
    pub async fn new(name: &str, partitions: i32, url: &str) -> Pipeline {
        let database = crate::unique_name(name);
        let kafka = KafkaSettings {
            brokers: crate::require_kafka(),
            feedback_topic: format!("{database}.feedback"),
            dead_letter_topic: format!("{database}.dead-letter"),
            partitions,
            ..KafkaSettings::default()
        };
        let pipeline = Pipeline {
            kafka,
            url: url.to_owned(),
            database,
        };
        pipeline.migrate().await;
        ensure_topics(&pipeline.kafka).await.unwrap();
        pipeline
    }

    /// Applies the migrations (again).
    pub async fn migrate(&self) {
        let client = Client::default().with_url(&self.url).with_validation(false);
        carepulse_clickhouse::apply(&client, &self.database)
            .await
            .unwrap();
    }

    /// A client for the database.
    pub fn client(&self) -> Client {
        Client::default()
            .with_url(&self.url)
            .with_validation(false)
            .with_database(&self.database)
    }

    /// Processor settings for tests: quick flushes and snapshots.
    pub fn settings(group: &str) -> ProcessSettings {
        ProcessSettings {
            group_id: group.to_owned(),
            flush_interval_ms: 200,
            snapshot_interval_secs: 1,
            max_batch_events: 500,
            retry_initial_ms: 100,
            retry_max_ms: 1_000,
            ..ProcessSettings::default()
        }
    }

    /// Starts a processor of consumer group `group` in this process.
    pub fn start(&self, group: &str) -> Processor {
        self.start_with(Self::settings(group))
    }

    /// Starts a processor with `settings` in this process.
    pub fn start_with(&self, settings: ProcessSettings) -> Processor {
        let config = ProcessorConfig {
            settings,
            kafka: self.kafka.clone(),
            clickhouse: self.client(),
            runtime: tokio::runtime::Handle::current(),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || carepulse_process::run(config, flag).unwrap());
        Processor {
            stop,
            thread: Some(thread),
        }
    }

    /// Publishes `events` in order and returns each with its partition and
    /// offset.
    pub async fn publish(&self, events: &[FeedbackEvent]) -> Vec<Published> {
        let producer = FeedbackProducer::new(&self.kafka, &ProducerOptions::default()).unwrap();
        let mut out = Vec::with_capacity(events.len());
        for chunk in events.chunks(200) {
            let mut tasks = tokio::task::JoinSet::new();
            for (i, event) in chunk.iter().enumerate() {
                let producer = producer.clone();
                let event = event.clone();
                tasks.spawn(async move { (i, producer.publish(&event).await.map(|d| (event, d))) });
            }
            let mut done: Vec<_> = tasks.join_all().await;
            done.sort_by_key(|(i, _)| *i);
            for (_, result) in done {
                let (event, delivery) = result.expect("the broker acknowledged");
                out.push(Published {
                    event,
                    partition: delivery.partition,
                    offset: delivery.offset,
                });
            }
        }
        out
    }

    /// Publishes raw bytes (poison messages) with `key`.
    pub async fn publish_raw(&self, key: &str, payloads: &[Vec<u8>]) {
        use rdkafka::producer::{FutureProducer, FutureRecord};
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &self.kafka.brokers)
            .create()
            .unwrap();
        for payload in payloads {
            producer
                .send(
                    FutureRecord::to(&self.kafka.feedback_topic)
                        .key(key)
                        .payload(payload),
                    Duration::from_secs(10),
                )
                .await
                .unwrap();
        }
    }

    /// The end of each partition's log, by partition.
    pub fn log_ends(&self) -> Vec<i64> {
        // The broker may be busy deleting another test's topic.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            match self.try_log_ends() {
                Some(ends) => return ends,
                None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(500)),
                None => panic!("the broker did not say where the logs end"),
            }
        }
    }

    fn try_log_ends(&self) -> Option<Vec<i64>> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.kafka.brokers)
            .create()
            .ok()?;
        self.log_ends_by(&consumer)
    }

    /// The end of each partition's log, asked through `consumer`.
    fn log_ends_by(&self, consumer: &BaseConsumer) -> Option<Vec<i64>> {
        let topic = &self.kafka.feedback_topic;
        (0..self.kafka.partitions)
            .map(|p| {
                let (_, high) = consumer
                    .fetch_watermarks(topic, p, Duration::from_secs(10))
                    .ok()?;
                Some(high)
            })
            .collect()
    }

    /// Deletes the feedback topic and creates it again, empty, as an
    /// operator might; waits until the broker answers again.
    pub async fn recreate_feedback_topic(&self) {
        use rdkafka::admin::{AdminClient, AdminOptions};
        use rdkafka::client::DefaultClientContext;
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &self.kafka.brokers)
            .create()
            .unwrap();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        for result in admin
            .delete_topics(&[&self.kafka.feedback_topic], &options)
            .await
            .unwrap()
        {
            result.unwrap();
        }
        // The broker deletes the messages after answering.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let created = ensure_topics(&self.kafka).await;
            let ends = self.try_log_ends();
            if created.is_ok() && ends.is_some_and(|e| e.iter().all(|end| *end == 0)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the topic was not created again: {created:?}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Commits `offsets` (by partition) for group `group`.
    pub fn commit(&self, group: &str, offsets: &[i64]) {
        use rdkafka::consumer::CommitMode;
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.kafka.brokers)
            .set("group.id", group)
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        for (p, offset) in offsets.iter().enumerate() {
            tpl.add_partition_offset(
                &self.kafka.feedback_topic,
                p as i32,
                Offset::Offset(*offset),
            )
            .unwrap();
        }
        consumer.commit(&tpl, CommitMode::Sync).unwrap();
    }

    /// Waits until group `group` committed every message on the topic.
    pub fn wait_committed(&self, group: &str, timeout: Duration) {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.kafka.brokers)
            .set("group.id", group)
            .create()
            .unwrap();
        let deadline = Instant::now() + timeout;
        let mut behind = Vec::new();
        while Instant::now() < deadline {
            let mut tpl = TopicPartitionList::new();
            for p in 0..self.kafka.partitions {
                tpl.add_partition(&self.kafka.feedback_topic, p);
            }
            behind.clear();
            let committed = consumer.committed_offsets(tpl, Duration::from_secs(5));
            if let (Ok(committed), Some(ends)) = (committed, self.log_ends_by(&consumer)) {
                for e in committed.elements() {
                    let high = ends[e.partition() as usize];
                    let at = match e.offset() {
                        Offset::Offset(o) => o,
                        _ => 0,
                    };
                    // Above the end too: a position in a log that was
                    // replaced is not caught up with the new one.
                    if at != high {
                        behind.push((e.partition(), at, high));
                    }
                }
                if behind.is_empty() {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("group {group} did not commit everything in {timeout:?}: (partition, committed, end) {behind:?}");
    }

    /// Checks every row the processor wrote against the oracle.
    pub async fn check(&self, published: &[Published]) -> Report {
        let oracle = Oracle::new(published, &EngineConfig::default());
        let client = self.client();
        let minutes: Vec<MinuteCountRow> = client
            .query("SELECT ?fields FROM score_minutes FINAL")
            .fetch_all()
            .await
            .unwrap();
        let mut got = BTreeMap::new();
        for row in &minutes {
            assert!(
                got.insert((row.minute, cell_of_minute(row)), row.counts())
                    .is_none(),
                "one row per cell-minute under FINAL"
            );
        }
        let mut expected = oracle.minutes.clone();
        expected.retain(|_, c| !c.is_empty());
        let equal = got.len() == expected.len()
            && got
                .iter()
                .zip(&expected)
                .all(|((k1, v1), (k2, v2))| k1 == k2 && v1.same_answers(v2));
        if !equal {
            let missing: Vec<_> = expected
                .iter()
                .filter(|(k, v)| got.get(*k) != Some(v))
                .take(3)
                .collect();
            let extra: Vec<_> = got
                .iter()
                .filter(|(k, v)| expected.get(*k) != Some(v))
                .take(3)
                .collect();
            panic!(
                "score_minutes differ from the oracle: {} rows vs {} expected; expected but not found (first 3): {missing:?}; found but not expected: {extra:?}",
                got.len(),
                expected.len()
            );
        }
        let snapshots: Vec<SnapshotRow> = client
            .query("SELECT ?fields FROM score_snapshots FINAL")
            .fetch_all()
            .await
            .unwrap();
        let mut compared = 0;
        for row in &snapshots {
            let want = oracle.snapshot(row);
            assert!(
                row.counts().same_answers(&want),
                "{:?} != {want:?} (oracle): snapshot {} {} window {} partition {} at {} differs from the oracle",
                row.counts(),
                row.rollup,
                snapshot_key(row).join("/"),
                row.window_minutes,
                row.kafka_partition,
                row.at,
            );
            compared += 1;
        }
        // Every key the oracle sees in the latest window of a partition
        // has a row.
        let latest_at: BTreeMap<u16, u32> = snapshots.iter().fold(BTreeMap::new(), |mut m, r| {
            let e = m.entry(r.kafka_partition).or_insert(0);
            *e = (*e).max(r.at);
            m
        });
        let have: HashSet<(u16, String, u32, Vec<String>)> = snapshots
            .iter()
            .filter(|r| r.responses > 0)
            .map(|r| {
                (
                    r.kafka_partition,
                    r.rollup.clone(),
                    r.window_minutes,
                    snapshot_key(r),
                )
            })
            .collect();
        let config = EngineConfig::default();
        let longest = config.windows.iter().map(|w| w.minutes).max().unwrap() as u32;
        for (&partition, &at) in &latest_at {
            for key in oracle.keys_at(partition, at, longest) {
                assert!(
                    have.contains(&(partition, key.0.clone(), longest, key.1.clone())),
                    "no snapshot row for {key:?} in partition {partition}"
                );
            }
        }
        let counted: u64 = client
            .query("SELECT count() FROM feedback_events FINAL")
            .fetch_one()
            .await
            .unwrap();
        assert_eq!(
            counted, oracle.counted,
            "feedback_events holds every counted event once"
        );
        let uncounted: u64 = client
            .query("SELECT count() FROM late_events FINAL")
            .fetch_one()
            .await
            .unwrap();
        assert_eq!(
            uncounted,
            oracle.uncounted_ids.len() as u64,
            "late_events holds every late event and repeated press, once per event id"
        );
        Report {
            counted: oracle.counted,
            late: oracle.late,
            suspect: oracle.suspect,
            duplicates: oracle.duplicates,
            minute_rows: expected.len(),
            snapshot_rows: compared,
        }
    }
}

/// What a check compared.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// Events counted.
    pub counted: u64,
    /// Late events.
    pub late: u64,
    /// Repeat presses.
    pub suspect: u64,
    /// Duplicates.
    pub duplicates: u64,
    /// Minute rows compared.
    pub minute_rows: usize,
    /// Snapshot rows compared.
    pub snapshot_rows: usize,
}

/// A published event and where it landed.
#[derive(Debug, Clone)]
pub struct Published {
    /// The event.
    pub event: FeedbackEvent,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
}

/// A processor running on a thread of this process.
pub struct Processor {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Processor {
    /// Stops it gracefully (flush, commit, leave the group) and waits.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join()
                .expect("the processor thread ends without panicking");
        }
    }
}

impl Drop for Processor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

type CellKey = [String; 11];

fn cell_of_minute(r: &MinuteCountRow) -> CellKey {
    r.cell().map(str::to_owned)
}

fn snapshot_key(r: &SnapshotRow) -> Vec<String> {
    r.key().map(str::to_owned).to_vec()
}

/// Expected rows, computed the plain way: per partition in offset order,
/// an event counts unless it is a repeat press, answered after the allowed
/// lateness, or its id already counted; each answer adds to its cell's
/// minute.
pub struct Oracle {
    /// (minute seconds, cell) -> counts.
    pub minutes: BTreeMap<(u32, CellKey), Counts>,
    /// (partition, minute, cell) -> counts.
    by_partition: BTreeMap<(u16, i64, CellKey), Counts>,
    rollups: Vec<(String, [bool; 9])>,
    /// Events counted.
    pub counted: u64,
    /// Late events.
    pub late: u64,
    /// Repeat presses.
    pub suspect: u64,
    /// Duplicates.
    pub duplicates: u64,
    /// Facility, department and id of the late events and repeat presses.
    pub uncounted_ids: HashSet<(String, String, String)>,
}

impl Oracle {
    /// The oracle of `published` under `config`.
    pub fn new(published: &[Published], config: &EngineConfig) -> Oracle {
        let mut ordered: Vec<&Published> = published.iter().collect();
        ordered.sort_by_key(|p| (p.partition, p.offset));
        let mut oracle = Oracle {
            minutes: BTreeMap::new(),
            by_partition: BTreeMap::new(),
            rollups: config
                .rollups
                .iter()
                .map(|r| (r.name.clone(), r.keep))
                .collect(),
            counted: 0,
            late: 0,
            suspect: 0,
            duplicates: 0,
            uncounted_ids: HashSet::new(),
        };
        let mut seen = HashSet::new();
        for p in ordered {
            let e = &p.event;
            let id = (e.facility.clone(), e.department.clone(), e.event_id.clone());
            if e.suspect.is_some() {
                oracle.uncounted_ids.insert(id);
                oracle.suspect += 1;
                continue;
            }
            if seen.contains(&e.event_id) {
                oracle.duplicates += 1;
                continue;
            }
            if e.received_at - e.occurred_at.with_timezone(&Utc) > config.allowed_lateness {
                oracle.uncounted_ids.insert(id);
                oracle.late += 1;
                continue;
            }
            seen.insert(e.event_id.clone());
            oracle.counted += 1;
            let minute = minute_of(e.occurred_at.with_timezone(&Utc));
            for answer in std::iter::once(&e.overall).chain(&e.items) {
                let response = answer.scale.parse(&answer.value).expect("valid answers");
                let cell: CellKey = [
                    e.facility.clone(),
                    e.organisation.clone(),
                    e.department.clone(),
                    e.journey.clone(),
                    e.stage.clone(),
                    e.experience.as_str().into(),
                    e.channel.as_str().into(),
                    e.respondent_role.as_str().into(),
                    e.questionnaire.clone(),
                    answer.question.clone(),
                    answer.scale.name().into(),
                ];
                oracle
                    .minutes
                    .entry(((minute * 60) as u32, cell.clone()))
                    .or_default()
                    .record(&response);
                oracle
                    .by_partition
                    .entry((p.partition as u16, minute, cell))
                    .or_default()
                    .record(&response);
            }
        }
        oracle
    }

    fn rolled(&self, keep: &[bool; 9], cell: &CellKey) -> Vec<String> {
        cell.iter()
            .enumerate()
            .map(|(i, v)| {
                if i < 9 && !keep[i] {
                    "*".to_owned()
                } else {
                    v.clone()
                }
            })
            .collect()
    }

    fn in_window(minute: i64, at: i64, window: i64) -> bool {
        if window <= 60 {
            minute > at - window && minute <= at
        } else {
            let (hour, last) = (minute.div_euclid(60), at.div_euclid(60));
            hour > last - window / 60 && hour <= last
        }
    }

    /// The counts a snapshot row should hold.
    pub fn snapshot(&self, row: &SnapshotRow) -> Counts {
        let keep = self
            .rollups
            .iter()
            .find(|(name, _)| *name == row.rollup)
            .map(|(_, keep)| *keep)
            .expect("a known rollup");
        let key = snapshot_key(row);
        let at = i64::from(row.at) / 60;
        let mut sum = Counts::default();
        for ((partition, minute, cell), counts) in &self.by_partition {
            if *partition == row.kafka_partition
                && Self::in_window(*minute, at, i64::from(row.window_minutes))
                && self.rolled(&keep, cell) == key
            {
                sum.add(counts);
            }
        }
        sum
    }

    /// Rollup keys with answers in `window` at `at` in `partition`.
    pub fn keys_at(&self, partition: u16, at: u32, window: u32) -> Vec<(String, Vec<String>)> {
        let at = i64::from(at) / 60;
        let mut keys = std::collections::BTreeSet::new();
        for (p, minute, cell) in self.by_partition.keys() {
            if *p == partition && Self::in_window(*minute, at, i64::from(window)) {
                for (name, keep) in &self.rollups {
                    keys.insert((name.clone(), self.rolled(keep, cell)));
                }
            }
        }
        keys.into_iter().collect()
    }
}

/// The value of a metric of this process (summed over its labels).
pub fn metric(name: &str) -> f64 {
    carepulse_metrics::handle()
        .render()
        .lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The simulated events of the three days before the current hour: about
/// 1,700, so that well over a thousand count whatever the hour (two days
/// gave 999 at some hours).
pub fn three_days_of_events(seed: u64) -> Vec<FeedbackEvent> {
    days_of_events(seed, 3)
}

/// The simulated events of the `days` days before the current hour.
pub fn days_of_events(seed: u64, days: i64) -> Vec<FeedbackEvent> {
    use chrono::DurationRound;
    let hours = 24 * days;
    let start = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap() - TimeDelta::hours(hours);
    simulated_events(seed, start, hours)
}

/// Simulated events of the example hospital as the ingest service would
/// publish them (validated, pseudonymised, repeat presses flagged), with
/// `received_at` at their simulated send time, so SMS and e-mail answers
/// arrive hours to days after the visit. Then every 25th event is sent
/// again (a client retry: same id, received a minute later) and every 40th
/// arrives eight days late.
pub fn simulated_events(seed: u64, start: DateTime<Utc>, hours: i64) -> Vec<FeedbackEvent> {
    let catalog = catalog();
    let text =
        std::fs::read_to_string(repo().join("deploy/scenarios/general-hospital.toml")).unwrap();
    let scenario = ScenarioFile::from_toml(&text)
        .unwrap()
        .check(&catalog)
        .unwrap();
    let run = Run {
        seed,
        start,
        duration: TimeDelta::hours(hours),
    };
    let mut publisher = Publisher::new(
        catalog,
        Limits::default(),
        pseudonymiser(),
        TimeDelta::seconds(5),
    );
    let events: Vec<FeedbackEvent> = scenario
        .stream(&run)
        .filter(|item| item.kind != ItemKind::Bad)
        .filter_map(|item| publisher.event(&item, item.at).ok())
        .collect();
    let mut out = Vec::with_capacity(events.len() * 21 / 20);
    for (i, mut event) in events.into_iter().enumerate() {
        if i % 40 == 39 {
            event.received_at = event.occurred_at.with_timezone(&Utc) + TimeDelta::days(8);
        }
        let again = (i % 25 == 24).then(|| {
            let mut e = event.clone();
            e.received_at += TimeDelta::minutes(1);
            e
        });
        out.push(event);
        out.extend(again);
    }
    out
}
