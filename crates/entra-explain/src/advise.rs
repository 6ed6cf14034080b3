//! Turns an [`ErrorReport`] into advice made concrete with what the caller
//! knows: the admin-consent URL for this tenant and client, the registered
//! redirect URIs, the flow in use, the resource requested.

use serde::Serialize;

use super::chains::{Chain, ChainProblem, CredentialAttempt};
use super::databricks::{issuer_tenant, DatabricksFinding, DatabricksProblem};
use super::redirect::{compare_registered, Platform, RedirectComparison, RegisteredUri};
use super::{CodeEntry, Context, ErrorReport, InputKind};
use entra_token::catalogue::resources::{self, AZURE_DATABRICKS};
use entra_token::tenant_id::is_tenant;

/// The public-cloud authority host, used when [`Context::authority_host`] is
/// not given.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";

/// `https://login.microsoftonline.com/<tenant>/adminconsent?client_id=<client-id>`
/// for `authority_host` (e.g. [`DEFAULT_AUTHORITY_HOST`]).
pub fn admin_consent_url(authority_host: &str, tenant: &str, client_id: &str) -> String {
    format!(
        "{}/{}/adminconsent?client_id={}",
        authority_host.trim().trim_end_matches('/'),
        encode_component(tenant.trim()),
        encode_component(client_id.trim())
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The sign-in flow the failed request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Interactive browser sign-in from a desktop app or CLI (public client).
    Interactive,
    /// Authorization code flow, client type not said.
    AuthCode,
    /// Authorization code flow of a server-side web app (confidential).
    WebApp,
    /// Authorization code flow with PKCE from browser code.
    Spa,
    /// Device code flow (`az login --use-device-code`, MSAL's device flow).
    DeviceCode,
    /// Resource owner password credentials (ROPC).
    UsernamePassword,
    /// Client credentials: an app signing in as itself with a secret or certificate.
    ClientCredentials,
    /// On-behalf-of: a middle-tier API exchanging a user's token for another.
    OnBehalfOf,
    /// Redeeming a refresh token.
    RefreshToken,
    /// A managed identity of an Azure resource.
    ManagedIdentity,
    /// The Azure CLI (`az login`, `az account get-access-token`).
    AzureCli,
    /// Workload identity federation (a federated token as client assertion).
    WorkloadIdentity,
    /// A flow name not recognised.
    Other,
}

impl Flow {
    /// Reads a flow name as people write it (`device-code`, `ropc`, `m2m`, …).
    pub fn from_name(name: &str) -> Flow {
        let n: String = name
            .trim()
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c == '-' || c == ' ' { '_' } else { c })
            .collect();
        match n.as_str() {
            "interactive" | "browser" | "u2m" | "desktop" | "native" | "public_client"
            | "public" => Flow::Interactive,
            "auth_code" | "authorization_code" | "code" | "authcode" | "pkce" => Flow::AuthCode,
            "web" | "web_app" | "webapp" | "confidential" => Flow::WebApp,
            "spa" | "single_page" | "single_page_app" => Flow::Spa,
            "device_code" | "devicecode" | "device" => Flow::DeviceCode,
            "ropc" | "password" | "username_password" | "usernamepassword" => {
                Flow::UsernamePassword
            }
            "client_credentials" | "clientcredentials" | "m2m" | "service_principal" | "sp"
            | "client_secret" | "client_certificate" => Flow::ClientCredentials,
            "obo" | "on_behalf_of" | "onbehalfof" | "jwt_bearer" => Flow::OnBehalfOf,
            "refresh" | "refresh_token" | "silent" => Flow::RefreshToken,
            "managed_identity" | "msi" | "mi" => Flow::ManagedIdentity,
            "azure_cli" | "az" | "az_cli" | "azcli" => Flow::AzureCli,
            "workload_identity" | "federated" | "oidc" | "workload_identity_federation" => {
                Flow::WorkloadIdentity
            }
            _ => Flow::Other,
        }
    }

    /// A short human name.
    pub fn label(self) -> &'static str {
        match self {
            Flow::Interactive => "interactive browser sign-in",
            Flow::AuthCode => "authorization code",
            Flow::WebApp => "web app authorization code",
            Flow::Spa => "single-page app authorization code",
            Flow::DeviceCode => "device code",
            Flow::UsernamePassword => "username-password (ROPC)",
            Flow::ClientCredentials => "client credentials",
            Flow::OnBehalfOf => "on-behalf-of",
            Flow::RefreshToken => "refresh token (silent)",
            Flow::ManagedIdentity => "managed identity",
            Flow::AzureCli => "Azure CLI",
            Flow::WorkloadIdentity => "workload identity federation",
            Flow::Other => "unknown flow",
        }
    }

    /// The platform its redirect URI must be registered under, when fixed.
    pub fn needed_platform(self) -> Option<Platform> {
        match self {
            Flow::Interactive | Flow::DeviceCode | Flow::UsernamePassword | Flow::AzureCli => {
                Some(Platform::PublicClient)
            }
            Flow::WebApp => Some(Platform::Web),
            Flow::Spa => Some(Platform::Spa),
            _ => None,
        }
    }

    /// Whether the flow can show the user a prompt (MFA, consent).
    pub fn is_interactive(self) -> bool {
        matches!(
            self,
            Flow::Interactive
                | Flow::AuthCode
                | Flow::WebApp
                | Flow::Spa
                | Flow::DeviceCode
                | Flow::AzureCli
        )
    }
}

/// One piece of advice: a code or a Databricks problem, why, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advice {
    /// The AADSTS code, when the advice is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u32>,
    /// A short title: the code and its name, or the problem.
    pub title: String,
    /// Why it happened.
    pub cause: String,
    /// What to do, most useful first.
    pub steps: Vec<String>,
    /// Where to read more (Microsoft's look-up page for a code).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
}

/// The explanation of one pasted error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// What kind of text was explained.
    pub kind: InputKind,
    /// The library whose exception it is, when recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<&'static str>,
    /// One line: what went wrong.
    pub headline: String,
    /// Every AADSTS code found, primary first.
    pub codes: Vec<u32>,
    /// The OAuth error string, or Databricks' `error_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// One piece of advice per code or Databricks problem, primary first.
    pub advice: Vec<Advice>,
    /// The redirect-URI comparison, for AADSTS50011 and its kin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect: Option<RedirectComparison>,
    /// The admin-consent URL for this tenant and client, for consent errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_consent_url: Option<String>,
    /// Other things worth knowing (IDs to hand to an administrator, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

