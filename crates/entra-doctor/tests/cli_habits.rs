#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! The CLI as people use it from a shell: completions, the man page, help
//! with examples, closed pipes, JSON errors, and every shape of paste.

use crate::cli_support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use cli_support::*;
use serde_json::Value;

const COMMANDS: [&str; 9] = [
    "decode",
    "check",
    "explain",
    "serve",
    "token",
    "demo",
    "auth",
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

// ---------------------------------------------------------------- pipes --

/// Runs the binary with its standard output a pipe whose reader reads
/// `lines` lines and then closes it; returns the exit code and stderr.
fn with_reader_that_stops(args: &[&str], lines: usize) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("entra-doctor"))
        .args(args)
        .env_clear()
        .env("NO_COLOR", "1")
        .env("ENTRA_DOCTOR_OFFLINE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    for _ in 0..lines {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
    }
    drop(reader);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn closed_pipe_after_decode_exits_0_silently() {
    let token = sign(&user_claims());
    // Closed before the first write, and closed after the first line.
    for lines in [0, 1] {
        let (code, stderr) = with_reader_that_stops(&["decode", &token], lines);
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(stderr, "", "nothing said about the closed pipe");
    }
}

#[test]
fn closed_pipe_keeps_the_check_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = jwks_file(&dir);
    let jwks = jwks.to_str().unwrap();
    let at = NOW.to_string();
    let mut wrong = user_claims();
    wrong["aud"] = "https://management.core.windows.net/".into();
    for (token, want) in [(sign(&user_claims()), 0), (sign(&wrong), 1)] {
        let (code, stderr) = with_reader_that_stops(
            &[
                "check", &token, "--jwks", jwks, "--at", &at, "--tenant", TENANT,
            ],
            0,
        );
        assert_eq!(code, Some(want), "{stderr}");
        assert_eq!(stderr, "");
    }
}

#[test]
fn closed_pipe_on_a_long_batch_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = jwks_file(&dir);
    let file = dir.path().join("tokens.txt");
    let token = sign(&user_claims());
    std::fs::write(&file, format!("{token}\n").repeat(20_000)).unwrap();
    let (code, stderr) = with_reader_that_stops(
        &[
            "check",
            "--batch",
            file.to_str().unwrap(),
            "--jwks",
            jwks.to_str().unwrap(),
            "--at",
            &NOW.to_string(),
        ],
        1,
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

// ---------------------------------------------------------- JSON errors --

fn json_error(args: &[&str]) -> (i32, Value) {
    let out = cmd().args(args).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap(), v)
}

#[test]
fn json_errors_are_json_on_stdout_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jwt");
    let at_missing = format!("@{}", missing.display());
    let bad_keys = dir.path().join("keys.json");
    std::fs::write(&bad_keys, "not a key").unwrap();
    let cases: [(&[&str], &str, &str); 5] = [
        (&["check", "--json", &at_missing], "read", "missing.jwt"),
        (&["decode", "--json", &at_missing], "read", "missing.jwt"),
        (
            &[
                "check",
                "--json",
                "--jwks",
                bad_keys.to_str().unwrap(),
                "a.b.c",
            ],
            "keys",
            "keys.json",
        ),
        (&["explain", "--json"], "usage", "nothing to explain"),
        // clap's own errors too, when --json was among the arguments.
        (
            &["check", "--json", "--skew", "soon", "a.b.c"],
            "usage",
            "--skew",
        ),
    ];
    for (args, kind, says) in cases {
        let (code, v) = json_error(args);
        assert_eq!(code, 2, "{args:?}: {v}");
        let e = &v["error"];
        assert_eq!(e["kind"], kind, "{args:?}: {v}");
        assert!(
            e["message"].as_str().unwrap().contains(says),
            "{args:?}: {v}"
        );
        assert!(!e["fix"].as_str().unwrap().is_empty(), "{args:?}: {v}");
    }
    // Without --json the error stays text on standard error.
    let out = cmd().args(["check", &at_missing]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.jwt"));
}

// -------------------------------------------------------------- pastes --

fn format_message(v: &Value) -> String {
    finding(v, "format")["message"].as_str().unwrap().to_owned()
}

