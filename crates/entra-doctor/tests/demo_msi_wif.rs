#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `entra-doctor demo`'s managed identity and federation stories, in order,
//! on the in-process emulator (nothing beyond 127.0.0.1).

use std::time::Duration;

use assert_cmd::Command;

#[test]
fn demo_tells_the_managed_identity_and_federation_subject_stories() {
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
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let steps = [
        "A VM with two user-assigned managed identities, none named",
        "answer  Multiple user assigned identities exist",
        "fix     name the identity: --client-id",
        "--client-id 5e1f0000-0000-4000-8000-00000000b001",
        "displayName \"vm-build-identity\"",
        "Valid: every check passed.",
        "GitHub Actions on the wrong branch: AADSTS700213, the subject compared",
        "sub  repo:contoso/pipelines:ref:refs/heads/release",
        "AADSTS700213",
        "Nearest federated credential: 'main-branch'",
        "First difference at character 39: `release` presented, `main` expected.",
        "The same job on main:\ngot a token",
        "The demo ran as the guide tells it.",
    ];
    let mut at = 0;
    for s in steps {
        let found = stdout[at..]
            .find(s)
            .unwrap_or_else(|| panic!("'{s}' missing (in order) from:\n{stdout}"));
        at += found + s.len();
    }
    assert!(!stdout.contains("169.254"), "{stdout}");
}
