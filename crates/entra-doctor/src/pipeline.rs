//! The one check pipeline, from a token to its report, for every command,
//! the server and the Python package. Every path ends in the same step,
//! [`Pending`]: a token parsed once, verified with the keys its caller found
//! (the signing input's digest computed once, for the cache key and the
//! prehashed verification), then every rule of the engine.
//!
//! Two ways in, for what the caller does between reading and checking:
//! - `check`, `token`, `auth`, `demo` and `POST /api/check` run the online
//!   steps (discovery, the workspace's tenant and membership: the one
//!   function [`net::run`]) between [`parse`] and [`finish`], which runs the
//!   common step with every finding described, and merges the online
//!   findings; nothing is cached.
//! - `check --batch`, GET /auth and the Python package take the fast path,
//!   so that a caller finds the keys its own way (batch by a blocking
//!   lookup, [`check_cached`]; /auth from its asynchronous key source, with
//!   a refetch on an unknown kid):
//!   1. [`lookup`]: a token seen before with keys still current is answered
//!      from the verified-token cache (only the `lifetime` rule reruns, and
//!      its finding keeps its place); a new one is parsed once
//!      ([`Step::NeedKeys`]).
//!   2. [`Pending::verify`] with the caller's keys, then
//!      [`Pending::finish`]: the common step with the given [`Detail`]; the
//!      findings that did not pass (but `lifetime`) and the time claims are
//!      remembered.

use std::sync::Arc;

use entra_token::findings::{names, Status};
use entra_token::kind::NonJwt;
use entra_token::rules::{check_claims_with, lifetime_of, read_text, Detail, Times};
use entra_token::verify::verify_token_prehashed;
use entra_token::{input, rules, KeySet, Policy, Report, SignatureOutcome, Summary};
use entra_token::{Finding, Kind, Token};

use crate::net::{self, OnlineOutcome, Plan};
use crate::verified_cache::{CacheKey, Digest, VerifiedCache, Weight};

/// A token read once: the token and its `format` finding (how its text
/// was wrapped), or the report of a token that did not parse.
pub(crate) struct Parsed(Result<(Token, Finding), Report>, Option<(NonJwt, String)>);

impl Parsed {
    /// The token, when it parsed.
    pub fn token(&self) -> Option<&Token> {
        self.0.as_ref().ok().map(|(t, _)| t)
    }

    /// The personal access token, when that is what the text holds (not a
    /// JWT: only its workspace can check it).
    pub fn pat(&self) -> Option<&str> {
        match &self.1 {
            Some((NonJwt::Pat, t)) => Some(t),
            _ => None,
        }
    }

    /// The kind of a credential that is not a JWT.
    pub fn non_jwt_kind(&self) -> Option<Kind> {
        self.1.as_ref().map(|(k, _)| k.kind())
    }
}

/// Reads `text` (bare, `Bearer ...`, a JSON answer, a pasted header) once.
pub(crate) fn parse(text: &str) -> Parsed {
    let read = read_text(text);
    let non_jwt = match &read {
        Ok(_) => None,
        Err(_) => rules::non_jwt_in(text).map(|(k, t)| (k, t.to_owned())),
    };
    Parsed(read, non_jwt)
}

/// What the plan says about the host and authority the token is checked
/// against, into the policy: a Databricks-issued token must come from the
/// workspace (or account) host given; a v2 issuer under `--authority` is
/// Entra's.
pub(crate) fn apply_plan(policy: &mut Policy, plan: &Plan) {
    if let Some(ws) = &plan.workspace {
        policy.databricks_host = Some(ws.display());
    }
    if let Some(id) = &plan.account_id {
        policy.databricks_account_id = Some(id.clone());
    }
    if let Some(a) = &plan.authority {
        policy.authority = Some(a.as_str().trim_end_matches('/').to_owned());
    }
}

