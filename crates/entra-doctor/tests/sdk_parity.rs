#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `auth --dry-run --json` against the reference: the Databricks SDK for
//! Python (`databricks-sdk` on PyPI, installed by `.ci/run`). Each case gives
//! both the same `~/.databrickscfg`, environment and explicit settings, and
//! both must resolve the same host and name the same method, or fail with
//! the same class of error (conflict, missing profile, no method, bad file).
//! Each case also pins the expected answer, so the two cannot agree on a
//! wrong one unnoticed.
//!
//! This test fails, never skips, when python3 or the SDK is missing
//! (`ENTRA_DOCTOR_PYTHON` names the interpreter; default `python3`).
//!
//! Left out because the SDK cannot decide them without the network (it makes
//! the request while building its Config): `metadata-service`,
//! `databricks-cli` with a CLI present (it runs `databricks auth token`),
//! `external-browser`, `azure_workspace_resource_id` without a host (the ARM
//! lookup of the workspace URL), GitHub and Azure DevOps OIDC inside a
//! pipeline, the runtime and model-serving methods, Google. And `ARM_USE_MSI`:
//! `azure-msi` is the Go SDK's and the Databricks CLI's method, the Python SDK
//! has none (its unit tests pin ours).

use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::{json, Value};

/// One configuration.
struct Case {
    name: &'static str,
    /// `~/.databrickscfg`, if any.
    cfg: Option<&'static str>,
    /// Other files in the home folder.
    files: &'static [(&'static str, &'static str)],
    /// Environment variables; `{home}` stands for the home folder.
    env: &'static [(&'static str, &'static str)],
    /// `--profile` / `Config(profile=...)`.
    profile: Option<&'static str>,
    /// `--host` / `Config(host=...)`.
    host: Option<&'static str>,
    /// A stand-in `az` on `PATH`, signed in as a user.
    az: bool,
    /// The method, or `error:<kind>`.
    expect: &'static str,
    /// The host, when a method is chosen.
    expect_host: Option<&'static str>,
}

const AZ_HOST: &str = "https://adb-123.4.azuredatabricks.net";

