//! The Azure Databricks workspace: its URL and cloud, its tenant (found as
//! the Databricks SDKs find it) and whether the token's principal exists in
//! it (SCIM `Me`).
//!
//! The token is sent to the workspace the user named and to nothing else:
//! the membership request never follows a redirect, and a host outside the
//! Azure Databricks domains needs an explicit flag.

use entra_token::catalogue::resources::AZURE_DATABRICKS;
use entra_token::cloud::CLOUDS;
use entra_token::findings::names::{MEMBERSHIP, WORKSPACE};
use entra_token::summary::{principal, Principal};
use entra_token::{Finding, Token};
use url::Url;

use crate::net::http::{self, Cause, Get, NetError, Redirects};
use crate::net::key_cache::{ago, Kind, Miss, Origin};
use crate::net::Online;

pub use entra_token::cloud::Cloud;

/// The workspace to check against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// Scheme, host and port only.
    pub host: Url,
    pub cloud: Option<Cloud>,
    /// Where the URL came from ("--workspace", "DATABRICKS_HOST", ...).
    pub source: String,
}

/// Reads a workspace URL as the SDKs do (`https://` added when missing,
/// path dropped), and checks it may receive the token.
pub fn parse_host(text: &str, source: &str, allow_any_host: bool) -> Result<Workspace, String> {
    let t = text.trim();
    let with_scheme = if t.contains("://") {
        t.to_owned()
    } else {
        format!("https://{t}")
    };
    let mut url =
        Url::parse(&with_scheme).map_err(|e| format!("{source}: '{t}' is not a URL: {e}"))?;
    http::check_url(&url).map_err(|e| format!("{source}: {e}"))?;
    url.set_path("");
    url.set_query(None);
    url.set_fragment(None);
    let host = url.host_str().unwrap_or_default().to_owned();
    let cloud = Cloud::of_host(&host);
    if cloud.is_none() && !allow_any_host {
        let domains: Vec<&str> = CLOUDS.iter().map(|c| c.workspace_domain).collect();
        return Err(format!(
            "{source}: {host} is not an Azure Databricks workspace host (*{}); the token is sent only to such hosts. \
             To send it to {host} anyway, add --allow-any-workspace-host",
            domains.join(", *")
        ));
    }
    if cloud.is_some() && url.scheme() != "https" {
        return Err(format!("{source}: {url} must use https"));
    }
    Ok(Workspace {
        host: url,
        cloud,
        source: source.to_owned(),
    })
}

impl Workspace {
    fn endpoint(&self, path: &str) -> Url {
        let mut u = self.host.clone();
        u.set_path(path);
        u
    }

    /// Shown in messages: the origin without a trailing slash.
    pub fn display(&self) -> String {
        self.host.as_str().trim_end_matches('/').to_owned()
    }
}

/// The workspace's tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantFound {
    pub tenant: String,
    /// The sign-in host the workspace sends users to.
    pub login_host: String,
    pub origin: Origin,
}

/// Finds the workspace's tenant: `GET <host>/aad/auth`, not following the
/// redirect; the tenant is the first path segment of `Location`. Cached.
pub async fn tenant(online: &Online, ws: &Workspace) -> Result<TenantFound, Miss> {
    const STEP: &str = "workspace tenant";
    let url = ws.endpoint("/aad/auth");
    let step = online
        .progress
        .start(format!("workspace tenant from {}", host_of(&ws.host)));
    let fetch = online.client.as_ref().map(|client| {
        let url = url.clone();
        move || async move {
            let resp = client.get(Get { step: STEP, url: url.clone(), bearer: None, redirects: Redirects::Return }).await?;
            let err = |cause| NetError { step: STEP, url: url.to_string(), cause };
            if !(300..400).contains(&resp.status) {
                let what = if (200..300).contains(&resp.status) {
                    format!(
                        "HTTP {} instead of a redirect to Microsoft Entra ID sign-in: this does not look like an Azure Databricks workspace",
                        resp.status
                    )
                } else {
                    return Err(err(Cause::Status { code: resp.status, snippet: resp.snippet() }));
                };
                return Err(err(Cause::Shape(what)));
            }
            let loc = resp.location.ok_or_else(|| err(Cause::Shape(format!("HTTP {} without a Location header", resp.status))))?;
            let target = url.join(&loc).map_err(|e| err(Cause::Shape(format!("the Location '{loc}' is not a URL: {e}"))))?;
            let tenant = target.path_segments().and_then(|mut s| s.next()).filter(|s| !s.is_empty()).map(str::to_owned);
            let tenant =
                tenant.ok_or_else(|| err(Cause::Shape(format!("the redirect to {} has no tenant in its path", clip_url(&target)))))?;
            let doc = serde_json::json!({ "tenant": tenant, "login_host": target.host_str().unwrap_or_default() });
            Ok(doc.to_string().into_bytes())
        }
    });
    let got = online
        .cache
        .get(url.as_str(), Kind::Document, None, fetch)
        .await;
    let got = match got {
        Ok(g) => g,
        Err(m) => {
            step.failed(&miss_cause(&m));
            return Err(m);
        }
    };
    let doc: serde_json::Value = serde_json::from_slice(&got.entry.body).unwrap_or_default();
    let tenant = doc
        .get("tenant")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    let login_host = doc
        .get("login_host")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    step.done(&format!("tenant {tenant}{}", origin_note(&got.origin)));
    Ok(TenantFound {
        tenant,
        login_host,
        origin: got.origin,
    })
}

