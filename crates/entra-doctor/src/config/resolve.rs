//! One settings resolver, with the Databricks SDKs' semantics (as
//! databricks-sdk-py's `Config.__init__` applies them):
//!
//! 1. explicit values (command-line flags) are set first;
//! 2. then every attribute not set yet takes its environment variable;
//! 3. then the config file (`config_file`, else `~/.databrickscfg`) is read,
//!    unless no profile was named and an authentication attribute, `host` or
//!    `azure_workspace_resource_id` is already set. The profile is the one
//!    named (`--profile`, `DATABRICKS_CONFIG_PROFILE`), else
//!    `[__settings__] default_profile`, else `[DEFAULT]` when it has keys. A
//!    named profile that is not there is an error; a missing `[DEFAULT]` and a
//!    missing file are not. A profile's values never replace one set before;
//! 4. `host` gets `https://` when it has no scheme, loses a trailing `/` and
//!    a `:443`;
//! 5. settings of two method groups at once (say `token` and
//!    `azure_client_secret`) conflict, unless `auth_type` names the method.
//!
//! Each value keeps where it came from. Nothing here uses the network.

use std::fmt;
use std::path::PathBuf;

use super::attributes::{self, Attribute, ATTRIBUTES};
use super::file::{self, CfgFile};
use crate::net::databrickscfg::Env;

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag (its name, e.g. `--host`).
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// A profile of the config file; `via` is how it was named when not by
    /// `--profile` (`DATABRICKS_CONFIG_PROFILE`, `[__settings__]
    /// default_profile`).
    Profile {
        name: String,
        path: PathBuf,
        via: Option<String>,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(n) | Source::Env(n) => f.write_str(n),
            Source::Profile {
                name,
                path,
                via: Some(via),
            } => write!(f, "profile '{name}' ({via}) in {}", path.display()),
            Source::Profile { name, path, .. } => {
                write!(f, "profile '{name}' in {}", path.display())
            }
        }
    }
}

/// A value and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub value: String,
    pub source: Source,
}

/// The command-line values, by attribute name.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    values: Vec<(&'static Attribute, String, &'static str)>,
}

impl Flags {
    /// Sets `attribute` from the flag `flag` (an empty value is no value).
    /// Unknown attribute names are a programming error and are ignored.
    pub fn set(mut self, attribute: &str, value: Option<&str>, flag: &'static str) -> Self {
        if let (Some(a), Some(v)) = (attributes::find(attribute), value) {
            let v = v.trim();
            if !v.is_empty() {
                self.values.retain(|(x, _, _)| x.name != a.name);
                self.values.push((a, v.to_owned(), flag));
            }
        }
        self
    }
}

/// How the profile was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileChoice {
    /// Named explicitly (the source of `profile`: a flag or the variable).
    Named(Source),
    /// `[__settings__] default_profile`.
    SettingsDefault,
    /// `[DEFAULT]`, used when no profile is named.
    DefaultSection,
}

impl fmt::Display for ProfileChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileChoice::Named(s) => write!(f, "{s}"),
            ProfileChoice::SettingsDefault => f.write_str("[__settings__] default_profile"),
            ProfileChoice::DefaultSection => f.write_str("[DEFAULT], no profile named"),
        }
    }
}

/// What became of the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileUse {
    /// Read; the profile used, if any.
    Read {
        profile: Option<(String, ProfileChoice)>,
    },
    /// No such file.
    Missing,
    /// Not read: settings were given another way (the reason).
    Skipped(&'static str),
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Set attributes, in [`ATTRIBUTES`] order.
    values: Vec<(&'static Attribute, Value)>,
    /// The config file's path, when there is a home folder or a setting.
    pub config_file: Option<PathBuf>,
    pub file_use: FileUse,
}

/// Why the settings could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// The config file cannot be read or parsed.
    File(String),
    /// The profile named is not there, or is reserved.
    Profile(String),
}

impl ResolveError {
    /// A short stable name, for JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            ResolveError::File(_) => "config_file",
            ResolveError::Profile(_) => "profile",
        }
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::File(m) | ResolveError::Profile(m) => f.write_str(m),
        }
    }
}

