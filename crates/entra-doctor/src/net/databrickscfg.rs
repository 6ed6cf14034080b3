//! The workspace settings `check` and `serve` read, resolved by the one
//! settings resolver with the Databricks SDKs' semantics
//! ([`crate::config`]): flags, then environment variables, then a profile of
//! `~/.databrickscfg` (or `DATABRICKS_CONFIG_FILE`) named by `--profile`,
//! `DATABRICKS_CONFIG_PROFILE` or `[__settings__] default_profile`, else
//! `[DEFAULT]`.
//!
//! Only the keys this tool uses are kept here: `host`, `azure_tenant_id`,
//! `azure_client_id`, `azure_workspace_resource_id`, `azure_environment`.

use std::path::PathBuf;

/// Where a setting came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced {
    pub value: String,
    pub source: String,
}

/// The settings found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabricksSettings {
    pub host: Option<Sourced>,
    pub azure_tenant_id: Option<Sourced>,
    pub azure_client_id: Option<Sourced>,
    pub azure_workspace_resource_id: Option<Sourced>,
    pub azure_environment: Option<Sourced>,
    /// `account_id` (DATABRICKS_ACCOUNT_ID, the profile): the account an
    /// account host's tokens must come from.
    pub account_id: Option<Sourced>,
    /// The profile used, if any.
    pub profile: Option<String>,
}

/// The environment as the resolver sees it (injectable for tests).
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
    fn home(&self) -> Option<PathBuf>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
    fn home(&self) -> Option<PathBuf> {
        dirs::home_dir()
    }
}

/// Resolves the settings. `profile_flag` is `--profile`.
pub fn resolve(profile_flag: Option<&str>, env: &dyn Env) -> Result<DatabricksSettings, String> {
    crate::config::consumers::workspace_settings(profile_flag, env)
}

/// An environment made up for tests.
#[cfg(test)]
pub(crate) mod test_env {
    use std::path::PathBuf;

    use super::Env;

    /// Variables and a home folder, as a test chooses.
    pub(crate) struct FakeEnv {
        pub vars: Vec<(&'static str, String)>,
        pub home: PathBuf,
    }

    impl Env for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.vars
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
        fn home(&self) -> Option<PathBuf> {
            Some(self.home.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) use super::test_env::FakeEnv;

    const CFG: &str = "\
; comment
[DEFAULT]
host = https://adb-1.1.azuredatabricks.net

[dev]
host  = https://adb-2.2.azuredatabricks.net/
azure_tenant_id = 11111111-2222-4333-8444-555555555555
azure_client_id=22222222-2222-4333-8444-555555555555
token = dapi-secret
";

    #[test]
    fn environment_beats_profile_value_by_value_as_in_the_sdks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".databrickscfg"), CFG).unwrap();
        let env = FakeEnv {
            vars: vec![
                (
                    "DATABRICKS_HOST",
                    "https://adb-3.3.azuredatabricks.net".into(),
                ),
                ("ARM_CLIENT_ID", "env-client".into()),
            ],
            home: dir.path().to_owned(),
        };
        // --profile reads the profile, but a variable still wins over it.
        let s = resolve(Some("dev"), &env).unwrap();
        assert_eq!(
            s.host.as_ref().unwrap().value,
            "https://adb-3.3.azuredatabricks.net"
        );
        assert_eq!(s.host.unwrap().source, "DATABRICKS_HOST");
        assert_eq!(s.azure_client_id.unwrap().value, "env-client");
        let tenant = s.azure_tenant_id.unwrap();
        assert_eq!(tenant.value, "11111111-2222-4333-8444-555555555555");
        assert!(tenant.source.contains("profile 'dev'"), "{}", tenant.source);
        // No profile named and settings in the environment: the file is not read.
        let s = resolve(None, &env).unwrap();
        assert_eq!(s.host.unwrap().source, "DATABRICKS_HOST");
        assert_eq!(s.azure_tenant_id, None);

        let env = FakeEnv {
            vars: vec![
                ("DATABRICKS_CONFIG_PROFILE", "dev".into()),
                ("ARM_CLIENT_ID", "env-client".into()),
            ],
            home: dir.path().to_owned(),
        };
        let s = resolve(None, &env).unwrap();
        assert_eq!(s.azure_client_id.unwrap().value, "env-client");
        assert_eq!(
            s.host.unwrap().value,
            "https://adb-2.2.azuredatabricks.net",
            "the profile's host, cleaned as the SDKs do"
        );
        assert_eq!(s.profile.as_deref(), Some("dev"));
    }

    #[test]
    fn default_section_is_used_when_no_profile_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".databrickscfg"), CFG).unwrap();
        let env = FakeEnv {
            vars: vec![],
            home: dir.path().to_owned(),
        };
        let s = resolve(None, &env).unwrap();
        assert_eq!(s.host.unwrap().value, "https://adb-1.1.azuredatabricks.net");
        assert_eq!(s.profile.as_deref(), Some("DEFAULT"));
    }

    #[test]
    fn a_missing_profile_is_an_error_naming_the_others() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".databrickscfg"), CFG).unwrap();
        let env = FakeEnv {
            vars: vec![],
            home: dir.path().to_owned(),
        };
        let e = resolve(Some("prod"), &env).unwrap_err();
        assert!(e.contains("profile 'prod'") && e.contains("dev"), "{e}");
    }
}
