#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `entra-doctor token --flow managed-identity` against the emulator's IMDS
//! and App Service endpoints: the token checked against the workspace, and
//! each documented refusal diagnosed. Every endpoint is on 127.0.0.1: no
//! test names 169.254.169.254.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use entra_emulator::{
    Emulator, EmulatorConfig, ManagedIdentity, RunningEmulator, DEMO_IDENTITY_HEADER,
    DEMO_TENANT_ID, DEMO_WORKSPACE,
};

const SYS_CLIENT: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const SYS_OBJECT: &str = "aaaaaaaa-0000-4000-8000-0000000000f1";
const UA1: &str = "bbbbbbbb-0000-4000-8000-000000000001";
const UA2: &str = "bbbbbbbb-0000-4000-8000-000000000002";
const UA2_OBJECT: &str = "bbbbbbbb-0000-4000-8000-0000000000f2";
const UA2_RES: &str = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua2";
const OTHER_TENANT: &str = "99999999-2222-4333-8444-555555555555";
const IMDS_PATH: &str = "/metadata/identity/oauth2/token";

fn system() -> RunningEmulator {
    let mut cfg = EmulatorConfig::default().managed_identity(ManagedIdentity::system(
        DEMO_TENANT_ID,
        SYS_CLIENT,
        SYS_OBJECT,
    ));
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .service_principal(SYS_CLIENT, "vm-identity");
    Emulator::start_blocking(cfg).unwrap()
}

fn users() -> RunningEmulator {
    let mut cfg = EmulatorConfig::default()
        .managed_identity(ManagedIdentity::user(
            DEMO_TENANT_ID,
            UA1,
            "bbbbbbbb-0000-4000-8000-0000000000f1",
            "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua1",
        ))
        .managed_identity(ManagedIdentity::user(DEMO_TENANT_ID, UA2, UA2_OBJECT, UA2_RES));
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .service_principal(UA1, "ua1")
        .service_principal(UA2, "ua2");
    Emulator::start_blocking(cfg).unwrap()
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `token --flow managed-identity` with a clean environment, the emulator as
/// the authority (for the check's keys) and the workspace for the check.
fn cmd(emu: &RunningEmulator, home: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("entra-doctor").unwrap();
    c.env_clear().env("HOME", home).env("NO_COLOR", "1");
    c.args([
        "token",
        "--flow",
        "managed-identity",
        "--authority",
        emu.base_url(),
        "--no-cache",
        "--allow-any-workspace-host",
        "--workspace",
        &emu.workspace_url(DEMO_WORKSPACE).unwrap(),
    ]);
    c.timeout(Duration::from_secs(60));
    c
}

fn run(mut c: Command) -> Out {
    let o = c.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn claims(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let p = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap(),
    )
    .unwrap()
}

fn assert_valid(o: &Out) -> String {
    assert_eq!(o.code, 0, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("Valid: every check passed."),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("PASS  membership"), "{}", o.stderr);
    o.stdout.trim().to_owned()
}

#[test]
fn imds_system_assigned_token_is_checked_against_the_workspace() {
    let emu = system();
    let home = tempfile::tempdir().unwrap();
    let mut c = cmd(&emu, home.path());
    c.args(["--imds-endpoint", emu.base_url()]);
    let o = run(c);
    let token = assert_valid(&o);
    let cl = claims(&token);
    assert_eq!(cl["appid"], SYS_CLIENT);
    assert_eq!(cl["oid"], SYS_OBJECT);
    assert!(o.stderr.contains("with managed identity"), "{}", o.stderr);
    assert_eq!(emu.request_count(IMDS_PATH), 1);
}

#[test]
fn imds_address_from_pod_identity_variable() {
    let emu = system();
    let home = tempfile::tempdir().unwrap();
    let mut c = cmd(&emu, home.path());
    c.env(
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
        format!("{}/", emu.base_url()),
    );
    assert_valid(&run(c));
    assert_eq!(emu.request_count(IMDS_PATH), 1);
}

#[test]
fn app_service_endpoint_with_client_id_gets_that_identity() {
    let emu = users();
    let home = tempfile::tempdir().unwrap();
    let mut c = cmd(&emu, home.path());
    c.env("IDENTITY_ENDPOINT", emu.identity_endpoint())
        .env("IDENTITY_HEADER", DEMO_IDENTITY_HEADER)
        .env("AZURE_CLIENT_ID", UA1);
    let o = run(c);
    let token = assert_valid(&o);
    assert_eq!(claims(&token)["appid"], UA1);
    assert!(!o.stderr.contains(DEMO_IDENTITY_HEADER), "{}", o.stderr);
    assert_eq!(emu.request_count("/msi/token"), 1);
    assert_eq!(emu.request_count(IMDS_PATH), 0);
}

#[test]
fn imds_user_assigned_by_object_id_and_by_resource_id() {
    let emu = users();
    let home = tempfile::tempdir().unwrap();
    for (flag, v) in [("--object-id", UA2_OBJECT), ("--msi-res-id", UA2_RES)] {
        let mut c = cmd(&emu, home.path());
        c.args(["--imds-endpoint", emu.base_url(), flag, v]);
        let o = run(c);
        assert_eq!(claims(&assert_valid(&o))["appid"], UA2, "{flag}");
    }
}

#[test]
fn several_user_assigned_identities_and_no_client_id_is_diagnosed() {
    let emu = users();
    let home = tempfile::tempdir().unwrap();
    for app_service in [false, true] {
        let mut c = cmd(&emu, home.path());
        if app_service {
            c.env("IDENTITY_ENDPOINT", emu.identity_endpoint())
                .env("IDENTITY_HEADER", DEMO_IDENTITY_HEADER);
        } else {
            c.args(["--imds-endpoint", emu.base_url()]);
        }
        let o = run(c);
        assert_eq!(o.code, 1, "{}", o.stderr);
        assert!(o.stdout.is_empty(), "{}", o.stdout);
        assert!(
            o.stderr.contains("Multiple user assigned identities exist"),
            "{}",
            o.stderr
        );
        assert!(
            o.stderr.contains("several user-assigned identities"),
            "{}",
            o.stderr
        );
        assert!(o.stderr.contains("fix     name the identity: --client-id"));
    }
}

#[test]
fn unknown_client_id_is_identity_not_found_with_the_id_named() {
    let emu = users();
    let home = tempfile::tempdir().unwrap();
    let mut c = cmd(&emu, home.path());
    let wrong = "cccccccc-0000-4000-8000-000000000009";
    c.args(["--imds-endpoint", emu.base_url(), "--client-id", wrong]);
    let o = run(c);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("Identity not found"), "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!(
            "the identity with client ID {wrong} is not assigned"
        )),
        "{}",
        o.stderr
    );
}