/// A token checked with every rule.
pub(crate) struct Checked {
    pub token: Option<Token>,
    pub report: Report,
    pub summary: Option<Summary>,
    /// What was checked; `None` when the text was not recognised.
    pub kind: Option<Kind>,
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
    let kind = parsed.non_jwt_kind();
    let (token, format) = match parsed.0 {
        Ok(read) => read,
        Err(mut report) => {
            // A personal access token: the workspace's answer, if asked.
            if kind.is_some() {
                net::merge(&mut report, outcome);
            }
            return Checked {
                token: None,
                report,
                summary: None,
                kind,
            };
        }
    };
    if let Some(t) = &outcome.tenant {
        policy.tenant = Some(t.clone());
    }
    let keys = keys.or(outcome.keys.as_deref());
    // The same step as the fast path's, with every finding described and
    // nothing remembered.
    let pending = Pending::of(token);
    let sig = match keys {
        Some(k) => Signature::Checked(pending.verify(k, policy)),
        None => Signature::NoKeys(None),
    };
    let (mut report, _) = pending.report(sig, policy, Detail::Full);
    let token = pending.token;
    report.set(format);
    net::merge(&mut report, outcome);
    let summary = Summary::of_checked(&token, policy);
    Checked {
        kind: Some(summary.token_kind),
        token: Some(token),
        report,
        summary: Some(summary),
    }
}

/// What the fast path remembers of a token already checked: every finding
/// that does not depend on the time and did not pass, and the time claims,
/// so that the `lifetime` rule reruns without parsing the token again (and
/// its finding goes back to its place among the others).
pub struct Remembered {
    /// Boxed, not a `Vec`: no spare capacity, and a smaller entry.
    findings: Box<[Finding]>,
    /// How many of `findings` come before the `lifetime` finding (there
    /// are seven rules).
    lifetime_at: u8,
    times: Times,
}

impl Weight for Remembered {
    /// Roughly the memory this entry holds besides the cache's own
    /// overhead: its time claims, its findings and their texts, and a
    /// quarter more for the allocator.
    fn weight(&self) -> usize {
        let text = |o: &Option<String>| o.as_ref().map_or(0, String::capacity);
        let findings = std::mem::size_of_val(&*self.findings)
            + self
                .findings
                .iter()
                .map(|f| f.message.capacity() + text(&f.expected) + text(&f.actual) + text(&f.fix))
                .sum::<usize>();
        std::mem::size_of::<Self>() + findings * 5 / 4
    }
}

/// The answer of the fast path.
pub enum Fast {
    /// From the cache: the remembered findings and the `lifetime` rule
    /// rerun at the policy's time.
    Hit(Arc<Remembered>, Finding),
    /// Checked now (or not a token): every finding.
    Checked(Report),
}

impl Fast {
    /// The findings in the order of a full check, passing ones included
    /// when checked now.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        let (before, lifetime, after) = match self {
            Fast::Hit(r, l) => {
                let at = usize::from(r.lifetime_at).min(r.findings.len());
                let (before, after) = r.findings.split_at(at);
                (before, Some(l), after)
            }
            Fast::Checked(r) => (r.findings.as_slice(), None, &[][..]),
        };
        before.iter().chain(lifetime).chain(after.iter())
    }

    /// The first failing finding, in the order of a full check.
    pub fn first_failure(&self) -> Option<&Finding> {
        self.findings().find(|f| f.status == Status::Fail)
    }

    /// Whether the signature verified (its finding passed).
    pub fn signature_verified(&self) -> bool {
        !self
            .findings()
            .any(|f| f.check == names::SIGNATURE && f.status != Status::Pass)
    }
}

/// The first step of the fast path: the answer, or the parsed token that
/// needs its keys. (Unboxed: the parsed token is moved once, not
/// allocated again.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum Step {
    /// Answered: from the cache, or the token does not parse.
    Done(Fast),
    /// Not in the cache (or not with keys still current): the caller finds
    /// the keys for [`Pending::token`] its own way, then
    /// [`Pending::finish`]es.
    NeedKeys(Pending),
}