const fn case(name: &'static str, expect: &'static str) -> Case {
    Case {
        name,
        cfg: None,
        files: &[],
        env: &[],
        profile: None,
        host: None,
        az: false,
        expect,
        expect_host: None,
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_TOKEN", "dapi-env")],
            expect_host: Some(AZ_HOST),
            ..case("databricks_token_from_the_environment_is_pat", "pat")
        },
        Case {
            cfg: Some("[DEFAULT]\nhost = https://adb-123.4.azuredatabricks.net\ntoken = dapi-file\n"),
            expect_host: Some(AZ_HOST),
            ..case("default_section_is_used_when_no_profile_is_named", "pat")
        },
        Case {
            cfg: Some("[DEFAULT]\nhost = https://adb-1.1.azuredatabricks.net\ntoken = dapi-d\n[dev]\nhost = https://adb-123.4.azuredatabricks.net\nclient_id = c\nclient_secret = s\n"),
            env: &[("DATABRICKS_CONFIG_PROFILE", "dev")],
            expect_host: Some(AZ_HOST),
            ..case("config_profile_variable_picks_the_profile", "oauth-m2m")
        },
        Case {
            cfg: Some("[DEFAULT]\nhost = https://adb-1.1.azuredatabricks.net\ntoken = dapi-d\n[dev]\nhost = https://adb-123.4.azuredatabricks.net\nclient_id = c\nclient_secret = s\n"),
            profile: Some("dev"),
            expect_host: Some(AZ_HOST),
            ..case("profile_flag_picks_the_profile", "oauth-m2m")
        },
        Case {
            cfg: Some("[DEFAULT]\nhost = https://adb-123.4.azuredatabricks.net\ntoken = dapi-d\n[dev]\nhost = https://adb-123.4.azuredatabricks.net\n"),
            profile: Some("dev"),
            ..case("default_section_is_not_merged_into_a_named_profile", "error:no_method")
        },
        Case {
            cfg: Some("[__settings__]\ndefault_profile = dev\n[DEFAULT]\nhost = https://adb-1.1.azuredatabricks.net\ntoken = d\n[dev]\nhost = https://adb-123.4.azuredatabricks.net\nusername = u\npassword = p\n"),
            expect_host: Some(AZ_HOST),
            ..case("settings_default_profile_beats_default_section", "basic")
        },
        Case {
            cfg: Some("[a]\nhost = https://adb-123.4.azuredatabricks.net\ntoken = t\n"),
            profile: Some("b"),
            ..case("a_named_profile_that_is_missing_is_an_error", "error:profile")
        },
        Case {
            cfg: Some("[a]\nhost = https://adb-123.4.azuredatabricks.net\ntoken = t\n"),
            env: &[("DATABRICKS_CONFIG_PROFILE", "__settings__")],
            ..case("the_settings_section_is_not_a_profile", "error:profile")
        },
        Case {
            cfg: Some("[DEFAULT]\nhost = https://adb-123.4.azuredatabricks.net\n"),
            env: &[("DATABRICKS_TOKEN", "dapi-env")],
            ..case("the_file_is_not_read_when_the_environment_configures_auth", "error:no_method")
        },
        Case {
            cfg: Some("[dev]\nhost = https://adb-1.1.azuredatabricks.net\ntoken = dapi-file\n"),
            env: &[("DATABRICKS_CONFIG_PROFILE", "dev"), ("DATABRICKS_HOST", AZ_HOST)],
            expect_host: Some(AZ_HOST),
            ..case("environment_beats_the_profile_value_by_value", "pat")
        },
        Case {
            cfg: Some("[dev]\nhost = https://adb-1.1.azuredatabricks.net\ntoken = dapi-file\n"),
            env: &[("DATABRICKS_CONFIG_PROFILE", "dev"), ("DATABRICKS_HOST", "https://adb-1.1.azuredatabricks.net")],
            host: Some(AZ_HOST),
            expect_host: Some(AZ_HOST),
            ..case("explicit_host_beats_environment_and_profile", "pat")
        },
        Case {
            files: &[("other.cfg", "[DEFAULT]\nhost = https://adb-123.4.azuredatabricks.net\ntoken = t\n")],
            env: &[("DATABRICKS_CONFIG_FILE", "{home}/other.cfg")],
            expect_host: Some(AZ_HOST),
            ..case("config_file_variable_names_the_file", "pat")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_TOKEN", "t"), ("ARM_CLIENT_SECRET", "s")],
            ..case("token_and_azure_secret_conflict", "error:conflict")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_TOKEN", "t"), ("ARM_CLIENT_SECRET", "s"), ("DATABRICKS_AUTH_TYPE", "pat")],
            expect_host: Some(AZ_HOST),
            ..case("auth_type_resolves_a_conflict", "pat")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_TOKEN", "t"), ("DATABRICKS_AUTH_TYPE", "azure-cli")],
            ..case("auth_type_is_the_only_method_tried", "error:no_method")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_TOKEN", "t"), ("DATABRICKS_AUTH_TYPE", "no-such-method")],
            ..case("an_unknown_auth_type_finds_no_method", "error:no_method")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("ARM_CLIENT_ID", "a"), ("ARM_CLIENT_SECRET", "s"), ("ARM_TENANT_ID", "t")],
            expect_host: Some(AZ_HOST),
            ..case("arm_client_secret_is_azure_client_secret", "azure-client-secret")
        },
        Case {
            cfg: Some("[DEFAULT]\nhost = https://adb-123.4.azuredatabricks.net\nazure_client_id = a\nazure_client_secret = s\nazure_tenant_id = t\n"),
            expect_host: Some(AZ_HOST),
            ..case("azure_client_secret_from_a_profile", "azure-client-secret")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_CLIENT_ID", "c")],
            ..case("oauth_m2m_needs_a_client_secret", "error:no_method")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_USERNAME", "u"), ("DATABRICKS_PASSWORD", "p")],
            expect_host: Some(AZ_HOST),
            ..case("username_and_password_are_basic", "basic")
        },
        Case {
            env: &[("DATABRICKS_HOST", "adb-123.4.azuredatabricks.net/"), ("DATABRICKS_TOKEN", "t")],
            expect_host: Some(AZ_HOST),
            ..case("host_without_scheme_gets_https_and_loses_the_slash", "pat")
        },
        Case {
            env: &[("DATABRICKS_HOST", "https://adb-123.4.azuredatabricks.net:443"), ("DATABRICKS_TOKEN", "t")],
            expect_host: Some(AZ_HOST),
            ..case("host_loses_port_443", "pat")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_OIDC_TOKEN", "id-token")],
            expect_host: Some(AZ_HOST),
            ..case("an_id_token_in_the_environment_is_env_oidc", "env-oidc")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_OIDC_TOKEN_ENV", "MY_ID_TOKEN"), ("MY_ID_TOKEN", "id")],
            expect_host: Some(AZ_HOST),
            ..case("oidc_token_env_names_the_variable", "env-oidc")
        },
        Case {
            files: &[("id-token", "eyJ.id.token")],
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_OIDC_TOKEN_FILEPATH", "{home}/id-token")],
            expect_host: Some(AZ_HOST),
            ..case("an_id_token_file_is_file_oidc", "file-oidc")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_TOKEN", "t"), ("DATABRICKS_GROUP_ID", "g")],
            ..case("pat_cannot_assume_a_group", "error:no_method")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST)],
            az: true,
            expect_host: Some(AZ_HOST),
            ..case("az_on_path_with_an_azure_host_is_azure_cli", "azure-cli")
        },
        Case {
            env: &[("DATABRICKS_HOST", "https://dbc-1.cloud.databricks.com")],
            az: true,
            ..case("az_is_not_used_for_a_host_outside_azure", "error:no_method")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST)],
            ..case("nothing_configured_finds_no_method", "error:no_method")
        },
        Case {
            cfg: Some("[DEFAULT]\n[dev]\nhost = https://adb-123.4.azuredatabricks.net\ntoken = t\n"),
            ..case("an_empty_default_section_is_no_profile", "error:no_method")
        },
        Case {
            env: &[("DATABRICKS_HOST", "https://dbc-1.cloud.databricks.com"), ("DATABRICKS_CLOUD", "azure")],
            az: true,
            ..case("azure_cli_goes_by_the_hosts_dns_zone_not_cloud", "error:no_method")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_AZURE_RESOURCE_ID", "/subscriptions/s/resourceGroups/g/providers/Microsoft.Databricks/workspaces/w")],
            az: true,
            expect_host: Some(AZ_HOST),
            ..case("a_resource_id_with_a_host_and_az_is_azure_cli", "azure-cli")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_TOKEN", "t"), ("DATABRICKS_AZURE_RESOURCE_ID", "/subscriptions/s")],
            ..case("a_token_and_a_resource_id_conflict", "error:conflict")
        },
        Case {
            cfg: Some("[DEFAULT]\nhost = https://adb-123.4.azuredatabricks.net\ntoken = t\nazure_client_id =\n"),
            ..case("an_empty_profile_value_still_counts_for_conflicts", "error:conflict")
        },
        Case {
            cfg: Some("[dev]\nhost = https://adb-123.4.azuredatabricks.net\ntoken = t\nclient_id = c\nclient_secret = s\nauth_type = oauth-m2m\n"),
            profile: Some("dev"),
            expect_host: Some(AZ_HOST),
            ..case("auth_type_in_a_profile_chooses", "oauth-m2m")
        },
        Case {
            files: &[("id-token", "eyJ.id.token")],
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_OIDC_TOKEN_FILE", "{home}/id-token")],
            expect_host: Some(AZ_HOST),
            ..case("the_older_oidc_token_file_variable_is_read", "file-oidc")
        },
        Case {
            env: &[("DATABRICKS_HOST", AZ_HOST), ("DATABRICKS_OIDC_TOKEN_FILEPATH", "{home}/no-such-file")],
            ..case("a_missing_id_token_file_is_no_file_oidc", "error:no_method")
        },
        Case {
            cfg: Some("host = https://adb-123.4.azuredatabricks.net\n"),
            ..case("a_setting_before_any_section_is_refused", "error:config_file")
        },
        Case {
            cfg: Some("[DEFAULT]\nhost = https://adb-123.4.azuredatabricks.net\nHOST = https://x\ntoken = t\n"),
            ..case("a_key_given_twice_is_refused", "error:config_file")
        },
    ]
}

