//! Credential chains: azure-identity's credentials (ManagedIdentityCredential,
//! WorkloadIdentityCredential, EnvironmentCredential, …, and
//! DefaultAzureCredential's combined message) and the Databricks SDKs'
//! `default auth:` errors, split into one attempt per credential or method,
//! each with what it said, why, and the fix.

use serde::Serialize;

use super::scan::{self, contains_ci, find_ci};

/// What stopped one credential (or one Databricks SDK method).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChainProblem {
    /// EnvironmentCredential: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and a
    /// secret, certificate or password are not all set.
    EnvironmentNotConfigured,
    /// WorkloadIdentityCredential: `AZURE_FEDERATED_TOKEN_FILE`,
    /// `AZURE_CLIENT_ID` or `AZURE_TENANT_ID` is missing.
    WorkloadIdentityNotConfigured,
    /// WorkloadIdentityCredential: the federated token file could not be read.
    FederatedTokenFileUnreadable,
    /// No managed identity endpoint answered (not on Azure, or blocked).
    ManagedIdentityUnreachable,
    /// The endpoint answered, but the resource has no managed identity.
    ManagedIdentityNotAssigned,
    /// The user-assigned identity asked for (client, object or resource ID)
    /// is not assigned to this resource.
    ManagedIdentityNotFound,
    /// Several user-assigned identities and no ID saying which one.
    ManagedIdentityAmbiguous,
    /// The Azure CLI is signed in with a managed identity and was asked for
    /// a token of a given tenant.
    ManagedIdentityTenantClash,
    /// App Service / Azure Functions' identity endpoint refused or failed.
    AppServiceIdentityFailed,
    /// The identity endpoint refused a malformed request (no `Metadata:
    /// true` or `X-IDENTITY-HEADER`, no `api-version` or `resource`).
    ManagedIdentityBadRequest,
    /// SharedTokenCacheCredential: no account in the shared cache.
    SharedTokenCacheEmpty,
    /// The Azure CLI is not installed or could not be run.
    AzureCliNotFound,
    /// The Azure CLI is not signed in (or its login expired).
    AzureCliNotLoggedIn,
    /// Azure PowerShell is missing or not signed in.
    #[serde(rename = "azure_powershell_unavailable")]
    AzurePowerShellUnavailable,
    /// The Azure Developer CLI is missing or not signed in.
    AzureDeveloperCliUnavailable,
    /// A developer-tool credential (Visual Studio, VS Code, IntelliJ,
    /// broker) had nothing to offer.
    DeveloperToolUnavailable,
    /// The credential reached Entra ID, which refused it (an AADSTS code).
    EntraRefused,
    /// Databricks SDK: no method had the settings it needs.
    NoMethodConfigured,
    /// Databricks SDK: this method lacks the settings it needs.
    MethodNotConfigured,
    /// Databricks SDK: the chosen method failed.
    MethodFailed,
    /// Databricks SDK: settings of two methods are present.
    ConflictingMethods,
    /// Databricks: the host does not serve Databricks OAuth.
    #[serde(rename = "databricks_oauth_not_supported")]
    DatabricksOAuthNotSupported,
    /// Databricks CLI: its cached refresh token is invalid or expired.
    DatabricksLoginExpired,
    /// Something this catalogue does not know.
    Other,
}

/// One credential or method of a chain, in the order the text gave them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialAttempt {
    /// `ManagedIdentityCredential`, `azure-cli`, …
    pub credential: String,
    /// What stopped it.
    pub problem: ChainProblem,
    /// Its own words, clipped.
    pub said: String,
    /// Settings or variables it lacked, when known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// AADSTS codes in its words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<u32>,
    /// Why, in our words.
    pub cause: String,
    /// What to do.
    pub fix: String,
}

/// A setting a Databricks SDK printed after `Config:` (secrets masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SdkSetting {
    /// The attribute (`host`, `azure_client_id`, …).
    pub name: String,
    /// Its value, `***` for secrets.
    pub value: String,
}

/// A chain of credentials, or one credential, found in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chain {
    /// `DefaultAzureCredential`, `ChainedTokenCredential`, a single
    /// credential's name, or `Databricks SDK default auth`.
    pub name: String,
    /// Each credential or method, in order.
    pub attempts: Vec<CredentialAttempt>,
    /// Databricks SDK: the settings after `Config:`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<SdkSetting>,
    /// Databricks SDK: the environment variables after `Env:`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
}

/// azure-identity's credential names (Python, .NET, Java, JS, Go spellings).
const CREDENTIALS: &[&str] = &[
    "EnvironmentCredential",
    "WorkloadIdentityCredential",
    "ManagedIdentityCredential",
    "SharedTokenCacheCredential",
    "VisualStudioCodeCredential",
    "VisualStudioCredential",
    "IntelliJCredential",
    "AzureCliCredential",
    "AzureCLICredential",
    "AzurePowerShellCredential",
    "AzureDeveloperCliCredential",
    "AzureDeveloperCLICredential",
    "InteractiveBrowserCredential",
    "BrokerCredential",
    "AzurePipelinesCredential",
    "ClientAssertionCredential",
    "ClientSecretCredential",
    "ClientCertificateCredential",
];

