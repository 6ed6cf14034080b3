#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Online `check`, the workspace: its tenant (from /aad/auth), membership
//! (SCIM Me) and Databricks' answers as findings, the workspace URL from
//! flags, DATABRICKS_HOST and ~/.databrickscfg, and the host allow-list.

use crate::online_common;

use entra_emulator::{
    EmulatorConfig, MintRequest, TenantConfig, WorkspaceConfig, WorkspaceMember, DEMO_SP_APP_ID,
    DEMO_TENANT_ID, DEMO_USER, DEMO_WORKSPACE,
};
use online_common::{bare_cmd, Cmd, Setup};

const OTHER_TENANT: &str = "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98";

fn two_tenants() -> EmulatorConfig {
    EmulatorConfig::default()
        .tenant(TenantConfig::new(OTHER_TENANT))
        .workspace(
            WorkspaceConfig::new("adb-2222222222222222.2", DEMO_TENANT_ID)
                .user("bob@contoso.onmicrosoft.com", "Bob Inactive")
                .member(
                    WorkspaceMember::user("carol@contoso.onmicrosoft.com", "Carol Gone").inactive(),
                ),
        )
}

#[test]
fn every_check_passes_for_a_member() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = s.check_ws(DEMO_WORKSPACE).run(&token);
    r.expect_code(0);
    for c in [
        "format",
        "discovery",
        "signature",
        "audience",
        "issuer",
        "workspace",
        "tenant",
        "lifetime",
        "identity",
        "membership",
    ] {
        r.expect(c, "pass");
    }
    assert_eq!(r.json["complete"], true);
    r.expect_msg("workspace", &format!("belongs to tenant {DEMO_TENANT_ID}"));
    r.expect_msg("tenant", "workspace's tenant");
    let m = r.message("membership");
    assert!(
        m.contains(DEMO_USER) && m.contains("Alice Example") && m.contains("active true"),
        "{m}"
    );
    // Order: workspace right before tenant, membership last.
    let checks = r.checks();
    let w = checks.iter().position(|c| c == "workspace").unwrap();
    assert_eq!(checks[w + 1], "tenant");
    assert_eq!(checks.last().map(String::as_str), Some("membership"));
}

#[test]
fn service_principal_member() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::service_principal(DEMO_SP_APP_ID));
    let r = s.check_ws(DEMO_WORKSPACE).run(&token);
    r.expect_code(0)
        .expect("membership", "pass")
        .expect_msg("membership", "service principal");
    r.expect_msg("membership", DEMO_SP_APP_ID);
}

#[test]
fn a_user_not_in_the_workspace() {
    let s = Setup::demo();
    let token = s
        .emu
        .mint(&MintRequest::user("dave@contoso.onmicrosoft.com"));
    let r = s.check_ws(DEMO_WORKSPACE).run(&token);
    r.expect_code(1)
        .expect("membership", "fail")
        .expect("signature", "pass")
        .expect("tenant", "pass");
    r.expect_msg("membership", "not a member")
        .expect_msg("membership", "HTTP 403");
    assert!(
        !r.message("membership").contains("HTTP 403 403"),
        "the status is shown once: {}",
        r.message("membership")
    );
    assert!(r.fix("membership").contains("dave@contoso.onmicrosoft.com"));
    assert_eq!(r.json["failed"], serde_json::json!(["membership"]));
}

#[test]
fn a_service_principal_not_in_the_workspace() {
    let s = Setup::demo();
    let app = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    let token = s.emu.mint(&MintRequest::service_principal(app));
    let r = s.check_ws(DEMO_WORKSPACE).run(&token);
    r.expect_code(1).expect("membership", "fail");
    let fix = r.fix("membership");
    assert!(
        fix.contains(app) && fix.contains("Service principals"),
        "{fix}"
    );
}

#[test]
fn a_deactivated_user() {
    let s = Setup::new(two_tenants());
    let token = s
        .emu
        .mint(&MintRequest::user("carol@contoso.onmicrosoft.com"));
    let r = s.check_ws("adb-2222222222222222.2").run(&token);
    r.expect_code(1)
        .expect("membership", "fail")
        .expect_msg("membership", "deactivated");
}

