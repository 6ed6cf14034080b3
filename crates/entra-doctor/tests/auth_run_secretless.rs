#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `entra-doctor auth` for the methods without a secret, end to end on the
//! emulator: `azure-msi` (App Service shape and IMDS), `github-oidc-azure`
//! (Entra workload identity federation with a loopback stand-in for GitHub
//! Actions' ID-token service) and `env-oidc` (Databricks token federation
//! under the workspace's federation policy). Each test asserts the method,
//! the verdict (exit status and `valid`) and the finding that decides it.
//! Every endpoint is on 127.0.0.1: no test names 169.254.169.254.

use crate::online_common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entra_emulator::{
    AccountConfig, AppRegistration, EmulatorConfig, ExternalIssuer, FederatedCredential,
    FederationPolicy, ManagedIdentity, DEMO_IDENTITY_HEADER, DEMO_SP_APP_ID, DEMO_TENANT_ID,
    DEMO_WORKSPACE, FEDERATION_AUDIENCE,
};
use online_common::{bare_cmd, closed_port, Cmd, Run, Setup};

const AZURE_HOST: &str = "https://adb-1234567890123456.7.azuredatabricks.net";
const IMDS_PATH: &str = "/metadata/identity/oauth2/token";

const SYS_CLIENT: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const SYS_OBJECT: &str = "aaaaaaaa-0000-4000-8000-0000000000f1";
const UA1: &str = "bbbbbbbb-0000-4000-8000-000000000001";
const UA2: &str = "bbbbbbbb-0000-4000-8000-000000000002";

const APP: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const GITHUB: &str = "https://token.actions.githubusercontent.com";
const MAIN: &str = "repo:contoso/pipeline:ref:refs/heads/main";

const ACCOUNT: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const POLICY_AUD: &str = "https://github.com/contoso";
const POLICY_SUB: &str = "repo:contoso/pipeline:environment:prod";

/// `auth --json` with a clean environment, no DNS, the key cache in the
/// setup's folder, the emulator as the Entra authority and the Azure host
/// sent to the emulator's workspace.
fn auth(s: &Setup) -> Cmd {
    let mut c = bare_cmd(s.home.path());
    c.env("PATH", s.home.path().join("bin")).args([
        "auth",
        "--json",
        "--test-resolve",
        "localhost=127.0.0.1",
        "--cache-dir",
    ]);
    c.arg(s.cache.path());
    Cmd(c)
        .env("DATABRICKS_HOST", AZURE_HOST)
        .args(["--authority", s.emu.base_url(), "--test-host"])
        .arg(format!("{AZURE_HOST}={}", s.ws(DEMO_WORKSPACE)))
}

fn method(r: &Run) -> &str {
    r.json["auth_type"].as_str().unwrap_or_default()
}

fn valid(r: &Run) -> bool {
    r.json["valid"].as_bool().unwrap()
}

/// The report's finding of a check.
fn finding<'a>(r: &'a Run, check: &str) -> &'a serde_json::Value {
    r.json["report"]["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["check"] == check))
        .unwrap_or_else(|| panic!("no '{check}' finding: {}\n{}", r.stdout, r.stderr))
}

fn field<'a>(r: &'a Run, check: &str, name: &str) -> &'a str {
    finding(r, check)[name].as_str().unwrap_or_default()
}

fn status<'a>(r: &'a Run, check: &str) -> &'a str {
    field(r, check, "status")
}

fn message<'a>(r: &'a Run, check: &str) -> &'a str {
    field(r, check, "message")
}

fn fix<'a>(r: &'a Run, check: &str) -> &'a str {
    field(r, check, "fix")
}

fn code(r: &Run, expected: i32) {
    assert_eq!(r.code, expected, "exit status\n{}\n{}", r.stdout, r.stderr);
}

/// A valid run: every check that decides it passed.
fn assert_valid(r: &Run) {
    code(r, 0);
    assert!(valid(r), "{}", r.stdout);
    assert_eq!(r.json["token_kind"], "jwt");
    for c in ["credential", "signature", "membership"] {
        assert_eq!(status(r, c), "pass", "{c}: {}", r.stdout);
    }
}

