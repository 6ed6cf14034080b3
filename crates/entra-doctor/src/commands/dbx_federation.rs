//! `token --flow databricks-federation`: read the external token, evaluate
//! it against the federation policy the user gives (`--policy`), exchange it
//! at the workspace or account, then check the Databricks token it returns
//! as `check` does. Refusals are explained as `token` explains Entra's.
//!
//! Standard output gets the Databricks token only; the evaluation, progress
//! and the check go to standard error. Exit status as `token`: 0 token and
//! check passed, 1 refused or the check failed, 2 could not run.

use std::io::Write;
use std::time::Duration;

use entra_explain::Context;
use entra_token::federation_policy::{self as fp, FederationPolicy, Inputs};
use entra_token::Token;

use crate::cli::{FlowName, TokenArgs};
use crate::commands::token::{explain_flow, refused};
use crate::commands::{keys, now_or};
use crate::config::consumers::resolve_with_profile;
use crate::error::{CliError, Outcome};
use crate::flows::databricks::OidcHost;
use crate::flows::dbx_federation::{
    choose_source, exchange, is_account_host, issuer_keys, read_subject_token,
    workspace_account_id, SourceSettings,
};
use crate::flows::{FlowError, Http, TokenResponse};
use crate::input_source::read_file;
use crate::net::databrickscfg::ProcessEnv;
use crate::net::progress::Progress;
use crate::render;

/// The settings the flow needs, resolved.
struct Resolved {
    host: OidcHost,
    /// `account_id` (DATABRICKS_ACCOUNT_ID, the profile): the default audience.
    account_id: Option<String>,
    client_id: Option<(String, String)>,
    sources: SourceSettings,
}

fn resolve(args: &TokenArgs) -> Result<Resolved, CliError> {
    let r = resolve_with_profile(args.online.profile.as_deref(), &ProcessEnv)
        .map_err(CliError::Usage)?;
    let src = |name: &str| {
        r.value(name)
            .map(|v| v.source.to_string())
            .unwrap_or_default()
    };
    let (host_text, host_src) = match (&args.online.workspace, r.get("host")) {
        (Some(w), _) => (w.clone(), "--workspace".to_owned()),
        (None, Some(h)) => (h.to_owned(), src("host")),
        (None, None) => return Err(CliError::Usage(
            "a Databricks host is needed: --workspace URL, DATABRICKS_HOST, or host in the profile"
                .into(),
        )),
    };
    let ws = crate::net::workspace::parse_host(
        &host_text,
        &host_src,
        args.online.allow_any_workspace_host,
    )
    .map_err(CliError::Usage)?;
    let account_id = if args.account_host || is_account_host(&ws.host) {
        let id = r.get("account_id").ok_or_else(|| {
            CliError::Usage(format!(
                "{host_text} is an account host: the account ID is needed (DATABRICKS_ACCOUNT_ID, or account_id in the profile)"
            ))
        })?;
        Some(id.to_owned())
    } else {
        None
    };
    let host = OidcHost {
        base: ws.host.as_str().trim_end_matches('/').to_owned(),
        account_id,
    };
    let client_id = match (&args.online.client_id, r.get("client_id")) {
        (Some(c), _) => Some((c.trim().to_owned(), "--client-id".to_owned())),
        (None, Some(c)) => Some((c.to_owned(), src("client_id"))),
        (None, None) => None,
    };
    let sources = SourceSettings::from_resolved(&r, args.subject_token_file.clone());
    Ok(Resolved {
        host,
        account_id: r.get("account_id").map(str::to_owned),
        client_id,
        sources,
    })
}

fn read_policy(args: &TokenArgs) -> Result<Option<FederationPolicy>, CliError> {
    let Some(path) = &args.federation_policy else {
        return Ok(None);
    };
    let bytes = read_file(path, fp::MAX_POLICY_BYTES, "the federation policy")?;
    let text = String::from_utf8(bytes).map_err(|_| {
        CliError::Usage(format!(
            "--policy {}: the file is not UTF-8 text",
            path.display()
        ))
    })?;
    FederationPolicy::parse(&text)
        .map(Some)
        .map_err(|e| CliError::Usage(format!("--policy {}: {e}", path.display())))
}

