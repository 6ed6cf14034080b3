//! `explain`: an error from getting a token (or from Databricks), turned
//! into its cause and a fix.

use entra_token::explain::{self, Context, ExplainError};

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
