#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `entra-doctor demo`: the whole story on the in-process emulator, no
//! Azure account, nothing beyond 127.0.0.1.

use std::time::Duration;

use assert_cmd::Command;

#[test]
fn demo_tells_the_whole_story() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("entra-doctor")
        .unwrap()
        .env_clear()
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .arg("demo")
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps = [
        "1. A new app, nobody consented: AADSTS65001",
        "AADSTS65001: DelegationDoesNotExist",
        "/adminconsent?client_id=7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b",
        "Consent granted.",
        "Trying again: got a token",
        "2. A sign-in whose redirect URI is not registered: AADSTS50011",
        "nearest registered: https://portal.contoso.com/signin-oidc",
        "3. A public client with http://localhost registered: a token, checked",
        "Valid: every check passed.",
        "4. A token for Azure Resource Manager sent to Databricks: the wrong audience",
        "FAIL  audience",
        "The demo ran as the guide tells it.",
    ];
    let mut at = 0;
    for s in steps {
        let found = stdout[at..]
            .find(s)
            .unwrap_or_else(|| panic!("'{s}' missing (in order) from:\n{stdout}"));
        at += found + s.len();
    }
    // No secret of the demo is printed, nor a whole token.
    assert!(!stdout.contains("demo-password-not-a-real-one"));
    assert!(!stdout.contains("demo-sp-secret-not-a-real-one"));
    assert!(!stdout
        .lines()
        .any(|l| l.trim().starts_with("eyJ") && l.trim().split('.').count() == 3));
}
