#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! The verdict a script or a proxy gates on: valid only when the signature
//! verified with a trusted key and no rule failed; an application's own
//! keys verify only tokens for that application.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair};
use entra_token::b64::encode;
use entra_token::findings::{verdict_of_unpassed, Finding};
use entra_token::verify::SignatureFailure;
use entra_token::{check_text, KeySet, Policy, SignatureOutcome, Status, Token, Verdict};
use serde_json::{json, Value};

const TENANT: &str = "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f";
const DATABRICKS: &str = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";
const APP: &str = "0d7e4f3a-2b1c-4e5d-9f8a-7b6c5d4e3f2a";
const NOW: i64 = 1_767_225_600;

fn claims(aud: &str) -> Value {
    json!({"aud": aud, "iss": format!("https://sts.windows.net/{TENANT}/"), "tid": TENANT, "ver": "1.0",
        "iat": NOW - 60, "nbf": NOW - 60, "exp": NOW + 3000, "upn": "ada@contoso.example", "oid": "o"})
}

struct Signer {
    pair: RsaKeyPair,
}

impl Signer {
    fn new() -> Signer {
        Signer {
            pair: RsaKeyPair::generate(KeySize::Rsa2048).unwrap(),
        }
    }

    fn jwks(&self, kid: &str) -> Vec<u8> {
        let p = self.pair.public_key();
        json!({"keys": [{"kty": "RSA", "kid": kid, "use": "sig",
            "n": encode(p.modulus().big_endian_without_leading_zero()),
            "e": encode(p.exponent().big_endian_without_leading_zero())}]})
        .to_string()
        .into_bytes()
    }

    fn sign(&self, kid: &str, claims: &Value) -> String {
        let si = format!(
            "{}.{}",
            encode(json!({"alg": "RS256", "kid": kid}).to_string().as_bytes()),
            encode(claims.to_string().as_bytes())
        );
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                si.as_bytes(),
                &mut sig,
            )
            .unwrap();
        format!("{si}.{}", encode(&sig))
    }
}

fn policy() -> Policy {
    let mut p = Policy::databricks(NOW);
    p.tenant = Some(TENANT.into());
    p
}

#[test]
fn a_verified_token_with_no_failure_is_the_only_valid_one() {
    let s = Signer::new();
    let keys = KeySet::parse(&s.jwks("k")).unwrap();
    let t = s.sign("k", &claims(DATABRICKS));
    let (_, r) = check_text(&t, Some(&keys), &policy());
    assert_eq!(r.verdict(), Verdict::Valid);
    assert!(r.valid() && r.claims_valid() && r.signature_verified());
    // No keys: nothing failed, but not valid.
    let (_, r) = check_text(&t, None, &policy());
    assert_eq!(r.verdict(), Verdict::Incomplete);
    assert!(!r.valid() && r.claims_valid());
    assert_eq!(r.get("signature").unwrap().status, Status::Skip);
    assert!(r
        .get("signature")
        .unwrap()
        .fix
        .as_deref()
        .unwrap()
        .contains("--jwks"));
    // The claims alone, on request: not valid either, and it says so.
    let mut p = policy();
    p.skip_signature = true;
    let (_, r) = check_text(&t, Some(&keys), &p);
    assert_eq!(r.verdict(), Verdict::Incomplete);
    let sig = r.get("signature").unwrap();
    assert_eq!(sig.status, Status::Skip);
    assert!(sig.message.contains("--skip-signature"), "{}", sig.message);
}

#[test]
fn alg_none_and_hmac_fail_without_keys_and_with_skip_signature() {
    for alg in ["none", "HS256", "HS384"] {
        let t = format!(
            "{}.{}.c2ln",
            encode(json!({"alg": alg}).to_string().as_bytes()),
            encode(claims(DATABRICKS).to_string().as_bytes())
        );
        for skip in [false, true] {
            let mut p = policy();
            p.skip_signature = skip;
            let (_, r) = check_text(&t, None, &p);
            assert_eq!(r.verdict(), Verdict::Invalid, "{alg} skip={skip}");
            assert_eq!(r.get("signature").unwrap().status, Status::Fail);
        }
    }
}