/// A stand-in `az`: a signed-in user, a token that expires in 2099.
const AZ: &str = r#"#!/bin/sh
case "$2" in
  show) echo '{"user": {"type": "user", "name": "ada@contoso.example"}}' ;;
  *) echo '{"accessToken": "e30.eyJ1cG4iOiJhZGFAY29udG9zby5leGFtcGxlIn0.c2ln", "expiresOn": "2099-01-01 00:00:00.000000", "tokenType": "Bearer"}' ;;
esac
"#;

struct Prepared {
    _home: tempfile::TempDir,
    env: Vec<(String, String)>,
}

fn prepare(c: &Case) -> Prepared {
    let home = tempfile::tempdir().unwrap();
    let h = home.path().display().to_string();
    if let Some(cfg) = c.cfg {
        std::fs::write(home.path().join(".databrickscfg"), cfg).unwrap();
    }
    for (name, text) in c.files {
        std::fs::write(home.path().join(name), text).unwrap();
    }
    let bin = home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    if c.az {
        write_executable(&bin.join("az"), AZ);
    }
    let mut env: Vec<(String, String)> = c
        .env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.replace("{home}", &h)))
        .collect();
    env.push(("HOME".into(), h));
    env.push(("PATH".into(), bin.display().to_string()));
    Prepared { _home: home, env }
}

fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// What one side said: the method or `error:<kind>`, and the host.
fn verdict(ok: bool, auth_type: &Value, host: &Value, kind: &Value) -> (String, Option<String>) {
    if ok {
        (
            auth_type.as_str().unwrap_or("?").to_owned(),
            host.as_str().map(str::to_owned),
        )
    } else {
        (format!("error:{}", kind.as_str().unwrap_or("?")), None)
    }
}

fn ours(c: &Case, p: &Prepared) -> ((String, Option<String>), Value) {
    let mut cmd = Command::cargo_bin("entra-doctor").unwrap();
    cmd.env_clear()
        .envs(p.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .timeout(Duration::from_secs(30))
        .args(["auth", "--dry-run", "--json"]);
    if let Some(profile) = c.profile {
        cmd.args(["--profile", profile]);
    }
    if let Some(host) = c.host {
        cmd.args(["--host", host]);
    }
    let o = cmd.output().unwrap();
    let j: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: not JSON ({e}): {} {}",
            c.name,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let ok = j.get("error").is_none();
    assert_eq!(
        o.status.code(),
        Some(if ok { 0 } else { 2 }),
        "{}: {j}",
        c.name
    );
    (
        verdict(ok, &j["auth_type"], &j["host"], &j["error_kind"]),
        j,
    )
}

fn sdk(cases: &[Case], prepared: &[Prepared]) -> Vec<(String, Option<String>, Value)> {
    let input: Vec<Value> = cases
        .iter()
        .zip(prepared)
        .map(|(c, p)| {
            let mut kwargs = serde_json::Map::new();
            if let Some(profile) = c.profile {
                kwargs.insert("profile".into(), json!(profile));
            }
            if let Some(host) = c.host {
                kwargs.insert("host".into(), json!(host));
            }
            let env: serde_json::Map<String, Value> =
                p.env.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            json!({"env": env, "kwargs": kwargs})
        })
        .collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk_parity/resolve.py");
    // `.ci/run` installs the SDK in a venv and names its interpreter.
    let python = std::env::var("ENTRA_DOCTOR_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = StdCommand::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {python} ({e}): the SDK parity test needs python3 with databricks-sdk (.ci/run installs both)")
        });
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(serde_json::to_string(&input).unwrap().as_bytes())
            .unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "the SDK harness failed (is databricks-sdk installed? `pip install databricks-sdk`): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut lines = std::str::from_utf8(&o.stdout).unwrap().lines();
    let version: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    eprintln!("databricks-sdk {}", version["sdk_version"]);
    let out: Vec<_> = lines
        .map(|l| {
            let j: Value = serde_json::from_str(l).unwrap();
            let (v, h) = verdict(
                j["ok"].as_bool().unwrap(),
                &j["auth_type"],
                &j["host"],
                &j["error_kind"],
            );
            (v, h, j)
        })
        .collect();
    assert_eq!(out.len(), cases.len(), "one SDK answer per case");
    out
}

#[test]
fn auth_dry_run_agrees_with_the_python_sdk_on_every_decidable_case() {
    let cases = cases();
    let prepared: Vec<Prepared> = cases.iter().map(prepare).collect();
    let theirs = sdk(&cases, &prepared);
    let mut failures = Vec::new();
    for ((c, p), (sdk_verdict, sdk_host, sdk_json)) in cases.iter().zip(&prepared).zip(&theirs) {
        let ((our_verdict, our_host), our_json) = ours(c, p);
        let expected_host = c.expect_host.map(str::to_owned);
        if *sdk_verdict != c.expect || *sdk_host != expected_host {
            failures.push(format!(
                "{}: the SDK says {sdk_verdict} {sdk_host:?}, the case expects {} {expected_host:?}: {sdk_json}",
                c.name, c.expect
            ));
        }
        if our_verdict != *sdk_verdict || our_host != *sdk_host {
            failures.push(format!(
                "{}: we say {our_verdict} {our_host:?}, the SDK {sdk_verdict} {sdk_host:?}\n  ours: {our_json}\n  sdk:  {sdk_json}",
                c.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