#[test]
fn wrong_audience_is_refused_by_the_workspace_too() {
    let s = Setup::demo();
    let token = s
        .emu
        .mint(&MintRequest::user(DEMO_USER).audience("https://management.core.windows.net/"));
    let r = s.check_ws(DEMO_WORKSPACE).run(&token);
    r.expect_code(1)
        .expect("audience", "fail")
        .expect("membership", "fail");
    r.expect_msg("membership", "IncorrectClaimException")
        .expect_msg("membership", "audience");
    assert!(
        r.message("membership").contains("HTTP 401: ")
            && !r.message("membership").contains("HTTP 401 401"),
        "the status is shown once: {}",
        r.message("membership")
    );
    assert_eq!(
        r.finding("membership")["actual"],
        "https://management.core.windows.net/"
    );
    assert_eq!(
        r.finding("membership")["expected"],
        "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
    );
    assert!(r
        .fix("membership")
        .contains("az account get-access-token --resource"));
}

#[test]
fn a_token_from_another_tenant() {
    let s = Setup::new(two_tenants());
    let token = s
        .emu
        .mint(&MintRequest::user(DEMO_USER).tenant(OTHER_TENANT));
    let r = s.check_ws(DEMO_WORKSPACE).run(&token);
    r.expect_code(1)
        .expect("signature", "pass")
        .expect("workspace", "pass");
    r.expect("tenant", "fail")
        .expect("issuer", "fail")
        .expect("membership", "fail");
    assert_eq!(r.finding("tenant")["expected"], DEMO_TENANT_ID);
    assert_eq!(r.finding("tenant")["actual"], OTHER_TENANT);
    r.expect_msg("membership", "another tenant");
    assert_eq!(
        r.finding("membership")["actual"],
        format!("https://sts.windows.net/{OTHER_TENANT}/")
    );
}

#[test]
fn an_expired_token() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER).expired(3600));
    let r = s.check_ws(DEMO_WORKSPACE).run(&token);
    r.expect_code(1)
        .expect("lifetime", "fail")
        .expect("membership", "fail")
        .expect_msg("membership", "expired");
}

#[test]
fn configured_tenant_that_disagrees_is_a_warning() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = s
        .check_ws(DEMO_WORKSPACE)
        .args(["--tenant", OTHER_TENANT])
        .run(&token);
    r.expect_code(0)
        .expect("workspace", "warn")
        .expect("tenant", "pass");
    r.expect_msg("workspace", "--tenant");
}

#[test]
fn workspace_tenant_is_cached_membership_is_not() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    s.check_ws(DEMO_WORKSPACE).run(&token).expect_code(0);
    s.check_ws(DEMO_WORKSPACE).run(&token).expect_code(0);
    assert_eq!(
        s.emu.workspace_request_count(DEMO_WORKSPACE, "/aad/auth"),
        1
    );
    assert_eq!(
        s.emu
            .workspace_request_count(DEMO_WORKSPACE, "/api/2.0/preview/scim/v2/Me"),
        2
    );
}

#[test]
fn databricks_host_from_the_environment() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = s
        .check()
        .arg("--allow-any-workspace-host")
        .env("DATABRICKS_HOST", s.ws(DEMO_WORKSPACE))
        .run(&token);
    r.expect_code(0).expect("membership", "pass");
}

#[test]
fn profile_from_databrickscfg() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    std::fs::write(
        s.home.path().join(".databrickscfg"),
        format!(
            "[DEFAULT]\nhost = https://adb-1.1.azuredatabricks.net\n\n[emu]\nhost = {}\nazure_tenant_id = {DEMO_TENANT_ID}\ntoken = dapi-not-used\n",
            s.ws(DEMO_WORKSPACE)
        ),
    )
    .unwrap();
    let r = s
        .check()
        .args(["--profile", "emu", "--allow-any-workspace-host"])
        .run(&token);
    r.expect_code(0)
        .expect("membership", "pass")
        .expect("workspace", "pass");
    // The same through DATABRICKS_CONFIG_PROFILE.
    let r = s
        .check()
        .arg("--allow-any-workspace-host")
        .env("DATABRICKS_CONFIG_PROFILE", "emu")
        .run(&token);
    r.expect_code(0).expect("membership", "pass");
    // A profile that does not exist is a usage error naming the others.
    let r = s.check().args(["--profile", "nope"]).run(&token);
    r.expect_code(2);
    assert!(
        r.stderr.contains("profile 'nope'") && r.stderr.contains("emu"),
        "{}",
        r.stderr
    );
}

