//! The choice of authentication method, as the Databricks SDKs make it: an
//! explicit `auth_type` is the only method tried; otherwise the first
//! method, in the SDKs' order, whose settings are there.
//!
//! The order and each method's requirements follow databricks-sdk-py's
//! `DefaultCredentials`. `azure-msi` is the Go SDK's and the Databricks
//! CLI's (the Python SDK has no managed-identity method): it is tried just
//! before `azure-client-secret`, as the Go SDK does.
//!
//! What can be known without the network is checked here: attributes,
//! environment variables, files, programs on `PATH`. Whether a program is
//! signed in, or an endpoint answers, is known only when the method runs.

use std::path::{Path, PathBuf};

use super::resolve::{netloc, Resolved};
use crate::net::databrickscfg::Env;

/// What a method needs beyond its attributes.
#[derive(Debug, Clone, Copy)]
enum Extra {
    None,
    /// An ID token in an environment variable (`oidc_token_env`, else
    /// `DATABRICKS_OIDC_TOKEN`).
    EnvIdToken,
    /// A readable file at `oidc_token_filepath`.
    IdTokenFile,
    /// Inside GitHub Actions with `id-token: write`.
    GithubActions,
    /// Inside an Azure DevOps pipeline with an OIDC service connection.
    AzureDevops,
    /// `azure_use_msi` true and an Azure workspace.
    Msi,
    /// An Azure workspace (its DNS zone, or an ARM resource ID without a
    /// host) and `az` on `PATH`.
    AzureCli,
    /// Only when `auth_type` names it.
    ExplicitOnly,
    /// `databricks` (or `databricks_cli_path`) found.
    DatabricksCli,
    /// Inside a Databricks runtime (`DATABRICKS_RUNTIME_VERSION`).
    Runtime,
    /// Inside Databricks model serving.
    ModelServing,
}

/// One method.
#[derive(Debug, Clone, Copy)]
pub struct Method {
    /// The SDKs' name (`auth_type`).
    pub name: &'static str,
    /// Attributes that must be set.
    pub requires: &'static [&'static str],
    supports_group: bool,
    extra: Extra,
    /// What running it does (for the table and the output).
    pub does: &'static str,
}

const fn m(
    name: &'static str,
    requires: &'static [&'static str],
    supports_group: bool,
    extra: Extra,
    does: &'static str,
) -> Method {
    Method {
        name,
        requires,
        supports_group,
        extra,
        does,
    }
}

/// The methods, in the order they are tried.
pub const METHODS: &[Method] = &[
    m("pat", &["host", "token"], false, Extra::None, "sends the personal access token as is"),
    m(
        "basic",
        &["host", "username", "password"],
        false,
        Extra::None,
        "sends username and password (HTTP basic)",
    ),
    m(
        "metadata-service",
        &["host", "metadata_service_url"],
        false,
        Extra::None,
        "asks the local metadata service for a token",
    ),
    m(
        "oauth-m2m",
        &["host", "client_id", "client_secret"],
        true,
        Extra::None,
        "gets a Databricks OAuth token for the service principal (client credentials at the workspace's /oidc endpoint)",
    ),
    m(
        "env-oidc",
        &["host"],
        true,
        Extra::EnvIdToken,
        "exchanges the ID token in an environment variable for a Databricks token",
    ),
    m(
        "file-oidc",
        &["host", "oidc_token_filepath"],
        true,
        Extra::IdTokenFile,
        "exchanges the ID token in a file for a Databricks token",
    ),
    m(
        "github-oidc",
        &["host", "client_id"],
        true,
        Extra::GithubActions,
        "exchanges the GitHub Actions ID token for a Databricks token",
    ),
    m(
        "azure-msi",
        &["azure_use_msi"],
        false,
        Extra::Msi,
        "gets an Entra ID token from the Azure managed identity (Go SDK and Databricks CLI)",
    ),
    m(
        "azure-client-secret",
        &["azure_client_id", "azure_client_secret"],
        false,
        Extra::None,
        "gets an Entra ID token for the service principal with its client secret",
    ),
    m(
        "github-oidc-azure",
        &["host", "azure_client_id"],
        false,
        Extra::GithubActions,
        "exchanges the GitHub Actions ID token for an Entra ID token",
    ),
    m(
        "azure-cli",
        &[],
        false,
        Extra::AzureCli,
        "runs `az account get-access-token` for Azure Databricks",
    ),
    m(
        "azure-devops-oidc",
        &["host", "client_id"],
        true,
        Extra::AzureDevops,
        "exchanges the Azure DevOps pipeline's ID token for a Databricks token",
    ),
    m(
        "external-browser",
        &["host", "auth_type"],
        true,
        Extra::ExplicitOnly,
        "signs in with a browser (OAuth U2M)",
    ),
    m(
        "databricks-cli",
        &["host"],
        false,
        Extra::DatabricksCli,
        "runs `databricks auth token` (a prior `databricks auth login`)",
    ),
    m(
        "runtime-oauth",
        &["scopes"],
        true,
        Extra::Runtime,
        "exchanges the notebook's token (inside a Databricks runtime)",
    ),
    m(
        "runtime",
        &[],
        false,
        Extra::Runtime,
        "uses the notebook's own credentials (inside a Databricks runtime)",
    ),
    m(
        "google-credentials",
        &["host", "google_credentials"],
        false,
        Extra::None,
        "uses a Google service account key",
    ),
    m(
        "google-id",
        &["host", "google_service_account"],
        false,
        Extra::None,
        "impersonates a Google service account",
    ),
    m(
        "model-serving",
        &[],
        false,
        Extra::ModelServing,
        "uses the model serving environment's token",
    ),
];