const MAX_ATTEMPTS: usize = 16;

/// Finds a credential chain, a single credential's failure, a managed
/// identity endpoint's answer, or a Databricks SDK `default auth:` error.
pub(crate) fn scan(text: &str) -> Option<Chain> {
    let t = unescape(text);
    if let Some(c) = databricks_sdk(&t) {
        return Some(c);
    }
    let parts = azure_parts(&t);
    if parts.is_empty() {
        // An identity endpoint's own answer, pasted without a credential name.
        let (problem, _) = managed_identity_problem(&t)?;
        let attempt = attempt("managed identity endpoint", problem, &t);
        return Some(Chain {
            name: "managed identity endpoint".into(),
            attempts: vec![attempt],
            config: Vec::new(),
            env: Vec::new(),
        });
    }
    let name = if t.contains("DefaultAzureCredential") {
        "DefaultAzureCredential"
    } else if t.contains("ChainedTokenCredential") {
        "ChainedTokenCredential"
    } else {
        parts[0].0
    };
    let attempts = parts
        .iter()
        .map(|(cred, said)| {
            let problem = classify(cred, said);
            attempt(cred, problem, said)
        })
        .collect();
    Some(Chain {
        name: name.to_owned(),
        attempts,
        config: Vec::new(),
        env: Vec::new(),
    })
}

/// Python's repr and logs write line breaks as `\n`: make them real.
fn unescape(text: &str) -> String {
    if text.contains("\\n") || text.contains("\\t") {
        text.replace("\\r\\n", "\n")
            .replace("\\n", "\n")
            .replace("\\t", "\t")
    } else {
        text.to_owned()
    }
}

/// The credential name `s` starts with, whole-word.
fn starts_with_credential(s: &str) -> Option<&'static str> {
    CREDENTIALS.iter().copied().find(|c| {
        s.starts_with(c)
            && s[c.len()..]
                .chars()
                .next()
                .is_none_or(|ch| !ch.is_ascii_alphanumeric())
    })
}

/// Drops bullets and exception class names before a credential's words.
fn strip_lead(line: &str) -> (&str, bool) {
    let mut s =
        line.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '-' | '*' | '•'));
    let mut had_class = false;
    for _ in 0..3 {
        let word = s.split_whitespace().next().unwrap_or("");
        if (word.ends_with("Error:") || word.ends_with("Exception:"))
            && starts_with_credential(word).is_none()
        {
            s = s[word.len()..].trim_start();
            had_class = true;
        } else {
            break;
        }
    }
    (s, had_class)
}

/// A JS-style line with no credential name: which credential by its words.
fn credential_by_words(s: &str) -> Option<&'static str> {
    if contains_ci(s, "Azure Developer CLI") || contains_ci(s, "azd auth login") {
        Some("AzureDeveloperCliCredential")
    } else if contains_ci(s, "Azure CLI") || contains_ci(s, "az login") {
        Some("AzureCliCredential")
    } else if contains_ci(s, "PowerShell") {
        Some("AzurePowerShellCredential")
    } else {
        None
    }
}

fn is_trailer(s: &str) -> bool {
    [
        "To mitigate this issue",
        "Attempted credentials",
        "For more information",
        "at ",
        "File \"",
        "Traceback",
    ]
    .iter()
    .any(|p| s.starts_with(p))
}

/// `(credential, its words)` for each credential the text reports on.
fn azure_parts(t: &str) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let lines: Vec<&str> = t.lines().collect();
    let single = lines.iter().filter(|l| !l.trim().is_empty()).count() <= 1;
    if single {
        return single_line_parts(t);
    }
    let mut open = false;
    for line in lines {
        let (s, had_class) = strip_lead(line);
        if s.is_empty() {
            continue;
        }
        let name = starts_with_credential(s).or_else(|| {
            had_class
                .then(|| credential_by_words(s))
                .flatten()
                .filter(|_| !s.starts_with("DefaultAzureCredential"))
        });
        if let Some(name) = name {
            if out.len() >= MAX_ATTEMPTS {
                break;
            }
            out.push((name, own_words(name, s)));
            open = true;
        } else if open && !is_trailer(s) {
            // A continuation line of the credential's message.
            if let Some(last) = out.last_mut() {
                if last.1.len() < 2000 {
                    last.1.push(' ');
                    last.1.push_str(s.trim());
                }
            }
        } else {
            open = false;
        }
    }
    out
}

