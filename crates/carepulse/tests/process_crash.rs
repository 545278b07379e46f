//! `carepulse process` as a process against the real local broker and
//! ClickHouse (`dev/services up`), killed with SIGKILL at random moments
//! while events keep arriving: after a last clean run every row equals the
//! oracle, no event missing, none counted twice.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use carepulse_service_tests::pipeline::{days_of_events, Pipeline};
use carepulse_service_tests::require_clickhouse;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn processor(pipeline: &Pipeline, group: &str, run: usize) -> Child {
    let log = log_path(pipeline, run);
    eprintln!("processor run {run} logs to {}", log.display());
    Command::new(env!("CARGO_BIN_EXE_carepulse"))
        .arg("process")
        .current_dir(repo())
        .env("CAREPULSE_LOG", "info")
        .env("CAREPULSE__KAFKA__BROKERS", &pipeline.kafka.brokers)
        .env(
            "CAREPULSE__KAFKA__FEEDBACK_TOPIC",
            &pipeline.kafka.feedback_topic,
        )
        .env(
            "CAREPULSE__KAFKA__DEAD_LETTER_TOPIC",
            &pipeline.kafka.dead_letter_topic,
        )
        .env("CAREPULSE__CLICKHOUSE__URL", &pipeline.url)
        .env("CAREPULSE__CLICKHOUSE__DATABASE", &pipeline.database)
        // Uncompressed, as beside a local ClickHouse; the in-process
        // pipeline tests use the default (LZ4).
        .env("CAREPULSE__CLICKHOUSE__COMPRESSION", "none")
        .env("CAREPULSE__PROCESS__GROUP_ID", group)
        .env("CAREPULSE__PROCESS__INSTANCE_ID", "crash-test-instance")
        .env("CAREPULSE__PROCESS__METRICS_LISTEN", "127.0.0.1:0")
        .env("CAREPULSE__PROCESS__FLUSH_INTERVAL_MS", "200")
        .env("CAREPULSE__PROCESS__MAX_BATCH_EVENTS", "300")
        .env("CAREPULSE__PROCESS__SNAPSHOT_INTERVAL_SECS", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("carepulse process starts")
}

/// A pseudo-random number in `0..n` (no seed to keep: the moments differ
/// from run to run on purpose, and each run must pass).
fn random(n: u64) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    (nanos ^ (nanos >> 7)).wrapping_mul(0x9e37_79b9_7f4a_7c15) % n
}

/// Waits until the log at `path` says partitions were assigned.
async fn wait_assigned(path: &std::path::Path) {
    for _ in 0..600 {
        if std::fs::read_to_string(path).is_ok_and(|log| log.contains("partitions assigned")) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no partitions assigned, see {}", path.display());
}

fn log_path(pipeline: &Pipeline, run: usize) -> PathBuf {
    std::env::temp_dir().join(format!("{}-{run}.log", pipeline.database))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_random_moments_loses_and_doubles_nothing() {
    let pipeline =
        std::sync::Arc::new(Pipeline::new("process_crash", 3, &require_clickhouse()).await);
    let events = days_of_events(23, 3);
    // Events keep arriving while processors are killed.
    let publisher = {
        let pipeline = std::sync::Arc::clone(&pipeline);
        tokio::spawn(async move {
            let mut published = Vec::new();
            for chunk in events.chunks(40) {
                published.extend(pipeline.publish(chunk).await);
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            published
        })
    };
    let kills = 4;
    for run in 0..kills {
        let mut child = processor(&pipeline, "crash", run);
        wait_assigned(&log_path(&pipeline, run)).await;
        let wait = 100 + random(2500);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        child.kill().unwrap(); // SIGKILL: no flush, no commit, no goodbye
        child.wait().unwrap();
        eprintln!("run {run} killed {wait} ms after its partitions were assigned");
    }
    let mut last = processor(&pipeline, "crash", kills);
    // Rolling-window snapshots are written every snapshot interval, so a
    // killed run may have committed its last events before writing their
    // snapshots; the next owner writes them after restoring. Wait until the
    // last run owns the partitions, or a stop before that leaves them stale.
    wait_assigned(&log_path(&pipeline, kills)).await;
    let published = publisher.await.unwrap();
    pipeline.wait_committed("crash", Duration::from_secs(180));
    let status = Command::new("kill")
        .args(["-TERM", &last.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(last.wait().unwrap().success(), "a clean stop exits 0");
    let restores: Vec<String> = (1..=kills)
        .flat_map(|run| {
            let log = std::fs::read_to_string(log_path(&pipeline, run)).unwrap_or_default();
            log.lines()
                .filter(|l| l.contains("restored from ClickHouse") && !l.contains("restored=0"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        !restores.is_empty(),
        "later runs rebuilt state from ClickHouse"
    );
    let report = pipeline.check(&published).await;
    eprintln!(
        "{} events published, {} partition restores with events: {report:?}",
        published.len(),
        restores.len()
    );
    assert!(report.counted > 1_000, "{report:?}");
}