const CONSENT: &[u32] = &[65001, 65004, 65005, 90008, 90094, 90095, 650056, 650057];
const REDIRECT: &[u32] = &[50011, 70004, 500112, 500113, 900971, 9002326, 9002327];
const MFA_CA: &[u32] = &[
    50005, 50072, 50074, 50076, 50078, 50079, 50097, 50131, 50158, 53000, 53001, 53002, 53003,
    530002, 530003, 530032, 530035,
];
const SECRET: &[u32] = &[50012, 70002, 700024, 700027, 7000215, 7000222];
const PUBLIC: &[u32] = &[7000218, 700025];
const WRONG_PLACE: &[u32] = &[
    700016, 700011, 700005, 90002, 50194, 50059, 50128, 90019, 90124, 90130, 9001023,
];
const WRONG_USER: &[u32] = &[16000, 16003, 50020, 50034, 51004, 90072];
const RESOURCE: &[u32] = &[50001, 500011, 650052, 650053];
const SCOPE: &[u32] = &[28002, 28003, 70011, 700022, 700023, 901002, 900144, 90014];
/// Workload identity federation: the external token was refused.
const FEDERATION: &[u32] = &[50027, 70021, 700024, 700211, 700212, 700213, 7002138];
const SIGN_IN_AGAIN: &[u32] = &[
    50089, 50132, 50133, 50173, 54005, 70000, 70008, 70043, 700082, 700084,
];

/// Everything known, from the context first and the error's own text second.
struct Known<'a> {
    host: String,
    /// A tenant that can go into a command or URL: a GUID or a domain.
    tenant: Option<&'a str>,
    /// What names the tenant when it is neither (a directory's display
    /// name, "in the directory 'Contoso'"): shown, never used as a tenant.
    tenant_name: Option<&'a str>,
    client: Option<&'a str>,
    resource: Option<&'a str>,
    redirect: Option<&'a str>,
    flow: Option<Flow>,
    registered: Vec<RegisteredUri>,
    report: &'a ErrorReport,
}

