//! Where `token` takes its settings from, and where each came from.
//!
//! Order: command-line flags, then `AZURE_*` variables as azure-identity
//! names them, then what the one settings resolver ([`crate::config`]) finds
//! with the Databricks SDKs' semantics: their variables (`ARM_*`,
//! `DATABRICKS_HOST`), then `DATABRICKS_AZURE_*`, then the profile
//! (`--profile`, `DATABRICKS_CONFIG_PROFILE`, `[__settings__]
//! default_profile`, `[DEFAULT]`) of `~/.databrickscfg` (or
//! `DATABRICKS_CONFIG_FILE`). Secrets are kept as [`Secret`]s and shown
//! masked.

use std::path::PathBuf;

use crate::config::consumers::{resolve_with_profile, value_from};
use crate::flows::secret::Secret;
use crate::net::databrickscfg::Env;

/// The default authority host (Azure public cloud).
pub const DEFAULT_AUTHORITY: &str = crate::net::discovery::DEFAULT_AUTHORITY;

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: String,
}

/// The settings given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub certificate: Option<PathBuf>,
    pub username: Option<String>,
    pub authority: Option<String>,
    pub workspace: Option<String>,
    pub profile: Option<String>,
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub tenant: Option<Sourced<String>>,
    pub client_id: Option<Sourced<String>>,
    pub client_secret: Option<Sourced<Secret>>,
    pub certificate: Option<Sourced<PathBuf>>,
    pub username: Option<Sourced<String>>,
    pub password: Option<Sourced<Secret>>,
    /// Scheme and host, no trailing slash.
    pub authority: Sourced<String>,
    pub workspace: Option<Sourced<String>>,
}

/// One setting: azure-identity's variables (read first), the SDK attribute
/// (its variables, then its profile key), and further variables read after
/// the SDK's variables and before a profile.
struct Key {
    before: &'static [&'static str],
    attribute: Option<&'static str>,
    after: &'static [&'static str],
}

const TENANT: Key = Key {
    before: &["AZURE_TENANT_ID"],
    attribute: Some("azure_tenant_id"),
    after: &["DATABRICKS_AZURE_TENANT_ID"],
};
const CLIENT_ID: Key = Key {
    before: &["AZURE_CLIENT_ID"],
    attribute: Some("azure_client_id"),
    after: &["DATABRICKS_AZURE_CLIENT_ID"],
};
const CLIENT_SECRET: Key = Key {
    before: &["AZURE_CLIENT_SECRET"],
    attribute: Some("azure_client_secret"),
    after: &["DATABRICKS_AZURE_CLIENT_SECRET"],
};
const CERTIFICATE: Key = Key {
    before: &[
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "ARM_CLIENT_CERTIFICATE_PATH",
    ],
    attribute: None,
    after: &[],
};
const USERNAME: Key = Key {
    before: &["AZURE_USERNAME"],
    attribute: None,
    after: &[],
};
const PASSWORD: Key = Key {
    before: &["AZURE_PASSWORD"],
    attribute: None,
    after: &[],
};
const HOST: Key = Key {
    before: &[],
    attribute: Some("host"),
    after: &[],
};
const ENVIRONMENT: Key = Key {
    before: &[],
    attribute: Some("azure_environment"),
    after: &[],
};

/// Resolves the settings.
pub fn resolve(flags: &Flags, env: &dyn Env) -> Result<Settings, String> {
    let resolved = resolve_with_profile(flags.profile.as_deref(), env)?;
    let pick = |flag: Option<(String, &str)>, key: &Key| -> Option<Sourced<String>> {
        let sourced = |(value, source): (String, String)| Sourced { value, source };
        if let Some((v, name)) = flag.filter(|(v, _)| !v.trim().is_empty()) {
            return Some(sourced((v.trim().to_owned(), name.to_owned())));
        }
        let var = |vars: &[&str]| {
            vars.iter()
                .find_map(|var| env.var(var).map(|v| (v, (*var).to_owned())))
        };
        let attr = |from_env: bool| {
            key.attribute
                .and_then(|a| value_from(&resolved, a, from_env))
                .map(|(v, s)| (v.trim().to_owned(), s))
        };
        var(key.before)
            .or_else(|| attr(true))
            .or_else(|| var(key.after))
            .or_else(|| attr(false))
            .map(sourced)
    };
    let secret = |s: Option<Sourced<String>>| {
        s.map(|s| Sourced {
            value: Secret::new(s.value),
            source: s.source,
        })
    };
    let authority = match pick(
        flags.authority.clone().map(|a| (a, "--authority")),
        &Key {
            before: &["AZURE_AUTHORITY_HOST"],
            attribute: None,
            after: &[],
        },
    ) {
        Some(a) => a,
        None => match pick(None, &ENVIRONMENT) {
            Some(e) => Sourced {
                value: cloud_authority(&e.value)?.to_owned(),
                source: format!("{} ({})", e.source, e.value),
            },
            None => Sourced {
                value: DEFAULT_AUTHORITY.to_owned(),
                source: "default".into(),
            },
        },
    };
    let authority = Sourced {
        value: crate::net::discovery::normalise_authority(&authority.value)?,
        source: authority.source,
    };
    Ok(Settings {
        tenant: pick(flags.tenant.clone().map(|v| (v, "--tenant")), &TENANT),
        client_id: pick(
            flags.client_id.clone().map(|v| (v, "--client-id")),
            &CLIENT_ID,
        ),
        client_secret: secret(pick(None, &CLIENT_SECRET)),
        certificate: pick(
            flags
                .certificate
                .as_ref()
                .map(|p| (p.display().to_string(), "--certificate")),
            &CERTIFICATE,
        )
        .map(|s| Sourced {
            value: PathBuf::from(s.value),
            source: s.source,
        }),
        username: pick(flags.username.clone().map(|v| (v, "--username")), &USERNAME),
        password: secret(pick(None, &PASSWORD)),
        authority,
        workspace: pick(flags.workspace.clone().map(|v| (v, "--workspace")), &HOST),
    })
}