// ---- azure-msi ----

fn msi_setup(identities: &[ManagedIdentity], members: &[&str]) -> Setup {
    let mut cfg = EmulatorConfig::default();
    for mi in identities {
        cfg = cfg.managed_identity(mi.clone());
    }
    for m in members {
        cfg.workspaces[0] = cfg.workspaces[0].clone().service_principal(*m, "identity");
    }
    Setup::new(cfg)
}

fn system() -> Setup {
    msi_setup(
        &[ManagedIdentity::system(
            DEMO_TENANT_ID,
            SYS_CLIENT,
            SYS_OBJECT,
        )],
        &[SYS_CLIENT],
    )
}

fn two_user_assigned() -> Setup {
    msi_setup(
        &[
            ManagedIdentity::user(
                DEMO_TENANT_ID,
                UA1,
                "bbbbbbbb-0000-4000-8000-0000000000f1",
                "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua1",
            ),
            ManagedIdentity::user(
                DEMO_TENANT_ID,
                UA2,
                "bbbbbbbb-0000-4000-8000-0000000000f2",
                "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua2",
            ),
        ],
        &[UA1, UA2],
    )
}

#[test]
fn azure_msi_through_the_app_service_endpoint_is_valid_end_to_end() {
    let s = system();
    let r = auth(&s)
        .env("ARM_USE_MSI", "true")
        .env("IDENTITY_ENDPOINT", s.emu.identity_endpoint())
        .env("IDENTITY_HEADER", DEMO_IDENTITY_HEADER)
        .run_plain();
    assert_eq!(method(&r), "azure-msi");
    assert_valid(&r);
    assert!(
        message(&r, "credential").contains("App Service endpoint"),
        "{}",
        r.stdout
    );
    assert!(
        message(&r, "membership").contains(SYS_CLIENT),
        "{}",
        r.stdout
    );
    assert_eq!(s.emu.request_count("/msi/token"), 1);
    assert_eq!(s.emu.request_count(IMDS_PATH), 0);
    assert!(!r.stdout.contains(DEMO_IDENTITY_HEADER));
    assert!(!r.stderr.contains(DEMO_IDENTITY_HEADER));
}

/// `auth` with azure-msi (ARM_USE_MSI) and IMDS at `imds`
/// (AZURE_POD_IDENTITY_AUTHORITY_HOST).
fn msi_via_imds(s: &Setup, imds: impl AsRef<std::ffi::OsStr>) -> Cmd {
    auth(s)
        .env("ARM_USE_MSI", "true")
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds)
}

#[test]
fn azure_msi_through_imds_at_the_pod_identity_address_is_valid_end_to_end() {
    let s = system();
    let r = msi_via_imds(&s, format!("{}/", s.emu.base_url())).run_plain();
    assert_eq!(method(&r), "azure-msi");
    assert_valid(&r);
    assert!(
        message(&r, "credential").contains("IMDS at http://127.0.0.1")
            && message(&r, "credential").contains("AZURE_POD_IDENTITY_AUTHORITY_HOST"),
        "{}",
        r.stdout
    );
    assert_eq!(s.emu.request_count(IMDS_PATH), 1);
}

/// Off Azure (nothing at the IMDS address) the run says so, incomplete,
/// within its bound instead of hanging.
#[test]
fn azure_msi_with_no_endpoint_says_no_managed_identity_within_its_bound() {
    let s = system();
    let r = msi_via_imds(&s, format!("http://127.0.0.1:{}", closed_port())).run_plain();
    // Under the run's 15 s --timeout: the connection's own bound decides.
    r.within(Duration::from_secs(10));
    assert_eq!(method(&r), "azure-msi");
    code(&r, 2);
    assert!(!valid(&r));
    assert_eq!(status(&r, "credential"), "skip", "{}", r.stdout);
    assert!(
        message(&r, "credential").contains("no managed identity endpoint"),
        "{}",
        r.stdout
    );
    assert_eq!(s.emu.request_count(IMDS_PATH), 0);
}