/// A token parsed once, waiting for its keys.
pub(crate) struct Pending {
    token: Token,
    key: CacheKey,
    /// SHA-256 of the signing input, for a prehashed verification.
    digest: Digest,
}

/// The signature outcome the caller gives [`Pending::finish`].
pub(crate) enum Signature {
    /// Verified, or refused, with the keys found.
    Checked(SignatureOutcome),
    /// No keys; with why, when there is a reason to say.
    NoKeys(Option<String>),
}

/// The fast path's first step, the same for every caller: the compact
/// token `text` answered from `cache` when this exact token was checked
/// with keys whose generation `current` still accepts, else parsed once.
/// Nothing here waits: a caller with an asynchronous key source awaits its
/// keys between this and [`Pending::finish`].
pub(crate) fn lookup(
    text: &str,
    policy: &Policy,
    cache: Option<&VerifiedCache<Remembered>>,
    current: impl Fn(u64) -> bool,
) -> Step {
    // A personal access token or another non-JWT credential: recognised,
    // never verified here.
    if let Some(k) = entra_token::kind::non_jwt(text) {
        return Step::Done(Fast::Checked(rules::non_jwt_report(k, text)));
    }
    let (key, digest) = CacheKey::of(text);
    if let Some(hit) = cache.and_then(|c| c.get_current(&key, &current)) {
        return Step::Done(hit_at(hit, policy));
    }
    match Token::parse(text) {
        Ok(token) => Step::NeedKeys(Pending { token, key, digest }),
        Err(e) => Step::Done(Fast::Checked(rules::malformed_report(&e))),
    }
}

fn hit_at(hit: Arc<Remembered>, policy: &Policy) -> Fast {
    let lifetime = lifetime_of(&hit.times, policy, true);
    Fast::Hit(hit, lifetime)
}

impl Pending {
    /// A token already parsed (the online path read it with its `format`
    /// finding), with its cache key and signing-input digest.
    fn of(token: Token) -> Pending {
        let (key, digest) = CacheKey::of(token.compact());
        Pending { token, key, digest }
    }

    /// The token, to look its keys up.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The answer from `cache` when the token was checked with keys of
    /// exactly `generation` (the keys the caller just found: a generation
    /// the first step did not take for current may be so again).
    pub fn remembered(
        &self,
        cache: Option<&VerifiedCache<Remembered>>,
        generation: u64,
        policy: &Policy,
    ) -> Option<Fast> {
        let hit = cache?.get_current(&self.key, |g| g == generation)?;
        Some(hit_at(hit, policy))
    }

    /// Verifies the signature with `keys`, reusing the signing input's
    /// digest the cache key computed.
    pub fn verify(&self, keys: &KeySet, policy: &Policy) -> SignatureOutcome {
        verify_token_prehashed(&self.token, keys, &policy.algorithms, Some(&self.digest))
    }

    /// The second step: every rule with `detail`, from the signature
    /// outcome `sig` (ignored when the policy skips the signature); what
    /// does not depend on the time is remembered in `cache` under the keys'
    /// `generation`, when one is given.
    pub fn finish(
        &self,
        sig: Signature,
        generation: Option<u64>,
        policy: &Policy,
        cache: Option<&VerifiedCache<Remembered>>,
        detail: Detail,
    ) -> Fast {
        let (report, times) = self.report(sig, policy, detail);
        if let (Some(cache), Some(generation)) = (cache, generation) {
            cache.put(self.key, generation, Arc::new(remember(&report, times)));
        }
        Fast::Checked(report)
    }

