//! `auth` without `--dry-run`: runs the method the SDKs chose, gets the
//! token as the SDK would, checks it with the pipeline `check` uses, asks
//! the workspace (SCIM `Me`; the account's `scim/v2/Me` on an account host)
//! and gives one verdict.
//!
//! One dispatch, [`obtain`]: a method's name to the function that gets its
//! token. Methods not wired yet answer "running <method> is not built yet"
//! through the same match, so wiring one is one arm. The methods without a
//! secret run `token`'s flows: `azure-msi` the managed identity
//! ([`msi`], AKS workload identity by [`federated`]), `github-oidc-azure`
//! Entra federation ([`federated`]), `env-oidc`, `file-oidc` and
//! `github-oidc` Databricks token federation ([`dbx_federation`]).
//!
//! A JWT goes through the check pipeline ([`pipeline::parse`], the online
//! steps, [`pipeline::finish`]), as `check --workspace` does. A personal
//! access token is not a JWT: it has no signature to verify, so only the
//! workspace can check it, and its answer is the verdict.

use std::time::Duration;

use entra_explain::{self as explain, Context};
use entra_token::findings::names::{CREDENTIAL, FORMAT, MEMBERSHIP};
use entra_token::{Finding, Policy, Report, Status, Summary, Token, Verdict, VerdictSentence};
use serde_json::{json, Value as Json};
use url::Url;

use crate::cli::{AuthArgs, OnlineArgs};
use crate::commands::check::{self, verdict_outcome};
use crate::commands::sp_management::{self, Arm};
use crate::config::resolve::Resolved;
use crate::error::{CliError, Outcome};
use crate::flows::databricks::{self as dbx, OidcHost};
use crate::flows::dbx_federation::{self, SourceSettings, SubjectSource, DEFAULT_OIDC_TOKEN_ENV};
use crate::flows::federated::{self, ExternalSource, FederatedSettings};
use crate::flows::msi::{self, Identity, MsiRequest, Source};
use crate::flows::secret::Secret;
use crate::flows::{self, azcli, ClientCredential, Endpoint, FlowError, Http, Target};
use crate::net::databrickscfg::Env;
use crate::net::http::{self, Get, Redirects};
use crate::net::key_cache::Miss;
use crate::net::progress::Progress;
use crate::net::workspace::{self, Cloud, Workspace};
use crate::net::{OnlineOptions, Plan};

/// What running the method came to.
pub(crate) struct Ran {
    /// The `credential` finding first, then the check's findings.
    pub report: Report,
    pub summary: Option<Summary>,
    /// "jwt", "pat", or none when no token was obtained.
    pub token_kind: Option<&'static str>,
    /// The engine's name of the credential's kind (`check --json`'s `kind`).
    pub kind: Option<&'static str>,
    pub verdict: VerdictSentence,
    pub outcome: Outcome,
    /// The token endpoint's refusal explained, when it refused.
    pub explanation: Option<(explain::ErrorReport, explain::Explanation)>,
    /// Why the method did not run: it is not built yet.
    pub not_built: Option<String>,
}

/// A token, and how it was obtained.
pub(crate) struct Got {
    pub token: Secret,
    /// "the token from DATABRICKS_TOKEN", "client credentials at …".
    pub how: String,
    pub expires_on: Option<i64>,
    /// A caution about how it was obtained, and its fix (a warning on the
    /// `credential` finding).
    pub note: Option<(String, String)>,
}

/// Why no token.
pub(crate) enum Failure {
    /// Running this method is not built yet (incomplete).
    NotBuilt(String),
    /// A setting is missing or a local step failed (incomplete).
    Failed { message: String, fix: String },
    /// The token endpoint (or `az`) said no: explained, a failed finding.
    /// `presented` names what was sent in the user's terms (the external
    /// token's claims of a federation), when that tells the cause.
    Refused {
        url: String,
        status: Option<u16>,
        body: String,
        ctx: Box<Context>,
        presented: Option<String>,
    },
    /// A managed identity endpoint said no, and its answer is diagnosed.
    Diagnosed {
        url: String,
        status: Option<u16>,
        answer: String,
        cause: String,
        fix: String,
    },
}

/// What a method needs to run.
pub(crate) struct Cx<'a> {
    pub r: &'a Resolved,
    pub args: &'a AuthArgs,
    pub env: &'a dyn Env,
    pub http: Http,
    pub rt: &'a tokio::runtime::Runtime,
    /// The host as configured (`https://…`, no trailing slash).
    pub host: Option<String>,
    /// Where its requests go (the host, or its `--test-host` stand-in).
    pub base: Option<String>,
}

impl Cx<'_> {
    fn account_id(&self) -> Option<&str> {
        self.r.get("account_id")
    }

    fn is_account(&self) -> bool {
        self.host.as_deref().is_some_and(dbx::is_account_host)
    }

    fn oidc_host(&self) -> Result<OidcHost, Failure> {
        let base = self
            .base
            .clone()
            .ok_or_else(|| failed("no host", "Set DATABRICKS_HOST or the profile's host."))?;
        let account_id = if self.is_account() {
            Some(self.account_id().map(str::to_owned).ok_or_else(|| {
                failed(
                    "the host is an account host but account_id is not set",
                    "Set DATABRICKS_ACCOUNT_ID (or account_id in the profile) to the account's ID.",
                )
            })?)
        } else {
            None
        };
        Ok(OidcHost { base, account_id })
    }

    fn source(&self, name: &str) -> String {
        self.r
            .value(name)
            .map(|v| v.source.to_string())
            .unwrap_or_default()
    }
}

fn failed(message: impl Into<String>, fix: impl Into<String>) -> Failure {
    Failure::Failed {
        message: message.into(),
        fix: fix.into(),
    }
}

fn from_flow(e: FlowError, ctx: Context) -> Failure {
    match e {
        FlowError::Failed(m) => failed(m, "See the message; then run `entra-doctor auth` again."),
        FlowError::Refused { url, status, body } => Failure::Refused {
            url,
            status,
            body,
            ctx: Box::new(ctx),
            presented: None,
        },
    }
}

impl Failure {
    /// A refusal with what was presented (see [`Failure::Refused`]); any
    /// other failure as it is.
    fn presented(self, what: Option<String>) -> Self {
        match self {
            Failure::Refused {
                url,
                status,
                body,
                ctx,
                ..
            } => Failure::Refused {
                url,
                status,
                body,
                ctx,
                presented: what,
            },
            other => other,
        }
    }
}