fn is_authority_alias(t: &str) -> bool {
    ["organizations", "common", "consumers"]
        .iter()
        .any(|a| t.eq_ignore_ascii_case(a))
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl<'a> Known<'a> {
    fn new(report: &'a ErrorReport, ctx: &'a Context) -> Self {
        let mut registered = ctx.registered.clone();
        for u in &ctx.registered_redirect_uris {
            if !u.trim().is_empty() && !registered.iter().any(|r| r.url == *u) {
                registered.push(RegisteredUri {
                    url: u.clone(),
                    platform: Platform::Unknown,
                });
            }
        }
        Known {
            host: nonempty(&ctx.authority_host)
                .unwrap_or(DEFAULT_AUTHORITY_HOST)
                .trim_end_matches('/')
                .to_owned(),
            tenant: nonempty(&ctx.tenant)
                .or(nonempty(&report.hints.tenant))
                .filter(|t| is_tenant(t)),
            // `organizations`, `common`, `consumers` are authority aliases,
            // not a tenant: the fix asks for the tenant as if none was known.
            tenant_name: nonempty(&ctx.tenant)
                .or(nonempty(&report.hints.tenant))
                .filter(|t| !is_tenant(t) && !is_authority_alias(t)),
            client: nonempty(&ctx.client_id).or(nonempty(&report.hints.client_id)),
            resource: nonempty(&ctx.resource).or(nonempty(&report.hints.resource)),
            redirect: nonempty(&ctx.redirect_uri).or(nonempty(&report.hints.redirect_uri)),
            flow: nonempty(&ctx.flow).map(Flow::from_name),
            registered,
            report,
        }
    }

    /// Fills `<tenant>`, `<tenant-id>`, `<client-id>` and the authority host.
    fn fill(&self, text: &str) -> String {
        let mut s = text.to_owned();
        if let Some(t) = self.tenant {
            s = s.replace("<tenant-id>", t).replace("<tenant>", t);
        }
        if let Some(c) = self.client {
            s = s.replace("<client-id>", c);
        }
        if self.host != DEFAULT_AUTHORITY_HOST {
            s = s.replace(DEFAULT_AUTHORITY_HOST, &self.host);
        }
        s
    }

    fn tenant_flag(&self) -> String {
        match (self.tenant, self.tenant_name) {
            (Some(t), _) => format!(" --tenant {t}"),
            (None, Some(_)) => " --tenant <tenant-id>".to_owned(),
            (None, None) => String::new(),
        }
    }

    /// A placeholder for the tenant in a command: `<tenant-id>` when only a
    /// display name is known, else `fallback`.
    fn tenant_or(&self, fallback: &'a str) -> &'a str {
        match (self.tenant, self.tenant_name) {
            (Some(t), _) => t,
            (None, Some(_)) => "<tenant-id>",
            (None, None) => fallback,
        }
    }

    /// Where to find the tenant ID, when the error named the tenant only by
    /// its display name and a step asks for `<tenant-id>`.
    fn tenant_id_hint(&self, steps: &mut Vec<String>) {
        let Some(name) = self.tenant_name.filter(|_| self.tenant.is_none()) else {
            return;
        };
        if steps
            .iter()
            .any(|s| s.contains("<tenant-id>") || s.contains("<tenant>"))
        {
            steps.push(format!(
                "'{}' is the directory's display name, not a tenant ID: use for <tenant-id> its Tenant ID (Azure portal > Microsoft Entra ID > Overview > Tenant ID, or `az account show --query tenantId` when signed in to it) or a verified domain such as contoso.onmicrosoft.com.",
                entra_token::text::clip(name, 80)
            ));
        }
    }

    fn flow_is(&self, flows: &[Flow]) -> bool {
        self.flow.is_some_and(|f| flows.contains(&f))
    }

    fn resource_is_databricks(&self) -> bool {
        self.resource.is_none_or(|r| {
            r.trim_end_matches('/')
                .trim_end_matches("/.default")
                .eq_ignore_ascii_case(AZURE_DATABRICKS)
        })
    }
}

/// Explains a parsed error with what the caller knows.
pub fn explain(report: &ErrorReport, ctx: &Context) -> Explanation {
    let k = Known::new(report, ctx);
    let mut ex = Explanation {
        kind: report.kind,
        library: report.library,
        headline: headline(report),
        codes: report.codes.clone(),
        error: report.error.clone(),
        advice: Vec::new(),
        redirect: None,
        admin_consent_url: None,
        notes: Vec::new(),
    };
    if let Some(chain) = &report.chain {
        for a in &chain.attempts {
            ex.advice.push(chain_advice(chain, a, &k));
        }
    }
    for entry in &report.entries {
        let advice = code_advice(entry, &k, &mut ex);
        ex.advice.push(advice);
    }
    for f in &report.databricks {
        ex.advice.push(databricks_advice(f, &k));
    }
    if ex.advice.is_empty() {
        if let Some(error) = report.error.as_deref() {
            let (cause, fix) = oauth_guidance(error).unwrap_or((
                "The server returned an error string entra-doctor does not know.",
                "Read the error description in full, and look the request up in the Entra sign-in logs by its correlation ID.",
            ));
            ex.advice.push(Advice {
                code: None,
                title: format!("OAuth error `{error}`"),
                cause: cause.to_owned(),
                steps: vec![k.fill(fix)],
                links: Vec::new(),
            });
        }
    }
    ex.notes = notes(report, &k);
    ex
}

fn headline(report: &ErrorReport) -> String {
    if let Some(h) = report.chain.as_ref().and_then(chain_headline) {
        return h;
    }
    if let Some(e) = report.entries.first() {
        let mut h = match e.name {
            Some(name) => format!("AADSTS{} {name}", e.code),
            None => format!("AADSTS{} (not in the catalogue)", e.code),
        };
        if let Some(err) = &report.error {
            h.push_str(&format!(" ({err})"));
        }
        if report.codes.len() > 1 {
            h.push_str(&format!(", and {} more code(s)", report.codes.len() - 1));
        }
        h
    } else if let Some(f) = report.databricks.first() {
        if f.problem.is_token_endpoint() {
            format!(
                "Databricks OAuth refused the request: {}",
                problem_label(f.problem)
            )
        } else {
            format!(
                "Azure Databricks rejected the request: {}",
                problem_label(f.problem)
            )
        }
    } else if let Some(err) = &report.error {
        format!("OAuth error {err}")
    } else {
        "Unrecognised error".to_owned()
    }
}

/// "DefaultAzureCredential: no credential got a token (5 tried); …".
fn chain_headline(chain: &Chain) -> Option<String> {
    let first = chain.attempts.first()?;
    let refused = chain
        .attempts
        .iter()
        .find(|a| a.problem == ChainProblem::EntraRefused);
    Some(match chain.name.as_str() {
        "DefaultAzureCredential" | "ChainedTokenCredential" => {
            let mut h = format!(
                "{}: no credential got a token ({} tried)",
                chain.name,
                chain.attempts.len()
            );
            if let Some(r) = refused {
                h.push_str(&format!("; Entra ID refused {}", r.credential));
            }
            h
        }
        "Databricks SDK default auth" => match first.problem {
            ChainProblem::NoMethodConfigured => {
                "Databricks SDK: no authentication method could be configured".to_owned()
            }
            ChainProblem::ConflictingMethods => {
                "Databricks SDK: settings of more than one authentication method".to_owned()
            }
            p => format!(
                "Databricks SDK: the {} method failed: {}",
                first.credential,
                chain_label(p)
            ),
        },
        _ => format!("{}: {}", first.credential, chain_label(first.problem)),
    })
}

/// A short label of a chain problem.
fn chain_label(p: ChainProblem) -> &'static str {
    use ChainProblem as P;
    match p {
        P::EnvironmentNotConfigured => "environment variables not set (skipped)",
        P::WorkloadIdentityNotConfigured => "workload identity not configured (skipped)",
        P::FederatedTokenFileUnreadable => "the federated token file cannot be read",
        P::ManagedIdentityUnreachable => "no managed identity endpoint (not on Azure?)",
        P::ManagedIdentityNotAssigned => "no managed identity is assigned to this resource",
        P::ManagedIdentityNotFound => "the requested managed identity is not assigned here",
        P::ManagedIdentityAmbiguous => "several user-assigned identities, none chosen",
        P::ManagedIdentityTenantClash => "a tenant was asked of a managed-identity login",
        P::AppServiceIdentityFailed => "the App Service identity endpoint refused",
        P::ManagedIdentityBadRequest => "the identity endpoint refused a malformed request",
        P::SharedTokenCacheEmpty => "no account in the shared token cache (skipped)",
        P::AzureCliNotFound => "the Azure CLI is not installed or cannot run",
        P::AzureCliNotLoggedIn => "the Azure CLI is not signed in",
        P::AzurePowerShellUnavailable => "Azure PowerShell not available (skipped)",
        P::AzureDeveloperCliUnavailable => "Azure Developer CLI not available (skipped)",
        P::DeveloperToolUnavailable => "developer tool sign-in not available (skipped)",
        P::EntraRefused => "refused by Microsoft Entra ID",
        P::NoMethodConfigured => "no method is configured",
        P::MethodNotConfigured => "not configured",
        P::MethodFailed => "failed",
        P::ConflictingMethods => "more than one method configured",
        P::DatabricksOAuthNotSupported => "the host does not serve Databricks OAuth",
        P::DatabricksLoginExpired => "the Databricks CLI login expired",
        _ => "failed for another reason",
    }
}

fn chain_advice(chain: &Chain, a: &CredentialAttempt, k: &Known<'_>) -> Advice {
    let mut cause = k.fill(&a.cause);
    if !a.said.is_empty() {
        cause.push_str(&format!(
            " It said: \"{}\"",
            entra_token::text::clip(&a.said, 300)
        ));
    }
    let mut steps = vec![k.fill(&a.fix)];
    if a.problem == ChainProblem::NoMethodConfigured {
        let set: Vec<&str> = chain.config.iter().map(|s| s.name.as_str()).collect();
        if !set.is_empty() {
            steps.push(format!("Settings the SDK saw: {}.", set.join(", ")));
        }
    }
    k.tenant_id_hint(&mut steps);
    Advice {
        code: None,
        title: format!("{}: {}", a.credential, chain_label(a.problem)),
        cause,
        steps,
        links: Vec::new(),
    }
}

fn problem_label(p: DatabricksProblem) -> &'static str {
    match p {
        DatabricksProblem::WrongAudience => "the token is for another audience (aud)",
        DatabricksProblem::WrongIssuer => "the token comes from another tenant or issuer (iss)",
        DatabricksProblem::WrongClaim => "a claim has an unexpected value",
        DatabricksProblem::Expired => "the token has expired",
        DatabricksProblem::InvalidToken => "invalid access token",
        DatabricksProblem::NotAuthorized => "the identity is not a user of the workspace",
        DatabricksProblem::IpBlocked => "the caller's IP address is blocked",
        DatabricksProblem::CredentialNotSent => "no bearer token was sent",
        DatabricksProblem::OAuthConfig => "unable to load the OAuth configuration",
        DatabricksProblem::Unauthorized => "unauthorized (401)",
        DatabricksProblem::Forbidden => "forbidden (403)",
        DatabricksProblem::MissingClaim => "the token lacks a claim Databricks requires",
        DatabricksProblem::NotYetValid => "the token is not valid yet (nbf)",
        DatabricksProblem::BadSignature => "the token's signature does not verify",
        DatabricksProblem::Malformed => "not a well-formed signed JWT",
        DatabricksProblem::Deactivated => "the identity is deactivated in the workspace",
        DatabricksProblem::PatsDisabled => "personal access tokens are disabled",
        DatabricksProblem::OAuthInvalidClient => {
            "OAuth client authentication failed (invalid_client)"
        }
        DatabricksProblem::OAuthInvalidGrant => "the OAuth grant was refused (invalid_grant)",
        DatabricksProblem::RefreshTokenInvalid => "the refresh token is invalid or expired",
        DatabricksProblem::AuthorizationCodeInvalid => "the authorization code is invalid",
        DatabricksProblem::PkceMismatch => "the PKCE code_verifier does not match",
        DatabricksProblem::RedirectUriNotRegistered => "the redirect URI is not registered",
        DatabricksProblem::OAuthAppNotEnabled => {
            "the OAuth application is not enabled for the account"
        }
        DatabricksProblem::OAuthNotSupported => "the host does not serve Databricks OAuth",
        DatabricksProblem::FederationPolicyMismatch => "no federation policy accepts the token",
        DatabricksProblem::OAuthPrincipalInactive => "the identity is not active in the workspace",
        DatabricksProblem::OAuthInvalidScope => "an unknown OAuth scope was asked for",
        DatabricksProblem::OAuthRefused => "the OAuth request was refused",
    }
}

