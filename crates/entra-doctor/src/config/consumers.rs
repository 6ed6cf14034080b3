//! The resolver's answers in the shapes `check`, `serve` and `token` take.

use super::resolve::{resolve, FileUse, Flags, Resolved, Source};
use crate::net::databrickscfg::{DatabricksSettings, Env, Sourced};

/// Resolves with `--profile` (if given) as the only explicit value. Unlike
/// the SDKs (which then go on without it), a profile named for a file that
/// does not exist is an error here: these commands were asked for it.
pub fn resolve_with_profile(profile_flag: Option<&str>, env: &dyn Env) -> Result<Resolved, String> {
    let r = resolve(
        &Flags::default().set("profile", profile_flag, "--profile"),
        env,
    )
    .map_err(|e| e.to_string())?;
    if let (FileUse::Missing, Some(p)) = (&r.file_use, r.value("profile")) {
        return Err(format!(
            "profile '{}' ({}): {} does not exist",
            p.value,
            p.source,
            r.config_file
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default()
        ));
    }
    Ok(r)
}

/// The workspace settings `check` and `serve` use: `host`,
/// `azure_tenant_id`, `azure_client_id`, `azure_workspace_resource_id`,
/// `azure_environment`, each with its source.
pub fn workspace_settings(
    profile_flag: Option<&str>,
    env: &dyn Env,
) -> Result<DatabricksSettings, String> {
    let r = resolve_with_profile(profile_flag, env)?;
    let pick = |name: &str| {
        r.get(name).map(|v| Sourced {
            value: v.to_owned(),
            source: r
                .value(name)
                .map(|v| v.source.to_string())
                .unwrap_or_default(),
        })
    };
    Ok(DatabricksSettings {
        host: pick("host"),
        azure_tenant_id: pick("azure_tenant_id"),
        azure_client_id: pick("azure_client_id"),
        azure_workspace_resource_id: pick("azure_workspace_resource_id"),
        azure_environment: pick("azure_environment"),
        account_id: pick("account_id"),
        profile: r.profile().map(|(n, _)| n.to_owned()),
    })
}

/// An attribute's value when it came from an environment variable (`env`)
/// or from a profile (`!env`), with its source.
pub fn value_from(r: &Resolved, name: &str, env: bool) -> Option<(String, String)> {
    let v = r.value(name).filter(|v| !v.value.is_empty())?;
    let from_env = matches!(v.source, Source::Env(_) | Source::Flag(_));
    (from_env == env).then(|| (v.value.clone(), v.source.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::databrickscfg::test_env::FakeEnv;

    #[test]
    fn a_profile_named_for_a_missing_file_is_an_error_for_check_and_token() {
        let home = tempfile::tempdir().unwrap();
        let env = FakeEnv {
            vars: vec![],
            home: home.path().to_owned(),
        };
        let e = workspace_settings(Some("dev"), &env).unwrap_err();
        assert!(
            e.contains("profile 'dev' (--profile)") && e.contains(".databrickscfg does not exist"),
            "{e}"
        );
        assert_eq!(workspace_settings(None, &env).unwrap().host, None);
    }
}
