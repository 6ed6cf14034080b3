//! entra-doctor: why does my Entra ID token not work with Azure Databricks?
//!
//! The command-line tool as a library: [`main_with_args`] is the whole CLI
//! over the arguments it is given, mapping the outcome to an exit status (0
//! valid, 1 a finding failed, 2 the verdict is incomplete or the command
//! could not run). The binary (`main.rs`) calls it with the process's
//! arguments; the Python package's `entra-doctor` command calls it with its
//! own. [`check_json`] and [`explain_json`] give callers the exact objects
//! `check --json` and `explain --json` print.
//!
//! ```
//! // `check` of the bundled example token against its key set, offline, at
//! // an instant inside its lifetime: every check passes, status 0.
//! let status = entra_doctor::main_with_args([
//!     "entra-doctor", "check", "@../../examples/databricks-token.jwt",
//!     "--jwks", "../../examples/jwks.json", "--offline",
//!     "--tenant", "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f", "--at", "1800000000",
//! ]);
//! assert_eq!(status, 0);
//! ```
//!
//! # Where things live
//!
//! The decisions are the engine's (`entra-token`: parsing, verification,
//! the rules; no I/O, no clock, no environment) and the explanations
//! `entra-explain`'s. This crate is the edges that feed them:
//!
//! - `cli` (the arguments, clap) and `commands/` (one module a command:
//!   `check`, `batch`, `decode`, `explain`, `token`, `auth`, `serve`, `demo`);
//! - [`pipeline`]: the one way from a token's text to a report, which every
//!   command, the server and the Python package call; [`verified_cache`]
//!   the one cache of verified tokens (batch, `/auth`, Python);
//! - `config/`: the one settings resolver, with the Databricks SDKs'
//!   semantics (profiles, environment, methods);
//! - `net/`: discovery, the key cache, the workspace's answers, HTTP;
//!   `flows/`: getting tokens (client credentials, browser, device code,
//!   managed identity, federation, the Databricks flows);
//! - `render/`: the findings as text (honouring `NO_COLOR`) and JSON;
//!   `serve/`: the page, `POST /api/check` and `GET /auth`.

mod cli;
mod commands;
mod config;
mod error;
mod flows;
mod input_source;
mod net;
pub mod pipeline;
mod render;
mod serve;
pub mod verified_cache;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

/// The JSON object `check --json` prints for a report, so that callers
/// (the Python package's `Report.to_dict()`) build exactly the same one.
pub fn check_json(
    report: &entra_token::Report,
    summary: Option<&entra_token::Summary>,
) -> serde_json::Result<serde_json::Value> {
    serde_json::to_value(render::json::CheckJson::new(report, summary))
}

/// The JSON object `explain --json` prints.
pub fn explain_json(
    report: &entra_explain::ErrorReport,
    explanation: &entra_explain::Explanation,
) -> serde_json::Result<serde_json::Value> {
    serde_json::to_value(render::json::ExplainJson {
        report,
        explanation,
    })
}

/// Runs the CLI over `args` (the first is the program name) and returns the
/// exit status. Help, version and argument errors print as clap prints
/// them, with clap's status; under `--json` an error is also a JSON object
/// on standard output; a closed standard output is not an error.
pub fn main_with_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let argv: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let args = match cli::Cli::try_parse_from(&argv) {
        Ok(a) => a,
        Err(e) => return bad_arguments(e, &argv),
    };
    let json = args.json();
    let command = args.command.name();
    match commands::run(args) {
        Ok(outcome) => outcome.code(),
        Err(e) if e.is_closed_pipe() => 0,
        Err(e) if json => {
            let body = serde_json::json!({"error": {
                "kind": e.kind(),
                "message": e.to_string(),
                "fix": e.fix(command),
            }});
            let mut out = std::io::stdout().lock();
            let _ = serde_json::to_writer_pretty(&mut out, &body);
            let _ = writeln!(out);
            // People read standard error; scripts read the JSON.
            render::text::error(&mut anstream::stderr(), &e);
            e.exit_code()
        }
        Err(e) => {
            let mut err = anstream::stderr();
            render::text::error(&mut err, &e);
            e.exit_code()
        }
    }
}

/// clap's answer to arguments it cannot parse: help and version as usual;
/// an error also as JSON on standard output when `--json` was among the
/// arguments, so that scripts never parse text.
fn bad_arguments(e: clap::Error, argv: &[OsString]) -> u8 {
    use clap::error::ErrorKind;
    let is_error = !matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if is_error && argv.iter().any(|a| a == "--json") {
        let command = argv
            .iter()
            .skip(1)
            .filter_map(|a| a.to_str().map(str::to_owned))
            .find(|a| !a.starts_with('-'))
            .filter(|a| a.chars().all(|c| c.is_ascii_lowercase()) && a.len() < 16)
            .unwrap_or_else(|| "<command>".into());
        let text = e.to_string();
        let message = text
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ");
        let body = serde_json::json!({"error": {
            "kind": "usage",
            "message": message,
            "fix": format!("see `entra-doctor {command} --help` for the arguments and examples"),
        }});
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer_pretty(&mut out, &body);
        let _ = writeln!(out);
        drop(out);
        let _ = e.print();
        return 2;
    }
    let _ = e.print();
    // clap's own status: 0 for help and version, 2 for an error.
    u8::try_from(e.exit_code()).unwrap_or(2)
}
