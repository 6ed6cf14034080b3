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

/// `demo --keep`: the emulator stays up and the printed exports make the
/// printed commands work from another process; Ctrl-C stops it.
#[test]
fn demo_keep_prints_exports_that_make_the_shown_commands_work() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command as Std, Stdio};

    let home = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("entra-doctor");
    let mut demo = Std::new(&bin)
        .args(["demo", "--keep"])
        .env_clear()
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = demo.stdout.take().unwrap();
    // Never leave the emulator running, whatever fails below.
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut demo = Stop(demo);
    let mut lines = BufReader::new(stdout).lines();
    let mut exports = Vec::new();
    let mut commands = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("export ") {
            for pair in rest.split_whitespace() {
                let (k, v) = pair.split_once('=').unwrap();
                exports.push((k.to_owned(), v.to_owned()));
            }
        } else if line.starts_with("entra-doctor ") || line.starts_with("TOKEN=$(") {
            commands.push(line.clone());
        }
        if line.contains("listed in the README") {
            break;
        }
    }
    let names: Vec<&str> = exports.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["AZURE_AUTHORITY_HOST", "AZURE_TENANT_ID", "DATABRICKS_HOST"]
    );
    for (_, v) in &exports {
        assert!(
            !v.contains("169.254") && !v.contains("microsoftonline"),
            "{v}"
        );
    }
    // The client-secret command as printed, with the exports (and the demo
    // secret, which the output never shows).
    let shown = commands
        .iter()
        .find(|c| c.contains("--flow client-secret"))
        .expect("a client-secret command");
    let args: Vec<&str> = shown
        .split('#')
        .next()
        .unwrap()
        .split_whitespace()
        .skip(1)
        .collect();
    let out = Std::new(&bin)
        .args(&args)
        .env_clear()
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .envs(exports.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AZURE_CLIENT_SECRET", entra_emulator::DEMO_SP_SECRET)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{shown}\n{stderr}");
    assert!(stderr.contains("PASS  membership"), "{stderr}");
    let token = String::from_utf8(out.stdout).unwrap();
    // And the check command as printed, on that token.
    let check = commands
        .iter()
        .find(|c| c.starts_with("entra-doctor check"))
        .unwrap();
    let authority = &exports[0].1;
    let out = Std::new(&bin)
        .args([
            "check",
            token.trim(),
            "--authority",
            authority,
            "--allow-any-workspace-host",
        ])
        .env_clear()
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .envs(exports.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    assert!(
        check.contains("--authority \"$AZURE_AUTHORITY_HOST\""),
        "{check}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Ctrl-C stops it, with the story's own exit status.
    let killed = Std::new("kill")
        .args(["-INT", &demo.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    assert!(rest.iter().any(|l| l == "Stopped."), "{rest:?}");
    let status = demo.0.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}
