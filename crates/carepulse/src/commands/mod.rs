//! One module per subcommand; each returns the process exit code.

pub mod catalog;
pub mod check_config;
pub mod schema;
pub mod validate;

use std::path::Path;

use crate::config::{self, ValidConfig};

/// Loads and validates the configuration, or explains what to fix.
pub fn valid_config(file: Option<&Path>) -> anyhow::Result<ValidConfig> {
    Ok(config::load(file)?.validate()?)
}