/// The credential's words without a repeated `Name: ` prefix.
fn own_words(name: &str, s: &str) -> String {
    let rest = s[name.len()..].trim_start_matches([':', ' ']);
    let words = if rest.starts_with(name) { rest } else { s };
    entra_token::text::clip(words.trim(), 1000)
}

/// One line holding several credentials: split at `Name:` (and `- Name`).
fn single_line_parts(t: &str) -> Vec<(&'static str, String)> {
    let mut starts: Vec<(usize, &'static str)> = Vec::new();
    for name in CREDENTIALS {
        let mut from = 0;
        while let Some(rel) = t.get(from..).and_then(|r| r.find(name)) {
            let at = from + rel;
            from = at + name.len();
            let after = &t[from..];
            if after.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                continue;
            }
            let before = t[..at].trim_end_matches(' ');
            let bullet = before.ends_with('-') || before.ends_with('•');
            let boundary = at == 0
                || bullet
                || t[..at].ends_with(' ')
                || t[..at].ends_with('\t')
                || t[..at].ends_with('.');
            // Python repeats the name: "EnvironmentCredential: EnvironmentCredential …".
            let repeated = before.ends_with(&format!("{name}:"));
            if boundary && !repeated && (after.starts_with(':') || bullet || at == 0) {
                starts.push((at, name));
            }
        }
    }
    starts.sort_unstable();
    starts.truncate(MAX_ATTEMPTS);
    let mut out = Vec::new();
    for (i, (at, name)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(t.len(), |(n, _)| *n);
        let mut seg = t[*at..end].trim_end().trim_end_matches('-').trim_end();
        if let Some(cut) = seg.find("To mitigate this issue") {
            seg = seg[..cut].trim_end();
        }
        out.push((*name, own_words(name, seg)));
    }
    out
}

/// Managed-identity wording, whoever prints it: `(problem, user-assigned asked)`.
fn managed_identity_problem(s: &str) -> Option<(ChainProblem, bool)> {
    let asked = contains_ci(s, "user assigned")
        || contains_ci(s, "user-assigned")
        || contains_ci(s, "requested identity")
        || contains_ci(s, "client_id")
        || contains_ci(s, "clientid");
    if contains_ci(s, "Tenant shouldn't be specified for managed identity")
        || contains_ci(s, "Tenant shouldn't be specified for Cloud Shell")
    {
        return Some((ChainProblem::ManagedIdentityTenantClash, asked));
    }
    let bad_request = [
        "Required metadata header not specified",
        "Required query variable",
        "X-IDENTITY-HEADER request header",
        "The api-version must be",
    ];
    if bad_request.iter().any(|p| contains_ci(s, p)) {
        return Some((ChainProblem::ManagedIdentityBadRequest, asked));
    }
    if contains_ci(s, "Multiple user assigned identities exist") {
        return Some((ChainProblem::ManagedIdentityAmbiguous, true));
    }
    if contains_ci(s, "No User Assigned or Delegated Managed Identity found")
        || contains_ci(s, "requested identity has not been assigned")
        || contains_ci(s, "requested identity isn't assigned")
    {
        return Some((ChainProblem::ManagedIdentityNotFound, true));
    }
    if contains_ci(s, "No identity has been assigned")
        || contains_ci(s, "no default identity is assigned")
        || contains_ci(s, "Identity not found")
    {
        let p = if asked && !contains_ci(s, "system assigned") {
            ChainProblem::ManagedIdentityNotFound
        } else {
            ChainProblem::ManagedIdentityNotAssigned
        };
        return Some((p, asked));
    }
    let unreachable = [
        "no response from the IMDS endpoint",
        "no managed identity endpoint found",
        "No response received from the managed identity endpoint",
        "IMDS endpoint, but it is not available",
        "Network unreachable",
        "network is unreachable",
        "169.254.169.254",
    ];
    if unreachable.iter().any(|p| contains_ci(s, p))
        && (contains_ci(s, "managed") || contains_ci(s, "IMDS") || contains_ci(s, "169.254"))
    {
        return Some((ChainProblem::ManagedIdentityUnreachable, asked));
    }
    let app_service = [
        "IDENTITY_ENDPOINT",
        "MSI_ENDPOINT",
        "App Service",
        "\"statusCode\"",
    ];
    if app_service.iter().any(|p| contains_ci(s, p)) && contains_ci(s, "managed") {
        return Some((ChainProblem::AppServiceIdentityFailed, asked));
    }
    None
}

