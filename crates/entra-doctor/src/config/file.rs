//! The `.databrickscfg` reader, read as the SDKs read it (Python's
//! `configparser`): `[name]` sections (names are case-sensitive), `key = value`
//! or `key: value` (split at the first `=` or `:`), keys lower-cased, values
//! trimmed, `#` and `;` starting a comment line, indented lines continuing
//! the value above. `[DEFAULT]` is a profile of its own (the SDKs do not merge
//! it into the others) and `[__settings__]` holds `default_profile`.
//!
//! What `configparser` refuses is refused here too, with the line: a key
//! before any section, a line that is neither, a section or a key given
//! twice. The file is read up to 1 MiB.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Keys (lower-cased) to values.
pub type Section = BTreeMap<String, String>;

/// Bound on the file.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// The section the SDKs reserve for settings of the file itself.
pub const SETTINGS_SECTION: &str = "__settings__";

/// A parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CfgFile {
    /// `[DEFAULT]`'s keys (empty when it has none or is absent).
    pub default: Section,
    /// The other sections, `[__settings__]` included, by name.
    pub sections: BTreeMap<String, Section>,
}

impl CfgFile {
    /// The profiles there are: `DEFAULT` when it has keys, and every section
    /// but `[__settings__]`.
    pub fn profile(&self, name: &str) -> Option<&Section> {
        if name == SETTINGS_SECTION {
            return None;
        }
        if name == "DEFAULT" {
            return (!self.default.is_empty()).then_some(&self.default);
        }
        self.sections.get(name)
    }

    /// The names of [`Self::profile`]s, for messages.
    pub fn profile_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        if !self.default.is_empty() {
            out.push("DEFAULT");
        }
        out.extend(
            self.sections
                .keys()
                .map(String::as_str)
                .filter(|n| *n != SETTINGS_SECTION),
        );
        out
    }

    /// `[__settings__] default_profile`, when set.
    pub fn default_profile(&self) -> Option<&str> {
        self.sections
            .get(SETTINGS_SECTION)
            .and_then(|s| s.get("default_profile"))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Parses the text; the error names the line.
pub fn parse(text: &str) -> Result<CfgFile, String> {
    let mut file = CfgFile::default();
    // The section being read ("DEFAULT" included) and the key last set.
    let mut current: Option<String> = None;
    let mut last_key: Option<String> = None;
    let mut seen_default = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            // configparser ends a value at a comment line, not at a blank one;
            // a blank line followed by an indented one continues it, which is
            // rare enough to treat as the end of the value here too.
            if line.is_empty() {
                last_key = None;
            }
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        if indented {
            if let (Some(section), Some(key)) = (&current, &last_key) {
                let target = section_mut(&mut file, section);
                if let Some(v) = target.get_mut(key) {
                    v.push('\n');
                    v.push_str(line);
                }
                continue;
            }
        }
        if line.starts_with('[') {
            let Some(end) = line.rfind(']').filter(|e| *e > 1) else {
                return Err(format!("line {n}: a section header needs a name: '[name]'"));
            };
            let name = line[1..end].to_owned();
            if name == "DEFAULT" {
                if seen_default {
                    return Err(format!("line {n}: section [DEFAULT] appears twice"));
                }
                seen_default = true;
            } else if file.sections.contains_key(&name) {
                return Err(format!("line {n}: section [{name}] appears twice"));
            } else {
                file.sections.insert(name.clone(), Section::new());
            }
            current = Some(name);
            last_key = None;
            continue;
        }
        let Some(section) = current.clone() else {
            return Err(format!(
                "line {n}: a setting before any [section] (the SDKs refuse such a file)"
            ));
        };
        let Some(at) = line.find(['=', ':']) else {
            return Err(format!(
                "line {n}: neither a [section] nor 'key = value' (the SDKs refuse such a file)"
            ));
        };
        let key = line[..at].trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(format!("line {n}: a value without a key"));
        }
        let value = line[at + 1..].trim().to_owned();
        let target = section_mut(&mut file, &section);
        if target.contains_key(&key) {
            return Err(format!("line {n}: '{key}' appears twice in [{section}]"));
        }
        target.insert(key.clone(), value);
        last_key = Some(key);
    }
    Ok(file)
}

fn section_mut<'a>(file: &'a mut CfgFile, name: &str) -> &'a mut Section {
    if name == "DEFAULT" {
        &mut file.default
    } else {
        file.sections.entry(name.to_owned()).or_default()
    }
}

/// What reading the file found.
#[derive(Debug)]
pub enum Read {
    /// There is no such file (the SDKs then go on without it).
    Missing,
    Parsed(CfgFile),
}

/// Reads and parses the file at `path`, at most [`MAX_FILE_BYTES`].
pub fn read(path: &Path) -> Result<Read, String> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Read::Missing),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let bytes = crate::input_source::read_bounded(f, MAX_FILE_BYTES)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .ok_or_else(|| format!("{} is over 1 MiB", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    parse(&text)
        .map(Read::Parsed)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `~` at the start of a path is the home folder, as `Path.expanduser`.
pub fn expand_home(p: &str, home: Option<PathBuf>) -> PathBuf {
    match (p, home) {
        ("~", Some(h)) => h,
        (p, Some(h)) if p.starts_with("~/") => h.join(&p[2..]),
        (p, _) => PathBuf::from(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_default_and_settings() {
        let f = parse(
            "; c\n[DEFAULT]\nhost = https://a\n\n[__settings__]\ndefault_profile = dev\n[dev]\nHost: https://b=c\ntoken=\n",
        )
        .unwrap();
        assert_eq!(f.default["host"], "https://a");
        assert_eq!(f.profile("dev").unwrap()["host"], "https://b=c");
        assert_eq!(f.profile("dev").unwrap()["token"], "");
        assert_eq!(f.default_profile(), Some("dev"));
        assert_eq!(f.profile_names(), vec!["DEFAULT", "dev"]);
        assert!(f.profile(SETTINGS_SECTION).is_none());
    }

    #[test]
    fn an_empty_default_section_is_no_profile() {
        let f = parse("[DEFAULT]\n[x]\nhost=h\n").unwrap();
        assert!(f.profile("DEFAULT").is_none());
        assert_eq!(f.profile_names(), vec!["x"]);
    }

    #[test]
    fn indented_lines_continue_a_value() {
        let f = parse("[a]\nscopes = sql\n  files\nhost = h\n").unwrap();
        assert_eq!(f.sections["a"]["scopes"], "sql\nfiles");
        assert_eq!(f.sections["a"]["host"], "h");
    }

    #[test]
    fn what_configparser_refuses_is_refused_with_the_line() {
        for (text, want) in [
            ("host = h\n", "line 1: a setting before any [section]"),
            ("[a]\njunk\n", "line 2: neither"),
            ("[a]\n[a]\n", "line 2: section [a] appears twice"),
            ("[a]\nhost=1\nHOST=2\n", "line 3: 'host' appears twice"),
            ("[]\n", "line 1: a section header needs a name"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn a_missing_file_is_not_an_error_and_a_large_one_is() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read(&dir.path().join("nope")).unwrap(),
            Read::Missing
        ));
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'#'; MAX_FILE_BYTES + 1]).unwrap();
        assert!(read(&big).unwrap_err().contains("over 1 MiB"));
    }
}