/// The dispatch: gets the token of `method` as the SDK would.
pub(crate) fn obtain(method: &str, cx: &Cx) -> Result<Got, Failure> {
    match method {
        "pat" => pat(cx),
        "oauth-m2m" => oauth_m2m(cx),
        "databricks-cli" => databricks_cli(cx),
        "azure-client-secret" => azure_client_secret(cx),
        "azure-cli" => azure_cli(cx),
        "azure-msi" => azure_msi(cx),
        "github-oidc-azure" => github_oidc_azure(cx),
        "env-oidc" | "file-oidc" | "github-oidc" => databricks_federation(method, cx),
        other => Err(Failure::NotBuilt(format!(
            "running {other} is not built yet: `auth --dry-run` shows the settings it would use"
        ))),
    }
}

fn pat(cx: &Cx) -> Result<Got, Failure> {
    let token =
        cx.r.get("token")
            .ok_or_else(|| failed("no token", "Set DATABRICKS_TOKEN or token in the profile."))?;
    Ok(Got {
        token: Secret::new(token),
        how: format!("the token from {}", cx.source("token")),
        expires_on: None,
        note: None,
    })
}

fn oauth_m2m(cx: &Cx) -> Result<Got, Failure> {
    let host = cx.oidc_host()?;
    let client_id = cx.r.get("client_id").unwrap_or_default();
    let secret = Secret::new(cx.r.get("client_secret").unwrap_or_default());
    let url = host.token_url();
    let ctx = Context {
        flow: Some("m2m".into()),
        client_id: Some(client_id.to_owned()),
        authority_host: Some(host.oidc()),
        ..Context::default()
    };
    let t = cx
        .rt
        .block_on(dbx::m2m(
            &cx.http,
            &host,
            client_id,
            &secret,
            dbx::M2M_SCOPE,
        ))
        .map_err(|e| from_flow(e, ctx))?;
    Ok(Got {
        token: Secret::new(t.access_token),
        how: format!(
            "client credentials for {client_id} ({}) at {url}, scope {}",
            cx.source("client_id"),
            dbx::M2M_SCOPE
        ),
        expires_on: Some(t.expires_on),
        note: None,
    })
}

fn databricks_cli(cx: &Cx) -> Result<Got, Failure> {
    let host = cx.oidc_host()?;
    let configured = cx.host.clone().unwrap_or_default();
    let home = cx.env.home().ok_or_else(|| {
        failed(
            "no home folder: the Databricks CLI's token cache cannot be found",
            "Set HOME.",
        )
    })?;
    let path = dbx::cache_path(&home);
    let profile = cx.r.profile().map(|(n, _)| n.to_owned());
    let keys = dbx::cache_keys(&configured, host.account_id.as_deref(), profile.as_deref());
    let login = match &host.account_id {
        Some(a) => format!("databricks auth login --host {configured} --account-id {a}"),
        None => format!("databricks auth login --host {configured}"),
    };
    let cached = dbx::read_cache(&path, &keys)
        .map_err(|m| failed(m, format!("Sign in with `{login}`.")))?
        .ok_or_else(|| {
            failed(
                format!(
                    "{} holds no login for {} (looked for {})",
                    path.display(),
                    configured,
                    keys.join(", ")
                ),
                format!("Sign in with `{login}`."),
            )
        })?;
    let now = flows::now();
    // The CLI renews a token that expires within its early-refresh window;
    // expired here means within a minute.
    let fresh = cached.expires_on.is_none_or(|e| e > now + 60);
    if fresh {
        return Ok(Got {
            token: Secret::new(cached.access_token),
            how: format!(
                "the Databricks CLI's cached login '{}' in {}{}",
                cached.key,
                path.display(),
                cached
                    .expires_on
                    .map(|e| format!(" (valid until {})", entra_token::timefmt::utc(e)))
                    .unwrap_or_default()
            ),
            expires_on: cached.expires_on,
            note: None,
        });
    }
    let Some(rt) = &cached.refresh_token else {
        return Err(failed(
            format!(
                "the cached login '{}' in {} expired at {} and has no refresh token",
                cached.key,
                path.display(),
                entra_token::timefmt::utc(cached.expires_on.unwrap_or(0))
            ),
            format!("Sign in again with `{login}`."),
        ));
    };
    let ctx = Context {
        flow: Some("refresh_token".into()),
        client_id: Some(dbx::CLI_CLIENT_ID.into()),
        authority_host: Some(host.oidc()),
        ..Context::default()
    };
    let t = cx
        .rt
        .block_on(dbx::refresh(&cx.http, &host, dbx::CLI_CLIENT_ID, rt))
        .map_err(|e| from_flow(e, ctx))?;
    Ok(Got {
        token: Secret::new(t.access_token),
        how: format!(
            "the Databricks CLI's cached login '{}' in {} had expired at {}: renewed with its refresh token at {} (the cache file is not written)",
            cached.key,
            path.display(),
            entra_token::timefmt::utc(cached.expires_on.unwrap_or(0)),
            host.token_url()
        ),
        expires_on: Some(t.expires_on),
        note: None,
    })
}

/// The Entra ID authority: `--authority`, else the cloud of
/// `azure_environment`, else the host's cloud, else the public cloud.
fn authority(cx: &Cx) -> Result<String, Failure> {
    if let Some(a) = &cx.args.authority {
        return Ok(a.trim_end_matches('/').to_owned());
    }
    if let Some(e) = cx.r.get("azure_environment") {
        return Cloud::of_environment(e)
            .map(|c| c.authority().to_owned())
            .ok_or_else(|| {
                failed(
                    format!(
                        "{}: unknown Azure environment '{e}'",
                        cx.source("azure_environment")
                    ),
                    "Use PUBLIC, USGOVERNMENT or CHINA.",
                )
            });
    }
    let cloud = cx
        .host
        .as_deref()
        .and_then(|h| Url::parse(h).ok())
        .and_then(|u| u.host_str().and_then(Cloud::of_host))
        .unwrap_or(Cloud::Public);
    Ok(cloud.authority().to_owned())
}