#[test]
fn check_accepts_every_paste_shape_and_verifies_the_same_token() {
    let t = sign(&user_claims());
    let wrapped = t
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let pastes = [
        format!("curl -s -H 'Authorization: Bearer {t}' https://adb-1.2.azuredatabricks.net/api/2.0/clusters/list"),
        format!("curl -X GET \\\n  -H \"Authorization: Bearer {t}\" \\\n  https://adb-1.2.azuredatabricks.net/api/2.0/preview/scim/v2/Me"),
        format!("export DATABRICKS_TOKEN={t}"),
        format!("DATABRICKS_TOKEN='{t}'"),
        format!("https://jwt.ms/#access_token={t}&token_type=Bearer&expires_in=3599"),
        format!("http://localhost:8400/?id_token={t}&state=abc"),
        wrapped,
    ];
    for p in &pastes {
        let (code, v) = check_json(p, &["--tenant", TENANT]);
        assert_eq!(code, 0, "{p}: {v}");
        assert_eq!(status(&v, "signature"), "pass", "{p}");
    }
    let (_, v) = check_json(&pastes[0], &[]);
    assert!(format_message(&v).contains("Authorization header"), "{v}");
    let (_, v) = check_json(&pastes[4], &[]);
    assert!(
        format_message(&v).contains("'access_token' parameter"),
        "{v}"
    );
}

#[test]
fn two_tokens_in_a_curl_command_check_the_authorization_header_and_say_so() {
    let good = sign(&user_claims());
    let mut arm = user_claims();
    arm["aud"] = "https://management.core.windows.net/".into();
    let other = sign(&arm);
    let line = format!(
        "curl -H 'X-Databricks-Azure-SP-Management-Token: {other}' -H 'Authorization: Bearer {good}' https://x"
    );
    let (code, v) = check_json(&line, &["--tenant", TENANT]);
    assert_eq!(code, 0, "the header's token is the one checked: {v}");
    assert!(format_message(&v).contains("1 other token"), "{v}");
    // decode says so on standard error.
    let out = cmd().args(["decode", &line]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 token(s)"));
    // Two Authorization headers with different tokens: no silent pick.
    let clash = format!(
        "curl -H 'Authorization: Bearer {good}' -H 'Authorization: Bearer {other}' https://x"
    );
    let (code, v) = check_json(&clash, &[]);
    assert_eq!(code, 1, "{v}");
    assert!(format_message(&v).contains("2 different tokens"), "{v}");
}

#[test]
fn decode_reads_standard_input_when_it_is_not_a_terminal() {
    let t = sign(&user_claims());
    let out = cmd()
        .args(["decode", "--json"])
        .write_stdin(format!("{t}\n"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["payload"]["tid"], TENANT);
    // check too.
    let dir = tempfile::tempdir().unwrap();
    let jwks = jwks_file(&dir);
    let out = cmd()
        .args([
            "check",
            "--json",
            "--at",
            &NOW.to_string(),
            "--tenant",
            TENANT,
            "--jwks",
        ])
        .arg(&jwks)
        .write_stdin(format!("export DATABRICKS_TOKEN={t}\n"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Empty standard input is "no token given", not a malformed token.
    let out = cmd().arg("decode").write_stdin("").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no token given"));
}

#[test]
fn a_token_given_to_explain_and_an_error_given_to_check_name_the_right_command() {
    let t = sign(&user_claims());
    let out = cmd().args(["explain", &t]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("that is a token") && err.contains("run `entra-doctor check '"),
        "{err}"
    );
    assert!(!err.contains(&t), "the token is never printed whole");
    for cmdname in ["check", "decode"] {
        let out = cmd()
            .args([
                cmdname,
                "AADSTS65001: The user or administrator has not consented to use the application",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmdname}: {err}");
        assert!(
            err.contains("that is an error") && err.contains("run `entra-doctor explain '"),
            "{err}"
        );
    }
    // From a file, the command to run names the same file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("err.txt");
    std::fs::write(&file, "AADSTS50011: The redirect URI does not match").unwrap();
    let arg = format!("@{}", file.display());
    let (code, v) = json_error(&["check", "--json", &arg]);
    assert_eq!(code, 2);
    assert_eq!(v["error"]["kind"], "other_command");
    assert_eq!(v["error"]["fix"], format!("entra-doctor explain {arg}"));
    // A malformed token is still a format failure, not "an error".
    let (code, v) = check_json("eyJhbGciOiJub25lIn0.e30", &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(status(&v, "format"), "fail");
}