impl Resolved {
    /// The value of `name`, when set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.value(name)
            .map(|v| v.value.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name` with its source (possibly empty, as a profile may
    /// set `key =`).
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|(a, _)| a.name == name)
            .map(|(_, v)| v)
    }

    /// Every set attribute, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Attribute, &Value)> {
        self.values.iter().map(|(a, v)| (*a, v))
    }

    /// The profile used, if one was.
    pub fn profile(&self) -> Option<(&str, &ProfileChoice)> {
        match &self.file_use {
            FileUse::Read {
                profile: Some((n, c)),
            } => Some((n.as_str(), c)),
            _ => None,
        }
    }

    fn set(&mut self, a: &'static Attribute, value: String, source: Source) {
        if self.value(a.name).is_some() {
            return;
        }
        self.values.push((a, Value { value, source }));
        self.values
            .sort_by_key(|(a, _)| attributes::index(a.name).unwrap_or(usize::MAX));
    }

    fn any_auth_set(&self) -> bool {
        self.values
            .iter()
            .any(|(a, v)| a.auth.is_some() && !v.value.is_empty())
    }

    /// The method groups whose attributes are set (sorted, distinct).
    pub fn auth_groups(&self) -> Vec<&'static str> {
        let mut g: Vec<&'static str> = self.values.iter().filter_map(|(a, _)| a.auth).collect();
        g.sort_unstable();
        g.dedup();
        g
    }

    /// Settings of two method groups conflict unless `auth_type` picks one.
    pub fn conflict(&self) -> Option<String> {
        let groups = self.auth_groups();
        if groups.len() <= 1 || self.get("auth_type").is_some() {
            return None;
        }
        Some(format!(
            "more than one authorization method configured: {} (set auth_type to choose one)",
            groups.join(" and ")
        ))
    }
}

/// Resolves the settings from `flags`, the environment and the config file.
pub fn resolve(flags: &Flags, env: &dyn Env) -> Result<Resolved, ResolveError> {
    let mut r = Resolved {
        values: Vec::new(),
        config_file: None,
        file_use: FileUse::Skipped("not looked at"),
    };
    for (a, v, flag) in &flags.values {
        r.set(a, v.clone(), Source::Flag(flag));
    }
    for a in ATTRIBUTES {
        if r.value(a.name).is_some() {
            continue;
        }
        if let Some((var, v)) = a
            .env
            .iter()
            .find_map(|var| env.var(var).filter(|v| !v.is_empty()).map(|v| (*var, v)))
        {
            r.set(a, v, Source::Env(var));
        }
    }
    let config_file = r.get("config_file").unwrap_or("~/.databrickscfg");
    let path = file::expand_home(config_file, env.home());
    r.config_file = Some(path.clone());
    let named = r.value("profile").filter(|v| !v.value.is_empty()).cloned();
    if named.is_none() && (r.any_auth_set() || r.get("host").is_some()) {
        r.file_use = FileUse::Skipped(
            "no profile named and settings given by flags or environment variables",
        );
    } else if named.is_none() && r.get("azure_workspace_resource_id").is_some() {
        r.file_use = FileUse::Skipped("no profile named and azure_workspace_resource_id given");
    } else {
        load_file(&mut r, &path, named)?;
    }
    if let Some(host) = r.get("host").map(fix_host) {
        if let Some(slot) = r.values.iter_mut().find(|(a, _)| a.name == "host") {
            slot.1.value = host;
        }
    }
    Ok(r)
}

fn load_file(
    r: &mut Resolved,
    path: &std::path::Path,
    named: Option<Value>,
) -> Result<(), ResolveError> {
    let cfg: CfgFile = match file::read(path).map_err(ResolveError::File)? {
        file::Read::Missing => {
            r.file_use = FileUse::Missing;
            return Ok(());
        }
        file::Read::Parsed(c) => c,
    };
    let reserved = |name: &str| {
        ResolveError::Profile(format!(
            "{} is a reserved section name and cannot be used as a profile",
            name
        ))
    };
    let (name, choice, fallback) = match named {
        Some(v) => {
            if v.value == file::SETTINGS_SECTION {
                return Err(reserved(&v.value));
            }
            (v.value, ProfileChoice::Named(v.source), false)
        }
        None => match cfg.default_profile() {
            Some(p) if p == file::SETTINGS_SECTION => return Err(reserved(p)),
            Some(p) => (p.to_owned(), ProfileChoice::SettingsDefault, false),
            None if !cfg.default.is_empty() => {
                ("DEFAULT".to_owned(), ProfileChoice::DefaultSection, true)
            }
            None => {
                r.file_use = FileUse::Read { profile: None };
                return Ok(());
            }
        },
    };
    let Some(section) = cfg.profile(&name) else {
        if fallback {
            r.file_use = FileUse::Read { profile: None };
            return Ok(());
        }
        let names = cfg.profile_names();
        return Err(ResolveError::Profile(format!(
            "{} has no profile '{name}' (named by {choice}; profiles there: {})",
            path.display(),
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        )));
    };
    let via = match &choice {
        ProfileChoice::Named(Source::Flag(_)) | ProfileChoice::DefaultSection => None,
        other => Some(other.to_string()),
    };
    let source = Source::Profile {
        name: name.clone(),
        path: path.to_owned(),
        via,
    };
    for (k, v) in section {
        if let Some(a) = attributes::find(k) {
            r.set(a, v.clone(), source.clone());
        }
    }
    if !fallback && r.value("profile").is_none() {
        r.set(
            attributes::find("profile").expect("profile is an attribute"),
            name.clone(),
            source,
        );
    }
    r.file_use = FileUse::Read {
        profile: Some((name, choice)),
    };
    Ok(())
}

/// The SDKs' host clean-up: `https://` when there is no scheme, no trailing
/// `/` on the path, no `:443`.
pub fn fix_host(host: &str) -> String {
    let with_scheme = if host.contains("://") {
        host.to_owned()
    } else {
        format!("https://{host}")
    };
    let (scheme, rest) = with_scheme.split_once("://").unwrap_or(("https", host));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (netloc, tail) = rest.split_at(end);
    let netloc = netloc.strip_suffix(":443").unwrap_or(netloc);
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    let (path, query) = tail.split_at(path_end);
    format!("{scheme}://{netloc}{}{query}", path.trim_end_matches('/'))
}

/// The host name with its port (`netloc`), as the SDKs match DNS zones on it.
pub fn netloc(host: &str) -> &str {
    let rest = host.split_once("://").map_or(host, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let netloc = &rest[..end];
    netloc.rsplit_once('@').map_or(netloc, |(_, h)| h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::databrickscfg::test_env::FakeEnv;

    fn env(home: &std::path::Path, vars: &[(&'static str, &str)]) -> FakeEnv {
        FakeEnv {
            vars: vars.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            home: home.to_owned(),
        }
    }

    fn home_with(cfg: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".databrickscfg"), cfg).unwrap();
        dir
    }

    #[test]
    fn default_section_is_used_when_no_profile_is_named() {
        let home = home_with("[DEFAULT]\nhost = adb-1.1.azuredatabricks.net/\ntoken = dapi1\n");
        let r = resolve(&Flags::default(), &env(home.path(), &[])).unwrap();
        assert_eq!(r.get("host"), Some("https://adb-1.1.azuredatabricks.net"));
        assert_eq!(r.get("token"), Some("dapi1"));
        assert_eq!(
            r.profile().map(|(n, c)| (n, c.clone())),
            Some(("DEFAULT", ProfileChoice::DefaultSection))
        );
        // The DEFAULT fallback does not set `profile`.
        assert_eq!(r.get("profile"), None);
    }

    #[test]
    fn settings_default_profile_beats_default_section() {
        let home = home_with(
            "[__settings__]\ndefault_profile = dev\n[DEFAULT]\nhost = https://d\n[dev]\nhost = https://dev\n",
        );
        let r = resolve(&Flags::default(), &env(home.path(), &[])).unwrap();
        assert_eq!(r.get("host"), Some("https://dev"));
        assert_eq!(r.get("profile"), Some("dev"));
        assert_eq!(r.profile().unwrap().1, &ProfileChoice::SettingsDefault);
    }

    #[test]
    fn environment_beats_profile_and_flag_beats_environment() {
        let home = home_with("[p]\nhost = https://file\ntoken = t-file\ncluster_id = c1\n");
        let e = env(
            home.path(),
            &[
                ("DATABRICKS_HOST", "https://env"),
                ("DATABRICKS_CONFIG_PROFILE", "p"),
            ],
        );
        let r = resolve(&Flags::default(), &e).unwrap();
        assert_eq!(r.get("host"), Some("https://env"));
        assert_eq!(
            r.value("host").unwrap().source,
            Source::Env("DATABRICKS_HOST")
        );
        assert_eq!(r.get("token"), Some("t-file"));
        assert!(r
            .value("token")
            .unwrap()
            .source
            .to_string()
            .starts_with("profile 'p' (DATABRICKS_CONFIG_PROFILE) in "));
        let flags = Flags::default().set("host", Some("https://flag"), "--host");
        let r = resolve(&flags, &e).unwrap();
        assert_eq!(r.get("host"), Some("https://flag"));
        assert_eq!(r.value("host").unwrap().source, Source::Flag("--host"));
    }

    #[test]
    fn the_file_is_not_read_when_settings_come_from_the_environment_and_no_profile_is_named() {
        let home = home_with("[DEFAULT]\nhost = https://file\ncluster_id = c1\n");
        let r = resolve(
            &Flags::default(),
            &env(home.path(), &[("DATABRICKS_TOKEN", "t")]),
        )
        .unwrap();
        assert_eq!(r.get("host"), None);
        assert_eq!(r.get("cluster_id"), None);
        assert!(matches!(r.file_use, FileUse::Skipped(_)));
    }

    #[test]
    fn a_named_profile_that_is_missing_is_an_error_a_missing_default_is_not() {
        let home = home_with("[a]\nhost = https://a\n");
        let e = resolve(
            &Flags::default().set("profile", Some("b"), "--profile"),
            &env(home.path(), &[]),
        )
        .unwrap_err();
        assert_eq!(e.kind(), "profile");
        assert!(
            e.to_string().contains("has no profile 'b'") && e.to_string().contains("a"),
            "{e}"
        );
        let r = resolve(&Flags::default(), &env(home.path(), &[])).unwrap();
        assert_eq!(r.get("host"), None);
        let e = resolve(
            &Flags::default().set("profile", Some("__settings__"), "--profile"),
            &env(home.path(), &[]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("reserved"), "{e}");
    }

    #[test]
    fn config_file_variable_and_missing_file() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("other.cfg"),
            "[DEFAULT]\nhost = https://o\n",
        )
        .unwrap();
        let r = resolve(
            &Flags::default(),
            &env(home.path(), &[("DATABRICKS_CONFIG_FILE", "~/other.cfg")]),
        )
        .unwrap();
        assert_eq!(r.get("host"), Some("https://o"));
        let r = resolve(&Flags::default(), &env(home.path(), &[])).unwrap();
        assert_eq!(r.file_use, FileUse::Missing);
    }

    #[test]
    fn two_method_groups_conflict_unless_auth_type_is_set() {
        let home = tempfile::tempdir().unwrap();
        let vars = [("DATABRICKS_TOKEN", "t"), ("ARM_CLIENT_SECRET", "s")];
        let r = resolve(&Flags::default(), &env(home.path(), &vars)).unwrap();
        let c = r.conflict().unwrap();
        assert!(c.contains("azure and pat"), "{c}");
        let vars = [
            ("DATABRICKS_TOKEN", "t"),
            ("ARM_CLIENT_SECRET", "s"),
            ("DATABRICKS_AUTH_TYPE", "pat"),
        ];
        let r = resolve(&Flags::default(), &env(home.path(), &vars)).unwrap();
        assert_eq!(r.conflict(), None);
    }

    #[test]
    fn host_is_cleaned_as_the_sdks_do() {
        assert_eq!(
            fix_host("adb-1.azuredatabricks.net"),
            "https://adb-1.azuredatabricks.net"
        );
        assert_eq!(fix_host("https://h:443/"), "https://h");
        assert_eq!(
            fix_host("http://127.0.0.1:8080/x/"),
            "http://127.0.0.1:8080/x"
        );
        assert_eq!(netloc("https://h:8443/x"), "h:8443");
    }
}
