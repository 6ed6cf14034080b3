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
pub use signature::signature_finding;

/// Runs every rule on an already verified (or unverifiable) token.
pub fn check_token(token: &Token, sig: &SignatureOutcome, policy: &Policy) -> Report {
    Report {
        findings: vec![
            format::format_pass(token, Wrapping::Bare),
            signature::signature_finding(token, sig, policy),
            audience::audience(token, policy),
            issuer::issuer(token, policy),
            tenant::tenant(token, policy),
            lifetime::lifetime(token, policy),
            identity::identity(token),
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
    for name in [names::SIGNATURE, names::AUDIENCE, names::ISSUER, names::TENANT, names::LIFETIME, names::IDENTITY] {
        findings.push(Finding::skip(name, "not checked: the token could not be parsed"));
    }
    Report { findings }
}
