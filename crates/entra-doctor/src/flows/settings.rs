//! Where `token` takes its settings from, and where each came from.
//!
//! Order, as the Databricks SDKs and `check` take it: command-line flags, the
//! profile named with `--profile`, environment variables (`AZURE_*` as
//! azure-identity names them, then `ARM_*`, then `DATABRICKS_*`), then the
//! profile named by `DATABRICKS_CONFIG_PROFILE`, in `~/.databrickscfg` (or
//! `DATABRICKS_CONFIG_FILE`). Secrets are kept as [`Secret`]s and shown
//! masked.

use std::path::PathBuf;

use crate::flows::secret::Secret;
use crate::net::databrickscfg::{self, Env, Section};

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

struct Layer {
    values: Section,
    source: String,
}

/// One setting: its key in a profile and its environment variables, in order.
struct Key {
    profile: Option<&'static str>,
    env: &'static [&'static str],
}

const TENANT: Key = Key {
    profile: Some("azure_tenant_id"),
    env: &[
        "AZURE_TENANT_ID",
        "ARM_TENANT_ID",
        "DATABRICKS_AZURE_TENANT_ID",
    ],
};
const CLIENT_ID: Key = Key {
    profile: Some("azure_client_id"),
    env: &[
        "AZURE_CLIENT_ID",
        "ARM_CLIENT_ID",
        "DATABRICKS_AZURE_CLIENT_ID",
    ],
};
const CLIENT_SECRET: Key = Key {
    profile: Some("azure_client_secret"),
    env: &[
        "AZURE_CLIENT_SECRET",
        "ARM_CLIENT_SECRET",
        "DATABRICKS_AZURE_CLIENT_SECRET",
    ],
};
const CERTIFICATE: Key = Key {
    profile: None,
    env: &[
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "ARM_CLIENT_CERTIFICATE_PATH",
    ],
};
const USERNAME: Key = Key {
    profile: None,
    env: &["AZURE_USERNAME"],
};
const PASSWORD: Key = Key {
    profile: None,
    env: &["AZURE_PASSWORD"],
};
const HOST: Key = Key {
    profile: Some("host"),
    env: &["DATABRICKS_HOST"],
};
const ENVIRONMENT: Key = Key {
    profile: Some("azure_environment"),
    env: &["ARM_ENVIRONMENT"],
};

fn read_profile(path: &std::path::Path, name: &str) -> Result<Section, String> {
    databrickscfg::read_section(path, name)
}

/// Resolves the settings.
pub fn resolve(flags: &Flags, env: &dyn Env) -> Result<Settings, String> {
    let path = databrickscfg::config_path(env);
    let mut profiles: Vec<Layer> = Vec::new();
    if let Some(name) = &flags.profile {
        let path = path
            .clone()
            .ok_or("--profile: no home folder to find ~/.databrickscfg in")?;
        profiles.push(Layer {
            values: read_profile(&path, name)?,
            source: format!("profile '{name}' in {}", path.display()),
        });
    }
    let mut env_profile: Option<Layer> = None;
    if flags.profile.is_none() {
        if let Some(name) = env.var("DATABRICKS_CONFIG_PROFILE") {
            let path = path
                .ok_or("DATABRICKS_CONFIG_PROFILE: no home folder to find ~/.databrickscfg in")?;
            env_profile = Some(Layer {
                values: read_profile(&path, &name)?,
                source: format!(
                    "profile '{name}' (DATABRICKS_CONFIG_PROFILE) in {}",
                    path.display()
                ),
            });
        }
    }
    let pick = |flag: Option<(String, &str)>, key: &Key| -> Option<Sourced<String>> {
        if let Some((v, name)) = flag.filter(|(v, _)| !v.trim().is_empty()) {
            return Some(Sourced {
                value: v.trim().to_owned(),
                source: name.to_owned(),
            });
        }
        let from_profile = |l: &Layer| {
            key.profile
                .and_then(|k| l.values.get(k))
                .filter(|v| !v.trim().is_empty())
                .map(|v| Sourced {
                    value: v.trim().to_owned(),
                    source: l.source.clone(),
                })
        };
        if let Some(s) = profiles.iter().find_map(from_profile) {
            return Some(s);
        }
        for var in key.env {
            if let Some(v) = env.var(var) {
                return Some(Sourced {
                    value: v,
                    source: (*var).to_owned(),
                });
            }
        }
        env_profile.as_ref().and_then(from_profile)
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
            profile: None,
            env: &["AZURE_AUTHORITY_HOST"],
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
        assert_eq!(
            s.client_secret.as_ref().unwrap().value.expose(),
            "s-profile"
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
