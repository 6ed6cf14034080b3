//! entra-doctor: why does my Entra ID token not work with Azure Databricks?
//!
//! `main` only maps the outcome of [`run`] to an exit status: 0 when no
//! finding failed, 1 when one did, 2 when the check could not run.

mod cli;
mod commands;
mod config;
mod error;
mod flows;
mod input_source;
mod net;
mod render;
mod serve;

use std::process::ExitCode;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match commands::run(args) {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(e) => {
            let mut err = anstream::stderr();
            render::text::error(&mut err, &e);
            ExitCode::from(e.exit_code())
        }
    }
}