/// The SDKs' "Tenant shouldn't be specified for managed identity account":
/// a tenant set is not the identity's; the token is still valid.
#[test]
fn azure_msi_with_another_tenant_set_warns_that_the_tenant_is_not_used() {
    let s = system();
    let other = "99999999-2222-4333-8444-555555555555";
    let r = msi_via_imds(&s, s.emu.base_url())
        .env("ARM_TENANT_ID", other)
        .run_plain();
    assert_eq!(method(&r), "azure-msi");
    code(&r, 0);
    assert!(valid(&r));
    assert_eq!(status(&r, "credential"), "warn", "{}", r.stdout);
    let m = message(&r, "credential");
    assert!(
        m.contains(&format!("the tenant {other} (from ARM_TENANT_ID) is not the managed identity's tenant {DEMO_TENANT_ID}")),
        "{m}"
    );
    assert!(
        fix(&r, "credential").contains("Unset ARM_TENANT_ID"),
        "{}",
        r.stdout
    );
}

#[test]
fn azure_msi_with_several_user_assigned_identities_and_none_named_is_diagnosed() {
    let s = two_user_assigned();
    let r = msi_via_imds(&s, s.emu.base_url()).run_plain();
    assert_eq!(method(&r), "azure-msi");
    code(&r, 1);
    assert!(!valid(&r));
    assert_eq!(status(&r, "credential"), "fail", "{}", r.stdout);
    assert!(
        message(&r, "credential").contains("several user-assigned identities"),
        "{}",
        r.stdout
    );
    // The fix in the SDKs' settings, not in `token`'s flags.
    let f = fix(&r, "credential");
    assert!(
        f.contains("ARM_CLIENT_ID") && !f.contains("--object-id"),
        "{f}"
    );
}

#[test]
fn azure_msi_names_the_user_assigned_identity_by_azure_client_id() {
    let s = two_user_assigned();
    let r = msi_via_imds(&s, s.emu.base_url())
        .env("ARM_CLIENT_ID", UA2)
        .run_plain();
    assert_eq!(method(&r), "azure-msi");
    assert_valid(&r);
    assert!(
        message(&r, "credential").contains(&format!(
            "the identity with client ID {UA2} (ARM_CLIENT_ID)"
        )),
        "{}",
        r.stdout
    );
    assert!(message(&r, "membership").contains(UA2), "{}", r.stdout);
}

// ---- github-oidc-azure ----

