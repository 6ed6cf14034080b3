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
//!
//! `check --batch` goes through [`check_cached`], the fast path: a token
//! seen before is answered from the verified-token cache (only the
//! `lifetime` rule reruns); a new one is parsed once, verified with the
//! signing input's digest the cache key already computed, and checked
//! with the given [`Detail`].

use std::sync::Arc;

use entra_token::findings::{names, Status};
use entra_token::rules::{check_claims_with, check_token, lifetime_of, read_text, Detail, Times};
use entra_token::verify::verify_token_prehashed;
use entra_token::{input, rules, KeySet, Policy, Report, SignatureOutcome, Summary};
use entra_token::{Finding, Token};

use crate::net::{self, OnlineOutcome};
use crate::verified_cache::{CacheKey, VerifiedCache, Weight};

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
    let sig = rules::signature_outcome(&token, keys, policy);
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

/// What the fast path remembers of a token already checked: every finding
/// that does not depend on the time and did not pass, and the time claims,
/// so that the `lifetime` rule reruns without parsing the token again.
pub struct Remembered {
    findings: Vec<Finding>,
    times: Times,
}

impl Weight for Remembered {
    /// Roughly the memory this entry holds besides the cache's own
    /// overhead: its time claims, its findings and their texts, and a
    /// quarter more for the allocator.
    fn weight(&self) -> usize {
        let text = |o: &Option<String>| o.as_ref().map_or(0, String::capacity);
        let findings = self.findings.capacity() * std::mem::size_of::<Finding>()
            + self
                .findings
                .iter()
                .map(|f| f.message.capacity() + text(&f.expected) + text(&f.actual) + text(&f.fix))
                .sum::<usize>();
        std::mem::size_of::<Times>() + findings * 5 / 4
    }
}

/// The answer of [`check_cached`].
pub enum Fast {
    /// From the cache: the remembered findings and the `lifetime` rule
    /// rerun at the policy's time.
    Hit(Arc<Remembered>, Finding),
    /// Checked now (or not a token): every finding.
    Checked(Report),
}

impl Fast {
    /// The findings, passing ones included when checked now.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        let (remembered, lifetime, report) = match self {
            Fast::Hit(r, l) => (r.findings.as_slice(), Some(l), &[][..]),
            Fast::Checked(r) => (&[][..], None, r.findings.as_slice()),
        };
        remembered.iter().chain(lifetime).chain(report.iter())
    }
}

/// The fast path: `text` (bare, `Bearer ...`, a JSON answer) answered from
/// `cache` when this exact token was checked with keys of `generation`,
/// else parsed once, verified with the keys `keys` gives for it (or why
/// there are none) and checked with `detail`; what does not depend on the
/// time is remembered.
pub fn check_cached(
    text: &str,
    policy: &Policy,
    cache: &VerifiedCache<Remembered>,
    generation: u64,
    detail: Detail,
    keys: impl FnOnce(&Token) -> Result<Option<Arc<KeySet>>, String>,
) -> Fast {
    let token_text = match input::extract(text) {
        Ok((t, _)) => t,
        Err(e) => return Fast::Checked(rules::malformed_report(&e)),
    };
    let (key, si_digest) = CacheKey::of(token_text);
    if let Some(hit) = cache.get(&key, generation) {
        let lifetime = lifetime_of(&hit.times, policy, true);
        return Fast::Hit(hit, lifetime);
    }
    let token = match Token::parse(token_text) {
        Ok(t) => t,
        Err(e) => return Fast::Checked(rules::malformed_report(&e)),
    };
    let mut no_keys_why = None;
    let sig = if policy.skip_signature {
        SignatureOutcome::Skipped
    } else {
        match keys(&token) {
            Ok(Some(k)) => verify_token_prehashed(&token, &k, &policy.algorithms, Some(&si_digest)),
            Ok(None) => SignatureOutcome::NoKeys,
            Err(why) => {
                no_keys_why = Some(why);
                SignatureOutcome::NoKeys
            }
        }
    };
    let claims = token.claims();
    let mut report = check_claims_with(&token, &claims, &sig, policy, detail);
    if let Some(why) = no_keys_why {
        // Say why there are no keys, unless the signature failed anyway
        // (alg none, HMAC).
        if report
            .get(names::SIGNATURE)
            .is_some_and(|f| f.status == Status::Skip)
        {
            report.set(
                Finding::skip(names::SIGNATURE, format!("not checked: {why}"))
                    .fix("Give the signing keys with --jwks FILE, or run without --offline so that discovery can fetch them; to check the claims alone, say --skip-signature."),
            );
        }
    }
    let remembered = Remembered {
        findings: report
            .findings
            .iter()
            .filter(|f| f.status != Status::Pass && f.check != names::LIFETIME)
            .cloned()
            .collect(),
        times: Times::of(&claims),
    };
    cache.put(key, generation, Arc::new(remembered));
    Fast::Checked(report)
}

