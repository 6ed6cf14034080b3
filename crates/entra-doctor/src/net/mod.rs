//! Everything `check` does over the network, kept out of the engine: the
//! bounded HTTP client, OpenID discovery and signing keys (cached), the
//! workspace's tenant and the token's membership in the workspace, the
//! Databricks configuration, and the progress display.
//!
//! [`Plan`] is what the command line asks for; [`run`] performs the steps
//! (concurrently) and returns findings for the renderers plus what the
//! engine needs (keys, the workspace's tenant).

pub mod databrickscfg;
pub mod discovery;
pub mod http;
pub mod http_error;
pub mod key_cache;
pub mod pat;
pub mod progress;
pub mod workspace;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use entra_token::findings::names::{DISCOVERY, MEMBERSHIP, SIGNATURE, TENANT};
use entra_token::findings::Check;
use entra_token::{Finding, KeySet, Token};
use url::Url;

use crate::net::databrickscfg::{DatabricksSettings, Env};
use crate::net::discovery::KeysProblem;
use crate::net::http::HttpConfig;
use crate::net::key_cache::{CacheConfig, DocCache, Miss, DEFAULT_REFETCH_INTERVAL, DEFAULT_TTL};
use crate::net::progress::Progress;
use crate::net::workspace::{Cloud, Workspace};

/// What the network steps share: the client (none offline), the cache, the
/// progress display.
pub struct Online {
    pub client: Option<http::Client>,
    pub cache: Arc<DocCache>,
    pub progress: Progress,
}

/// The online settings as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct OnlineOptions {
    pub workspace: Option<String>,
    pub profile: Option<String>,
    pub allow_any_workspace_host: bool,
    pub authority: Option<String>,
    pub client_id: Option<String>,
    pub offline: bool,
    pub cache_dir: Option<PathBuf>,
    pub no_cache: bool,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub static_hosts: Vec<(String, IpAddr)>,
    /// `--tenant`.
    pub tenant: Option<String>,
    /// `--issuer`.
    pub issuer: Option<String>,
    /// Keys were given with `--jwks`: no discovery.
    pub have_key_file: bool,
}

/// What an online check will do, resolved from flags, environment and
/// `~/.databrickscfg`.
#[derive(Debug, Clone)]
pub struct Plan {
    pub offline: bool,
    /// Look the keys up (no `--jwks`).
    pub discover_keys: bool,
    pub authority: Option<Url>,
    /// The cloud named by `azure_environment` / `ARM_ENVIRONMENT`, and where.
    pub env_cloud: Option<(Cloud, String)>,
    pub issuer: Option<String>,
    pub workspace: Option<Workspace>,
    /// The workspace URL is an account host (`accounts.…`): no workspace
    /// tenant or workspace SCIM `Me` there (`auth` asks the account's own).
    pub account_host: bool,
    /// The Databricks account ID (DATABRICKS_ACCOUNT_ID, the profile's
    /// `account_id`): on an account host, only that account's tokens are
    /// accepted, and keys are fetched only for its issuer.
    pub account_id: Option<String>,
    /// A tenant given by configuration (flag, profile, environment), and where.
    pub configured_tenant: Option<(String, String)>,
    /// The application for app-specific keys, and where it came from.
    pub client_id: Option<(String, String)>,
    pub resource_id: Option<String>,
    pub http: HttpConfig,
    pub cache: CacheConfig,
}