fn code_advice(entry: &CodeEntry, k: &Known<'_>, ex: &mut Explanation) -> Advice {
    let code = entry.code;
    let title = match entry.name {
        Some(name) => format!("AADSTS{code}: {name}"),
        None => format!("AADSTS{code} (not in entra-doctor's catalogue)"),
    };
    let mut steps = vec![k.fill(&entry.fix)];
    if CONSENT.contains(&code) {
        consent_steps(code, k, ex, &mut steps);
    }
    if REDIRECT.contains(&code) {
        redirect_steps(code, k, ex, &mut steps);
    }
    if MFA_CA.contains(&code) {
        mfa_steps(k, &mut steps);
    }
    if SECRET.contains(&code) {
        secret_steps(code, k, &mut steps);
    }
    if PUBLIC.contains(&code) {
        public_client_steps(code, k, &mut steps);
    }
    if WRONG_PLACE.contains(&code) {
        wrong_place_steps(code, k, &mut steps);
    }
    if WRONG_USER.contains(&code) {
        if let Some(t) = k.tenant {
            steps.push(format!("To let an outside user in, invite them as a guest of `{t}` (Entra admin center > Users > New user > Invite external user) and have them accept; then add them to the Databricks workspace."));
        }
    }
    if RESOURCE.contains(&code) || SCOPE.contains(&code) {
        resource_steps(code, k, &mut steps);
    }
    if FEDERATION.contains(&code) {
        federation_steps(code, k, &mut steps);
    }
    if SIGN_IN_AGAIN.contains(&code) {
        steps.push(format!(
            "Sign in again to get a new refresh token: `az login{}` for the Azure CLI, or the interactive or device-code flow of your tool. For unattended jobs use a service principal (client secret, certificate or workload identity federation) instead of a user's refresh token.",
            k.tenant_flag()
        ));
    }
    k.tenant_id_hint(&mut steps);
    Advice {
        code: Some(code),
        title,
        cause: k.fill(&entry.cause),
        steps,
        links: vec![entry.lookup_url.clone()],
    }
}

fn consent_steps(code: u32, k: &Known<'_>, ex: &mut Explanation, steps: &mut Vec<String>) {
    match (k.tenant, k.client) {
        (Some(t), Some(c)) => {
            let url = admin_consent_url(&k.host, t, c);
            steps.push(format!("Admin-consent URL for this app in this tenant (open it as a Global, Privileged Role or Cloud Application Administrator; it grants every permission the registration lists): {url}"));
            ex.admin_consent_url.get_or_insert(url);
        }
        (_, c) => steps.push(format!(
            "The admin-consent URL is {}/{}/adminconsent?client_id={}; give the tenant and client ID to get it filled in.",
            k.host,
            k.tenant_or("<tenant>"),
            c.unwrap_or("<client-id>")
        )),
    }
    if k.resource_is_databricks() {
        if code != 65001 {
            steps.push(format!("For Azure Databricks the permission to list is AzureDatabricks > Delegated > `user_impersonation` (resource {AZURE_DATABRICKS})."));
        }
    } else if let Some(r) = k.resource {
        let name = resources::lookup(r)
            .map_or_else(|| format!("`{r}`"), |res| format!("{} (`{r}`)", res.name));
        steps.push(format!("The API requested is {name}: the app registration must list a permission of that API, and consent must be granted for it."));
    }
    match k.flow {
        Some(Flow::ClientCredentials) => steps.push(
            "With client credentials there is no user to consent: application permissions need admin consent. Azure Databricks has no application permissions at all: a service principal gets access by being added to the workspace, and requests scope 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default.".into(),
        ),
        Some(f) if !f.is_interactive() => steps.push(format!(
            "Your flow ({}) cannot show a consent prompt, so consent must exist before it runs: one interactive sign-in by the user (accepting the prompt), or admin consent.",
            f.label()
        )),
        _ => {}
    }
}

fn redirect_steps(code: u32, k: &Known<'_>, ex: &mut Explanation, steps: &mut Vec<String>) {
    let needed = k.flow.and_then(Flow::needed_platform);
    match k.redirect {
        Some(requested) if !k.registered.is_empty() || code == 500113 => {
            let cmp = compare_registered(requested, &k.registered, needed);
            steps.extend(cmp.advice.iter().cloned());
            if ex.redirect.is_none() {
                ex.redirect = Some(cmp);
            }
        }
        Some(requested) => steps.push(format!(
            "The request used `{requested}`. Register exactly that under {} or pass the registered redirect URIs (or the app manifest) to see exactly what differs.",
            needed.unwrap_or(Platform::PublicClient).label()
        )),
        None => steps.push("The redirect URI the client sent is the redirect_uri parameter of the /authorize URL (visible in the browser's address bar when the error page shows).".into()),
    }
    if let Some(c) = k.client {
        steps.push(format!(
            "See what is registered: App registrations > {c} > Authentication, or `az ad app show --id {c} --query \"{{web:web.redirectUris, publicClient:publicClient.redirectUris, spa:spa.redirectUris}}\"`."
        ));
    }
}

fn mfa_steps(k: &Known<'_>, steps: &mut Vec<String>) {
    if k.flow_is(&[Flow::UsernamePassword]) {
        steps.push(format!(
            "You use username-password (ROPC), which cannot do MFA, device checks or most Conditional Access requirements, however the policy is set. Switch to device code (`az login --use-device-code{}`) or interactive browser sign-in; for unattended jobs use a service principal.",
            k.tenant_flag()
        ));
    } else if k.flow_is(&[Flow::RefreshToken, Flow::OnBehalfOf]) {
        steps.push(format!(
            "A {} request cannot satisfy the requirement: send the user through an interactive sign-in, passing the claims challenge if the error carried one.",
            k.flow.map_or("silent", Flow::label)
        ));
    } else if k.flow_is(&[
        Flow::ClientCredentials,
        Flow::ManagedIdentity,
        Flow::WorkloadIdentity,
    ]) {
        steps.push("Conditional Access for workload identities applies to this service principal: an administrator must check the policy's conditions (locations, risk) for it.".into());
    }
    if k.report.claims.is_some() {
        steps.push("The error carried a `claims` challenge: pass it unchanged to the next interactive request (MSAL: WithClaims / claims_challenge; az login --claims-challenge).".into());
    }
    if let Some(corr) = &k.report.correlation_id {
        steps.push(format!("An administrator can see which policy applied: Entra admin center > Monitoring & health > Sign-in logs, search correlation ID {corr}, then the Conditional Access tab."));
    }
}