/// `--show-config`: what the exchange would use, and where it came from;
/// sends nothing.
fn show_config(args: &TokenArgs, settings: &Resolved) -> Result<Outcome, CliError> {
    let mut out = anstream::stdout();
    let source = choose_source(&settings.sources, &settings.host, &ProcessEnv);
    let rows = [
        ("flow", "Databricks token federation (RFC 8693)".to_owned()),
        ("host", settings.host.describe()),
        ("token URL", settings.host.token_url()),
        (
            "subject token",
            source
                .map(|s| s.describe())
                .unwrap_or_else(|| "(none configured)".into()),
        ),
        (
            "client id",
            settings
                .client_id
                .as_ref()
                .map(|(c, src)| format!("{c}  ({src})"))
                .unwrap_or_else(|| "(none: account policy)".into()),
        ),
        (
            "account id",
            settings
                .account_id
                .clone()
                .unwrap_or_else(|| "(not set)".into()),
        ),
        (
            "policy",
            args.federation_policy
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(none: not evaluated)".into()),
        ),
    ];
    for (k, v) in rows {
        writeln!(out, "{k:<14} {}", crate::render::text::shown(&v)).map_err(CliError::Write)?;
    }
    Ok(Outcome::Ok)
}

pub(crate) fn run(args: &TokenArgs) -> Result<Outcome, CliError> {
    let settings = resolve(args)?;
    if args.show_config {
        return show_config(args, &settings);
    }
    let policy = read_policy(args)?;
    let source = choose_source(&settings.sources, &settings.host, &ProcessEnv).ok_or_else(|| {
        CliError::Usage(
            "no external token: give --subject-token-file FILE, or set DATABRICKS_OIDC_TOKEN (or the variable oidc_token_env names), oidc_token_filepath, or run in GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN)".into(),
        )
    })?;
    let now = now_or(args.policy.at.as_deref())?;
    let file_keys = keys(&args.policy)?;
    let http = Http::new(args.online.net.connect_timeout, args.online.net.timeout)
        .map_err(CliError::Usage)?;
    let rt = crate::commands::network_runtime()?;
    let progress = Progress::stderr(true);
    let mut err = anstream::stderr();

    let step = progress.start(format!(
        "reading the external token from {}",
        source.describe()
    ));
    let subject = match rt.block_on(read_subject_token(&http, &source, &ProcessEnv)) {
        Ok(t) => {
            step.done("done");
            t
        }
        Err(e) => {
            step.failed(&entra_token::text::clip(&e.to_string(), 80));
            progress.finish();
            return Err(CliError::Usage(e.to_string()));
        }
    };
    let external = Token::parse(&subject).map_err(|e| {
        CliError::Usage(format!(
            "the external token from {} is not a JWT: {e}",
            source.describe()
        ))
    })?;

    // The policy, evaluated before the exchange: what differs, named.
    let mut evaluation_failed = false;
    if policy.is_none() {
        // Said, not evaluated: no issuer is named, so no keys are fetched.
        let c = external.payload_value();
        let claim = |k: &str| match c.get(k) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => "(none)".into(),
        };
        let exp = c
            .get("exp")
            .and_then(serde_json::Value::as_i64)
            .map(|e| format!(", expires {}", entra_token::timefmt::relative(e, now)))
            .unwrap_or_default();
        writeln!(
            err,
            "The external token from {}: iss {}, sub {}, aud {}{exp}; its signature is not verified (no --policy names its issuer).\n",
            source.describe(),
            crate::render::text::shown(&claim("iss")),
            crate::render::text::shown(&claim("sub")),
            crate::render::text::shown(&claim("aud")),
        )
        .map_err(CliError::Write)?;
    }
    if let Some(p) = &policy {
        let fetched = match (&file_keys, args.online.offline) {
            (Some(_), _) | (None, true) => None,
            (None, false) => {
                let step = progress.start(format!("signing keys of {}", p.issuer));
                let r = rt.block_on(issuer_keys(&http, p));
                match &r {
                    Ok((_, from)) => step.done(&format!("from {from}")),
                    Err(e) => step.failed(&entra_token::text::clip(e, 80)),
                }
                Some(r)
            }
        };
        let keys: Option<(&entra_token::KeySet, &str)> = match (&file_keys, &fetched) {
            (Some(k), _) => Some((k, "--jwks")),
            (None, Some(Ok((k, from)))) => Some((k, from.as_str())),
            _ => None,
        };
        // A policy without audiences expects the account ID: from the
        // settings, else the workspace's host metadata.
        let mut account = settings.account_id.clone();
        if let (None, true, false, None) = (
            &account,
            p.audiences.is_empty(),
            args.online.offline,
            &settings.host.account_id,
        ) {
            let step =
                progress.start("the workspace's account ID (/.well-known/databricks-config)");
            match rt.block_on(workspace_account_id(&http, &settings.host)) {
                Ok(a) => {
                    step.done(&a);
                    account = Some(a);
                }
                Err(e) => step.failed(&entra_token::text::clip(&e, 80)),
            }
        }
        let inputs = Inputs {
            account_id: account.as_deref(),
            now,
            keys,
        };
        let evaluation = fp::decide(&external, p, &inputs);
        let mut report = fp::describe(&evaluation, p, &external);
        if let Some(Err(why)) = &fetched {
            if let Some(f) = report
                .findings
                .iter_mut()
                .find(|f| f.check == entra_token::Check::Signature)
            {
                if f.status == entra_token::Status::Skip {
                    f.message = format!(
                        "not verified: the keys of {} could not be fetched ({why})",
                        p.issuer
                    );
                }
            }
        }
        {
            writeln!(err, "{}", policy_heading(&source.describe(), p)).map_err(CliError::Write)?;
            render::text::report(&mut err, &report, None).map_err(CliError::Write)?;
            let verdict = if evaluation.claims_accepted() {
                "The policy accepts the token's claims."
            } else {
                "The policy does not accept the token: see the failures above."
            };
            writeln!(err, "{verdict}\n").map_err(CliError::Write)?;
        }
        evaluation_failed = !report.claims_valid();
        if p.is_service_principal() && settings.client_id.is_none() {
            progress.println(&format!(
                "warning: {} is a service principal policy: the exchange must name the service principal's application ID (--client-id or DATABRICKS_CLIENT_ID), and none is set.",
                p.label()
            ));
        }
    }

    let step = progress.start(format!(
        "exchanging the token at {}",
        settings.host.describe()
    ));
    let result: Result<TokenResponse, FlowError> = super::token::tracked(
        step,
        rt.block_on(exchange(
            &http,
            &settings.host,
            &subject,
            settings.client_id.as_ref().map(|(c, _)| c.as_str()),
            "all-apis",
        )),
    );
    progress.finish();
    rt.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(t) => {
            if policy.is_some() && evaluation_failed {
                let _ = writeln!(
                    err,
                    "warning: {} accepted the token although the policy given does not: another federation policy of the account accepted it, or the file is not the policy in force.",
                    settings.host.describe()
                );
            }
            success(args, &settings.host, t)
        }
        Err(FlowError::Failed(m)) => Err(CliError::Usage(m)),
        Err(FlowError::Refused { url, status, body }) => {
            let ctx = Context {
                flow: Some(explain_flow(FlowName::DatabricksFederation).to_owned()),
                client_id: settings.client_id.as_ref().map(|(c, _)| c.clone()),
                ..Context::default()
            };
            let outcome = refused(
                args,
                &ctx,
                FlowName::DatabricksFederation,
                &url,
                status,
                &body,
            )?;
            if policy.is_none() {
                let _ = writeln!(
                    err,
                    "\nTo see which claim differs, give the federation policy: --policy FILE (databricks account federation-policy get <id> > FILE)."
                );
            }
            Ok(outcome)
        }
    }
}

