#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! The service principal outside the workspace: `token` and `check
//! --workspace` see the "not a member" answer, get an ARM token with the
//! same credential, and retry SCIM Me with
//! `X-Databricks-Azure-SP-Management-Token` and
//! `X-Databricks-Azure-Workspace-Resource-Id` (the emulator lets in a
//! Contributor on the workspace resource, refuses anyone else).

use crate::online_common;

use entra_emulator::{
    AppRegistration, EmulatorConfig, MintRequest, DEMO_TENANT_ID, DEMO_WORKSPACE,
};
use online_common::{bare_cmd, Cmd, Setup};

const OUTSIDER: &str = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e";
const NOT_CONTRIBUTOR: &str = "6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f";
const SECRET: &str = "outsider-secret-value";
const RESOURCE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/ws";

fn setup() -> Setup {
    let mut cfg = EmulatorConfig::default();
    cfg.tenants[0] = cfg.tenants[0]
        .clone()
        .app(AppRegistration::new(OUTSIDER, "outside-pipeline").secret(SECRET))
        .app(AppRegistration::new(NOT_CONTRIBUTOR, "reader-pipeline").secret(SECRET));
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .azure_resource_id(RESOURCE)
        .resource_contributor(OUTSIDER);
    Setup::new(cfg)
}

fn token_cmd(s: &Setup, app: &str) -> Cmd {
    let mut c = bare_cmd(s.home.path());
    c.args([
        "token",
        "--flow",
        "client-secret",
        "--authority",
        s.emu.base_url(),
        "--no-cache",
        "--allow-any-workspace-host",
        "--workspace",
        &s.ws(DEMO_WORKSPACE),
    ]);
    Cmd(c)
        .env("AZURE_TENANT_ID", DEMO_TENANT_ID)
        .env("AZURE_CLIENT_ID", app)
        .env("AZURE_CLIENT_SECRET", SECRET)
}

fn membership_line(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.contains("membership"))
        .unwrap_or_else(|| panic!("no membership finding: {stderr}"))
        .to_owned()
}

#[test]
fn token_gets_a_contributor_service_principal_in_through_the_management_token_path() {
    let s = setup();
    let r = token_cmd(&s, OUTSIDER)
        .args(["--workspace-resource-id", RESOURCE])
        .run_plain();
    let m = membership_line(&r.stderr);
    assert!(
        m.starts_with("PASS") && m.contains("management-token path"),
        "{}",
        r.stderr
    );
    r.expect_code(0);
    assert!(!r.stderr.contains(SECRET));
    // SCIM Me was asked again, and a second token (the ARM one) was asked for.
    assert!(
        s.emu
            .workspace_request_count(DEMO_WORKSPACE, "/api/2.0/preview/scim/v2/Me")
            >= 2
    );
    assert_eq!(
        s.emu
            .request_count(&format!("/{DEMO_TENANT_ID}/oauth2/token")),
        2
    );
}

/// SCIM `Me` is asked twice in all, once plain (by the check) and once with
/// the management token: the path reads the check's answer, never asks it
/// again.
#[test]
fn the_management_token_path_reads_the_checks_scim_me_answer_instead_of_asking_again() {
    let me = "/api/2.0/preview/scim/v2/Me";
    let s = setup();
    let r = token_cmd(&s, OUTSIDER)
        .args(["--workspace-resource-id", RESOURCE])
        .run_plain();
    r.expect_code(0);
    assert_eq!(s.emu.workspace_request_count(DEMO_WORKSPACE, me), 2);

    let token = s.emu.mint(&MintRequest::service_principal(OUTSIDER));
    s.emu.reset_request_counts();
    let r = s
        .check_ws(DEMO_WORKSPACE)
        .env("ARM_CLIENT_ID", OUTSIDER)
        .env("ARM_CLIENT_SECRET", SECRET)
        .env("ARM_TENANT_ID", DEMO_TENANT_ID)
        .env("DATABRICKS_AZURE_RESOURCE_ID", RESOURCE)
        .run(&token);
    r.expect_code(0).expect("membership", "pass");
    assert_eq!(s.emu.workspace_request_count(DEMO_WORKSPACE, me), 2);

    // Without a resource ID the path is only named: SCIM Me once.
    s.emu.reset_request_counts();
    let r = s
        .check_ws(DEMO_WORKSPACE)
        .env("ARM_CLIENT_ID", OUTSIDER)
        .env("ARM_CLIENT_SECRET", SECRET)
        .env("ARM_TENANT_ID", DEMO_TENANT_ID)
        .run(&token);
    r.expect_code(1).expect("membership", "fail");
    assert!(r
        .fix("membership")
        .contains("management-token path lets it in"));
    assert_eq!(s.emu.workspace_request_count(DEMO_WORKSPACE, me), 1);
}