/// The tenant: `azure_tenant_id`, else the workspace's own (`<host>/aad/auth`
/// redirects to its tenant's sign-in), as the SDKs find it.
fn tenant(cx: &Cx) -> Result<(String, String), Failure> {
    if let Some(t) = cx.r.get("azure_tenant_id") {
        return Ok((t.to_owned(), cx.source("azure_tenant_id")));
    }
    let no = |why: String| {
        failed(
            format!(
                "azure_tenant_id is not set and the workspace's tenant could not be found: {why}"
            ),
            "Set ARM_TENANT_ID (or azure_tenant_id in the profile) to the workspace's tenant ID.",
        )
    };
    let base = cx.base.clone().ok_or_else(|| no("no host".into()))?;
    let url = format!("{base}/aad/auth");
    let (status, _, location) = cx
        .rt
        .block_on(cx.http.get(&url))
        .map_err(|e| no(e.to_string()))?;
    let loc = location
        .filter(|_| (300..400).contains(&status))
        .ok_or_else(|| no(format!("{url} answered {status}, not a redirect")))?;
    let t = Url::parse(&loc)
        .ok()
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.next().map(str::to_owned))
        })
        .filter(|s| !s.is_empty())
        .ok_or_else(|| no(format!("the redirect to {loc} names no tenant")))?;
    Ok((t, format!("the workspace ({url})")))
}

fn azure_client_secret(cx: &Cx) -> Result<Got, Failure> {
    let authority = authority(cx)?;
    let (tenant, tenant_from) = tenant(cx)?;
    let client_id = cx.r.get("azure_client_id").unwrap_or_default().to_owned();
    let cred = ClientCredential::Secret(Secret::new(
        cx.r.get("azure_client_secret").unwrap_or_default(),
    ));
    let target = Target::new(None, None, false);
    let ep = Endpoint {
        authority: authority.clone(),
        tenant: tenant.clone(),
    };
    let ctx = Context {
        flow: Some("client_secret".into()),
        tenant: Some(tenant.clone()),
        client_id: Some(client_id.clone()),
        resource: Some(target.resource()),
        authority_host: Some(authority.clone()),
        ..Context::default()
    };
    let t = cx
        .rt
        .block_on(flows::client_credentials(
            &cx.http, &ep, &target, &client_id, &cred,
        ))
        .map_err(|e| from_flow(e, ctx))?;
    Ok(Got {
        token: Secret::new(t.access_token),
        how: format!(
            "client credentials for {client_id} ({}) at {}, tenant {tenant} ({tenant_from}), resource Azure Databricks",
            cx.source("azure_client_id"),
            ep.token_url(&target)
        ),
        expires_on: Some(t.expires_on),
        note: None,
    })
}

fn azure_cli(cx: &Cx) -> Result<Got, Failure> {
    let target = Target::new(None, None, false);
    let tenant = cx.r.get("azure_tenant_id");
    let ctx = Context {
        flow: Some("azure_cli".into()),
        tenant: tenant.map(str::to_owned),
        resource: Some(target.resource()),
        ..Context::default()
    };
    // The `az` of the environment's PATH, as the method's choice found it.
    let az = which(cx.env, "az").unwrap_or_else(|| "az".into());
    let t = cx
        .rt
        .block_on(azcli::get_token(
            &az,
            &target,
            tenant,
            Duration::from_secs(120),
        ))
        .map_err(|e| from_flow(e, ctx))?;
    Ok(Got {
        token: Secret::new(t.access_token),
        how: format!(
            "az account get-access-token --resource {}{}",
            target.resource(),
            tenant.map(|t| format!(" --tenant {t}")).unwrap_or_default()
        ),
        expires_on: Some(t.expires_on),
        note: None,
    })
}

/// `azure-msi`: the managed identity of the machine, found as azure-identity
/// finds it ([`msi::detect`]: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, AKS's
/// `AZURE_FEDERATED_TOKEN_FILE`, else IMDS at
/// `AZURE_POD_IDENTITY_AUTHORITY_HOST` or its link-local address). It runs
/// only because the method was chosen (`azure_use_msi`, `ARM_USE_MSI`).
fn azure_msi(cx: &Cx) -> Result<Got, Failure> {
    let target = Target::new(None, None, false);
    let source = msi::detect(cx.env, None).map_err(|m| {
        failed(
            m,
            "Fix the managed identity variables of this environment, or choose another method (DATABRICKS_AUTH_TYPE).",
        )
    })?;
    if let Source::WorkloadIdentity { token_file } = source {
        return aks_workload_identity(cx, token_file);
    }
    let client_id = cx.r.get("azure_client_id").map(|c| c.trim().to_owned());
    let named = match &client_id {
        Some(_) => format!(" ({})", cx.source("azure_client_id")),
        None => String::new(),
    };
    let identity = client_id
        .clone()
        .map(Identity::ClientId)
        .unwrap_or(Identity::Default);
    let req = MsiRequest::new(source, identity, &target);
    match cx.rt.block_on(msi::get_token(&req, cx.args.net.timeout)) {
        Ok(t) => {
            // A tenant set for a managed identity is not sent: its tokens
            // come from its own tenant. Said when it is not the token's.
            let tid = crate::commands::token::tenant_of(&t.access_token);
            let note = cx.r.get("azure_tenant_id").and_then(|tenant| {
                let from = cx.source("azure_tenant_id");
                msi::tenant_clash(tenant, &from, tid.as_deref())
                    .map(|n| {
                        (
                            lower_first(&n),
                            format!("Unset {from} for azure-msi, or use a service principal of that tenant (azure-client-secret)."),
                        )
                    })
            });
            Ok(Got {
                how: format!(
                    "{} asked for a token for Azure Databricks ({}) as {}{named}",
                    req.source.label(),
                    req.resource,
                    req.identity.describe()
                ),
                token: Secret::new(t.access_token),
                expires_on: Some(t.expires_on),
                note,
            })
        }
        Err(FlowError::Failed(m)) => Err(failed(
            m,
            "Run it where the managed identity is (an Azure VM, App Service, Functions, AKS), or choose another method (DATABRICKS_AUTH_TYPE).",
        )),
        Err(FlowError::Refused { url, status, body }) => match msi::diagnose(&body, &req) {
            Some(d) => {
                // The fix in the SDKs' settings: the identity is named by
                // azure_client_id (ARM_CLIENT_ID), not a flag of `token`.
                let fix = d
                    .fix
                    .replace(
                        "--client-id <its client ID> (or AZURE_CLIENT_ID, azure_client_id), --object-id, or --msi-res-id <its resource ID>",
                        "set ARM_CLIENT_ID (or azure_client_id in the profile) to its client ID, as the Databricks SDKs name a managed identity",
                    )
                    .replace("--client-id", "ARM_CLIENT_ID (azure_client_id)");
                Err(Failure::Diagnosed {
                    url,
                    status,
                    answer: msi::answer_message(&body).unwrap_or_default(),
                    cause: d.cause,
                    fix,
                })
            }
            None => Err(Failure::Refused {
                url,
                status,
                body,
                ctx: Box::new(Context {
                    flow: Some("managed_identity".into()),
                    client_id,
                    resource: Some(target.resource()),
                    ..Context::default()
                }),
                presented: None,
            }),
        },
    }
}

