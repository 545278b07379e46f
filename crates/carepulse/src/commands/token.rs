//! `carepulse token`: makes API tokens for `[[ingest.tokens]]` and hashes
//! existing ones. Only the hash goes into the configuration.

use std::io::Read;
use std::process::ExitCode;

use anyhow::bail;

/// What to do.
#[derive(clap::Subcommand)]
pub enum Args {
    /// Make a new random token and print it with its configuration entry.
    New {
        /// Who will hold it (`ed-kiosks`, `sms-gateway`).
        #[arg(long)]
        name: String,
        /// The facility it may submit for.
        #[arg(long)]
        facility: String,
    },
    /// Print the SHA-256 of a token read from standard input.
    Hash,
}

fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(format!("cp_{}", hex::encode(bytes)))
}

/// Runs the subcommand.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match args {
        Args::New { name, facility } => {
            let token = random_token()?;
            println!(
                "# give this token to '{name}' (it is shown once; carepulse keeps only its hash):"
            );
            println!("# {token}");
            println!("[[ingest.tokens]]");
            println!("name = \"{name}\"");
            println!("sha256 = \"{}\"", carepulse_ingest::token_hash(&token));
            println!("facility = \"{facility}\"");
            println!("# channels = [\"kiosk\"]        # optional: restrict the channels");
            println!("# devices = [\"kiosk-ed-01\"]   # optional: restrict kiosk devices");
        }
        Args::Hash => {
            let mut token = String::new();
            std::io::stdin().read_to_string(&mut token)?;
            let token = token.trim();
            if token.is_empty() {
                bail!("no token on standard input");
            }
            println!("{}", carepulse_ingest::token_hash(token));
        }
    }
    Ok(ExitCode::SUCCESS)
}
