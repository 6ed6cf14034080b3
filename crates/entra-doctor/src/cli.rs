//! Command-line arguments. clap lives here and nowhere else; commands get
//! plain values.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Why does my Entra ID token not work with Azure Databricks? entra-doctor
/// decodes, checks and explains Microsoft Entra ID tokens, privately, on
/// your machine.
#[derive(Debug, Parser)]
#[command(name = "entra-doctor", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show a token's header and claims, each explained, with a summary.
    Decode(DecodeArgs),
    /// Check a token against every rule Azure Databricks applies.
    Check(CheckArgs),
    /// Explain an error: an AADSTS code, a token-endpoint JSON error, an MSAL
    /// or azure-identity exception, a redirect URL with error=, or a
    /// Databricks 401/403 answer.
    Explain(ExplainArgs),
    /// Serve a private token page on 127.0.0.1, and the same checks as an
    /// API and a reverse-proxy auth endpoint (GET /auth).
    Serve(ServeArgs),
    /// Get a token with a real flow (client credentials, password, auth code
    /// with PKCE, device code, Azure CLI), then check it; when Entra refuses,
    /// explain why and how to fix it.
    Token(TokenArgs),
    /// Walk through the guide's story on a local Entra ID and Databricks
    /// emulator: no Azure account needed.
    Demo(DemoArgs),
    /// Which credential will my Databricks SDK use? Resolve the settings
    /// (flags, environment, ~/.databrickscfg) and the method as the SDKs do.
    Auth(AuthArgs),
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The token: the text itself, '-' for standard input, or @FILE. Accepts
    /// 'Bearer …', an Authorization header line, or az's JSON output.
    pub token: Option<String>,
    /// Output JSON (header, payload, summary, explained claims).
    #[arg(long)]
    pub json: bool,
    /// Show relative times as of this instant (RFC 3339 or epoch seconds).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The token: the text itself, '-' for standard input, or @FILE.
    #[arg(required_unless_present = "batch", conflicts_with = "batch")]
    pub token: Option<String>,
    /// Check one token per line from FILE ('-' for standard input) on all
    /// cores; one JSON result per line on standard output, a summary on
    /// standard error.
    #[arg(long, value_name = "FILE")]
    pub batch: Option<String>,
    /// Worker threads for --batch (default: all cores).
    #[arg(long, value_name = "N", requires = "batch")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Output JSON: {"valid", "complete", "summary", "findings", ...}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub online: OnlineArgs,
}

/// The online checks: signing keys by OpenID discovery, the workspace's
/// tenant, the token's membership in the workspace.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Online checks")]
pub struct OnlineArgs {
    /// The Azure Databricks workspace URL (https://adb-<id>.<n>.azuredatabricks.net).
    /// Default: DATABRICKS_HOST, or the host of --profile. The token is sent
    /// to this workspace, and to nothing else.
    #[arg(long, value_name = "URL")]
    pub workspace: Option<String>,
    /// A profile of ~/.databrickscfg (or DATABRICKS_CONFIG_FILE): its host,
    /// azure_tenant_id, azure_client_id, azure_environment.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Allow a workspace host outside *.azuredatabricks.net,
    /// *.databricks.azure.us and *.databricks.azure.cn (the token is sent to it).
    #[arg(long)]
    pub allow_any_workspace_host: bool,
    /// Entra ID authority host for key discovery. Default: from the token's
    /// issuer and the workspace's cloud; https://login.microsoftonline.com,
    /// https://login.microsoftonline.us, https://login.chinacloudapi.cn.
    #[arg(long, value_name = "URL")]
    pub authority: Option<String>,
    /// The application (client) ID, for application-specific signing keys
    /// (default: azure_client_id, ARM_CLIENT_ID, or the token's appid/azp).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Never use the network: keys from --jwks or the cache only.
    #[arg(long, env = "ENTRA_DOCTOR_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
    pub offline: bool,
    /// Folder of the key cache (default: the platform's cache folder,
    /// e.g. ~/.cache/entra-doctor/keys).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the key cache on disk.
    #[arg(long)]
    pub no_cache: bool,
    /// Bound on connecting to a server, in seconds.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    pub connect_timeout: std::time::Duration,
    /// Bound on each network step (connection, redirects, answer), in seconds.
    #[arg(long, value_name = "SECS", default_value = "15", value_parser = parse_secs)]
    pub timeout: std::time::Duration,
    /// Resolve HOST to ADDR; with it, every other name fails to resolve
    /// (for tests: no lookup leaves the machine).
    #[arg(long = "test-resolve", value_name = "HOST=ADDR", hide = true, value_parser = parse_resolve)]
    pub test_resolve: Vec<(String, std::net::IpAddr)>,
}

