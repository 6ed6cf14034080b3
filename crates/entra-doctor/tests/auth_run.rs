#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `entra-doctor auth` without `--dry-run`, end to end on the emulator:
//! each method the SDKs choose runs, its token is checked and the
//! workspace asked; each test asserts the method, the verdict (exit status
//! and `valid`) and the finding that decides it.
//!
//! Azure-shaped hosts (`https://adb-….azuredatabricks.net`,
//! `https://accounts.azuredatabricks.net`) are sent to the emulator with the
//! hidden `--test-host`; nothing leaves 127.0.0.1.

use crate::online_common;

use std::path::Path;

use entra_emulator::{
    AccountConfig, EmulatorConfig, MintRequest, PersonalAccessToken, WorkspaceConfig,
    WorkspaceMember, DEMO_DATABRICKS_OAUTH_SECRET, DEMO_PAT, DEMO_SP_APP_ID, DEMO_SP_SECRET,
    DEMO_TENANT_ID, DEMO_USER, DEMO_WORKSPACE,
};
use online_common::{bare_cmd, Cmd, Run, Setup};

const AZURE_HOST: &str = "https://adb-1234567890123456.7.azuredatabricks.net";
const ACCOUNTS_HOST: &str = "https://accounts.azuredatabricks.net";
const ACCOUNT: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/// `auth --json` with a clean environment, PATH in `home/bin`, the key
/// cache in the setup's folder and no DNS.
fn auth(s: &Setup) -> Cmd {
    let bin = s.home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mut c = bare_cmd(s.home.path());
    c.env("PATH", &bin).args([
        "auth",
        "--json",
        "--test-resolve",
        "localhost=127.0.0.1",
        "--cache-dir",
    ]);
    c.arg(s.cache.path());
    Cmd(c)
}

/// `auth` for the Azure-shaped workspace host, sent to the emulator's
/// workspace, with the emulator as the Entra authority.
fn on_azure_host(s: &Setup) -> Cmd {
    auth(s)
        .env("DATABRICKS_HOST", AZURE_HOST)
        .args(["--authority", s.emu.base_url(), "--test-host"])
        .arg(format!("{AZURE_HOST}={}", s.ws(DEMO_WORKSPACE)))
}

/// A program on the test PATH.
fn program(s: &Setup, name: &str, script: &str) {
    let p = s.home.path().join("bin").join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn method(r: &Run) -> &str {
    r.json["auth_type"].as_str().unwrap_or_default()
}

fn valid(r: &Run) -> bool {
    r.json["valid"].as_bool().unwrap()
}

/// The report's finding of a check.
fn finding<'a>(r: &'a Run, check: &str) -> &'a serde_json::Value {
    r.json["report"]["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["check"] == check))
        .unwrap_or_else(|| panic!("no '{check}' finding: {}\n{}", r.stdout, r.stderr))
}

fn status<'a>(r: &'a Run, check: &str) -> &'a str {
    finding(r, check)["status"].as_str().unwrap_or_default()
}

fn text<'a>(r: &'a Run, check: &str, field: &str) -> &'a str {
    finding(r, check)[field].as_str().unwrap_or_default()
}

fn code(r: &Run, expected: i32) {
    assert_eq!(r.code, expected, "exit status\n{}\n{}", r.stdout, r.stderr);
}

#[test]
fn pat_is_checked_by_the_workspace_alone_and_accepted() {
    let s = Setup::demo();
    let r = auth(&s)
        .env("DATABRICKS_HOST", s.ws(DEMO_WORKSPACE))
        .env("DATABRICKS_TOKEN", DEMO_PAT)
        .arg("--allow-any-workspace-host")
        .run_plain();
    code(&r, 0);
    assert_eq!(method(&r), "pat");
    assert!(valid(&r));
    assert_eq!(r.json["token_kind"], "pat");
    assert_eq!(status(&r, "credential"), "pass");
    assert!(text(&r, "credential", "message").contains("DATABRICKS_TOKEN"));
    assert_eq!(status(&r, "membership"), "pass");
    assert!(text(&r, "membership", "message").contains(DEMO_USER));
    assert!(text(&r, "format", "message").contains("personal access token"));
    assert!(!r.stdout.contains(DEMO_PAT), "the PAT is never printed");
}

