#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `entra-doctor token`: where settings come from (flags, environment,
//! ~/.databrickscfg), `--show-config` with secrets masked, usage errors.

use std::time::Duration;

use assert_cmd::Command;
use entra_emulator::{
    Emulator, EmulatorConfig, DEMO_SP_APP_ID, DEMO_SP_SECRET, DEMO_TENANT_ID, DEMO_WORKSPACE,
};

fn bare(home: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("entra-doctor").unwrap();
    c.env_clear()
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60));
    c.arg("token");
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

#[test]
fn show_config_names_sources_and_masks_secrets() {
    let home = tempfile::tempdir().unwrap();
    let mut c = bare(home.path());
    c.env("AZURE_CLIENT_SECRET", "super-secret-value")
        .env("AZURE_PASSWORD", "pass-word-value")
        .env("ARM_CLIENT_ID", "arm-client")
        .env("AZURE_CLIENT_ID", "azure-client")
        .env("ARM_TENANT_ID", "arm-tenant")
        .env("DATABRICKS_HOST", "https://adb-1.2.azuredatabricks.net")
        .arg("--show-config");
    let (code, stdout, stderr) = out(&mut c);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains("super-secret-value") && !stdout.contains("pass-word-value"),
        "{stdout}"
    );
    assert!(
        stdout.contains("client_secret  ***  (AZURE_CLIENT_SECRET)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("password       ***  (AZURE_PASSWORD)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("client_id      azure-client  (AZURE_CLIENT_ID)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("tenant         arm-tenant  (ARM_TENANT_ID)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("workspace      https://adb-1.2.azuredatabricks.net  (DATABRICKS_HOST)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("authority      https://login.microsoftonline.com  (default)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("flow           client credentials (secret)"),
        "{stdout}"
    );

    // Flags win; AZURE_AUTHORITY_HOST; --v2.
    let mut c = bare(home.path());
    c.env("AZURE_TENANT_ID", "env-tenant")
        .env("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us")
        .args([
            "--tenant",
            "flag-tenant",
            "--show-config",
            "--v2",
            "--flow",
            "device-code",
        ]);
    let (code, stdout, _) = out(&mut c);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("tenant         flag-tenant  (--tenant)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("https://login.microsoftonline.us  (AZURE_AUTHORITY_HOST)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("scope 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default (v2.0)"),
        "{stdout}"
    );
}

#[test]
fn a_databrickscfg_profile_supplies_everything() {
    let emu = Emulator::start_blocking(EmulatorConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let ws = emu.workspace_url(DEMO_WORKSPACE).unwrap();
    std::fs::write(
        home.path().join(".databrickscfg"),
        format!(
            "[emu]\nhost = {ws}\nazure_tenant_id = {DEMO_TENANT_ID}\nazure_client_id = {DEMO_SP_APP_ID}\nazure_client_secret = {DEMO_SP_SECRET}\n"
        ),
    )
    .unwrap();
    let mut c = bare(home.path());
    c.args(["--profile", "emu", "--show-config"]);
    let (code, stdout, _) = out(&mut c);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("client_secret  ***  (profile 'emu' in "),
        "{stdout}"
    );
    assert!(!stdout.contains(DEMO_SP_SECRET));

    let mut c = bare(home.path());
    c.args([
        "--profile",
        "emu",
        "--authority",
        emu.base_url(),
        "--allow-any-workspace-host",
        "--no-cache",
    ]);
    let (code, stdout, stderr) = out(&mut c);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim().split('.').count(), 3);
    assert!(stderr.contains("PASS  membership"), "{stderr}");
    assert!(!stderr.contains(DEMO_SP_SECRET));

    // DATABRICKS_CONFIG_PROFILE names it too.
    let mut c = bare(home.path());
    c.env("DATABRICKS_CONFIG_PROFILE", "emu")
        .arg("--show-config");
    let (_, stdout, _) = out(&mut c);
    assert!(stdout.contains("(DATABRICKS_CONFIG_PROFILE)"), "{stdout}");
}

#[test]
fn usage_errors() {
    let home = tempfile::tempdir().unwrap();
    let mut c = bare(home.path());
    c.env("AZURE_CLIENT_ID", "c")
        .env("AZURE_CLIENT_SECRET", "s");
    let (code, _, stderr) = out(&mut c);
    assert_eq!(code, 2);
    assert!(stderr.contains("a tenant is needed"), "{stderr}");

    let mut c = bare(home.path());
    c.args(["--authority", "http://example.com", "--show-config"]);
    let (code, _, stderr) = out(&mut c);
    assert_eq!(code, 2);
    assert!(stderr.contains("not allowed"), "{stderr}");

    let mut c = bare(home.path());
    c.args(["--profile", "missing", "--show-config"]);
    let (code, _, stderr) = out(&mut c);
    assert_eq!(code, 2);
    assert!(stderr.contains(".databrickscfg"), "{stderr}");

    // Client credentials refused before any request when the secret is missing.
    let mut c = bare(home.path());
    c.args([
        "--flow",
        "client-secret",
        "--tenant",
        "t",
        "--client-id",
        "c",
    ]);
    let (code, _, stderr) = out(&mut c);
    assert_eq!(code, 2);
    assert!(stderr.contains("AZURE_CLIENT_SECRET"), "{stderr}");
}