/// What one credential's words say.
fn classify(cred: &str, s: &str) -> ChainProblem {
    let (codes, _) = scan::aadsts_codes(s);
    if let Some((p, _)) = managed_identity_problem(s) {
        // The CLI's managed-identity clash is worth its own name anywhere;
        // other managed-identity words only from that credential.
        if p == ChainProblem::ManagedIdentityTenantClash || cred == "ManagedIdentityCredential" {
            return p;
        }
    }
    if !codes.is_empty() {
        return ChainProblem::EntraRefused;
    }
    match cred {
        "EnvironmentCredential" => ChainProblem::EnvironmentNotConfigured,
        "WorkloadIdentityCredential" => {
            let unreadable = [
                "No such file",
                "FileNotFoundError",
                "Could not find file",
                "ENOENT",
                "failed to read",
                "cannot find the file",
                "Permission denied",
                "PermissionError",
            ];
            if unreadable.iter().any(|p| contains_ci(s, p)) {
                ChainProblem::FederatedTokenFileUnreadable
            } else {
                ChainProblem::WorkloadIdentityNotConfigured
            }
        }
        "ManagedIdentityCredential" => {
            if contains_ci(s, "unavailable") || contains_ci(s, "not available") {
                ChainProblem::ManagedIdentityUnreachable
            } else {
                ChainProblem::Other
            }
        }
        "SharedTokenCacheCredential" => ChainProblem::SharedTokenCacheEmpty,
        "AzureCliCredential" | "AzureCLICredential" => {
            azure_cli_problem(s).unwrap_or(ChainProblem::AzureCliNotFound)
        }
        "AzurePowerShellCredential" => ChainProblem::AzurePowerShellUnavailable,
        "AzureDeveloperCliCredential" | "AzureDeveloperCLICredential" => {
            ChainProblem::AzureDeveloperCliUnavailable
        }
        "VisualStudioCodeCredential"
        | "VisualStudioCredential"
        | "IntelliJCredential"
        | "InteractiveBrowserCredential"
        | "BrokerCredential" => ChainProblem::DeveloperToolUnavailable,
        _ => ChainProblem::Other,
    }
}

/// The Azure CLI missing, or not signed in, by its caller's words.
fn azure_cli_problem(s: &str) -> Option<ChainProblem> {
    let missing = [
        "not found",
        "could not be found",
        "not installed",
        "Failed to invoke",
        "not recognized",
        "executable file",
        "fork/exec",
        "No such file",
    ];
    if missing.iter().any(|p| contains_ci(s, p)) {
        Some(ChainProblem::AzureCliNotFound)
    } else if contains_ci(s, "login") {
        Some(ChainProblem::AzureCliNotLoggedIn)
    } else {
        None
    }
}

/// The variables a workload or environment credential's words name as missing.
fn missing_variables(cred: &str, s: &str) -> Vec<String> {
    let named: &[(&str, &[&str])] = &[
        (
            "AZURE_TENANT_ID",
            &["AZURE_TENANT_ID", "tenant_id", "tenant ID"],
        ),
        (
            "AZURE_CLIENT_ID",
            &["AZURE_CLIENT_ID", "client_id", "client ID"],
        ),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            &[
                "AZURE_FEDERATED_TOKEN_FILE",
                "token_file_path",
                "token file",
            ],
        ),
    ];
    let mut out: Vec<String> = named
        .iter()
        .filter(|(_, words)| words.iter().any(|w| contains_ci(s, w)))
        .map(|(v, _)| (*v).to_owned())
        .collect();
    if cred == "WorkloadIdentityCredential" && out.is_empty() {
        out = named.iter().map(|(v, _)| (*v).to_owned()).collect();
    }
    if cred == "EnvironmentCredential" {
        out.retain(|v| v != "AZURE_FEDERATED_TOKEN_FILE");
    }
    out
}

fn attempt(cred: &str, problem: ChainProblem, said: &str) -> CredentialAttempt {
    let (codes, _) = scan::aadsts_codes(said);
    let missing = match problem {
        ChainProblem::WorkloadIdentityNotConfigured | ChainProblem::EnvironmentNotConfigured => {
            missing_variables(cred, said)
        }
        _ => Vec::new(),
    };
    let (cause, fix) = advice(problem, &missing, &codes);
    CredentialAttempt {
        credential: cred.to_owned(),
        problem,
        said: entra_token::text::clip(said.trim(), 1000),
        missing,
        codes,
        cause,
        fix,
    }
}

