//! `carepulse report` as a user runs it: a CSV export with a header row and
//! malformed rows, NDJSON of feedback events, and the simulator's file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn carepulse(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_carepulse"));
    cmd.current_dir(repo()).args(args);
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

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("carepulse-report-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn report_json(args: &[&str]) -> (Value, String) {
    let out = carepulse(args);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    (
        serde_json::from_slice(&out.stdout).expect("JSON on stdout"),
        stderr,
    )
}

/// 60 ED survey rows whose overall answer follows wait_time, and three
/// malformed rows (lines 62-64 of the file).
fn export_csv(path: &Path) {
    let mut csv = String::from(
        "event_id,occurred_at,facility,department,journey,stage,experience,channel,questionnaire,overall,wait_time,staff_courtesy,information_clarity,pain_managed,journey_instance\n",
    );
    let frequency = ["never", "sometimes", "usually", "always"];
    for i in 0..60u32 {
        let wait = 1 + i % 5;
        let courtesy = frequency[(i as usize / 5) % 4];
        let clarity = frequency[(i as usize / 3) % 4];
        let pain = if i % 7 == 0 { "no" } else { "yes" };
        let overall = (wait * 2).min(10) - u32::from(i % 3 == 0);
        csv += &format!(
            "e{i},2025-06-{:02}T10:00:00+01:00,stmarys-general,ed,ed-visit,treatment,patient,sms,ed-visit-survey,{overall},{wait},{courtesy},{clarity},{pain},ATT-{i}\n",
            1 + i % 28
        );
    }
    csv += "bad1,2025-06-03T10:00:00+01:00,stmarys-general,ed,ed-visit,treatment,patient,sms,ed-visit-survey,11,3,usually,usually,yes,\n";
    csv += "bad2,yesterday,stmarys-general,ed,ed-visit,treatment,patient,sms,ed-visit-survey,7,3,usually,usually,yes,\n";
    csv += "bad3,2025-06-03T10:00:00+01:00,stmarys-general,ed\n";
    std::fs::write(path, csv).unwrap();
}