#[test]
fn token_says_why_the_management_token_path_fails_when_not_contributor() {
    let s = setup();
    let r = token_cmd(&s, NOT_CONTRIBUTOR)
        .env("DATABRICKS_AZURE_RESOURCE_ID", RESOURCE)
        .run_plain();
    r.expect_code(1);
    let m = membership_line(&r.stderr);
    assert!(
        m.starts_with("FAIL") && m.contains("management-token path failed too"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("does not have Contributor or Owner")
            && r.stderr.contains("Access control (IAM)"),
        "{}",
        r.stderr
    );
}

#[test]
fn without_a_resource_id_the_fix_says_how_to_use_the_path() {
    let s = setup();
    let r = token_cmd(&s, OUTSIDER).run_plain();
    r.expect_code(1);
    assert!(
        r.stderr.contains("management-token path lets it in")
            && r.stderr.contains("DATABRICKS_AZURE_RESOURCE_ID"),
        "{}",
        r.stderr
    );
}

#[test]
fn check_runs_the_path_with_the_configured_credential_or_says_what_is_missing() {
    let s = setup();
    let token = s.emu.mint(&MintRequest::service_principal(OUTSIDER));
    let r = s
        .check_ws(DEMO_WORKSPACE)
        .env("ARM_CLIENT_ID", OUTSIDER)
        .env("ARM_CLIENT_SECRET", SECRET)
        .env("ARM_TENANT_ID", DEMO_TENANT_ID)
        .env("DATABRICKS_AZURE_RESOURCE_ID", RESOURCE)
        .run(&token);
    r.expect("membership", "pass");
    r.expect_msg("membership", "management-token path");
    r.expect_code(0);
    // No credential of that application: the path is named, not run.
    let r = s
        .check_ws(DEMO_WORKSPACE)
        .env("DATABRICKS_AZURE_RESOURCE_ID", RESOURCE)
        .run(&token);
    r.expect_code(1).expect("membership", "fail");
    let fix = r.fix("membership");
    assert!(
        fix.contains("management-token path applies") && fix.contains("no client secret"),
        "{fix}"
    );
}

#[test]
fn a_user_who_is_not_a_member_gets_no_management_token_retry() {
    let s = setup();
    let token = s
        .emu
        .mint(&MintRequest::user("stranger@contoso.onmicrosoft.com"));
    s.emu.reset_request_counts();
    let r = s
        .check_ws(DEMO_WORKSPACE)
        .env("ARM_CLIENT_ID", OUTSIDER)
        .env("ARM_CLIENT_SECRET", SECRET)
        .env("DATABRICKS_AZURE_RESOURCE_ID", RESOURCE)
        .run(&token);
    r.expect_code(1).expect("membership", "fail");
    assert!(!r.fix("membership").contains("management-token"));
    assert_eq!(
        s.emu
            .workspace_request_count(DEMO_WORKSPACE, "/api/2.0/preview/scim/v2/Me"),
        1
    );
    // No ARM token was asked for either.
    assert_eq!(
        s.emu
            .request_count(&format!("/{DEMO_TENANT_ID}/oauth2/token")),
        0
    );
}