/// `azure-msi` on AKS with workload identity: the federated flow with the
/// token file, the app `AZURE_CLIENT_ID` (or azure_client_id), the tenant
/// `AZURE_TENANT_ID` (or azure_tenant_id) at `AZURE_AUTHORITY_HOST` (or the
/// host's cloud), as azure-identity's WorkloadIdentityCredential does.
fn aks_workload_identity(cx: &Cx, token_file: String) -> Result<Got, Failure> {
    let pick = |attr: &str, var: &str| {
        cx.r.get(attr)
            .map(|v| (v.to_owned(), cx.source(attr)))
            .or_else(|| {
                cx.env
                    .var(var)
                    .map(|v| (v.trim().to_owned(), var.to_owned()))
            })
    };
    let app = pick("azure_client_id", "AZURE_CLIENT_ID").ok_or_else(|| {
        failed(
            "AKS workload identity (AZURE_FEDERATED_TOKEN_FILE) but no client ID",
            "Set AZURE_CLIENT_ID (the webhook sets it from the service account's azure.workload.identity/client-id annotation) or ARM_CLIENT_ID.",
        )
    })?;
    let tenant = pick("azure_tenant_id", "AZURE_TENANT_ID").ok_or_else(|| {
        failed(
            "AKS workload identity (AZURE_FEDERATED_TOKEN_FILE) but no tenant",
            "Set AZURE_TENANT_ID or ARM_TENANT_ID.",
        )
    })?;
    let authority = match (&cx.args.authority, cx.env.var("AZURE_AUTHORITY_HOST")) {
        (None, Some(a)) => a.trim().trim_end_matches('/').to_owned(),
        _ => authority(cx)?,
    };
    let source = ExternalSource::File {
        path: token_file.into(),
        from: "AZURE_FEDERATED_TOKEN_FILE (AKS workload identity)".into(),
    };
    entra_federation(cx, source, app, tenant, authority)
}

/// `github-oidc-azure`: GitHub Actions' ID token (audience
/// `api://AzureADTokenExchange`) sent as the client assertion of the app
/// `azure_client_id` in the tenant `azure_tenant_id` (else the workspace's).
fn github_oidc_azure(cx: &Cx) -> Result<Got, Failure> {
    let (Some(url), Some(token)) = (
        cx.env.var("ACTIONS_ID_TOKEN_REQUEST_URL"),
        cx.env.var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) else {
        return Err(failed(
            "not in a GitHub Actions job that may ask for an ID token: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not both set",
            "Give the job `permissions: id-token: write` (GitHub then sets both), or choose another method (DATABRICKS_AUTH_TYPE).",
        ));
    };
    let app = (
        cx.r.get("azure_client_id")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        cx.source("azure_client_id"),
    );
    let authority = authority(cx)?;
    let tenant = tenant(cx)?;
    let source = ExternalSource::GitHub {
        request_url: url.trim().to_owned(),
        request_token: Secret::new(token.trim()),
        audience: federated::TOKEN_EXCHANGE_AUDIENCE.to_owned(),
    };
    entra_federation(cx, source, app, tenant, authority)
}

/// Entra workload identity federation: the external token of `source` as
/// the client assertion of `app` (value, where it was set) in `tenant`. A
/// refusal names the external token's claims, which the app's federated
/// credential must match.
fn entra_federation(
    cx: &Cx,
    source: ExternalSource,
    (app, app_from): (String, String),
    (tenant, tenant_from): (String, String),
    authority: String,
) -> Result<Got, Failure> {
    let target = Target::new(None, None, false);
    let settings = FederatedSettings {
        endpoint: Endpoint {
            authority: authority.clone(),
            tenant: tenant.clone(),
        },
        target: target.clone(),
        client_id: app.clone(),
        source,
        timeout: cx.args.net.timeout,
    };
    let url = settings.endpoint.token_url(&target);
    let (ext, r) = cx.rt.block_on(federated::run(&cx.http, &settings, cx.env));
    let from = settings.source.label();
    match r {
        Ok(t) => Ok(Got {
            token: Secret::new(t.access_token),
            how: format!(
                "the external token from {from}{} exchanged at {url} for a token of the app {app} ({app_from}), tenant {tenant} ({tenant_from}), resource Azure Databricks",
                ext.as_ref()
                    .map(|x| format!(" (sub {})", x.sub))
                    .unwrap_or_default()
            ),
            expires_on: Some(t.expires_on),
            note: None,
        }),
        Err(e) => Err(from_flow(
            e,
            Context {
                flow: Some("federated".into()),
                tenant: Some(tenant),
                client_id: Some(app.clone()),
                resource: Some(target.resource()),
                authority_host: Some(authority),
                ..Context::default()
            },
        )
        .presented(ext.map(|x| {
            format!(
                "the external token from {from} has iss '{}', sub '{}', aud '{}': a federated credential of the app {app} must name exactly these (case-sensitive); list them with `az ad app federated-credential list --id {app}` (`entra-doctor token --flow federated --federated-credential FILE` shows which differs)",
                x.iss,
                x.sub,
                x.aud.join(", ")
            )
        }))),
    }
}

