#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Every kind of credential, recognised by `decode` and `check` (offline
//! and online on the emulator): Entra ID access tokens for Azure
//! Databricks, Graph and ARM, ID tokens, Databricks OAuth tokens of a
//! workspace (checked against the host given, keys only from that host),
//! personal access tokens (checked only by their workspace), and a v2
//! token under a custom `--authority`.

use crate::online_common;
use crate::serve_support;

use std::io::{Read, Write};

use entra_emulator::{
    AccountConfig, EmulatorConfig, MintRequest, PersonalAccessToken, WorkspaceConfig,
    WorkspaceMember, DEMO_DATABRICKS_OAUTH_SECRET, DEMO_PAT, DEMO_SP_APP_ID, DEMO_TENANT_ID,
    DEMO_USER, DEMO_WORKSPACE,
};
use online_common::{bare_cmd, Cmd, Setup};
use serde_json::Value;

const OTHER_WS: &str = "adb-2222222222222222.2";
const EXPIRED_PAT: &str = "dapiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const REVOKED_PAT: &str = "dapibbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn config() -> EmulatorConfig {
    let mut cfg = EmulatorConfig::default();
    let ws = cfg.workspaces.remove(0);
    cfg.workspaces.push(
        ws.pat(PersonalAccessToken::new(EXPIRED_PAT, DEMO_USER).expires_at(1_000_000))
            .pat(PersonalAccessToken::new(REVOKED_PAT, DEMO_USER).revoked()),
    );
    cfg.workspace(
        WorkspaceConfig::new(OTHER_WS, DEMO_TENANT_ID)
            .member(WorkspaceMember::user(DEMO_USER, "Alice Example"))
            .pat(PersonalAccessToken::new(DEMO_PAT, DEMO_USER))
            .disable_pats(),
    )
}

/// An M2M token from a workspace's `/oidc/v1/token` (client credentials).
fn databricks_token(ws_url: &str) -> String {
    databricks_token_at(ws_url, "/oidc/v1/token")
}