#[test]
fn an_expired_pat_is_diagnosed_with_a_new_token_as_the_fix() {
    let expired = "dapi00000000000000000000000000000ee1";
    let mut cfg = EmulatorConfig::default();
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .pat(PersonalAccessToken::new(expired, DEMO_USER).expires_at(1_600_000_000));
    let s = Setup::new(cfg);
    let r = auth(&s)
        .env("DATABRICKS_HOST", s.ws(DEMO_WORKSPACE))
        .env("DATABRICKS_TOKEN", expired)
        .arg("--allow-any-workspace-host")
        .run_plain();
    code(&r, 1);
    assert_eq!(method(&r), "pat");
    assert!(!valid(&r));
    assert_eq!(status(&r, "membership"), "fail");
    assert!(text(&r, "membership", "message").contains("expired"));
    let fix = text(&r, "membership", "fix");
    assert!(
        fix.contains("Access tokens") && fix.contains("DATABRICKS_TOKEN"),
        "{fix}"
    );
    assert!(!r.stdout.contains(expired));
}

#[test]
fn pats_disabled_by_the_admin_say_so() {
    let mut cfg = EmulatorConfig::default();
    cfg.workspaces[0].pats_disabled = true;
    let s = Setup::new(cfg);
    let r = auth(&s)
        .env("DATABRICKS_HOST", s.ws(DEMO_WORKSPACE))
        .env("DATABRICKS_TOKEN", DEMO_PAT)
        .arg("--allow-any-workspace-host")
        .run_plain();
    code(&r, 1);
    assert_eq!(status(&r, "membership"), "fail");
    assert!(text(&r, "membership", "message").contains("disabled"));
    assert!(text(&r, "membership", "fix").contains("OAuth"));
}

#[test]
fn oauth_m2m_on_a_workspace_gets_a_databricks_token_the_workspace_accepts() {
    let s = Setup::demo();
    let r = auth(&s)
        .env("DATABRICKS_HOST", s.ws(DEMO_WORKSPACE))
        .env("DATABRICKS_CLIENT_ID", DEMO_SP_APP_ID)
        .env("DATABRICKS_CLIENT_SECRET", DEMO_DATABRICKS_OAUTH_SECRET)
        .arg("--allow-any-workspace-host")
        .run_plain();
    assert_eq!(method(&r), "oauth-m2m");
    assert_eq!(r.json["token_kind"], "jwt");
    assert_eq!(status(&r, "credential"), "pass", "{}", r.stdout);
    assert!(text(&r, "credential", "message").contains("/oidc/v1/token"));
    assert_eq!(status(&r, "membership"), "pass", "{}", r.stdout);
    assert!(text(&r, "membership", "message").contains(DEMO_SP_APP_ID));
    // A Databricks token, verified with the workspace's own keys.
    code(&r, 0);
    assert!(valid(&r));
    assert_eq!(r.json["kind"], "databricks_oauth");
    assert_eq!(status(&r, "signature"), "pass", "{}", r.stdout);
    assert_eq!(
        s.emu
            .workspace_request_count(DEMO_WORKSPACE, "/oidc/v1/token"),
        1
    );
    assert!(!r.stdout.contains(DEMO_DATABRICKS_OAUTH_SECRET));
}

#[test]
fn oauth_m2m_with_a_wrong_secret_is_refused_and_explained() {
    let s = Setup::demo();
    let r = auth(&s)
        .env("DATABRICKS_HOST", s.ws(DEMO_WORKSPACE))
        .env("DATABRICKS_CLIENT_ID", DEMO_SP_APP_ID)
        .env("DATABRICKS_CLIENT_SECRET", "dose-not-the-secret")
        .arg("--allow-any-workspace-host")
        .run_plain();
    code(&r, 1);
    assert_eq!(method(&r), "oauth-m2m");
    assert!(!valid(&r));
    assert_eq!(status(&r, "credential"), "fail");
    assert!(text(&r, "credential", "message").contains("invalid_client"));
    assert!(r.json["explanation"].is_object(), "{}", r.stdout);
    assert!(!r.stdout.contains("dose-not-the-secret"));
}

