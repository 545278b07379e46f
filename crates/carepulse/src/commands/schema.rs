//! `carepulse schema`: the published JSON Schemas.

use std::process::ExitCode;

/// Which schema to print.
#[derive(clap::Args)]
pub struct Args {
    /// `submission` (what clients post) or `event` (what carepulse publishes).
    #[arg(value_enum, default_value_t = Which::Submission)]
    which: Which,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Which {
    Submission,
    Event,
}

/// Prints the schema as pretty JSON.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let schema = match args.which {
        Which::Submission => carepulse_model::submission_schema(),
        Which::Event => carepulse_model::event_schema(),
    };
    println!("{}", serde_json::to_string_pretty(&schema)?);
    Ok(ExitCode::SUCCESS)
}