/// One method considered, and whether it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Considered {
    pub method: &'static str,
    pub applies: bool,
    /// Why it applies, or why not ("no client_secret").
    pub reason: String,
}

/// The outcome of the choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The method chosen (`auth_type`).
    pub method: Option<&'static str>,
    /// The methods looked at, in order, up to the chosen one.
    pub considered: Vec<Considered>,
    /// Why none applies (when `method` is `None`).
    pub error: Option<String>,
}

/// Chooses the method for `r`. `env` gives the environment variables the
/// methods look for and `PATH`.
pub fn choose(r: &Resolved, env: &dyn Env) -> Choice {
    let explicit = r.get("auth_type");
    let mut considered = Vec::new();
    if let Some(name) = explicit {
        let Some(method) = METHODS.iter().find(|m| m.name == name) else {
            let names: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
            return Choice {
                method: None,
                considered,
                error: Some(format!(
                    "auth_type '{name}' ({}) is not a method the SDKs know ({})",
                    r.value("auth_type")
                        .map(|v| v.source.to_string())
                        .unwrap_or_default(),
                    names.join(", ")
                )),
            };
        };
        let outcome = applies(method, r, env, true);
        let chosen = outcome.is_ok();
        let reason = outcome.clone().unwrap_or_else(|e| e);
        considered.push(Considered {
            method: method.name,
            applies: chosen,
            reason: reason.clone(),
        });
        return Choice {
            method: chosen.then_some(method.name),
            considered,
            error: (!chosen).then(|| {
                format!(
                    "auth_type is {name} ({}), but {name}: {reason}",
                    r.value("auth_type")
                        .map(|v| v.source.to_string())
                        .unwrap_or_default()
                )
            }),
        };
    }
    for method in METHODS {
        match applies(method, r, env, false) {
            Ok(why) => {
                considered.push(Considered {
                    method: method.name,
                    applies: true,
                    reason: why,
                });
                return Choice {
                    method: Some(method.name),
                    considered,
                    error: None,
                };
            }
            Err(why) => considered.push(Considered {
                method: method.name,
                applies: false,
                reason: why,
            }),
        }
    }
    Choice {
        method: None,
        considered,
        error: Some(
            "no authentication method applies: cannot configure default credentials (each method above says what it lacks)"
                .into(),
        ),
    }
}