/// Cause and fix of an azure-identity credential's problem.
fn advice(p: ChainProblem, missing: &[String], codes: &[u32]) -> (String, String) {
    use ChainProblem as P;
    let (cause, fix): (String, String) = match p {
        P::EnvironmentNotConfigured => (
            "EnvironmentCredential signs in as a service principal from environment variables, and they are not all set. It was skipped; that is normal when you do not mean to use it.".into(),
            format!("To use it, set AZURE_TENANT_ID, AZURE_CLIENT_ID and one of AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH (or AZURE_USERNAME with AZURE_PASSWORD) in the process's environment{}. Otherwise ignore it and fix the credential you do mean to use.", if missing.is_empty() { String::new() } else { format!(" (the message names {} as missing)", missing.join(", ")) }),
        ),
        P::WorkloadIdentityNotConfigured => (
            format!("WorkloadIdentityCredential exchanges a federated token file (AKS workload identity, or any OIDC token written to a file) for an Entra token, and {} not set, so it was skipped.", if missing.len() == 1 { format!("{} is", missing[0]) } else { format!("{} are", missing.join(", ")) }),
            "On AKS: label the pod `azure.workload.identity/use: \"true\"` and run it under a service account annotated with `azure.workload.identity/client-id: <client-id>`; the webhook then sets AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and AZURE_AUTHORITY_HOST. Elsewhere set those three variables yourself (or pass tenant_id, client_id and token_file_path). Not on Kubernetes and not meaning to use it: ignore this line.".into(),
        ),
        P::FederatedTokenFileUnreadable => (
            "WorkloadIdentityCredential could not read the federated token file AZURE_FEDERATED_TOKEN_FILE names: the path is wrong, the projected volume is not mounted in this container, or the process may not read it.".into(),
            "Check the path and the mount: `ls -l \"$AZURE_FEDERATED_TOKEN_FILE\"` inside the container (the AKS webhook mounts it at /var/run/secrets/azure/tokens/azure-identity-token); make the file readable by the process's user, and read it on each token request (it is renewed in place).".into(),
        ),
        P::ManagedIdentityUnreachable => (
            "No managed identity endpoint answered: neither IMDS (http://169.254.169.254) nor an App Service/Functions endpoint (IDENTITY_ENDPOINT). This machine is not an Azure VM, scale set, App Service, Function or container with a managed identity, or a proxy or firewall blocks 169.254.169.254. It was skipped.".into(),
            "On your own machine this is expected: use another credential (az login for AzureCliCredential, or a service principal). On Azure: enable a managed identity on the resource (`az vm identity assign -g <group> -n <vm>`, or Identity in the portal), make sure requests to 169.254.169.254 bypass any proxy (NO_PROXY=169.254.169.254), and on AKS use workload identity instead of the node's IMDS.".into(),
        ),
        P::ManagedIdentityNotAssigned => (
            "The managed identity endpoint answered, but this resource has no managed identity to give a token for (no system-assigned identity is enabled; IMDS says \"Identity not found\").".into(),
            "Enable the system-assigned identity (`az vm identity assign -g <group> -n <vm>`, `az webapp identity assign -g <group> -n <app>`), or assign a user-assigned one and pass its client ID (AZURE_CLIENT_ID, or managed_identity_client_id / azure_client_id in the Databricks SDK). Then add that identity to the Databricks workspace by its application (client) ID.".into(),
        ),
        P::ManagedIdentityNotFound => (
            "The user-assigned managed identity asked for (by client, object or resource ID) is not assigned to this resource, or the ID is that of something else (an app registration's client ID is not a managed identity's).".into(),
            "List the identities the resource has: `az vm identity show -g <group> -n <vm>` (or `az webapp identity show`, `az containerapp identity show`) and use the clientId of one of them in AZURE_CLIENT_ID (or managed_identity_client_id / azure_client_id); or assign the identity you meant: `az vm identity assign -g <group> -n <vm> --identities <identity-resource-id>`.".into(),
        ),
        P::ManagedIdentityAmbiguous => (
            "The resource has several user-assigned managed identities and the request named none, so IMDS cannot pick one.".into(),
            "Say which one: set AZURE_CLIENT_ID to its client ID (azure-identity reads it, DefaultAzureCredential too), pass client_id / managed_identity_client_id, or for the Databricks SDK set azure_client_id (ARM_CLIENT_ID) with azure_use_msi = true. `az vm identity show -g <group> -n <vm>` lists the identities' client IDs.".into(),
        ),
        P::ManagedIdentityTenantClash => (
            "The Azure CLI is signed in with a managed identity (`az login --identity`) and the caller asked it for a token of a specific tenant (`--tenant`). A managed identity belongs to one tenant, so the CLI refuses. azure-identity's AzureCliCredential and the Databricks SDK's azure-cli method pass the tenant when one is configured (AZURE_TENANT_ID, azure_tenant_id / ARM_TENANT_ID).".into(),
            "Use the managed identity directly instead of through the CLI: ManagedIdentityCredential, or in the Databricks SDK azure_use_msi = true (ARM_USE_MSI=true) with azure_client_id for a user-assigned identity. Or stop passing a tenant to the CLI: unset AZURE_TENANT_ID / ARM_TENANT_ID (the Databricks SDK then finds the tenant from the workspace).".into(),
        ),
        P::AppServiceIdentityFailed => (
            "The App Service / Azure Functions identity endpoint (IDENTITY_ENDPOINT with the IDENTITY_HEADER secret) refused or failed the request: usually the identity asked for is not assigned to the app, or the app has no identity.".into(),
            "In the app: Settings > Identity: turn the system-assigned identity on, or add the user-assigned identity and set AZURE_CLIENT_ID to its client ID. Restart the app so IDENTITY_ENDPOINT and IDENTITY_HEADER are set, and call the endpoint with the X-IDENTITY-HEADER header.".into(),
        ),
        P::ManagedIdentityBadRequest => (
            "The managed identity endpoint refused the request as malformed: IMDS needs the header `Metadata: true` and the query `api-version` (2018-02-01 or later) and `resource`; App Service / Functions need `X-IDENTITY-HEADER: $IDENTITY_HEADER`, `api-version=2019-08-01` and `resource`. The identity itself may be fine.".into(),
            "Let a library make the request (azure-identity's ManagedIdentityCredential, or the Databricks SDK with azure_use_msi = true), or send exactly: `curl -H 'Metadata: true' 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d'` (on App Service: `curl -H \"X-IDENTITY-HEADER: $IDENTITY_HEADER\" \"$IDENTITY_ENDPOINT?api-version=2019-08-01&resource=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d\"`).".into(),
        ),
        P::SharedTokenCacheEmpty => (
            "SharedTokenCacheCredential reads accounts cached by Visual Studio or older tools; there are none. It was skipped.".into(),
            "Nothing to fix unless you mean to use it; exclude it (exclude_shared_token_cache_credential=True) to shorten the message.".into(),
        ),
        P::AzureCliNotFound => (
            "AzureCliCredential runs `az account get-access-token`, and the Azure CLI is not installed, not on PATH for this process, or could not be started.".into(),
            "Install the Azure CLI (https://learn.microsoft.com/cli/azure/install-azure-cli) and make `az` reachable on the PATH of the process (services and IDEs often have a shorter PATH), then `az login`.".into(),
        ),
        P::AzureCliNotLoggedIn => (
            "The Azure CLI is installed but not signed in, or its sign-in expired.".into(),
            "Run `az login` (with --tenant <tenant-id> for the workspace's tenant), then `az account get-access-token --resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d` to check.".into(),
        ),
        P::AzurePowerShellUnavailable => (
            "AzurePowerShellCredential needs PowerShell with the Az.Accounts module, signed in with Connect-AzAccount; it was not available.".into(),
            "Nothing to fix unless you mean to use it: then install Az (`Install-Module Az.Accounts`) and run `Connect-AzAccount`.".into(),
        ),
        P::AzureDeveloperCliUnavailable => (
            "AzureDeveloperCliCredential needs the Azure Developer CLI (azd), signed in; it was not available.".into(),
            "Nothing to fix unless you mean to use it: then install azd and run `azd auth login`.".into(),
        ),
        P::DeveloperToolUnavailable => (
            "A developer-tool credential (IDE sign-in, broker) had no account to use. It only matters on a developer's machine.".into(),
            "Ignore it unless you mean to sign in through that tool; sign in there, or use `az login`.".into(),
        ),
        P::EntraRefused => (
            format!("This credential reached Microsoft Entra ID, which refused it with {}: this is the credential to fix.", codes.iter().map(|c| format!("AADSTS{c}")).collect::<Vec<_>>().join(", ")),
            format!("Follow the fix for {} below.", codes.iter().map(|c| format!("AADSTS{c}")).collect::<Vec<_>>().join(", ")),
        ),
        P::DatabricksOAuthNotSupported => (
            "The host did not serve Databricks OAuth (no /oidc/.well-known/oauth-authorization-server): it is not an Azure Databricks workspace or account URL, or it is mistyped.".into(),
            "Check the host: https://adb-<workspace-id>.<n>.azuredatabricks.net for a workspace, https://accounts.azuredatabricks.net for the account (with account_id). For an Entra ID service principal use azure-client-secret (azure_client_id, azure_client_secret, azure_tenant_id) instead of oauth-m2m.".into(),
        ),
        P::DatabricksLoginExpired => (
            "The Databricks CLI's cached login for this host has an invalid or expired refresh token.".into(),
            "Sign in again: `databricks auth login --host <host>` (or --profile <name>), then retry.".into(),
        ),
        P::NoMethodConfigured
        | P::MethodNotConfigured
        | P::MethodFailed
        | P::ConflictingMethods
        | P::Other => (
            "The credential failed for a reason entra-doctor does not recognise.".into(),
            "Read its message above; run with the library's debug logging (AZURE_LOG_LEVEL, or logging.DEBUG for azure.identity) for details.".into(),
        ),
    };
    (cause, fix)
}

