//! Layered configuration: built-in defaults, then an optional TOML file, then
//! `CAREPULSE__SECTION__KEY` environment variables; validated once at start
//! into [`ValidConfig`] with problems that say what to change.

use std::fmt;
use std::path::{Path, PathBuf};

use carepulse_alert::{AlertConfig, AlertSettings, DetectConfig};
use carepulse_ingest::IngestSettings;
use carepulse_kafka::KafkaSettings;
use carepulse_model::{Catalog, Limits, Pseudonymiser};
use carepulse_process::ProcessSettings;
use chrono::TimeDelta;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize, Serializer};

/// Prefix of configuration environment variables: `CAREPULSE__KAFKA__BROKERS`.
pub const ENV_PREFIX: &str = "CAREPULSE__";

/// A secret value: never printed, never logged.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn is_set(&self) -> bool {
        !self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_set() {
            "\"********\""
        } else {
            "\"\""
        })
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.is_set() { "********" } else { "" })
    }
}

/// Everything carepulse can be configured with.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The hospital catalog.
    pub catalog: CatalogSettings,
    /// Kafka (or a Kafka-compatible broker).
    pub kafka: KafkaSettings,
    /// ClickHouse.
    pub clickhouse: ClickHouseSettings,
    /// Pseudonymisation of subject and journey-instance references.
    pub privacy: PrivacySettings,
    /// Limits on submitted feedback.
    pub validation: ValidationSettings,
    /// The ingest service.
    pub ingest: IngestSettings,
    /// The stream processor.
    pub process: ProcessSettings,
    /// The drop and silence detectors (docs/alerting.md).
    pub detect: DetectConfig,
    /// The alerter service.
    pub alert: AlertSettings,
    /// `carepulse analyze` (docs/analytics.md).
    pub analyze: AnalyzeSettings,
}

/// `[catalog]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogSettings {
    /// Path of the catalog TOML file.
    pub path: PathBuf,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        CatalogSettings {
            path: PathBuf::from("deploy/catalog/general-hospital.toml"),
        }
    }
}

/// `[clickhouse]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClickHouseSettings {
    /// HTTP interface, `http://host:8123`.
    pub url: String,
    /// Database carepulse owns.
    pub database: String,
    /// User name.
    pub user: String,
    /// Password (secret).
    pub password: Secret,
    /// Compression of the bodies sent and received.
    pub compression: ClickHouseCompression,
}

/// How requests to ClickHouse are compressed (`[clickhouse] compression`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ClickHouseCompression {
    /// LZ4: a third of the bytes on the wire, for CPU on the processor.
    #[default]
    Lz4,
    /// None: for a ClickHouse on the same host or a fast local network.
    None,
}

impl Default for ClickHouseSettings {
    fn default() -> Self {
        ClickHouseSettings {
            url: "http://127.0.0.1:8123".into(),
            database: "carepulse".into(),
            user: "default".into(),
            password: Secret::default(),
            compression: ClickHouseCompression::default(),
        }
    }
}

/// `[privacy]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacySettings {
    /// Id of the current key, written into every pseudonym (`k1`, `2026a`).
    pub key_id: String,
    /// The key itself (secret, at least 32 bytes); prefer `key_file`.
    pub key: Secret,
    /// A file holding the key (trailing newline ignored).
    pub key_file: Option<PathBuf>,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        PrivacySettings {
            key_id: "k1".into(),
            key: Secret::default(),
            key_file: None,
        }
    }
}

/// `[validation]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ValidationSettings {
    /// Seconds a time may lie in the future.
    pub max_future_skew_secs: i64,
    /// Days a touchpoint may lie in the past.
    pub max_event_age_days: i64,
    /// Days between touchpoint and answer.
    pub max_response_delay_days: i64,
    /// Longest comment in characters.
    pub max_comment_chars: usize,
    /// Most item answers per submission.
    pub max_items: usize,
}

