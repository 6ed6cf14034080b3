#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `entra-doctor auth`: the resolved settings with their sources, secrets
//! masked, the method and why earlier ones were not chosen, exit codes.
//! (Agreement with the Databricks SDK is tests/sdk_parity.rs.)

use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

fn auth(home: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("entra-doctor").unwrap();
    c.env_clear()
        .env("HOME", home)
        .env("PATH", home.join("no-bin"))
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(30))
        .arg("auth");
    c
}

fn out(c: &mut Command) -> (i32, String, String) {
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const HOST: &str = "https://adb-123.4.azuredatabricks.net";

#[test]
fn dry_run_shows_each_value_with_its_source_and_masks_secrets() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".databrickscfg"),
        "[dev]\nhost = https://adb-123.4.azuredatabricks.net/\ntoken = dapi-from-the-file-0123\n",
    )
    .unwrap();
    let (code, stdout, stderr) = out(auth(home.path()).args(["--dry-run", "--profile", "dev"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stdout.contains("dapi-from-the-file-0123"), "{stdout}");
    let cfg = home.path().join(".databrickscfg").display().to_string();
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} line: {stdout}"))
            .to_owned()
    };
    assert!(
        line("host").ends_with(&format!(" {HOST}  (profile 'dev' in {cfg})")),
        "{stdout}"
    );
    assert!(
        line("token").ends_with(&format!(" ***  (profile 'dev' in {cfg})")),
        "{stdout}"
    );
    assert!(stdout.contains("profile 'dev' (--profile)"), "{stdout}");
    assert!(stdout.contains("auth_type: pat"), "{stdout}");
}

#[test]
fn dry_run_json_says_why_each_earlier_method_was_not_chosen() {
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, _) = out(auth(home.path())
        .env("DATABRICKS_HOST", HOST)
        .env("ARM_CLIENT_ID", "11111111-2222-4333-8444-555555555555")
        .env("ARM_CLIENT_SECRET", "arm-secret-value")
        .args(["--dry-run", "--json"]));
    assert_eq!(code, 0, "{stdout}");
    assert!(!stdout.contains("arm-secret-value"), "{stdout}");
    let j: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(j["auth_type"], "azure-client-secret");
    assert_eq!(j["host"], HOST);
    let methods = j["methods"].as_array().unwrap();
    let reason = |m: &str| {
        methods
            .iter()
            .find(|x| x["method"] == m)
            .map(|x| x["reason"].as_str().unwrap().to_owned())
    };
    assert_eq!(reason("pat").as_deref(), Some("no token"));
    assert_eq!(reason("oauth-m2m").as_deref(), Some("no client_id"));
    assert_eq!(methods.last().unwrap()["applies"], true);
    let secret = j["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "azure_client_secret")
        .unwrap();
    assert_eq!(secret["value"], "***");
    assert_eq!(secret["source"], "ARM_CLIENT_SECRET");
    assert_eq!(j["config_file"]["status"], "skipped");
}

#[test]
fn conflicting_settings_exit_2_with_an_error_naming_both_groups() {
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, _) = out(auth(home.path())
        .env("DATABRICKS_HOST", HOST)
        .env("DATABRICKS_TOKEN", "t")
        .env("DATABRICKS_CLIENT_SECRET", "s")
        .args(["--dry-run", "--json"]));
    assert_eq!(code, 2, "{stdout}");
    let j: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(j["error_kind"], "conflict");
    assert!(
        j["error"].as_str().unwrap().contains("oauth and pat"),
        "{j}"
    );
    assert_eq!(j["auth_type"], Value::Null);
}

#[test]
fn no_method_exits_2_in_text_with_the_reason_on_stderr() {
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = out(auth(home.path())
        .env("DATABRICKS_HOST", HOST)
        .env("DATABRICKS_CLIENT_ID", "c")
        .arg("--dry-run"));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stdout.contains("oauth-m2m") && stdout.contains("no client_secret"),
        "{stdout}"
    );
    assert!(
        stderr.contains("no authentication method applies"),
        "{stderr}"
    );
}

#[test]
fn a_broken_config_file_is_an_error_naming_the_line() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".databrickscfg"),
        "[a]\nhost = h\nnot a setting\n",
    )
    .unwrap();
    let (code, stdout, _) = out(auth(home.path()).args(["--dry-run", "--json", "--profile", "a"]));
    assert_eq!(code, 2, "{stdout}");
    let j: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(j["error_kind"], "config_file");
    assert!(j["error"].as_str().unwrap().contains("line 3"), "{j}");
}

#[test]
fn without_dry_run_a_method_not_built_yet_says_so_before_any_network() {
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = out(auth(home.path())
        .env("DATABRICKS_HOST", HOST)
        .env("DATABRICKS_USERNAME", "alice")
        .env("DATABRICKS_PASSWORD", "not-sent"));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.contains("auth_type: basic"), "{stdout}");
    assert!(
        stderr.contains("running basic is not built yet") && stderr.contains("--dry-run"),
        "{stderr}"
    );
}