/// `Ok(why it applies)` or `Err(what is missing)`.
fn applies(method: &Method, r: &Resolved, env: &dyn Env, explicit: bool) -> Result<String, String> {
    if r.get("group_id").is_some() && !method.supports_group {
        return Err(if explicit {
            format!("{} cannot assume a group: unset group_id", method.name)
        } else {
            "does not support group_id".into()
        });
    }
    if matches!(method.extra, Extra::ExplicitOnly) && !explicit {
        return Err("only when auth_type names it".into());
    }
    for attr in method.requires {
        if r.get(attr).is_none() {
            return Err(format!("no {attr}"));
        }
    }
    let var = |name: &str| env.var(name).filter(|v| !v.is_empty());
    let have = if method.requires.is_empty() {
        String::new()
    } else {
        format!("{} set", method.requires.join(", "))
    };
    let with = |more: String| {
        if have.is_empty() {
            more
        } else {
            format!("{have}; {more}")
        }
    };
    match method.extra {
        Extra::None => Ok(have),
        Extra::EnvIdToken => {
            let name = r.get("oidc_token_env").unwrap_or("DATABRICKS_OIDC_TOKEN");
            match var(name) {
                Some(_) => Ok(with(format!("an ID token in {name}"))),
                None => Err(format!("no ID token in {name}")),
            }
        }
        Extra::IdTokenFile => {
            let path = r.get("oidc_token_filepath").unwrap_or_default();
            match std::fs::metadata(path) {
                Ok(m) if m.is_file() => Ok(with(format!("the ID token file {path} exists"))),
                _ => Err(format!("oidc_token_filepath {path} is not a readable file")),
            }
        }
        Extra::GithubActions => {
            if var("ACTIONS_ID_TOKEN_REQUEST_TOKEN").is_some()
                && var("ACTIONS_ID_TOKEN_REQUEST_URL").is_some()
            {
                Ok(with(
                    "inside GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL set)".into(),
                ))
            } else {
                Err("not in GitHub Actions (no ACTIONS_ID_TOKEN_REQUEST_TOKEN/_URL)".into())
            }
        }
        Extra::AzureDevops => {
            let missing: Vec<&str> = [
                "SYSTEM_ACCESSTOKEN",
                "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI",
                "SYSTEM_TEAMPROJECTID",
                "SYSTEM_PLANID",
                "SYSTEM_JOBID",
                "SYSTEM_HOSTTYPE",
            ]
            .into_iter()
            .filter(|v| var(v).is_none())
            .collect();
            if missing.is_empty() {
                Ok(with("inside an Azure DevOps pipeline".into()))
            } else {
                Err(format!(
                    "not in an Azure DevOps pipeline (no {})",
                    missing[0]
                ))
            }
        }
        Extra::Msi => {
            let on = r.get("azure_use_msi").is_some_and(|v| {
                matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "t" | "yes")
            });
            if !on {
                return Err("azure_use_msi is not true".into());
            }
            if !is_azure(r) {
                return Err("not an Azure Databricks workspace".into());
            }
            Ok(with("an Azure workspace".into()))
        }
        Extra::AzureCli => {
            if !azure_login_app(r) {
                return Err(match r.get("host") {
                    Some(h) => format!("{} is not an Azure Databricks host", netloc(h)),
                    None => "no host and no azure_workspace_resource_id".into(),
                });
            }
            match which(env, "az") {
                Some(p) => Ok(format!(
                    "an Azure Databricks workspace, and az at {} (whether it is signed in shows when it runs)",
                    p.display()
                )),
                None => Err("az is not on PATH".into()),
            }
        }
        Extra::ExplicitOnly => {
            if explicit {
                Ok(with("auth_type names it".into()))
            } else {
                Err("only when auth_type names it".into())
            }
        }
        Extra::DatabricksCli => {
            let cli = match r.get("databricks_cli_path") {
                Some(p) if p.contains('/') => Some(PathBuf::from(p)).filter(|p| p.is_file()),
                Some(p) => which(env, p),
                None => which(env, "databricks"),
            };
            match cli {
                Some(p) => Ok(with(format!(
                    "the Databricks CLI at {} (whether it holds a login for the host shows when it runs)",
                    p.display()
                ))),
                None => Err("the Databricks CLI (databricks) is not on PATH".into()),
            }
        }
        Extra::Runtime => match var("DATABRICKS_RUNTIME_VERSION") {
            Some(v) => Ok(with(format!("inside a Databricks runtime ({v})"))),
            None => Err("not in a Databricks runtime (no DATABRICKS_RUNTIME_VERSION)".into()),
        },
        Extra::ModelServing => {
            let on = var("IS_IN_DB_MODEL_SERVING_ENV")
                .or_else(|| var("IS_IN_DATABRICKS_MODEL_SERVING_ENV"))
                .is_some_and(|v| v == "true");
            if on && Path::new("/var/credentials-secret/model-dependencies-oauth-token").is_file() {
                Ok("inside Databricks model serving".into())
            } else {
                Err("not in Databricks model serving".into())
            }
        }
    }
}

/// Azure DNS zones of Azure Databricks workspaces, as the SDKs list them.
const AZURE_ZONES: &[&str] = &[
    ".azuredatabricks.net",
    ".databricks.azure.us",
    ".databricks.azure.cn",
];

fn host_is_azure(r: &Resolved) -> bool {
    r.get("host")
        .is_some_and(|h| AZURE_ZONES.iter().any(|z| netloc(h).ends_with(z)))
}

/// The SDKs' `is_azure`: an ARM resource ID, else `cloud`, else the host's
/// DNS zone.
pub fn is_azure(r: &Resolved) -> bool {
    if r.get("azure_workspace_resource_id").is_some() {
        return true;
    }
    if let Some(c) = r.get("cloud") {
        if matches!(c.to_ascii_uppercase().as_str(), "AWS" | "AZURE" | "GCP") {
            return c.eq_ignore_ascii_case("azure");
        }
    }
    host_is_azure(r)
}

