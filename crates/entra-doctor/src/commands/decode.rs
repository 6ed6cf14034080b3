//! `decode`: header and claims, explained.

use entra_token::decode::Decoded;
use entra_token::{input, Token};

use crate::cli::DecodeArgs;
use crate::commands::{now_or, MAX_TOKEN_INPUT};
use crate::error::{closed_pipe_ok, CliError, Outcome};
use crate::input_source::pasted_token;
use crate::render;

pub fn run(args: DecodeArgs) -> Result<Outcome, CliError> {
    let now = now_or(args.at.as_deref())?;
    let text = pasted_token(args.token.as_deref(), MAX_TOKEN_INPUT)?;
    // A personal access token or an OAuth secret: not a JWT, nothing to
    // decode; say what it is (masked), never "malformed".
    if let Some((k, credential)) = entra_token::rules::non_jwt_in(&text) {
        let report = entra_token::rules::non_jwt_report(k, credential);
        let mut out = anstream::stdout();
        closed_pipe_ok(if args.json {
            render::json::write(
                &mut out,
                &render::json::CheckJson::new(&report, None).or_kind(Some(k.kind())),
            )
        } else {
            render::text::kind_line(&mut out, k.kind())
                .and_then(|()| render::text::report(&mut out, &report, None))
                .map_err(CliError::Write)
        })?;
        return Ok(if report.claims_valid() {
            Outcome::Ok
        } else {
            Outcome::Failed
        });
    }
    let parsed = input::extract(&text).and_then(|(t, wrapping)| {
        note_other_tokens(wrapping);
        Token::parse(t)
    });
    if parsed.is_err() {
        if let Some(e) =
            crate::commands::explain::misdirected_error(&text, args.token.as_deref(), "decode")
        {
            return Err(e);
        }
    }
    let mut out = anstream::stdout();
    match parsed {
        Ok(token) => {
            let decoded = Decoded::of(&token, now);
            closed_pipe_ok(if args.json {
                render::json::write(&mut out, &decoded)
            } else {
                render::text::decoded(&mut out, &decoded).map_err(CliError::Write)
            })?;
            Ok(Outcome::Ok)
        }
        Err(e) => {
            let report = entra_token::rules::malformed_report(&e);
            closed_pipe_ok(if args.json {
                render::json::write(&mut out, &render::json::CheckJson::new(&report, None))
            } else {
                render::text::report(&mut out, &report, None).map_err(CliError::Write)
            })?;
            Ok(Outcome::Failed)
        }
    }
}

/// Says on standard error when the pasted text held more tokens than the
/// one taken (which one, and how many were left).
pub(crate) fn note_other_tokens(wrapping: input::Wrapping) {
    let (from, others) = match wrapping {
        input::Wrapping::CurlHeader { others } => ("the Authorization header", others),
        input::Wrapping::UrlParameter { name, others } => (name, others),
        _ => return,
    };
    if others > 0 {
        let mut err = anstream::stderr();
        let _ = std::io::Write::write_fmt(
            &mut err,
            format_args!(
                "note: the input holds {} token(s); this is the one from {from} ({others} other(s) not used)\n",
                others + 1
            ),
        );
    }
}