impl Plan {
    /// Resolves the plan. `Err` is a usage error.
    pub fn resolve(o: &OnlineOptions, env: &dyn Env) -> Result<Plan, String> {
        let settings: DatabricksSettings = databrickscfg::resolve(o.profile.as_deref(), env)?;
        let workspace = match (&o.workspace, &settings.host) {
            (Some(w), _) => Some(workspace::parse_host(
                w,
                "--workspace",
                o.allow_any_workspace_host,
            )?),
            (None, Some(h)) => Some(workspace::parse_host(
                &h.value,
                &h.source,
                o.allow_any_workspace_host,
            )?),
            (None, None) => {
                if let Some(p) = &o.profile {
                    return Err(format!("profile '{p}' has no 'host'"));
                }
                None
            }
        };
        let authority = o
            .authority
            .as_deref()
            .map(discovery::parse_authority)
            .transpose()?;
        let env_cloud = match &settings.azure_environment {
            Some(s) => Some((
                Cloud::of_environment(&s.value).ok_or_else(|| {
                    format!(
                        "{}: unknown Azure environment '{}' (PUBLIC, USGOVERNMENT or CHINA)",
                        s.source, s.value
                    )
                })?,
                s.source.clone(),
            )),
            None => None,
        };
        let configured_tenant = match (&o.tenant, &settings.azure_tenant_id) {
            (Some(t), _) => Some((t.trim().to_owned(), "--tenant".to_owned())),
            (None, Some(s)) if workspace.is_some() => Some((s.value.clone(), s.source.clone())),
            _ => None,
        };
        let client_id = match (&o.client_id, &settings.azure_client_id) {
            (Some(c), _) => Some((c.trim().to_owned(), "--client-id".to_owned())),
            (None, Some(s)) => Some((s.value.clone(), s.source.clone())),
            _ => None,
        };
        if let Some(i) = &o.issuer {
            if !o.have_key_file {
                let u = Url::parse(i).map_err(|e| format!("--issuer '{i}' is not a URL: {e}"))?;
                http::check_url(&u).map_err(|e| format!("--issuer: {e}"))?;
            }
        }
        let cache_dir = if o.no_cache {
            None
        } else {
            o.cache_dir.clone().or_else(CacheConfig::default_dir)
        };
        Ok(Plan {
            offline: o.offline,
            discover_keys: !o.have_key_file,
            authority,
            env_cloud,
            issuer: o.issuer.clone(),
            workspace,
            account_host: false,
            account_id: settings
                .account_id
                .map(|s| s.value.trim().to_owned())
                .filter(|s| !s.is_empty()),
            configured_tenant,
            client_id,
            resource_id: settings.azure_workspace_resource_id.map(|s| s.value),
            http: HttpConfig {
                connect_timeout: o.connect_timeout,
                timeout: o.timeout,
                static_hosts: (!o.static_hosts.is_empty()).then(|| o.static_hosts.clone()),
                ..HttpConfig::default()
            },
            cache: CacheConfig {
                dir: cache_dir,
                ttl: DEFAULT_TTL,
                refetch_interval: DEFAULT_REFETCH_INTERVAL,
            },
        })
    }

    /// The online context for this plan.
    pub fn online(&self, progress: Progress) -> Result<Online, String> {
        let client = if self.offline {
            None
        } else {
            Some(http::Client::new(self.http.clone())?)
        };
        Ok(Online {
            client,
            cache: Arc::new(DocCache::new(self.cache.clone())),
            progress,
        })
    }
}

/// What the online steps produced.
#[derive(Debug, Default)]
pub struct OnlineOutcome {
    /// Keys from discovery (or the cache).
    pub keys: Option<Arc<KeySet>>,
    /// The tenant the token must come from, and where it was learnt.
    pub tenant: Option<String>,
    /// Findings to add: discovery, workspace, membership.
    pub discovery: Option<Finding>,
    pub workspace: Option<Finding>,
    pub membership: Option<Finding>,
    /// The workspace's answer to SCIM `Me` behind `membership`, when it
    /// answered (the management-token path reads it instead of asking again).
    pub membership_answer: Option<workspace::Membership>,
    /// Replacements for the engine's findings when a step failed
    /// (`signature`, `tenant`).
    pub replace: Vec<Finding>,
    /// Network steps that could not run.
    pub failed_steps: Vec<String>,
    /// A problem with the disk cache, said once.
    pub cache_problem: Option<String>,
}

