//! `token --flow managed-identity` and `token --flow federated`: the flows
//! without a secret. The token is then checked as every other one; a
//! refusal is diagnosed (the managed identity endpoint's answers) or
//! explained, and for federation compared with the app's federated
//! credentials.

use std::io::Write;
use std::time::Duration;

use entra_explain::Context;

use crate::cli::{FlowName, TokenArgs};
use crate::commands::token::{explain_flow, label, refused, success};
use crate::error::{CliError, Outcome};
use crate::flows::federated::{self, External, ExternalSource, FederatedSettings};
use crate::flows::msi::{self, Identity, MsiRequest, Source};
use crate::flows::settings::Settings;
use crate::flows::{Endpoint, FlowError, Http, Target};
use crate::net::databrickscfg::ProcessEnv;
use crate::net::progress::Progress;
use crate::render::text::shown;

pub fn run(
    args: &TokenArgs,
    s: &Settings,
    flow: FlowName,
    target: &Target,
) -> Result<Outcome, CliError> {
    if args.show_config {
        let outcome = super::token::show_config(s, flow, target)?;
        let source = if flow == FlowName::ManagedIdentity {
            msi::detect(&ProcessEnv, args.secretless.imds_endpoint.as_deref())
                .map(|src| src.label())
        } else {
            federated::external_source(
                args.secretless.federated_token_file.as_deref(),
                args.secretless.federated_token_env.as_deref(),
                args.secretless.federated_audience.as_deref(),
                &ProcessEnv,
            )
            .map(|src| src.label())
        };
        let text = source.unwrap_or_else(|e| format!("(none: {e})"));
        writeln!(anstream::stdout(), "{:<14} {}", "endpoint", shown(&text))
            .map_err(CliError::Write)?;
        return Ok(outcome);
    }
    let rt = crate::commands::network_runtime()?;
    let r = match flow {
        FlowName::ManagedIdentity => {
            let source = msi::detect(&ProcessEnv, args.secretless.imds_endpoint.as_deref())
                .map_err(CliError::Usage)?;
            match source {
                Source::WorkloadIdentity { token_file } => {
                    let src = ExternalSource::File {
                        path: token_file.into(),
                        from: "AZURE_FEDERATED_TOKEN_FILE (AKS workload identity)".into(),
                    };
                    federated_flow(args, s, target, src, &rt)
                }
                source => managed_identity(args, s, target, source, &rt),
            }
        }
        _ => {
            let src = federated::external_source(
                args.secretless.federated_token_file.as_deref(),
                args.secretless.federated_token_env.as_deref(),
                args.secretless.federated_audience.as_deref(),
                &ProcessEnv,
            )
            .map_err(CliError::Usage)?;
            federated_flow(args, s, target, src, &rt)
        }
    };
    rt.shutdown_timeout(Duration::from_millis(100));
    r
}

fn managed_identity(
    args: &TokenArgs,
    s: &Settings,
    target: &Target,
    source: Source,
    rt: &tokio::runtime::Runtime,
) -> Result<Outcome, CliError> {
    let mut err = anstream::stderr();
    let named_by_flag = s
        .client_id
        .as_ref()
        .is_some_and(|c| c.source == "--client-id");
    if named_by_flag
        && (args.secretless.object_id.is_some() || args.secretless.msi_res_id.is_some())
    {
        return Err(CliError::Usage(
            "name the managed identity once: --client-id, --object-id or --msi-res-id".into(),
        ));
    }
    let identity = match (
        &s.client_id,
        &args.secretless.object_id,
        &args.secretless.msi_res_id,
    ) {
        (_, Some(o), _) => Identity::ObjectId(o.trim().to_owned()),
        (_, _, Some(r)) => Identity::ResourceId(r.trim().to_owned()),
        (Some(c), _, _) => Identity::ClientId(c.value.clone()),
        _ => Identity::Default,
    };
    if let Some(t) = &s.tenant {
        if let Some(note) = msi::tenant_clash(&t.value, &t.source, None) {
            let _ = writeln!(err, "note: {note}");
        }
    }
    let req = MsiRequest::new(source, identity, target);
    let progress = Progress::stderr(true);
    let step = progress.start(format!(
        "asking {} for a token for {} ({})",
        req.source.label(),
        req.resource,
        req.identity.describe()
    ));
    let result = super::token::tracked(
        step,
        rt.block_on(msi::get_token(&req, args.online.net.timeout)),
    );
    progress.finish();
    match result {
        Ok(t) => {
            let tid = super::token::tenant_of(&t.access_token);
            if let (Some(t), Some(tid)) = (&s.tenant, tid.as_deref()) {
                if let Some(note) = clash_note(&t.value, &t.source, tid) {
                    let _ = writeln!(err, "{note}");
                }
            }
            success(
                args,
                FlowName::ManagedIdentity,
                target,
                tid.as_deref().unwrap_or(""),
                &s.authority.value,
                t,
            )
        }
        Err(FlowError::Failed(m)) => Err(CliError::Usage(m)),
        Err(FlowError::Refused { url, status, body }) => match msi::diagnose(&body, &req) {
            Some(d) => {
                let answer = msi::answer_message(&body).unwrap_or_default();
                write_msi_refusal(&mut err, &url, status, &answer, &d)?;
                if args.json {
                    let v = serde_json::json!({
                        "flow": "managed_identity",
                        "source": req.source.label(),
                        "url": url,
                        "status": status,
                        "answer": answer,
                        "cause": d.cause,
                        "fix": d.fix,
                    });
                    crate::render::json::write(&mut anstream::stdout(), &v)?;
                }
                Ok(Outcome::Failed)
            }
            None => {
                let ctx = context(FlowName::ManagedIdentity, s, None, target);
                refused(args, &ctx, FlowName::ManagedIdentity, &url, status, &body)
            }
        },
    }
}