fn secret_steps(code: u32, k: &Known<'_>, steps: &mut Vec<String>) {
    let Some(c) = k.client else { return };
    if matches!(code, 50012 | 700024 | 700027) {
        steps.push(format!("List the certificates registered on the app with their thumbprints and end dates: `az ad app credential list --id {c} --cert`."));
    } else {
        steps.push(format!(
            "List the app's secrets with their IDs and end dates (values are never shown again): `az ad app credential list --id {c}`. Create a new one: `az ad app credential reset --id {c} --append --display-name <name> --years 1`, and use the `password` it prints: that is the secret Value."
        ));
    }
}

fn public_client_steps(code: u32, k: &Known<'_>, steps: &mut Vec<String>) {
    let app = k.client.unwrap_or("<client-id>");
    if code == 7000218 {
        if k.flow_is(&[Flow::ClientCredentials, Flow::WebApp, Flow::OnBehalfOf]) {
            steps.push(format!("Your flow ({}) is a confidential-client flow: it must send the client secret or a certificate-signed client assertion.", k.flow.map_or("", Flow::label)));
        } else {
            steps.push(format!("Allow public client flows on app {app}: Authentication > Advanced settings > Allow public client flows = Yes, or `az ad app update --id {app} --is-fallback-public-client true`."));
        }
    } else {
        steps.push(format!("Either stop sending a secret from the public client, or make app {app} confidential: `az ad app update --id {app} --is-fallback-public-client false`."));
    }
}

fn wrong_place_steps(code: u32, k: &Known<'_>, steps: &mut Vec<String>) {
    if let Some(t) = k.tenant {
        match code {
            90002 => steps.push(format!("`{t}` is not a tenant Entra knows here: `az account tenant list` and `az account show --query tenantId` show the tenant IDs you can use; check the cloud (authority host) too.")),
            700016 | 700011 => {
                let app = k.client.unwrap_or("<client-id>");
                steps.push(format!(
                    "Check the app exists in tenant `{t}`: `az login --tenant {t} --allow-no-subscriptions`, then `az ad app show --id {app}` (the registration) and `az ad sp show --id {app}` (its service principal in this tenant)."
                ));
                if let Some(c) = k.client {
                    steps.push(format!("If it is a multi-tenant app registered elsewhere, an administrator of `{t}` can add it by consenting: {}", admin_consent_url(&k.host, t, c)));
                }
            }
            _ => steps.push(format!("Use the tenant-specific authority {}/{t} (for the Databricks SDK and CLI: azure_tenant_id or ARM_TENANT_ID = {t}).", k.host)),
        }
    } else if let Some(name) = k.tenant_name {
        let name = entra_token::text::clip(name, 80);
        match code {
            90002 => steps.push(format!("'{name}' is neither a tenant ID nor a domain: sign in with the tenant's ID (a GUID) or a verified domain such as contoso.onmicrosoft.com; `az account tenant list` shows the tenant IDs you can use.")),
            700016 | 700011 => {
                let app = k.client.unwrap_or("<client-id>");
                steps.push(format!(
                    "Check the app exists in the directory '{name}': `az login --tenant <tenant-id> --allow-no-subscriptions`, then `az ad app show --id {app}` (the registration) and `az ad sp show --id {app}` (its service principal in this tenant)."
                ));
                if k.client.is_some() {
                    steps.push(format!("If it is a multi-tenant app registered elsewhere, an administrator of '{name}' can add it by consenting: {}/<tenant-id>/adminconsent?client_id={app}", k.host));
                }
            }
            _ => steps.push(format!("Use the tenant-specific authority {}/<tenant-id> with the ID of the directory '{name}' (for the Databricks SDK and CLI: azure_tenant_id or ARM_TENANT_ID = <tenant-id>).", k.host)),
        }
    } else if code != 90002 {
        steps.push(format!("Use the tenant-specific authority {}/<tenant-id> with the ID of the tenant that holds the Databricks workspace (`az account show --query tenantId`).", k.host));
    }
}

/// Names the claim of the external token that matched no federated
/// credential, with the value Entra saw, and how to compare it.
fn federation_steps(code: u32, k: &Known<'_>, steps: &mut Vec<String>) {
    let h = &k.report.hints;
    let app = k.client.unwrap_or("<client-id>");
    let shown = |v: &Option<String>| v.as_deref().map(|v| entra_token::text::clip(v, 300));
    let (iss, sub, aud) = (
        shown(&h.assertion_issuer),
        shown(&h.assertion_subject),
        shown(&h.assertion_audience),
    );
    let list = |query: &str| {
        format!("`az ad app federated-credential list --id {app} --query \"{query}\" -o table`")
    };
    match code {
        700211 => steps.push(match &iss {
            Some(v) => format!("The claim that differs is the issuer (iss): the token has `{v}` and no federated credential of app {app} has exactly that issuer. List them with {}.", list("[].{name:name, issuer:issuer}")),
            None => format!("The claim that differs is the issuer (iss): compare the token's iss (`entra-doctor decode` on it) with {}.", list("[].{name:name, issuer:issuer}")),
        }),
        700212 => steps.push(match &aud {
            Some(v) => format!("The claim that differs is the audience (aud): the token has `{v}`, which no federated credential of app {app} lists. List them with {}.", list("[].{name:name, audiences:audiences}")),
            None => format!("The claim that differs is the audience (aud): compare the token's aud with {}.", list("[].{name:name, audiences:audiences}")),
        }),
        700213 | 7002138 => {
            steps.push(match &sub {
                Some(v) => format!("The claim that differs is the subject (sub): the token has `{v}` and no federated credential of app {app} has exactly that subject{}. List them with {}.", if code == 7002138 { " (one has it in other letter case)" } else { "" }, list("[].{name:name, subject:subject}")),
                None => format!("The claim that differs is the subject (sub): compare the token's sub with {}.", list("[].{name:name, subject:subject}")),
            });
            if let Some(v) = &sub {
                if let Some(hint) = subject_hint(v) {
                    steps.push(hint);
                }
            }
        }
        70021 => {
            let said: Vec<String> = [("iss", &iss), ("sub", &sub), ("aud", &aud)]
                .iter()
                .filter_map(|(n, v)| v.as_ref().map(|v| format!("{n} `{v}`")))
                .collect();
            let what = if said.is_empty() {
                "Decode the external token (`entra-doctor decode`) and compare its iss, sub and aud".to_owned()
            } else {
                format!("The token has {}: compare each", said.join(", "))
            };
            steps.push(format!("{what} with every federated credential of app {app}, exactly and case-sensitively: {}. Usually the subject differs (another branch, environment, pull request or service account).", list("[].{name:name, issuer:issuer, subject:subject, audiences:audiences}")));
            if let Some(hint) = sub.as_deref().and_then(subject_hint) {
                steps.push(hint);
            }
        }
        700024 => {
            if let Some(e) = &h.assertion_expires {
                steps.push(format!("The assertion expired at {e} (the claim concerned is exp): it was read or made too early, or kept and reused."));
            }
        }
        _ => {}
    }
}

