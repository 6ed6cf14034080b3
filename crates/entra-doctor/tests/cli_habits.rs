#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! The CLI as people use it from a shell: completions, the man page, help
//! with examples, closed pipes, JSON errors, and every shape of paste.

mod cli_support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use cli_support::*;
use serde_json::Value;

const COMMANDS: [&str; 8] = [
    "decode",
    "check",
    "explain",
    "serve",
    "token",
    "demo",
    "completions",
    "man",
];

fn stdout_of(args: &[&str]) -> String {
    let out = cmd().args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

// ---------------------------------------------------------- completions --

#[test]
fn bash_completion_script_loads_and_completes_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("entra-doctor.bash");
    std::fs::write(&script, stdout_of(&["completions", "bash"])).unwrap();
    // Load it in a fresh bash and ask for the completions of "entra-doctor de".
    let probe = format!(
        "set -e; source '{}'; complete -p entra-doctor; \
         COMP_WORDS=(entra-doctor de); COMP_CWORD=1; COMP_LINE='entra-doctor de'; COMP_POINT=15; \
         _entra__doctor entra-doctor de entra-doctor; echo \"got: ${{COMPREPLY[*]}}\"",
        script.display()
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &probe])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("-F _entra__doctor entra-doctor"), "{text}");
    let got = text.lines().find(|l| l.starts_with("got: ")).unwrap();
    let words: Vec<&str> = got["got: ".len()..].split_whitespace().collect();
    assert!(
        words.contains(&"decode") && words.contains(&"demo"),
        "{got}"
    );
    assert!(!words.contains(&"check"), "{got}");
}

#[test]
fn completions_exist_for_every_supported_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef entra-doctor"),
        ("fish", "complete -c entra-doctor"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[entra-doctor]"),
    ] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: no '{marker}'");
        assert!(script.contains("--jwks"), "{shell}: options missing");
    }
    let out = cmd().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_page_renders_with_man_and_covers_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("entra-doctor.1");
    std::fs::write(&page, stdout_of(&["man"])).unwrap();
    let out = std::process::Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("man (man-db) is needed for this test");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    // Overstrike (bold) sequences removed.
    let text: String = {
        let raw = String::from_utf8_lossy(&out.stdout);
        let mut s = String::new();
        for c in raw.chars() {
            if c == '\u{8}' {
                s.pop();
            } else {
                s.push(c);
            }
        }
        s
    };
    assert!(text.contains("NAME"), "{text}");
    for c in COMMANDS {
        assert!(
            text.contains(&format!("ENTRA-DOCTOR {}", c.to_uppercase())),
            "no section for {c}"
        );
    }
    for opt in ["--jwks", "--tenant", "--batch", "--flow", "--keep"] {
        assert!(text.contains(opt), "{opt} not in the man page");
    }
    assert!(
        !text.contains("test-resolve"),
        "hidden options are not shown"
    );
}

// ----------------------------------------------------------------- help --

#[test]
fn every_help_ends_with_runnable_examples() {
    let mut all: Vec<Vec<&str>> = vec![vec!["--help"]];
    for c in COMMANDS {
        all.push(vec![c, "--help"]);
    }
    for args in all {
        let help = stdout_of(&args);
        let (_, tail) = help
            .rsplit_once("Examples:\n")
            .unwrap_or_else(|| panic!("{args:?}: no examples in\n{help}"));
        let examples: Vec<&str> = tail.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!((2..=3).contains(&examples.len()), "{args:?}: {examples:?}");
        for e in &examples {
            assert!(e.contains("entra-doctor"), "{args:?}: {e}");
        }
        // Each example's own command is the one the help is for.
        if args[0] != "--help" {
            assert!(
                examples
                    .iter()
                    .all(|e| e.contains(&format!("entra-doctor {}", args[0]))),
                "{args:?}: {examples:?}"
            );
        }
    }
}
