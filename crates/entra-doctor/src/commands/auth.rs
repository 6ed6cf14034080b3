//! `auth`: which credential a Databricks SDK will use. The settings are
//! resolved as the SDKs resolve them (flags, environment, profile), each
//! shown with its source and secrets masked, and the method is chosen as the
//! SDKs choose it, each earlier method saying why it was not chosen.
//!
//! `--dry-run` stops there and uses no network. Without it the method runs
//! and its token is checked end to end ([`super::auth_run`]): one verdict,
//! exit codes as `check`'s.

use std::io::Write;

use serde_json::{json, Value as Json};

use super::auth_run;
use crate::cli::AuthArgs;
use crate::config::methods::{self, Choice};
use crate::config::resolve::{FileUse, ResolveError, Resolved};
use crate::config::{self, Flags};
use crate::error::{CliError, Outcome};
use crate::net::databrickscfg::{Env, ProcessEnv};

/// What the resolution came to.
struct Report {
    resolved: Option<Resolved>,
    choice: Option<Choice>,
    /// (kind, message) of the problem, if any.
    error: Option<(&'static str, String)>,
}

fn report(args: &AuthArgs, env: &dyn Env) -> Report {
    let flags = Flags::default()
        .set("host", args.host.as_deref(), "--host")
        .set("profile", args.profile.as_deref(), "--profile");
    let resolved = match config::resolve(&flags, env) {
        Ok(r) => r,
        Err(e @ (ResolveError::File(_) | ResolveError::Profile(_))) => {
            return Report {
                resolved: None,
                choice: None,
                error: Some((e.kind(), e.to_string())),
            }
        }
    };
    if let Some(c) = resolved.conflict() {
        return Report {
            resolved: Some(resolved),
            choice: None,
            error: Some(("conflict", c)),
        };
    }
    let choice = config::choose(&resolved, env);
    let error = choice.error.clone().map(|e| ("no_method", e));
    Report {
        resolved: Some(resolved),
        choice: Some(choice),
        error,
    }
}

pub fn run(args: AuthArgs) -> Result<Outcome, CliError> {
    let mut out = anstream::stdout();
    run_in(&args, &ProcessEnv, &mut out)
}

/// `auth` with the environment `env`, its output on `out` (the demo's
/// stories run it on an environment of their own).
pub(crate) fn run_in(
    args: &AuthArgs,
    env: &dyn Env,
    mut out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let mut r = report(args, env);
    let method = r.choice.as_ref().and_then(|c| c.method);
    let ran = match (&r.resolved, method) {
        (Some(resolved), Some(m)) if !args.dry_run && r.error.is_none() => {
            let ran = auth_run::run(m, resolved, args, env)?;
            if let Some(m) = &ran.not_built {
                r.error = Some(("not_built", m.clone()));
            }
            Some(ran)
        }
        _ => None,
    };
    if args.json {
        let mut j = to_json(&r, args.dry_run);
        if let (Some(ran), Some(map)) = (&ran, j.as_object_mut()) {
            for (k, v) in auth_run::json_fields(ran) {
                map.insert(k.into(), v);
            }
        }
        crate::render::json::write(&mut out, &j)?;
        return Ok(match (&ran, &r.error) {
            (Some(ran), _) => ran.outcome,
            (None, Some(_)) => Outcome::Incomplete,
            (None, None) => Outcome::Ok,
        });
    }
    text(&mut out, &r).map_err(CliError::Write)?;
    if let Some(ran) = &ran {
        if r.error.is_none() {
            ran_text(&mut out, method.unwrap_or_default(), ran).map_err(CliError::Write)?;
        }
    }
    match (&ran, r.error) {
        (_, Some((_, e))) => Err(CliError::Usage(e)),
        (Some(ran), None) => Ok(ran.outcome),
        (None, None) => Ok(Outcome::Ok),
    }
}

/// The run's text: the refusal explained (if any), the findings, the verdict.
fn ran_text(out: &mut impl Write, method: &str, ran: &auth_run::Ran) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(out, "Running {method}, then checking its token:")?;
    writeln!(out)?;
    if let Some((report, explanation)) = &ran.explanation {
        crate::render::text::explanation(&mut *out, report, explanation)?;
        writeln!(out)?;
    }
    crate::render::text::report_with(out, &ran.report, ran.summary.as_ref(), &ran.verdict)
}

/// A secret's value as shown.
const MASK: &str = "***";

fn shown(r: &Resolved) -> Vec<(&'static str, String, String, bool)> {
    r.iter()
        .map(|(a, v)| {
            let value = if a.secret && !v.value.is_empty() {
                MASK.to_owned()
            } else {
                v.value.clone()
            };
            (a.name, value, v.source.to_string(), a.secret)
        })
        .collect()
}