/// A loopback stand-in for GitHub Actions' ID-token service: answers each
/// request carrying the request token with `{"value": jwt}`, and keeps the
/// request lines.
fn github_stand_in(jwt: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in l.incoming() {
            let Ok(mut s) = stream else { continue };
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut buf = vec![0u8; 16 * 1024];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let req = String::from_utf8_lossy(&got).into_owned();
            let authorized = req
                .to_ascii_lowercase()
                .contains("authorization: bearer gh-request-token");
            keep.lock()
                .unwrap()
                .push(req.lines().next().unwrap_or_default().to_owned());
            let (status, body) = if authorized {
                ("200 OK", serde_json::json!({ "value": jwt }).to_string())
            } else {
                ("401 Unauthorized", r#"{"message":"bad token"}"#.to_owned())
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (
        format!("http://127.0.0.1:{port}/_apis/distributedtask/token?api-version=2.0"),
        seen,
    )
}

fn federated_setup() -> (Setup, ExternalIssuer) {
    let ext = ExternalIssuer::generate(GITHUB).unwrap();
    let mut cfg = EmulatorConfig::default();
    cfg.tenants[0] =
        cfg.tenants[0].clone().app(
            AppRegistration::new(APP, "federated-ci")
                .federated_credential(FederatedCredential::new(GITHUB, MAIN, ext.jwks())),
        );
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .service_principal(APP, "federated-ci");
    (Setup::new(cfg), ext)
}

fn github_oidc_azure(s: &Setup, request_url: &str) -> Run {
    auth(s)
        .env("ARM_CLIENT_ID", APP)
        .env("ARM_TENANT_ID", DEMO_TENANT_ID)
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", request_url)
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token")
        .run_plain()
}

#[test]
fn github_oidc_azure_exchanges_the_actions_token_with_entra_and_is_valid() {
    let (s, ext) = federated_setup();
    let jwt = ext.token(MAIN, FEDERATION_AUDIENCE, 600);
    let (url, seen) = github_stand_in(jwt.clone());
    let r = github_oidc_azure(&s, &url);
    assert_eq!(method(&r), "github-oidc-azure");
    assert_valid(&r);
    assert_eq!(status(&r, "tenant"), "pass", "{}", r.stdout);
    let cred = message(&r, "credential");
    assert!(
        cred.contains(&format!("sub {MAIN}")) && cred.contains(APP),
        "{cred}"
    );
    assert!(message(&r, "membership").contains(APP), "{}", r.stdout);
    // GitHub was asked for the token-exchange audience.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].contains("audience=api%3A%2F%2FAzureADTokenExchange"),
        "{seen:?}"
    );
    for out in [&r.stdout, &r.stderr] {
        assert!(!out.contains(&jwt), "the external token was printed");
        assert!(!out.contains("gh-request-token"));
    }
}

#[test]
fn github_oidc_azure_subject_mismatch_is_a_failed_credential_naming_the_subject() {
    let (s, ext) = federated_setup();
    let dev = "repo:contoso/pipeline:ref:refs/heads/dev";
    let jwt = ext.token(dev, FEDERATION_AUDIENCE, 600);
    let (url, _) = github_stand_in(jwt.clone());
    let r = github_oidc_azure(&s, &url);
    assert_eq!(method(&r), "github-oidc-azure");
    code(&r, 1);
    assert!(!valid(&r));
    assert_eq!(status(&r, "credential"), "fail", "{}", r.stdout);
    let msg = message(&r, "credential");
    assert!(msg.contains(&format!("sub '{dev}'")), "{msg}");
    assert!(
        msg.contains(&format!("az ad app federated-credential list --id {APP}")),
        "{msg}"
    );
    assert_eq!(
        r.json["explanation"]["report"]["codes"][0], 700213,
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(&jwt), "the external token was printed");
}

#[test]
fn azure_msi_on_aks_runs_workload_identity_with_the_token_file() {
    let (s, ext) = federated_setup();
    let jwt = ext.token(MAIN, FEDERATION_AUDIENCE, 600);
    let file = s.home.path().join("sa-token");
    std::fs::write(&file, &jwt).unwrap();
    let r = auth(&s)
        .env("ARM_USE_MSI", "true")
        .env("AZURE_FEDERATED_TOKEN_FILE", &file)
        .env("AZURE_CLIENT_ID", APP)
        .env("AZURE_TENANT_ID", DEMO_TENANT_ID)
        .env("AZURE_AUTHORITY_HOST", s.emu.base_url())
        .run_plain();
    assert_eq!(method(&r), "azure-msi");
    assert_valid(&r);
    let cred = message(&r, "credential");
    assert!(
        cred.contains("AZURE_FEDERATED_TOKEN_FILE")
            && cred.contains(&format!("{APP} (AZURE_CLIENT_ID)")),
        "{cred}"
    );
    assert_eq!(s.emu.request_count(IMDS_PATH), 0);
    assert!(!r.stdout.contains(&jwt), "the external token was printed");
}

// ---- env-oidc ----

fn dbx_federation_setup() -> (Setup, ExternalIssuer) {
    dbx_federation_setup_for(&[POLICY_AUD])
}

fn dbx_federation_setup_for(audiences: &[&str]) -> (Setup, ExternalIssuer) {
    let ext = ExternalIssuer::generate(GITHUB).unwrap();
    let mut cfg = EmulatorConfig::default().account(AccountConfig::new(ACCOUNT));
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .account(ACCOUNT)
        .federation_policy(
            FederationPolicy::new(GITHUB, ext.jwks())
                .audiences(audiences)
                .for_service_principal(DEMO_SP_APP_ID, POLICY_SUB),
        );
    (Setup::new(cfg), ext)
}

/// `auth` on the emulator's workspace itself (a Databricks OAuth token is
/// verified with the workspace's own keys).
fn env_oidc(s: &Setup, jwt: &str) -> Run {
    on_workspace(s)
        .env("DATABRICKS_CLIENT_ID", DEMO_SP_APP_ID)
        .env("DATABRICKS_OIDC_TOKEN", jwt)
        .run_plain()
}

fn on_workspace(s: &Setup) -> Cmd {
    let mut c = bare_cmd(s.home.path());
    c.env("PATH", s.home.path().join("bin")).args([
        "auth",
        "--json",
        "--allow-any-workspace-host",
        "--test-resolve",
        "localhost=127.0.0.1",
        "--cache-dir",
    ]);
    c.arg(s.cache.path());
    Cmd(c).env("DATABRICKS_HOST", s.ws(DEMO_WORKSPACE))
}

#[test]
fn env_oidc_exchanges_the_token_under_the_federation_policy_and_is_valid() {
    let (s, ext) = dbx_federation_setup();
    let jwt = ext.token(POLICY_SUB, POLICY_AUD, 600);
    let r = env_oidc(&s, &jwt);
    assert_eq!(method(&r), "env-oidc");
    assert_valid(&r);
    assert_eq!(r.json["kind"], "databricks_oauth", "{}", r.stdout);
    let cred = message(&r, "credential");
    assert!(
        cred.contains("DATABRICKS_OIDC_TOKEN") && cred.contains("/oidc/v1/token"),
        "{cred}"
    );
    assert!(
        message(&r, "membership").contains(DEMO_SP_APP_ID),
        "{}",
        r.stdout
    );
    assert_eq!(
        s.emu
            .workspace_request_count(DEMO_WORKSPACE, "/oidc/v1/token"),
        1
    );
    assert!(!r.stdout.contains(&jwt), "the external token was printed");
}

#[test]
fn env_oidc_refused_when_the_policy_does_not_match_names_the_presented_audience() {
    let (s, ext) = dbx_federation_setup();
    let other = "https://github.com/other-org";
    let jwt = ext.token(POLICY_SUB, other, 600);
    let r = env_oidc(&s, &jwt);
    assert_eq!(method(&r), "env-oidc");
    code(&r, 1);
    assert!(!valid(&r));
    assert_eq!(status(&r, "credential"), "fail", "{}", r.stdout);
    let msg = message(&r, "credential");
    assert!(msg.contains(&format!("aud '{other}'")), "{msg}");
    assert!(msg.contains("--policy FILE"), "{msg}");
    assert!(r.json["explanation"].is_object(), "{}", r.stdout);
    assert!(!r.stdout.contains(&jwt), "the external token was printed");
}

#[test]
fn file_oidc_reads_the_token_file_and_is_valid() {
    let (s, ext) = dbx_federation_setup();
    let jwt = ext.token(POLICY_SUB, POLICY_AUD, 600);
    let file = s.home.path().join("id-token");
    std::fs::write(&file, format!("{jwt}\n")).unwrap();
    let r = on_workspace(&s)
        .env("DATABRICKS_CLIENT_ID", DEMO_SP_APP_ID)
        .env("DATABRICKS_OIDC_TOKEN_FILEPATH", &file)
        // client_id and oidc_token_filepath are two methods' settings: the
        // SDKs want auth_type to choose.
        .env("DATABRICKS_AUTH_TYPE", "file-oidc")
        .run_plain();
    assert_eq!(method(&r), "file-oidc", "{}\n{}", r.stdout, r.stderr);
    assert_valid(&r);
    assert!(
        message(&r, "credential").contains("DATABRICKS_OIDC_TOKEN_FILEPATH"),
        "{}",
        r.stdout
    );
}

/// `github-oidc`: GitHub is asked for the configured host's token endpoint
/// as the audience (not its stand-in's), and the policy naming it accepts.
#[test]
fn github_oidc_asks_github_for_the_hosts_token_endpoint_and_is_valid() {
    let audience = format!("{AZURE_HOST}/oidc/v1/token");
    let (s, ext) = dbx_federation_setup_for(&[&audience]);
    let jwt = ext.token(POLICY_SUB, &audience, 600);
    let (url, seen) = github_stand_in(jwt.clone());
    let mut c = bare_cmd(s.home.path());
    c.env("PATH", s.home.path().join("bin")).args([
        "auth",
        "--json",
        "--test-resolve",
        "localhost=127.0.0.1",
        "--cache-dir",
    ]);
    c.arg(s.cache.path());
    let r = Cmd(c)
        .env("DATABRICKS_HOST", AZURE_HOST)
        .args(["--test-host"])
        .arg(format!("{AZURE_HOST}={}", s.ws(DEMO_WORKSPACE)))
        .env("DATABRICKS_CLIENT_ID", DEMO_SP_APP_ID)
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", &url)
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token")
        .run_plain();
    assert_eq!(method(&r), "github-oidc");
    assert_valid(&r);
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen[0].contains(
            "audience=https%3A%2F%2Fadb-1234567890123456.7.azuredatabricks.net%2Foidc%2Fv1%2Ftoken"
        ),
        "{seen:?}"
    );
    assert!(!r.stdout.contains(&jwt), "the external token was printed");
    assert!(!r.stdout.contains("gh-request-token"));
}

// ---- the service principal outside the workspace ----

const OUTSIDER: &str = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e";
const OUTSIDER_SECRET: &str = "outsider-secret-value";
const RESOURCE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/ws";

fn outsider_setup() -> Setup {
    let mut cfg = EmulatorConfig::default();
    cfg.tenants[0] = cfg.tenants[0]
        .clone()
        .app(AppRegistration::new(OUTSIDER, "outside-pipeline").secret(OUTSIDER_SECRET));
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .azure_resource_id(RESOURCE)
        .resource_contributor(OUTSIDER);
    Setup::new(cfg)
}

fn outsider(s: &Setup) -> Cmd {
    auth(s)
        .env("ARM_CLIENT_ID", OUTSIDER)
        .env("ARM_CLIENT_SECRET", OUTSIDER_SECRET)
        .env("ARM_TENANT_ID", DEMO_TENANT_ID)
}

#[test]
fn azure_client_secret_of_a_contributor_outside_the_workspace_gets_in_by_the_management_token() {
    let s = outsider_setup();
    let r = outsider(&s)
        .env("DATABRICKS_AZURE_RESOURCE_ID", RESOURCE)
        .run_plain();
    assert_eq!(method(&r), "azure-client-secret");
    assert_valid(&r);
    assert!(
        message(&r, "membership").contains("management-token path"),
        "{}",
        r.stdout
    );
    // The Databricks token and the ARM token, both by client credentials.
    assert_eq!(
        s.emu
            .request_count(&format!("/{DEMO_TENANT_ID}/oauth2/token")),
        2
    );
    assert!(!r.stdout.contains(OUTSIDER_SECRET));
}

#[test]
fn auth_on_the_management_token_path_asks_scim_me_once_before_the_retry() {
    let s = outsider_setup();
    s.emu.reset_request_counts();
    let r = outsider(&s)
        .env("DATABRICKS_AZURE_RESOURCE_ID", RESOURCE)
        .run_plain();
    assert_valid(&r);
    // Once plain (the check), once with the management token.
    assert_eq!(
        s.emu
            .workspace_request_count(DEMO_WORKSPACE, "/api/2.0/preview/scim/v2/Me"),
        2
    );
}

#[test]
fn azure_client_secret_outside_the_workspace_without_a_resource_id_says_how_to_use_the_path() {
    let s = outsider_setup();
    let r = outsider(&s).run_plain();
    assert_eq!(method(&r), "azure-client-secret");
    code(&r, 1);
    assert!(!valid(&r));
    assert_eq!(status(&r, "membership"), "fail", "{}", r.stdout);
    assert!(
        fix(&r, "membership").contains("DATABRICKS_AZURE_RESOURCE_ID"),
        "{}",
        r.stdout
    );
}
