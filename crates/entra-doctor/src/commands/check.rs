//! `check`: every rule, one token; online unless told otherwise.
//!
//! Offline (`--jwks FILE` and no workspace, or `--offline`) nothing touches
//! the network. Otherwise the signing keys come from the issuer's OpenID
//! discovery (cached), and with a workspace its tenant and the token's
//! membership are checked too. The network steps run concurrently; each
//! failure becomes a finding (`skip` or `fail`) naming the step, the URL and
//! the cause, and the other findings stand.
//!
//! Exit status: 2 when a network step could not run (even if a finding
//! failed: the verdict is incomplete), else 1 when a finding failed, else 0
//! when the signature verified with a trusted key, else 2 (not verified:
//! no keys, or `--skip-signature`).

use std::io::Write;
use std::time::Duration;

use entra_token::{KeySet, Policy, Report, Summary, Token, Verdict};

use crate::cli::{CheckArgs, OnlineArgs, PolicyArgs};
use crate::commands::{keys, policy, MAX_TOKEN_INPUT};
use crate::error::{CliError, Outcome};
use crate::net::databrickscfg::ProcessEnv;
use crate::net::progress::Progress;
use crate::net::{self, OnlineOptions, OnlineOutcome, Plan};
use crate::{pipeline, render};

/// The online options from the arguments (shared by `check`, `token` and
/// `serve`).
pub(crate) fn online_options(
    o: &OnlineArgs,
    tenant: Option<String>,
    issuer: Option<String>,
    have_key_file: bool,
) -> OnlineOptions {
    OnlineOptions {
        workspace: o.workspace.clone(),
        profile: o.profile.clone(),
        allow_any_workspace_host: o.allow_any_workspace_host,
        authority: o.authority.clone(),
        client_id: o.client_id.clone(),
        offline: o.offline,
        cache_dir: o.cache_dir.clone(),
        no_cache: o.no_cache,
        connect_timeout: o.net.connect_timeout,
        timeout: o.net.timeout,
        static_hosts: o.net.test_resolve.clone(),
        tenant,
        issuer,
        have_key_file,
    }
}

/// A token checked with every rule, online where the plan says.
pub(crate) struct Checked {
    pub report: Report,
    pub summary: Option<Summary>,
    pub outcome: OnlineOutcome,
    /// What was checked (`None`: not recognised).
    pub kind: Option<entra_token::Kind>,
    /// The token, when it parsed as one.
    pub token: Option<Token>,
}

impl Checked {
    /// 2 when a network step could not run, else 1 when a finding failed,
    /// else 0 when the signature verified (the report is valid), else 2:
    /// a signature not checked is not a pass.
    pub fn exit(&self) -> Outcome {
        if !self.outcome.failed_steps.is_empty() {
            return Outcome::Incomplete;
        }
        verdict_outcome(self.report.verdict())
    }

    /// Says on standard error when a stale cached key set was used.
    pub fn warn_cache(&self) {
        if let Some(p) = &self.outcome.cache_problem {
            let mut err = anstream::stderr();
            let _ = writeln!(err, "warning: {}", crate::render::text::shown(p));
        }
    }
}

/// The exit status of a verdict: valid 0, invalid 1, incomplete 2.
pub(crate) fn verdict_outcome(v: Verdict) -> Outcome {
    match v {
        Verdict::Valid => Outcome::Ok,
        Verdict::Invalid => Outcome::Failed,
        Verdict::Incomplete => Outcome::Incomplete,
    }
}

/// Checks `text` with `policy`, fetching keys, the workspace's tenant and
/// membership as the arguments say.
pub(crate) fn check_online(
    text: &str,
    policy_args: &PolicyArgs,
    online_args: &OnlineArgs,
    policy: Policy,
) -> Result<Checked, CliError> {
    let file_keys = keys(policy_args)?;
    // With --skip-signature no keys are looked up.
    let options = online_options(
        online_args,
        policy.tenant.clone(),
        policy_args.issuer.clone(),
        file_keys.is_some() || policy.skip_signature,
    );
    let audience_given = !policy_args.audiences.is_empty();
    check_with(text, file_keys.as_ref(), &options, policy, audience_given)
}

