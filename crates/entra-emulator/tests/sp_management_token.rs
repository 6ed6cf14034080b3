#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! The service principal outside the workspace: an ARM token in
//! `X-Databricks-Azure-SP-Management-Token` with the workspace's resource ID
//! lets in a service principal that is Contributor on the workspace resource.

use crate::common;

use entra_emulator::{Emulator, EmulatorConfig, MintRequest, RunningEmulator, DEMO_WORKSPACE};
use serde_json::Value;

const OUTSIDER: &str = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e";
const NOT_CONTRIBUTOR: &str = "6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f";
const RESOURCE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/ws";
const ARM: &str = "https://management.core.windows.net/";

async fn start() -> RunningEmulator {
    let mut cfg = EmulatorConfig::default();
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .azure_resource_id(RESOURCE)
        .resource_contributor(OUTSIDER);
    Emulator::start(cfg).await.expect("start")
}

async fn me(emu: &RunningEmulator, token: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    common::scim_me_with(emu, DEMO_WORKSPACE, token, headers).await
}

/// The two headers of the management-token path: an ARM token and this workspace's
/// resource ID.
fn management(arm: &str) -> [(&str, &str); 2] {
    [
        ("X-Databricks-Azure-SP-Management-Token", arm),
        ("X-Databricks-Azure-Workspace-Resource-Id", RESOURCE),
    ]
}

#[tokio::test]
async fn a_contributor_service_principal_gets_in_with_its_management_token() {
    let emu = start().await;
    let token = emu.mint(&MintRequest::service_principal(OUTSIDER));
    let (s, body) = me(&emu, &token, &[]).await;
    assert_eq!(s, 403, "{body}");
    let arm = emu.mint(&MintRequest::service_principal(OUTSIDER).audience(ARM));
    let (s, body) = me(&emu, &token, &management(&arm)).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["applicationId"], OUTSIDER);
}

#[tokio::test]
async fn the_management_token_path_refuses_with_the_reason() {
    let emu = start().await;
    let cases = [
        (
            NOT_CONTRIBUTOR,
            ARM,
            RESOURCE,
            "does not have Contributor or Owner",
        ),
        (
            OUTSIDER,
            "https://graph.microsoft.com",
            RESOURCE,
            "Expected aud claim",
        ),
        (
            OUTSIDER,
            ARM,
            "/subscriptions/x/other",
            "is not this workspace's resource ID",
        ),
        (
            OUTSIDER,
            ARM,
            "",
            "Missing X-Databricks-Azure-Workspace-Resource-Id",
        ),
    ];
    for (app, aud, resource, why) in cases {
        let token = emu.mint(&MintRequest::service_principal(app));
        let arm = emu.mint(&MintRequest::service_principal(app).audience(aud));
        let mut h = vec![("X-Databricks-Azure-SP-Management-Token", arm.as_str())];
        if !resource.is_empty() {
            h.push(("X-Databricks-Azure-Workspace-Resource-Id", resource));
        }
        let (s, body) = me(&emu, &token, &h).await;
        assert_eq!(s, 403, "{why}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(why),
            "{why}: {body}"
        );
    }
    // Another principal's management token does not count.
    let token = emu.mint(&MintRequest::service_principal(NOT_CONTRIBUTOR));
    let arm = emu.mint(&MintRequest::service_principal(OUTSIDER).audience(ARM));
    let (s, body) = me(&emu, &token, &management(&arm)).await;
    assert_eq!(s, 403);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("not for the service principal"));
}