/// A managed identity endpoint's refusal, diagnosed.
pub(crate) fn write_msi_refusal(
    out: &mut dyn Write,
    url: &str,
    status: Option<u16>,
    answer: &str,
    d: &msi::Diagnosis,
) -> Result<(), CliError> {
    let code = status.map(|s| format!(" ({s})")).unwrap_or_default();
    writeln!(
        out,
        "No token: {} was refused by {}{code}.\n\nanswer  {}\ncause   {}\nfix     {}",
        label(FlowName::ManagedIdentity),
        shown(url),
        shown(&entra_token::text::clip(answer, 500)),
        shown(&d.cause),
        shown(&d.fix)
    )
    .map_err(CliError::Write)
}

fn context(flow: FlowName, s: &Settings, tenant: Option<&str>, target: &Target) -> Context {
    Context {
        flow: Some(explain_flow(flow).to_owned()),
        tenant: tenant.map(str::to_owned),
        client_id: s.client_id.as_ref().map(|c| c.value.clone()),
        resource: Some(target.resource()),
        authority_host: Some(s.authority.value.clone()),
        ..Context::default()
    }
}

fn federated_flow(
    args: &TokenArgs,
    s: &Settings,
    target: &Target,
    source: ExternalSource,
    rt: &tokio::runtime::Runtime,
) -> Result<Outcome, CliError> {
    let mut err = anstream::stderr();
    let tenant = s.tenant.as_ref().map(|t| t.value.clone()).ok_or_else(|| {
        CliError::Usage("a tenant is needed for federation: --tenant, AZURE_TENANT_ID, ARM_TENANT_ID, or azure_tenant_id in the profile".into())
    })?;
    let client_id = s.client_id.as_ref().map(|c| c.value.clone()).ok_or_else(|| {
        CliError::Usage("a client ID is needed for federation (the app with the federated credential): --client-id, AZURE_CLIENT_ID, ARM_CLIENT_ID, or azure_client_id in the profile".into())
    })?;
    // Read the credentials first: a bad file is a usage error, before any request.
    let creds = args
        .secretless
        .federated_credential
        .as_deref()
        .map(federated::read_credentials)
        .transpose()
        .map_err(CliError::Usage)?;
    let http = Http::new(args.online.net.connect_timeout, args.online.net.timeout)
        .map_err(CliError::Usage)?;
    let settings = FederatedSettings {
        endpoint: Endpoint {
            authority: s.authority.value.clone(),
            tenant: tenant.clone(),
        },
        target: target.clone(),
        client_id: client_id.clone(),
        source,
        timeout: args.online.net.timeout,
    };
    let progress = Progress::stderr(true);
    let step = progress.start(format!(
        "exchanging the external token from {} for a token",
        settings.source.label()
    ));
    let (ext, result) = rt.block_on(federated::run(&http, &settings, &ProcessEnv));
    let result = super::token::tracked(step, result);
    progress.finish();
    if let Some(x) = &ext {
        show_external(&mut err, &settings.source, x);
    }
    match result {
        Ok(t) => success(
            args,
            FlowName::Federated,
            target,
            &tenant,
            &s.authority.value,
            t,
        ),
        Err(FlowError::Failed(m)) => Err(CliError::Usage(m)),
        Err(FlowError::Refused { url, status, body }) => {
            let ctx = context(FlowName::Federated, s, Some(&tenant), target);
            let cmp = match (&ext, &creds) {
                (Some(x), Some(c)) => federated::compare(x, c),
                _ => None,
            };
            if args.json {
                return federated_json(&ctx, &body, ext.as_ref(), cmp.as_ref());
            }
            let outcome = refused(args, &ctx, FlowName::Federated, &url, status, &body)?;
            let _ = writeln!(err);
            match (&ext, &creds) {
                (Some(_), Some(_)) => {
                    for line in cmp.iter().flat_map(federated::comparison_lines) {
                        let _ = writeln!(err, "{}", shown(&line));
                    }
                }
                (Some(_), None) => {
                    let _ = writeln!(
                        err,
                        "To see which claim differs: az ad app federated-credential list --id {client_id} > fic.json, then add --federated-credential fic.json."
                    );
                }
                _ => {}
            }
            Ok(outcome)
        }
    }
}