// ---------------------------------------------------------------------------------------
// Databricks SDKs.

/// The Databricks SDKs' authentication methods for Azure Databricks, with
/// the settings each needs.
const METHODS: &[(&str, &[&str], &str)] = &[
    ("pat", &["token"], "a personal access token (token / DATABRICKS_TOKEN)"),
    ("basic", &["username", "password"], "username and password (DATABRICKS_USERNAME, DATABRICKS_PASSWORD)"),
    ("oauth-m2m", &["client_id", "client_secret"], "a Databricks service principal's OAuth secret (client_id, client_secret / DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET)"),
    ("databricks-cli", &["host"], "a login cached by `databricks auth login --host <host>`"),
    ("azure-msi", &["azure_use_msi"], "azure_use_msi = true (ARM_USE_MSI=true) on an Azure VM or service with a managed identity"),
    ("azure-client-secret", &["azure_client_id", "azure_client_secret"], "an Entra ID service principal's secret (azure_client_id, azure_client_secret, azure_tenant_id / ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID)"),
    ("github-oidc-azure", &["azure_client_id"], "azure_client_id inside a GitHub Actions job with `permissions: id-token: write`"),
    ("azure-cli", &["host"], "the Azure CLI on PATH, signed in (`az login`)"),
    ("env-oidc", &["client_id", "oidc_token_env"], "an OIDC token in an environment variable for Databricks token federation (DATABRICKS_OIDC_TOKEN)"),
    ("file-oidc", &["client_id", "oidc_token_filepath"], "an OIDC token file for Databricks token federation (DATABRICKS_OIDC_TOKEN_FILEPATH)"),
];

