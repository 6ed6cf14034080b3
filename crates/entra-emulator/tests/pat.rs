#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Personal access tokens on a workspace's APIs: valid, unknown, revoked, expired, and
//! switched off by the admin.

use crate::common;

use common::scim_me;
use entra_emulator::{
    Emulator, EmulatorConfig, PersonalAccessToken, RunningEmulator, WorkspaceConfig, DEMO_PAT,
    DEMO_SP_APP_ID, DEMO_TENANT_ID, DEMO_USER, DEMO_WORKSPACE,
};

const NO_PATS_WS: &str = "adb-5555555555555555.5";
const SP_PAT: &str = "dapi00000000000000000000000000000005";
const REVOKED: &str = "dapi11111111111111111111111111111111";
const EXPIRED: &str = "dapi22222222222222222222222222222222";

async fn start() -> RunningEmulator {
    let mut cfg = EmulatorConfig::default();
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .pat(PersonalAccessToken::new(SP_PAT, DEMO_SP_APP_ID))
        .pat(PersonalAccessToken::new(REVOKED, DEMO_USER).revoked())
        .pat(PersonalAccessToken::new(EXPIRED, DEMO_USER).expires_at(1_600_000_000));
    let cfg = cfg.workspace(
        WorkspaceConfig::new(NO_PATS_WS, DEMO_TENANT_ID)
            .user(DEMO_USER, "Alice")
            .pat(PersonalAccessToken::new(DEMO_PAT, DEMO_USER))
            .disable_pats(),
    );
    Emulator::start(cfg).await.expect("start")
}

#[tokio::test]
async fn valid_pat_is_its_owner_on_scim_me() {
    let emu = start().await;
    let (s, body) = scim_me(&emu, DEMO_WORKSPACE, DEMO_PAT).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["userName"], DEMO_USER);
    let (s, body) = scim_me(&emu, DEMO_WORKSPACE, SP_PAT).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["applicationId"], DEMO_SP_APP_ID);
}

#[tokio::test]
async fn unknown_revoked_and_expired_pats_are_invalid_access_token() {
    let emu = start().await;
    for token in [
        "dapi99999999999999999999999999999999",
        REVOKED,
        EXPIRED,
        // One character off a valid one.
        "dapi0123456789abcdef0123456789abcdee",
    ] {
        let (s, body) = scim_me(&emu, DEMO_WORKSPACE, token).await;
        assert_eq!(s, 403, "{token}");
        assert_eq!(body["error_code"], "403");
        assert_eq!(body["message"], "Invalid access token.");
    }
}

#[tokio::test]
async fn pats_disabled_by_admin_refuse_even_a_known_pat() {
    let emu = start().await;
    let (s, body) = scim_me(&emu, NO_PATS_WS, DEMO_PAT).await;
    assert_eq!(s, 403);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("Personal access tokens are disabled"));
    // Entra tokens still work there.
    let token = emu.mint(&entra_emulator::MintRequest::user(DEMO_USER));
    assert_eq!(scim_me(&emu, NO_PATS_WS, &token).await.0, 200);
}

#[test]
fn pat_debug_never_shows_the_token() {
    let p = PersonalAccessToken::new(DEMO_PAT, DEMO_USER);
    assert!(!format!("{p:?}").contains(&DEMO_PAT[4..]));
}
