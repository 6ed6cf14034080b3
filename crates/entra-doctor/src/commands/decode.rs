//! `decode`: header and claims, explained.

use entra_token::decode::Decoded;
use entra_token::{input, Token};

use crate::cli::DecodeArgs;
use crate::commands::{now_or, MAX_TOKEN_INPUT};
use crate::error::{CliError, Outcome};
use crate::input_source::token_text;
use crate::render;

pub fn run(args: DecodeArgs) -> Result<Outcome, CliError> {
    let now = now_or(args.at.as_deref())?;
    let text = token_text(args.token.as_deref(), MAX_TOKEN_INPUT)?;
    let parsed = input::extract(&text).and_then(|(t, _)| Token::parse(t));
    let mut out = anstream::stdout();
    match parsed {
        Ok(token) => {
            let decoded = Decoded::of(&token, now);
            if args.json {
                render::json::write(&mut out, &decoded)?;
            } else {
                render::text::decoded(&mut out, &decoded).map_err(CliError::Write)?;
            }
            Ok(Outcome::Ok)
        }
        Err(e) => {
            let report = entra_token::rules::malformed_report(&e);
            if args.json {
                render::json::write(&mut out, &render::json::CheckJson::new(&report, None))?;
            } else {
                render::text::report(&mut out, &report, None).map_err(CliError::Write)?;
            }
            Ok(Outcome::Failed)
        }
    }
}