/// Runs the network steps for a token, concurrently.
pub async fn run(online: &Online, plan: &Plan, token: &Token) -> OnlineOutcome {
    let mut out = OnlineOutcome::default();
    let keys_fut = async {
        if !plan.discover_keys {
            return None;
        }
        let source = discovery::source_for_host(
            token,
            plan.issuer.as_deref(),
            plan.authority.as_ref(),
            plan.env_cloud.clone(),
            plan.workspace.as_ref(),
            plan.account_id.as_deref(),
        );
        let source = match source {
            Ok(s) => s,
            Err(why) => return Some((None, Err(why))),
        };
        let kid = token.header().kid().or_else(|| token.header().x5t());
        let app = app_for_keys(token, plan.client_id.as_ref());
        let r = discovery::fetch_keys(online, &source, kid, app.as_ref()).await;
        Some((Some(source), Ok(r)))
    };
    // A token Databricks issued names no Entra tenant: the workspace's
    // tenant is not looked up for it.
    let dbx_issuer = token
        .claims()
        .iss
        .and_then(|v| v.as_str())
        .and_then(entra_token::kind::databricks_issuer);
    let databricks_issued = dbx_issuer.is_some();
    // An account's token on its own account host: the workspace SCIM `Me`
    // does not exist there (the account's is under /api/2.0/accounts/<id>).
    let on_account_host = match (&dbx_issuer, &plan.workspace) {
        (Some(d), Some(ws)) => {
            d.account_id.is_some() && d.origin.eq_ignore_ascii_case(&ws.display())
        }
        _ => false,
    };
    let tenant_fut = async {
        match &plan.workspace {
            Some(ws) if !databricks_issued && !plan.account_host => {
                Some(workspace::tenant(online, ws).await)
            }
            _ => None,
        }
    };
    let member_fut = async {
        match &plan.workspace {
            Some(ws) if !on_account_host && !plan.account_host => {
                Some(workspace::membership(online, ws, token.compact()).await)
            }
            _ => None,
        }
    };
    let (keys, tenant, member) = tokio::join!(keys_fut, tenant_fut, member_fut);

    match keys {
        None => {}
        Some((_, Err(why))) => {
            out.discovery = Some(
                Finding::skip(DISCOVERY, why.clone())
                    .fix("Give the issuer with --issuer, or the keys with --jwks."),
            );
            out.replace.push(
                Finding::skip(SIGNATURE, format!("not checked: {why}"))
                    .fix("Give the signing keys with --jwks FILE, or the issuer with --issuer; to check the claims alone, say --skip-signature."),
            );
        }
        Some((Some(source), Ok(result))) => {
            let mut finding = discovery::discovery_finding(&source, &result);
            if let Some(note) = ignored_client_note(token, plan.client_id.as_ref()) {
                finding.message.push_str(&note);
            }
            match &result {
                Ok(found) => {
                    out.keys = Some(Arc::clone(&found.keys));
                    if let Some(e) = &found.failed_step {
                        out.failed_steps.push(e.to_string());
                    }
                }
                Err(problem) => {
                    let why = match problem {
                        KeysProblem::Miss {
                            miss: Miss::Net(e), ..
                        } => {
                            out.failed_steps.push(e.to_string());
                            format!("not checked: the signing keys could not be fetched ({e})")
                        }
                        KeysProblem::Miss {
                            miss: Miss::Offline { url },
                            ..
                        } => {
                            format!("not checked: --offline and no cached keys for {url}")
                        }
                        KeysProblem::Verdict(f) => {
                            format!("not checked: no trusted keys ({})", f.message)
                        }
                    };
                    out.replace.push(
                        Finding::skip(SIGNATURE, why)
                            .fix("See the 'discovery' finding (run once without --offline to fill the key cache), or give the signing keys with --jwks FILE; to check the claims alone, say --skip-signature."),
                    );
                }
            }
            out.discovery = Some(finding);
        }
        Some((None, Ok(_))) => {}
    }

    if let (Some(ws), Some(result)) = (&plan.workspace, tenant) {
        let mut finding = workspace::tenant_finding(ws, &result, plan.configured_tenant.as_ref());
        if let Some(r) = &plan.resource_id {
            finding
                .message
                .push_str(&format!("; Azure resource ID {r}"));
        }
        out.workspace = Some(finding);
        match &result {
            Ok(t) => out.tenant = Some(t.tenant.clone()),
            Err(m) => {
                if let Miss::Net(e) = m {
                    out.failed_steps.push(e.to_string());
                }
                match &plan.configured_tenant {
                    Some((t, _)) => out.tenant = Some(t.clone()),
                    None => out.replace.push(
                        Finding::skip(TENANT, format!("not checked: the workspace's tenant could not be found ({})", workspace::miss_text(m)))
                            .fix("Give the workspace's tenant with --tenant, or fix the workspace lookup (see the 'workspace' finding)."),
                    ),
                }
            }
        }
    } else if let Some((t, _)) = &plan.configured_tenant {
        out.tenant = Some(t.clone());
    }

    if let (Some(ws), Some(result)) = (&plan.workspace, member) {
        if let Err(Miss::Net(e)) = &result {
            out.failed_steps.push(e.to_string());
        }
        out.membership = Some(workspace::membership_finding(ws, token, &result));
        out.membership_answer = result.ok();
    } else if on_account_host {
        out.membership = Some(Finding::skip(
            MEMBERSHIP,
            "not asked: an account's token on its account host (the workspace SCIM Me does not exist there)",
        ));
    }
    out.cache_problem = online.cache.disk_problem();
    out
}