#[test]
fn a_csv_export_is_reported_and_its_malformed_rows_named_without_stopping() {
    let dir = scratch("csv");
    let path = dir.join("export.csv");
    export_csv(&path);
    let file = path.to_str().unwrap();
    let out = carepulse(&["report", file, "--window", "all"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{file}:62: overall: 11 is not on the rating_0_10 scale"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{file}:63: occurred_at: 'yesterday' is not an RFC 3339 time"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{file}:64: 4 fields, the header has 15")),
        "{stderr}"
    );
    assert!(
        stderr.contains("63 rows read, 3 malformed; 60 events used"),
        "{stderr}"
    );
    for section in ["SCORES", "DRIVERS", "QUESTION QUALITY", "JOURNEYS"] {
        assert!(stdout.contains(section), "{section} missing:\n{stdout}");
    }
    assert!(stdout.contains("wait_time"), "{stdout}");

    let (report, _) = report_json(&["report", file, "--window", "all", "--json"]);
    assert_eq!(report["rows"], json!({ "rows": 63, "malformed": 3 }));
    let all = report["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["questionnaire"] == "ed-visit-survey" && g["dimension"] == "all")
        .unwrap();
    assert_eq!(all["analysis"]["status"], "analysed", "{all}");
    assert_eq!(all["analysis"]["n"], 60);
    // The overall answer was built from wait_time.
    assert_eq!(all["analysis"]["drivers"][0]["item"], "wait_time", "{all}");
    let quality = &report["quality"][0];
    assert_eq!(quality["questionnaire"], "ed-visit-survey");
    assert!(quality["alpha"].is_number(), "{quality}");

    // --out writes the report to a file. A 7-day window ends just after
    // the latest answer (June 28, 09:00Z): June 22 to 28, 14 rows.
    let out_file = dir.join("report.json");
    let out = carepulse(&[
        "report",
        file,
        "--json",
        "--window",
        "7d",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}",
        text(&out.stderr)
    );
    let written: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(written["input"]["used"], 14, "{}", written["input"]);
    assert_eq!(written["input"]["outside_window"], 46);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn ndjson_of_feedback_events_counts_duplicates_and_names_bad_lines() {
    let dir = scratch("events");
    let path = dir.join("events.ndjson");
    let event = |id: &str, overall: Value| {
        json!({
            "v": 1, "event_id": id, "occurred_at": "2026-03-02T10:00:00Z",
            "responded_at": "2026-03-02T10:00:00Z", "received_at": "2026-03-02T10:00:01Z",
            "organisation": "stmarys-trust", "facility": "stmarys-general", "department": "ed",
            "journey": "ed-visit", "stage": "triage", "touchpoint": "ed-waiting-kiosk",
            "experience": "customer", "channel": "kiosk", "respondent_role": "unknown",
            "questionnaire": "kiosk-smiley", "overall": { "question": "overall", "scale": "smiley_4", "value": overall },
            "consent_to_contact": false
        })
        .to_string()
    };
    let lines = [
        event("a", json!("happy")),
        event("b", json!("very_happy")),
        event("a", json!("happy")),
        "{not json".to_owned(),
        event("c", json!("delighted")),
        String::new(),
        event("d", json!("unhappy")),
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let file = path.to_str().unwrap();
    let (report, stderr) = report_json(&["report", file, "--json"]);
    assert!(stderr.contains(&format!("{file}:4: not JSON")), "{stderr}");
    assert!(
        stderr.contains("event c: overall: 'delighted' is not on the smiley_4 scale"),
        "{stderr}"
    );
    assert_eq!(report["rows"], json!({ "rows": 6, "malformed": 2 }));
    assert_eq!(report["input"]["used"], 3);
    assert_eq!(report["input"]["duplicates"], 1);
    let triage = report["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["dimension"] == "stage" && r["key"] == "ed-visit/triage" && r["scale"] == "smiley_4"
        })
        .unwrap();
    // happy, very happy, unhappy: 2 of 3 positive.
    assert_eq!(triage["positive"]["count"], 2);
    assert_eq!(triage["sufficient"], false);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_simulators_file_is_read_as_the_ingest_service_would_take_it() {
    let dir = scratch("simulated");
    let path = dir.join("week.ndjson");
    let target = format!("file:{}", path.display());
    let out = carepulse(&[
        "simulate",
        "deploy/scenarios/general-hospital.toml",
        "--target",
        &target,
        "--seed",
        "42",
        "--start",
        "2026-03-02T00:00:00Z",
        "--duration",
        "2d",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = std::fs::read_to_string(&path).unwrap();
    let count = |kind: &str| {
        lines
            .lines()
            .filter(|l| l.contains(&format!("\"kind\":\"{kind}\"")))
            .count() as u64
    };
    assert!(
        count("bad") > 100 && count("duplicate") > 5,
        "{} bad, {} duplicates",
        count("bad"),
        count("duplicate")
    );
    let (report, stderr) = report_json(&["report", path.to_str().unwrap(), "--json"]);
    // Every deliberately bad item is refused with its reason, nothing else.
    assert_eq!(
        report["rows"]["malformed"].as_u64(),
        Some(count("bad")),
        "{stderr}"
    );
    assert_eq!(
        report["input"]["duplicates"].as_u64(),
        Some(count("duplicate"))
    );
    // The child at the ED waiting kiosk: 40 presses in 30 s.
    assert!(
        report["input"]["suspect"].as_u64().unwrap() >= 30,
        "{}",
        report["input"]
    );
    // Repeat prescriptions are asked by two departments: a group for each.
    let mut departments: Vec<&str> = report["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["questionnaire"] == "prescription-request" && g["dimension"] == "department")
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    departments.sort();
    assert_eq!(departments, ["gp-clinical", "gp-reception"]);
    let journeys: Vec<&str> = report["journeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["journey"].as_str().unwrap())
        .collect();
    assert_eq!(
        journeys,
        [
            "ed-visit",
            "outpatient-appointment",
            "inpatient-stay",
            "repeat-prescription"
        ]
    );
    std::fs::remove_dir_all(&dir).ok();
}