/// The authority host of an `azure_environment` / `ARM_ENVIRONMENT` value.
fn cloud_authority(name: &str) -> Result<&'static str, String> {
    crate::net::workspace::Cloud::of_environment(name)
        .map(crate::net::workspace::Cloud::authority)
        .ok_or_else(|| {
            format!("unknown Azure environment '{name}' (PUBLIC, USGOVERNMENT or CHINA)")
        })
}

impl Settings {
    /// `--show-config`: every setting, where it came from, secrets masked.
    pub fn describe(&self) -> Vec<(&'static str, String, String)> {
        fn row<T: std::fmt::Display>(
            name: &'static str,
            s: &Option<Sourced<T>>,
        ) -> (&'static str, String, String) {
            match s {
                Some(s) => (name, s.value.to_string(), s.source.clone()),
                None => (name, "(not set)".into(), String::new()),
            }
        }
        let cert = self.certificate.as_ref().map(|c| Sourced {
            value: c.value.display().to_string(),
            source: c.source.clone(),
        });
        vec![
            (
                "authority",
                self.authority.value.clone(),
                self.authority.source.clone(),
            ),
            row("tenant", &self.tenant),
            row("client_id", &self.client_id),
            row("client_secret", &self.client_secret),
            row("certificate", &cert),
            row("username", &self.username),
            row("password", &self.password),
            row("workspace", &self.workspace),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::net::databrickscfg::test_env::FakeEnv;

    #[test]
    fn order_and_sources() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".databrickscfg"),
            "[p]\nhost = https://adb-1.2.azuredatabricks.net\nazure_tenant_id = t-profile\nazure_client_secret = s-profile\nazure_environment = USGOVERNMENT\n",
        )
        .unwrap();
        let env = FakeEnv {
            vars: vec![
                ("AZURE_TENANT_ID", "t-env".into()),
                ("ARM_CLIENT_ID", "c-env".into()),
                ("AZURE_CLIENT_SECRET", "s-env".into()),
            ],
            home: dir.path().to_owned(),
        };
        let s = resolve(&Flags::default(), &env).unwrap();
        assert_eq!(s.tenant.as_ref().unwrap().source, "AZURE_TENANT_ID");
        assert_eq!(s.client_id.as_ref().unwrap().value, "c-env");
        assert_eq!(s.authority.value, DEFAULT_AUTHORITY);
        let flags = Flags {
            profile: Some("p".into()),
            tenant: Some("t-flag".into()),
            ..Flags::default()
        };
        let s = resolve(&flags, &env).unwrap();
        assert_eq!(s.tenant.as_ref().unwrap().value, "t-flag");
        // A variable beats the profile even when --profile names it (the
        // SDKs' precedence: explicit, then environment, then profile).
        assert_eq!(s.client_secret.as_ref().unwrap().value.expose(), "s-env");
        assert_eq!(
            s.client_secret.as_ref().unwrap().source,
            "AZURE_CLIENT_SECRET"
        );
        assert_eq!(s.authority.value, "https://login.microsoftonline.us");
        assert!(s.workspace.as_ref().unwrap().source.contains("profile 'p'"));
        let shown = format!("{:?}", s.describe());
        assert!(!shown.contains("s-profile"), "{shown}");
    }

    #[test]
    fn authority_forms() {
        assert_eq!(
            crate::net::discovery::normalise_authority("login.microsoftonline.com/").unwrap(),
            DEFAULT_AUTHORITY
        );
        assert_eq!(
            crate::net::discovery::normalise_authority("http://127.0.0.1:8080/x").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(crate::net::discovery::normalise_authority("http://example.com").is_err());
    }
}