/// `--json` on a federation refusal: the explanation (as `explain --json`),
/// the external token's claims, and the comparison with the nearest
/// federated credential, on standard output.
fn federated_json(
    ctx: &Context,
    body: &str,
    ext: Option<&External>,
    cmp: Option<&federated::Comparison>,
) -> Result<Outcome, CliError> {
    use serde_json::{json, Value};
    let mut v = match entra_explain::parse(body) {
        Ok(report) => {
            let explanation = entra_explain::explain(&report, ctx);
            serde_json::to_value(crate::render::json::ExplainJson {
                report: &report,
                explanation: &explanation,
            })
            .unwrap_or(Value::Null)
        }
        Err(_) => json!({ "answer": entra_token::text::clip(body, 2000) }),
    };
    if let Value::Object(m) = &mut v {
        if let Some(x) = ext {
            m.insert(
                "external_token".into(),
                json!({ "iss": x.iss, "sub": x.sub, "aud": x.aud, "exp": x.exp, "alg": x.alg }),
            );
        }
        if let Some(c) = cmp {
            let diffs: Vec<Value> = c
                .mismatches
                .iter()
                .map(|d| {
                    json!({
                        "claim": d.claim,
                        "presented": d.presented,
                        "expected": d.expected,
                        "position": d.difference.as_ref().map(|t| t.position),
                        "case_only": d.difference.as_ref().is_some_and(|t| t.case_only),
                    })
                })
                .collect();
            m.insert(
                "federated_credential".into(),
                json!({
                    "name": c.credential.name,
                    "matched": c.mismatches.is_empty(),
                    "differences": diffs,
                }),
            );
        }
    }
    crate::render::json::write(&mut anstream::stdout(), &v)?;
    Ok(Outcome::Failed)
}

/// The external token by its claims (never whole).
pub(crate) fn show_external(err: &mut dyn Write, src: &ExternalSource, x: &External) {
    let exp = x
        .exp
        .map(|e| {
            let left = e - crate::flows::now();
            let when = entra_token::timefmt::utc(e);
            if left <= 0 {
                format!("{when} (expired {} s ago)", -left)
            } else {
                format!("{when} (in {left} s)")
            }
        })
        .unwrap_or_else(|| "(none)".into());
    let _ = writeln!(
        err,
        "External token from {}:\n  iss  {}\n  sub  {}\n  aud  {}\n  exp  {}\n  alg  {}\n",
        shown(&src.label()),
        shown(&x.iss),
        shown(&x.sub),
        shown(&x.aud.join(", ")),
        exp,
        shown(&x.alg)
    );
}

/// The note of a tenant the managed identity's token contradicts: its
/// `tid` comes from the endpoint's answer, so it is shown inert.
fn clash_note(tenant: &str, source: &str, tid: &str) -> Option<String> {
    msi::tenant_clash(tenant, source, Some(tid)).map(|n| format!("note: {}", shown(&n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tid_from_the_managed_identity_endpoint_is_shown_without_terminal_escapes() {
        let tid = "\u{1b}[2J\u{1b}[32mforged\u{9b}1m\u{202e}";
        let note = clash_note("11111111-1111-1111-1111-111111111111", "--tenant", tid).unwrap();
        assert!(!note.contains(['\u{1b}', '\u{9b}', '\u{202e}']), "{note:?}");
        assert!(note.contains("forged"), "{note}");
        assert_eq!(clash_note("t", "--tenant", "T"), None);
    }
}
