#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Real SDK clients against the emulator: the Databricks SDK for Python (PAT and OAuth
//! M2M) and azure-identity (managed identity). The python named by ENTRA_DOCTOR_PYTHON
//! (else `python3`) must have the packages: a missing one FAILS these tests.

use std::path::PathBuf;
use std::process::Command;

use entra_emulator::{
    Emulator, EmulatorConfig, PersonalAccessToken, RunningEmulator, DEMO_DATABRICKS_OAUTH_SECRET,
    DEMO_PAT, DEMO_SP_APP_ID, DEMO_USER, DEMO_WORKSPACE,
};
use serde_json::Value;

fn python() -> String {
    std::env::var("ENTRA_DOCTOR_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(name)
}

/// Runs a client script with a clean environment (no profile, no cloud variables, no
/// proxy) and returns its JSON output.
fn run_client(name: &str, env: &[(&str, String)]) -> Value {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = Command::new(python());
    cmd.arg(script(name)).env_clear();
    for keep in ["PATH", "PYENV_VERSION", "PYENV_ROOT", "LANG", "SYSTEMROOT"] {
        if let Ok(v) = std::env::var(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.env("HOME", home.path())
        .env("NO_PROXY", "*")
        .env("no_proxy", "*")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {} (set ENTRA_DOCTOR_PYTHON to a python with the SDKs): {e}",
            python()
        )
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed ({}): stdout {stdout}\nstderr {stderr}",
        out.status
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{name} printed no JSON ({e}): {stdout}\nstderr {stderr}"))
}

const REVOKED_PAT: &str = "dapi77777777777777777777777777777777";

fn start() -> RunningEmulator {
    let mut cfg = EmulatorConfig::default();
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .pat(PersonalAccessToken::new(REVOKED_PAT, DEMO_USER).revoked());
    Emulator::start_blocking(cfg).expect("start")
}

#[test]
fn databricks_sdk_python_signs_in_with_pat_and_oauth_m2m() {
    let emu = start();
    let host = emu.workspace_url(DEMO_WORKSPACE).unwrap();
    let out = run_client(
        "databricks_sdk_client.py",
        &[
            ("EMU_HOST", host.clone()),
            ("EMU_PAT", DEMO_PAT.into()),
            ("EMU_BAD_PAT", REVOKED_PAT.into()),
            ("EMU_CLIENT_ID", DEMO_SP_APP_ID.into()),
            ("EMU_CLIENT_SECRET", DEMO_DATABRICKS_OAUTH_SECRET.into()),
        ],
    );
    assert_eq!(out["pat"]["ok"]["user_name"], DEMO_USER, "{out}");
    assert_eq!(out["pat"]["ok"]["auth_type"], "pat");
    assert_eq!(out["bad_pat"]["error"], "PermissionDenied", "{out}");
    assert!(out["bad_pat"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid access token."));
    assert_eq!(out["m2m"]["ok"]["user_name"], DEMO_SP_APP_ID, "{out}");
    assert_eq!(out["m2m"]["ok"]["auth_type"], "oauth-m2m");
    let bad = out["m2m_bad_secret"]["message"].as_str().unwrap_or("");
    assert!(bad.contains("invalid_client"), "{out}");
    // The SDK went through the workspace's OAuth endpoints.
    let n = |path: &str| emu.workspace_request_count(DEMO_WORKSPACE, path);
    assert!(n("/.well-known/databricks-config") >= 1);
    assert!(n("/oidc/.well-known/oauth-authorization-server") >= 1);
    assert!(n("/oidc/v1/token") >= 2);
    assert!(n("/api/2.0/preview/scim/v2/Me") >= 3);
    emu.shutdown();
}

#[test]
fn azure_identity_managed_identity_app_service_shape_gets_a_token_without_imds() {
    use entra_emulator::{
        ManagedIdentity, DATABRICKS_RESOURCE_ID, DEMO_IDENTITY_HEADER, DEMO_TENANT_ID,
    };
    const UA1: &str = "bbbbbbbb-0000-4000-8000-000000000001";
    const UA2: &str = "bbbbbbbb-0000-4000-8000-000000000002";
    let cfg = EmulatorConfig::default()
        .managed_identity(ManagedIdentity::user(DEMO_TENANT_ID, UA1, "bbbbbbbb-0000-4000-8000-0000000000f1", "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua1"))
        .managed_identity(ManagedIdentity::user(DEMO_TENANT_ID, UA2, "bbbbbbbb-0000-4000-8000-0000000000f2", "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua2"));
    let emu = Emulator::start_blocking(cfg).expect("start");
    let token_file = tempfile::NamedTempFile::new().expect("token file");
    std::fs::write(token_file.path(), "header.payload.signature").expect("write");
    let out = run_client(
        "azure_identity_client.py",
        &[
            ("IDENTITY_ENDPOINT", emu.identity_endpoint()),
            ("IDENTITY_HEADER", DEMO_IDENTITY_HEADER.into()),
            ("EMU_MI_CLIENT_ID", UA1.into()),
            ("EMU_SCOPE", format!("{DATABRICKS_RESOURCE_ID}/.default")),
            ("EMU_TENANT_ID", DEMO_TENANT_ID.into()),
            ("EMU_TOKEN_FILE", token_file.path().display().to_string()),
            ("EMU_AUTHORITY", emu.base_url().to_owned()),
        ],
    );
    assert_eq!(out["mi_client_id"]["ok"]["appid"], UA1, "{out}");
    assert_eq!(
        out["mi_client_id"]["ok"]["aud"], DATABRICKS_RESOURCE_ID,
        "{out}"
    );
    let amb = out["mi_ambiguous"]["message"].as_str().unwrap_or("");
    assert!(
        amb.contains("Multiple user assigned identities exist"),
        "{out}"
    );
    assert_eq!(out["non_loopback_attempts"], serde_json::json!([]), "{out}");
    // azure-identity refuses a plain-http authority for WorkloadIdentityCredential, so
    // federation through it cannot be tested against the emulator without TLS.
    let wif = out["wif_http_authority"]["message"].as_str().unwrap_or("");
    assert!(wif.contains("TLS protected (https)"), "{out}");
    assert!(emu.request_count("/msi/token") >= 2, "{out}");
    assert_eq!(emu.request_count("/metadata/identity/oauth2/token"), 0);
    emu.shutdown();
}