/// The signature step of the fast path for GET /auth, whose keys come
/// asynchronously: the outcome for this exact token with keys of
/// `generation` from `cache`, else verified with the signing input's digest
/// the cache key computed, and remembered.
pub(crate) fn signature_cached(
    token: &Token,
    keys: &KeySet,
    generation: u64,
    policy: &Policy,
    cache: Option<&VerifiedCache<SignatureOutcome>>,
) -> Arc<SignatureOutcome> {
    let Some(cache) = cache else {
        return Arc::new(verify_token_prehashed(
            token,
            keys,
            &policy.algorithms,
            None,
        ));
    };
    let (key, digest) = CacheKey::of(token.compact());
    if let Some(hit) = cache.get(&key, generation) {
        return hit;
    }
    let outcome = Arc::new(verify_token_prehashed(
        token,
        keys,
        &policy.algorithms,
        Some(&digest),
    ));
    cache.put(key, generation, outcome.clone());
    outcome
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

    #[test]
    fn a_cache_hit_answers_the_same_findings_and_reruns_the_lifetime_rule() {
        let text = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsiLCJ0eXAiOiJKV1QifQ.eyJhdWQiOiIyZmY4MTRhNi0zMzA0LTRhYjgtODVjYi1jZDBlNmY4NzljMWQiLCJpc3MiOiJodHRwczovL3N0cy53aW5kb3dzLm5ldC8xMTExMTExMS0xMTExLTQxMTEtODExMS0xMTExMTExMTExMTEvIiwidGlkIjoiMTExMTExMTEtMTExMS00MTExLTgxMTEtMTExMTExMTExMTExIiwiZXhwIjoxNzAwMDAzNjAwLCJpYXQiOjE3MDAwMDAwMDAsIm5iZiI6MTcwMDAwMDAwMH0.c2ln";
        let cache = VerifiedCache::new(crate::verified_cache::Bounds::entries(16));
        let unpassed = |f: &Fast| -> Vec<(String, Status)> {
            let mut v: Vec<_> = f
                .findings()
                .filter(|f| f.status != Status::Pass)
                .map(|f| (f.check.as_str().to_owned(), f.status))
                .collect();
            v.sort();
            v
        };
        let mut lookups = 0;
        let p = policy();
        let first = check_cached(text, &p, &cache, 0, Detail::Brief, |_| {
            lookups += 1;
            Err("no keys here".into())
        });
        assert!(matches!(first, Fast::Checked(_)));
        let sig = first.findings().find(|f| f.check == names::SIGNATURE);
        assert!(sig.is_some_and(|f| f.message.contains("no keys here")));
        let second = check_cached(text, &p, &cache, 0, Detail::Brief, |_| {
            lookups += 1;
            Ok(None)
        });
        assert!(matches!(second, Fast::Hit(..)));
        assert_eq!(lookups, 1, "a hit looks no keys up");
        assert_eq!(unpassed(&first), unpassed(&second));
        // Later than exp: the hit's lifetime rule fails, as a fresh check's.
        let mut later = policy();
        later.now += 2 * 3600;
        let third = check_cached(text, &later, &cache, 0, Detail::Brief, |_| Ok(None));
        assert!(third
            .findings()
            .any(|f| f.check == names::LIFETIME && f.status == Status::Fail));
        // Another generation of keys is not answered from the cache.
        let other = check_cached(text, &p, &cache, 1, Detail::Brief, |_| Ok(None));
        assert!(matches!(other, Fast::Checked(_)));
    }
}
