//! `explain`: an error from getting a token (or from Databricks), turned
//! into its cause and a fix.

use entra_explain::{self as explain, Context, ExplainError};

use crate::cli::ExplainArgs;
use crate::error::{CliError, Outcome};
use crate::input_source::{read_file, token_text};
use crate::render;

/// Builds the explain context from the arguments (also used by `serve`).
pub fn context(args: &ExplainArgs) -> Result<Context, CliError> {
    let mut ctx = Context {
        flow: args.flow.clone(),
        tenant: args.tenant.clone(),
        client_id: args.client_id.clone(),
        redirect_uri: args.redirect_uri.clone(),
        resource: args.resource.clone(),
        registered_redirect_uris: args.registered.clone(),
        authority_host: args.authority.clone(),
        ..Context::default()
    };
    if let Some(path) = &args.app_manifest {
        let bytes = read_file(path, explain::MAX_MANIFEST_BYTES, "the app manifest")?;
        let text = String::from_utf8(bytes)
            .map_err(|_| CliError::Usage(format!("{} is not UTF-8 text", path.display())))?;
        ctx.registered = explain::registered_from_manifest(&text)
            .map_err(|e| CliError::Usage(format!("--app-manifest {}: {e}", path.display())))?;
    }
    Ok(ctx)
}

pub fn run(args: ExplainArgs) -> Result<Outcome, CliError> {
    let ctx = context(&args)?;
    let text = token_text(args.input.as_deref(), explain::MAX_INPUT_BYTES)
        .map_err(|e| match e {
            CliError::Usage(_) => CliError::Usage(
                "nothing to explain: pass an AADSTS code, an error message or JSON, '-' for standard input, or @FILE".into(),
            ),
            other => other,
        })?;
    if let Some((t, _)) = entra_token::input::extract(&text)
        .ok()
        .filter(|(t, _)| entra_token::Token::parse(t).is_ok())
    {
        return Err(CliError::OtherCommand {
            what: "that is a token, not an error: `check` tells what is wrong with it".into(),
            run: format!(
                "entra-doctor check {}",
                same_input(args.input.as_deref(), t)
            ),
        });
    }
    let report = explain::parse(&text)
        .map_err(|e: ExplainError| CliError::Usage(format!("cannot explain this input: {e}")))?;
    let explanation = explain::explain(&report, &ctx);
    let mut out = anstream::stdout();
    if args.json {
        render::json::write(
            &mut out,
            &render::json::ExplainJson {
                report: &report,
                explanation: &explanation,
            },
        )?;
    } else {
        render::text::explanation(&mut out, &report, &explanation).map_err(CliError::Write)?;
    }
    Ok(Outcome::Ok)
}

/// How to give the same input to another command, without ever printing a
/// whole token: the same `@FILE` or `-`, else the start of the text.
fn same_input(arg: Option<&str>, text: &str) -> String {
    match arg {
        Some(a) if a == "-" || a.starts_with('@') => a.to_owned(),
        None => "-".to_owned(),
        Some(_) => {
            let head: String = text.trim().chars().take(12).collect();
            let quoted = head.replace('\'', "");
            if text.trim().chars().count() > 12 {
                format!("'{quoted}…'")
            } else {
                format!("'{quoted}'")
            }
        }
    }
}

/// For `decode` and `check`: text that is no token but an error `explain`
/// recognises (an AADSTS code, an OAuth error, a redirect with error=).
pub(crate) fn misdirected_error(text: &str, arg: Option<&str>, command: &str) -> Option<CliError> {
    let report = explain::parse(text).ok()?;
    if report.codes.is_empty() && report.error.is_none() && report.http_status.is_none() {
        return None;
    }
    Some(CliError::OtherCommand {
        what: format!(
            "that is an error, not a token: `explain` tells its cause and fix (not `{command}`)"
        ),
        run: format!("entra-doctor explain {}", same_input(arg, text)),
    })
}

/// [`misdirected_error`] when the text does not parse as a token.
pub(crate) fn refuse_misdirected(
    text: &str,
    arg: Option<&str>,
    command: &str,
) -> Result<(), CliError> {
    let is_token = entra_token::input::extract(text)
        .ok()
        .is_some_and(|(t, _)| entra_token::Token::parse(t).is_ok());
    if is_token {
        return Ok(());
    }
    match misdirected_error(text, arg, command) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
