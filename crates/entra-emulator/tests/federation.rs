#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Entra workload identity federation at the token endpoint: an external token as
//! `client_assertion`, checked against the app's federated credentials.

use crate::common;

use common::segment;
use entra_emulator::{
    AppRegistration, Emulator, EmulatorConfig, ExternalIssuer, FederatedCredential,
    RunningEmulator, DATABRICKS_RESOURCE_ID, DEMO_TENANT_ID, DEMO_WORKSPACE, FEDERATION_AUDIENCE,
};
use serde_json::Value;

const APP: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const NO_FIC_APP: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6e";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
const SUBJECT: &str = "repo:contoso/pipeline:ref:refs/heads/main";

async fn start(external: &ExternalIssuer) -> RunningEmulator {
    let mut cfg = EmulatorConfig::default();
    cfg.tenants[0] = cfg.tenants[0]
        .clone()
        .app(
            AppRegistration::new(APP, "federated-ci")
                .federated_credential(FederatedCredential::new(ISSUER, SUBJECT, external.jwks())),
        )
        .app(AppRegistration::new(NO_FIC_APP, "plain"));
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .service_principal(APP, "federated-ci");
    Emulator::start(cfg).await.expect("start")
}

async fn exchange(emu: &RunningEmulator, client_id: &str, assertion: &str) -> (u16, Value) {
    let url = format!("{}/{DEMO_TENANT_ID}/oauth2/v2.0/token", emu.base_url());
    let scope = format!("{DATABRICKS_RESOURCE_ID}/.default");
    common::post_form(
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("scope", &scope),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ],
        None,
    )
    .await
}

fn codes(body: &Value) -> Vec<u64> {
    body["error_codes"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn matching_external_token_gets_an_entra_token_the_workspace_accepts() {
    let ext = ExternalIssuer::generate(ISSUER).unwrap();
    let emu = start(&ext).await;
    let (s, body) = exchange(&emu, APP, &ext.token(SUBJECT, FEDERATION_AUDIENCE, 600)).await;
    assert_eq!(s, 200, "{body}");
    let t = body["access_token"].as_str().unwrap();
    assert_eq!(segment(t, 1)["appid"], APP);
    let (s, _) = common::scim_me(&emu, DEMO_WORKSPACE, t).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn federation_mismatches_get_their_aadsts_codes() {
    let ext = ExternalIssuer::generate(ISSUER).unwrap();
    let emu = start(&ext).await;
    let other_issuer = ExternalIssuer::generate("https://gitlab.example.com").unwrap();
    let cases: Vec<(String, &str, u64)> = vec![
        (
            other_issuer.token(SUBJECT, FEDERATION_AUDIENCE, 600),
            APP,
            700211,
        ),
        // Subjects compare case-sensitively.
        (
            ext.token(&SUBJECT.to_uppercase(), FEDERATION_AUDIENCE, 600),
            APP,
            700213,
        ),
        (ext.token(SUBJECT, "api://SomethingElse", 600), APP, 700212),
        (ext.token(SUBJECT, FEDERATION_AUDIENCE, -600), APP, 700024),
        (
            ext.token(SUBJECT, FEDERATION_AUDIENCE, 600),
            NO_FIC_APP,
            70021,
        ),
    ];
    for (assertion, app, code) in cases {
        let (s, body) = exchange(&emu, app, &assertion).await;
        assert!(s == 400 || s == 401, "{code}: {s}");
        assert_eq!(codes(&body), vec![code], "{body}");
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .starts_with(&format!("AADSTS{code}:")));
    }
}

#[tokio::test]
async fn external_token_signed_by_another_key_is_refused() {
    let ext = ExternalIssuer::generate(ISSUER).unwrap();
    let emu = start(&ext).await;
    // Same issuer name, a key not in the configured JWKS.
    let impostor = ExternalIssuer::generate(ISSUER).unwrap();
    let (s, body) = exchange(
        &emu,
        APP,
        &impostor.token(SUBJECT, FEDERATION_AUDIENCE, 600),
    )
    .await;
    assert_eq!(s, 401, "{body}");
    assert_eq!(codes(&body), vec![700027]);
}
