//! `token`: get a token with a real flow, then check it; when Entra (or `az`)
//! refuses, explain the answer with what we know (flow, tenant, client,
//! redirect URI, resource), so the fix is concrete.
//!
//! Standard output gets the token only (plain, or `--json` shaped like
//! `az account get-access-token`), so `TOKEN=$(entra-doctor token)` works;
//! progress, the check report and explanations go to standard error
//! (`--json` puts an explanation on standard output as JSON).
//!
//! Exit status: 0 token obtained and the check passed; 1 refused (explained)
//! or the check failed; 2 could not run (settings, network, a check step).

use std::io::Write;
use std::time::Duration;

use entra_explain::{self as explain, Context};
use entra_token::Token;

use crate::cli::{FlowName, TokenArgs};
use crate::commands::check::{check_online, Checked};
use crate::commands::policy;
use crate::config::{self, resolve::Resolved};
use crate::error::{CliError, Outcome};
use crate::flows::assertion::Certificate;
use crate::flows::cache::{CacheKey, TokenCache};
use crate::flows::databricks::{self as dbx, OidcHost};
use crate::flows::loopback::{self, AuthCodeOptions, Browser, Loopback};
use crate::flows::secret::{prompt_password, read_line_stdin, Secret};
use crate::flows::settings::{self, Flags, Settings, Sourced};
use crate::flows::{
    self, azcli, device, ClientCredential, Endpoint, FlowError, Http, Target, TokenResponse,
};
use crate::net::databrickscfg::{Env, ProcessEnv};
use crate::net::looks_like_guid;
use crate::net::progress::{Progress, Step};
use crate::render;
use crate::render::text::shown;

/// The Azure CLI's application id: a public client Entra knows everywhere,
/// the default client of the user flows.
pub const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

fn flags(args: &TokenArgs) -> Flags {
    Flags {
        tenant: args.policy.tenant.clone(),
        client_id: args.online.client_id.clone(),
        certificate: args.certificate.clone(),
        username: args.username.clone(),
        authority: args.online.authority.clone(),
        workspace: args.online.workspace.clone(),
        profile: args.online.profile.clone(),
    }
}

/// The flow to use when none is named, in the order of azure-identity's
/// EnvironmentCredential: a secret, a certificate, a username; then
/// DefaultAzureCredential's workload identity (AZURE_FEDERATED_TOKEN_FILE) and
/// managed identity when an endpoint variable names it (never IMDS unasked);
/// else the Azure CLI.
fn infer_flow(s: &Settings, env: &dyn Env) -> FlowName {
    if s.client_secret.is_some() {
        FlowName::ClientSecret
    } else if s.certificate.is_some() {
        FlowName::ClientCertificate
    } else if s.username.is_some() {
        FlowName::Password
    } else if env.var("AZURE_FEDERATED_TOKEN_FILE").is_some() {
        FlowName::Federated
    } else if env.var("IDENTITY_ENDPOINT").is_some() || env.var("MSI_ENDPOINT").is_some() {
        FlowName::ManagedIdentity
    } else {
        FlowName::AzureCli
    }
}

/// The flow's name as `explain` knows it.
pub(crate) fn explain_flow(f: FlowName) -> &'static str {
    match f {
        FlowName::ClientSecret => "client_secret",
        FlowName::ClientCertificate => "client_certificate",
        FlowName::Password => "password",
        FlowName::AuthCode => "interactive",
        FlowName::DeviceCode => "device_code",
        FlowName::AzureCli => "azure_cli",
        FlowName::DatabricksM2m => "m2m",
        FlowName::DatabricksU2m => "u2m",
        FlowName::DatabricksFederation => "databricks_token_federation",
        FlowName::ManagedIdentity => "managed_identity",
        FlowName::Federated => "federated",
    }
}

pub(crate) fn label(f: FlowName) -> &'static str {
    match f {
        FlowName::ClientSecret => "client credentials (secret)",
        FlowName::ClientCertificate => "client credentials (certificate)",
        FlowName::Password => "username and password",
        FlowName::AuthCode => "authorization code with PKCE",
        FlowName::DeviceCode => "device code",
        FlowName::AzureCli => "the Azure CLI",
        FlowName::DatabricksM2m => "Databricks OAuth M2M (client credentials)",
        FlowName::DatabricksU2m => "Databricks OAuth U2M (authorization code with PKCE)",
        FlowName::DatabricksFederation => "Databricks token federation",
        FlowName::ManagedIdentity => "managed identity",
        FlowName::Federated => "workload identity federation",
    }
}