fn parse_secs(s: &str) -> Result<std::time::Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(0.05..=600.0).contains(&v) {
        return Err(format!("{v} is out of range (0.05 to 600 seconds)"));
    }
    Ok(std::time::Duration::from_secs_f64(v))
}

fn parse_resolve(s: &str) -> Result<(String, std::net::IpAddr), String> {
    let (host, addr) = s.split_once('=').ok_or("expected HOST=ADDR")?;
    let ip = addr
        .parse()
        .map_err(|_| format!("'{addr}' is not an IP address"))?;
    Ok((host.to_owned(), ip))
}

/// The rules' settings, shared by every command that checks.
#[derive(Debug, Args, Clone)]
pub struct PolicyArgs {
    /// Signing keys: a JWKS, a single JWK, a PEM certificate or public key.
    #[arg(long, value_name = "FILE")]
    pub jwks: Option<PathBuf>,
    /// Accepted audience (repeatable). Default: the Azure Databricks
    /// resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d.
    #[arg(long = "audience", value_name = "AUD")]
    pub audiences: Vec<String>,
    /// The workspace's tenant ID: the token's tid must be this.
    #[arg(long, value_name = "TENANT_ID")]
    pub tenant: Option<String>,
    /// Require exactly this issuer (for OpenID providers other than Entra).
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// Allowed signature algorithm (repeatable). Default: RS256. Also:
    /// RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA.
    #[arg(long = "alg", value_name = "ALG")]
    pub algorithms: Vec<String>,
    /// Allowed clock skew in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub skew: i64,
    /// Check as of this instant (RFC 3339 or epoch seconds), e.g. for a token
    /// taken from a log.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// `serve`: the page, the JSON API and the reverse-proxy endpoint.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on; 0 (the default) picks a free one. The URL is the
    /// first line printed on standard output.
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub port: u16,
    /// Address to listen on. Only loopback addresses are safe: anything else
    /// exposes the endpoints to the network, and is allowed with a warning.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Open the page in the default browser.
    #[arg(long)]
    pub open: bool,
    /// A further Host name the page and API answer to (repeatable); by
    /// default only 127.0.0.1, localhost and [::1], against DNS rebinding.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    /// Turn off the cache of verified tokens that GET /auth keeps (the
    /// signature outcome only; time rules run on every request).
    #[arg(long)]
    pub no_token_cache: bool,
    /// Entries in the verified-token cache.
    #[arg(long, value_name = "N", default_value_t = 32_768)]
    pub token_cache_entries: usize,
    /// Requests handled at once; more wait briefly, then get 503.
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub max_concurrent: usize,
    /// Seconds a request may take, body included, before 408/503.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub request_timeout: u64,
    /// The rules for GET /auth, and the defaults for POST /api/check.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Without --jwks, keys come from OpenID discovery (cached). With
    /// --workspace (or --profile) and no --tenant, GET /auth requires the
    /// workspace's tenant, looked up at start.
    #[command(flatten)]
    pub online: OnlineArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The error: text, '-' for standard input, or @FILE.
    pub input: Option<String>,
    /// The redirect URI the app sent (for AADSTS50011).
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// A redirect URI registered on the app (repeatable).
    #[arg(long = "registered", value_name = "URI")]
    pub registered: Vec<String>,
    /// An app-registration manifest (JSON) to read the registered URIs from.
    #[arg(long, value_name = "FILE")]
    pub app_manifest: Option<PathBuf>,
    /// The tenant the request went to.
    #[arg(long, value_name = "TENANT_ID")]
    pub tenant: Option<String>,
    /// The application (client) ID.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The flow used (client-credentials, device-code, auth-code, ropc, ...).
    #[arg(long, value_name = "FLOW")]
    pub flow: Option<String>,
    /// The resource or scope asked for.
    #[arg(long, value_name = "RESOURCE")]
    pub resource: Option<String>,
    /// The authority host (default https://login.microsoftonline.com).
    #[arg(long, value_name = "URL")]
    pub authority: Option<String>,
    /// Output JSON: {"report": ..., "explanation": ...}.
    #[arg(long)]
    pub json: bool,
}

