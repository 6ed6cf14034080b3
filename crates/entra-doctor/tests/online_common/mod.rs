//! Shared by the online tests: an emulator started in-process, the built
//! binary run with a clean environment (HOME, cache and Databricks/Azure
//! variables of its own), and readers for `--json` output.
//!
//! Every address used is on 127.0.0.1: the emulator, closed ports, the
//! test servers. Names other than those given with --test-resolve do not
//! resolve, so no DNS query leaves the machine.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use entra_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use serde_json::Value;
use tempfile::TempDir;

/// An emulator plus the folders a run uses.
pub struct Setup {
    pub emu: RunningEmulator,
    pub home: TempDir,
    pub cache: TempDir,
}

impl Setup {
    pub fn new(cfg: EmulatorConfig) -> Setup {
        let emu = Emulator::start_blocking(cfg).expect("emulator starts");
        Setup {
            emu,
            home: tempfile::tempdir().unwrap(),
            cache: tempfile::tempdir().unwrap(),
        }
    }

    pub fn demo() -> Setup {
        Setup::new(EmulatorConfig::default())
    }

    /// The emulator's workspace URL.
    pub fn ws(&self, name: &str) -> String {
        self.emu.workspace_url(name).expect("workspace")
    }

    /// `entra-doctor check --json` with the cache in this setup's folder,
    /// the authority on the emulator, and no DNS.
    pub fn check(&self) -> Cmd {
        self.check_at(Some(self.emu.base_url()))
    }

    /// `check --json` with another authority (`None`: the default).
    pub fn check_at(&self, authority: Option<&str>) -> Cmd {
        let mut c = bare_cmd(self.home.path());
        c.args([
            "check",
            "--json",
            "--test-resolve",
            "localhost=127.0.0.1",
            "--cache-dir",
        ])
        .arg(self.cache.path());
        if let Some(a) = authority {
            c.args(["--authority", a]);
        }
        Cmd(c)
    }

    /// `check` against a workspace of the emulator.
    pub fn check_ws(&self, name: &str) -> Cmd {
        let mut c = self.check();
        c.0.args(["--workspace", &self.ws(name), "--allow-any-workspace-host"]);
        c
    }

    pub fn cache_files(&self) -> Vec<PathBuf> {
        cache_files(self.cache.path())
    }
}

pub fn cache_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// The binary with a clean environment: HOME and the cache folders in
/// `home`, no Databricks or Azure variables, no proxies. (`check` adds a
/// static host table so that no name is looked up in DNS.)
pub fn bare_cmd(home: &Path) -> Command {
    let mut c = Command::cargo_bin("entra-doctor").expect("binary built");
    c.env_clear();
    c.env("HOME", home)
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("NO_COLOR", "1");
    c
}

/// A command under construction.
pub struct Cmd(pub Command);

/// What a run gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub json: Value,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Cmd {
    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.0.arg(a);
        self
    }

    pub fn args<I, S>(mut self, a: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.0.args(a);
        self
    }

    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.0.env(k, v);
        self
    }

    /// Runs with the token as the last argument.
    pub fn run(self, token: &str) -> Run {
        self.arg(token).run_plain()
    }

    pub fn run_plain(mut self) -> Run {
        let started = Instant::now();
        let out = self
            .0
            .timeout(Duration::from_secs(120))
            .output()
            .expect("runs");
        let elapsed = started.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        Run {
            code: out.status.code().unwrap_or(-1),
            json,
            stdout,
            stderr,
            elapsed,
        }
    }
}

impl Run {
    /// The finding of a check.
    pub fn finding(&self, check: &str) -> &Value {
        self.json["findings"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["check"] == check))
            .unwrap_or_else(|| {
                panic!(
                    "no '{check}' finding in {}\nstderr: {}",
                    self.stdout, self.stderr
                )
            })
    }

    pub fn status(&self, check: &str) -> String {
        self.finding(check)["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn message(&self, check: &str) -> String {
        self.finding(check)["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn fix(&self, check: &str) -> String {
        self.finding(check)["fix"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn checks(&self) -> Vec<String> {
        self.json["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f["check"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts an exit status, showing the output otherwise.
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit status\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts a finding's status.
    pub fn expect(&self, check: &str, status: &str) -> &Run {
        assert_eq!(
            self.status(check),
            status,
            "status of '{check}'\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts a finding's message contains a text.
    pub fn expect_msg(&self, check: &str, text: &str) -> &Run {
        let m = self.message(check);
        assert!(
            m.contains(text),
            "'{check}' message lacks {text:?}: {m}\nstdout: {}",
            self.stdout
        );
        self
    }

    /// Asserts the run ended within a bound.
    pub fn within(&self, bound: Duration) -> &Run {
        assert!(
            self.elapsed < bound,
            "took {:?}, over the bound {bound:?}\nstdout: {}",
            self.elapsed,
            self.stdout
        );
        self
    }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let p = l.local_addr().unwrap().port();
    drop(l);
    p
}
