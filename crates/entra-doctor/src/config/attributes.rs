//! The Databricks SDKs' configuration attributes, as data: the name used in
//! `Config(...)` and in `~/.databrickscfg`, the environment variables that
//! set it (first one wins), whether it is a secret, and the group of
//! authentication methods it belongs to (two groups at once is a conflict
//! unless `auth_type` picks one).
//!
//! The list and the groups follow databricks-sdk-py's `Config` attributes
//! (the Go SDK's `config.Config` has the same names and variables).

/// One attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    /// The name in `Config(...)` and in a profile.
    pub name: &'static str,
    /// Environment variables, in the order they are read.
    pub env: &'static [&'static str],
    /// Shown masked, never in full.
    pub secret: bool,
    /// The group of methods it configures (`pat`, `basic`, `oauth`, `azure`,
    /// `google`, `metadata-service`, `env-oidc`, `file-oidc`).
    pub auth: Option<&'static str>,
}

const fn attr(name: &'static str, env: &'static [&'static str]) -> Attribute {
    Attribute {
        name,
        env,
        secret: false,
        auth: None,
    }
}

const fn auth(name: &'static str, env: &'static [&'static str], group: &'static str) -> Attribute {
    Attribute {
        name,
        env,
        secret: false,
        auth: Some(group),
    }
}

const fn secret(
    name: &'static str,
    env: &'static [&'static str],
    group: Option<&'static str>,
) -> Attribute {
    Attribute {
        name,
        env,
        secret: true,
        auth: group,
    }
}

/// Every attribute, in the SDK's order.
pub const ATTRIBUTES: &[Attribute] = &[
    attr("host", &["DATABRICKS_HOST"]),
    attr("account_id", &["DATABRICKS_ACCOUNT_ID"]),
    attr("workspace_id", &["DATABRICKS_WORKSPACE_ID"]),
    attr("group_id", &["DATABRICKS_GROUP_ID"]),
    attr("cloud", &["DATABRICKS_CLOUD"]),
    attr("discovery_url", &["DATABRICKS_DISCOVERY_URL"]),
    secret("token", &["DATABRICKS_TOKEN"], Some("pat")),
    attr("token_audience", &["DATABRICKS_TOKEN_AUDIENCE"]),
    auth("oidc_token_env", &["DATABRICKS_OIDC_TOKEN_ENV"], "env-oidc"),
    auth(
        "oidc_token_filepath",
        &[
            "DATABRICKS_OIDC_TOKEN_FILEPATH",
            "DATABRICKS_OIDC_TOKEN_FILE",
        ],
        "file-oidc",
    ),
    auth("username", &["DATABRICKS_USERNAME"], "basic"),
    secret("password", &["DATABRICKS_PASSWORD"], Some("basic")),
    auth("client_id", &["DATABRICKS_CLIENT_ID"], "oauth"),
    secret(
        "client_secret",
        &["DATABRICKS_CLIENT_SECRET"],
        Some("oauth"),
    ),
    attr("profile", &["DATABRICKS_CONFIG_PROFILE"]),
    attr("config_file", &["DATABRICKS_CONFIG_FILE"]),
    auth(
        "google_service_account",
        &["DATABRICKS_GOOGLE_SERVICE_ACCOUNT"],
        "google",
    ),
    secret(
        "google_credentials",
        &["GOOGLE_CREDENTIALS"],
        Some("google"),
    ),
    auth(
        "azure_workspace_resource_id",
        &["DATABRICKS_AZURE_RESOURCE_ID"],
        "azure",
    ),
    auth("azure_use_msi", &["ARM_USE_MSI"], "azure"),
    secret("azure_client_secret", &["ARM_CLIENT_SECRET"], Some("azure")),
    auth("azure_client_id", &["ARM_CLIENT_ID"], "azure"),
    auth("azure_tenant_id", &["ARM_TENANT_ID"], "azure"),
    attr("azure_environment", &["ARM_ENVIRONMENT"]),
    attr("databricks_cli_path", &["DATABRICKS_CLI_PATH"]),
    attr("auth_type", &["DATABRICKS_AUTH_TYPE"]),
    attr("cluster_id", &["DATABRICKS_CLUSTER_ID"]),
    attr("warehouse_id", &["DATABRICKS_WAREHOUSE_ID"]),
    attr(
        "serverless_compute_id",
        &["DATABRICKS_SERVERLESS_COMPUTE_ID"],
    ),
    attr("skip_verify", &[]),
    attr("http_timeout_seconds", &[]),
    attr("debug_truncate_bytes", &["DATABRICKS_DEBUG_TRUNCATE_BYTES"]),
    attr("debug_headers", &["DATABRICKS_DEBUG_HEADERS"]),
    attr("rate_limit", &["DATABRICKS_RATE_LIMIT"]),
    attr("retry_timeout_seconds", &[]),
    secret(
        "metadata_service_url",
        &["DATABRICKS_METADATA_SERVICE_URL"],
        Some("metadata-service"),
    ),
    attr("max_connection_pools", &[]),
    attr("max_connections_per_pool", &[]),
    attr(
        "disable_async_token_refresh",
        &["DATABRICKS_DISABLE_ASYNC_TOKEN_REFRESH"],
    ),
    attr(
        "disable_experimental_files_api_client",
        &["DATABRICKS_DISABLE_EXPERIMENTAL_FILES_API_CLIENT"],
    ),
    attr("scopes", &[]),
    attr("authorization_details", &[]),
    attr(
        "disable_oauth_refresh_token",
        &["DATABRICKS_DISABLE_OAUTH_REFRESH_TOKEN"],
    ),
];

/// The attribute of this name.
pub fn find(name: &str) -> Option<&'static Attribute> {
    ATTRIBUTES.iter().find(|a| a.name == name)
}

/// Its position in [`ATTRIBUTES`] (for ordered output).
pub fn index(name: &str) -> Option<usize> {
    ATTRIBUTES.iter().position(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_variables_are_unique() {
        let mut names: Vec<&str> = ATTRIBUTES.iter().map(|a| a.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ATTRIBUTES.len());
        let mut vars: Vec<&str> = ATTRIBUTES
            .iter()
            .flat_map(|a| a.env.iter().copied())
            .collect();
        let n = vars.len();
        vars.sort_unstable();
        vars.dedup();
        assert_eq!(vars.len(), n);
    }

    #[test]
    fn every_secret_of_the_sdk_is_marked_secret() {
        for name in [
            "token",
            "password",
            "client_secret",
            "azure_client_secret",
            "google_credentials",
            "metadata_service_url",
        ] {
            assert!(find(name).unwrap().secret, "{name}");
        }
        assert!(!find("host").unwrap().secret);
    }
}
