//! The workspace settings as the Databricks SDKs take them: command-line
//! flags, then a profile named with `--profile`, then environment variables,
//! then a profile named by `DATABRICKS_CONFIG_PROFILE`, from
//! `~/.databrickscfg` (or `DATABRICKS_CONFIG_FILE`).
//!
//! Only the keys this tool uses are kept: `host`, `azure_tenant_id`,
//! `azure_client_id`, `azure_workspace_resource_id`, `azure_environment`.
//! Secrets in the file (tokens, client secrets) are dropped as soon as the
//! file is parsed, and never used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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

/// One `[section]` of the file: keys lower-cased.
pub type Section = BTreeMap<String, String>;

/// Parses the INI text of a `.databrickscfg`: `[name]` sections, `key = value`
/// lines, `#` and `;` comments. Keys before any section go to `DEFAULT`.
pub fn parse(text: &str) -> BTreeMap<String, Section> {
    let mut out: BTreeMap<String, Section> = BTreeMap::new();
    let mut current = "DEFAULT".to_owned();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_owned();
            out.entry(current.clone()).or_default();
            continue;
        }
        let Some((k, v)) = line.split_once('=').or_else(|| line.split_once(':')) else {
            continue;
        };
        out.entry(current.clone())
            .or_default()
            .insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
    }
    out
}

/// The config file's path: `DATABRICKS_CONFIG_FILE`, else `~/.databrickscfg`.
pub fn config_path(env: &dyn Env) -> Option<PathBuf> {
    match env.var("DATABRICKS_CONFIG_FILE") {
        Some(p) => Some(expand_home(&p, env)),
        None => env.home().map(|h| h.join(".databrickscfg")),
    }
}

fn expand_home(p: &str, env: &dyn Env) -> PathBuf {
    match (p.strip_prefix("~/"), env.home()) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(p),
    }
}

fn read_profile(path: &Path, name: &str) -> Result<Section, String> {
    // `check` keeps only the keys it reads: secrets stay in the file.
    Ok(read_section(path, name)?
        .into_iter()
        .filter(|(k, _)| KEYS.iter().any(|(key, _)| key == k))
        .collect())
}

/// Reads one whole profile of a `.databrickscfg` file: at most 1 MiB, read
/// leniently as UTF-8. The error names the profiles there are.
pub(crate) fn read_section(path: &Path, name: &str) -> Result<Section, String> {
    let bytes = std::fs::File::open(path)
        .map_err(|e| format!("cannot read {} for profile '{name}': {e}", path.display()))
        .and_then(|f| {
            crate::input_source::read_bounded(f, 1024 * 1024)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?
                .ok_or_else(|| format!("{} is over 1 MiB", path.display()))
        })?;
    let text = String::from_utf8_lossy(&bytes);
    let mut sections = parse(&text);
    match sections.remove(name) {
        Some(s) => Ok(s),
        None => {
            let names: Vec<&str> = sections.keys().map(String::as_str).collect();
            Err(format!(
                "profile '{name}' is not in {} (profiles: {})",
                path.display(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ))
        }
    }
}

/// The keys read, with their environment variables.
const KEYS: &[(&str, &str)] = &[
    ("host", "DATABRICKS_HOST"),
    ("azure_tenant_id", "ARM_TENANT_ID"),
    ("azure_client_id", "ARM_CLIENT_ID"),
    (
        "azure_workspace_resource_id",
        "DATABRICKS_AZURE_RESOURCE_ID",
    ),
    ("azure_environment", "ARM_ENVIRONMENT"),
];

/// Resolves the settings. `profile_flag` is `--profile`.
pub fn resolve(profile_flag: Option<&str>, env: &dyn Env) -> Result<DatabricksSettings, String> {
    let mut layers: Vec<(Section, String)> = Vec::new();
    let path = config_path(env);
    if let Some(name) = profile_flag {
        let path = path
            .clone()
            .ok_or("--profile: no home folder to find ~/.databrickscfg in")?;
        layers.push((
            read_profile(&path, name)?,
            format!("profile '{name}' in {}", path.display()),
        ));
    }
    let mut env_layer = Section::new();
    for (key, var) in KEYS {
        if let Some(v) = env.var(var) {
            env_layer.insert((*key).to_owned(), v);
        }
    }
    let env_sources: BTreeMap<&str, &str> = KEYS.iter().copied().collect();
    let env_profile = env.var("DATABRICKS_CONFIG_PROFILE");
    let mut profile = profile_flag.map(str::to_owned);
    let mut sources_env = true;
    if profile_flag.is_none() {
        if let Some(name) = &env_profile {
            let path = path
                .ok_or("DATABRICKS_CONFIG_PROFILE: no home folder to find ~/.databrickscfg in")?;
            let section = read_profile(&path, name)?;
            layers.push((env_layer.clone(), String::new()));
            layers.push((
                section,
                format!(
                    "profile '{name}' (DATABRICKS_CONFIG_PROFILE) in {}",
                    path.display()
                ),
            ));
            profile = Some(name.clone());
            sources_env = false;
        }
    }
    if sources_env {
        layers.push((env_layer, String::new()));
    }
    let pick = |key: &str| -> Option<Sourced> {
        for (section, source) in &layers {
            if let Some(v) = section.get(key).filter(|v| !v.is_empty()) {
                let source = if source.is_empty() {
                    env_sources
                        .get(key)
                        .map(|s| (*s).to_owned())
                        .unwrap_or_default()
                } else {
                    source.clone()
                };
                return Some(Sourced {
                    value: v.clone(),
                    source,
                });
            }
        }
        None
    };
    Ok(DatabricksSettings {
        host: pick("host"),
        azure_tenant_id: pick("azure_tenant_id"),
        azure_client_id: pick("azure_client_id"),
        azure_workspace_resource_id: pick("azure_workspace_resource_id"),
        azure_environment: pick("azure_environment"),
        profile,
    })
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
    fn parses_sections_and_keys() {
        let s = parse(CFG);
        assert_eq!(s["dev"]["host"], "https://adb-2.2.azuredatabricks.net/");
        assert_eq!(
            s["dev"]["azure_client_id"],
            "22222222-2222-4333-8444-555555555555"
        );
        assert_eq!(s["DEFAULT"]["host"], "https://adb-1.1.azuredatabricks.net");
    }

    #[test]
    fn flag_profile_beats_environment_which_beats_env_profile() {
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
        let s = resolve(Some("dev"), &env).unwrap();
        assert_eq!(
            s.host.as_ref().unwrap().value,
            "https://adb-2.2.azuredatabricks.net/"
        );
        assert!(s.host.unwrap().source.contains("profile 'dev'"));
        let s = resolve(None, &env).unwrap();
        assert_eq!(
            s.host.as_ref().unwrap().value,
            "https://adb-3.3.azuredatabricks.net"
        );
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
            s.azure_tenant_id.unwrap().value,
            "11111111-2222-4333-8444-555555555555"
        );
        assert_eq!(s.profile.as_deref(), Some("dev"));
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