fn success(args: &TokenArgs, host: &OidcHost, t: TokenResponse) -> Result<Outcome, CliError> {
    let mut err = anstream::stderr();
    let _ = writeln!(
        err,
        "Got a Databricks token from {} with token federation, valid until {}.",
        host.describe(),
        entra_token::timefmt::utc(t.expires_on)
    );
    super::token::print_then_check(args, &t)
}

/// The heading of the policy's report: the policy's `name` (or issuer)
/// comes from a file or the account API, so it is shown inert.
fn policy_heading(source: &str, p: &FederationPolicy) -> String {
    format!(
        "The external token from {} against the federation policy {}:",
        crate::render::text::shown(source),
        crate::render::text::shown(p.name.as_deref().unwrap_or(&p.issuer))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_federation_policy_name_and_issuer_are_shown_without_terminal_escapes() {
        let forged = "\u{1b}[2J\u{1b}[32mValid\u{9b}1m\u{202e}x";
        for json in [
            format!(
                r#"{{"name":"{forged}","oidc_policy":{{"issuer":"https://i.example","audiences":["a"],"subject":"s"}}}}"#
            ),
            format!(r#"{{"oidc_policy":{{"issuer":"{forged}","audiences":["a"],"subject":"s"}}}}"#),
        ] {
            let json = json
                .replace('\u{1b}', "\\u001b")
                .replace('\u{9b}', "\\u009b")
                .replace('\u{202e}', "\\u202e");
            let p = FederationPolicy::parse(&json).unwrap();
            let h = policy_heading("the file t.jwt", &p);
            assert!(!h.contains(['\u{1b}', '\u{9b}', '\u{202e}']), "{h:?}");
            assert!(h.contains("Valid"), "{h}");
        }
    }
}