/// The check of `check`, `token` and `demo` from plain values: the key set
/// given (if any), the online options and the policy. Without
/// `audience_given`, a workspace's cloud sets the audience expected.
pub(crate) fn check_with(
    text: &str,
    file_keys: Option<&KeySet>,
    options: &OnlineOptions,
    policy: Policy,
    audience_given: bool,
) -> Result<Checked, CliError> {
    let plan = Plan::resolve(options, &ProcessEnv).map_err(CliError::Usage)?;
    check_planned(text, file_keys, &plan, policy, audience_given)
}

/// [`check_with`] with the online plan already made (`auth` makes its own
/// for the host it runs the method against).
pub(crate) fn check_planned(
    text: &str,
    file_keys: Option<&KeySet>,
    plan: &Plan,
    mut policy: Policy,
    audience_given: bool,
) -> Result<Checked, CliError> {
    // The token is read once; the online steps and the rules see the same.
    let parsed = pipeline::parse(text);
    pipeline::apply_plan(&mut policy, plan);
    let outcome = match (parsed.token(), parsed.pat()) {
        (Some(token), _) if plan.discover_keys || plan.workspace.is_some() => {
            online(plan, Asked::Token(token))?
        }
        // A personal access token: only its workspace can check it.
        (None, Some(pat)) if plan.workspace.is_some() => online(plan, Asked::Pat(pat))?,
        _ => OnlineOutcome {
            tenant: plan.configured_tenant.as_ref().map(|(t, _)| t.clone()),
            ..OnlineOutcome::default()
        },
    };
    if let Some(cloud) = plan.workspace.as_ref().and_then(|w| w.cloud) {
        if !audience_given {
            policy.audiences = vec![cloud.databricks_resource().to_owned()];
        }
    }
    let pipeline::Checked {
        report,
        summary,
        kind,
        token,
    } = pipeline::finish(parsed, file_keys, &mut policy, &outcome);
    Ok(Checked {
        report,
        summary,
        outcome,
        kind,
        token,
    })
}

pub fn run(args: CheckArgs) -> Result<Outcome, CliError> {
    let mut policy = policy(&args.policy)?;
    policy.skip_signature = args.skip_signature;
    let text = crate::input_source::pasted_token(args.token.as_deref(), MAX_TOKEN_INPUT)?;
    crate::commands::explain::refuse_misdirected(&text, args.token.as_deref(), "check")?;
    let mut checked = check_online(&text, &args.policy, &args.online, policy)?;
    // A service principal the workspace does not know: the management-token path.
    crate::commands::sp_management::retry(&mut checked, &args.online, |app, t| {
        crate::commands::sp_management::arm_from_settings(
            app,
            t,
            &args.online,
            args.policy.tenant.as_deref(),
            None,
        )
    })?;
    checked.warn_cache();
    let mut out = anstream::stdout();
    let written = if args.json {
        render::json::write(
            &mut out,
            &render::json::CheckJson::new(&checked.report, checked.summary.as_ref())
                .or_kind(checked.kind),
        )
    } else {
        let kind = checked.kind.filter(|_| checked.summary.is_none());
        kind.map_or(Ok(()), |k| render::text::kind_line(&mut out, k))
            .and_then(|()| {
                render::text::report(&mut out, &checked.report, checked.summary.as_ref())
            })
            .map_err(CliError::Write)
    };
    // A reader that stopped early (`| head -1`) does not change the verdict.
    crate::error::closed_pipe_ok(written)?;
    Ok(checked.exit())
}

/// What the online steps are asked about.
enum Asked<'a> {
    /// A token: its keys, the workspace's tenant, its membership.
    Token(&'a Token),
    /// A personal access token: its workspace alone.
    Pat(&'a str),
}

/// Runs the network steps on a small runtime of its own.
fn online(plan: &Plan, asked: Asked<'_>) -> Result<OnlineOutcome, CliError> {
    let progress = Progress::stderr(true);
    let online = plan.online(progress.clone()).map_err(CliError::Usage)?;
    let rt = crate::commands::network_runtime()?;
    let outcome = rt.block_on(async {
        match asked {
            Asked::Token(token) => net::run(&online, plan, token).await,
            Asked::Pat(pat) => net::pat::run(&online, plan, pat).await,
        }
    });
    progress.finish();
    // A DNS lookup stuck in the blocking pool must not hold the exit.
    rt.shutdown_timeout(Duration::from_millis(100));
    Ok(outcome)
}