/// What a GitHub or Kubernetes subject says, for a subject mismatch.
fn subject_hint(sub: &str) -> Option<String> {
    if let Some(rest) = sub.strip_prefix("repo:") {
        let repo = rest.split(':').next().unwrap_or(rest);
        let kind = if rest.contains(":environment:") {
            "a job that names an environment (GitHub then sends the environment, never the branch)"
        } else if rest.contains(":pull_request") {
            "a pull-request run"
        } else if rest.contains(":ref:refs/tags/") {
            "a tag"
        } else if rest.contains(":ref:refs/heads/") {
            "a branch"
        } else {
            "a customised subject template"
        };
        let ids = if repo.contains('@') {
            " The owner and repository carry numeric IDs (`owner@id/repo@id`): the repository uses GitHub's immutable subject format, so a credential written with the plain names does not match; read the exact prefix with `gh api repos/<owner>/<repo>/actions/oidc/customization/sub`."
        } else {
            ""
        };
        return Some(format!("This is a GitHub Actions subject for repository `{repo}`, from {kind}. Register a credential with exactly this subject, or add one per branch or environment you deploy from.{ids}"));
    }
    sub.strip_prefix("system:serviceaccount:").map(|rest| {
        let (ns, sa) = rest.split_once(':').unwrap_or((rest, ""));
        format!("This is a Kubernetes service-account subject (namespace `{ns}`, service account `{sa}`): the credential's subject must be exactly `system:serviceaccount:{ns}:{sa}`, and the pod must run under that service account (and, for AKS workload identity, carry the label azure.workload.identity/use: \"true\").")
    })
}

fn resource_steps(code: u32, k: &Known<'_>, steps: &mut Vec<String>) {
    let Some(r) = k.resource else {
        if SCOPE.contains(&code) {
            steps.push(format!(
                "For Azure Databricks request the scope `{AZURE_DATABRICKS}/.default`."
            ));
        }
        return;
    };
    let base = r.trim_end_matches("/.default").trim_end_matches('/');
    if r.to_ascii_lowercase().contains("azuredatabricks.net") {
        steps.push(format!(
            "`{r}` is a workspace URL; Entra knows Azure Databricks only by its application ID. Request resource {AZURE_DATABRICKS} (scope `{AZURE_DATABRICKS}/.default`) and use the workspace URL only as the API host."
        ));
    } else if base.eq_ignore_ascii_case(AZURE_DATABRICKS) {
        if RESOURCE.contains(&code) {
            steps.push(format!(
                "Check the Azure Databricks service principal exists in {}: `az ad sp show --id {AZURE_DATABRICKS}`; if it does not, an administrator runs `az ad sp create --id {AZURE_DATABRICKS}`, or a workspace is created in a subscription of this tenant.",
                k.tenant.map_or_else(|| "the tenant".to_owned(), |t| format!("tenant `{t}`"))
            ));
        } else {
            steps.push(format!(
                "Request exactly the scope `{AZURE_DATABRICKS}/.default`."
            ));
        }
    } else {
        match resources::lookup(base) {
            Some(res) => steps.push(format!(
                "The resource requested is {} (`{r}`); for Azure Databricks request `{AZURE_DATABRICKS}/.default` instead.",
                res.name
            )),
            None => steps.push(format!(
                "The resource `{r}` is not a Microsoft API entra-doctor knows: check its application ID or App ID URI (scope `{base}/.default`)."
            )),
        }
    }
}

fn databricks_advice(f: &DatabricksFinding, k: &Known<'_>) -> Advice {
    let mut steps = vec![f.fix.clone()];
    match f.problem {
        DatabricksProblem::WrongAudience => {
            if let Some(t) = k.tenant {
                steps.push(format!("With your tenant: `az account get-access-token --resource {AZURE_DATABRICKS} --tenant {t}`."));
            }
            steps.push("Check the new token with `entra-doctor check` before calling Databricks: aud must be 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d.".into());
        }
        DatabricksProblem::WrongIssuer => {
            let found = f.found.as_deref().and_then(issuer_tenant);
            let expected = f.expected.as_deref().and_then(issuer_tenant);
            if let (Some(t), Some(found)) = (k.tenant, found) {
                if !t.eq_ignore_ascii_case(found)
                    && expected.is_some_and(|e| e.eq_ignore_ascii_case(t))
                {
                    steps.push(format!("Your configured tenant `{t}` is right, but the token came from `{found}`: the tool is not using it (an old cached login, or a default tenant)."));
                }
            }
        }
        DatabricksProblem::NotAuthorized => {
            if let Some(c) = k.client {
                steps.push(format!("For a service principal, add it to the workspace by its application ID `{c}` (Settings > Identity and access > Service principals > Add > Microsoft Entra ID managed)."));
            }
        }
        _ => {}
    }
    k.tenant_id_hint(&mut steps);
    Advice {
        code: None,
        title: format!("Azure Databricks: {}", problem_label(f.problem)),
        cause: f.cause.clone(),
        steps,
        links: Vec::new(),
    }
}

fn notes(report: &ErrorReport, k: &Known<'_>) -> Vec<String> {
    let mut notes = Vec::new();
    let ids: Vec<String> = [
        ("correlation ID", &report.correlation_id),
        ("trace (request) ID", &report.trace_id),
        ("timestamp", &report.timestamp),
    ]
    .iter()
    .filter_map(|(label, v)| v.as_ref().map(|v| format!("{label} {v}")))
    .collect();
    if !ids.is_empty() {
        notes.push(format!(
            "For an administrator or Microsoft support: {}. The sign-in is in the Entra admin center under Monitoring & health > Sign-in logs (filter by correlation ID or request ID), with the failure reason and any Conditional Access policy applied.",
            ids.join(", ")
        ));
    }
    if report.library == Some("azure-identity") && report.codes.len() > 1 {
        notes.push("azure-identity's chained credentials (DefaultAzureCredential) try several ways to sign in; each code above comes from a different credential. Fix the one you mean to use, or select it explicitly.".into());
    }
    if let Some(c) = report.chain.as_ref().filter(|c| {
        matches!(
            c.name.as_str(),
            "DefaultAzureCredential" | "ChainedTokenCredential"
        )
    }) {
        notes.push(format!("{} tries its credentials in the order above and stops at the first that gets a token: the ones marked skipped only say they did not apply here. Fix the one you mean to use, or use that credential directly (ManagedIdentityCredential, WorkloadIdentityCredential, AzureCliCredential, …) so the error is its own.", c.name));
    }
    if k.host != DEFAULT_AUTHORITY_HOST {
        notes.push(format!("Authority host in use: {}.", k.host));
    }
    notes
}