/// The SDKs' `effective_azure_login_app_id` is set: an Azure host, or no
/// host and an ARM resource ID.
fn azure_login_app(r: &Resolved) -> bool {
    match r.get("host") {
        Some(_) => host_is_azure(r),
        None => r.get("azure_workspace_resource_id").is_some(),
    }
}

/// The first executable file `name` in `PATH`.
fn which(env: &dyn Env, name: &str) -> Option<PathBuf> {
    let path = env.var("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::resolve::{resolve, Flags};
    use crate::net::databrickscfg::test_env::FakeEnv;

    fn choice(vars: &[(&'static str, &str)]) -> Choice {
        let home = tempfile::tempdir().unwrap();
        let env = FakeEnv {
            vars: vars.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            home: home.path().to_owned(),
        };
        let r = resolve(&Flags::default(), &env).unwrap();
        choose(&r, &env)
    }

    const HOST: (&str, &str) = ("DATABRICKS_HOST", "https://adb-1.2.azuredatabricks.net");

    #[test]
    fn databricks_token_makes_pat() {
        let c = choice(&[HOST, ("DATABRICKS_TOKEN", "dapi-x")]);
        assert_eq!(c.method, Some("pat"));
        assert_eq!(c.considered.len(), 1);
    }

    #[test]
    fn each_earlier_method_says_why_it_was_not_chosen() {
        let c = choice(&[
            HOST,
            ("ARM_CLIENT_ID", "a"),
            ("ARM_CLIENT_SECRET", "s"),
            ("ARM_TENANT_ID", "t"),
        ]);
        assert_eq!(c.method, Some("azure-client-secret"));
        let reasons: Vec<(&str, &str)> = c
            .considered
            .iter()
            .map(|c| (c.method, c.reason.as_str()))
            .collect();
        assert!(reasons.contains(&("pat", "no token")), "{reasons:?}");
        assert!(
            reasons.contains(&("oauth-m2m", "no client_id")),
            "{reasons:?}"
        );
        assert!(
            reasons.contains(&("azure-msi", "no azure_use_msi")),
            "{reasons:?}"
        );
    }

    #[test]
    fn oauth_m2m_without_a_secret_says_so() {
        let c = choice(&[HOST, ("DATABRICKS_CLIENT_ID", "c")]);
        assert_eq!(c.method, None);
        let m2m = c
            .considered
            .iter()
            .find(|c| c.method == "oauth-m2m")
            .unwrap();
        assert_eq!(m2m.reason, "no client_secret");
        assert!(c
            .error
            .unwrap()
            .contains("no authentication method applies"));
    }

    #[test]
    fn explicit_auth_type_is_the_only_method_tried() {
        let c = choice(&[
            HOST,
            ("DATABRICKS_TOKEN", "t"),
            ("DATABRICKS_AUTH_TYPE", "azure-cli"),
        ]);
        assert_eq!(c.method, None);
        assert_eq!(c.considered.len(), 1);
        assert!(c.error.unwrap().contains("az is not on PATH"));
        let c = choice(&[HOST, ("DATABRICKS_AUTH_TYPE", "nonsense")]);
        assert!(c.error.unwrap().contains("not a method the SDKs know"));
    }

    #[test]
    fn msi_and_azure_cli_need_an_azure_workspace() {
        let c = choice(&[
            ("DATABRICKS_HOST", "https://dbc-1.cloud.databricks.com"),
            ("ARM_USE_MSI", "true"),
        ]);
        let msi = c
            .considered
            .iter()
            .find(|c| c.method == "azure-msi")
            .unwrap();
        assert_eq!(msi.reason, "not an Azure Databricks workspace");
        let cli = c
            .considered
            .iter()
            .find(|c| c.method == "azure-cli")
            .unwrap();
        assert!(
            cli.reason.contains("not an Azure Databricks host"),
            "{}",
            cli.reason
        );
        let c = choice(&[HOST, ("ARM_USE_MSI", "true")]);
        assert_eq!(c.method, Some("azure-msi"));
    }

    #[test]
    fn azure_cli_is_found_on_path() {
        let bin = tempfile::tempdir().unwrap();
        let az = bin.path().join("az");
        std::fs::write(&az, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path = bin.path().display().to_string();
        let c = choice(&[HOST, ("PATH", &path)]);
        assert_eq!(c.method, Some("azure-cli"));
    }

    #[test]
    fn group_id_skips_methods_that_cannot_assume_a_group() {
        let c = choice(&[
            HOST,
            ("DATABRICKS_TOKEN", "t"),
            ("DATABRICKS_GROUP_ID", "g"),
        ]);
        assert_eq!(c.considered[0].reason, "does not support group_id");
    }
}