fn need<'a>(v: &'a Option<Sourced<String>>, what: &str, how: &str) -> Result<&'a str, CliError> {
    v.as_ref()
        .map(|s| s.value.as_str())
        .ok_or_else(|| CliError::Usage(format!("{what} is needed: {how}")))
}

fn credential(s: &Settings, flow: FlowName) -> Result<ClientCredential, CliError> {
    match flow {
        FlowName::ClientCertificate => {
            let path = s.certificate.as_ref().ok_or_else(|| {
                CliError::Usage("a certificate is needed: --certificate FILE or AZURE_CLIENT_CERTIFICATE_PATH (PEM with the certificate and its private key)".into())
            })?;
            Certificate::from_file(&path.value).map(ClientCredential::Certificate).map_err(CliError::Usage)
        }
        _ => s
            .client_secret
            .as_ref()
            .map(|c| ClientCredential::Secret(c.value.clone()))
            .ok_or_else(|| CliError::Usage("a client secret is needed: AZURE_CLIENT_SECRET, ARM_CLIENT_SECRET, or azure_client_secret in the profile".into())),
    }
}

pub(crate) fn show_config(
    s: &Settings,
    flow: FlowName,
    target: &Target,
) -> Result<Outcome, CliError> {
    let mut out = anstream::stdout();
    let w = |out: &mut anstream::AutoStream<std::io::Stdout>, k: &str, v: &str, src: &str| {
        if src.is_empty() {
            writeln!(out, "{k:<14} {}", shown(v))
        } else {
            writeln!(out, "{k:<14} {}  ({})", shown(v), shown(src))
        }
    };
    w(&mut out, "flow", label(flow), "").map_err(CliError::Write)?;
    let what = match target {
        Target::V1 { resource } => format!("resource {resource} (v1.0)"),
        Target::V2 { scope } => format!("scope {scope} (v2.0)"),
    };
    w(&mut out, "asks for", &what, "").map_err(CliError::Write)?;
    for (k, v, src) in s.describe() {
        w(&mut out, k, &v, &src).map_err(CliError::Write)?;
    }
    Ok(Outcome::Ok)
}

