#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Genuine Microsoft-signed tokens (../shared/testdata/real-entra) verify
//! with the keys Microsoft published, and pass every rule as of their own
//! lifetime; the must-fail ones (../shared/testdata/real-entra-negative)
//! fail for the right reason.

use std::path::PathBuf;

use entra_token::findings::names;
use entra_token::verify::{SignatureFailure, SignatureOutcome};
use entra_token::{check_text, verify_token, Algorithm, KeySet, Policy, Status, Token};
use serde_json::Value;

fn testdata(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata")
        .join(sub)
}

fn cases(sub: &str) -> Vec<(String, String, KeySet, Value)> {
    let dir = testdata(sub);
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let token = std::fs::read_to_string(p.join("token.txt")).unwrap();
        let keys = KeySet::parse(&std::fs::read(p.join("keys.json")).unwrap())
            .unwrap_or_else(|err| panic!("{}: {err}", p.display()));
        let claims: Value =
            serde_json::from_slice(&std::fs::read(p.join("claims.json")).unwrap()).unwrap();
        out.push((
            e.file_name().to_string_lossy().into_owned(),
            token,
            keys,
            claims,
        ));
    }
    out
}

#[test]
fn every_real_token_verifies_with_microsofts_key() {
    let all = cases("real-entra");
    assert_eq!(all.len(), 23, "the real-entra set has 23 cases");
    for (name, token, keys, _) in &all {
        let t = Token::parse(token.trim()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let outcome = verify_token(&t, keys, &[Algorithm::RS256]);
        assert!(outcome.is_verified(), "{name}: {outcome:?}");
    }
}

#[test]
fn every_real_token_passes_all_rules_as_of_its_lifetime() {
    for (name, token, keys, claims) in cases("real-entra") {
        let now = claims["suggested_validation_time"].as_i64().unwrap();
        let mut policy = Policy::databricks(now);
        policy.audiences = vec![claims["aud"].as_str().unwrap().to_owned()];
        if let Some(tid) = claims["tid"].as_str() {
            policy.tenant = Some(tid.to_owned());
        }
        let b2c = name.contains("b2c");
        if b2c {
            // B2C's issuer has a trailing slash after v2.0: not an Entra ID
            // issuer for Databricks; checked exactly instead.
            policy.issuer = Some(claims["iss"].as_str().unwrap().to_owned());
        }
        let (_, report) = check_text(&token, Some(&keys), &policy);
        for f in &report.findings {
            let ok = match f.check {
                names::TENANT if b2c => f.status == Status::Skip,
                names::IDENTITY => f.status != Status::Fail || claims["token_kind"] == "id_token",
                _ => f.status == Status::Pass,
            };
            assert!(ok, "{name}: {} is {:?}: {}", f.check, f.status, f.message);
        }
    }
}

#[test]
fn real_tokens_fail_lifetime_today_and_audience_for_databricks() {
    let now = 1_795_000_000; // 2026-11
    for (name, token, keys, _) in cases("real-entra") {
        let (_, report) = check_text(&token, Some(&keys), &Policy::databricks(now));
        assert_eq!(
            report.get(names::LIFETIME).unwrap().status,
            Status::Fail,
            "{name}"
        );
        assert_eq!(
            report.get(names::AUDIENCE).unwrap().status,
            Status::Fail,
            "{name}"
        );
        assert!(!report.valid());
    }
}

#[test]
fn graph_tokens_and_a_tampered_token_fail_with_their_reason() {
    let all = cases("real-entra-negative");
    assert_eq!(all.len(), 5);
    for (name, token, keys, _) in all {
        let t = Token::parse(token.trim());
        let t = match t {
            Ok(t) => t,
            // The tampered token's signature is not canonical base64url: a
            // format failure is the right verdict.
            Err(e) => {
                assert!(name.contains("tampered"), "{name}: {e}");
                continue;
            }
        };
        match verify_token(&t, &keys, &[Algorithm::RS256]) {
            SignatureOutcome::Failed(SignatureFailure::GraphNonce { .. }) => {
                assert!(name.contains("graph"), "{name}")
            }
            SignatureOutcome::Failed(SignatureFailure::Invalid { .. }) => {
                assert!(name.contains("tampered"), "{name}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn keys_without_kid_are_found_by_x5t() {
    let (_, token, keys, _) = cases("real-entra").into_iter().next().unwrap();
    let t = Token::parse(token.trim()).unwrap();
    assert!(t.header().kid().is_none() && t.header().x5t().is_some());
    assert!(verify_token(&t, &keys, &[Algorithm::RS256]).is_verified());
}

#[test]
fn a_pinned_algorithm_list_without_rs256_refuses_entra_tokens() {
    let (_, token, keys, _) = cases("real-entra").into_iter().nth(1).unwrap();
    let t = Token::parse(token.trim()).unwrap();
    let out = verify_token(&t, &keys, &[Algorithm::PS256]);
    assert!(
        matches!(
            out,
            SignatureOutcome::Failed(SignatureFailure::AlgNotAllowed { .. })
        ),
        "{out:?}"
    );
}

#[test]
fn every_real_discovery_key_set_parses_and_binds_keys_to_issuers() {
    let root = testdata("entra-metadata");
    let mut count = 0;
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| {
                n.to_string_lossy().contains("keys") || n.to_string_lossy().contains("jwks")
            }) && p.extension().is_some_and(|x| x == "json")
            {
                let set = KeySet::parse(&std::fs::read(&p).unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                assert!(
                    set.problems().is_empty(),
                    "{}: {:?}",
                    p.display(),
                    set.problems()
                );
                for k in set.keys() {
                    // Microsoft's keys: kid == x5t == SHA-1 thumbprint of x5c.
                    let cert = k.cert.as_ref().expect("x5c");
                    assert_eq!(k.kid.as_deref(), Some(cert.x5t.as_str()), "{}", p.display());
                }
                count += 1;
            }
        }
    }
    assert!(count >= 50, "found {count} key sets");
}
