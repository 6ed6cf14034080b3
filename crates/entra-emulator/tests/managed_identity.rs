#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Managed identity endpoints: the IMDS shape and the App Service shape, with system-
//! and user-assigned identities and their documented failures.

use crate::common;

use common::{client, segment};
use entra_emulator::{
    Emulator, EmulatorConfig, ManagedIdentity, RunningEmulator, DATABRICKS_RESOURCE_ID,
    DEMO_IDENTITY_HEADER, DEMO_TENANT_ID, DEMO_WORKSPACE,
};
use serde_json::Value;

const SYS_CLIENT: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const SYS_OBJECT: &str = "aaaaaaaa-0000-4000-8000-0000000000f1";
const UA1_CLIENT: &str = "bbbbbbbb-0000-4000-8000-000000000001";
const UA2_CLIENT: &str = "bbbbbbbb-0000-4000-8000-000000000002";
const UA2_OBJECT: &str = "bbbbbbbb-0000-4000-8000-0000000000f2";
const UA2_RES: &str = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua2";

fn users() -> EmulatorConfig {
    EmulatorConfig::default()
        .managed_identity(ManagedIdentity::user(DEMO_TENANT_ID, UA1_CLIENT, "bbbbbbbb-0000-4000-8000-0000000000f1", "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua1"))
        .managed_identity(ManagedIdentity::user(DEMO_TENANT_ID, UA2_CLIENT, UA2_OBJECT, UA2_RES))
}

async fn start(cfg: EmulatorConfig) -> RunningEmulator {
    Emulator::start(cfg).await.expect("start")
}

async fn imds(emu: &RunningEmulator, q: &[(&str, &str)], metadata: bool) -> (u16, Value) {
    let mut r = client()
        .get(format!("{}/metadata/identity/oauth2/token", emu.base_url()))
        .query(q);
    if metadata {
        r = r.header("Metadata", "true");
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

async fn app_service(
    emu: &RunningEmulator,
    q: &[(&str, &str)],
    secret: Option<&str>,
) -> (u16, Value) {
    let mut r = client().get(emu.identity_endpoint()).query(q);
    if let Some(s) = secret {
        r = r.header("X-IDENTITY-HEADER", s);
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

const BASE: [(&str, &str); 2] = [
    ("api-version", "2018-02-01"),
    ("resource", DATABRICKS_RESOURCE_ID),
];

#[tokio::test]
async fn imds_system_assigned_token_is_accepted_by_the_workspace_as_its_app() {
    let cfg = EmulatorConfig::default().managed_identity(ManagedIdentity::system(
        DEMO_TENANT_ID,
        SYS_CLIENT,
        SYS_OBJECT,
    ));
    let mut cfg = cfg;
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .service_principal(SYS_CLIENT, "vm-identity");
    let emu = start(cfg).await;
    let (s, body) = imds(&emu, &BASE, true).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["client_id"], SYS_CLIENT);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["resource"], DATABRICKS_RESOURCE_ID);
    assert!(body["expires_on"].is_string());
    let token = body["access_token"].as_str().unwrap();
    let c = segment(token, 1);
    assert_eq!(c["appid"], SYS_CLIENT);
    assert_eq!(c["oid"], SYS_OBJECT);
    assert_eq!(c["aud"], DATABRICKS_RESOURCE_ID);
    assert_eq!(c["tid"], DEMO_TENANT_ID);
    let (s, me) = common::scim_me(&emu, DEMO_WORKSPACE, token).await;
    assert_eq!(s, 200);
    assert_eq!(me["applicationId"], SYS_CLIENT);
}

#[tokio::test]
async fn imds_without_metadata_header_is_400() {
    let emu = start(users()).await;
    let (s, body) = imds(&emu, &BASE, false).await;
    assert_eq!(s, 400);
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(
        body["error_description"],
        "Required metadata header not specified"
    );
}

#[tokio::test]
async fn imds_several_user_assigned_and_no_client_id_is_ambiguous() {
    let emu = start(users()).await;
    let (s, body) = imds(&emu, &BASE, true).await;
    assert_eq!(s, 400);
    assert_eq!(
        body["error_description"],
        "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"
    );
}

#[tokio::test]
async fn imds_selects_user_assigned_by_client_object_or_resource_id() {
    let emu = start(users()).await;
    for (k, v) in [
        ("client_id", UA2_CLIENT),
        ("object_id", UA2_OBJECT),
        ("msi_res_id", UA2_RES),
    ] {
        let mut q = BASE.to_vec();
        q.push((k, v));
        let (s, body) = imds(&emu, &q, true).await;
        assert_eq!(s, 200, "{k}: {body}");
        assert_eq!(
            segment(body["access_token"].as_str().unwrap(), 1)["appid"],
            UA2_CLIENT
        );
    }
}

#[tokio::test]
async fn imds_unknown_identity_is_identity_not_found() {
    let emu = start(users()).await;
    let mut q = BASE.to_vec();
    q.push(("client_id", "cccccccc-0000-4000-8000-000000000009"));
    let (s, body) = imds(&emu, &q, true).await;
    assert_eq!(s, 400);
    assert_eq!(body["error_description"], "Identity not found");
    // No identity at all.
    let emu = start(EmulatorConfig::default()).await;
    let (s, body) = imds(&emu, &BASE, true).await;
    assert_eq!(s, 400);
    assert_eq!(body["error_description"], "Identity not found");
}

#[tokio::test]
async fn app_service_requires_the_identity_header() {
    let emu = start(users()).await;
    let q = [
        ("api-version", "2019-08-01"),
        ("resource", DATABRICKS_RESOURCE_ID),
        ("client_id", UA1_CLIENT),
    ];
    assert_eq!(app_service(&emu, &q, None).await.0, 401);
    assert_eq!(app_service(&emu, &q, Some("wrong")).await.0, 401);
    let (s, body) = app_service(&emu, &q, Some(DEMO_IDENTITY_HEADER)).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["client_id"], UA1_CLIENT);
    assert_eq!(
        segment(body["access_token"].as_str().unwrap(), 1)["appid"],
        UA1_CLIENT
    );
    let (s, body) = app_service(
        &emu,
        &[
            ("api-version", "2019-08-01"),
            ("resource", DATABRICKS_RESOURCE_ID),
        ],
        Some(DEMO_IDENTITY_HEADER),
    )
    .await;
    assert_eq!(s, 400);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("Multiple user assigned identities exist"));
}
