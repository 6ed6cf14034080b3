#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! A Databricks account host: `/oidc/accounts/<id>/…`, its tokens, and workspace tokens
//! refused there.

use crate::common;

use common::{databricks_m2m, get_bearer, segment};
use entra_emulator::{
    AccountConfig, Emulator, EmulatorConfig, RunningEmulator, WorkspaceMember,
    DEMO_DATABRICKS_OAUTH_SECRET, DEMO_SP_APP_ID, DEMO_WORKSPACE,
};

const ACCOUNT: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

async fn start() -> RunningEmulator {
    let mut cfg = EmulatorConfig::default().account(
        AccountConfig::new(ACCOUNT)
            .member(WorkspaceMember::service_principal(
                DEMO_SP_APP_ID,
                "ci-pipeline",
            ))
            .oauth_secret(DEMO_SP_APP_ID, "dose-account"),
    );
    cfg.workspaces[0] = cfg.workspaces[0].clone().account(ACCOUNT);
    Emulator::start(cfg).await.expect("start")
}

#[tokio::test]
async fn account_host_serves_oidc_under_accounts_id_with_its_issuer() {
    let emu = start().await;
    let host = emu.account_url(ACCOUNT).unwrap();
    let (s, d) = common::get_json(&format!(
        "{host}/oidc/accounts/{ACCOUNT}/.well-known/oauth-authorization-server"
    ))
    .await;
    assert_eq!(s, 200);
    let iss = format!("{host}/oidc/accounts/{ACCOUNT}");
    assert_eq!(d["issuer"], iss);
    assert_eq!(d["token_endpoint"], format!("{iss}/v1/token"));
    let (s, body) = databricks_m2m(d["token_endpoint"].as_str().unwrap(), "dose-account").await;
    assert_eq!(s, 200, "{body}");
    let t = body["access_token"].as_str().unwrap();
    assert_eq!(segment(t, 1)["iss"], iss);
    let (s, me) = get_bearer(&format!("{host}/api/2.0/accounts/{ACCOUNT}/scim/v2/Me"), t).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["applicationId"], DEMO_SP_APP_ID);
    // Another account id on this host is not served.
    let (s, _) = common::get_json(&format!(
        "{host}/oidc/accounts/ffffffff-4e5f-4a6b-8c7d-9e0f1a2b3c4d/.well-known/oauth-authorization-server"
    ))
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn workspace_token_is_refused_on_the_account() {
    let emu = start().await;
    let ws = emu.workspace_url(DEMO_WORKSPACE).unwrap();
    let (_, body) =
        databricks_m2m(&format!("{ws}/oidc/v1/token"), DEMO_DATABRICKS_OAUTH_SECRET).await;
    let t = body["access_token"].as_str().unwrap();
    let host = emu.account_url(ACCOUNT).unwrap();
    let (s, refused) =
        get_bearer(&format!("{host}/api/2.0/accounts/{ACCOUNT}/scim/v2/Me"), t).await;
    assert_eq!(s, 403);
    assert_eq!(refused["message"], "Invalid access token.");
}

#[tokio::test]
async fn account_token_is_accepted_on_a_workspace_of_the_account() {
    let emu = start().await;
    assert_eq!(emu.workspace_account(DEMO_WORKSPACE).unwrap(), ACCOUNT);
    let host = emu.account_url(ACCOUNT).unwrap();
    let (_, body) = databricks_m2m(
        &format!("{host}/oidc/accounts/{ACCOUNT}/v1/token"),
        "dose-account",
    )
    .await;
    let t = body["access_token"].as_str().unwrap();
    let ws = emu.workspace_url(DEMO_WORKSPACE).unwrap();
    let (s, me) = get_bearer(&format!("{ws}/api/2.0/preview/scim/v2/Me"), t).await;
    assert_eq!(s, 200, "{me}");
    // The workspace's host metadata names the account.
    let (_, meta) = common::get_json(&format!("{ws}/.well-known/databricks-config")).await;
    assert_eq!(meta["account_id"], ACCOUNT);
}

#[test]
fn account_ids_must_be_unique_guids() {
    let bad = EmulatorConfig::default().account(AccountConfig::new("not-a-guid"));
    assert!(bad.validate().is_err());
    let twice = EmulatorConfig::default()
        .account(AccountConfig::new(ACCOUNT))
        .account(AccountConfig::new(ACCOUNT));
    assert!(twice.validate().is_err());
}
