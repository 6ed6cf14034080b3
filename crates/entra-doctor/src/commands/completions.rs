//! `completions` and `man`: generated from the clap definitions in cli.rs,
//! so they never drift from the real arguments.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::{CliError, Outcome};

/// Prints the completion script of the chosen shell.
pub fn completions(args: CompletionsArgs) -> Result<Outcome, CliError> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "entra-doctor", &mut buf);
    write_all(&buf)
}

/// Prints one man page (section 1) with every command as a section, so a
/// single `man -l` shows it all.
pub fn man() -> Result<Outcome, CliError> {
    let cmd = Cli::command();
    let mut buf = Vec::new();
    let page = clap_mangen::Man::new(cmd.clone());
    page.render(&mut buf).map_err(CliError::Write)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        writeln!(buf, ".SH \"ENTRA\\-DOCTOR {}\"", name.to_uppercase()).map_err(CliError::Write)?;
        let sub = sub.clone().bin_name(format!("entra-doctor {name}"));
        let man = clap_mangen::Man::new(sub);
        // A subcommand's own sections, without a second title header.
        man.render_description_section(&mut buf)
            .and_then(|()| man.render_synopsis_section(&mut buf))
            .and_then(|()| man.render_options_section(&mut buf))
            .and_then(|()| man.render_extra_section(&mut buf))
            .map_err(CliError::Write)?;
    }
    write_all(&buf)
}

fn write_all(buf: &[u8]) -> Result<Outcome, CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(buf)
        .and_then(|()| out.flush())
        .map_err(CliError::Write)?;
    Ok(Outcome::Ok)
}
