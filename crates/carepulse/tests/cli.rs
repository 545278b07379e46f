//! The `carepulse` command as a user runs it: exit codes, messages, output.

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn carepulse(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_carepulse"));
    cmd.current_dir(repo()).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("CAREPULSE") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("carepulse runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_config_prints_the_effective_configuration_with_secrets_masked() {
    let out = carepulse(
        &["check-config"],
        &[
            ("CAREPULSE__CLICKHOUSE__PASSWORD", "s3cret-password"),
            ("CAREPULSE__KAFKA__BROKERS", "broker-1:9092,broker-2:9092"),
        ],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("brokers = \"broker-1:9092,broker-2:9092\""),
        "{stdout}"
    );
    assert!(stdout.contains("password = \"********\""), "{stdout}");
    assert!(!stdout.contains("s3cret"), "{stdout}");
    assert!(text(&out.stderr).contains("configuration is valid"));
}

#[test]
fn check_config_lists_every_problem_and_exits_2() {
    let out = carepulse(
        &["check-config"],
        &[
            ("CAREPULSE__KAFKA__PARTITIONS", "0"),
            ("CAREPULSE__CATALOG__PATH", "nowhere.toml"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("configuration has 2 problem(s)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("kafka.partitions: 0 must be at least 1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("catalog.path: cannot read 'nowhere.toml'"),
        "{stderr}"
    );
}

#[test]
fn a_missing_config_file_is_an_error() {
    let out = carepulse(&["--config", "no-such.toml", "check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("config file 'no-such.toml' does not exist"));
}

#[test]
fn validate_reports_each_item_and_prints_pseudonymised_events() {
    let out = carepulse(
        &[
            "validate",
            "--now",
            "2026-11-21T12:00:00Z",
            "--print-events",
            "docs/examples/sms-ed-visit-survey.json",
            "docs/examples/invalid-submission.json",
        ],
        &[(
            "CAREPULSE__PRIVACY__KEY",
            "0123456789abcdef0123456789abcdef",
        )],
    );
    assert_eq!(out.status.code(), Some(1), "one file is invalid");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("sms-ed-visit-survey.json#1: ok"),
        "{stderr}"
    );
    assert!(
        stderr.contains("invalid-submission.json#1: 5 problem(s)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  locale: 'English' is not a BCP 47 language tag"),
        "{stderr}"
    );
    assert!(stderr.contains("1 valid, 1 invalid"), "{stderr}");
    let event: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(event["journey"], "ed-visit");
    assert!(event["subject"].as_str().unwrap().starts_with("k1:"));
    assert!(!text(&out.stdout).contains("MRN-00123456"));
}

#[test]
fn validate_reads_ndjson_from_stdin() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_carepulse"))
        .current_dir(repo())
        .args(["validate", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let now = chrono::Utc::now().to_rfc3339();
    let line = |value: &str| {
        format!(
            r#"{{"occurred_at":"{now}","facility":"stmarys-general","touchpoint":"ed-waiting-kiosk","channel":"kiosk","answers":{{"overall":{{"question":"overall","value":"{value}"}}}}}}"#
        )
    };
    let input = format!("{}\n{}\n", line("happy"), line("ecstatic"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("-#1: ok"), "{stderr}");
    assert!(
        stderr.contains("answers.overall.value: 'ecstatic' is not on the smiley_4 scale"),
        "{stderr}"
    );
}

#[test]
fn schema_prints_the_published_schema() {
    let out = carepulse(&["schema", "submission"], &[]);
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let published: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schema/feedback-submission.v1.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(printed, published);
}

#[test]
fn catalog_prints_the_journeys() {
    let out = carepulse(&["catalog"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout)
        .contains("journey repeat-prescription: Repeat prescription (GP and pharmacy)"));
}