fn clip_url(u: &Url) -> String {
    entra_token::text::clip(u.as_str(), 120)
}

/// " (cached, 3 min old)" or "".
pub fn origin_note(o: &Origin) -> String {
    match o {
        Origin::Fetched => String::new(),
        Origin::Cache { age_secs } => format!(" (from the cache, fetched {} ago)", ago(*age_secs)),
        Origin::StaleAfterError { age_secs, error } => {
            format!(
                " (from the cache, fetched {} ago, because fetching failed: {error})",
                ago(*age_secs)
            )
        }
    }
}

/// `host[:port]` of a URL, for progress lines.
pub fn host_of(u: &Url) -> String {
    match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => u.to_string(),
    }
}

/// A cache miss's cause alone (the step and URL are said elsewhere).
pub fn miss_cause(m: &Miss) -> String {
    match m {
        Miss::Offline { .. } => "--offline and nothing cached".into(),
        Miss::Net(e) => e.cause.to_string(),
    }
}

/// A cache miss as text.
pub fn miss_text(m: &Miss) -> String {
    match m {
        Miss::Offline { url } => format!("--offline and nothing cached for {url}"),
        Miss::Net(e) => e.to_string(),
    }
}

/// The workspace finding for a tenant lookup.
pub fn tenant_finding(
    ws: &Workspace,
    found: &Result<TenantFound, Miss>,
    configured: Option<&(String, String)>,
) -> Finding {
    let cloud = ws
        .cloud
        .map(|c| format!(", {}", c.name()))
        .unwrap_or_default();
    match found {
        Ok(t) => {
            let mut f = Finding::pass(
                WORKSPACE,
                format!(
                    "the workspace {}{cloud} belongs to tenant {} (it sends sign-ins to {}){}",
                    ws.display(),
                    t.tenant,
                    t.login_host,
                    origin_note(&t.origin)
                ),
            )
            .actual(t.tenant.clone());
            if let Some((tid, source)) = configured {
                if !tid.eq_ignore_ascii_case(&t.tenant) {
                    f = Finding::warn(
                        WORKSPACE,
                        format!("{}; but {source} says tenant {tid}: the workspace's own answer is used", f.message),
                    )
                    .expected(tid.clone())
                    .actual(t.tenant.clone())
                    .fix(format!("Correct {source} to {}.", t.tenant));
                }
            }
            f
        }
        Err(m) => {
            let fallback = match configured {
                Some((tid, source)) => format!("; the tenant {tid} from {source} is used instead"),
                None => String::new(),
            };
            Finding::skip(
                WORKSPACE,
                format!(
                    "the workspace's tenant could not be found: {}{fallback}",
                    miss_text(m)
                ),
            )
            .actual(ws.display())
            .fix(net_fix(
                m,
                "the workspace URL (https://adb-<id>.<n>.azuredatabricks.net)",
            ))
        }
    }
}