const SENSITIVE: &[&str] = &[
    "token",
    "password",
    "client_secret",
    "azure_client_secret",
    "google_credentials",
    "oidc_token",
];

fn databricks_sdk(t: &str) -> Option<Chain> {
    let default_at = find_ci(t, "default auth:", 0);
    let conflict_at = find_ci(t, "more than one authorization method configured", 0);
    let explicit = METHODS.iter().find_map(|(m, _, _)| {
        find_ci(t, &format!("{m} auth: "), 0)
            .filter(|&at| {
                at == 0 || !t[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
            })
            .map(|at| (at, *m))
    });
    if default_at.is_none() && conflict_at.is_none() && explicit.is_none() {
        return None;
    }
    let (config, env) = debug_info(t);
    let has = |name: &str| config.iter().any(|s| s.name == name && !s.value.is_empty());
    let mut attempts = Vec::new();
    if let Some(at) = conflict_at {
        let said = sentence(&t[at..]);
        attempts.push(CredentialAttempt {
            credential: "validate".into(),
            problem: ChainProblem::ConflictingMethods,
            cause: "The settings hold credentials of two methods at once (for example a token and a client secret, from a profile and from the environment), and the SDK refuses to guess.".into(),
            fix: "Keep the settings of one method only (check DATABRICKS_*, ARM_* variables and the profile), or set auth_type (DATABRICKS_AUTH_TYPE) to the method you mean.".into(),
            said,
            missing: Vec::new(),
            codes: Vec::new(),
        });
    } else if let Some(at) =
        default_at.filter(|&at| contains_ci(&t[at..], "cannot configure default credentials"))
    {
        let said = sentence(&t[at..]);
        let azure_host = config.iter().any(|s| {
            s.name == "host"
                && (s.value.contains("azuredatabricks.net")
                    || s.value.contains("databricks.azure.us")
                    || s.value.contains("databricks.azure.cn"))
        }) || has("azure_workspace_resource_id");
        let host = config
            .iter()
            .find(|s| s.name == "host")
            .map(|s| s.value.clone());
        attempts.push(CredentialAttempt {
            credential: "default".into(),
            problem: ChainProblem::NoMethodConfigured,
            cause: match &host {
                Some(h) => format!("The SDK tried each authentication method for {h} and none had what it needs (the settings it saw are listed after Config: and Env:)."),
                None => "The SDK found no host and no method's settings: usually the profile it read is not the one you meant ([DEFAULT] is used when none is named), ~/.databrickscfg is missing, or the variables are not exported to this process.".into(),
            },
            fix: "Configure exactly one method (below, what each needs), or name the profile: --profile / DATABRICKS_CONFIG_PROFILE. `entra-doctor auth --dry-run` shows which settings the SDK reads and from where.".into(),
            said,
            missing: if host.is_none() { vec!["host".into()] } else { Vec::new() },
            codes: Vec::new(),
        });
        for (m, needs, what) in METHODS {
            let azure_only = m.starts_with("azure") || *m == "github-oidc-azure";
            if azure_only && !azure_host && host.is_some() {
                continue;
            }
            let missing: Vec<String> = needs
                .iter()
                .filter(|n| !has(n))
                .map(|n| (*n).to_owned())
                .collect();
            let cause = if missing.is_empty() {
                match *m {
                    "databricks-cli" => "The host is set, but the Databricks CLI has no cached login for it (or the CLI is not installed).".to_owned(),
                    "azure-cli" => "The host is an Azure Databricks workspace, but the Azure CLI was not found on PATH or is not signed in.".to_owned(),
                    "github-oidc-azure" => "azure_client_id is set, but this is not a GitHub Actions job allowed to request an ID token (ACTIONS_ID_TOKEN_REQUEST_URL is not set).".to_owned(),
                    _ => format!("Its settings look present, but it did not apply: check their values ({what})."),
                }
            } else {
                format!("Not applicable: no {}.", missing.join(", no "))
            };
            attempts.push(CredentialAttempt {
                credential: (*m).to_owned(),
                problem: ChainProblem::MethodNotConfigured,
                said: String::new(),
                missing,
                codes: Vec::new(),
                cause,
                fix: format!(
                    "To use {m}, provide {}.",
                    what.replace("<host>", host.as_deref().unwrap_or("<host>"))
                ),
            });
        }
    } else {
        // "default auth: <method>: <reason>" or "<method> auth: <reason>".
        let (method, reason_at) = match default_at {
            Some(at) => {
                let rest = t[at + "default auth:".len()..].trim_start();
                let m = METHODS
                    .iter()
                    .map(|(m, _, _)| *m)
                    .chain([
                        "metadata-service",
                        "external-browser",
                        "azure-devops-oidc",
                        "github-oidc",
                    ])
                    .find(|m| rest.starts_with(&format!("{m}:")))?;
                (m, t.len() - rest.len() + m.len() + 1)
            }
            None => {
                let (at, m) = explicit?;
                (m, at + m.len() + " auth: ".len())
            }
        };
        let reason = t
            .get(reason_at..)
            .map(sentence_until_config)
            .unwrap_or_default();
        attempts.push(method_failed(method, &reason));
    }
    Some(Chain {
        name: "Databricks SDK default auth".into(),
        attempts,
        config,
        env,
    })
}

/// The reason up to `. Config:` (or the end of the line).
fn sentence_until_config(s: &str) -> String {
    let mut end = s.find('\n').unwrap_or(s.len());
    if let Some(c) = s.find(". Config:").or_else(|| s.find(" Config: ")) {
        end = end.min(c);
    }
    entra_token::text::clip(s[..end].trim(), 1000)
}

fn sentence(s: &str) -> String {
    sentence_until_config(s)
}

/// `Config: a=b, c=d. Env: X, Y` as the SDKs print it.
fn debug_info(t: &str) -> (Vec<SdkSetting>, Vec<String>) {
    let mut config = Vec::new();
    let mut env = Vec::new();
    if let Some(at) = t.rfind("Config: ") {
        let rest = &t[at + 8..];
        let end = rest
            .find(". Env: ")
            .or_else(|| rest.find('\n'))
            .unwrap_or(rest.len());
        for pair in rest[..end].split(", ").take(40) {
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            let k = k.trim();
            if k.is_empty() || !k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                continue;
            }
            let v = v.trim().trim_end_matches('.');
            let value = if SENSITIVE.contains(&k) {
                "***".to_owned()
            } else {
                entra_token::text::clip(v, 200)
            };
            config.push(SdkSetting {
                name: k.to_owned(),
                value,
            });
        }
    }
    if let Some(at) = t.rfind("Env: ") {
        let rest = &t[at + 5..];
        let end = rest.find('\n').unwrap_or(rest.len());
        for name in rest[..end].split(',').take(40) {
            let name = name.trim().trim_end_matches('.');
            if !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                env.push(name.to_owned());
            }
        }
    }
    (config, env)
}

