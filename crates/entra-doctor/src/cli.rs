//! Command-line arguments. clap lives here and nowhere else; commands get
//! plain values.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Why does my Entra ID token not work with Azure Databricks? entra-doctor
/// decodes, checks and explains Microsoft Entra ID tokens, privately, on
/// your machine.
#[derive(Debug, Parser)]
#[command(
    name = "entra-doctor",
    version,
    about,
    long_about = None,
    max_term_width = 100,
    after_help = TOP_EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const TOP_EXAMPLES: &str = "\
Examples:
  entra-doctor check \"$DATABRICKS_TOKEN\" --tenant contoso.onmicrosoft.com
  az account get-access-token --resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d | entra-doctor decode
  entra-doctor explain AADSTS65001";

const DECODE_EXAMPLES: &str = "\
Examples:
  entra-doctor decode @token.jwt
  echo \"$TOKEN\" | entra-doctor decode --json
  entra-doctor decode \"curl -H 'Authorization: Bearer eyJ…' https://adb-1.2.azuredatabricks.net/\"";

const CHECK_EXAMPLES: &str = "\
Examples:
  entra-doctor check \"$DATABRICKS_TOKEN\" --workspace https://adb-123.4.azuredatabricks.net
  entra-doctor check @token.jwt --jwks jwks.json --tenant 8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f
  entra-doctor check --batch tokens.txt --jwks jwks.json > results.jsonl";

const EXPLAIN_EXAMPLES: &str = "\
Examples:
  entra-doctor explain AADSTS65001 --tenant contoso.onmicrosoft.com --client-id <app-id>
  entra-doctor explain 'https://localhost/?error=invalid_request&error_description=AADSTS50011…'
  pbpaste | entra-doctor explain -";

const SERVE_EXAMPLES: &str = "\
Examples:
  entra-doctor serve --open
  entra-doctor serve --port 8400 --tenant contoso.onmicrosoft.com    # GET /auth for nginx
  entra-doctor serve --workspace https://adb-123.4.azuredatabricks.net --jwks jwks.json";

const TOKEN_EXAMPLES: &str = "\
Examples:
  entra-doctor token --show-config
  TOKEN=$(entra-doctor token --flow client-secret --tenant <tenant> --client-id <app-id>)
  entra-doctor token --flow device-code --workspace https://adb-123.4.azuredatabricks.net";

const DEMO_EXAMPLES: &str = "\
Examples:
  entra-doctor demo
  entra-doctor demo --keep    # leave the emulator running; prints the exports for another terminal";

const AUTH_EXAMPLES: &str = "\
Examples:
  entra-doctor auth --dry-run                  # the method the SDK will use, and why
  entra-doctor auth --profile prod --json      # ... then get its token, check it, ask the workspace
  DATABRICKS_CONFIG_PROFILE=dev entra-doctor auth --dry-run";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  entra-doctor completions bash > ~/.local/share/bash-completion/completions/entra-doctor
  entra-doctor completions zsh > \"${fpath[1]}/_entra-doctor\"
  entra-doctor completions fish > ~/.config/fish/completions/entra-doctor.fish";

const MAN_EXAMPLES: &str = "\
Examples:
  entra-doctor man | man -l -
  entra-doctor man > ~/.local/share/man/man1/entra-doctor.1";

impl Cli {
    /// Whether the command was asked for JSON output (errors are JSON then).
    pub fn json(&self) -> bool {
        match &self.command {
            Command::Decode(a) => a.json,
            Command::Check(a) => a.json,
            Command::Explain(a) => a.json,
            Command::Token(a) => a.json,
            Command::Auth(a) => a.json,
            Command::Serve(_) | Command::Demo(_) | Command::Completions(_) | Command::Man => false,
        }
    }
}

