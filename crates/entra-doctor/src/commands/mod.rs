//! The commands. Each reads its inputs at the edge, calls the engine, and
//! hands the result to a renderer.

mod auth;
mod auth_run;
mod batch;
mod check;
mod completions;
mod dbx_federation;
mod decode;
mod demo;
mod explain;
mod serve;
mod sp_management;
mod token;
mod token_secretless;

use std::time::{SystemTime, UNIX_EPOCH};

use entra_token::limits::{MAX_KEYSET_BYTES, MAX_TOKEN_BYTES};
use entra_token::timefmt::parse_instant;
use entra_token::{Algorithm, KeySet, Policy};

use crate::cli::{Cli, Command, PolicyArgs};
use crate::error::{CliError, Outcome};
use crate::input_source::read_file;

/// Runs the command the arguments name.
pub fn run(cli: Cli) -> Result<Outcome, CliError> {
    match cli.command {
        Command::Decode(a) => decode::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Token(a) => token::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Completions(a) => completions::completions(a),
        Command::Man => completions::man(),
        Command::Auth(a) => auth::run(a),
        Command::Check(a) => {
            if a.batch.is_some() {
                batch::run(a)
            } else {
                check::run(a)
            }
        }
    }
}

/// Bound on what the CLI reads as "a token" (pasted JSON may wrap it).
pub(crate) const MAX_TOKEN_INPUT: usize = MAX_TOKEN_BYTES * 2;

/// The single-threaded runtime a command runs its network steps on.
pub(crate) fn network_runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the network runtime: {e}")))
}

/// "Now", or the instant given with --at.
pub(crate) fn now_or(at: Option<&str>) -> Result<i64, CliError> {
    match at {
        Some(s) => parse_instant(s).map_err(|e| CliError::Usage(format!("--at: {e}"))),
        None => Ok(SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)),
    }
}

/// The policy from the arguments.
pub(crate) fn policy(args: &PolicyArgs) -> Result<Policy, CliError> {
    let mut p = Policy::databricks(now_or(args.at.as_deref())?);
    if !args.audiences.is_empty() {
        p.audiences = args.audiences.clone();
    }
    if let Some(t) = &args.tenant {
        if t.trim().is_empty() {
            return Err(CliError::Usage("--tenant is empty".into()));
        }
        p.tenant = Some(t.trim().to_owned());
    }
    p.issuer = args.issuer.clone();
    if !args.algorithms.is_empty() {
        p.algorithms = args
            .algorithms
            .iter()
            .map(|a| {
                a.parse::<Algorithm>()
                    .map_err(|e| CliError::Usage(format!("--alg: {e}")))
            })
            .collect::<Result<_, _>>()?;
    }
    if !(0..=86_400).contains(&args.skew) {
        return Err(CliError::Usage(format!(
            "--skew {} is out of range (0 to 86400 seconds)",
            args.skew
        )));
    }
    p.skew_secs = args.skew;
    Ok(p)
}

/// The key set given with --jwks, if any.
pub(crate) fn keys(args: &PolicyArgs) -> Result<Option<KeySet>, CliError> {
    let Some(path) = &args.jwks else {
        return Ok(None);
    };
    let bytes = read_file(path, MAX_KEYSET_BYTES, "the key set")?;
    KeySet::parse(&bytes)
        .map(Some)
        .map_err(|source| CliError::Keys {
            path: path.clone(),
            source,
        })
}
