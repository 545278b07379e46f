//! The deployment files are valid for the tools that read them: the compose
//! file for docker-compose, the Prometheus configuration and alert rules for
//! promtool (the rules also pass their unit tests), the Alertmanager
//! configuration for amtool (and routes alerts where docs/operations.md
//! says), the Grafana provisioning for the dashboards (datasource uids,
//! dashboard links, the mounted paths). The tools come from Debian packages
//! that `dev/test` and `dev/services` install. The dashboards' queries
//! themselves run in tests/dashboards.rs.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use carepulse_service_tests::grafana;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn check(tool: &str, args: &[&str], package: &str) -> String {
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
    String::from_utf8_lossy(&out.stdout).into_owned()
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
fn compose_stack_runs_every_carepulse_service_on_the_shared_configuration() {
    let services = check(
        "docker-compose",
        &["-f", "docker-compose.yml", "config", "--services"],
        "docker-compose",
    );
    let services: BTreeSet<&str> = services.lines().collect();
    for wanted in [
        "kafka",
        "clickhouse",
        "prometheus",
        "alertmanager",
        "grafana",
        "migrate",
        "ingest",
        "process",
        "alert",
        "simulate",
    ] {
        assert!(
            services.contains(wanted),
            "service {wanted} missing: {services:?}"
        );
    }
    let config = check(
        "docker-compose",
        &["-f", "docker-compose.yml", "config"],
        "docker-compose",
    );
    for shared in [
        "deploy/grafana/provisioning",
        "deploy/grafana/dashboards",
        "deploy/prometheus",
        "deploy/alertmanager/alertmanager.yml",
        "/carepulse/deploy/local/carepulse.toml",
        "deploy/scenarios/general-hospital.toml",
        "deploy/docker/Dockerfile",
        "GF_INSTALL_PLUGINS: grafana-clickhouse-datasource",
    ] {
        assert!(config.contains(shared), "compose does not use {shared}");
    }
    for path in [
        "deploy/grafana/provisioning/datasources",
        "deploy/grafana/provisioning/dashboards",
        "deploy/local/carepulse.toml",
        "deploy/local/tokens.toml",
        "deploy/docker/Dockerfile",
    ] {
        assert!(repo().join(path).exists(), "{path} is mounted but missing");
    }
}

#[test]
fn grafana_provisioning_matches_the_dashboards() {
    let read = |p: &str| std::fs::read_to_string(repo().join(p)).unwrap();
    let datasources = read("deploy/grafana/provisioning/datasources/carepulse.yml");
    let provided: BTreeSet<String> = datasources
        .lines()
        .filter_map(|l| l.trim().strip_prefix("uid: "))
        .map(str::to_owned)
        .collect();
    assert!(datasources.contains("type: grafana-clickhouse-datasource"));
    let provider = read("deploy/grafana/provisioning/dashboards/carepulse.yml");
    assert!(
        provider.contains("path: /var/lib/grafana/dashboards/carepulse")
            && read("docker-compose.yml")
                .contains("./deploy/grafana/dashboards:/var/lib/grafana/dashboards/carepulse"),
        "the dashboard provider reads where compose mounts the dashboards"
    );
    let dashboards = grafana::dashboards();
    let uids: BTreeSet<String> = dashboards
        .iter()
        .map(|(_, d)| d["uid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(uids.len(), dashboards.len(), "dashboard uids are unique");
    // The alerts' default link target (carepulse-detect's dashboard_url).
    assert!(uids.contains("carepulse-scores"), "{uids:?}");
    for (file, d) in &dashboards {
        let text = d.to_string();
        for part in text.split("\"uid\":\"").skip(1) {
            let uid = &part[..part.find('"').unwrap()];
            assert!(
                uids.contains(uid) || provided.contains(uid),
                "{file} refers to uid {uid}, neither a dashboard nor a provisioned datasource"
            );
        }
        for part in text.split("/d/").skip(1) {
            let uid: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            assert!(
                uids.contains(&uid),
                "{file} links to missing dashboard {uid}"
            );
        }
        let names: BTreeSet<&str> = d["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        if d["uid"] == "carepulse-scores" {
            // Alert links set these (carepulse-detect dashboard_link).
            for v in ["facility", "department", "stage", "experience"] {
                assert!(names.contains(v), "{file} lacks variable {v}");
            }
        }
    }
}

#[test]
fn alertmanager_routes_alerts_by_component_facility_and_severity() {
    let route = |labels: &[&str], receiver: &str| {
        let mut args = vec![
            "config",
            "routes",
            "test",
            "--config.file=deploy/alertmanager/alertmanager.yml",
        ];
        let verify = format!("--verify.receivers={receiver}");
        args.push(&verify);
        args.extend(labels);
        check("amtool", &args, "prometheus-alertmanager");
    };
    route(
        &[
            "alertname=CarepulseIngestDown",
            "component=ingest",
            "severity=critical",
        ],
        "platform-oncall",
    );
    route(
        &[
            "alertname=CarepulseScoreDrop",
            "facility=stmarys-general",
            "department=ed",
            "severity=critical",
        ],
        "stmarys-quality-pager",
    );
    route(
        &[
            "alertname=CarepulseScoreDrop",
            "facility=stmarys-general",
            "severity=warning",
        ],
        "stmarys-quality-email",
    );
    route(
        &[
            "alertname=CarepulseSourceSilent",
            "facility=riverside-surgery",
            "severity=warning",
        ],
        "riverside-email",
    );
    route(
        &[
            "alertname=CarepulseScoreDrop",
            "facility=elsewhere",
            "severity=critical",
        ],
        "default",
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