impl Command {
    /// The command's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Decode(_) => "decode",
            Command::Check(_) => "check",
            Command::Explain(_) => "explain",
            Command::Serve(_) => "serve",
            Command::Token(_) => "token",
            Command::Demo(_) => "demo",
            Command::Auth(_) => "auth",
            Command::Completions(_) => "completions",
            Command::Man => "man",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show a token's header and claims, each explained, with a summary.
    #[command(after_help = DECODE_EXAMPLES)]
    Decode(DecodeArgs),
    /// Check a token against every rule Azure Databricks applies.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Explain an error: an AADSTS code, a token-endpoint JSON error, an MSAL
    /// or azure-identity exception, a redirect URL with error=, or a
    /// Databricks 401/403 answer.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainArgs),
    /// Serve a private token page on 127.0.0.1, and the same checks as an
    /// API and a reverse-proxy auth endpoint (GET /auth).
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Get a token with a real flow (client credentials, password, auth code
    /// with PKCE, device code, Azure CLI), then check it; when Entra refuses,
    /// explain why and how to fix it.
    #[command(after_help = TOKEN_EXAMPLES)]
    Token(TokenArgs),
    /// Walk through the guide's story on a local Entra ID and Databricks
    /// emulator: no Azure account needed.
    #[command(after_help = DEMO_EXAMPLES)]
    Demo(DemoArgs),
    /// Which credential will my Databricks SDK use? Resolve the settings
    /// (flags, environment, ~/.databrickscfg) and the method as the SDKs do,
    /// then run it and check its token end to end.
    #[command(after_help = AUTH_EXAMPLES)]
    Auth(AuthArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print the man page (roff) of entra-doctor and its commands.
    #[command(after_help = MAN_EXAMPLES)]
    Man,
}

/// `completions`: a script for the named shell, on standard output.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The token: the text itself, '-' for standard input, or @FILE (with
    /// none, standard input when it is not a terminal). Accepts 'Bearer …',
    /// an Authorization line, a curl command, az's JSON, a URL with
    /// #access_token=, `export VAR=…`.
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
    /// The token: the text itself, '-' for standard input, or @FILE (with
    /// none, standard input when it is not a terminal).
    #[arg(conflicts_with = "batch")]
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
    /// Check the claims alone: do not verify the signature, fetch no keys.
    /// The token is then never "valid" (exit 2 when no rule failed, 1 when
    /// one did); the output says the signature was not checked. alg none
    /// and HMAC still fail.
    #[arg(long, conflicts_with = "jwks")]
    pub skip_signature: bool,
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
    /// The application (client) ID of your configuration (default:
    /// azure_client_id, ARM_CLIENT_ID). It never selects signing keys: an
    /// application's own keys (?appid=) are fetched only for the application
    /// the token is for (its aud), and verify only tokens for it.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The workspace's Azure resource ID (default: azure_workspace_resource_id,
    /// DATABRICKS_AZURE_RESOURCE_ID): for a service principal that is not a
    /// workspace member, the management-token path
    /// (X-Databricks-Azure-SP-Management-Token) is tried with it.
    #[arg(long, value_name = "ID")]
    pub workspace_resource_id: Option<String>,
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
    #[command(flatten)]
    pub net: NetArgs,
}

/// The network's bounds, the same flags for `check`, `token`, `serve` and
/// `auth`.
#[derive(Debug, Args, Clone)]
pub struct NetArgs {
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

/// The flags' defaults (5 s, 15 s, no test names), for commands that build
/// their arguments in code (`demo`).
impl Default for NetArgs {
    fn default() -> Self {
        NetArgs {
            connect_timeout: std::time::Duration::from_secs(5),
            timeout: std::time::Duration::from_secs(15),
            test_resolve: Vec::new(),
        }
    }
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
    /// Requests handled at once, for requests with a body (POST /api/*) and
    /// separately for the rest (GET /auth, /healthz, the page); more wait
    /// briefly, then get 503.
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
    /// Databricks OAuth M2M: client credentials with a service principal's
    /// OAuth secret (DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET) at
    /// <host>/oidc/v1/token (an account host: /oidc/accounts/<id>/v1/token).
    DatabricksM2m,
    /// Databricks OAuth U2M, as `databricks auth login`: authorization code
    /// with PKCE at <host>/oidc/v1/authorize, client databricks-cli, redirect
    /// http://localhost:8020 (--redirect-port), scopes all-apis offline_access.
    DatabricksU2m,
    /// Databricks token federation: an external JWT (--subject-token-file,
    /// DATABRICKS_OIDC_TOKEN, GitHub Actions) exchanged at the workspace's or
    /// account's /oidc/v1/token, evaluated against --policy first.
    DatabricksFederation,
    /// A managed identity: App Service / Functions (IDENTITY_ENDPOINT),
    /// AKS workload identity (AZURE_FEDERATED_TOKEN_FILE), else IMDS.
    ManagedIdentity,
    /// Workload identity federation: an external token as client_assertion.
    Federated,
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
    /// Port of the loopback redirect for auth-code (0: a free one) and
    /// databricks-u2m (0: 8020, the Databricks CLI's).
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
    /// The managed identity and federation settings (boxed: they are rare).
    #[command(flatten)]
    pub secretless: Box<SecretlessArgs>,
    /// Show each setting and where it came from (secrets masked), and stop.
    #[arg(long)]
    pub show_config: bool,
    /// Print the token as JSON shaped like `az account get-access-token`.
    #[arg(long)]
    pub json: bool,
    /// Do not check the token after getting it.
    #[arg(long)]
    pub no_check: bool,
    /// databricks-federation: the federation policy, as the account API
    /// returns it ({"name", "oidc_policy": {"issuer", "audiences", "subject",
    /// "subject_claim"}, ...}) or its oidc_policy alone.
    #[arg(long = "policy", value_name = "FILE")]
    pub federation_policy: Option<PathBuf>,
    /// databricks-federation: the file holding the external token (default:
    /// the variable oidc_token_env names or DATABRICKS_OIDC_TOKEN, then
    /// oidc_token_filepath, then GitHub Actions' ACTIONS_ID_TOKEN_REQUEST_URL).
    #[arg(long, value_name = "FILE")]
    pub subject_token_file: Option<PathBuf>,
    /// databricks-federation: the host is a Databricks account host (the
    /// exchange goes to /oidc/accounts/<account_id>/v1/token); implied by an
    /// accounts.* host.
    #[arg(long)]
    pub account_host: bool,
    /// The tenant (--tenant), and the rules of the check that follows.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The authority (--authority), the client (--client-id), the workspace
    /// for the check (--workspace, --profile) and the network bounds.
    #[command(flatten)]
    pub online: OnlineArgs,
    /// Send the Databricks OAuth requests for the host URL to a loopback URL
    /// instead (tests and the demo).
    #[arg(long = "test-host", value_name = "URL=LOOPBACK_URL", hide = true, value_parser = parse_test_host)]
    pub test_host: Vec<(String, String)>,
}

/// `token`'s flags for `--flow managed-identity` and `--flow federated`.
#[derive(Debug, Clone, Default, Args)]
pub struct SecretlessArgs {
    /// managed-identity: the identity's object ID (instead of --client-id).
    #[arg(long, value_name = "GUID", conflicts_with = "msi_res_id")]
    pub object_id: Option<String>,
    /// managed-identity: the identity's Azure resource ID.
    #[arg(long, value_name = "ID")]
    pub msi_res_id: Option<String>,
    /// managed-identity: the IMDS address (default
    /// AZURE_POD_IDENTITY_AUTHORITY_HOST, else http://169.254.169.254).
    #[arg(long, value_name = "URL")]
    pub imds_endpoint: Option<String>,
    /// federated: a file holding the external token (default
    /// AZURE_FEDERATED_TOKEN_FILE).
    #[arg(long, value_name = "FILE")]
    pub federated_token_file: Option<PathBuf>,
    /// federated: an environment variable holding the external token.
    #[arg(long, value_name = "NAME", conflicts_with = "federated_token_file")]
    pub federated_token_env: Option<String>,
    /// federated: the audience asked of GitHub Actions (default
    /// api://AzureADTokenExchange).
    #[arg(long, value_name = "AUD")]
    pub federated_audience: Option<String>,
    /// federated: the app's federated credentials (the JSON of `az ad app
    /// federated-credential list`), compared with the token on a refusal.
    #[arg(long, value_name = "FILE")]
    pub federated_credential: Option<PathBuf>,
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
    /// Output JSON: {"auth_type", "host", "settings", "methods", "error"?, ...};
    /// after a run also "valid", "verdict", "token_kind", "report".
    #[arg(long)]
    pub json: bool,
    /// Entra ID authority for the Azure methods and key discovery (default:
    /// the cloud of azure_environment / ARM_ENVIRONMENT, else
    /// https://login.microsoftonline.com).
    #[arg(long, value_name = "URL")]
    pub authority: Option<String>,
    /// Allow a host outside *.azuredatabricks.net, *.databricks.azure.us and
    /// *.databricks.azure.cn (the token is sent to it).
    #[arg(long)]
    pub allow_any_workspace_host: bool,
    /// Folder of the key cache (default: the platform's cache folder).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    #[command(flatten)]
    pub net: NetArgs,
    /// Send the requests for the host URL to a loopback URL instead (tests
    /// and the demo: an emulator standing in for an Azure host).
    #[arg(long = "test-host", value_name = "URL=LOOPBACK_URL", hide = true, value_parser = parse_test_host)]
    pub test_host: Vec<(String, String)>,
}

fn parse_test_host(s: &str) -> Result<(String, String), String> {
    let (from, to) = s.split_once('=').ok_or("expected URL=LOOPBACK_URL")?;
    let u = url::Url::parse(to).map_err(|e| format!("'{to}' is not a URL: {e}"))?;
    let loopback = match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    if !loopback {
        return Err(format!("'{to}' is not a loopback URL"));
    }
    Ok((
        from.trim_end_matches('/').to_owned(),
        to.trim_end_matches('/').to_owned(),
    ))
}

/// `demo`: the guide's story on the emulator.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Leave the emulator running after the story (until Ctrl-C), and print
    /// the exports that make the shown commands work in another terminal.
    #[arg(long)]
    pub keep: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_args_default_is_what_the_flags_default_to() {
        let cli = Cli::try_parse_from(["entra-doctor", "check", "x"]).unwrap();
        let Command::Check(a) = cli.command else {
            panic!("not check")
        };
        let d = NetArgs::default();
        assert_eq!(
            (a.online.net.connect_timeout, a.online.net.timeout),
            (d.connect_timeout, d.timeout)
        );
        assert_eq!(a.online.net.test_resolve, d.test_resolve);
    }
}