#[test]
fn a_report_without_a_signature_finding_is_never_valid() {
    let findings = [
        Finding::pass(entra_token::Check::Audience, "ok"),
        Finding::pass(entra_token::Check::Issuer, "ok"),
    ];
    assert_eq!(
        entra_token::findings::verdict_of(&findings),
        Verdict::Incomplete
    );
    assert_eq!(verdict_of_unpassed(&[]), Verdict::Valid);
    assert_eq!(
        verdict_of_unpassed(&[Finding::skip(entra_token::Check::Signature, "no keys")]),
        Verdict::Incomplete
    );
    assert_eq!(
        verdict_of_unpassed(&[
            Finding::skip(entra_token::Check::Tenant, "x"),
            Finding::fail(entra_token::Check::Audience, "x")
        ]),
        Verdict::Invalid
    );
}

#[test]
fn application_keys_verify_only_tokens_for_that_application() {
    let s = Signer::new();
    let mut keys = KeySet::parse(&s.jwks("appkey")).unwrap();
    keys.restrict_to_application(APP);
    let mut p = policy();
    p.audiences = vec![APP.into(), format!("api://{APP}"), DATABRICKS.into()];
    for aud in [
        APP.to_owned(),
        format!("api://{APP}"),
        APP.to_ascii_uppercase(),
    ] {
        let t = Token::parse(&s.sign("appkey", &claims(&aud))).unwrap();
        let out = entra_token::verify_token(&t, &keys, &p.algorithms);
        assert!(out.is_verified(), "{aud}: {out:?}");
    }
    for aud in [
        json!(DATABRICKS),
        json!(format!("api://{DATABRICKS}")),
        json!([APP, DATABRICKS]),
        json!(""),
    ] {
        let mut c = claims(DATABRICKS);
        c["aud"] = aud.clone();
        let text = s.sign("appkey", &c);
        let t = Token::parse(&text).unwrap();
        let out = entra_token::verify_token(&t, &keys, &p.algorithms);
        assert!(
            matches!(
                out,
                SignatureOutcome::Failed(SignatureFailure::KeyApplicationMismatch { .. })
            ),
            "{aud}: {out:?}"
        );
        let (_, r) = check_text(&text, Some(&keys), &p);
        assert!(!r.valid());
        assert!(r
            .get("signature")
            .unwrap()
            .message
            .contains("own signing key"));
    }
    // Bound to the empty name (an unreadable URL): verifies nothing.
    let mut none = KeySet::parse(&s.jwks("appkey")).unwrap();
    none.restrict_to_application("");
    let t = Token::parse(&s.sign("appkey", &claims("api://"))).unwrap();
    assert!(!entra_token::verify_token(&t, &none, &p.algorithms).is_verified());
}

#[test]
fn odd_tenants_fail_the_issuer_and_tenant_rules_without_a_configured_tenant() {
    let s = Signer::new();
    let keys = KeySet::parse(&s.jwks("k")).unwrap();
    for t in ["x_y", "a b", "..x", "common"] {
        let mut c = claims(DATABRICKS);
        c["tid"] = json!(t);
        c["iss"] = json!(format!("https://sts.windows.net/{t}/"));
        let (_, r) = check_text(&s.sign("k", &c), Some(&keys), &Policy::databricks(NOW));
        assert_eq!(r.get("issuer").unwrap().status, Status::Fail, "{t}");
        assert_eq!(r.get("tenant").unwrap().status, Status::Fail, "{t}");
        assert!(!r.valid());
    }
}

#[test]
fn the_summary_agrees_with_the_lifetime_rule_before_nbf() {
    let s = Signer::new();
    let keys = KeySet::parse(&s.jwks("k")).unwrap();
    let mut c = claims(DATABRICKS);
    c["nbf"] = json!(NOW + 3600);
    c["exp"] = json!(NOW + 7200);
    let (t, r) = check_text(&s.sign("k", &c), Some(&keys), &policy());
    assert_eq!(r.get("lifetime").unwrap().status, Status::Fail);
    let t = t.unwrap();
    let v = entra_token::Summary::of_with_skew(&t, NOW, 300)
        .validity
        .unwrap();
    assert!(v.starts_with("not valid yet"), "{v}");
    // Within the skew: the rule warns, and the summary says so.
    let v = entra_token::Summary::of_with_skew(&t, NOW + 3500, 300)
        .validity
        .unwrap();
    assert!(v.contains("clock skew"), "{v}");
    let v = entra_token::Summary::of_with_skew(&t, NOW + 7300, 300)
        .validity
        .unwrap();
    assert!(v.starts_with("expired") && v.contains("clock skew"), "{v}");
    let v = entra_token::Summary::of_with_skew(&t, NOW + 7600, 300)
        .validity
        .unwrap();
    assert_eq!(v, "expired 6 min 40 s ago");
}