/// A fix for a network failure.
pub fn net_fix(m: &Miss, what: &str) -> String {
    match m {
        Miss::Offline { .. } => "Run once without --offline to fill the cache, or give the value explicitly.".into(),
        Miss::Net(e) => match &e.cause {
            Cause::Dns(_) => format!("Check {what} for typos, and this machine's DNS and network."),
            Cause::Connect(_) | Cause::Io(_) => format!("Check {what}, the network, and any proxy (HTTPS_PROXY) or firewall."),
            Cause::Timeout { .. } => "The server did not answer in time: check the network or proxy, or raise --timeout / --connect-timeout.".into(),
            Cause::Tls(_) => "TLS failed: a proxy that intercepts TLS, or a wrong host. Check the URL and the network path.".into(),
            Cause::Refused(_) => format!("Check {what}."),
            Cause::Status { code, .. } if *code >= 500 => "The server failed; try again later.".into(),
            _ => format!("Check {what}; the server's answer was not what this step expects."),
        },
    }
}

/// What the workspace said about the token.
#[derive(Debug, Clone)]
pub enum Membership {
    /// 200: the principal exists.
    Found {
        user_name: String,
        display_name: Option<String>,
        active: Option<bool>,
        application_id: Option<String>,
    },
    /// The workspace refused the token (401, 403, 400...).
    Refused {
        status: u16,
        error_code: Option<String>,
        message: String,
    },
}

/// "service principal" or "user": what a found principal is, by whether
/// SCIM named an application ID.
pub fn principal_kind(application_id: &Option<String>) -> &'static str {
    if application_id.is_some() {
        "service principal"
    } else {
        "user"
    }
}

/// What the workspace said, for a refusal's message: `HTTP <status>`, its
/// `error_code` (once: Databricks often repeats the status there, "401"),
/// and its message.
pub fn refusal_said(status: u16, code: Option<&str>, message: &str) -> String {
    format!(
        "HTTP {status}{}: {message}",
        code.filter(|c| c.trim() != status.to_string())
            .map(|c| format!(" {c}"))
            .unwrap_or_default()
    )
}

/// `GET <host>/api/2.0/preview/scim/v2/Me` with the token. Never cached,
/// never redirected.
pub async fn membership(online: &Online, ws: &Workspace, token: &str) -> Result<Membership, Miss> {
    let Some(client) = online.client.as_ref() else {
        return Err(Miss::Offline {
            url: ws.endpoint("/api/2.0/preview/scim/v2/Me").to_string(),
        });
    };
    let url = ws.endpoint("/api/2.0/preview/scim/v2/Me");
    let step = online
        .progress
        .start(format!("membership at {}", host_of(&ws.host)));
    let result = membership_inner(client, url, token).await;
    match &result {
        Ok(Membership::Found { user_name, .. }) => step.done(&format!("found {user_name}")),
        Ok(Membership::Refused { status, .. }) => step.done(&format!("refused, HTTP {status}")),
        Err(e) => step.failed(&e.cause.to_string()),
    }
    result.map_err(Miss::Net)
}

async fn membership_inner(
    client: &http::Client,
    url: Url,
    token: &str,
) -> Result<Membership, NetError> {
    const STEP: &str = "workspace membership";
    let resp = client
        .get(Get {
            step: STEP,
            url: url.clone(),
            bearer: Some(token),
            redirects: Redirects::Return,
        })
        .await?;
    let err = |cause| NetError {
        step: STEP,
        url: url.to_string(),
        cause,
    };
    match resp.status {
        200..=299 => {
            let obj = http::parse_json_object(&resp.body).map_err(err)?;
            let s = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            let user_name = s("userName")
                .ok_or_else(|| err(Cause::Shape("the SCIM answer has no 'userName'".into())))?;
            Ok(Membership::Found {
                user_name,
                display_name: s("displayName"),
                active: obj.get("active").and_then(|v| v.as_bool()),
                application_id: s("applicationId"),
            })
        }
        300..=399 => Err(err(Cause::Shape(format!(
            "HTTP {} redirect to {}: not followed, the token is sent only to the workspace named",
            resp.status,
            resp.location
                .as_deref()
                .map(|l| entra_token::text::clip(l, 120))
                .unwrap_or_else(|| "(no Location)".into())
        )))),
        400 | 401 | 403 => {
            let (error_code, message) = databricks_error(&resp.body);
            Ok(Membership::Refused {
                status: resp.status,
                error_code,
                message,
            })
        }
        code => Err(err(Cause::Status {
            code,
            snippet: databricks_error(&resp.body).1,
        })),
    }
}

