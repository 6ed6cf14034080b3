#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! A real peer: azure-identity's ManagedIdentityCredential and
//! `entra-doctor token --flow managed-identity` against the emulator's App
//! Service endpoint get the same token (the same claims). The python named
//! by ENTRA_DOCTOR_PYTHON (else `python3`) must have azure-identity: a
//! missing one FAILS this test. Its sockets are held to 127.0.0.1.

use std::process::Command as StdCommand;
use std::time::Duration;

use assert_cmd::Command;
use entra_emulator::{
    Emulator, EmulatorConfig, ManagedIdentity, DATABRICKS_RESOURCE_ID, DEMO_IDENTITY_HEADER,
    DEMO_TENANT_ID, DEMO_WORKSPACE,
};
use serde_json::Value;

const UA1: &str = "bbbbbbbb-0000-4000-8000-000000000001";
const UA2: &str = "bbbbbbbb-0000-4000-8000-000000000002";

const CLIENT: &str = r#"
import base64, json, os, socket, sys
_connect = socket.socket.connect
def guarded(self, address):
    host = address[0] if isinstance(address, tuple) else str(address)
    if host not in ("127.0.0.1", "localhost"):
        raise OSError("non-loopback connection refused by the test: %s" % host)
    return _connect(self, address)
socket.socket.connect = guarded
from azure.identity import ManagedIdentityCredential
t = ManagedIdentityCredential(client_id=os.environ["EMU_CLIENT_ID"]).get_token(os.environ["EMU_SCOPE"])
p = t.token.split(".")[1]
json.dump({"claims": json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))), "expires_on": t.expires_on}, sys.stdout)
"#;

fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let p = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn azure_identity_and_entra_doctor_get_the_same_managed_identity_token() {
    let mut cfg = EmulatorConfig::default()
        .managed_identity(ManagedIdentity::user(DEMO_TENANT_ID, UA1, "bbbbbbbb-0000-4000-8000-0000000000f1", "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua1"))
        .managed_identity(ManagedIdentity::user(DEMO_TENANT_ID, UA2, "bbbbbbbb-0000-4000-8000-0000000000f2", "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua2"));
    cfg.workspaces[0] = cfg.workspaces[0].clone().service_principal(UA1, "ua1");
    let emu = Emulator::start_blocking(cfg).unwrap();
    let home = tempfile::tempdir().unwrap();
    let python = std::env::var("ENTRA_DOCTOR_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut py = StdCommand::new(&python);
    py.args(["-c", CLIENT]).env_clear();
    for keep in ["PATH", "LANG"] {
        if let Ok(v) = std::env::var(keep) {
            py.env(keep, v);
        }
    }
    py.env("HOME", home.path())
        .env("NO_PROXY", "*")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("IDENTITY_ENDPOINT", emu.identity_endpoint())
        .env("IDENTITY_HEADER", DEMO_IDENTITY_HEADER)
        .env("EMU_CLIENT_ID", UA1)
        .env("EMU_SCOPE", format!("{DATABRICKS_RESOURCE_ID}/.default"));
    let out = py.output().unwrap_or_else(|e| {
        panic!("cannot run {python} (set ENTRA_DOCTOR_PYTHON to a python with azure-identity): {e}")
    });
    assert!(
        out.status.success(),
        "azure-identity failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let theirs = &theirs["claims"];

    let mut c = Command::cargo_bin("entra-doctor").unwrap();
    c.env_clear()
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .env("IDENTITY_ENDPOINT", emu.identity_endpoint())
        .env("IDENTITY_HEADER", DEMO_IDENTITY_HEADER)
        .env("AZURE_CLIENT_ID", UA1)
        .args([
            "token",
            "--flow",
            "managed-identity",
            "--scope",
            &format!("{DATABRICKS_RESOURCE_ID}/.default"),
            "--authority",
            emu.base_url(),
            "--no-cache",
            "--allow-any-workspace-host",
            "--workspace",
            &emu.workspace_url(DEMO_WORKSPACE).unwrap(),
        ])
        .timeout(Duration::from_secs(60));
    let o = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Valid: every check passed."), "{stderr}");
    let ours = claims(String::from_utf8_lossy(&o.stdout).trim());
    for claim in [
        "iss",
        "aud",
        "tid",
        "appid",
        "oid",
        "sub",
        "idtyp",
        "ver",
        "xms_mirid",
    ] {
        assert_eq!(
            ours[claim], theirs[claim],
            "claim {claim}: ours {ours}, theirs {theirs}"
        );
    }
    assert_eq!(ours["appid"], UA1);
    assert_eq!(emu.request_count("/msi/token"), 2);
    assert_eq!(emu.request_count("/metadata/identity/oauth2/token"), 0);
}
