#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Interop of `entra-doctor token` with a real third-party provider: panva's
//! `oidc-provider` (npm) on 127.0.0.1, started by
//! tests/interop/oidc-provider/token-provider.mjs. Client credentials and
//! authorization code with PKCE (the browser leg by the headless client, the
//! provider's interactions completing by themselves); each token is then
//! checked through the provider's discovery.
//!
//! Needs Node.js (20 or later) and the provider's packages:
//! `npm ci --prefix crates/entra-doctor/tests/interop/oidc-provider`.
//! Without them the test fails, saying so.

use crate::interop_support;

use std::time::Duration;

use assert_cmd::Command;
use interop_support::ProviderProcess;
use serde_json::Value;

use crate::interop_support::TENANT;

fn token(p: &ProviderProcess, home: &std::path::Path) -> Command {
    let s = |k: &str| p.info[k].as_str().unwrap().to_owned();
    let mut c = Command::cargo_bin("entra-doctor").unwrap();
    c.env_clear()
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60));
    c.args([
        "token",
        "--no-cache",
        "--authority",
        &s("base"),
        "--tenant",
        &s("tenant"),
    ]);
    c.args(["--issuer", &s("issuer"), "--audience", &s("audience")]);
    c
}

fn run(mut c: Command) -> (i32, String, String) {
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn client_credentials_and_auth_code_with_oidc_provider() {
    let p = interop_support::start("token-provider.mjs", &["--tenant", TENANT]);
    let home = tempfile::tempdir().unwrap();
    let conf = &p.info["confidential"];
    let issuer = p.info["issuer"].as_str().unwrap();

    let mut c = token(&p, home.path());
    c.env(
        "AZURE_CLIENT_SECRET",
        conf["client_secret"].as_str().unwrap(),
    );
    c.args([
        "--client-id",
        conf["client_id"].as_str().unwrap(),
        "--scope",
        "read",
    ]);
    let (code, stdout, stderr) = run(c);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim().split('.').count(), 3);
    assert!(
        stderr.contains(&format!(
            "discovery {issuer}/.well-known/openid-configuration"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("PASS  signature") && stderr.contains("Valid: every check passed."),
        "{stderr}"
    );
    assert!(!stderr.contains(conf["client_secret"].as_str().unwrap()));

    // A wrong secret: the provider's refusal, explained.
    let mut c = token(&p, home.path());
    c.env("AZURE_CLIENT_SECRET", "not-the-secret");
    c.args([
        "--client-id",
        conf["client_id"].as_str().unwrap(),
        "--scope",
        "read",
    ]);
    let (code, stdout, stderr) = run(c);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("No token:") && stderr.contains("invalid_client"),
        "{stderr}"
    );

    // Authorization code with PKCE through the loopback redirect.
    let mut c = token(&p, home.path());
    c.args([
        "--flow",
        "auth-code",
        "--headless-browser",
        "--scope",
        "openid read",
    ]);
    c.args([
        "--client-id",
        p.info["public"]["client_id"].as_str().unwrap(),
    ]);
    let (code, stdout, stderr) = run(c);
    assert_eq!(code, 0, "{stderr}");
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            stdout.trim().split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], "alice");
    assert!(stderr.contains("Valid: every check passed."), "{stderr}");
}