impl Default for ValidationSettings {
    fn default() -> Self {
        let limits = Limits::default();
        ValidationSettings {
            max_future_skew_secs: limits.max_future_skew.num_seconds(),
            max_event_age_days: limits.max_event_age.num_days(),
            max_response_delay_days: limits.max_response_delay.num_days(),
            max_comment_chars: limits.max_comment_chars,
            max_items: limits.max_items,
        }
    }
}

/// `[analyze]`: the periodic analytics computation (docs/analytics.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyzeSettings {
    /// Days of events each computation reads, ending when it runs.
    pub window_days: u32,
    /// Days stored computations are kept (whole months are dropped once
    /// older); 0 keeps them all.
    pub keep_days: u32,
    /// Fewer answers (stages) or complete responses (drivers, alpha) are
    /// marked insufficient or not reliable.
    pub min_n: u64,
    /// Bootstrap replicates of the driver intervals.
    pub replicates: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Address of `/metrics` while `carepulse analyze --every` loops.
    pub metrics_listen: String,
}

impl Default for AnalyzeSettings {
    fn default() -> Self {
        AnalyzeSettings {
            window_days: 90,
            keep_days: 400,
            min_n: 30,
            replicates: 200,
            seed: 1,
            metrics_listen: "127.0.0.1:9467".into(),
        }
    }
}

impl AnalyzeSettings {
    fn check(&self, problems: &mut Vec<String>) {
        if !(1..=3660).contains(&self.window_days) {
            problems.push(format!(
                "analyze.window_days: {} must be from 1 to 3660",
                self.window_days
            ));
        }
        if self.keep_days > 36_600 {
            problems.push(format!(
                "analyze.keep_days: {} must be at most 36600 (0 keeps every computation)",
                self.keep_days
            ));
        }
        if self.min_n < 3 {
            problems.push(format!(
                "analyze.min_n: {} must be at least 3 (a regression needs a few responses)",
                self.min_n
            ));
        }
        if self.replicates > 10_000 {
            problems.push(format!(
                "analyze.replicates: {} must be at most 10000 (0 gives no intervals)",
                self.replicates
            ));
        }
        if self.metrics_listen.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!(
                "analyze.metrics_listen: '{}' is not an address such as 127.0.0.1:9467",
                self.metrics_listen
            ));
        }
    }
}

/// Settings that passed validation, with the catalog loaded.
#[derive(Debug)]
pub struct ValidConfig {
    /// The loaded catalog.
    pub catalog: Catalog,
    /// Validation limits.
    pub limits: Limits,
    /// The pseudonymiser, when a key is configured.
    pub pseudonymiser: Option<Pseudonymiser>,
    /// Kafka.
    pub kafka: KafkaSettings,
    /// ClickHouse.
    pub clickhouse: ClickHouseSettings,
    /// The ingest service.
    pub ingest: IngestSettings,
    /// The stream processor.
    pub process: ProcessSettings,
    /// The alerter and its detectors.
    pub alert: AlertConfig,
    /// `carepulse analyze`.
    pub analyze: AnalyzeSettings,
}

/// Configuration that cannot be used, with every problem.
#[derive(Debug)]
pub struct ConfigProblems(pub Vec<String>);

impl fmt::Display for ConfigProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "configuration has {} problem(s):", self.0.len())?;
        for p in &self.0 {
            writeln!(f, "  - {p}")?;
        }
        write!(
            f,
            "settings come from defaults, the --config file and {ENV_PREFIX}SECTION__KEY environment variables"
        )
    }
}

impl std::error::Error for ConfigProblems {}

/// Reads the layers. `file` must exist when given.
pub fn load(file: Option<&Path>) -> Result<Settings, ConfigProblems> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigProblems(vec![format!(
                "config file '{}' does not exist",
                path.display()
            )]));
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__"));
    figment
        .extract()
        .map_err(|e| ConfigProblems(e.into_iter().map(|e| e.to_string()).collect()))
}

