//! What the Grafana dashboards ask, without a Grafana server: every query of
//! every dashboard JSON in `deploy/grafana/dashboards/` (panel targets and
//! template-variable queries, dashboards added later included), the columns
//! each panel relies on, and Grafana's macro and variable substitution for
//! the ClickHouse plugin and Prometheus.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

/// The ClickHouse datasource plugin's type.
pub const CLICKHOUSE: &str = "grafana-clickhouse-datasource";
/// The Prometheus datasource's type.
pub const PROMETHEUS: &str = "prometheus";

/// One query a dashboard runs.
#[derive(Debug, Clone)]
pub struct DashboardQuery {
    /// `file.json / panel title / refId`, or `file.json / variable name`.
    pub name: String,
    /// Datasource type ([`CLICKHOUSE`] or [`PROMETHEUS`]).
    pub datasource: String,
    /// The SQL or PromQL as written in the dashboard.
    pub text: String,
    /// Columns the panel relies on (a time series' `time`, the columns its
    /// overrides and links name).
    pub columns: Vec<String>,
    /// A template-variable query (one column of values).
    pub variable: bool,
}

/// The dashboards directory.
pub fn dashboards_dir() -> PathBuf {
    crate::ingest::repo().join("deploy/grafana/dashboards")
}

/// Every dashboard: file name and parsed JSON, sorted by name.
pub fn dashboards() -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(dashboards_dir())
        .expect("deploy/grafana/dashboards exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            let json = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{name} is not valid JSON: {e}"));
            (name, json)
        })
        .collect()
}

fn datasource_type(v: &Value) -> Option<String> {
    v.get("datasource")
        .and_then(|d| d.get("type"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Every panel, rows' collapsed panels included.
fn panels(list: &Value, out: &mut Vec<Value>) {
    for p in list.as_array().into_iter().flatten() {
        out.push(p.clone());
        if let Some(inner) = p.get("panels") {
            panels(inner, out);
        }
    }
}

/// `${__data.fields.NAME}` references in `text`.
fn field_refs(text: &str, out: &mut Vec<String>) {
    let mut rest = text;
    while let Some(i) = rest.find("${__data.fields.") {
        rest = &rest[i + "${__data.fields.".len()..];
        if let Some(end) = rest.find('}') {
            out.push(rest[..end].to_owned());
        }
    }
}

/// The columns a panel relies on.
fn panel_columns(panel: &Value) -> Vec<String> {
    let mut columns = Vec::new();
    let overrides = panel.pointer("/fieldConfig/overrides");
    for o in overrides.and_then(Value::as_array).into_iter().flatten() {
        if o.pointer("/matcher/id").and_then(Value::as_str) == Some("byName") {
            if let Some(name) = o.pointer("/matcher/options").and_then(Value::as_str) {
                columns.push(name.to_owned());
            }
        }
    }
    field_refs(&panel.to_string(), &mut columns);
    columns.sort();
    columns.dedup();
    columns
}

/// Every query of a dashboard.
pub fn queries(file: &str, dashboard: &Value) -> Vec<DashboardQuery> {
    let mut out = Vec::new();
    let mut all = Vec::new();
    panels(&dashboard["panels"], &mut all);
    for panel in &all {
        let title = panel["title"].as_str().unwrap_or("untitled");
        let columns = panel_columns(panel);
        for target in panel["targets"].as_array().into_iter().flatten() {
            let Some(ds) = datasource_type(target).or_else(|| datasource_type(panel)) else {
                panic!("{file} / {title}: a target without a datasource type");
            };
            let text = match ds.as_str() {
                CLICKHOUSE => target["rawSql"].as_str(),
                PROMETHEUS => target["expr"].as_str(),
                other => panic!("{file} / {title}: unexpected datasource type {other}"),
            }
            .unwrap_or_else(|| panic!("{file} / {title}: a target without its query"))
            .to_owned();
            let mut columns = columns.clone();
            if ds == CLICKHOUSE && target["format"].as_i64() == Some(0) {
                columns.push("time".into());
            }
            out.push(DashboardQuery {
                name: format!(
                    "{file} / {title} / {}",
                    target["refId"].as_str().unwrap_or("?")
                ),
                datasource: ds,
                text,
                columns,
                variable: false,
            });
        }
    }
    for v in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if v["type"].as_str() != Some("query") {
            continue;
        }
        let ds = datasource_type(v).expect("a query variable names its datasource");
        let text = match &v["query"] {
            Value::String(s) => s.clone(),
            q => q["rawSql"]
                .as_str()
                .or_else(|| q["query"].as_str())
                .expect("a variable query")
                .to_owned(),
        };
        out.push(DashboardQuery {
            name: format!("{file} / variable {}", v["name"].as_str().unwrap_or("?")),
            datasource: ds,
            text,
            columns: Vec::new(),
            variable: true,
        });
    }
    out
}

/// Values for the dashboards' variables and the time range, as Grafana
/// would interpolate them.
#[derive(Debug, Clone)]
pub struct Interpolation {
    /// Variable name to its value (and, for `${name:text}`, the same value).
    pub variables: BTreeMap<String, String>,
    /// Time range start (Unix seconds).
    pub from: i64,
    /// Time range end (Unix seconds).
    pub to: i64,
    /// `$__interval_s`.
    pub interval_s: u32,
}

/// Replaces `$__timeFilter(col)` with what the ClickHouse plugin sends.
fn time_filters(sql: &str, from: i64, to: i64) -> String {
    let mut out = String::new();
    let mut rest = sql;
    while let Some(i) = rest.find("$__timeFilter(") {
        out.push_str(&rest[..i]);
        rest = &rest[i + "$__timeFilter(".len()..];
        let end = rest.find(')').expect("$__timeFilter(column) closes");
        let column = rest[..end].trim();
        out.push_str(&format!(
            "{column} >= toDateTime({from}) AND {column} <= toDateTime({to})"
        ));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

impl Interpolation {
    /// The query with macros and variables substituted; panics on a macro
    /// or variable it does not know, so a dashboard cannot use one
    /// untested.
    pub fn sql(&self, text: &str) -> String {
        let mut s = time_filters(text, self.from, self.to);
        s = s
            .replace("$__fromTime", &format!("toDateTime({})", self.from))
            .replace("$__toTime", &format!("toDateTime({})", self.to))
            .replace("$__interval_s", &self.interval_s.to_string());
        self.variables(s)
    }

    /// PromQL with Grafana's interval variables substituted.
    pub fn promql(&self, text: &str) -> String {
        let s = text
            .replace("$__rate_interval", "1m")
            .replace("$__range", "1h")
            .replace("$__interval", "15s");
        self.variables(s)
    }

    fn variables(&self, mut s: String) -> String {
        for (name, value) in &self.variables {
            s = s
                .replace(&format!("${{{name}:text}}"), value)
                .replace(
                    &format!("${{{name}:queryparam}}"),
                    &format!("var-{name}={value}"),
                )
                .replace(&format!("${{{name}}}"), value);
        }
        assert!(
            !s.contains('$'),
            "a macro or variable the tests do not know is left in: {s}"
        );
        s
    }
}
