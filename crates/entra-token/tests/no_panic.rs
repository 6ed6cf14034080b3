#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Mutation smoke tests: every parser of untrusted input, fed tens of
//! thousands of damaged versions of real inputs, returns a value or an
//! error and never panics. (A deterministic stand-in for the fuzzers this
//! machine's stable toolchain cannot run.)

use std::path::PathBuf;

use entra_token::{check_text, input, KeySet, Policy, Token};

// The mutator is shared with entra-explain's mutation test.
use crate::mutate;

use mutate::{mutate, Rng};

fn shared(p: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata")
            .join(p),
    )
    .unwrap()
}

#[test]
fn token_parsing_and_checking_never_panic() {
    let token = shared("real-entra/23-v1-at-2024-3PaK4-apponly/token.txt");
    let keys = KeySet::parse(&shared("real-entra/23-v1-at-2024-3PaK4-apponly/keys.json")).unwrap();
    let policy = Policy::databricks(1_728_000_000);
    // Decoded-part mutations reach the JSON parsers, not only base64.
    let text = String::from_utf8(token.clone()).unwrap();
    let parts: Vec<&str> = text.trim().split('.').collect();
    let payload = entra_token::b64::decode(parts[1].as_bytes()).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut parsed_ok = 0;
    for i in 0..6_000 {
        let candidate = if i % 2 == 0 {
            mutate(&mut rng, &token)
        } else {
            let p = mutate(&mut rng, &payload);
            format!("{}.{}.{}", parts[0], entra_token::b64::encode(&p), parts[2]).into_bytes()
        };
        let s = String::from_utf8_lossy(&candidate);
        if Token::parse(s.trim()).is_ok() {
            parsed_ok += 1;
        }
        let _ = input::extract(&s);
        let (_, report) = check_text(&s, Some(&keys), &policy);
        assert!(!report.findings.is_empty());
    }
    // Some mutations leave a parseable token: the checks past parsing ran too.
    assert!(parsed_ok > 50, "only {parsed_ok} parsed");
}

#[test]
fn key_set_parsing_never_panics() {
    let inputs = [
        shared("real-entra/01-v1-at-2014-NGTF-user/keys.json"),
        shared("entra-metadata/identitymodel-OpenIdConfigData/common-v2.0-discovery-keys.json"),
        std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/signing-cert.pem"),
        )
        .unwrap(),
    ];
    let mut rng = Rng(42);
    for i in 0..3_000 {
        let m = mutate(&mut rng, &inputs[i % inputs.len()]);
        let _ = KeySet::parse(&m);
    }
}