#[test]
fn no_identity_on_the_resource_says_so() {
    let emu = Emulator::start_blocking(EmulatorConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut c = cmd(&emu, home.path());
    c.args(["--imds-endpoint", emu.base_url(), "--json"]);
    let o = run(c);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("this resource has no managed identity assigned"),
        "{}",
        o.stderr
    );
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["answer"], "Identity not found");
    assert_eq!(v["status"], 400);
}

#[test]
fn no_endpoint_answers_within_the_probe_bound() {
    let emu = system();
    let home = tempfile::tempdir().unwrap();
    // A port nobody listens on: refused at once.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut c = cmd(&emu, home.path());
    c.args(["--imds-endpoint", &format!("http://127.0.0.1:{closed}")]);
    let t0 = Instant::now();
    let o = run(c);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("no managed identity endpoint"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("Not on Azure"), "{}", o.stderr);
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    // A listener that accepts and never answers: bounded by --timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mut c = cmd(&emu, home.path());
    c.args([
        "--imds-endpoint",
        &format!("http://127.0.0.1:{port}"),
        "--timeout",
        "2",
    ]);
    let t0 = Instant::now();
    let o = run(c);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("no managed identity endpoint"),
        "{}",
        o.stderr
    );
    assert!(t0.elapsed() < Duration::from_secs(8), "{:?}", t0.elapsed());
    drop(silent);
}

#[test]
fn a_tenant_other_than_the_identity_s_is_the_tenant_clash() {
    let emu = system();
    let home = tempfile::tempdir().unwrap();
    let mut c = cmd(&emu, home.path());
    c.args(["--imds-endpoint", emu.base_url(), "--tenant", OTHER_TENANT]);
    let o = run(c);
    // The token is the identity's, from its own tenant (valid for the
    // workspace, which is in that tenant); the clash is named.
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("Tenant shouldn't be specified for managed identity account"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(&format!(
            "is not the managed identity's tenant {DEMO_TENANT_ID}"
        )),
        "{}",
        o.stderr
    );
}

#[test]
fn a_resource_other_than_databricks_fails_the_workspace_check() {
    let emu = system();
    let home = tempfile::tempdir().unwrap();
    let mut c = cmd(&emu, home.path());
    c.args([
        "--imds-endpoint",
        emu.base_url(),
        "--resource",
        "https://management.azure.com/",
    ]);
    let o = run(c);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(
        claims(o.stdout.trim())["aud"],
        "https://management.azure.com/"
    );
    assert!(o.stderr.contains("FAIL"), "{}", o.stderr);
}

#[test]
fn arc_and_cloud_shell_are_named_as_unsupported() {
    let emu = system();
    let home = tempfile::tempdir().unwrap();
    // Should a regression probe IMDS, it finds a closed loopback port,
    // never 169.254.169.254.
    let no_imds = format!("http://127.0.0.1:{}", crate::online_common::closed_port());
    let mut c = cmd(&emu, home.path());
    c.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &no_imds)
        .env("IDENTITY_ENDPOINT", emu.identity_endpoint())
        .env("IMDS_ENDPOINT", emu.base_url());
    let o = run(c);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("Azure Arc"), "{}", o.stderr);
    let mut c = cmd(&emu, home.path());
    c.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &no_imds)
        .env("MSI_ENDPOINT", emu.identity_endpoint());
    let o = run(c);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("Cloud Shell"), "{}", o.stderr);
    assert_eq!(emu.request_count("/msi/token"), 0);
}

#[test]
fn managed_identity_is_inferred_only_from_an_endpoint_variable() {
    let emu = users();
    let home = tempfile::tempdir().unwrap();
    let mut c = Command::cargo_bin("entra-doctor").unwrap();
    c.env_clear()
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .env("IDENTITY_ENDPOINT", emu.identity_endpoint())
        .env("IDENTITY_HEADER", DEMO_IDENTITY_HEADER)
        .env("AZURE_CLIENT_ID", UA2)
        .args(["token", "--show-config"]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("flow           managed identity"),
        "{}",
        o.stdout
    );
    let mut c = Command::cargo_bin("entra-doctor").unwrap();
    c.env_clear()
        .env("HOME", home.path())
        .args(["token", "--show-config"]);
    let o = run(c);
    assert!(o.stdout.contains("the Azure CLI"), "{}", o.stdout);
}