    /// Every rule with `detail`, from the signature outcome `sig` (ignored
    /// when the policy skips the signature): the one step from a parsed
    /// token to its report, for every caller.
    /// Also the token's time claims (for what a cache remembers).
    fn report(&self, sig: Signature, policy: &Policy, detail: Detail) -> (Report, Times) {
        let (sig, no_keys_why) = match sig {
            _ if policy.skip_signature => (SignatureOutcome::Skipped, None),
            Signature::Checked(outcome) => (outcome, None),
            Signature::NoKeys(why) => (SignatureOutcome::NoKeys, why),
        };
        let claims = self.token.claims();
        let mut report = check_claims_with(&self.token, &claims, &sig, policy, detail);
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
        (report, Times::of(&claims))
    }
}

/// What the cache keeps of a report: the findings that did not pass, but
/// for `lifetime` (whose place is noted), and the time claims.
fn remember(report: &Report, times: Times) -> Remembered {
    let mut findings = Vec::new();
    let mut lifetime_at = 0;
    for f in &report.findings {
        if f.check == names::LIFETIME {
            lifetime_at = u8::try_from(findings.len()).unwrap_or(u8::MAX);
        } else if f.status != Status::Pass {
            findings.push(f.clone());
        }
    }
    Remembered {
        findings: findings.into_boxed_slice(),
        lifetime_at,
        times,
    }
}

/// The keys a caller found for a token: borrowed from a set it holds for
/// the whole run (a `--jwks` file), or shared from a key source. Borrowed,
/// no reference count is written per token: threads checking at once would
/// each write the same count, and wait on each other for it.
pub enum KeysFor<'k> {
    /// A set the caller holds.
    Held(&'k KeySet),
    /// A set from a key source (discovery, the key cache).
    Shared(Arc<KeySet>),
}

impl std::ops::Deref for KeysFor<'_> {
    type Target = KeySet;
    fn deref(&self) -> &KeySet {
        match self {
            KeysFor::Held(k) => k,
            KeysFor::Shared(k) => k,
        }
    }
}