pub fn run(args: TokenArgs) -> Result<Outcome, CliError> {
    let s = settings::resolve(&flags(&args), &ProcessEnv).map_err(CliError::Usage)?;
    let flow = args.flow.unwrap_or_else(|| infer_flow(&s, &ProcessEnv));
    if matches!(flow, FlowName::DatabricksM2m | FlowName::DatabricksU2m) {
        return databricks(&args, flow);
    }
    if flow == FlowName::DatabricksFederation {
        return crate::commands::dbx_federation::run(&args);
    }
    let target = Target::new(args.resource.as_deref(), args.scope.as_deref(), args.v2);
    if matches!(flow, FlowName::ManagedIdentity | FlowName::Federated) {
        return super::token_secretless::run(&args, &s, flow, &target);
    }
    if args.show_config {
        return show_config(&s, flow, &target);
    }
    let user_flow = matches!(
        flow,
        FlowName::Password | FlowName::AuthCode | FlowName::DeviceCode
    );
    let tenant = match (&s.tenant, user_flow) {
        (Some(t), _) => t.value.clone(),
        (None, true) => "organizations".to_owned(),
        (None, false) if flow == FlowName::AzureCli => String::new(),
        (None, false) => {
            return Err(CliError::Usage("a tenant is needed for client credentials: --tenant, AZURE_TENANT_ID, ARM_TENANT_ID, or azure_tenant_id in the profile".into()))
        }
    };
    let client_id = match (&s.client_id, user_flow) {
        (Some(c), _) => c.value.clone(),
        (None, true) => AZURE_CLI_CLIENT_ID.to_owned(),
        (None, false) if flow == FlowName::AzureCli => String::new(),
        (None, false) => need(
            &s.client_id,
            "a client id",
            "--client-id, AZURE_CLIENT_ID, ARM_CLIENT_ID, or azure_client_id in the profile",
        )?
        .to_owned(),
    };
    let ep = Endpoint {
        authority: s.authority.value.clone(),
        tenant: tenant.clone(),
    };
    let http = Http::new(args.online.net.connect_timeout, args.online.net.timeout)
        .map_err(CliError::Usage)?;
    let mut ctx = Context {
        flow: Some(explain_flow(flow).to_owned()),
        tenant: Some(tenant.clone()).filter(|t| !t.is_empty()),
        client_id: Some(client_id.clone()).filter(|c| !c.is_empty()),
        resource: Some(target.resource()),
        authority_host: Some(s.authority.value.clone()),
        ..Context::default()
    };
    let rt = crate::commands::network_runtime()?;
    // A spinner per network step on a terminal; nothing when piped.
    let progress = Progress::stderr(true);
    let notify = |m: &str| progress.println(m);
    let host = url::Url::parse(&s.authority.value)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| s.authority.value.clone());
    let asking = |how: &str| progress.start(format!("asking {host} for a token ({how})"));
    // The token cache: the same request within the token's lifetime costs
    // no sign-in (not for azure-cli, which keeps its own).
    let cache = (!args.online.no_cache && flow != FlowName::AzureCli)
        .then(|| {
            args.online
                .cache_dir
                .clone()
                .or_else(TokenCache::default_dir)
        })
        .flatten()
        .map(|d| TokenCache::in_dir(&d));
    let target_text = match &target {
        Target::V1 { resource } => format!("v1 {resource}"),
        Target::V2 { scope } => format!("v2 {scope}"),
    };
    let cert_text = s
        .certificate
        .as_ref()
        .map(|c| c.value.display().to_string());
    let key = CacheKey {
        authority: &s.authority.value,
        tenant: &tenant,
        client_id: &client_id,
        target: &target_text,
        flow: explain_flow(flow),
        user: s.username.as_ref().map(|u| u.value.as_str()),
        credential: match flow {
            FlowName::ClientSecret => s.client_secret.as_ref().map(|c| c.value.expose()),
            FlowName::ClientCertificate => cert_text.as_deref(),
            _ => None,
        },
    };
    if let Some(hit) = cache.as_ref().and_then(|c| c.get(&key, flows::now())) {
        progress.finish();
        let _ = writeln!(
            anstream::stderr(),
            "Using the cached token (valid until {}); --no-cache asks Entra ID again.",
            entra_token::timefmt::utc(hit.expires_on)
        );
        rt.shutdown_timeout(Duration::from_millis(100));
        return success(&args, flow, &target, &tenant, &s.authority.value, hit);
    }
    let result: Result<TokenResponse, FlowError> = match flow {
        FlowName::ClientSecret | FlowName::ClientCertificate => {
            let cred = credential(&s, flow)?;
            let step = asking("client credentials");
            tracked(
                step,
                rt.block_on(flows::client_credentials(
                    &http, &ep, &target, &client_id, &cred,
                )),
            )
        }
        FlowName::Password => {
            let user = need(&s.username, "a username", "--username or AZURE_USERNAME")?;
            let pw = if args.password_stdin {
                read_line_stdin().map_err(CliError::Usage)?
            } else if let Some(p) = &s.password {
                p.value.clone()
            } else {
                prompt_password(&format!("Password for {user}: ")).map_err(CliError::Usage)?
            };
            let cred = if s.client_secret.is_some() || s.certificate.is_some() {
                let f = if s.certificate.is_some() {
                    FlowName::ClientCertificate
                } else {
                    FlowName::ClientSecret
                };
                Some(credential(&s, f)?)
            } else {
                None
            };
            let step = asking("username and password");
            tracked(
                step,
                rt.block_on(flows::password(
                    &http,
                    &ep,
                    &target,
                    &client_id,
                    cred.as_ref(),
                    user,
                    &pw,
                )),
            )
        }
        FlowName::AuthCode => {
            let browser = browser(&args, &http, &s.authority.value, "authority")?;
            let login_hint = s.username.as_ref().map(|u| u.value.clone());
            let (opts, step) = browser_sign_in(&args, &progress, browser, login_hint);
            tracked(
                step,
                rt.block_on(async {
                    let lb = Loopback::bind(args.redirect_port).await?;
                    ctx.redirect_uri = Some(lb.redirect_uri.clone());
                    loopback::auth_code(&http, &ep, &target, &client_id, lb, opts, &notify).await
                }),
            )
        }
        FlowName::DeviceCode => rt.block_on(async {
            let step = progress.start(format!("asking {host} for a device code"));
            let dc = tracked(step, device::start(&http, &ep, &target, &client_id).await)?;
            if dc.message.contains(&dc.user_code) {
                notify(&dc.message);
            } else {
                notify(&format!(
                    "To sign in, open {} and enter the code {}.",
                    dc.verification_uri, dc.user_code
                ));
            }
            let step = progress.start_until(
                format!("waiting for the sign-in with the code {}", dc.user_code),
                std::time::Instant::now() + Duration::from_secs(dc.expires_in.min(3600)),
            );
            tracked(
                step,
                device::poll(&http, &ep, &target, &client_id, &dc).await,
            )
        }),
        FlowName::DatabricksM2m | FlowName::DatabricksU2m => {
            return Err(CliError::Usage(
                "the Databricks flows take their own path".into(),
            ))
        }
        FlowName::AzureCli => {
            let t = s.tenant.as_ref().map(|t| t.value.as_str());
            let step = progress.start("running az account get-access-token");
            tracked(
                step,
                rt.block_on(azcli::get_token("az", &target, t, Duration::from_secs(120))),
            )
        }
        // Run above, before the Entra settings are needed.
        FlowName::DatabricksFederation => {
            return crate::commands::dbx_federation::run(&args);
        }
        // Run by token_secretless above.
        FlowName::ManagedIdentity | FlowName::Federated => Err(FlowError::Failed(
            "internal: this flow is run by token_secretless".into(),
        )),
    };
    // The check that follows has its own display.
    progress.finish();
    rt.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(t) => {
            if let Some(c) = &cache {
                if let Err(e) = c.put(&key, &t, flows::now()) {
                    let _ = writeln!(
                        anstream::stderr(),
                        "warning: the token cache {} cannot be written: {e}",
                        c.path().display()
                    );
                }
            }
            success(&args, flow, &target, &tenant, &s.authority.value, t)
        }
        Err(FlowError::Failed(m)) => Err(CliError::Usage(m)),
        Err(FlowError::Refused { url, status, body }) => {
            refused(&args, &ctx, flow, &url, status, &body)
        }
    }
}