/// `env-oidc`, `file-oidc`, `github-oidc`: Databricks token federation. The
/// external token from where the method reads it, exchanged (RFC 8693) at
/// the host's token endpoint under the account's federation policies.
fn databricks_federation(method: &str, cx: &Cx) -> Result<Got, Failure> {
    let host = cx.oidc_host()?;
    let settings = SourceSettings::from_resolved(cx.r, None);
    let src = match method {
        "env-oidc" => SubjectSource::Env {
            var: settings
                .oidc_token_env
                .clone()
                .unwrap_or_else(|| DEFAULT_OIDC_TOKEN_ENV.to_owned()),
        },
        "file-oidc" => {
            let (path, from) = settings.oidc_token_filepath.clone().ok_or_else(|| {
                failed(
                    "oidc_token_filepath is not set",
                    "Set DATABRICKS_OIDC_TOKEN_FILEPATH or oidc_token_filepath in the profile.",
                )
            })?;
            SubjectSource::File {
                path: path.into(),
                from,
            }
        }
        _ => {
            let (Some(url), Some(token)) = (
                cx.env.var("ACTIONS_ID_TOKEN_REQUEST_URL"),
                cx.env.var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
            ) else {
                return Err(failed(
                    "not in a GitHub Actions job that may ask for an ID token: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not both set",
                    "Give the job `permissions: id-token: write` (GitHub then sets both), or choose another method (DATABRICKS_AUTH_TYPE).",
                ));
            };
            // The default audience is the configured host's, not its
            // stand-in's: the policy names the real one.
            let configured = OidcHost {
                base: cx.host.clone().unwrap_or_else(|| host.base.clone()),
                account_id: host.account_id.clone(),
            };
            let audience = settings
                .token_audience
                .clone()
                .unwrap_or_else(|| configured.default_audience());
            SubjectSource::GitHubActions {
                request_url: url.trim().to_owned(),
                request_token: Secret::new(token.trim()),
                audience,
            }
        }
    };
    let client_id = cx.r.get("client_id").map(str::to_owned);
    let url = host.token_url();
    let subject = cx
        .rt
        .block_on(dbx_federation::read_subject_token(&cx.http, &src, cx.env))
        .map_err(|e| match e {
            FlowError::Failed(m) | FlowError::Refused { body: m, .. } => failed(
                format!("{}: {m}", src.describe()),
                "See the message; then run `entra-doctor auth` again.",
            ),
        })?;
    let r = cx.rt.block_on(dbx_federation::exchange(
        &cx.http,
        &host,
        &subject,
        client_id.as_deref(),
        "all-apis",
    ));
    let sp = client_id
        .as_deref()
        .map(|c| {
            format!(
                " for the service principal {c} ({})",
                cx.source("client_id")
            )
        })
        .unwrap_or_default();
    match r {
        Ok(t) => Ok(Got {
            token: Secret::new(t.access_token),
            how: format!(
                "the external token from {} exchanged at {url}{sp} (RFC 8693 token exchange, scope all-apis)",
                src.describe()
            ),
            expires_on: Some(t.expires_on),
            note: None,
        }),
        Err(e) => Err(from_flow(
            e,
            Context {
                flow: Some("databricks_token_federation".into()),
                client_id: client_id.clone(),
                authority_host: Some(host.oidc()),
                ..Context::default()
            },
        )
        .presented(federated::decode_external(&subject).ok().map(|x| {
            format!(
                "the external token from {} has iss '{}', sub '{}', aud '{}' (its signature not verified here): a federation policy of {} must accept exactly these; `entra-doctor token --flow databricks-federation --policy FILE` shows which claim differs",
                src.describe(),
                x.iss,
                x.sub,
                x.aud.join(", "),
                host.describe()
            )
        }))),
    }
}