fn with_account() -> EmulatorConfig {
    let mut cfg = EmulatorConfig::default().account(
        AccountConfig::new(ACCOUNT)
            .member(WorkspaceMember::service_principal(
                DEMO_SP_APP_ID,
                "ci-pipeline",
            ))
            .oauth_secret(DEMO_SP_APP_ID, "dose-account-secret"),
    );
    cfg.workspaces[0] = cfg.workspaces[0].clone().account(ACCOUNT);
    cfg
}

#[test]
fn oauth_m2m_on_an_account_host_uses_the_accounts_endpoints() {
    let s = Setup::new(with_account());
    let account = s.emu.account_url(ACCOUNT).unwrap();
    let r = auth(&s)
        .env("DATABRICKS_HOST", ACCOUNTS_HOST)
        .env("DATABRICKS_ACCOUNT_ID", ACCOUNT)
        .env("DATABRICKS_CLIENT_ID", DEMO_SP_APP_ID)
        .env("DATABRICKS_CLIENT_SECRET", "dose-account-secret")
        .arg("--test-host")
        .arg(format!("{ACCOUNTS_HOST}={account}"))
        .run_plain();
    assert_eq!(method(&r), "oauth-m2m");
    assert_eq!(status(&r, "credential"), "pass", "{}", r.stdout);
    assert!(
        text(&r, "credential", "message").contains(&format!("/oidc/accounts/{ACCOUNT}/v1/token"))
    );
    assert_eq!(status(&r, "membership"), "pass", "{}", r.stdout);
    assert!(text(&r, "membership", "message").contains(&format!("account {ACCOUNT}")));
    code(&r, 0);
    assert!(valid(&r), "{}", r.stdout);
}