/// The host's Databricks OAuth endpoints, from the one resolver:
/// `--workspace` (else DATABRICKS_HOST, else the profile's host), and
/// `account_id` for an account host.
fn databricks_host(args: &TokenArgs, r: &Resolved) -> Result<(String, OidcHost), CliError> {
    let host = r
        .get("host")
        .map(|h| h.trim_end_matches('/').to_owned())
        .ok_or_else(|| {
            CliError::Usage(
                "a Databricks host is needed: --workspace, DATABRICKS_HOST, or host in the profile"
                    .into(),
            )
        })?;
    let base = args
        .test_host
        .iter()
        .find(|(from, _)| from.eq_ignore_ascii_case(&host))
        .map(|(_, to)| to.clone())
        .unwrap_or_else(|| host.clone());
    // The OAuth secret (or the sign-in) goes to this host: an Azure
    // Databricks host over https, or another with --allow-any-workspace-host
    // (a stand-in named by --test-host is).
    let source = r
        .value("host")
        .map(|v| v.source.to_string())
        .unwrap_or_else(|| "host".into());
    let mapped = base != host;
    crate::net::workspace::parse_host(
        &base,
        &source,
        args.online.allow_any_workspace_host || mapped,
    )
    .map_err(CliError::Usage)?;
    let account_id = if dbx::is_account_host(&host) {
        Some(r.get("account_id").map(str::to_owned).ok_or_else(|| {
            CliError::Usage(format!(
                "{host} is an account host: the account ID is needed (DATABRICKS_ACCOUNT_ID, or account_id in the profile)"
            ))
        })?)
    } else {
        None
    };
    Ok((host, OidcHost { base, account_id }))
}