impl Settings {
    /// Checks the settings and loads what they point at.
    pub fn validate(self) -> Result<ValidConfig, ConfigProblems> {
        let mut problems = Vec::new();
        let catalog = match std::fs::read_to_string(&self.catalog.path) {
            Err(e) => {
                problems.push(format!(
                    "catalog.path: cannot read '{}': {e} (set [catalog] path or {ENV_PREFIX}CATALOG__PATH)",
                    self.catalog.path.display()
                ));
                None
            }
            Ok(text) => match Catalog::from_toml(&text) {
                Ok(catalog) => Some(catalog),
                Err(e) => {
                    problems.push(format!(
                        "catalog.path: '{}': {}",
                        self.catalog.path.display(),
                        e.to_string().replace('\n', "\n    ")
                    ));
                    None
                }
            },
        };
        self.kafka.check(&mut problems);
        self.ingest.check(catalog.as_ref(), &mut problems);
        self.clickhouse.check(&mut problems);
        self.process.check(&mut problems);
        let alert = self.alert.check(&self.detect, &mut problems);
        self.analyze.check(&mut problems);
        let limits = self.validation.check(&mut problems);
        let pseudonymiser = self.privacy.check(&mut problems);
        if !problems.is_empty() {
            return Err(ConfigProblems(problems));
        }
        Ok(ValidConfig {
            catalog: catalog.expect("no problems means the catalog loaded"),
            kafka: self.kafka,
            clickhouse: self.clickhouse,
            ingest: self.ingest,
            process: self.process,
            alert: alert.expect("no problems means [alert] and [detect] checked"),
            analyze: self.analyze,
            limits,
            pseudonymiser,
        })
    }
}

impl ClickHouseSettings {
    /// A client for these settings. ClickHouse 18.16 does not know the
    /// setting the client's schema validation sends, so validation is off.
    pub fn client(&self) -> clickhouse::Client {
        clickhouse::Client::default()
            .with_url(&self.url)
            .with_user(&self.user)
            .with_password(self.password.expose())
            .with_validation(false)
            .with_compression(match self.compression {
                ClickHouseCompression::Lz4 => clickhouse::Compression::Lz4,
                ClickHouseCompression::None => clickhouse::Compression::None,
            })
    }

    fn check(&self, problems: &mut Vec<String>) {
        match url::Url::parse(&self.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => problems.push(format!(
                "clickhouse.url: '{}' is not an http(s) URL such as http://127.0.0.1:8123",
                self.url
            )),
        }
        let ok = !self.database.is_empty()
            && self
                .database
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !ok {
            problems.push(format!(
                "clickhouse.database: '{}' must be letters, digits and '_'",
                self.database
            ));
        }
    }
}

impl ValidationSettings {
    fn check(&self, problems: &mut Vec<String>) -> Limits {
        for (name, value) in [
            ("max_future_skew_secs", self.max_future_skew_secs),
            ("max_event_age_days", self.max_event_age_days),
            ("max_response_delay_days", self.max_response_delay_days),
        ] {
            if !(0..=36_500).contains(&value) {
                problems.push(format!(
                    "validation.{name}: {value} must be between 0 and 36500"
                ));
            }
        }
        Limits {
            max_future_skew: TimeDelta::seconds(self.max_future_skew_secs.clamp(0, 36_500)),
            max_event_age: TimeDelta::days(self.max_event_age_days.clamp(0, 36_500)),
            max_response_delay: TimeDelta::days(self.max_response_delay_days.clamp(0, 36_500)),
            max_comment_chars: self.max_comment_chars,
            max_items: self.max_items,
        }
    }
}

