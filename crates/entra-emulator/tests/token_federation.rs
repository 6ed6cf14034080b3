#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Databricks token federation: RFC 8693 exchange of an external JWT at
//! `/oidc/v1/token` under workspace and account federation policies.

use crate::common;

use common::segment;
use entra_emulator::{
    AccountConfig, Emulator, EmulatorConfig, ExternalIssuer, FederationPolicy, RunningEmulator,
    DEMO_SP_APP_ID, DEMO_USER, DEMO_WORKSPACE,
};
use serde_json::Value;

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const ACCOUNT_ISSUER: &str = "https://idp.contoso.example";
const ACCOUNT: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const SP_SUBJECT: &str = "repo:contoso/pipeline:environment:prod";

async fn start(ws_issuer: &ExternalIssuer, acct_issuer: &ExternalIssuer) -> RunningEmulator {
    let mut cfg = EmulatorConfig::default().account(AccountConfig::new(ACCOUNT).federation_policy(
        FederationPolicy::new(ACCOUNT_ISSUER, acct_issuer.jwks()).subject_claim("email"),
    ));
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .account(ACCOUNT)
        .federation_policy(
            FederationPolicy::new(ISSUER, ws_issuer.jwks())
                .audiences(&["https://github.com/contoso"])
                .for_service_principal(DEMO_SP_APP_ID, SP_SUBJECT),
        );
    Emulator::start(cfg).await.expect("start")
}

async fn exchange(emu: &RunningEmulator, token: &str, client_id: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", token),
        ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        ("scope", "all-apis"),
    ];
    if let Some(c) = client_id {
        form.push(("client_id", c));
    }
    let url = format!(
        "{}/oidc/v1/token",
        emu.workspace_url(DEMO_WORKSPACE).unwrap()
    );
    common::post_form(&url, &form, None).await
}

async fn me(emu: &RunningEmulator, token: &str) -> (u16, Value) {
    common::scim_me(emu, DEMO_WORKSPACE, token).await
}

#[tokio::test]
async fn service_principal_policy_exchanges_a_matching_token() {
    let gh = ExternalIssuer::generate(ISSUER).unwrap();
    let idp = ExternalIssuer::generate(ACCOUNT_ISSUER).unwrap();
    let emu = start(&gh, &idp).await;
    let t = gh.token(SP_SUBJECT, "https://github.com/contoso", 600);
    let (s, body) = exchange(&emu, &t, Some(DEMO_SP_APP_ID)).await;
    assert_eq!(s, 200, "{body}");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(segment(access, 1)["sub"], DEMO_SP_APP_ID);
    let (s, m) = me(&emu, access).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["applicationId"], DEMO_SP_APP_ID);
}

#[tokio::test]
async fn account_policy_maps_the_subject_claim_to_a_user() {
    let gh = ExternalIssuer::generate(ISSUER).unwrap();
    let idp = ExternalIssuer::generate(ACCOUNT_ISSUER).unwrap();
    let emu = start(&gh, &idp).await;
    let t = idp.token_with("idp-user-42", ACCOUNT, 600, &[("email", DEMO_USER)]);
    let (s, body) = exchange(&emu, &t, None).await;
    assert_eq!(s, 200, "{body}");
    let (s, m) = me(&emu, body["access_token"].as_str().unwrap()).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["userName"], DEMO_USER);
    // Without the claim the policy reads, the exchange fails.
    let (s, body) = exchange(&emu, &idp.token(DEMO_USER, ACCOUNT, 600), None).await;
    assert_eq!(s, 400, "{body}");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("has no 'email' claim"));
    // The account policy's default audience is the account id.
    let (s, _) = exchange(
        &emu,
        &idp.token_with("x", "other-audience", 600, &[("email", DEMO_USER)]),
        None,
    )
    .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn token_exchange_failures_say_token_exchange_failed() {
    let gh = ExternalIssuer::generate(ISSUER).unwrap();
    let idp = ExternalIssuer::generate(ACCOUNT_ISSUER).unwrap();
    let emu = start(&gh, &idp).await;
    let unknown = ExternalIssuer::generate("https://unknown.example").unwrap();
    let impostor = ExternalIssuer::generate(ISSUER).unwrap();
    let aud = "https://github.com/contoso";
    let cases = [
        (
            unknown.token(SP_SUBJECT, aud, 600),
            Some(DEMO_SP_APP_ID),
            "trusts the issuer",
        ),
        (gh.token(SP_SUBJECT, aud, 600), None, "pass client_id"),
        (
            gh.token(SP_SUBJECT, "https://github.com/other", 600),
            Some(DEMO_SP_APP_ID),
            "audience",
        ),
        (
            gh.token("repo:contoso/pipeline:ref:refs/heads/dev", aud, 600),
            Some(DEMO_SP_APP_ID),
            "subject",
        ),
        (
            impostor.token(SP_SUBJECT, aud, 600),
            Some(DEMO_SP_APP_ID),
            "signature",
        ),
        (
            gh.token(SP_SUBJECT, aud, -600),
            Some(DEMO_SP_APP_ID),
            "expired",
        ),
    ];
    for (token, client_id, why) in cases {
        let (s, body) = exchange(&emu, &token, client_id).await;
        assert_eq!(s, 400, "{why}: {body}");
        let d = body["error_description"].as_str().unwrap();
        assert!(d.starts_with("Token exchange failed: "), "{d}");
        assert!(d.contains(why), "{why}: {d}");
    }
}