/// A Databricks CLI login, as `databricks auth login` leaves it: the
/// authorization code flow with PKCE against the workspace, done here by
/// hand, gives an access token and a refresh token.
fn cli_login(ws: &str) -> (String, String) {
    use base64::Engine as _;
    let verifier = "a-verifier-for-this-test-only-0123456789abcdef";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = c
            .get(format!("{ws}/oidc/v1/authorize"))
            .query(&[
                ("client_id", "databricks-cli"),
                ("redirect_uri", "http://localhost:8020"),
                ("response_type", "code"),
                ("scope", "all-apis offline_access"),
                ("state", "s"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await
            .unwrap();
        let loc = r.headers()["location"].to_str().unwrap().to_owned();
        let u = url::Url::parse(&loc).unwrap();
        let code = u
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        let t: serde_json::Value = c
            .post(format!("{ws}/oidc/v1/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", "databricks-cli"),
                ("code", code.as_str()),
                ("code_verifier", verifier),
                ("redirect_uri", "http://localhost:8020"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            t["access_token"].as_str().unwrap().to_owned(),
            t["refresh_token"].as_str().unwrap().to_owned(),
        )
    })
}

/// A Databricks OAuth token of the demo service principal from the
/// workspace `ws` (client credentials, as `databricks auth token` gets it).
fn m2m_token(ws: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let t: serde_json::Value = reqwest::Client::new()
            .post(format!("{ws}/oidc/v1/token"))
            .basic_auth(DEMO_SP_APP_ID, Some(DEMO_DATABRICKS_OAUTH_SECRET))
            .form(&[("grant_type", "client_credentials"), ("scope", "all-apis")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        t["access_token"].as_str().unwrap().to_owned()
    })
}

fn write_cli_cache(home: &Path, key: &str, access: &str, refresh: &str, expiry: &str) {
    let dir = home.join(".databricks");
    std::fs::create_dir_all(&dir).unwrap();
    let doc = serde_json::json!({
        "version": 1,
        "tokens": { key: {
            "access_token": access,
            "token_type": "Bearer",
            "refresh_token": refresh,
            "expiry": expiry,
        }}
    });
    std::fs::write(dir.join("token-cache.json"), doc.to_string()).unwrap();
}

#[test]
fn databricks_cli_uses_a_fresh_cached_login() {
    let s = Setup::demo();
    let ws = s.ws(DEMO_WORKSPACE);
    let (access, refresh) = cli_login(&ws);
    write_cli_cache(
        s.home.path(),
        &ws,
        &access,
        &refresh,
        "2999-01-01T00:00:00Z",
    );
    program(&s, "databricks", "#!/bin/sh\nexit 1\n");
    let r = auth(&s)
        .env("DATABRICKS_HOST", &ws)
        .arg("--allow-any-workspace-host")
        .run_plain();
    assert_eq!(method(&r), "databricks-cli", "{}", r.stdout);
    assert_eq!(status(&r, "credential"), "pass", "{}", r.stdout);
    let m = text(&r, "credential", "message");
    assert!(
        m.contains("token-cache.json") && !m.contains("renewed"),
        "{m}"
    );
    assert_eq!(status(&r, "membership"), "pass", "{}", r.stdout);
    assert!(text(&r, "membership", "message").contains(DEMO_USER));
    code(&r, 0);
    assert!(valid(&r), "{}", r.stdout);
    assert_eq!(
        s.emu
            .workspace_request_count(DEMO_WORKSPACE, "/oidc/v1/token"),
        1,
        "only the login's"
    );
}

#[test]
fn databricks_cli_renews_an_expired_login_without_writing_the_cache() {
    let s = Setup::demo();
    let ws = s.ws(DEMO_WORKSPACE);
    let (_, refresh) = cli_login(&ws);
    write_cli_cache(
        s.home.path(),
        &ws,
        "an-expired-access-token",
        &refresh,
        "2020-01-01T00:00:00Z",
    );
    let cache = s.home.path().join(".databricks/token-cache.json");
    let before = std::fs::read(&cache).unwrap();
    program(&s, "databricks", "#!/bin/sh\nexit 1\n");
    let r = auth(&s)
        .env("DATABRICKS_HOST", &ws)
        .arg("--allow-any-workspace-host")
        .run_plain();
    assert_eq!(method(&r), "databricks-cli");
    assert_eq!(status(&r, "credential"), "pass", "{}", r.stdout);
    assert!(text(&r, "credential", "message").contains("renewed with its refresh token"));
    assert_eq!(status(&r, "membership"), "pass", "{}", r.stdout);
    assert_eq!(
        std::fs::read(&cache).unwrap(),
        before,
        "the CLI's cache is not written"
    );
    code(&r, 0);
    assert!(valid(&r), "{}", r.stdout);
}

#[test]
fn databricks_cli_without_a_login_says_to_sign_in() {
    let s = Setup::demo();
    let ws = s.ws(DEMO_WORKSPACE);
    program(&s, "databricks", "#!/bin/sh\nexit 1\n");
    let r = auth(&s)
        .env("DATABRICKS_HOST", &ws)
        .arg("--allow-any-workspace-host")
        .run_plain();
    code(&r, 2);
    assert_eq!(method(&r), "databricks-cli");
    assert_eq!(status(&r, "credential"), "skip");
    assert!(text(&r, "credential", "fix").contains("databricks auth login --host"));
}

#[test]
fn azure_client_secret_gets_an_entra_token_and_every_check_passes() {
    let s = Setup::demo();
    let r = on_azure_host(&s)
        .env("ARM_CLIENT_ID", DEMO_SP_APP_ID)
        .env("ARM_CLIENT_SECRET", DEMO_SP_SECRET)
        .env("ARM_TENANT_ID", DEMO_TENANT_ID)
        .run_plain();
    code(&r, 0);
    assert_eq!(method(&r), "azure-client-secret");
    assert!(valid(&r));
    assert_eq!(r.json["token_kind"], "jwt");
    for c in [
        "credential",
        "signature",
        "audience",
        "tenant",
        "membership",
    ] {
        assert_eq!(status(&r, c), "pass", "{c}: {}", r.stdout);
    }
    assert!(text(&r, "membership", "message").contains(DEMO_SP_APP_ID));
    assert!(!r.stdout.contains(DEMO_SP_SECRET));
}

#[test]
fn azure_client_secret_finds_the_tenant_from_the_workspace_when_unset() {
    let s = Setup::demo();
    let r = on_azure_host(&s)
        .env("ARM_CLIENT_ID", DEMO_SP_APP_ID)
        .env("ARM_CLIENT_SECRET", DEMO_SP_SECRET)
        .run_plain();
    code(&r, 0);
    assert!(text(&r, "credential", "message")
        .contains(&format!("tenant {DEMO_TENANT_ID} (the workspace")));
}

/// A stand-in `az` that prints `token` as `az account get-access-token` does.
fn fake_az(s: &Setup, token: &str) {
    let json = serde_json::json!({
        "accessToken": token,
        "expiresOn": "2999-01-01 00:00:00.000000",
        "expires_on": 32_503_680_000_i64,
        "tenant": DEMO_TENANT_ID,
        "tokenType": "Bearer",
    });
    program(
        s,
        "az",
        // `echo` is the shell's own: PATH holds only the stand-ins.
        &format!("#!/bin/sh\necho '{json}'\n"),
    );
}

#[test]
fn azure_cli_runs_az_and_checks_its_token() {
    let s = Setup::demo();
    fake_az(&s, &s.emu.mint(&MintRequest::user(DEMO_USER)));
    let r = on_azure_host(&s).run_plain();
    code(&r, 0);
    assert_eq!(method(&r), "azure-cli");
    assert!(valid(&r));
    assert!(text(&r, "credential", "message").contains("az account get-access-token"));
    assert_eq!(status(&r, "membership"), "pass");
    assert!(text(&r, "membership", "message").contains(DEMO_USER));
}

#[test]
fn azure_cli_not_signed_in_is_a_failed_credential_with_az_login_as_the_fix() {
    let s = Setup::demo();
    program(
        &s,
        "az",
        "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
    );
    let r = on_azure_host(&s).run_plain();
    code(&r, 1);
    assert_eq!(method(&r), "azure-cli");
    assert_eq!(status(&r, "credential"), "fail");
    assert!(r.stdout.contains("az login"), "{}", r.stdout);
}

/// The wrong-method story: the user set ARM_CLIENT_ID and ARM_CLIENT_SECRET
/// for the service principal, but a DATABRICKS_AUTH_TYPE left in the shell
/// names azure-cli: an explicit auth_type is the only method the SDKs try,
/// so `az`'s signed-in user is sent, not the service principal.
#[test]
fn wrong_method_story_names_why_the_service_principal_is_not_used() {
    let s = Setup::demo();
    fake_az(&s, &s.emu.mint(&MintRequest::user(DEMO_USER)));
    let r = on_azure_host(&s)
        .env("ARM_CLIENT_ID", DEMO_SP_APP_ID)
        .env("ARM_CLIENT_SECRET", DEMO_SP_SECRET)
        .env("ARM_TENANT_ID", DEMO_TENANT_ID)
        .env("DATABRICKS_AUTH_TYPE", "azure-cli")
        .run_plain();
    assert_eq!(method(&r), "azure-cli");
    assert_eq!(status(&r, "credential"), "warn", "{}", r.stdout);
    let m = text(&r, "credential", "message");
    assert!(
        m.contains("ARM_CLIENT_ID") && m.contains("DATABRICKS_AUTH_TYPE"),
        "{m}"
    );
    assert!(text(&r, "credential", "fix").contains("azure-client-secret"));
    // The workspace sees the user, not the service principal.
    assert!(text(&r, "membership", "message").contains(DEMO_USER));
    code(&r, 0);
}

/// A Databricks OAuth token of one workspace sent to another: the
/// workspace's refusal is read as the wrong host, with the fix.
#[test]
fn a_workspace_token_used_on_another_workspace_is_the_wrong_host() {
    let other = "adb-2222222222222222.2";
    let cfg = EmulatorConfig::default().workspace(
        WorkspaceConfig::new(other, DEMO_TENANT_ID)
            .service_principal(DEMO_SP_APP_ID, "ci-pipeline")
            .oauth_secret(DEMO_SP_APP_ID, DEMO_DATABRICKS_OAUTH_SECRET),
    );
    let s = Setup::new(cfg);
    let first = s.ws(DEMO_WORKSPACE);
    // A token from the first workspace, as `databricks auth token` prints it.
    let token = m2m_token(&first);
    let second = s.ws(other);
    let r = auth(&s)
        .env("DATABRICKS_HOST", &second)
        .env("DATABRICKS_TOKEN", &token)
        .arg("--allow-any-workspace-host")
        .run_plain();
    code(&r, 1);
    assert_eq!(method(&r), "pat");
    assert_eq!(r.json["token_kind"], "jwt");
    assert_eq!(status(&r, "membership"), "fail");
    assert!(text(&r, "membership", "message").contains("wrong host"));
    assert_eq!(text(&r, "membership", "actual"), format!("{first}/oidc"));
    assert!(
        text(&r, "membership", "fix").contains(&format!("databricks auth login --host {second}"))
    );
}

#[test]
fn a_method_not_built_yet_is_incomplete_through_the_same_dispatch() {
    let s = Setup::demo();
    let r = auth(&s)
        .env("DATABRICKS_HOST", AZURE_HOST)
        .env("DATABRICKS_USERNAME", "alice")
        .env("DATABRICKS_PASSWORD", "not-sent")
        .run_plain();
    code(&r, 2);
    assert_eq!(method(&r), "basic");
    assert_eq!(r.json["error_kind"], "not_built");
    assert!(r.json["error"]
        .as_str()
        .unwrap()
        .contains("running basic is not built yet"));
    assert_eq!(status(&r, "credential"), "skip");
}

#[test]
fn text_output_shows_the_run_and_ends_with_the_verdict() {
    let s = Setup::demo();
    let mut c = bare_cmd(s.home.path());
    c.env("PATH", s.home.path().join("bin"))
        .env("DATABRICKS_HOST", s.ws(DEMO_WORKSPACE))
        .env("DATABRICKS_TOKEN", DEMO_PAT)
        .args(["auth", "--allow-any-workspace-host", "--cache-dir"])
        .arg(s.cache.path());
    let r = Cmd(c).run_plain();
    code(&r, 0);
    assert!(r.stdout.contains("auth_type: pat"), "{}", r.stdout);
    assert!(r.stdout.contains("Running pat, then checking its token:"));
    let last = r.stdout.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("Valid: the workspace accepted"),
        "{}",
        r.stdout
    );
}

#[test]
fn demo_tells_the_wrong_method_and_the_expired_pat_stories() {
    let home = tempfile::tempdir().unwrap();
    let mut c = bare_cmd(home.path());
    c.arg("demo");
    let r = Cmd(c).run_plain();
    code(&r, 0);
    let five = r.stdout.split("── 5.").nth(1).unwrap_or_default();
    let (five, six) = five.split_once("── 6.").unwrap_or_default();
    assert!(five.contains("auth_type: azure-cli"), "{five}");
    assert!(
        five.contains("WARN  credential") && five.contains("unset DATABRICKS_AUTH_TYPE"),
        "{five}"
    );
    assert!(
        six.contains("FAIL  membership") && six.contains("Access tokens"),
        "{six}"
    );
    assert!(six.contains("Valid: the workspace accepted the personal access token"));
    assert!(!r.stdout.contains("dapi0123456789abcdef0123456789abcdef"));
}

/// A workspace's Databricks token sent to the account host: the account's
/// refusal is read as the wrong host.
#[test]
fn a_workspace_token_used_on_the_account_is_the_wrong_host() {
    let s = Setup::new(with_account());
    let ws = s.ws(DEMO_WORKSPACE);
    let account = s.emu.account_url(ACCOUNT).unwrap();
    let token = m2m_token(&ws);
    let r = auth(&s)
        .env("DATABRICKS_HOST", ACCOUNTS_HOST)
        .env("DATABRICKS_ACCOUNT_ID", ACCOUNT)
        .env("DATABRICKS_TOKEN", &token)
        .arg("--test-host")
        .arg(format!("{ACCOUNTS_HOST}={account}"))
        .run_plain();
    code(&r, 1);
    assert_eq!(method(&r), "pat");
    assert_eq!(status(&r, "membership"), "fail", "{}", r.stdout);
    assert!(text(&r, "membership", "message").contains("wrong host"));
    assert_eq!(text(&r, "membership", "actual"), format!("{ws}/oidc"));
    assert!(text(&r, "membership", "fix").contains(ACCOUNTS_HOST));
}

#[test]
fn a_host_outside_the_azure_domains_gets_no_secret_without_the_flag() {
    let s = Setup::demo();
    let r = auth(&s)
        .env("DATABRICKS_HOST", s.ws(DEMO_WORKSPACE))
        .env("DATABRICKS_CLIENT_ID", DEMO_SP_APP_ID)
        .env("DATABRICKS_CLIENT_SECRET", DEMO_DATABRICKS_OAUTH_SECRET)
        .run_plain();
    code(&r, 2);
    assert!(
        r.stderr.contains("--allow-any-workspace-host"),
        "{}",
        r.stderr
    );
    assert_eq!(
        s.emu
            .workspace_request_count(DEMO_WORKSPACE, "/oidc/v1/token"),
        0,
        "the secret was not sent"
    );
}