#[test]
fn hosts_outside_databricks_domains_need_the_flag() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = s
        .check()
        .args(["--workspace", &s.ws(DEMO_WORKSPACE)])
        .run(&token);
    r.expect_code(2);
    assert!(
        r.stderr.contains("--allow-any-workspace-host"),
        "{}",
        r.stderr
    );
    assert_eq!(s.emu.total_requests(), 0, "nothing was sent");
    // The same for DATABRICKS_HOST.
    let r = s
        .check()
        .env("DATABRICKS_HOST", s.ws(DEMO_WORKSPACE))
        .run(&token);
    r.expect_code(2);
    assert!(r.stderr.contains("DATABRICKS_HOST"), "{}", r.stderr);
    // Plain http is refused for a non-loopback host even with the flag.
    let r = s
        .check()
        .args([
            "--workspace",
            "http://example.com",
            "--allow-any-workspace-host",
        ])
        .run(&token);
    r.expect_code(2);
    assert!(r.stderr.contains("https"), "{}", r.stderr);
    assert_eq!(s.emu.total_requests(), 0);
}

#[test]
fn authority_must_be_https_unless_loopback() {
    let home = tempfile::tempdir().unwrap();
    let mut c = bare_cmd(home.path());
    c.args([
        "check",
        "--authority",
        "http://login.microsoftonline.com",
        "x.y.z",
    ]);
    let r = Cmd(c).run_plain();
    r.expect_code(2);
    assert!(
        r.stderr.contains("--authority") && r.stderr.contains("https"),
        "{}",
        r.stderr
    );
}

#[test]
fn membership_never_follows_a_redirect() {
    let s = Setup::demo();
    s.emu
        .set_workspace_fault(
            DEMO_WORKSPACE,
            "/api/2.0/preview/scim/v2/Me",
            entra_emulator::Fault::RedirectLoop,
        )
        .unwrap();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = s.check_ws(DEMO_WORKSPACE).run(&token);
    r.expect_code(2)
        .expect("membership", "skip")
        .expect_msg("membership", "not followed");
    assert_eq!(
        s.emu
            .workspace_request_count(DEMO_WORKSPACE, "/api/2.0/preview/scim/v2/Me"),
        1
    );
    // The other findings stand.
    r.expect("signature", "pass").expect("tenant", "pass");
}

#[test]
fn text_output_shows_the_online_findings() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let mut c = bare_cmd(s.home.path());
    c.args([
        "check",
        "--test-resolve",
        "localhost=127.0.0.1",
        "--cache-dir",
    ])
    .arg(s.cache.path());
    c.args([
        "--authority",
        s.emu.base_url(),
        "--workspace",
        &s.ws(DEMO_WORKSPACE),
        "--allow-any-workspace-host",
    ]);
    let r = Cmd(c).run(&token);
    r.expect_code(0);
    for c in ["discovery", "workspace", "membership"] {
        assert!(r.stdout.contains(c), "{}", r.stdout);
    }
    // Standard error is not a terminal: no spinner.
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn default_section_of_databrickscfg_names_the_workspace_when_no_profile_is_named() {
    // As the Databricks SDKs do: [DEFAULT] is the profile when none is named.
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    std::fs::write(
        s.home.path().join(".databrickscfg"),
        format!(
            "[DEFAULT]\nhost = {}\nazure_tenant_id = {DEMO_TENANT_ID}\n\n[other]\nhost = https://adb-1.1.azuredatabricks.net\n",
            s.ws(DEMO_WORKSPACE)
        ),
    )
    .unwrap();
    let r = s.check().arg("--allow-any-workspace-host").run(&token);
    r.expect_code(0)
        .expect("membership", "pass")
        .expect("workspace", "pass");
}
