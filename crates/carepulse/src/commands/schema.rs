//! `carepulse schema`: the published JSON Schemas.

use std::process::ExitCode;

/// Which schema to print.
#[derive(clap::Args)]
pub struct Args {
    /// `submission` (what clients post), `kiosk-press`, `event` (what
    /// carepulse publishes) or `openapi` (the ingest API).
    #[arg(value_enum, default_value_t = Which::Submission)]
    which: Which,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Which {
    Submission,
    KioskPress,
    Event,
    Openapi,
}

/// Prints the schema as pretty JSON.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let schema = match args.which {
        Which::Submission => carepulse_model::submission_schema(),
        Which::KioskPress => carepulse_model::kiosk_press_schema(),
        Which::Event => carepulse_model::event_schema(),
        Which::Openapi => carepulse_ingest::openapi::document(),
    };
    println!("{}", serde_json::to_string_pretty(&schema)?);
    Ok(ExitCode::SUCCESS)
}