/// The headers of the service principal management-token path.
pub const SP_MANAGEMENT_TOKEN_HEADER: &str = "X-Databricks-Azure-SP-Management-Token";
/// The workspace's Azure resource ID header sent with it.
pub const WORKSPACE_RESOURCE_ID_HEADER: &str = "X-Databricks-Azure-Workspace-Resource-Id";

/// Whether a refusal is "not a member" (403, neither a deactivated
/// principal nor a token the workspace does not take): the answer the
/// management-token path can change.
pub fn refused_as_not_member(m: &Membership) -> bool {
    match m {
        Membership::Refused {
            status: 403,
            message,
            ..
        } => {
            let l = message.to_ascii_lowercase();
            !(l.contains("deactivated")
                || l.contains("invalid access token")
                || l.contains("disabled"))
        }
        _ => false,
    }
}

/// SCIM `Me` with the token, for the management-token path: with an ARM
/// token of the same service principal and the workspace's Azure resource
/// ID (`(arm, resource_id)`, as the Databricks SDKs send them). Never
/// redirected; the headers are sensitive (never logged).
pub async fn membership_with_management(
    http: &crate::flows::Http,
    ws: &Workspace,
    token: &str,
    (arm, resource_id): (&str, &str),
) -> Result<Membership, String> {
    let url = ws.endpoint("/api/2.0/preview/scim/v2/Me");
    let bearer = format!("Bearer {token}");
    let headers = [
        ("Authorization", bearer.as_str()),
        ("Accept", "application/json"),
        (SP_MANAGEMENT_TOKEN_HEADER, arm),
        (WORKSPACE_RESOURCE_ID_HEADER, resource_id),
    ];
    let (status, body, location) = http
        .get_authorized(url.as_str(), &headers)
        .await
        .map_err(|e| e.to_string())?;
    match status {
        200..=299 => {
            let obj = http::parse_json_object(&body).map_err(|e| e.to_string())?;
            let s = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            Ok(Membership::Found {
                user_name: s("userName").ok_or("the SCIM answer has no 'userName'")?,
                display_name: s("displayName"),
                active: obj.get("active").and_then(|v| v.as_bool()),
                application_id: s("applicationId"),
            })
        }
        300..=399 => Err(format!(
            "HTTP {status} redirect to {}: not followed",
            location.as_deref().unwrap_or("(no Location)")
        )),
        400 | 401 | 403 => {
            let (error_code, message) = databricks_error(&body);
            Ok(Membership::Refused {
                status,
                error_code,
                message,
            })
        }
        code => Err(format!("HTTP {code}: {}", databricks_error(&body).1)),
    }
}

/// The membership finding after the management-token path was tried.
pub fn management_finding(
    ws: &Workspace,
    app: &str,
    resource_id: &str,
    result: &Membership,
) -> Finding {
    let wsd = ws.display();
    match result {
        Membership::Found { user_name, .. } => Finding::pass(
            MEMBERSHIP,
            format!(
                "the workspace {wsd} let the service principal {app} in through the management-token path (X-Databricks-Azure-SP-Management-Token with the resource {resource_id}): it is not a member, but has Contributor or Owner on the workspace resource, so Azure Databricks adds it"
            ),
        )
        .actual(user_name.clone()),
        Membership::Refused {
            status, message, ..
        } => Finding::fail(
            MEMBERSHIP,
            format!(
                "the workspace {wsd} refused the service principal {app}: it is not a member, and the management-token path failed too (HTTP {status}: {message})"
            ),
        )
        .expected(format!("Contributor or Owner on {resource_id}"))
        .actual(message.clone())
        .fix(format!(
            "Either a workspace admin adds the service principal (application ID {app}) to {wsd}, or it is given Contributor (or Owner) on the workspace resource {resource_id} in Azure (Access control (IAM)); check that {resource_id} is this workspace's resource ID."
        )),
    }
}

