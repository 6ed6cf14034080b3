//! `check`: every rule, one token.

use entra_token::{check_text, Summary};

use crate::cli::CheckArgs;
use crate::commands::{keys, policy, MAX_TOKEN_INPUT};
use crate::error::{CliError, Outcome};
use crate::input_source::token_text;
use crate::render;

pub fn run(args: CheckArgs) -> Result<Outcome, CliError> {
    let policy = policy(&args.policy)?;
    let keys = keys(&args.policy)?;
    let text = token_text(args.token.as_deref(), MAX_TOKEN_INPUT)?;
    let (token, report) = check_text(&text, keys.as_ref(), &policy);
    let summary = token.as_ref().map(|t| Summary::of(t, policy.now));
    let mut out = anstream::stdout();
    if args.json {
        render::json::write(&mut out, &render::json::CheckJson::new(&report, summary.as_ref()))?;
    } else {
        render::text::report(&mut out, &report, summary.as_ref()).map_err(CliError::Write)?;
    }
    Ok(if report.valid() { Outcome::Ok } else { Outcome::Failed })
}