impl PrivacySettings {
    fn check(&self, problems: &mut Vec<String>) -> Option<Pseudonymiser> {
        let key = match (&self.key_file, self.key.is_set()) {
            (Some(_), true) => {
                problems.push("privacy: set either key or key_file, not both".into());
                return None;
            }
            (Some(path), false) => match std::fs::read(path) {
                Ok(mut bytes) => {
                    while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        bytes.pop();
                    }
                    bytes
                }
                Err(e) => {
                    problems.push(format!(
                        "privacy.key_file: cannot read '{}': {e}",
                        path.display()
                    ));
                    return None;
                }
            },
            (None, true) => self.key.expose().as_bytes().to_vec(),
            (None, false) => return None,
        };
        match Pseudonymiser::new(&self.key_id, &key) {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(format!("privacy: {e}"));
                None
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment's large error
mod tests {
    use super::*;
    use figment::Jail;

    const CATALOG: &str = include_str!("../../../deploy/catalog/general-hospital.toml");

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file("catalog.toml", CATALOG)?;
            jail.create_file(
                "carepulse.toml",
                r#"
                [catalog]
                path = "catalog.toml"
                [kafka]
                brokers = "file-host:9092"
                feedback_topic = "from-file"
                "#,
            )?;
            jail.set_env("CAREPULSE__KAFKA__BROKERS", "env-host:19092");
            let settings = load(Some(Path::new("carepulse.toml"))).unwrap();
            assert_eq!(settings.kafka.brokers, "env-host:19092");
            assert_eq!(settings.kafka.feedback_topic, "from-file");
            assert_eq!(settings.kafka.partitions, 6, "default kept");
            settings.validate().unwrap();
            Ok(())
        });
    }

    #[test]
    fn every_problem_is_reported_with_the_setting_to_change() {
        Jail::expect_with(|jail| {
            jail.set_env("CAREPULSE__CATALOG__PATH", "missing.toml");
            jail.set_env("CAREPULSE__KAFKA__BROKERS", "localhost");
            jail.set_env("CAREPULSE__CLICKHOUSE__URL", "ftp://x");
            jail.set_env("CAREPULSE__PRIVACY__KEY", "short");
            let problems = load(None).unwrap().validate().unwrap_err().0;
            let text = problems.join("\n");
            assert_eq!(problems.len(), 4, "{text}");
            assert!(
                text.contains("catalog.path: cannot read 'missing.toml'"),
                "{text}"
            );
            assert!(
                text.contains("kafka.brokers: 'localhost' is not host:port"),
                "{text}"
            );
            assert!(text.contains("clickhouse.url"), "{text}");
            assert!(text.contains("at least 32"), "{text}");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused_with_their_source() {
        Jail::expect_with(|jail| {
            jail.set_env("CAREPULSE__KAFKA__BROKER", "x:1");
            let problems = load(None).unwrap_err().0.join("\n");
            assert!(problems.contains("broker"), "{problems}");
            assert!(
                problems.contains("KAFKA.BROKER") && problems.contains("CAREPULSE__"),
                "{problems}"
            );
            Ok(())
        });
    }

    #[test]
    fn clickhouse_compression_is_lz4_unless_set_and_refuses_unknown_codecs() {
        Jail::expect_with(|jail| {
            assert_eq!(
                load(None).unwrap().clickhouse.compression,
                ClickHouseCompression::Lz4
            );
            jail.set_env("CAREPULSE__CLICKHOUSE__COMPRESSION", "none");
            assert_eq!(
                load(None).unwrap().clickhouse.compression,
                ClickHouseCompression::None
            );
            jail.set_env("CAREPULSE__CLICKHOUSE__COMPRESSION", "zstd");
            let problems = load(None).unwrap_err().0.join("\n").to_lowercase();
            assert!(problems.contains("clickhouse.compression"), "{problems}");
            assert!(
                problems.contains("zstd") && problems.contains("lz4"),
                "{problems}"
            );
            Ok(())
        });
    }

    #[test]
    fn secrets_are_masked_when_printed() {
        Jail::expect_with(|jail| {
            jail.create_file("catalog.toml", CATALOG)?;
            jail.set_env("CAREPULSE__CATALOG__PATH", "catalog.toml");
            jail.set_env("CAREPULSE__CLICKHOUSE__PASSWORD", "hunter2-hunter2");
            jail.set_env(
                "CAREPULSE__PRIVACY__KEY",
                "0123456789abcdef0123456789abcdef",
            );
            let settings = load(None).unwrap();
            let printed = toml::to_string(&settings).unwrap() + &format!("{settings:?}");
            assert!(!printed.contains("hunter2"), "{printed}");
            assert!(!printed.contains("0123456789abcdef"), "{printed}");
            assert!(printed.contains("********"));
            assert!(settings.validate().unwrap().pseudonymiser.is_some());
            Ok(())
        });
    }

    #[test]
    fn key_file_is_read_and_its_trailing_newline_ignored() {
        Jail::expect_with(|jail| {
            jail.create_file("catalog.toml", CATALOG)?;
            jail.create_file("key", "0123456789abcdef0123456789abcdef\n")?;
            jail.set_env("CAREPULSE__CATALOG__PATH", "catalog.toml");
            jail.set_env("CAREPULSE__PRIVACY__KEY_FILE", "key");
            let config = load(None).unwrap().validate().unwrap();
            assert!(config.pseudonymiser.is_some());
            Ok(())
        });
    }

    #[test]
    fn alert_and_detect_sections_come_from_the_file_and_the_environment() {
        Jail::expect_with(|jail| {
            jail.create_file("catalog.toml", CATALOG)?;
            jail.create_file(
                "carepulse.toml",
                r#"
                [catalog]
                path = "catalog.toml"
                [alert]
                alertmanager_url = "http://am:9093"
                labels = { env = "staging" }
                [[detect.rules]]
                keys = "source=*"
                drop = { enabled = false, baseline_days = 56 }
                "#,
            )?;
            jail.set_env("CAREPULSE__ALERT__TICK_INTERVAL_SECS", "30");
            jail.set_env("CAREPULSE__DETECT__TIMEZONE", "Europe/London");
            let config = load(Some(Path::new("carepulse.toml")))
                .unwrap()
                .validate()
                .unwrap();
            assert_eq!(config.alert.tick_interval.as_secs(), 30);
            assert_eq!(config.alert.history, TimeDelta::days(56 + 21));
            let am = config.alert.alertmanager.unwrap();
            assert_eq!(am.alerts_url, "http://am:9093/api/v2/alerts");
            assert_eq!(am.labels["env"], "staging");
            jail.set_env("CAREPULSE__ALERT__METRICS_LISTEN", "nowhere");
            jail.set_env("CAREPULSE__DETECT__TIMEZONE", "Nowhere/Else");
            let problems = load(Some(Path::new("carepulse.toml")))
                .unwrap()
                .validate()
                .unwrap_err()
                .0
                .join("\n");
            assert!(
                problems.contains("alert.metrics_listen: 'nowhere'"),
                "{problems}"
            );
            assert!(
                problems.contains("detect.timezone: 'Nowhere/Else'"),
                "{problems}"
            );
            Ok(())
        });
    }

    #[test]
    fn analyze_settings_are_checked_with_the_setting_named() {
        Jail::expect_with(|jail| {
            jail.create_file("catalog.toml", CATALOG)?;
            jail.set_env("CAREPULSE__CATALOG__PATH", "catalog.toml");
            jail.set_env("CAREPULSE__ANALYZE__WINDOW_DAYS", "0");
            jail.set_env("CAREPULSE__ANALYZE__MIN_N", "1");
            jail.set_env("CAREPULSE__ANALYZE__METRICS_LISTEN", "nowhere");
            let problems = load(None).unwrap().validate().unwrap_err().0;
            let text = problems.join("\n");
            assert_eq!(problems.len(), 3, "{text}");
            for setting in [
                "analyze.window_days",
                "analyze.min_n",
                "analyze.metrics_listen",
            ] {
                assert!(text.contains(setting), "{setting}: {text}");
            }
            jail.set_env("CAREPULSE__ANALYZE__WINDOW_DAYS", "30");
            jail.set_env("CAREPULSE__ANALYZE__MIN_N", "50");
            jail.set_env("CAREPULSE__ANALYZE__METRICS_LISTEN", "0.0.0.0:9467");
            let analyze = load(None).unwrap().validate().unwrap().analyze;
            assert_eq!(
                (analyze.window_days, analyze.min_n, analyze.replicates),
                (30, 50, 200)
            );
            Ok(())
        });
    }
}