/// `text` with its first letter in lower case (to follow "but").
fn lower_first(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// The first `name` on the environment's PATH, as a path.
fn which(env: &dyn Env, name: &str) -> Option<String> {
    let path = env.var("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
}

/// The host's stand-in from `--test-host`, if any.
pub(crate) fn mapped(args: &AuthArgs, host: &str) -> Option<String> {
    let h = host.trim_end_matches('/');
    args.test_host
        .iter()
        .find(|(from, _)| from.eq_ignore_ascii_case(h))
        .map(|(_, to)| to.clone())
}

fn now() -> i64 {
    flows::now()
}

/// Runs `method` and checks its token.
pub(crate) fn run(
    method: &'static str,
    r: &Resolved,
    args: &AuthArgs,
    env: &dyn Env,
) -> Result<Ran, CliError> {
    let host = r.get("host").map(|h| h.trim_end_matches('/').to_owned());
    let base = host
        .as_deref()
        .map(|h| mapped(args, h).unwrap_or_else(|| h.to_owned()));
    let rt = crate::commands::network_runtime()?;
    // Secrets and tokens go to the host only when `check --workspace` would
    // send a token there: an Azure Databricks host over https, or another
    // host with --allow-any-workspace-host (a stand-in of --test-host is).
    if let (Some(h), Some(b)) = (&host, &base) {
        let source = r
            .value("host")
            .map(|v| v.source.to_string())
            .unwrap_or_else(|| "host".into());
        let allow = args.allow_any_workspace_host || b != h;
        workspace::parse_host(if b != h { b } else { h }, &source, allow)
            .map_err(CliError::Usage)?;
    }
    let http = Http::new(args.net.connect_timeout, args.net.timeout).map_err(CliError::Usage)?;
    let cx = Cx {
        r,
        args,
        env,
        http,
        rt: &rt,
        host,
        base,
    };
    let ran = run_with(method, &cx);
    drop(cx);
    // A DNS lookup stuck in the blocking pool must not hold the exit.
    rt.shutdown_timeout(Duration::from_millis(100));
    ran
}

fn run_with(method: &'static str, cx: &Cx) -> Result<Ran, CliError> {
    let got = match obtain(method, cx) {
        Ok(g) => g,
        Err(f) => return Ok(no_token(method, f)),
    };
    let got_it = format!(
        "{method}: {}{}",
        got.how,
        got.expires_on
            .map(|e| format!("; it expires at {}", entra_token::timefmt::utc(e)))
            .unwrap_or_default()
    );
    let credential = match (unused_settings(cx.r, method), got.note) {
        (None, None) => Finding::pass(CREDENTIAL, got_it),
        (Some((why, fix)), _) | (None, Some((why, fix))) => {
            Finding::warn(CREDENTIAL, format!("{got_it}; but {why}")).fix(fix)
        }
    };
    check_token(cx, method, credential, got.token.expose())
}

/// Another method's settings, all set but not used by `method`: why the
/// SDKs did not use them, and how to make them.
fn unused_settings(r: &Resolved, method: &str) -> Option<(String, String)> {
    const GROUPS: &[(&str, &[&str])] = &[
        ("pat", &["token"]),
        ("oauth-m2m", &["client_id", "client_secret"]),
        (
            "azure-client-secret",
            &["azure_client_id", "azure_client_secret"],
        ),
    ];
    let (other, attrs) = GROUPS
        .iter()
        .find(|(m, attrs)| *m != method && attrs.iter().all(|a| r.get(a).is_some()))?;
    let named: Vec<String> = attrs
        .iter()
        .map(|a| {
            r.value(a)
                .map(|v| v.source.to_string())
                .unwrap_or_else(|| (*a).to_owned())
        })
        .collect();
    let named = named.join(" and ");
    Some(match r.value("auth_type") {
        Some(v) => (
            format!(
                "{named} are set and not used: auth_type is {method} ({}), and an explicit auth_type is the only method the SDKs try",
                v.source
            ),
            format!(
                "To use {named}, unset {} or set it to {other}.",
                v.source
            ),
        ),
        None => (
            format!(
                "{named} are set and not used: {method} comes before {other} in the SDKs' order and applies"
            ),
            format!("To use {named}, set auth_type to {other} (DATABRICKS_AUTH_TYPE={other})."),
        ),
    })
}

fn no_token(method: &str, f: Failure) -> Ran {
    let not_built = match &f {
        Failure::NotBuilt(m) => Some(m.clone()),
        _ => None,
    };
    let (finding, outcome, explanation) = match f {
        Failure::NotBuilt(m) => (Finding::skip(CREDENTIAL, m), Outcome::Incomplete, None),
        Failure::Failed { message, fix } => (
            Finding::skip(CREDENTIAL, format!("{method} could not run: {message}")).fix(fix),
            Outcome::Incomplete,
            None,
        ),
        Failure::Diagnosed {
            url,
            status,
            answer,
            cause,
            fix,
        } => {
            let said = status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
            (
                Finding::fail(
                    CREDENTIAL,
                    format!("{method}: {url} refused{said}: {cause}"),
                )
                .actual(entra_token::text::clip(answer.trim(), 300))
                .fix(fix),
                Outcome::Failed,
                None,
            )
        }
        Failure::Refused {
            url,
            status,
            body,
            ctx,
            presented,
        } => {
            let said = status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
            let presented = presented.map(|p| format!("; {p}")).unwrap_or_default();
            // Databricks' own token endpoints answer in their words; Entra
            // and `az` in theirs.
            let parsed = if matches!(
                method,
                "oauth-m2m" | "databricks-cli" | "env-oidc" | "file-oidc" | "github-oidc"
            ) {
                Ok(explain::parse_databricks_token_answer(status, &body, &url))
            } else {
                explain::parse(&body)
            };
            match parsed {
                Ok(report) => {
                    let e = explain::explain(&report, &ctx);
                    let fix = e
                        .advice
                        .first()
                        .and_then(|a| a.steps.first().cloned())
                        .unwrap_or_else(|| "See the explanation above.".into());
                    (
                        Finding::fail(
                            CREDENTIAL,
                            format!("{method}: {url} refused{said}: {}{presented}", e.headline),
                        )
                        .actual(entra_token::text::clip(body.trim(), 300))
                        .fix(fix),
                        Outcome::Failed,
                        Some((report, e)),
                    )
                }
                Err(_) => (
                    Finding::fail(
                        CREDENTIAL,
                        format!(
                            "{method}: {url} refused{said}: {}{presented}",
                            entra_token::text::clip(body.trim(), 300)
                        ),
                    )
                    .fix(if method == "azure-cli" {
                        "Run 'az login' (with --tenant <tenant> for another tenant), then try again."
                    } else {
                        "See the answer; then run `entra-doctor auth` again."
                    }),
                    Outcome::Failed,
                    None,
                ),
            }
        }
    };
    let report = Report {
        findings: vec![finding],
    };
    let verdict = match outcome {
        Outcome::Failed => report.verdict_sentence(),
        _ => VerdictSentence {
            verdict: Verdict::Incomplete,
            lead: "Not verified",
            rest: format!(": {method} gave no token to check."),
        },
    };
    Ran {
        report,
        summary: None,
        token_kind: None,
        kind: None,
        verdict,
        outcome,
        explanation,
        not_built,
    }
}

/// The rest of the verdict for a personal access token the workspace (or
/// account) accepted: its answer is the only verification a PAT has.
const PAT_ACCEPTED: &str = ": the workspace accepted the personal access token (a PAT has no signature: the workspace is the only one that can verify it).";

/// Whether `text` has a JWT's shape (three dot-separated parts).
fn is_jwt(text: &str) -> bool {
    text.trim().split('.').count() == 3
}

/// The online plan for the host, as `check --workspace` makes it.
fn plan(cx: &Cx) -> Result<(Plan, Option<Workspace>), CliError> {
    let mapped = cx.base != cx.host;
    let options = OnlineOptions {
        workspace: cx.base.clone(),
        profile: cx.args.profile.clone(),
        allow_any_workspace_host: cx.args.allow_any_workspace_host || mapped,
        authority: cx.args.authority.clone(),
        client_id: None,
        offline: false,
        cache_dir: cx.args.cache_dir.clone(),
        no_cache: false,
        connect_timeout: cx.args.net.connect_timeout,
        timeout: cx.args.net.timeout,
        static_hosts: cx.args.net.test_resolve.clone(),
        tenant: None,
        issuer: None,
        have_key_file: false,
    };
    let mut plan = Plan::resolve(&options, cx.env).map_err(CliError::Usage)?;
    // The workspace steps (its tenant, SCIM Me) are a workspace's: an
    // account host is asked its own SCIM Me below.
    let ws = plan.workspace.clone().map(|mut w| {
        // The cloud is the configured host's, not its stand-in's.
        if let Some(h) = cx.host.as_deref().and_then(|h| Url::parse(h).ok()) {
            w.cloud = h.host_str().and_then(Cloud::of_host).or(w.cloud);
        }
        w
    });
    plan.workspace = ws.clone();
    plan.account_host = cx.is_account();
    Ok((plan, ws))
}

fn check_token(cx: &Cx, method: &str, credential: Finding, token: &str) -> Result<Ran, CliError> {
    let (plan, ws) = plan(cx)?;
    let pat = !is_jwt(token);
    if pat && cx.is_account() {
        return check_account_pat(cx, &plan, ws.as_ref(), credential, token);
    }
    // The check of `check --workspace`: the token read once, its keys, the
    // workspace's tenant and SCIM `Me` (a PAT: the workspace alone).
    let mut checked = check::check_planned(token, None, &plan, Policy::databricks(now()), false)?;
    if method == "azure-client-secret" && !cx.is_account() {
        management_path(cx, &mut checked)?;
    }
    let mut report = checked.report;
    let mut incomplete = !checked.outcome.failed_steps.is_empty();
    let jwt = checked.token;
    if let (true, Some(ws)) = (cx.is_account(), ws.as_ref()) {
        let (f, net_failed) = account_me(cx, &plan, ws, token, jwt.as_ref())?;
        incomplete |= net_failed;
        report.set(f);
    }
    if let Some(t) = &jwt {
        wrong_host(cx, t, &mut report);
    }
    report.findings.insert(0, credential);
    let mut verdict = report.verdict_sentence();
    if pat && verdict.verdict == Verdict::Valid {
        verdict.rest = PAT_ACCEPTED.into();
    }
    let outcome = if incomplete {
        Outcome::Incomplete
    } else {
        verdict_outcome(report.verdict())
    };
    Ok(Ran {
        report,
        summary: checked.summary,
        token_kind: Some(if pat { "pat" } else { "jwt" }),
        kind: checked.kind.map(|k| k.as_str()),
        verdict,
        outcome,
        explanation: None,
        not_built: None,
    })
}

/// `azure-client-secret` for a service principal the workspace does not
/// know: the SDKs' management-token path (an ARM token of the same
/// principal in `X-Databricks-Azure-SP-Management-Token`, with
/// `azure_workspace_resource_id`), said whether it applies and run, as
/// `check` and `token` do.
fn management_path(cx: &Cx, checked: &mut check::Checked) -> Result<(), CliError> {
    let online = OnlineArgs {
        workspace: cx.base.clone(),
        profile: cx.args.profile.clone(),
        allow_any_workspace_host: cx.args.allow_any_workspace_host || cx.base != cx.host,
        authority: cx.args.authority.clone(),
        client_id: None,
        workspace_resource_id: cx.r.get("azure_workspace_resource_id").map(str::to_owned),
        offline: false,
        cache_dir: cx.args.cache_dir.clone(),
        no_cache: false,
        net: cx.args.net.clone(),
    };
    let client_id = cx.r.get("azure_client_id").unwrap_or_default().trim();
    let secret = cx.r.get("azure_client_secret").unwrap_or_default();
    let authority = authority(cx).ok();
    sp_management::retry(checked, &online, |app, t| {
        let tid = t
            .payload_value()
            .get("tid")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        match (authority, tid) {
            (Some(authority), Some(tenant)) if app.eq_ignore_ascii_case(client_id) => {
                Arm::Credential {
                    ep: Endpoint { authority, tenant },
                    client_id: client_id.to_owned(),
                    cred: ClientCredential::Secret(Secret::new(secret)),
                }
            }
            _ => Arm::Unavailable(format!(
                "the token's application {app} is not azure_client_id's, or its tenant is not known"
            )),
        }
    })
}

/// A Databricks OAuth token refused by a host that did not issue it: the
/// wrong host, said with the fix (instead of "not a member").
fn wrong_host(cx: &Cx, t: &Token, report: &mut Report) {
    let claims = t.claims();
    let Some(iss) = claims.iss.and_then(|v| v.as_str()) else {
        return;
    };
    // A Databricks issuer, as the engine recognises one.
    let Some(issuer) = entra_token::kind::databricks_issuer(iss) else {
        return;
    };
    let refused = report
        .get(MEMBERSHIP)
        .is_some_and(|f| f.status == Status::Fail);
    let (Some(base), Some(host)) = (cx.base.as_deref(), cx.host.as_deref()) else {
        return;
    };
    if !refused {
        return;
    }
    let own = OidcHost {
        base: base.to_owned(),
        account_id: cx
            .is_account()
            .then(|| cx.account_id().unwrap_or_default().to_owned()),
    }
    .oidc();
    if iss.eq_ignore_ascii_case(&own) {
        return;
    }
    let other = issuer.origin;
    let what = if issuer.account_id.is_some() {
        "an account's token is accepted only on the account host and on that account's workspaces"
    } else {
        "a workspace's token is accepted only by that workspace"
    };
    let said = report
        .get(MEMBERSHIP)
        .map(|f| f.message.clone())
        .unwrap_or_default();
    report.set(
        Finding::fail(
            MEMBERSHIP,
            format!(
                "wrong host: {host} refused a Databricks OAuth token issued by {iss}, for another host ({what}); {said}"
            ),
        )
        .expected(own)
        .actual(iss.to_owned())
        .fix(format!(
            "Get a token from {host} itself: `databricks auth login --host {host}` (U2M), or OAuth M2M at {host}/oidc/v1/token; the token from {other} works only there."
        )),
    );
}

/// A personal access token: no signature, no claims; the workspace's (or
/// the account's) answer is the whole check.
fn check_account_pat(
    cx: &Cx,
    plan: &Plan,
    ws: Option<&Workspace>,
    credential: Finding,
    token: &str,
) -> Result<Ran, CliError> {
    let shape = if token.starts_with("dapi") {
        "a Databricks personal access token (dapi…)"
    } else if token.starts_with("dose") || token.starts_with("dkea") {
        "a Databricks secret, not a token to send (dose…/dkea…: an OAuth secret or key)"
    } else {
        "not a JWT: Databricks treats it as a personal access token"
    };
    let format = Finding::pass(
        FORMAT,
        format!("{shape}; it has no signature or claims to check, so only the workspace can say whether it is valid"),
    );
    let Some(ws) = ws else {
        return Err(CliError::Usage("no host to send the token to".into()));
    };
    // An account host: PATs are a workspace's; the account's answer says so.
    let (member, net_failed) = account_me(cx, plan, ws, token, None)?;
    let report = Report {
        findings: vec![credential, format, member],
    };
    let accepted = report
        .get(MEMBERSHIP)
        .is_some_and(|f| f.status == Status::Pass);
    let (verdict, outcome) = if report.failed().next().is_some() {
        (report.verdict_sentence(), Outcome::Failed)
    } else if accepted && !net_failed {
        (
            VerdictSentence {
                verdict: Verdict::Valid,
                lead: "Valid",
                rest: PAT_ACCEPTED.into(),
            },
            Outcome::Ok,
        )
    } else {
        (
            VerdictSentence {
                verdict: Verdict::Incomplete,
                lead: "Not verified",
                rest: ": the workspace could not be asked, and only it can verify a personal access token.".into(),
            },
            Outcome::Incomplete,
        )
    };
    Ok(Ran {
        report,
        summary: None,
        token_kind: Some("pat"),
        kind: Some(entra_token::Kind::DatabricksPat.as_str()),
        verdict,
        outcome,
        explanation: None,
        not_built: None,
    })
}

/// `GET <account host>/api/2.0/accounts/<id>/scim/v2/Me` with the token:
/// the finding, and whether the request could not be made.
fn account_me(
    cx: &Cx,
    plan: &Plan,
    ws: &Workspace,
    token: &str,
    jwt: Option<&Token>,
) -> Result<(Finding, bool), CliError> {
    let id = cx.account_id().unwrap_or_default();
    let mut url = ws.host.clone();
    url.set_path(&format!("/api/2.0/accounts/{id}/scim/v2/Me"));
    let client = http::Client::new(plan.http.clone()).map_err(CliError::Usage)?;
    let progress = Progress::stderr(true);
    let step = progress.start(format!(
        "account SCIM Me at {}",
        workspace::host_of(&ws.host)
    ));
    let rt = crate::commands::network_runtime()?;
    let resp = rt.block_on(client.get(Get {
        step: "account membership",
        url: url.clone(),
        bearer: Some(token),
        redirects: Redirects::Return,
    }));
    rt.shutdown_timeout(Duration::from_millis(100));
    let host = cx.host.clone().unwrap_or_else(|| ws.display());
    let resp = match resp {
        Ok(r) => {
            step.done(&format!("HTTP {}", r.status));
            progress.finish();
            r
        }
        Err(e) => {
            step.failed(&e.cause.to_string());
            progress.finish();
            let m = Miss::Net(e);
            return Ok((
                Finding::skip(
                    MEMBERSHIP,
                    format!(
                        "the account could not be asked: {}",
                        workspace::miss_text(&m)
                    ),
                )
                .fix(workspace::net_fix(&m, "the account host URL")),
                true,
            ));
        }
    };
    if (200..300).contains(&resp.status) {
        let obj = http::parse_json_object(&resp.body).unwrap_or_default();
        let user = obj
            .get("userName")
            .or_else(|| obj.get("applicationId"))
            .or_else(|| obj.get("displayName"))
            .and_then(|v| v.as_str())
            .unwrap_or("(unnamed)");
        return Ok((
            Finding::pass(
                MEMBERSHIP,
                format!("the account {id} at {host} accepted the token: it is {user}"),
            )
            .actual(user.to_owned()),
            false,
        ));
    }
    let (_, message) = workspace::databricks_error(&resp.body);
    let said = format!("HTTP {}: {message}", resp.status);
    let f = if jwt.is_none() {
        Finding::fail(
            MEMBERSHIP,
            format!("the account {id} at {host} does not accept this token (it said {said}); personal access tokens are a workspace's, not an account's"),
        )
        .fix(format!(
            "On the account host use OAuth: `databricks auth login --host {host} --account-id {id}`, or a service principal's OAuth secret (oauth-m2m)."
        ))
    } else {
        Finding::fail(
            MEMBERSHIP,
            format!("the account {id} at {host} refused the token (it said {said})"),
        )
        .fix(format!(
            "An account admin must add the principal to the account {id}; a workspace's token is not accepted on the account host."
        ))
    };
    Ok((f, false))
}

/// The run's fields for `--json`.
pub(crate) fn json_fields(ran: &Ran) -> Vec<(&'static str, Json)> {
    let mut v = vec![
        ("valid", json!(ran.outcome == Outcome::Ok)),
        ("verdict", json!(ran.verdict.to_string())),
        ("token_kind", json!(ran.token_kind)),
        ("kind", json!(ran.kind)),
        (
            "report",
            json!({
                "valid": ran.outcome == Outcome::Ok,
                "claims_valid": ran.report.claims_valid(),
                "complete": ran.report.complete(),
                "failed": ran.report.failed().collect::<Vec<_>>(),
                "verdict": ran.verdict.to_string(),
                "summary": ran.summary,
                "findings": ran.report.findings,
            }),
        ),
    ];
    if let Some((report, explanation)) = &ran.explanation {
        v.push((
            "explanation",
            json!({"report": report, "explanation": explanation}),
        ));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::resolve::{resolve, Flags};
    use crate::net::databrickscfg::test_env::FakeEnv;

    fn resolved(vars: &[(&'static str, &str)]) -> Resolved {
        let home = tempfile::tempdir().unwrap();
        let env = FakeEnv {
            vars: vars.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            home: home.path().to_owned(),
        };
        resolve(&Flags::default(), &env).unwrap()
    }

    #[test]
    fn settings_left_unused_by_an_explicit_auth_type_are_named_with_the_fix() {
        let r = resolved(&[
            ("DATABRICKS_HOST", "https://adb-1.2.azuredatabricks.net"),
            ("ARM_CLIENT_ID", "a"),
            ("ARM_CLIENT_SECRET", "s"),
            ("DATABRICKS_AUTH_TYPE", "azure-cli"),
        ]);
        let (why, fix) = unused_settings(&r, "azure-cli").unwrap();
        assert!(why.contains("ARM_CLIENT_ID and ARM_CLIENT_SECRET"), "{why}");
        assert!(why.contains("DATABRICKS_AUTH_TYPE"), "{why}");
        assert!(fix.contains("azure-client-secret"), "{fix}");
        assert!(unused_settings(&r, "azure-client-secret").is_none());
    }

    #[test]
    fn only_a_three_part_text_is_read_as_a_jwt() {
        assert!(is_jwt("a.b.c"));
        assert!(!is_jwt("dapi0123"));
        assert!(!is_jwt("a.b"));
    }
}
