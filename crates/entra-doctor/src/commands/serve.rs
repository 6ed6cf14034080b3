//! `serve`: reads the flags at the edge, then hands a plain [`Config`] to
//! the server in [`crate::serve`].

use std::sync::Arc;
use std::time::Duration;

use crate::cli::ServeArgs;
use crate::commands::check::online_options;
use crate::commands::{keys, policy};
use crate::error::{CliError, Outcome};
use crate::net::databrickscfg::ProcessEnv;
use crate::net::progress::Progress;
use crate::net::Plan;
use crate::serve::{Config, KeySource};

pub fn run(args: ServeArgs) -> Result<Outcome, CliError> {
    let mut policy = policy(&args.policy)?;
    // --at fixes the clock for GET /auth and is the page's default instant.
    let fixed_now = args.policy.at.as_ref().map(|_| policy.now);
    if args.max_concurrent == 0 {
        return Err(CliError::Usage(
            "--max-concurrent must be at least 1".into(),
        ));
    }
    if args.request_timeout == 0 || args.request_timeout > 3600 {
        return Err(CliError::Usage(
            "--request-timeout is out of range (1 to 3600 seconds)".into(),
        ));
    }
    if !args.no_token_cache && args.token_cache_entries == 0 {
        return Err(CliError::Usage(
            "--token-cache-entries must be at least 1 (or use --no-token-cache)".into(),
        ));
    }
    let file_keys = keys(&args.policy)?;
    let o = &args.online;
    let options = online_options(
        o,
        args.policy.tenant.clone(),
        args.policy.issuer.clone(),
        file_keys.is_some(),
    );
    let mut plan = Plan::resolve(&options, &ProcessEnv).map_err(CliError::Usage)?;
    // Only an explicit --workspace or --profile names /auth's workspace (not
    // DATABRICKS_HOST): the page gives its own per check.
    if o.workspace.is_none() && o.profile.is_none() {
        plan.workspace = None;
        plan.configured_tenant = None;
    }
    // /auth checks against the serve plan's workspace (and account), as
    // POST /api/check does: a Databricks token must come from that host.
    crate::pipeline::apply_plan(&mut policy, &plan);
    let online = Arc::new(plan.online(Progress::none()).map_err(CliError::Usage)?);
    let keys = match file_keys {
        Some(set) => {
            let label = args
                .policy
                .jwks
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            KeySource::fixed(Arc::new(set), label)
        }
        None => KeySource::discovery(online.clone(), plan.clone()),
    };
    crate::serve::run(Config {
        bind: args.bind,
        port: args.port,
        open: args.open,
        allow_hosts: args.allow_hosts,
        policy,
        fixed_now,
        keys,
        online: Some((online, plan)),
        allow_any_workspace_host: args.online.allow_any_workspace_host,
        token_cache_entries: if args.no_token_cache {
            None
        } else {
            Some(args.token_cache_entries)
        },
        max_concurrent: args.max_concurrent,
        request_timeout: Duration::from_secs(args.request_timeout),
        page: crate::serve::PageSettings {
            tenant: args.policy.tenant.clone(),
            workspace: args.online.workspace.clone(),
            audience: args.policy.audiences.first().cloned(),
            client_id: args.online.client_id.clone(),
        },
    })
}
