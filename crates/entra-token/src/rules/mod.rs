//! The rules: each turns a parsed token (and the signature outcome) into one
//! finding. They read nothing but their arguments.

mod audience;
mod format;
mod identity;
mod issuer;
mod lifetime;
mod signature;
mod tenant;

use crate::error::FormatError;
use crate::findings::{names, Finding, Report};
use crate::input::Wrapping;
use crate::jws::Token;
use crate::keys::KeySet;
use crate::policy::Policy;
use crate::verify::{verify_token, SignatureOutcome};

pub use format::format_failure;
pub use lifetime::{lifetime_of, Times};
pub use signature::signature_finding;

/// How much a passing finding says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every finding has its message, expected and actual values.
    Full,
    /// Passing findings carry only their name and status (an empty message):
    /// for batch checks, where only what did not pass is written.
    Brief,
}

/// Runs every rule on an already verified (or unverifiable) token.
pub fn check_token(token: &Token, sig: &SignatureOutcome, policy: &Policy) -> Report {
    check_token_with(token, sig, policy, Detail::Full)
}

/// Runs every rule, with the given detail for passing findings.
pub fn check_token_with(
    token: &Token,
    sig: &SignatureOutcome,
    policy: &Policy,
    detail: Detail,
) -> Report {
    check_claims_with(token, &token.claims(), sig, policy, detail)
}

/// Like [`check_token_with`], with the token's claims already read (a
/// caller that also needs them reads them once).
pub fn check_claims_with(
    token: &Token,
    c: &crate::claims::Claims<'_>,
    sig: &SignatureOutcome,
    policy: &Policy,
    detail: Detail,
) -> Report {
    let brief = detail == Detail::Brief;
    Report {
        findings: vec![
            if brief {
                Finding::pass(names::FORMAT, String::new())
            } else {
                format::format_pass(token, Wrapping::Bare)
            },
            signature::signature_finding_with(token, sig, policy, brief),
            audience::audience(c, policy, brief),
            issuer::issuer(c, policy, brief),
            tenant::tenant(c, policy, brief),
            lifetime::lifetime(c, policy, brief),
            identity::identity(c, brief),
        ],
    }
}

/// The whole check from pasted text: extract, parse, verify (when keys are
/// given), apply the rules. A malformed token yields one failing `format`
/// finding and the other rules skipped.
pub fn check_text(text: &str, keys: Option<&KeySet>, policy: &Policy) -> (Option<Token>, Report) {
    let parsed = crate::input::extract(text).and_then(|(t, w)| Token::parse(t).map(|tok| (tok, w)));
    match parsed {
        Ok((token, wrapping)) => {
            let sig = match keys {
                _ if policy.skip_signature => SignatureOutcome::Skipped,
                Some(k) => verify_token(&token, k, &policy.algorithms),
                None => SignatureOutcome::NoKeys,
            };
            let mut report = check_token(&token, &sig, policy);
            report.set(format::format_pass(&token, wrapping));
            (Some(token), report)
        }
        Err(e) => (None, malformed_report(&e)),
    }
}

/// The report for a token that did not parse.
pub fn malformed_report(e: &FormatError) -> Report {
    let mut findings = vec![format::format_failure(e)];
    for name in [
        names::SIGNATURE,
        names::AUDIENCE,
        names::ISSUER,
        names::TENANT,
        names::LIFETIME,
        names::IDENTITY,
    ] {
        findings.push(Finding::skip(
            name,
            "not checked: the token could not be parsed",
        ));
    }
    Report { findings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64::encode;
    use crate::verify::SignatureFailure;
    use serde_json::json;

    fn token(claims: serde_json::Value) -> Token {
        let h = encode(br#"{"alg":"RS256","kid":"k"}"#);
        Token::parse(&format!(
            "{h}.{}.c2ln",
            encode(claims.to_string().as_bytes())
        ))
        .unwrap()
    }

    /// Brief mode must never change a verdict, only drop pass messages.
    #[test]
    fn brief_and_full_agree_on_every_status() {
        let tid = "t1";
        let base = json!({"aud": crate::catalogue::resources::AZURE_DATABRICKS, "iss": "https://sts.windows.net/t1/",
            "tid": tid, "ver": "1.0", "nbf": 1000, "iat": 1000, "exp": 5000, "upn": "a@b.c", "oid": "o"});
        let mut variants = vec![base.clone()];
        for (k, v) in [
            ("aud", json!("https://management.azure.com/")),
            (
                "aud",
                json!(["x", crate::catalogue::resources::AZURE_DATABRICKS]),
            ),
            ("iss", json!("https://login.microsoftonline.com/t1/v2.0")),
            ("iss", json!("https://evil/t1/")),
            ("tid", json!("t2")),
            ("tid", json!(5)),
            ("ver", json!("2.0")),
            ("exp", json!(1500)),
            ("exp", json!(2100)),
            ("exp", json!("soon")),
            ("nbf", json!(2200)),
            ("nbf", json!(1990)),
            ("iat", json!(9000)),
            ("upn", json!(null)),
        ] {
            let mut c = base.clone();
            c[k] = v;
            variants.push(c);
        }
        let mut no_user = base.clone();
        no_user.as_object_mut().unwrap().remove("upn");
        no_user["appid"] = json!("app");
        variants.push(no_user.clone());
        no_user.as_object_mut().unwrap().remove("oid");
        variants.push(no_user);
        let sigs = [
            SignatureOutcome::NoKeys,
            SignatureOutcome::Verified {
                alg: crate::Algorithm::RS256,
                key: "k".into(),
                key_issuer: None,
            },
            SignatureOutcome::Failed(SignatureFailure::AlgNone),
        ];
        for tenant in [
            None,
            Some("t1".to_owned()),
            Some("T1".to_owned()),
            Some("t9".to_owned()),
        ] {
            let mut policy = Policy::databricks(2000);
            policy.tenant = tenant.clone();
            for c in &variants {
                let t = token(c.clone());
                for sig in &sigs {
                    let full = check_token_with(&t, sig, &policy, Detail::Full);
                    let brief = check_token_with(&t, sig, &policy, Detail::Brief);
                    let fs: Vec<_> = full.findings.iter().map(|f| (f.check, f.status)).collect();
                    let bs: Vec<_> = brief.findings.iter().map(|f| (f.check, f.status)).collect();
                    assert_eq!(fs, bs, "claims {c} tenant {tenant:?} sig {sig:?}");
                }
            }
        }
    }
}