/// `--flow databricks-m2m` and `--flow databricks-u2m`: a Databricks OAuth
/// token from the workspace (or account) itself; refusals are explained
/// as Entra's are.
fn databricks(args: &TokenArgs, flow: FlowName) -> Result<Outcome, CliError> {
    let flags = config::Flags::default()
        .set("host", args.online.workspace.as_deref(), "--workspace")
        .set("profile", args.online.profile.as_deref(), "--profile")
        .set("client_id", args.online.client_id.as_deref(), "--client-id");
    let r = config::resolve(&flags, &ProcessEnv).map_err(|e| CliError::Usage(e.to_string()))?;
    let (host, oidc) = databricks_host(args, &r)?;
    let m2m = flow == FlowName::DatabricksM2m;
    let client_id = match (r.get("client_id"), m2m) {
        (Some(c), _) => c.to_owned(),
        (None, false) => dbx::CLI_CLIENT_ID.to_owned(),
        (None, true) => {
            return Err(CliError::Usage(
                "a service principal's client ID is needed: --client-id, DATABRICKS_CLIENT_ID, or client_id in the profile".into(),
            ))
        }
    };
    let source = |n: &str| {
        r.value(n)
            .map(|v| v.source.to_string())
            .unwrap_or_else(|| "default".into())
    };
    if args.show_config {
        let mut out = anstream::stdout();
        for (k, v) in [
            ("flow", label(flow).to_owned()),
            ("host", format!("{host}  ({})", source("host"))),
            ("token endpoint", oidc.token_url()),
            (
                "client_id",
                format!("{client_id}  ({})", source("client_id")),
            ),
        ] {
            writeln!(out, "{k:<14} {}", shown(&v)).map_err(CliError::Write)?;
        }
        return Ok(Outcome::Ok);
    }
    let http = Http::new(args.online.net.connect_timeout, args.online.net.timeout)
        .map_err(CliError::Usage)?;
    let mut ctx = Context {
        flow: Some(explain_flow(flow).to_owned()),
        client_id: Some(client_id.clone()),
        authority_host: Some(oidc.oidc()),
        ..Context::default()
    };
    let rt = crate::commands::network_runtime()?;
    let progress = Progress::stderr(true);
    let notify = |m: &str| progress.println(m);
    let result = if m2m {
        let secret = Secret::new(r.get("client_secret").ok_or_else(|| {
            CliError::Usage("the service principal's OAuth secret is needed: DATABRICKS_CLIENT_SECRET, or client_secret in the profile".into())
        })?);
        let step = progress.start(format!("asking {host} for a token (client credentials)"));
        tracked(
            step,
            rt.block_on(dbx::m2m(&http, &oidc, &client_id, &secret, dbx::M2M_SCOPE)),
        )
    } else {
        let browser = browser(args, &http, &oidc.base, "host")?;
        let port = match args.redirect_port {
            0 => dbx::CLI_REDIRECT_PORT,
            p => p,
        };
        let (opts, step) = browser_sign_in(args, &progress, browser, args.username.clone());
        tracked(
            step,
            rt.block_on(async {
                let lb = Loopback::bind(port).await?;
                ctx.redirect_uri = Some(lb.redirect_uri.clone());
                dbx::u2m(&http, &oidc, &client_id, dbx::U2M_SCOPES, lb, opts, &notify).await
            }),
        )
    };
    progress.finish();
    rt.shutdown_timeout(Duration::from_millis(100));
    let t = match result {
        Ok(t) => t,
        Err(FlowError::Failed(m)) => return Err(CliError::Usage(m)),
        Err(FlowError::Refused { url, status, body }) => {
            let mut err = anstream::stderr();
            crate::commands::explain::databricks_refusal(
                &mut err,
                &ctx,
                label(flow),
                &url,
                status,
                &body,
                args.json,
            )?;
            return Ok(Outcome::Failed);
        }
    };
    let mut err = anstream::stderr();
    let _ = writeln!(
        err,
        "Got a Databricks OAuth token from {host} with {}, valid until {}.",
        label(flow),
        entra_token::timefmt::utc(t.expires_on)
    );
    print_then_check(args, &t)
}

