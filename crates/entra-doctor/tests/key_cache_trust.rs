#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
#![cfg(unix)]
//! The key cache on disk is trusted only when nobody else can write to it:
//! keys planted in a folder others can write must not make a forged token
//! pass, and a FIFO at an entry's path must not hang `check --offline`.
//! Everything here is offline: nothing is fetched.

use crate::serve_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};

use crate::cli_support::TENANT;

fn examples(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    std::fs::read_to_string(p).unwrap().trim().to_owned()
}

/// The cache file of a URL, as the cache names it.
fn entry_path(dir: &Path, url: &str) -> std::path::PathBuf {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, url.as_bytes());
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{hex}.json"))
}

fn discovery_url() -> String {
    format!("https://login.microsoftonline.com/{TENANT}/.well-known/openid-configuration")
}

/// Plants, as an attacker would, the discovery document and a key set of
/// the attacker's choosing for the example token's tenant (here the
/// example key, whose tokens the attacker "forged").
fn plant(dir: &Path) {
    let jwks_uri = format!("https://login.microsoftonline.com/{TENANT}/discovery/keys");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let doc = json!({"issuer": "https://sts.windows.net/{tenantid}/", "jwks_uri": jwks_uri});
    for (url, body) in [
        (discovery_url(), doc.to_string()),
        (jwks_uri.clone(), examples("jwks.json")),
    ] {
        let entry = json!({"format": 1, "url": url, "fetched_at": now, "body": body});
        std::fs::write(entry_path(dir, &url), entry.to_string()).unwrap();
    }
}

struct Out {
    json: Value,
    stderr: String,
    elapsed: Duration,
}

fn check_offline(home: &Path, cache: &Path) -> Out {
    let mut c = Command::cargo_bin("entra-doctor").unwrap();
    c.env_clear()
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("NO_COLOR", "1")
        .args(["check", "--json", "--offline", "--cache-dir"])
        .arg(cache)
        .arg(examples("databricks-token.jwt"));
    let started = Instant::now();
    let out = assert_cmd::Command::from_std(c)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    Out {
        json: serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

fn signature(out: &Out) -> String {
    out.json["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings: {}", out.stderr))
        .iter()
        .find(|f| f["check"] == "signature")
        .map(|f| f["status"].as_str().unwrap().to_owned())
        .unwrap()
}

fn set_mode(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn planted_keys_in_a_world_writable_cache_do_not_make_a_forged_token_pass() {
    let home = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    plant(cache.path());
    // Control: the same files in a private folder are the user's own cache
    // and are used (so the planting above is what the cache would read).
    set_mode(cache.path(), 0o700);
    let out = check_offline(home.path(), cache.path());
    assert_eq!(signature(&out), "pass", "{:?} {}", out.json, out.stderr);
    assert_eq!(out.json["valid"], true);
    // Writable by everyone (or by the group): not used, and said why.
    for mode in [0o777, 0o1777, 0o775] {
        set_mode(cache.path(), mode);
        let out = check_offline(home.path(), cache.path());
        // Not verified: the keys are as good as absent (offline, nothing
        // cached that may be trusted).
        assert_eq!(signature(&out), "skip", "mode {mode:o}: {:?}", out.json);
        assert!(
            out.stderr.contains("is not used") && out.stderr.contains("writable by"),
            "mode {mode:o}: {}",
            out.stderr
        );
    }
    set_mode(cache.path(), 0o700);
}

#[test]
fn planted_keys_in_a_cache_of_another_user_do_not_make_a_forged_token_pass() {
    let home = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    plant(cache.path());
    // Only root can give a folder away (tests run as root in CI).
    let me = std::fs::metadata(home.path()).unwrap();
    let uid = std::os::unix::fs::MetadataExt::uid(&me);
    assert_eq!(uid, 0, "this test needs root, to chown the cache folder");
    std::os::unix::fs::chown(cache.path(), Some(4242), None).unwrap();
    let out = check_offline(home.path(), cache.path());
    assert_eq!(signature(&out), "skip", "{:?}", out.json);
    assert!(
        out.stderr.contains("belongs to user id 4242"),
        "{}",
        out.stderr
    );
    std::os::unix::fs::chown(cache.path(), Some(0), None).unwrap();
}

#[test]
fn a_fifo_in_the_cache_does_not_hang_an_offline_check() {
    let home = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let fifo = entry_path(cache.path(), &discovery_url());
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let out = check_offline(home.path(), cache.path());
    assert!(out.elapsed < Duration::from_secs(10), "{:?}", out.elapsed);
    assert_eq!(signature(&out), "skip", "{:?} {}", out.json, out.stderr);
    assert!(
        out.json["findings"].to_string().contains("--offline"),
        "{:?}",
        out.json
    );
}

#[test]
fn serve_does_not_use_planted_keys_in_a_world_writable_cache_and_says_so() {
    let cache = tempfile::tempdir().unwrap();
    plant(cache.path());
    let dir = cache.path().display().to_string();
    let token = examples("databricks-token.jwt");
    let args = ["--offline", "--cache-dir", dir.as_str(), "--tenant", TENANT];
    // Control: a private folder's keys are used.
    set_mode(cache.path(), 0o700);
    let s = serve_support::Server::start_with(&args);
    assert_eq!(s.auth(Some(&token)).status, 200);
    drop(s);
    set_mode(cache.path(), 0o777);
    let s = serve_support::Server::start_with(&args);
    let r = s.auth(Some(&token));
    assert_eq!(r.status, 503, "{r:?}");
    // The start-up message is on standard error, read by another thread.
    let until = Instant::now() + Duration::from_secs(5);
    while !s.stderr().contains("is not used") && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        s.stderr().contains("warning: the key cache in") && s.stderr().contains("is not used"),
        "{}",
        s.stderr()
    );
    set_mode(cache.path(), 0o700);
}
