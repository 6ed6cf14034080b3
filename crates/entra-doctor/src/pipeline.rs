//! The check pipeline of `check` and `POST /api/check` (and so of `token`
//! and `demo`, which check through `check`): parse the token once, run the
//! online steps on it, then the engine's rules with the keys and tenant
//! those steps found.
//!
//! Two halves, so that a caller runs the online steps its own way (`check`
//! on a small runtime of its own, `serve` on its runtime) between them:
//! [`parse`] reads the token; [`finish`] verifies, applies every rule and
//! merges the online findings. The online steps are the one function
//! [`net::run`], given the parsed token.

use entra_token::rules::{check_token, read_text};
use entra_token::{verify_token, KeySet, Policy, Report, SignatureOutcome, Summary};
use entra_token::{Finding, Token};

use crate::net::{self, OnlineOutcome};

/// A token read once: the token and its `format` finding (how its text
/// was wrapped), or the report of a token that did not parse.
pub(crate) struct Parsed(Result<(Token, Finding), Report>);

impl Parsed {
    /// The token, when it parsed.
    pub fn token(&self) -> Option<&Token> {
        self.0.as_ref().ok().map(|(t, _)| t)
    }
}

/// Reads `text` (bare, `Bearer ...`, a JSON answer, a pasted header) once.
pub(crate) fn parse(text: &str) -> Parsed {
    Parsed(read_text(text))
}

/// A token checked with every rule.
pub(crate) struct Checked {
    pub token: Option<Token>,
    pub report: Report,
    pub summary: Option<Summary>,
}

/// Applies the online outcome to `policy` (the workspace's tenant), then
/// verifies the signature with `keys` (or the keys discovery found), runs
/// every rule and puts the online findings in their places.
pub(crate) fn finish(
    parsed: Parsed,
    keys: Option<&KeySet>,
    policy: &mut Policy,
    outcome: &OnlineOutcome,
) -> Checked {
    let (token, format) = match parsed.0 {
        Ok(read) => read,
        Err(report) => {
            return Checked {
                token: None,
                report,
                summary: None,
            }
        }
    };
    if let Some(t) = &outcome.tenant {
        policy.tenant = Some(t.clone());
    }
    let keys = keys.or(outcome.keys.as_deref());
    let sig = match keys {
        _ if policy.skip_signature => SignatureOutcome::Skipped,
        Some(k) => verify_token(&token, k, &policy.algorithms),
        None => SignatureOutcome::NoKeys,
    };
    let mut report = check_token(&token, &sig, policy);
    report.set(format);
    net::merge(&mut report, outcome);
    let summary = Some(Summary::of_with_skew(&token, policy.now, policy.skew_secs));
    Checked {
        token: Some(token),
        report,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entra_token::findings::names;
    use entra_token::{check_text, Status};

    fn policy() -> Policy {
        Policy::databricks(1_700_000_000)
    }

    #[test]
    fn a_token_that_does_not_parse_keeps_the_malformed_report() {
        let mut p = policy();
        let checked = finish(
            parse("not a token"),
            None,
            &mut p,
            &OnlineOutcome::default(),
        );
        assert!(checked.token.is_none());
        assert!(checked.summary.is_none());
        assert_eq!(checked.report, check_text("not a token", None, &p).1);
    }

    #[test]
    fn finish_gives_check_texts_report_and_the_online_tenant() {
        // RS256 header with a kid; claims with aud, iss, tid and times.
        let text = "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImsiLCJ0eXAiOiJKV1QifQ.eyJhdWQiOiIyZmY4MTRhNi0zMzA0LTRhYjgtODVjYi1jZDBlNmY4NzljMWQiLCJpc3MiOiJodHRwczovL3N0cy53aW5kb3dzLm5ldC8xMTExMTExMS0xMTExLTQxMTEtODExMS0xMTExMTExMTExMTEvIiwidGlkIjoiMTExMTExMTEtMTExMS00MTExLTgxMTEtMTExMTExMTExMTExIiwiZXhwIjoxNzAwMDAzNjAwLCJpYXQiOjE3MDAwMDAwMDAsIm5iZiI6MTcwMDAwMDAwMH0.c2ln";
        let mut p = policy();
        let parsed = parse(text);
        assert!(parsed.token().is_some());
        let checked = finish(parsed, None, &mut p, &OnlineOutcome::default());
        // The same findings as the engine's one-call check.
        assert_eq!(checked.report, check_text(text, None, &p).1);
        assert!(checked.summary.is_some());
        assert_eq!(
            checked.report.get(names::SIGNATURE).map(|f| f.status),
            Some(Status::Skip)
        );
        assert!(!checked.report.valid());

        // A tenant the online steps found is required of the token.
        let mut p = policy();
        let outcome = OnlineOutcome {
            tenant: Some("22222222-2222-4222-8222-222222222222".into()),
            ..OnlineOutcome::default()
        };
        let checked = finish(parse(text), None, &mut p, &outcome);
        assert_eq!(
            p.tenant.as_deref(),
            Some("22222222-2222-4222-8222-222222222222")
        );
        assert_eq!(
            checked.report.get(names::TENANT).map(|f| f.status),
            Some(Status::Fail)
        );
    }
}
