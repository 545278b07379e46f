//! The deployment files are valid for the tools that read them: the compose
//! file for docker-compose, the Prometheus configuration and alert rules for
//! promtool (the rules also pass their unit tests), the Alertmanager
//! configuration for amtool. The tools come from Debian packages that
//! `dev/test` and `dev/services` install.

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn check(tool: &str, args: &[&str], package: &str) {
    let out = Command::new(tool)
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {tool} ({e}): install the Debian package {package}, or run `dev/test`"
            )
        });
    assert!(
        out.status.success(),
        "{tool} {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn compose_file_is_valid() {
    check(
        "docker-compose",
        &["-f", "docker-compose.yml", "config", "-q"],
        "docker-compose",
    );
}

#[test]
fn prometheus_configuration_is_valid() {
    check(
        "promtool",
        &["check", "config", "deploy/prometheus/prometheus.yml"],
        "prometheus",
    );
}

#[test]
fn alertmanager_configuration_is_valid() {
    check(
        "amtool",
        &["check-config", "deploy/alertmanager/alertmanager.yml"],
        "prometheus-alertmanager",
    );
}

#[test]
fn prometheus_alert_rules_are_valid() {
    check(
        "promtool",
        &["check", "rules", "deploy/prometheus/rules/pipeline.yml"],
        "prometheus",
    );
}

#[test]
fn prometheus_alert_rules_pass_their_unit_tests() {
    check(
        "promtool",
        &["test", "rules", "deploy/prometheus/tests/pipeline.test.yml"],
        "prometheus",
    );
}
