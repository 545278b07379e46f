//! `carepulse ingest` as a process against the real local broker
//! (`dev/services up`): it starts from the local configuration, accepts
//! feedback over a real socket, and on SIGTERM stops accepting, flushes the
//! producer and exits 0.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request over a fresh connection; returns status and body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        request += &format!("{k}: {v}\r\n");
    }
    request += "\r\n";
    request += body;
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    Some((status, body))
}

#[test]
fn ingest_serves_and_shuts_down_gracefully_on_sigterm() {
    let brokers =
        std::env::var("CAREPULSE__KAFKA__BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into());
    assert!(
        TcpStream::connect(&brokers).is_ok(),
        "the Kafka-compatible broker is not reachable at {brokers}: start the local services with `dev/services up`"
    );
    let key = std::env::temp_dir().join(format!("carepulse-test-key-{}", std::process::id()));
    std::fs::write(&key, "a test key of at least thirty-two bytes\n").unwrap();
    let (api, metrics) = (free_port(), free_port());
    let topic = format!("ingest-process-{}", std::process::id());
    let mut child = Command::new(env!("CARGO_BIN_EXE_carepulse"))
        .current_dir(repo())
        .args(["--config", "deploy/local/carepulse.toml", "ingest"])
        .env("CAREPULSE__KAFKA__BROKERS", &brokers)
        .env("CAREPULSE__KAFKA__FEEDBACK_TOPIC", &topic)
        .env(
            "CAREPULSE__KAFKA__DEAD_LETTER_TOPIC",
            format!("{topic}-dlq"),
        )
        .env("CAREPULSE__PRIVACY__KEY_FILE", &key)
        .env("CAREPULSE__INGEST__LISTEN", format!("127.0.0.1:{api}"))
        .env(
            "CAREPULSE__INGEST__METRICS_LISTEN",
            format!("127.0.0.1:{metrics}"),
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    while http(api, "GET", "/readyz", &[], "").map(|(s, _)| s) != Some(200) {
        assert!(Instant::now() < deadline, "ingest did not become ready");
        if let Some(status) = child.try_wait().unwrap() {
            let mut log = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut log);
            panic!("ingest exited early ({status}):\n{log}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let token = "cp_local_stmarys_8f2d6a41c9e04b7a9d3c5e1f7a2b4c6d";
    let body = format!(
        r#"{{"occurred_at":"{}","facility":"stmarys-general","touchpoint":"ed-waiting-kiosk","channel":"kiosk","answers":{{"overall":{{"question":"overall","value":"happy"}}}}}}"#,
        chrono::Utc::now().to_rfc3339()
    );
    let auth = format!("Bearer {token}");
    let (status, reply) = http(
        api,
        "POST",
        "/v1/feedback",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        &body,
    )
    .unwrap();
    assert_eq!(status, 202, "{reply}");
    let (status, exposition) = http(metrics, "GET", "/metrics", &[], "").unwrap();
    assert_eq!(status, 200);
    assert!(
        exposition.contains("carepulse_ingest_events_total"),
        "{exposition}"
    );

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "ingest did not stop within 30 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "exit {status}: {log}");
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(log.contains("flushing the producer"), "{log}");
    assert!(
        http(api, "GET", "/livez", &[], "").is_none(),
        "still accepting after shutdown"
    );
    let _ = std::fs::remove_file(key);
}