/// The application whose own signing keys (`?appid=`) may have signed the
/// token: the token's audience, when it names an application by its ID
/// (`<guid>` or `api://<guid>`).
///
/// Never the client (`appid`/`azp`): an application's own keys (claims
/// mapping) are held by whoever registered it, and are valid only for
/// tokens issued *to* that application. Taking the client from the
/// unverified token would let anyone who registers an application with its
/// own key sign tokens for any audience.
pub(crate) fn token_app(token: &Token) -> Option<(String, String)> {
    let c = token.claims();
    let aud = c.aud.and_then(|v| v.as_str())?;
    let id = aud.strip_prefix("api://").unwrap_or(aud);
    looks_like_guid(id).then(|| (id.to_ascii_lowercase(), "the token's 'aud'".to_owned()))
}

/// The application whose own keys (`?appid=`) may be fetched for `token`:
/// only the application the token is *for* ([`token_app`]). A configured
/// client ID (`--client-id`, `ARM_CLIENT_ID`, a profile's
/// `azure_client_id`) is the SDK's client, not the token's audience: it
/// never selects keys, and is named as the source only when it is that
/// same application.
pub(crate) fn app_for_keys(
    token: &Token,
    configured: Option<&(String, String)>,
) -> Option<(String, String)> {
    let (app, from) = token_app(token)?;
    match configured {
        Some((c, source)) if c.eq_ignore_ascii_case(&app) => {
            Some((app, format!("the token's 'aud', as {source} says")))
        }
        _ => Some((app, from)),
    }
}

/// Says so when a configured client ID is not the token's audience: its
/// own keys were not used (see [`app_for_keys`]).
fn ignored_client_note(token: &Token, configured: Option<&(String, String)>) -> Option<String> {
    let (c, source) = configured?;
    if token_app(token).is_some_and(|(app, _)| app.eq_ignore_ascii_case(c)) {
        return None;
    }
    Some(format!(
        "; the client ID {} from {source} is not the token's audience, so its own keys (?appid=) were not used: an application's keys sign only tokens for that application",
        entra_token::text::clip(c, 60)
    ))
}

/// Whether `s` has the shape of a GUID (8-4-4-4-12 hex digits).
pub(crate) fn looks_like_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Puts the online findings into a report, in reading order: discovery
/// before signature, workspace before tenant, membership last.
pub fn merge(report: &mut entra_token::Report, outcome: &OnlineOutcome) {
    for f in &outcome.replace {
        // A step that could not run never hides a failure the engine found
        // without it (alg none, HMAC: they fail with or without keys).
        if report
            .get(f.check)
            .is_some_and(|x| x.status == entra_token::Status::Fail)
        {
            continue;
        }
        report.set(f.clone());
    }
    let insert_before = |report: &mut entra_token::Report, before: Check, f: &Finding| {
        let at = report
            .findings
            .iter()
            .position(|x| x.check == before)
            .unwrap_or(report.findings.len());
        report.findings.insert(at, f.clone());
    };
    if let Some(f) = &outcome.discovery {
        insert_before(report, SIGNATURE, f);
    }
    if let Some(f) = &outcome.workspace {
        insert_before(report, TENANT, f);
    }
    if let Some(f) = &outcome.membership {
        report.findings.push(f.clone());
    }
}