/// A Databricks token on standard output (`--json`: shaped as
/// `az account get-access-token` prints it), then the check that follows
/// unless `--no-check`.
pub(crate) fn print_then_check(args: &TokenArgs, t: &TokenResponse) -> Result<Outcome, CliError> {
    print_and_check(args, t, serde_json::Map::new, None)
}

/// The token on standard output (`--json`: shaped as
/// `az account get-access-token` prints it, with the fields of `more`
/// before `tokenType`), then, unless `--no-check`, its check on standard
/// error (looking where it came from: `authority`, if given).
fn print_and_check(
    args: &TokenArgs,
    t: &TokenResponse,
    more: impl FnOnce() -> serde_json::Map<String, serde_json::Value>,
    authority: Option<&str>,
) -> Result<Outcome, CliError> {
    let mut out = anstream::stdout();
    let mut err = anstream::stderr();
    if args.json {
        let mut m = serde_json::Map::new();
        m.insert("accessToken".into(), t.access_token.clone().into());
        m.insert("expiresOn".into(), az_time(t.expires_on).into());
        m.insert("expires_on".into(), t.expires_on.into());
        m.extend(more());
        m.insert("tokenType".into(), t.token_type.clone().into());
        render::json::write(&mut out, &serde_json::Value::Object(m))?;
    } else {
        writeln!(out, "{}", t.access_token).map_err(CliError::Write)?;
    }
    if args.no_check {
        return Ok(Outcome::Ok);
    }
    let _ = writeln!(err);
    check(args, &t.access_token, authority, &mut err)
}

/// The browser of an authorization-code sign-in: an HTTP client standing
/// in for it (`--headless-browser`, only when `url`, the authority or host,
/// is a loopback stand-in), the URL printed (`--no-browser`), or the
/// system's browser.
fn browser(args: &TokenArgs, http: &Http, url: &str, what: &str) -> Result<Browser, CliError> {
    if args.headless_browser {
        let loopback = url::Url::parse(url)
            .ok()
            .is_some_and(|u| matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback()));
        if !loopback {
            return Err(CliError::Usage(format!(
                "--headless-browser works with a loopback {what} only (an emulator)"
            )));
        }
        Ok(Browser::Headless(http.clone()))
    } else if args.no_browser {
        Ok(Browser::Print)
    } else {
        Ok(Browser::Open)
    }
}

/// A sign-in in the browser (auth-code, databricks-u2m): its options and
/// its progress step, both bounded by --sign-in-timeout.
fn browser_sign_in(
    args: &TokenArgs,
    progress: &Progress,
    browser: Browser,
    login_hint: Option<String>,
) -> (AuthCodeOptions, Step) {
    let opts = AuthCodeOptions {
        browser,
        timeout: args.sign_in_timeout,
        login_hint,
        prompt: None,
    };
    let step = progress.start_until(
        "waiting for the sign-in in the browser",
        std::time::Instant::now() + args.sign_in_timeout,
    );
    (opts, step)
}

/// Ends a progress step with the outcome of a flow step.
pub(crate) fn tracked<T>(step: Step, r: Result<T, FlowError>) -> Result<T, FlowError> {
    match &r {
        Ok(_) => step.done("done"),
        Err(FlowError::Refused { status, .. }) => step.failed(&match status {
            Some(code) => format!("refused (HTTP {code})"),
            None => "refused".to_owned(),
        }),
        Err(FlowError::Failed(m)) => step.failed(&entra_token::text::clip(m, 80)),
    }
    r
}

pub(crate) fn refused(
    args: &TokenArgs,
    ctx: &Context,
    flow: FlowName,
    url: &str,
    status: Option<u16>,
    body: &str,
) -> Result<Outcome, CliError> {
    let mut err = anstream::stderr();
    if args.json {
        if let Ok(report) = explain::parse(body) {
            let explanation = explain::explain(&report, ctx);
            render::json::write_explanation(&report, &explanation)?;
            return Ok(Outcome::Failed);
        }
    }
    explain_refusal(&mut err, ctx, flow, url, status, body)?;
    Ok(Outcome::Failed)
}

