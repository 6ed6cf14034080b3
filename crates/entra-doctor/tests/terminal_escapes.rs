#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Values from a token or a server never drive the terminal: the text
//! output is read on a real pseudo-terminal (util-linux `script`), with
//! colour on and off, and must show control characters and bidi overrides
//! as visible escapes. JSON keeps the exact values.

use crate::cli_support;

use std::path::PathBuf;
use std::process::Command as StdCommand;

use cli_support::*;
use serde_json::Value;

/// Clears the screen, homes the cursor and paints a green "Valid".
const PAINT: &str = "\u{1b}[2J\u{1b}[H\u{1b}[32mValid\u{1b}[0m";
/// The same through the 8-bit CSI, a bell, a fake new line, and a
/// right-to-left override with an isolate.
const OTHERS: &str = "\u{9b}2J\u{7}\r\nPASS  forged\u{202e}lanigiro\u{2066}x\u{2069}";

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("entra-doctor")
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs the binary with `args` on a pseudo-terminal; returns everything the
/// terminal received (standard output and error together).
fn on_pty(args: &[&str], colour: bool) -> String {
    let line = std::iter::once(bin().display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .map(|a| quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    let mut c = StdCommand::new("script");
    c.args(["-qfec", &line, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ENTRA_DOCTOR_OFFLINE", "1")
        .env("TERM", "xterm-256color");
    if colour {
        c.env("CLICOLOR_FORCE", "1");
    } else {
        c.env("NO_COLOR", "1");
    }
    let out = c.output().expect("util-linux 'script' runs");
    assert!(
        out.status.success() || out.status.code().is_some(),
        "{out:?}"
    );
    String::from_utf8(out.stdout).expect("the terminal got UTF-8")
}

/// Nothing raw that could act on a terminal, other than our own colour
/// (SGR: ESC '[' digits/';' 'm'), and the escapes are visible instead.
/// `lines_kept`: a server's multi-line text is shown line by line.
fn assert_inert(tty: &str, colour: bool, lines_kept: bool) {
    let mut rest = tty;
    while let Some(i) = rest.find('\u{1b}') {
        let after = &rest[i + 1..];
        let sgr = after.strip_prefix('[').and_then(|a| {
            let end = a.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
            (a.as_bytes()[end] == b'm').then_some(&a[end + 1..])
        });
        match sgr {
            Some(next) if colour => rest = next,
            _ => panic!("a raw ESC that is not our colour: {:?}", &rest[i..]),
        }
    }
    for c in ['\u{9b}', '\u{7}', '\u{202e}', '\u{2066}', '\u{2069}'] {
        assert!(
            !tty.contains(c),
            "raw {:?} reached the terminal: {tty:?}",
            c
        );
    }
    assert!(tty.contains(r"\u{1b}[2J\u{1b}[H"), "{tty:?}");
    assert!(tty.contains(r"\u{9b}2J\u{7}"), "{tty:?}");
    if !lines_kept {
        assert!(
            !tty.contains("\nPASS  forged"),
            "a value started a line of its own: {tty:?}"
        );
        assert!(tty.contains(r"\u{9b}2J\u{7}\u{d}\u{a}PASS"), "{tty:?}");
    }
    assert!(
        tty.contains(r"\u{202e}lanigiro\u{2066}x\u{2069}"),
        "{tty:?}"
    );
}

fn hostile_token() -> String {
    let mut c = user_claims();
    c["upn"] = Value::from(format!("ada{PAINT}@contoso.example"));
    c["aud"] = Value::from(format!("api://x{OTHERS}"));
    c["name"] = Value::from(OTHERS);
    c[PAINT] = Value::from("a claim whose name paints");
    sign(&c)
}

#[test]
fn decode_text_shows_control_characters_and_bidi_overrides_as_escapes_on_a_terminal() {
    let t = hostile_token();
    for colour in [true, false] {
        let tty = on_pty(&["decode", &t], colour);
        assert!(tty.contains("Claims"), "{tty:?}");
        assert_inert(&tty, colour, false);
    }
}

#[test]
fn check_text_shows_control_characters_in_findings_as_escapes_on_a_terminal() {
    let t = hostile_token();
    let dir = tempfile::tempdir().unwrap();
    let jwks = jwks_file(&dir).display().to_string();
    for colour in [true, false] {
        let tty = on_pty(
            &["check", "--at", &NOW.to_string(), "--jwks", &jwks, &t],
            colour,
        );
        assert!(tty.contains("audience"), "{tty:?}");
        assert!(tty.contains("Not valid"), "{tty:?}");
        assert_inert(&tty, colour, false);
    }
}

#[test]
fn explain_text_shows_control_characters_from_entra_as_escapes_on_a_terminal() {
    let body = serde_json::json!({
        "error": "invalid_client",
        "error_description": format!("AADSTS7000215: Invalid client secret provided. {PAINT} {OTHERS}"),
    })
    .to_string();
    for colour in [true, false] {
        let tty = on_pty(&["explain", &body], colour);
        assert!(tty.contains("7000215"), "{tty:?}");
        assert_inert(&tty, colour, true);
    }
}

#[test]
fn json_output_keeps_control_characters_exact() {
    let t = hostile_token();
    let (_, v) = check_json(&t, &[]);
    assert_eq!(
        v["summary"]["principal"],
        format!("ada{PAINT}@contoso.example")
    );
    assert_eq!(v["summary"]["audience"], format!("api://x{OTHERS}"));
    let out = cmd().args(["decode", "--json", &t]).output().unwrap();
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["payload"]["name"], OTHERS);
    assert_eq!(d["payload"][PAINT], "a claim whose name paints");
}

#[test]
fn error_messages_quote_bad_input_with_escapes_on_a_terminal() {
    let bad = format!("2026{PAINT}{OTHERS}");
    for colour in [true, false] {
        let tty = on_pty(&["check", "--at", &bad, "x.y.z"], colour);
        assert!(tty.contains("--at"), "{tty:?}");
        assert_inert(&tty, colour, false);
    }
}