/// What an OAuth error string means and what to do: `(cause, fix)`.
pub(crate) fn oauth_guidance(error: &str) -> Option<(&'static str, &'static str)> {
    Some(match error.trim().to_ascii_lowercase().as_str() {
        "invalid_request" => ("The request is malformed: a parameter is missing, repeated or invalid.", "Compare the request with the protocol: endpoint, HTTP method (POST for /token), form encoding and each parameter."),
        "invalid_grant" => ("The grant (code, refresh token, password or assertion) is invalid, expired, revoked, or needs something the request did not give.", "Get a new grant by signing in again; read the AADSTS code in the description for the precise reason."),
        "unauthorized_client" => ("The client is not allowed to use this grant type, or is not known or enabled in the tenant.", "Check the client ID and tenant, and that the app registration allows this flow."),
        "invalid_client" => ("Client authentication failed: wrong or expired secret or certificate, or credentials missing where required.", "Check the client secret Value (not its ID) or certificate, and whether the app should be a public client."),
        "unsupported_grant_type" => ("The grant_type is not supported here.", "Use a grant type the endpoint supports for this app."),
        "unsupported_response_type" => ("The response_type is not enabled for this app.", "Use response_type=code with PKCE, or enable the implicit grant type you need."),
        "invalid_resource" => ("The resource does not exist or is not set up in the tenant.", "For Azure Databricks use resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d in the workspace's tenant."),
        "invalid_scope" | "invalid_target" => ("The scope is invalid for this request.", "For Azure Databricks request 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default."),
        "interaction_required" => ("The user must interact (MFA, consent, Conditional Access) before a token is issued.", "Retry with an interactive or device-code sign-in."),
        "login_required" => ("There is no usable session for a silent sign-in.", "Retry interactively."),
        "consent_required" => ("Consent is missing for the permissions requested.", "Have the user consent interactively, or an administrator grant consent: https://login.microsoftonline.com/<tenant>/adminconsent?client_id=<client-id>."),
        "access_denied" => ("The user or an administrator declined, or policy denied the request.", "Retry and accept the prompt; if a policy denied it, check the sign-in logs."),
        "temporarily_unavailable" | "server_error" => ("A temporary failure at the sign-in service.", "Retry after a short wait."),
        "authorization_pending" => ("Device code flow: the user has not finished signing in yet.", "Keep polling at the given interval."),
        "slow_down" => ("Device code flow: polling too fast.", "Poll less often (add 5 seconds to the interval)."),
        "authorization_declined" => ("Device code flow: the user declined.", "Start again and approve the sign-in."),
        "bad_verification_code" => ("Device code flow: the device code sent is not recognised.", "Send the device_code returned by the devicecode endpoint, unchanged."),
        "expired_token" => ("Device code flow: the code expired before the user finished.", "Start a new device-code sign-in."),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    const TENANT: &str = "aaaaaaaa-1111-4111-8111-111111111111";
    const CLIENT: &str = "0d0c1e2a-1111-4222-8333-444455556666";

    fn ctx() -> Context {
        Context {
            tenant: Some(TENANT.into()),
            client_id: Some(CLIENT.into()),
            ..Context::default()
        }
    }

    #[test]
    fn a_directory_display_name_is_never_used_as_a_tenant() {
        let r = parse("AADSTS700016: Application with identifier '0d0c1e2a-1111-4222-8333-444455556666' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant.").unwrap();
        let ctx = Context {
            client_id: Some(CLIENT.into()),
            ..Context::default()
        };
        let ex = explain(&r, &ctx);
        let steps = ex.advice[0].steps.join("\n");
        assert!(!steps.contains("--tenant Contoso"), "{steps}");
        assert!(!steps.contains("/Contoso/"), "{steps}");
        assert!(steps.contains("az login --tenant <tenant-id>"), "{steps}");
        assert!(
            steps.contains("/<tenant-id>/adminconsent?client_id="),
            "{steps}"
        );
        assert!(steps.contains("Overview > Tenant ID"), "{steps}");
        assert!(
            steps.contains("az account show --query tenantId"),
            "{steps}"
        );
        assert!(ex.admin_consent_url.is_none());
        // The same for consent errors and for a name given as --tenant.
        let ex = explain(
            &parse("AADSTS65001").unwrap(),
            &Context {
                tenant: Some("Contoso Ltd".into()),
                ..ctx.clone()
            },
        );
        let steps = ex.advice[0].steps.join("\n");
        assert!(!steps.contains("Contoso Ltd/"), "{steps}");
        assert!(steps.contains("/<tenant-id>/adminconsent"), "{steps}");
        assert!(
            steps.contains("'Contoso Ltd' is the directory's display name"),
            "{steps}"
        );
        assert!(ex.admin_consent_url.is_none());
        // A GUID or a domain is still used as given.
        for t in [TENANT, "contoso.onmicrosoft.com"] {
            let ex = explain(
                &r,
                &Context {
                    tenant: Some(t.into()),
                    ..ctx.clone()
                },
            );
            let steps = ex.advice[0].steps.join("\n");
            assert!(
                steps.contains(&format!("az login --tenant {t} ")),
                "{steps}"
            );
            assert!(!steps.contains("display name"), "{steps}");
        }
    }

    #[test]
    fn consent_url_is_built_for_this_tenant_and_client() {
        assert_eq!(
            admin_consent_url(DEFAULT_AUTHORITY_HOST, TENANT, CLIENT),
            format!("https://login.microsoftonline.com/{TENANT}/adminconsent?client_id={CLIENT}")
        );
        assert_eq!(
            admin_consent_url("https://login.microsoftonline.us/", "t x", "c&d"),
            "https://login.microsoftonline.us/t%20x/adminconsent?client_id=c%26d"
        );
        let r = parse("AADSTS65001: The user or administrator has not consented to use the application with ID '0d0c1e2a-1111-4222-8333-444455556666' named 'dbx-tool'.").unwrap();
        let ex = explain(&r, &ctx());
        let url =
            format!("https://login.microsoftonline.com/{TENANT}/adminconsent?client_id={CLIENT}");
        assert_eq!(ex.admin_consent_url.as_deref(), Some(url.as_str()));
        let steps = ex.advice[0].steps.join("\n");
        assert!(steps.contains("user_impersonation"));
        assert!(steps.contains(&url));
        assert!(!steps.contains("<tenant>") && !steps.contains("<client-id>"));
        assert_eq!(ex.headline, "AADSTS65001 DelegationDoesNotExist");
    }

    #[test]
    fn consent_uses_hints_and_authority_host() {
        let r = parse("AADSTS65001: The user or administrator has not consented to use the application with ID '0d0c1e2a-1111-4222-8333-444455556666' named 'dbx-tool'.").unwrap();
        let c = Context {
            tenant: Some("contoso.example".into()),
            authority_host: Some("https://login.microsoftonline.us".into()),
            flow: Some("ROPC".into()),
            ..Context::default()
        };
        let ex = explain(&r, &c);
        assert_eq!(ex.admin_consent_url.as_deref(), Some("https://login.microsoftonline.us/contoso.example/adminconsent?client_id=0d0c1e2a-1111-4222-8333-444455556666"));
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("cannot show a consent prompt")));
        // Without tenant and client the placeholders stay, clearly marked.
        let ex = explain(&parse("65001").unwrap(), &Context::default());
        assert!(ex.admin_consent_url.is_none());
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("/<tenant>/adminconsent?client_id=<client-id>")));
    }

    #[test]
    fn redirect_mismatch_is_pinpointed() {
        let r = parse("AADSTS50011: The redirect URI 'http://localhost:8020/' specified in the request does not match the redirect URIs configured for the application '0d0c1e2a-1111-4222-8333-444455556666'.").unwrap();
        let c = Context {
            registered_redirect_uris: vec![
                "http://localhost:8020".into(),
                "https://app.example.com/cb".into(),
            ],
            ..Context::default()
        };
        let ex = explain(&r, &c);
        let cmp = ex.redirect.as_ref().unwrap();
        assert_eq!(cmp.requested, "http://localhost:8020/");
        assert_eq!(cmp.nearest.as_ref().unwrap().url, "http://localhost:8020");
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("Trailing slash")));
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("az ad app show --id 0d0c1e2a-1111-4222-8333-444455556666")));
    }

    #[test]
    fn redirect_platform_mismatch_from_manifest() {
        let manifest = r#"{"web": {"redirectUris": ["http://localhost:8020"]}, "publicClient": {"redirectUris": []}}"#;
        let c = Context {
            flow: Some("interactive".into()),
            redirect_uri: Some("http://localhost:8020".into()),
            registered: super::super::registered_from_manifest(manifest).unwrap(),
            ..Context::default()
        };
        let ex = explain(&parse("AADSTS50011").unwrap(), &c);
        let cmp = ex.redirect.unwrap();
        assert!(cmp.platform_mismatch.is_some());
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("Platform mismatch")));
    }

    #[test]
    fn mfa_with_ropc_says_switch_flow() {
        let r = parse(r#"{"error":"invalid_grant","error_description":"AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.","error_codes":[50076],"correlation_id":"c0ffee00-1234-4abc-8def-0123456789ab"}"#).unwrap();
        let c = Context {
            flow: Some("password".into()),
            tenant: Some(TENANT.into()),
            ..Context::default()
        };
        let ex = explain(&r, &c);
        let steps = ex.advice[0].steps.join("\n");
        assert!(steps
            .contains("az login --use-device-code --tenant aaaaaaaa-1111-4111-8111-111111111111"));
        assert!(steps.contains("c0ffee00-1234-4abc-8def-0123456789ab"));
        assert!(ex.notes[0].contains("correlation ID c0ffee00"));
        assert_eq!(
            ex.headline,
            "AADSTS50076 UserStrongAuthClientAuthNRequired (invalid_grant)"
        );
    }

    #[test]
    fn public_client_and_secrets() {
        let ex = explain(&parse("AADSTS7000218").unwrap(), &ctx());
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("--is-fallback-public-client true")));
        let ex = explain(
            &parse("AADSTS7000218").unwrap(),
            &Context {
                flow: Some("client_credentials".into()),
                ..ctx()
            },
        );
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("confidential-client flow")));
        let ex = explain(&parse("AADSTS7000215").unwrap(), &ctx());
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("az ad app credential list --id 0d0c1e2a")));
    }

    #[test]
    fn wrong_tenant_and_resource() {
        let ex = explain(&parse("AADSTS700016").unwrap(), &ctx());
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("az ad sp show --id 0d0c1e2a")));
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("/adminconsent?client_id=")));
        let ex = explain(&parse("AADSTS50194").unwrap(), &ctx());
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains(&format!("https://login.microsoftonline.com/{TENANT}"))));
        let r = parse("AADSTS500011: The resource principal named https://adb-1234567890123456.7.azuredatabricks.net was not found in the tenant named Contoso.").unwrap();
        let ex = explain(&r, &Context::default());
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("is a workspace URL")));
        let ex = explain(
            &parse("AADSTS500011").unwrap(),
            &Context {
                resource: Some(AZURE_DATABRICKS.into()),
                ..ctx()
            },
        );
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("az ad sp create --id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d")));
        let ex = explain(
            &parse("AADSTS70011").unwrap(),
            &Context {
                resource: Some("https://management.azure.com/".into()),
                ..ctx()
            },
        );
        assert!(ex.advice[0]
            .steps
            .iter()
            .any(|s| s.contains("Azure Resource Manager")));
    }

    #[test]
    fn databricks_answers_are_explained() {
        let body = r#"{"error_code":"401","message":"io.jsonwebtoken.IncorrectClaimException: Expected aud claim to be: 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, but was: https://management.core.windows.net/."}"#;
        let ex = explain(&parse(body).unwrap(), &ctx());
        assert_eq!(ex.kind, InputKind::DatabricksResponse);
        assert!(ex.headline.contains("another audience"));
        let steps = ex.advice[0].steps.join("\n");
        assert!(steps.contains(
            "az account get-access-token --resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
        ));
        assert!(steps.contains(&format!("--tenant {TENANT}")));
        let ex = explain(&parse("Error 400 User not authorized.").unwrap(), &ctx());
        assert!(ex.advice[0].steps.iter().any(|s| s.contains(CLIENT)));
    }

    #[test]
    fn bare_oauth_error_and_unknown_code() {
        let ex = explain(
            &parse("https://app.example.com/cb?error=consent_required&state=1").unwrap(),
            &ctx(),
        );
        assert_eq!(ex.advice.len(), 1);
        assert!(
            ex.advice[0].steps[0].contains(&format!("{TENANT}/adminconsent?client_id={CLIENT}"))
        );
        let ex = explain(&parse("AADSTS4242424").unwrap(), &Context::default());
        assert!(ex.advice[0]
            .title
            .contains("not in entra-doctor's catalogue"));
        assert_eq!(
            ex.advice[0].links,
            vec!["https://login.microsoftonline.com/error?code=4242424".to_owned()]
        );
    }

    #[test]
    fn flows_and_serialisation() {
        assert_eq!(Flow::from_name("Device-Code"), Flow::DeviceCode);
        assert_eq!(Flow::from_name("ROPC"), Flow::UsernamePassword);
        assert_eq!(Flow::from_name("m2m"), Flow::ClientCredentials);
        assert_eq!(Flow::from_name("whatever"), Flow::Other);
        assert_eq!(
            Flow::DeviceCode.needed_platform(),
            Some(Platform::PublicClient)
        );
        let ex = explain(
            &parse("AADSTS50011").unwrap(),
            &Context {
                redirect_uri: Some("http://localhost:8020".into()),
                registered_redirect_uris: vec!["http://127.0.0.1:8020".into()],
                ..ctx()
            },
        );
        let json = serde_json::to_value(&ex).unwrap();
        assert_eq!(json["kind"], "bare_code");
        assert_eq!(json["redirect"]["differences"][0]["kind"], "loopback_name");
        let report = serde_json::to_value(parse("AADSTS50011").unwrap()).unwrap();
        assert_eq!(
            report["entries"][0]["lookup_url"],
            "https://login.microsoftonline.com/error?code=50011"
        );
    }
}
