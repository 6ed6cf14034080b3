//! entra-doctor: why does my Entra ID token not work with Azure Databricks?
//!
//! `main` only maps the outcome of [`run`] to an exit status: 0 when no
//! finding failed, 1 when one did, 2 when the check could not run.

mod cli;
mod commands;
mod error;
mod flows;
mod input_source;
mod net;
mod pipeline;
mod render;
mod serve;
mod verified_cache;

use std::process::ExitCode;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;

use clap::Parser;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(a) => a,
        Err(e) => return bad_arguments(e),
    };
    let json = args.json();
    let command = args.command.name();
    match commands::run(args) {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(e) if e.is_closed_pipe() => ExitCode::SUCCESS,
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
            ExitCode::from(e.exit_code())
        }
        Err(e) => {
            let mut err = anstream::stderr();
            render::text::error(&mut err, &e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// clap's answer to arguments it cannot parse: help and version as usual;
/// an error also as JSON on standard output when `--json` was among the
/// arguments, so that scripts never parse text.
fn bad_arguments(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let is_error = !matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if is_error && std::env::args_os().any(|a| a == "--json") {
        let command = std::env::args_os()
            .skip(1)
            .filter_map(|a| a.into_string().ok())
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
        return ExitCode::from(2);
    }
    let _ = e.print();
    // clap's own status: 0 for help and version, 2 for an error.
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}
