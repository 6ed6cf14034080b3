//! The third-party OpenID provider the interop tests run: panva's
//! `oidc-provider` (npm), started from a script in tests/interop/oidc-provider
//! on 127.0.0.1. The script prints one JSON line (its base URL, issuer,
//! clients, tokens) and stops when its standard input closes.
//!
//! Needs Node.js (20 or later) and the provider's packages:
//! `npm ci --prefix crates/entra-doctor/tests/interop/oidc-provider`.
//! Without them the tests fail, saying so.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The tenant the provider's scripts are started with (`--tenant`).
pub const TENANT: &str = "7a1e5c2d-3b4f-4a69-8e0d-1c2b3a4d5e6f";

/// The running provider; stopped (standard input closed, then killed) on drop.
pub struct ProviderProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    /// What the script printed when it was ready.
    pub info: Value,
}

impl Drop for ProviderProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        for _ in 0..20 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `script` (in tests/interop/oidc-provider) with `args` and waits,
/// at most 60 s, for its JSON line.
pub fn start(script: &str, args: &[&str]) -> ProviderProcess {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/oidc-provider");
    assert!(
        d.join("node_modules/oidc-provider/package.json").is_file(),
        "the interop test needs oidc-provider from npm: run `npm ci --prefix {}` (Node.js 20 or later)",
        d.display()
    );
    let mut child = Command::new("node")
        .arg(d.join(script))
        .args(args)
        .current_dir(&d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("the interop test needs Node.js (`node` on PATH): {e}"));
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
    let mut p = ProviderProcess {
        child,
        stdin,
        info: Value::Null,
    };
    p.info = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("{script} did not start ({e}): {line:?}"));
    p
}
