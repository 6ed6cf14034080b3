//! entra-doctor as a library, for one caller: the Python package, whose
//! `entra-doctor` console command runs the same CLI in the same wheel.
//!
//! The binary (`main.rs`) declares these modules too and stays the
//! reference: this file only repeats its module list and its `main`, over
//! arguments given instead of the process's. A module added to `main.rs`
//! must be added here as well (the build says so when it is missing).
//!
//! The modules are compiled a second time for this library; its unit tests
//! are the binary's (`[lib] test = false` in Cargo.toml).

// Items that only the binary's `main` uses are not dead code.
#![allow(dead_code)]

mod cli;
mod commands;
mod error;
mod flows;
mod input_source;
mod net;
mod render;
mod serve;

use std::ffi::OsString;

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
    report: &entra_token::explain::ErrorReport,
    explanation: &entra_token::explain::Explanation,
) -> serde_json::Result<serde_json::Value> {
    serde_json::to_value(render::json::ExplainJson {
        report,
        explanation,
    })
}

/// Runs the CLI over `args` (the first is the program name) as `main` does,
/// and returns the exit status. Help, version and argument errors print
/// as clap prints them, with clap's status.
pub fn main_with_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match cli::Cli::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(2);
        }
    };
    match commands::run(args) {
        Ok(outcome) => outcome.code(),
        Err(e) => {
            let mut err = anstream::stderr();
            render::text::error(&mut err, &e);
            e.exit_code()
        }
    }
}