/// The fast path of `check --batch`, whose keys come from a blocking
/// lookup: `text` (bare, `Bearer ...`, a JSON answer) through [`lookup`]
/// (keys of `generation` only) and, on a miss, verified with the keys
/// `keys` gives for it (or why there are none) and [`Pending::finish`]ed
/// with `detail`.
pub fn check_cached<'k>(
    text: &str,
    policy: &Policy,
    cache: &VerifiedCache<Remembered>,
    generation: u64,
    detail: Detail,
    keys: impl FnOnce(&Token) -> Result<Option<KeysFor<'k>>, String>,
) -> Fast {
    let token_text = match input::extract(text) {
        Ok((t, _)) => t,
        Err(e) => return Fast::Checked(rules::malformed_report(&e)),
    };
    let pending = match lookup(token_text, policy, Some(cache), |g| g == generation) {
        Step::Done(fast) => return fast,
        Step::NeedKeys(p) => p,
    };
    let sig = if policy.skip_signature {
        Signature::NoKeys(None)
    } else {
        match keys(pending.token()) {
            Ok(Some(k)) => Signature::Checked(pending.verify(&k, policy)),
            Ok(None) => Signature::NoKeys(None),
            Err(why) => Signature::NoKeys(Some(why)),
        }
    };
    // Batch never swaps its keys: whatever it found is remembered.
    pending.finish(sig, Some(generation), policy, Some(cache), detail)
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
    const TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsiLCJ0eXAiOiJKV1QifQ.eyJhdWQiOiIyZmY4MTRhNi0zMzA0LTRhYjgtODVjYi1jZDBlNmY4NzljMWQiLCJpc3MiOiJodHRwczovL3N0cy53aW5kb3dzLm5ldC8xMTExMTExMS0xMTExLTQxMTEtODExMS0xMTExMTExMTExMTEvIiwidGlkIjoiMTExMTExMTEtMTExMS00MTExLTgxMTEtMTExMTExMTExMTExIiwiZXhwIjoxNzAwMDAzNjAwLCJpYXQiOjE3MDAwMDAwMDAsIm5iZiI6MTcwMDAwMDAwMH0.c2ln";

    fn non_passing(f: &Fast) -> Vec<(String, Status)> {
        f.findings()
            .filter(|f| f.status != Status::Pass)
            .map(|f| (f.check.as_str().to_owned(), f.status))
            .collect()
    }

    #[test]
    fn a_hit_puts_the_lifetime_finding_back_in_its_place() {
        // Another tenant: `tenant` (before lifetime) fails; later than exp:
        // `lifetime` fails too, and a hit must name the same first failure
        // in the same order as a fresh check.
        let mut p = policy();
        p.tenant = Some("22222222-2222-4222-8222-222222222222".into());
        let cache = VerifiedCache::new(crate::verified_cache::Bounds::entries(16));
        let first = check_cached(TOKEN, &p, &cache, 0, Detail::Brief, |_| Ok(None));
        assert!(matches!(first, Fast::Checked(_)));
        let mut later = p.clone();
        later.now += 2 * 3600;
        let hit = check_cached(TOKEN, &later, &cache, 0, Detail::Brief, |_| Ok(None));
        assert!(matches!(hit, Fast::Hit(..)));
        let fresh = check_cached(
            TOKEN,
            &later,
            &VerifiedCache::new(crate::verified_cache::Bounds::entries(16)),
            0,
            Detail::Brief,
            |_| Ok(None),
        );
        assert!(matches!(fresh, Fast::Checked(_)));
        assert_eq!(non_passing(&hit), non_passing(&fresh));
        let order: Vec<String> = non_passing(&hit).into_iter().map(|(c, _)| c).collect();
        let at = |name: &str| order.iter().position(|c| c == name);
        assert!(at("tenant") < at("lifetime"), "{order:?}");
        // identity (no user nor application named) comes after lifetime.
        assert!(at("identity") > at("lifetime"), "{order:?}");
        assert_eq!(
            hit.first_failure().map(|f| f.check.as_str()),
            fresh.first_failure().map(|f| f.check.as_str())
        );
        assert!(!hit.signature_verified());
    }

    #[test]
    fn lookup_answers_only_generations_the_caller_takes_for_current() {
        let p = policy();
        let cache = VerifiedCache::new(crate::verified_cache::Bounds::entries(16));
        let Step::NeedKeys(pending) = lookup(TOKEN, &p, Some(&cache), |_| true) else {
            panic!("an empty cache answered");
        };
        // No keys and no generation: nothing is remembered.
        let fast = pending.finish(
            Signature::NoKeys(None),
            None,
            &p,
            Some(&cache),
            Detail::Brief,
        );
        assert!(matches!(fast, Fast::Checked(_)));
        assert_eq!(cache.len(), 0);
        // Remembered under generation 7.
        let outcome = SignatureOutcome::NoKeys;
        pending.finish(
            Signature::Checked(outcome),
            Some(7),
            &p,
            Some(&cache),
            Detail::Brief,
        );
        assert_eq!(cache.len(), 1);
        assert!(matches!(
            lookup(TOKEN, &p, Some(&cache), |g| g == 7),
            Step::Done(Fast::Hit(..))
        ));
        // A generation the caller no longer takes for current: parsed
        // again, and answered from the cache only for the exact keys found.
        let Step::NeedKeys(again) = lookup(TOKEN, &p, Some(&cache), |_| false) else {
            panic!("a stale generation answered");
        };
        assert!(again.remembered(Some(&cache), 8, &p).is_none());
        assert!(again.remembered(Some(&cache), 7, &p).is_some());
        // Without a cache, always parsed; a malformed token is answered.
        assert!(matches!(
            lookup(TOKEN, &p, None, |_| true),
            Step::NeedKeys(_)
        ));
        let Step::Done(bad) = lookup("a.b", &p, Some(&cache), |_| true) else {
            panic!("a malformed token needs no keys");
        };
        assert_eq!(
            bad.first_failure().map(|f| f.check.as_str()),
            Some("format")
        );
    }
}