/// Databricks' error text: `{"error_code","message"}` JSON, an HTML error
/// page (its `<pre>` or `<title>`), or the start of the body.
pub fn databricks_error(body: &[u8]) -> (Option<String>, String) {
    if let Ok(obj) = http::parse_json_object(body) {
        let code = obj.get("error_code").and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_i64().map(|n| n.to_string()))
        });
        let msg = obj
            .get("message")
            .or_else(|| obj.get("detail"))
            .or_else(|| obj.get("error_description"))
            .or_else(|| obj.get("error"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        if let Some(m) = msg {
            return (code, entra_token::text::clip(&m, 500));
        }
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(16 * 1024)]).into_owned();
    for (open, close) in [("<pre>", "</pre>"), ("<title>", "</title>")] {
        if let Some(start) = text.find(open) {
            if let Some(len) = text[start + open.len()..].find(close) {
                let inner = &text[start + open.len()..start + open.len() + len];
                let one: String = inner.split_whitespace().collect::<Vec<_>>().join(" ");
                let one = one
                    .strip_prefix("Error ")
                    .map(|r| r.trim_start_matches(|c: char| c.is_ascii_digit()).trim())
                    .unwrap_or(&one);
                return (None, entra_token::text::clip(one, 500));
            }
        }
    }
    (None, http::snippet(body))
}

/// The membership finding.
pub fn membership_finding(
    ws: &Workspace,
    token: &Token,
    result: &Result<Membership, Miss>,
) -> Finding {
    let who = match principal(&token.claims()) {
        Principal::User { name, .. } => Who::User(name),
        Principal::ServicePrincipal { app_id, .. } => Who::Sp(app_id),
        Principal::Unknown => Who::Unknown,
    };
    let wsd = ws.display();
    match result {
        Ok(Membership::Found {
            user_name,
            display_name,
            active,
            application_id,
        }) => {
            let kind = principal_kind(application_id);
            let shown = format!(
                "userName {user_name}{}{}",
                display_name
                    .as_deref()
                    .map(|d| format!(", displayName \"{d}\""))
                    .unwrap_or_default(),
                active.map(|a| format!(", active {a}")).unwrap_or_default()
            );
            if *active == Some(false) {
                return Finding::fail(MEMBERSHIP, format!("the workspace knows the {kind} ({shown}) but it is deactivated"))
                    .actual(shown)
                    .fix(format!("A workspace admin must reactivate it in {wsd} (Settings → Identity and access), or through SCIM (active: true)."));
            }
            let mut f = Finding::pass(
                MEMBERSHIP,
                format!("the workspace {wsd} accepted the token: the {kind} exists ({shown})"),
            )
            .actual(shown.clone());
            let mismatch = match &who {
                Who::User(n) if !n.eq_ignore_ascii_case(user_name) => Some(n.clone()),
                Who::Sp(a)
                    if !a.eq_ignore_ascii_case(application_id.as_deref().unwrap_or(user_name)) =>
                {
                    Some(a.clone())
                }
                _ => None,
            };
            if let Some(expected) = mismatch {
                f = Finding::warn(MEMBERSHIP, format!("the workspace accepted the token as {user_name}, not as {expected}, whom the token names"))
                    .expected(expected)
                    .actual(shown)
                    .fix("Databricks matched the token to another identity; check the user's UPN and e-mail in Entra ID and in the workspace.");
            }
            f
        }
        Ok(Membership::Refused {
            status,
            error_code,
            message,
        }) => refused_finding(&wsd, &who, *status, error_code.as_deref(), message),
        Err(m) => unasked_finding(m, &wsd, "asking the workspace needs the network"),
    }
}

/// The `membership` finding when SCIM `Me` could not be asked: skipped,
/// with why (`offline_why` under --offline) and, after a network failure,
/// the fix.
pub fn unasked_finding(m: &Miss, wsd: &str, offline_why: &str) -> Finding {
    let why = match m {
        Miss::Offline { .. } => format!("not checked: --offline ({offline_why})"),
        Miss::Net(e) => format!("the workspace could not be asked: {e}"),
    };
    let f = Finding::skip(MEMBERSHIP, why).actual(wsd.to_owned());
    match m {
        Miss::Net(_) => f.fix(net_fix(m, "the workspace URL")),
        Miss::Offline { .. } => f,
    }
}

enum Who {
    User(String),
    Sp(String),
    Unknown,
}