/// "No token", then the refusal explained with what we know (or, when it
/// cannot be parsed, shown as it is).
pub(crate) fn explain_refusal(
    mut out: &mut dyn Write,
    ctx: &Context,
    flow: FlowName,
    url: &str,
    status: Option<u16>,
    body: &str,
) -> Result<(), CliError> {
    let status = status.map(|s| format!(" ({s})")).unwrap_or_default();
    writeln!(
        out,
        "No token: {} was refused by {}{status}.\n",
        label(flow),
        shown(url)
    )
    .map_err(CliError::Write)?;
    match explain::parse(body) {
        Ok(report) => {
            let explanation = explain::explain(&report, ctx);
            render::text::explanation(&mut out, &report, &explanation).map_err(CliError::Write)?;
        }
        Err(_) => {
            // Whatever the server said, line by line, escaped.
            for line in entra_token::text::clip(body.trim(), 2000).lines() {
                let _ = writeln!(out, "{}", shown(line));
            }
            if flow == FlowName::AzureCli {
                let _ = writeln!(out, "\nfix: run 'az login' (with --tenant <tenant> if the token must come from another tenant), then try again.");
            }
        }
    }
    Ok(())
}

/// `expiresOn` as `az` prints it (here in UTC): `2024-05-01 12:00:00.000000`.
fn az_time(epoch: i64) -> String {
    let t = entra_token::timefmt::utc(epoch);
    format!("{}.000000", t.trim_end_matches('Z').replacen('T', " ", 1))
}

pub(crate) fn tenant_of(token: &str) -> Option<String> {
    Token::parse(token).ok().and_then(|t| {
        t.payload_value()
            .get("tid")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    })
}

pub(crate) fn success(
    args: &TokenArgs,
    flow: FlowName,
    target: &Target,
    tenant: &str,
    authority: &str,
    t: TokenResponse,
) -> Result<Outcome, CliError> {
    let mut err = anstream::stderr();
    let _ = writeln!(
        err,
        "Got a token for {} with {}, valid until {}.",
        target.resource(),
        label(flow),
        entra_token::timefmt::utc(t.expires_on)
    );
    let more = || {
        let tid = t
            .tenant
            .clone()
            .or_else(|| tenant_of(&t.access_token))
            .unwrap_or_else(|| tenant.to_owned());
        let mut m = serde_json::Map::new();
        if let Some(sub) = &t.subscription {
            m.insert("subscription".into(), sub.clone().into());
        }
        m.insert("tenant".into(), tid.into());
        m
    };
    // The check looks where the token came from: the sign-in's authority.
    print_and_check(args, &t, more, Some(authority))
}

/// The checks of `check`, on the token just obtained; the report goes to
/// standard error.
pub(crate) fn check(
    args: &TokenArgs,
    token: &str,
    authority: Option<&str>,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let mut policy = policy(&args.policy)?;
    // --tenant names the tenant to sign in to; only a GUID can be required of `tid`.
    if policy
        .tenant
        .as_deref()
        .is_some_and(|t| !looks_like_guid(t))
    {
        policy.tenant = None;
    }
    let mut online = args.online.clone();
    if let Some(a) = authority {
        online.authority = Some(a.to_owned());
    }
    let mut checked = check_online(token, &args.policy, &online, policy)?;
    // A service principal the workspace does not know: the management-token path.
    crate::commands::sp_management::retry(&mut checked, &args.online, |app, t| {
        crate::commands::sp_management::arm_from_settings(
            app,
            t,
            &args.online,
            args.policy.tenant.as_deref(),
            args.certificate.clone(),
        )
    })?;
    report_checked(&checked, out)
}

/// Writes a checked token's report (and a stale-cache warning) and gives
/// its exit status.
pub(crate) fn report_checked(
    checked: &Checked,
    mut out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    checked.warn_cache();
    render::text::report(&mut out, &checked.report, checked.summary.as_ref())
        .map_err(CliError::Write)?;
    Ok(checked.exit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::secret::Secret;

    #[test]
    fn az_time_format() {
        assert_eq!(az_time(0), "1970-01-01 00:00:00.000000");
        assert!(looks_like_guid("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"));
        assert!(!looks_like_guid("contoso.onmicrosoft.com"));
    }

    #[test]
    fn secrets_never_in_debug() {
        let s = Secret::new("p@ss");
        assert!(!format!("{s:?}").contains("p@ss"));
    }
}
