//! `carepulse simulate` as a user runs it: a fixed seed and start write the
//! same file byte for byte; mistakes are named with the place to fix.

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn simulate(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_carepulse"));
    cmd.current_dir(repo()).arg("simulate").args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("CAREPULSE") {
            cmd.env_remove(key);
        }
    }
    cmd.output().expect("carepulse runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn to_file(scenario: &str, seed: &str, path: &std::path::Path) -> Vec<u8> {
    let target = format!("file:{}", path.display());
    let out = simulate(&[
        scenario,
        "--target",
        &target,
        "--seed",
        seed,
        "--start",
        "2026-03-02T00:00:00Z",
        "--duration",
        "2d",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("with --seed"),
        "{}",
        text(&out.stderr)
    );
    std::fs::read(path).unwrap()
}

#[test]
fn a_fixed_seed_and_start_write_the_same_file_byte_for_byte() {
    let dir = std::env::temp_dir().join(format!("carepulse-simulate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = "deploy/scenarios/small-gp-practice.toml";
    let first = to_file(scenario, "42", &dir.join("a.ndjson"));
    let again = to_file(scenario, "42", &dir.join("b.ndjson"));
    let other = to_file(scenario, "43", &dir.join("c.ndjson"));
    std::fs::remove_dir_all(&dir).ok();
    assert!(first.len() > 10_000, "{} bytes", first.len());
    assert!(first == again, "same seed and start, different bytes");
    assert!(first != other, "another seed, the same bytes");
    let lines = text(&first);
    let line: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    for key in [
        "at", "kind", "endpoint", "facility", "channel", "incident", "body",
    ] {
        assert!(line.get(key).is_some(), "no {key} in {line}");
    }
    assert!(lines.contains("\"kind\":\"kiosk_press\",\"endpoint\":\"/v1/kiosk/presses\""));
}

#[test]
fn a_broken_scenario_is_refused_with_the_place_to_fix() {
    let dir =
        std::env::temp_dir().join(format!("carepulse-broken-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let catalog = repo().join("deploy/catalog/small-gp-practice.toml");
    let scenario = dir.join("broken.toml");
    std::fs::write(
        &scenario,
        format!(
            "name = \"broken\"\ncatalog = {:?}\n[[journeys]]\njourney = \"gp-appointment\"\nvisits_per_day = 5\n[[touchpoints]]\ntouchpoint = \"gp-booking\"\nasked = 0.5\nchannels = {{ kiosk = 1 }}\ntop_box = 0.5\n",
            catalog.display().to_string()
        ),
    )
    .unwrap();
    let out = simulate(&[scenario.to_str().unwrap(), "--target", "file:/dev/null"]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("touchpoints[0].channels.kiosk: the catalog lets touchpoint 'gp-booking' report only by sms, app, ivr"),
        "{stderr}"
    );
}

#[test]
fn an_http_run_needs_a_token_for_every_facility() {
    let out = simulate(&[
        "deploy/scenarios/general-hospital.toml",
        "--target",
        "http:http://127.0.0.1:9",
        "--tokens",
        "deploy/catalog/small-gp-practice.toml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("must hold a [tokens] table"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn send_time_stamps_only_kafka_and_the_demo_scenario_loads() {
    let out = simulate(&[
        "deploy/scenarios/demo.toml",
        "--target",
        "file:/dev/null",
        "--received-at",
        "send-time",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--received-at send-time needs --target kafka"),
        "{}",
        text(&out.stderr)
    );
    let out = simulate(&[
        "deploy/scenarios/demo.toml",
        "--target",
        "file:/dev/null",
        "--seed",
        "1",
        "--duration",
        "1h",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
