//! Command-line arguments. clap lives here and nowhere else; commands get
//! plain values.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Why does my Entra ID token not work with Azure Databricks? entra-doctor
/// decodes, checks and explains Microsoft Entra ID tokens, privately, on
/// your machine.
#[derive(Debug, Parser)]
#[command(name = "entra-doctor", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show a token's header and claims, each explained, with a summary.
    Decode(DecodeArgs),
    /// Check a token against every rule Azure Databricks applies.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The token: the text itself, '-' for standard input, or @FILE. Accepts
    /// 'Bearer …', an Authorization header line, or az's JSON output.
    pub token: Option<String>,
    /// Output JSON (header, payload, summary, explained claims).
    #[arg(long)]
    pub json: bool,
    /// Show relative times as of this instant (RFC 3339 or epoch seconds).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The token: the text itself, '-' for standard input, or @FILE.
    #[arg(required_unless_present = "batch", conflicts_with = "batch")]
    pub token: Option<String>,
    /// Check one token per line from FILE ('-' for standard input) on all
    /// cores; one JSON result per line on standard output, a summary on
    /// standard error.
    #[arg(long, value_name = "FILE")]
    pub batch: Option<String>,
    /// Worker threads for --batch (default: all cores).
    #[arg(long, value_name = "N", requires = "batch")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Output JSON: {"valid", "complete", "summary", "findings", ...}.
    #[arg(long)]
    pub json: bool,
}

/// The rules' settings, shared by every command that checks.
#[derive(Debug, Args, Clone)]
pub struct PolicyArgs {
    /// Signing keys: a JWKS, a single JWK, a PEM certificate or public key.
    #[arg(long, value_name = "FILE")]
    pub jwks: Option<PathBuf>,
    /// Accepted audience (repeatable). Default: the Azure Databricks
    /// resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d.
    #[arg(long = "audience", value_name = "AUD")]
    pub audiences: Vec<String>,
    /// The workspace's tenant ID: the token's tid must be this.
    #[arg(long, value_name = "TENANT_ID")]
    pub tenant: Option<String>,
    /// Require exactly this issuer (for OpenID providers other than Entra).
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// Allowed signature algorithm (repeatable). Default: RS256. Also:
    /// RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA.
    #[arg(long = "alg", value_name = "ALG")]
    pub algorithms: Vec<String>,
    /// Allowed clock skew in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub skew: i64,
    /// Check as of this instant (RFC 3339 or epoch seconds), e.g. for a token
    /// taken from a log.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}