fn databricks_token_at(ws_url: &str, path: &str) -> String {
    let url = url::Url::parse(ws_url).unwrap();
    let addr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let body = format!(
        "grant_type=client_credentials&scope=all-apis&client_id={DEMO_SP_APP_ID}&client_secret={DEMO_DATABRICKS_OAUTH_SECRET}"
    );
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (_, json) = resp.split_once("\r\n\r\n").unwrap();
    let v: Value = serde_json::from_str(json.trim()).unwrap_or_else(|_| panic!("{resp}"));
    v["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned()
}

fn decode_json(home: &std::path::Path, token: &str) -> (i32, Value) {
    let mut c = bare_cmd(home);
    c.args(["decode", "--json", token]);
    let out = c.output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn a_workspace_token_validates_with_the_workspaces_own_keys() {
    let s = Setup::new(config());
    let ws = s.ws(DEMO_WORKSPACE);
    let token = databricks_token(&ws);
    let r = s.check_ws(DEMO_WORKSPACE).run(&token);
    r.expect_code(0);
    assert_eq!(r.json["kind"], "databricks_oauth", "{}", r.stdout);
    for c in [
        "format",
        "discovery",
        "signature",
        "audience",
        "issuer",
        "lifetime",
        "identity",
        "membership",
    ] {
        r.expect(c, "pass");
    }
    r.expect("tenant", "skip");
    r.expect_msg(
        "discovery",
        &format!("{ws}/oidc/.well-known/openid-configuration"),
    );
    r.expect_msg("identity", DEMO_SP_APP_ID);
    r.expect_msg("audience", "all-apis");
    // No Entra lookups for a Databricks token.
    assert_eq!(
        s.emu.workspace_request_count(DEMO_WORKSPACE, "/aad/auth"),
        0
    );
}

#[test]
fn a_workspace_token_used_on_another_workspace_fails_on_the_host_and_no_keys_come_from_the_token() {
    let s = Setup::new(config());
    let token = databricks_token(&s.ws(DEMO_WORKSPACE));
    s.emu.reset_request_counts();
    let r = s.check_ws(OTHER_WS).run(&token);
    r.expect_code(1)
        .expect("issuer", "fail")
        .expect("signature", "skip");
    r.expect_msg("issuer", "another Databricks host");
    assert!(
        r.fix("issuer").contains("databricks auth login --host"),
        "{}",
        r.fix("issuer")
    );
    assert!(
        r.message("signature")
            .contains("not the host you check against")
            || r.message("signature").contains("fetched only"),
        "{}",
        r.message("signature")
    );
    // The issuing workspace's discovery was never asked: the token does
    // not choose where its keys come from.
    assert_eq!(
        s.emu
            .workspace_request_count(DEMO_WORKSPACE, "/oidc/.well-known/openid-configuration"),
        0
    );
}

#[test]
fn a_workspace_token_without_a_host_is_not_valid_and_fetches_no_keys() {
    let s = Setup::new(config());
    let token = databricks_token(&s.ws(DEMO_WORKSPACE));
    s.emu.reset_request_counts();
    let r = s.check().run(&token);
    r.expect_code(1);
    assert_eq!(r.json["kind"], "databricks_oauth");
    assert_eq!(r.json["valid"], false);
    r.expect("issuer", "fail").expect("signature", "skip");
    assert!(
        r.fix("issuer").contains("--workspace"),
        "{}",
        r.fix("issuer")
    );
    assert_eq!(s.emu.total_requests(), 0, "{:?}", s.emu.request_counts());
    // --issuer naming exactly that issuer: its discovery, verified.
    let iss = format!("{}/oidc", s.ws(DEMO_WORKSPACE));
    let r = s.check().args(["--issuer", &iss]).run(&token);
    r.expect_code(0)
        .expect("signature", "pass")
        .expect("issuer", "pass");
    // Another issuer named: no keys from the token's host, and the issuer fails.
    let r = s
        .check()
        .args(["--issuer", &format!("{}/oidc", s.ws(OTHER_WS))])
        .run(&token);
    r.expect_code(1).expect("issuer", "fail");
    assert_ne!(r.status("signature"), "pass");
    // decode names it too.
    let home = tempfile::tempdir().unwrap();
    let (code, d) = decode_json(home.path(), &token);
    assert_eq!(code, 0);
    assert_eq!(d["kind"], "databricks_oauth");
}

#[test]
fn a_personal_access_token_is_valid_only_with_its_workspaces_ok() {
    let s = Setup::new(config());
    // Without a workspace: recognised, not malformed, not verified.
    let r = s.check().run(DEMO_PAT);
    r.expect_code(2)
        .expect("format", "pass")
        .expect("signature", "skip");
    assert_eq!(r.json["kind"], "databricks_pat");
    assert!(!r.stdout.contains(DEMO_PAT), "the PAT is never shown whole");
    assert!(r.fix("signature").contains("--workspace"));

    let r = s.check_ws(DEMO_WORKSPACE).run(DEMO_PAT);
    r.expect_code(0)
        .expect("membership", "pass")
        .expect("signature", "pass");
    r.expect_msg("membership", DEMO_USER);
    assert_eq!(r.json["valid"], true);
    assert!(!r.stdout.contains(DEMO_PAT));

    for pat in [EXPIRED_PAT, REVOKED_PAT] {
        let r = s.check_ws(DEMO_WORKSPACE).run(&format!("Bearer {pat}"));
        r.expect_code(1)
            .expect("membership", "fail")
            .expect("signature", "skip");
        r.expect_msg("membership", "expired, was revoked");
        assert!(!r.stdout.contains(pat));
    }

    let r = s.check_ws(OTHER_WS).run(DEMO_PAT);
    r.expect_code(1).expect("membership", "fail");
    r.expect_msg("membership", "disabled there by its admin");
}

#[test]
fn graph_arm_and_id_tokens_are_named_with_the_fix() {
    let s = Setup::new(config());
    for (aud, kind) in [
        ("https://graph.microsoft.com", "entra_graph"),
        ("https://management.core.windows.net/", "entra_arm"),
        ("https://vault.azure.net", "entra_other_api"),
    ] {
        let token = s.emu.mint(&MintRequest::user(DEMO_USER).audience(aud));
        let r = s.check().run(&token);
        r.expect_code(1).expect("audience", "fail");
        assert_eq!(r.json["kind"], kind, "{aud}");
        assert!(r
            .fix("audience")
            .contains("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"));
        let home = tempfile::tempdir().unwrap();
        assert_eq!(decode_json(home.path(), &token).1["kind"], kind);
    }
    let id = s.emu.mint(
        &MintRequest::user(DEMO_USER)
            .audience("0f1e2d3c-1111-4222-8333-444455556666")
            .claim("nonce", "n-1")
            .without_claim("scp"),
    );
    let r = s.check().run(&id);
    r.expect_code(1).expect("audience", "fail");
    assert_eq!(r.json["kind"], "entra_id_token");
    assert!(
        r.fix("audience").contains("ID token"),
        "{}",
        r.fix("audience")
    );
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = s.check().run(&token);
    r.expect_code(0);
    assert_eq!(r.json["kind"], "entra_access");
}

#[test]
fn a_v2_token_under_a_custom_authority_validates_online() {
    let s = Setup::new(EmulatorConfig::default().loopback_issuers());
    let token = s.emu.mint(&MintRequest::user(DEMO_USER).v2());
    let r = s.check().run(&token);
    r.expect_code(0);
    for c in ["discovery", "signature", "issuer", "audience", "lifetime"] {
        r.expect(c, "pass");
    }
    assert_eq!(r.json["kind"], "entra_access");
    r.expect_msg(
        "discovery",
        &format!(
            "{}/{DEMO_TENANT_ID}/v2.0/.well-known/openid-configuration",
            s.emu.base_url()
        ),
    );
    // Without --authority the same issuer is no Entra ID issuer.
    let r = s.check_at(None).args(["--offline"]).run(&token);
    assert_ne!(r.code, 0);
    r.expect("issuer", "fail");
}

#[test]
fn decode_names_a_pat_and_an_oauth_secret_without_showing_them() {
    let home = tempfile::tempdir().unwrap();
    let (code, v) = decode_json(home.path(), DEMO_PAT);
    assert_eq!(code, 0);
    assert_eq!(v["kind"], "databricks_pat");
    assert!(!v.to_string().contains(DEMO_PAT));
    let (code, v) = decode_json(home.path(), DEMO_DATABRICKS_OAUTH_SECRET);
    assert_eq!(code, 1);
    assert_eq!(v["kind"], "databricks_oauth_secret");
    assert!(!v.to_string().contains(DEMO_DATABRICKS_OAUTH_SECRET));
    let mut c = bare_cmd(home.path());
    c.args(["decode", DEMO_PAT]);
    let out = Cmd(c).run_plain();
    assert!(
        out.stdout.contains("personal access token") && !out.stdout.contains(DEMO_PAT),
        "{}",
        out.stdout
    );
}

/// `POST /api/check` (what the page calls) names the kind, and checks a
/// PAT and a Databricks token with the workspace given in the request.
#[test]
fn api_check_names_every_kind_and_checks_databricks_credentials_against_the_workspace() {
    let s = Setup::new(config());
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().display().to_string();
    let server = serve_support::Server::start_with(&[
        "--authority",
        s.emu.base_url(),
        "--test-resolve",
        "localhost=127.0.0.1",
        "--allow-any-workspace-host",
        "--cache-dir",
        &cache_dir,
    ]);
    let ws = s.ws(DEMO_WORKSPACE);
    let ask = |body: Value| {
        let r = server.post_json("/api/check", &body.to_string());
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let status = |v: &Value, check: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == check)
            .map(|f| f["status"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let v = ask(serde_json::json!({ "token": DEMO_PAT }));
    assert_eq!(
        (v["kind"].as_str(), v["valid"].as_bool()),
        (Some("databricks_pat"), Some(false)),
        "{v}"
    );
    assert!(!v.to_string().contains(DEMO_PAT));
    let v = ask(serde_json::json!({ "token": DEMO_PAT, "workspace": ws }));
    assert_eq!(
        (v["kind"].as_str(), v["valid"].as_bool()),
        (Some("databricks_pat"), Some(true)),
        "{v}"
    );
    assert_eq!(status(&v, "membership"), "pass");
    let v = ask(serde_json::json!({ "token": REVOKED_PAT, "workspace": ws }));
    assert_eq!(v["valid"], false);
    assert_eq!(status(&v, "membership"), "fail");

    let token = databricks_token(&ws);
    let v = ask(serde_json::json!({ "token": token, "workspace": ws }));
    assert_eq!(
        (v["kind"].as_str(), v["valid"].as_bool()),
        (Some("databricks_oauth"), Some(true)),
        "{v}"
    );
    let v = ask(serde_json::json!({ "token": token, "workspace": s.ws(OTHER_WS) }));
    assert_eq!(v["valid"], false);
    assert_eq!(status(&v, "issuer"), "fail");

    let graph = s
        .emu
        .mint(&MintRequest::user(DEMO_USER).audience("https://graph.microsoft.com"));
    let v = ask(serde_json::json!({ "token": graph }));
    assert_eq!(v["kind"], "entra_graph");
    let v = ask(serde_json::json!({ "token": s.emu.mint(&MintRequest::user(DEMO_USER)) }));
    assert_eq!(
        (v["kind"].as_str(), v["valid"].as_bool()),
        (Some("entra_access"), Some(true)),
        "{v}"
    );
}

const ACCOUNT: &str = "9a8b7c6d-1111-4222-8333-444455556666";

/// An account's token: valid on its own account host only with that
/// account's ID configured (no workspace SCIM there); on a workspace a warning, and its keys are not fetched from the
/// account host the token names (not the host given): not verified.
#[test]
fn an_account_token_is_checked_against_the_account_host() {
    let mut cfg = EmulatorConfig::default().account(
        AccountConfig::new(ACCOUNT)
            .member(WorkspaceMember::service_principal(
                DEMO_SP_APP_ID,
                "ci-pipeline",
            ))
            .oauth_secret(DEMO_SP_APP_ID, DEMO_DATABRICKS_OAUTH_SECRET),
    );
    let ws = cfg.workspaces.remove(0).account(ACCOUNT);
    cfg.workspaces.push(ws);
    let s = Setup::new(cfg);
    let acct = s.emu.account_url(ACCOUNT).unwrap();
    let token = databricks_token_at(&acct, &format!("/oidc/accounts/{ACCOUNT}/v1/token"));
    // No account ID configured: the accounts host is every account's, so
    // the token's own account is not trusted (no keys fetched for it).
    let r = s
        .check()
        .args(["--workspace", &acct, "--allow-any-workspace-host"])
        .run(&token);
    assert_ne!(r.code, 0);
    r.expect("issuer", "fail").expect("signature", "skip");
    // Another account configured: refused the same way.
    let r = s
        .check()
        .env(
            "DATABRICKS_ACCOUNT_ID",
            "00000000-0000-4000-8000-000000000000",
        )
        .args(["--workspace", &acct, "--allow-any-workspace-host"])
        .run(&token);
    assert_ne!(r.code, 0);
    r.expect("issuer", "fail").expect("signature", "skip");
    let r = s
        .check()
        .env("DATABRICKS_ACCOUNT_ID", ACCOUNT)
        .args(["--workspace", &acct, "--allow-any-workspace-host"])
        .run(&token);
    r.expect_code(0);
    assert_eq!(r.json["kind"], "databricks_oauth_account");
    r.expect("signature", "pass")
        .expect("issuer", "pass")
        .expect("membership", "skip");
    r.expect_msg("issuer", ACCOUNT);

    let r = s.check_ws(DEMO_WORKSPACE).run(&token);
    r.expect_code(2)
        .expect("issuer", "warn")
        .expect("signature", "skip");
    r.expect_msg("issuer", "belongs to that account");
}

/// `check --batch`: a PAT line is named, not malformed, and never valid.
#[test]
fn a_batch_line_with_a_pat_is_recognised_and_not_verified() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("lines.txt");
    std::fs::write(&file, format!("{DEMO_PAT}\nnot-a-token\n")).unwrap();
    let mut c = bare_cmd(home.path());
    c.args(["check", "--batch"])
        .arg(&file)
        .args(["--offline", "--no-cache"]);
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(DEMO_PAT), "{stdout}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0]["valid"], false);
    assert!(
        lines[0]["failed"].as_array().unwrap().is_empty(),
        "{stdout}"
    );
    assert_eq!(lines[1]["failed"][0], "format");
    assert_eq!(out.status.code(), Some(1));
}

fn http_get(base: &str, path: &str) -> String {
    let url = url::Url::parse(base).unwrap();
    let addr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp.split_once("\r\n\r\n").unwrap().1.to_owned()
}

/// Offline, with the keys given: a Databricks token is verified and
/// compared with the host given; a Graph token is named; nothing is asked.
#[test]
fn offline_with_keys_every_kind_is_named_and_checked() {
    let s = Setup::new(config());
    let ws = s.ws(DEMO_WORKSPACE);
    let token = databricks_token(&ws);
    let dir = tempfile::tempdir().unwrap();
    let ws_keys = dir.path().join("ws.json");
    std::fs::write(&ws_keys, http_get(&ws, "/oidc/jwks.json")).unwrap();
    let graph = s
        .emu
        .mint(&MintRequest::user(DEMO_USER).audience("https://graph.microsoft.com"));
    let entra_keys = dir.path().join("entra.json");
    std::fs::write(
        &entra_keys,
        s.emu
            .jwks(DEMO_TENANT_ID, entra_emulator::TokenVersion::V1)
            .unwrap()
            .to_string(),
    )
    .unwrap();
    s.emu.reset_request_counts();
    let offline = |keys: &std::path::Path, extra: &[&str], t: &str| {
        s.check_at(None)
            .args(["--offline", "--jwks"])
            .arg(keys)
            .args(extra)
            .run(t)
    };
    let r = offline(
        &ws_keys,
        &["--workspace", &ws, "--allow-any-workspace-host"],
        &token,
    );
    assert_eq!(r.json["kind"], "databricks_oauth");
    r.expect_code(0)
        .expect("signature", "pass")
        .expect("issuer", "pass")
        .expect("membership", "skip");
    let r = offline(
        &ws_keys,
        &["--workspace", &s.ws(OTHER_WS), "--allow-any-workspace-host"],
        &token,
    );
    r.expect_code(1)
        .expect("signature", "pass")
        .expect("issuer", "fail");
    let r = offline(&entra_keys, &[], &graph);
    r.expect_code(1).expect("audience", "fail");
    assert_eq!(r.json["kind"], "entra_graph");
    let r = offline(&entra_keys, &[], DEMO_PAT);
    r.expect_code(2);
    assert_eq!(r.json["kind"], "databricks_pat");
    assert_eq!(s.emu.total_requests(), 0, "{:?}", s.emu.request_counts());
}
