//! `carepulse check-config`: the effective configuration, or what is wrong.

use std::path::Path;
use std::process::ExitCode;

use crate::config;

/// Prints the effective configuration (secrets masked) to stdout, or every
/// problem to stderr with exit code 2.
pub fn run(file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let settings = match config::load(file) {
        Ok(s) => s,
        Err(problems) => {
            eprintln!("{problems}");
            return Ok(ExitCode::from(2));
        }
    };
    let printed = toml::to_string_pretty(&settings)?;
    match settings.validate() {
        Ok(valid) => {
            println!("# effective carepulse configuration (secrets masked)");
            print!("{printed}");
            let c = &valid.catalog;
            eprintln!(
                "configuration is valid: catalog has {} facilities, {} departments, {} journeys, {} touchpoints",
                c.facilities().len(),
                c.departments().len(),
                c.journeys().len(),
                c.touchpoints().len()
            );
            if valid.pseudonymiser.is_none() {
                eprintln!("note: privacy.key or privacy.key_file is not set; services that accept feedback will refuse to start");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            eprintln!("{problems}");
            Ok(ExitCode::from(2))
        }
    }
}
