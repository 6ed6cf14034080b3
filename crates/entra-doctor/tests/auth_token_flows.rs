#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `token --flow databricks-m2m` and `--flow databricks-u2m` on the
//! emulator: a Databricks OAuth token from the workspace (or account) host
//! itself, and the host's refusals explained.

use crate::online_common;

use entra_emulator::{
    AccountConfig, EmulatorConfig, WorkspaceMember, DEMO_DATABRICKS_OAUTH_SECRET, DEMO_SP_APP_ID,
    DEMO_USER, DEMO_WORKSPACE,
};
use online_common::{bare_cmd, Cmd, Setup};
use serde_json::Value;

const ACCOUNT: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

fn token_cmd(s: &Setup) -> Cmd {
    let mut c = bare_cmd(s.home.path());
    c.args([
        "token",
        "--test-resolve",
        "localhost=127.0.0.1",
        "--cache-dir",
    ])
    .arg(s.cache.path());
    Cmd(c)
}

/// The claims of the token on standard output.
fn claims(stdout: &str) -> Value {
    use base64::Engine as _;
    let t = stdout.trim();
    let payload = t
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT: {t}"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn databricks_m2m_gets_the_service_principals_token_from_the_workspace() {
    let s = Setup::demo();
    let ws = s.ws(DEMO_WORKSPACE);
    let r = token_cmd(&s)
        .args(["--flow", "databricks-m2m", "--workspace", &ws])
        .arg("--allow-any-workspace-host")
        .env("DATABRICKS_CLIENT_ID", DEMO_SP_APP_ID)
        .env("DATABRICKS_CLIENT_SECRET", DEMO_DATABRICKS_OAUTH_SECRET)
        .run_plain();
    let c = claims(&r.stdout);
    assert_eq!(c["iss"], format!("{ws}/oidc"));
    assert_eq!(c["scope"], "all-apis");
    assert_eq!(c["sub"], DEMO_SP_APP_ID);
    assert!(r.stderr.contains("Databricks OAuth M2M"), "{}", r.stderr);
    // The check that follows asks the workspace, which accepts it.
    let member = r
        .stderr
        .lines()
        .find(|l| l.contains("membership"))
        .unwrap_or_default();
    assert!(member.starts_with("PASS"), "{}", r.stderr);
    assert!(!r.stderr.contains(DEMO_DATABRICKS_OAUTH_SECRET));
}

#[test]
fn databricks_m2m_with_a_wrong_secret_is_refused_and_explained() {
    let s = Setup::demo();
    let r = token_cmd(&s)
        .args(["--flow", "databricks-m2m", "--workspace"])
        .arg(s.ws(DEMO_WORKSPACE))
        .arg("--allow-any-workspace-host")
        .env("DATABRICKS_CLIENT_ID", DEMO_SP_APP_ID)
        .env("DATABRICKS_CLIENT_SECRET", "dose-wrong")
        .run_plain();
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.trim().is_empty(), "no token: {}", r.stdout);
    assert!(
        r.stderr.contains("No token") && r.stderr.contains("invalid_client"),
        "{}",
        r.stderr
    );
}

#[test]
fn databricks_m2m_on_an_account_host_uses_the_accounts_token_endpoint() {
    let mut cfg = EmulatorConfig::default().account(
        AccountConfig::new(ACCOUNT)
            .member(WorkspaceMember::service_principal(
                DEMO_SP_APP_ID,
                "ci-pipeline",
            ))
            .oauth_secret(DEMO_SP_APP_ID, "dose-account-secret"),
    );
    cfg.workspaces[0] = cfg.workspaces[0].clone().account(ACCOUNT);
    let s = Setup::new(cfg);
    let account = s.emu.account_url(ACCOUNT).unwrap();
    let r = token_cmd(&s)
        .args([
            "--flow",
            "databricks-m2m",
            "--no-check",
            "--workspace",
            "https://accounts.azuredatabricks.net",
            "--test-host",
        ])
        .arg(format!("https://accounts.azuredatabricks.net={account}"))
        .env("DATABRICKS_ACCOUNT_ID", ACCOUNT)
        .env("DATABRICKS_CLIENT_ID", DEMO_SP_APP_ID)
        .env("DATABRICKS_CLIENT_SECRET", "dose-account-secret")
        .run_plain();
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        claims(&r.stdout)["iss"],
        format!("{account}/oidc/accounts/{ACCOUNT}")
    );
}

#[test]
fn the_oauth_secret_is_not_sent_to_a_plain_http_host_without_allow_any_workspace_host() {
    let s = Setup::demo();
    s.emu.reset_request_counts();
    for flow in ["databricks-m2m", "databricks-u2m"] {
        let r = token_cmd(&s)
            .args(["--flow", flow, "--no-check", "--headless-browser"])
            .args(["--sign-in-timeout", "5", "--workspace"])
            .arg(s.ws(DEMO_WORKSPACE))
            .env("DATABRICKS_CLIENT_ID", DEMO_SP_APP_ID)
            .env("DATABRICKS_CLIENT_SECRET", DEMO_DATABRICKS_OAUTH_SECRET)
            .run_plain();
        assert_eq!(r.code, 2, "{flow}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("--allow-any-workspace-host"),
            "{flow}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains(DEMO_DATABRICKS_OAUTH_SECRET));
    }
    assert_eq!(s.emu.total_requests(), 0, "{:?}", s.emu.request_counts());
}

#[test]
fn an_account_host_without_an_account_id_is_a_clear_error() {
    let s = Setup::demo();
    let r = token_cmd(&s)
        .args([
            "--flow",
            "databricks-m2m",
            "--workspace",
            "https://accounts.azuredatabricks.net",
        ])
        .env("DATABRICKS_CLIENT_ID", DEMO_SP_APP_ID)
        .env("DATABRICKS_CLIENT_SECRET", "x")
        .run_plain();
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("DATABRICKS_ACCOUNT_ID"), "{}", r.stderr);
}

#[test]
fn databricks_u2m_signs_in_on_the_clis_redirect_and_gets_a_user_token() {
    let s = Setup::demo();
    let ws = s.ws(DEMO_WORKSPACE);
    let r = token_cmd(&s)
        .args([
            "--flow",
            "databricks-u2m",
            "--headless-browser",
            "--no-check",
            "--sign-in-timeout",
            "20",
            "--workspace",
            &ws,
            "--allow-any-workspace-host",
        ])
        .run_plain();
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let c = claims(&r.stdout);
    assert_eq!(c["iss"], format!("{ws}/oidc"));
    assert_eq!(c["client_id"], "databricks-cli");
    assert_eq!(c["sub"], DEMO_USER);
    assert_eq!(c["scope"], "all-apis offline_access");
}

#[test]
fn databricks_u2m_on_a_redirect_port_the_host_does_not_know_is_refused() {
    let s = Setup::demo();
    let port = online_common::closed_port();
    let r = token_cmd(&s)
        .args([
            "--flow",
            "databricks-u2m",
            "--headless-browser",
            "--sign-in-timeout",
            "20",
            "--redirect-port",
            &port.to_string(),
            "--allow-any-workspace-host",
            "--workspace",
        ])
        .arg(s.ws(DEMO_WORKSPACE))
        .run_plain();
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // The authorize page refused the redirect URI; its answer goes to the
    // explanations of Databricks' OAuth errors.
    assert!(
        r.stderr.contains("/oidc/v1/authorize (400)")
            && r.stderr.contains("the redirect URI is not registered")
            && r.stderr.contains(&format!("http://localhost:{port}"))
            && r.stderr.contains("http://localhost:8020"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.trim().is_empty(), "no token: {}", r.stdout);
}