fn refused_finding(
    wsd: &str,
    who: &Who,
    status: u16,
    code: Option<&str>,
    message: &str,
) -> Finding {
    let said = refusal_said(status, code, message);
    let base = |what: String| {
        Finding::fail(
            MEMBERSHIP,
            format!("the workspace {wsd} refused the token: {what} (it said {said})"),
        )
    };
    // One classifier of Databricks' answers (entra-explain's); rendered here
    // as the membership finding. The token's own faults come first.
    use entra_explain::DatabricksProblem as P;
    let found = entra_explain::classify_databricks_answer(Some(status), message);
    let token_fault = found.iter().find(|f| {
        matches!(
            f.problem,
            P::WrongAudience
                | P::WrongIssuer
                | P::WrongClaim
                | P::MissingClaim
                | P::Expired
                | P::NotYetValid
                | P::BadSignature
                | P::Malformed
        )
    });
    if let Some(f) = token_fault {
        let pair = || f.expected.clone().zip(f.found.clone());
        return match f.problem {
            P::WrongAudience => match pair() {
                Some((exp, was)) => base("the audience is wrong".into()).expected(exp).actual(was).fix(format!(
                    "Ask Entra ID for a token for Azure Databricks: 'az account get-access-token --resource {AZURE_DATABRICKS}', or the scope '{AZURE_DATABRICKS}/.default'."
                )),
                None => base("a claim is wrong".into())
                    .fix("Compare the token's claims with what the message expects."),
            },
            P::WrongIssuer => match pair() {
                Some((exp, was)) => base("the token comes from another tenant (issuer) than the workspace's".into()).expected(exp).actual(was).fix(
                    "Sign in to the workspace's tenant: 'az login --tenant <workspace tenant>', or use the authority https://login.microsoftonline.com/<workspace tenant>.",
                ),
                None => base("a claim is wrong".into())
                    .fix("Compare the token's claims with what the message expects."),
            },
            P::MissingClaim if f.claim.as_deref() == Some("aud") => {
                base("the token has no audience".into())
                    .fix(format!("Ask for a token for {AZURE_DATABRICKS}."))
            }
            P::WrongClaim | P::MissingClaim => base("a claim is wrong".into())
                .fix("Compare the token's claims with what the message expects."),
            P::Expired => base("the token has expired".into())
                .fix("Get a new token; tools should ask for a fresh token before each call (MSAL and azure-identity cache and refresh)."),
            P::NotYetValid => base("the token is not valid yet".into())
                .fix("Synchronise this machine's clock (NTP), or wait a minute."),
            P::BadSignature => base("its signature did not verify".into())
                .fix("The token was altered, or was not issued by Entra ID for a tenant the workspace trusts; copy it again or get a new one."),
            _ => base("it is not a well-formed signed JWT".into())
                .fix("Send the access token itself, whole, as 'Authorization: Bearer <token>'."),
        };
    }
    let said_problem = |p: P| found.iter().any(|f| f.problem == p);
    if said_problem(P::IpBlocked) {
        let ip = found
            .iter()
            .find(|f| f.problem == P::IpBlocked)
            .and_then(|f| f.found.clone());
        let mut f = base("the workspace's IP access list blocks this address".into()).fix(
            "Call from an allowed network, or have a workspace admin add the address to the IP access list (Settings → Security → IP access list).",
        );
        if let Some(ip) = ip {
            f = f.actual(ip);
        }
        return f;
    }
    match status {
        403 => {
            let fix = match who {
                Who::Sp(app) => format!(
                    "A workspace admin must add the service principal (application ID {app}) to {wsd}: Settings → Identity and access → Service principals → Add (Microsoft Entra ID managed), with the Workspace access entitlement. Account-level SPs must also be assigned to the workspace."
                ),
                Who::User(u) => format!(
                    "A workspace admin must add {u} to {wsd} (Settings → Identity and access → Users → Add), or to a group assigned to the workspace, with the Workspace access entitlement; if the user is deactivated, reactivate it."
                ),
                Who::Unknown => format!("A workspace admin must add the token's principal to {wsd}."),
            };
            let what = if said_problem(P::Deactivated) {
                "the principal is deactivated in the workspace"
            } else if said_problem(P::InvalidToken) {
                "it is not a token the workspace accepts"
            } else {
                "the principal is not a member of the workspace (or lacks workspace access)"
            };
            base(what.into()).fix(fix)
        }
        401 => base("it is not accepted".into()).fix("Check the audience, tenant and lifetime findings above; the workspace only accepts Entra ID tokens for Azure Databricks from its own tenant."),
        _ => base("the request was refused".into()).fix("Send the access token itself as 'Authorization: Bearer <token>'; see the message for details."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_allow_listed() {
        let w = parse_host("adb-123.4.azuredatabricks.net", "--workspace", false).unwrap();
        assert_eq!(w.host.as_str(), "https://adb-123.4.azuredatabricks.net/");
        assert_eq!(w.cloud, Some(Cloud::Public));
        let w = parse_host(
            "https://adb-1.2.databricks.azure.us/?o=1#x",
            "--workspace",
            false,
        )
        .unwrap();
        assert_eq!(
            (w.host.as_str(), w.cloud),
            ("https://adb-1.2.databricks.azure.us/", Some(Cloud::UsGov))
        );
        assert_eq!(
            parse_host("https://adb-1.databricks.azure.cn", "x", false)
                .unwrap()
                .cloud,
            Some(Cloud::China)
        );
        assert!(parse_host("https://evil.example.com", "x", false)
            .unwrap_err()
            .contains("--allow-any-workspace-host"));
        assert!(parse_host("https://azuredatabricks.net.evil.com", "x", false).is_err());
        assert!(parse_host("http://127.0.0.1:8080", "x", false).is_err());
        assert!(parse_host("http://127.0.0.1:8080", "x", true).is_ok());
        assert!(parse_host("http://adb-1.azuredatabricks.net", "x", true).is_err());
        assert!(parse_host("http://example.com", "x", true).is_err());
    }

    #[test]
    fn databricks_errors_are_read_from_json_and_html() {
        let (c, m) = databricks_error(br#"{"error_code":"403","message":"User not authorized."}"#);
        assert_eq!(
            (c.as_deref(), m.as_str()),
            (Some("403"), "User not authorized.")
        );
        let html = b"<html><head><title>Error 401 io.jsonwebtoken.IncorrectClaimException: Expected aud claim to be: A, but was: B.</title></head><body><h2>HTTP ERROR 401</h2><pre>    io.jsonwebtoken.IncorrectClaimException: Expected aud claim to be: A, but was: B.</pre></body></html>";
        let (_, m) = databricks_error(html);
        let f = &entra_explain::classify_databricks_answer(Some(401), &m)[0];
        assert_eq!(
            (f.expected.as_deref(), f.found.as_deref()),
            (Some("A"), Some("B"))
        );
    }

    #[test]
    fn membership_and_explain_share_one_classifier() {
        let cases: &[(u16, &str, &str)] = &[
            (401, "Error while parsing token: io.jsonwebtoken.PrematureJwtException: JWT must not be accepted before 2030-01-01T00:00:00Z.", "not valid yet"),
            (401, "Error while parsing token: io.jsonwebtoken.security.SignatureException: JWT signature does not match locally computed signature.", "signature did not verify"),
            (401, "Error while parsing token: io.jsonwebtoken.MissingClaimException: Expected aud claim to be: 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, but was not present in the JWT claims.", "has no audience"),
            (403, "User carol@contoso.onmicrosoft.com is deactivated in this workspace.", "deactivated"),
            (403, "Source IP address: 203.0.113.7 is blocked by Databricks IP ACL for workspace: 1234", "IP access list"),
            (403, "User not authorized.", "not a member"),
        ];
        for (status, message, what) in cases {
            let f = refused_finding(
                "https://adb-1.2.azuredatabricks.net",
                &Who::Unknown,
                *status,
                None,
                message,
            );
            assert!(f.message.contains(what), "{message}: {}", f.message);
            // explain says the same about the same answer.
            let report = entra_explain::parse(&format!(
                r#"{{"error_code":"{status}","message":{}}}"#,
                serde_json::Value::from(*message)
            ))
            .unwrap();
            assert_eq!(
                report.databricks.first().map(|d| d.problem),
                entra_explain::classify_databricks_answer(Some(*status), message)
                    .first()
                    .map(|d| d.problem),
                "{message}"
            );
        }
        let ip = refused_finding("w", &Who::Unknown, 403, None, cases[4].1);
        assert_eq!(ip.actual.as_deref(), Some("203.0.113.7"));
    }

    #[test]
    fn environments_name_clouds() {
        assert_eq!(Cloud::of_environment("usgovernment"), Some(Cloud::UsGov));
        assert_eq!(Cloud::of_environment("AzureChinaCloud"), Some(Cloud::China));
        assert_eq!(Cloud::of_environment("mars"), None);
    }
}