/// The flows of `token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FlowName {
    /// Client credentials with a client secret (AZURE_CLIENT_SECRET).
    ClientSecret,
    /// Client credentials with a certificate (a signed client assertion).
    ClientCertificate,
    /// Username and password (ROPC).
    Password,
    /// Authorization code with PKCE, redirect to http://localhost:<port>.
    AuthCode,
    /// Device code: sign in on another device.
    DeviceCode,
    /// `az account get-access-token`.
    AzureCli,
}

/// `token`: get a token, then check it or explain the refusal.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The flow. Default, in azure-identity's order: client-secret with a
    /// secret, client-certificate with a certificate, password with a
    /// username, else azure-cli.
    #[arg(long, value_enum)]
    pub flow: Option<FlowName>,
    /// Use the v2.0 endpoint: scope <resource>/.default instead of resource.
    #[arg(long)]
    pub v2: bool,
    /// The resource (v1.0). Default: Azure Databricks,
    /// 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d.
    #[arg(long, value_name = "RESOURCE", conflicts_with = "scope")]
    pub resource: Option<String>,
    /// The scope (v2.0), e.g. 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default.
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,
    /// PEM file with the certificate and its private key (default:
    /// AZURE_CLIENT_CERTIFICATE_PATH).
    #[arg(long, value_name = "FILE")]
    pub certificate: Option<PathBuf>,
    /// The user, for the password flow (default AZURE_USERNAME); a login hint
    /// for the auth-code flow.
    #[arg(long, value_name = "UPN")]
    pub username: Option<String>,
    /// Read the password from the first line of standard input (else
    /// AZURE_PASSWORD, else it is asked for without echo).
    #[arg(long)]
    pub password_stdin: bool,
    /// Port of the loopback redirect for auth-code (0: a free one).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub redirect_port: u16,
    /// Do not open a browser: print the sign-in URL only.
    #[arg(long)]
    pub no_browser: bool,
    /// Let an HTTP client stand in for the browser (loopback authorities
    /// only; for tests and the demo).
    #[arg(long, hide = true)]
    pub headless_browser: bool,
    /// How long to wait for the sign-in (auth-code), in seconds.
    #[arg(long, value_name = "SECS", default_value = "300", value_parser = parse_secs)]
    pub sign_in_timeout: std::time::Duration,
    /// Show each setting and where it came from (secrets masked), and stop.
    #[arg(long)]
    pub show_config: bool,
    /// Print the token as JSON shaped like `az account get-access-token`.
    #[arg(long)]
    pub json: bool,
    /// Do not check the token after getting it.
    #[arg(long)]
    pub no_check: bool,
    /// The tenant (--tenant), and the rules of the check that follows.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The authority (--authority), the client (--client-id), the workspace
    /// for the check (--workspace, --profile) and the network bounds.
    #[command(flatten)]
    pub online: OnlineArgs,
}

/// `auth`: the settings and the method, as the Databricks SDKs choose them.
#[derive(Debug, Args)]
pub struct AuthArgs {
    /// A profile of ~/.databrickscfg (or DATABRICKS_CONFIG_FILE); default:
    /// DATABRICKS_CONFIG_PROFILE, [__settings__] default_profile, [DEFAULT].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The workspace URL (default: DATABRICKS_HOST, or the profile's host).
    #[arg(long, value_name = "URL")]
    pub host: Option<String>,
    /// Stop after resolving the settings and choosing the method: no network.
    #[arg(long)]
    pub dry_run: bool,
    /// Output JSON: {"auth_type", "host", "settings", "methods", "error"?, ...}.
    #[arg(long)]
    pub json: bool,
}

/// `demo`: the guide's story on the emulator.
#[derive(Debug, Args)]
pub struct DemoArgs {}