fn file_json(r: &Resolved) -> Json {
    let path = r.config_file.as_ref().map(|p| p.display().to_string());
    match &r.file_use {
        FileUse::Read { .. } => json!({"path": path, "status": "read"}),
        FileUse::Missing => json!({"path": path, "status": "missing"}),
        FileUse::Skipped(why) => json!({"path": path, "status": "skipped", "reason": why}),
    }
}

fn to_json(r: &Report, dry_run: bool) -> Json {
    let mut o = json!({
        "dry_run": dry_run,
        "auth_type": r.choice.as_ref().and_then(|c| c.method),
        "host": r.resolved.as_ref().and_then(|s| s.get("host")),
        "profile": r.resolved.as_ref().and_then(|s| s.profile()).map(|(n, _)| n),
        "profile_source": r.resolved.as_ref().and_then(|s| s.profile()).map(|(_, c)| c.to_string()),
        "config_file": r.resolved.as_ref().map(file_json),
        "settings": r.resolved.as_ref().map(|s| shown(s).into_iter().map(|(name, value, source, secret)| {
            json!({"name": name, "value": value, "source": source, "secret": secret})
        }).collect::<Vec<_>>()).unwrap_or_default(),
        "methods": r.choice.as_ref().map(|c| c.considered.iter().map(|m| {
            json!({"method": m.method, "applies": m.applies, "reason": m.reason})
        }).collect::<Vec<_>>()).unwrap_or_default(),
    });
    if let (Some((kind, msg)), Some(map)) = (&r.error, o.as_object_mut()) {
        map.insert("error".into(), json!(msg));
        map.insert("error_kind".into(), json!(kind));
    }
    o
}

/// Control characters from files and variables are shown escaped.
fn clean(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn text(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    if let Some(s) = &r.resolved {
        writeln!(
            out,
            "Settings (flags, then environment variables, then a profile):"
        )?;
        let rows = shown(s);
        let width = rows.iter().map(|(n, ..)| n.len()).max().unwrap_or(0);
        if rows.is_empty() {
            writeln!(out, "  (none)")?;
        }
        for (name, value, source, _) in rows {
            writeln!(
                out,
                "  {name:width$}  {}  ({})",
                clean(&value),
                clean(&source)
            )?;
        }
        let path = s
            .config_file
            .as_ref()
            .map(|p| clean(&p.display().to_string()))
            .unwrap_or_default();
        match (&s.file_use, s.profile()) {
            (FileUse::Read { .. }, Some((name, how))) => writeln!(
                out,
                "Config file: {path}, profile '{}' ({})",
                clean(name),
                clean(&how.to_string())
            )?,
            (FileUse::Read { .. }, None) => writeln!(
                out,
                "Config file: {path}, no profile used (no [DEFAULT], none named)"
            )?,
            (FileUse::Missing, _) => writeln!(out, "Config file: {path} does not exist")?,
            (FileUse::Skipped(why), _) => writeln!(out, "Config file: {path} not read: {why}")?,
        }
    }
    if let Some(c) = &r.choice {
        writeln!(out, "Methods, in the SDKs' order:")?;
        let width = c
            .considered
            .iter()
            .map(|m| m.method.len())
            .max()
            .unwrap_or(0);
        for m in &c.considered {
            let mark = if m.applies { "chosen" } else { "no" };
            writeln!(out, "  {:width$}  {mark:6}  {}", m.method, clean(&m.reason))?;
        }
        if let Some(name) = c.method {
            let does = methods::METHODS
                .iter()
                .find(|m| m.name == name)
                .map(|m| m.does)
                .unwrap_or_default();
            writeln!(out, "auth_type: {name} ({does})")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::databrickscfg::test_env::FakeEnv;

    fn args(dry_run: bool) -> AuthArgs {
        AuthArgs {
            profile: None,
            host: None,
            dry_run,
            json: true,
            authority: None,
            allow_any_workspace_host: false,
            cache_dir: None,
            net: crate::cli::NetArgs::default(),
            test_host: Vec::new(),
        }
    }

    #[test]
    fn secrets_never_appear_in_the_json() {
        let home = tempfile::tempdir().unwrap();
        let env = FakeEnv {
            vars: vec![
                (
                    "DATABRICKS_HOST",
                    "https://adb-1.2.azuredatabricks.net".into(),
                ),
                ("DATABRICKS_TOKEN", "dapi-very-secret".into()),
            ],
            home: home.path().to_owned(),
        };
        let j = to_json(&report(&args(true), &env), true).to_string();
        assert!(!j.contains("dapi-very-secret"), "{j}");
        assert!(j.contains(r#""auth_type":"pat""#), "{j}");
        assert!(!j.contains(r#""error""#), "{j}");
    }

    #[test]
    fn control_characters_are_escaped_in_text() {
        assert_eq!(clean("a\u{1b}[31mb"), "a\\u{1b}[31mb");
    }
}
