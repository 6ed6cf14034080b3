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
    if args.json {
        render::json::write_explanation(&report, &explanation)?;
    } else {
        render::text::explanation(&mut anstream::stdout(), &report, &explanation)
            .map_err(CliError::Write)?;
    }
    Ok(Outcome::Ok)
}

/// A refused request to Databricks' OAuth endpoints (`<host>/oidc/v1/token`,
/// the account's `/oidc/accounts/<id>/v1/token`, the token federation
/// exchange), explained, in the shape `token` uses for Entra's refusals:
/// "No token: <what> was refused by <url> (<status>).", then the
/// explanation on `out`; with `json`, the `explain --json` document on
/// standard output instead. For `token --flow databricks-*` and `auth`.
pub(crate) fn databricks_refusal(
    mut out: &mut dyn std::io::Write,
    ctx: &Context,
    what: &str,
    url: &str,
    status: Option<u16>,
    body: &str,
    json: bool,
) -> Result<(), CliError> {
    let report = explain::parse_databricks_token_answer(status, body, url);
    let explanation = explain::explain(&report, ctx);
    if json {
        return render::json::write_explanation(&report, &explanation);
    }
    let status = status.map(|s| format!(" ({s})")).unwrap_or_default();
    writeln!(
        out,
        "No token: {} was refused by {}{status}.\n",
        render::text::shown(what),
        render::text::shown(url)
    )
    .map_err(CliError::Write)?;
    render::text::explanation(&mut out, &report, &explanation).map_err(CliError::Write)
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
    if report.codes.is_empty()
        && report.error.is_none()
        && report.http_status.is_none()
        && report.chain.is_none()
    {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_databricks_token_refusal_is_explained_like_an_entra_one() {
        let mut out = Vec::new();
        databricks_refusal(
            &mut out,
            &Context::default(),
            "Databricks OAuth M2M",
            "https://adb-1.2.azuredatabricks.net/oidc/v1/token",
            Some(401),
            r#"{"error_description":"Client authentication failed","error":"invalid_client"}"#,
            false,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("No token: Databricks OAuth M2M was refused by https://adb-1.2.azuredatabricks.net/oidc/v1/token (401)."), "{text}");
        assert!(
            text.contains("OAuth client authentication failed"),
            "{text}"
        );
        assert!(text.contains("Generate secret"), "{text}");
    }

    /// The emulator's own answers, through the entry point `token` calls.
    #[test]
    fn the_emulators_databricks_oauth_refusals_are_explained() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        use entra_emulator::{
            Emulator, EmulatorConfig, WorkspaceConfig, DEMO_SP_APP_ID, DEMO_TENANT_ID,
            DEMO_WORKSPACE,
        };
        use explain::DatabricksProblem as P;
        const NO_OAUTH: &str = "adb-4444444444444444.4";
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let cfg = EmulatorConfig::default()
                .workspace(WorkspaceConfig::new(NO_OAUTH, DEMO_TENANT_ID).without_oauth());
            let emu = Emulator::start(cfg).await.unwrap();
            let http = reqwest::Client::builder().no_proxy().build().unwrap();
            let ws = emu.workspace_url(DEMO_WORKSPACE).unwrap();
            let url = format!("{ws}/oidc/v1/token");
            let ask = |url: String, form: Vec<(&'static str, String)>, basic: Option<(&'static str, &'static str)>| {
                let http = http.clone();
                async move {
                    let mut r = http.post(&url).form(&form);
                    if let Some((id, secret)) = basic {
                        r = r.basic_auth(id, Some(secret));
                    }
                    let r = r.send().await.unwrap();
                    let status = r.status().as_u16();
                    let body = r.text().await.unwrap();
                    explain::parse_databricks_token_answer(Some(status), &body, &url)
                }
            };
            let first = |r: &explain::ErrorReport| r.databricks.first().map(|f| f.problem);
            let r = ask(
                url.clone(),
                vec![("grant_type", "client_credentials".into()), ("scope", "all-apis".into())],
                Some((DEMO_SP_APP_ID, "not-the-secret")),
            )
            .await;
            assert_eq!(first(&r), Some(P::OAuthInvalidClient), "{r:?}");
            let r = ask(
                url.clone(),
                vec![("grant_type", "refresh_token".into()), ("refresh_token", "doau-spent".into()), ("client_id", "databricks-cli".into())],
                None,
            )
            .await;
            assert_eq!(first(&r), Some(P::RefreshTokenInvalid), "{r:?}");
            let part = |v: &str| URL_SAFE_NO_PAD.encode(v);
            let jwt = format!(
                "{}.{}.{}",
                part(r#"{"alg":"RS256","kid":"k"}"#),
                part(r#"{"iss":"https://issuer.example","sub":"repo:contoso/etl:ref:refs/heads/main","aud":"x","exp":4102444800}"#),
                part("sig")
            );
            let r = ask(
                url.clone(),
                vec![
                    ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange".into()),
                    ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt".into()),
                    ("subject_token", jwt),
                    ("scope", "all-apis".into()),
                ],
                None,
            )
            .await;
            assert_eq!(first(&r), Some(P::FederationPolicyMismatch), "{r:?}");
            assert_eq!(r.databricks[0].claim.as_deref(), Some("iss"));
            assert_eq!(r.databricks[0].found.as_deref(), Some("https://issuer.example"));
            // A workspace that serves no OAuth.
            let other = emu.workspace_url(NO_OAUTH).unwrap();
            let r = ask(format!("{other}/oidc/v1/token"), vec![("grant_type", "client_credentials".into())], None).await;
            assert_eq!(first(&r), Some(P::OAuthNotSupported), "{r:?}");
        });
    }
}