/// A named method that failed, with its reason classified.
fn method_failed(method: &str, reason: &str) -> CredentialAttempt {
    let (codes, _) = scan::aadsts_codes(reason);
    let mi = managed_identity_problem(reason).map(|(p, _)| p);
    let problem = if let Some(p) = mi {
        p
    } else if contains_ci(reason, "OAuth is not supported for this host") {
        ChainProblem::DatabricksOAuthNotSupported
    } else if contains_ci(reason, "refresh token is invalid") {
        ChainProblem::DatabricksLoginExpired
    } else if !codes.is_empty() {
        ChainProblem::EntraRefused
    } else if let Some(p) = azure_cli_problem(reason).filter(|_| method == "azure-cli") {
        p
    } else {
        ChainProblem::MethodFailed
    };
    let (cause, fix) = match problem {
        ChainProblem::MethodFailed => (
            format!("The SDK chose {method} (its settings are present) and it failed: {}", entra_token::text::clip(reason, 300)),
            "Fix what the reason says, or choose another method with auth_type. For a refused token, `entra-doctor explain` on the inner error (the JSON or AADSTS text) says more.".to_owned(),
        ),
        ChainProblem::DatabricksLoginExpired => (
            "The Databricks CLI's cached login (used by the databricks-cli method) has an invalid or expired refresh token.".into(),
            "Sign in again: `databricks auth login --host <host>` (or --profile <name>).".into(),
        ),
        p => advice(p, &[], &codes),
    };
    CredentialAttempt {
        credential: method.to_owned(),
        problem,
        said: entra_token::text::clip(reason, 1000),
        missing: Vec::new(),
        codes,
        cause,
        fix,
    }
}
