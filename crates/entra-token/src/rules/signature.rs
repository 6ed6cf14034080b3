//! `signature`: verified with a trusted key, under a pinned algorithm.

use crate::alg::Algorithm;
use crate::findings::{names::SIGNATURE, Finding};
use crate::jws::Token;
use crate::keys::{KeyRefusal, MAX_RSA_BITS, MIN_RSA_BITS};
use crate::policy::Policy;
use crate::verify::{SignatureFailure as F, SignatureOutcome};

/// The finding for a signature outcome: the words. (The outcome is decided
/// by [`crate::verify`]; only the algorithm of a token that could not be
/// verified is checked here.)
pub fn signature_finding(token: &Token, outcome: &SignatureOutcome, policy: &Policy) -> Finding {
    let allowed = policy
        .algorithms
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let ignored = token.header().key_hints();
    let ignored_note = if ignored.is_empty() {
        String::new()
    } else {
        format!(
            " The header's {} was ignored: keys come only from the trusted key set.",
            ignored.join(", ")
        )
    };
    match outcome {
        // What needs no key is checked anyway: `none`, HMAC and an algorithm
        // not allowed fail without keys too.
        SignatureOutcome::NoKeys | SignatureOutcome::Skipped => {
            if let Err(failure) = crate::verify::check_alg(token, &policy.algorithms) {
                return failure_finding(&failure, &allowed, &ignored_note);
            }
            if matches!(outcome, SignatureOutcome::Skipped) {
                Finding::skip(SIGNATURE, format!("not checked, on request (--skip-signature): only the claims were checked, so the token is not accepted as valid.{ignored_note}"))
                    .fix("To verify it, run without --skip-signature: with --jwks FILE, or online so that the keys come from the issuer's discovery.")
            } else {
                Finding::skip(SIGNATURE, format!("not checked: no signing keys, so the token is not accepted as valid.{ignored_note}"))
                    .fix("Give the signing keys with --jwks FILE (a JWKS, a PEM certificate or public key), or check online (without --offline) so that they come from the issuer's discovery or the key cache. To check the claims alone, say --skip-signature.")
            }
        }
        SignatureOutcome::Verified { alg, key, .. } => Finding::pass(
            SIGNATURE,
            format!("{alg} signature verified with the key {key}.{ignored_note}"),
        )
        .expected(allowed)
        .actual(alg.as_str()),
        SignatureOutcome::Failed(failure) => failure_finding(failure, &allowed, &ignored_note),
    }
}

/// A key refused before any signature was compared: not "the signature
/// does not match", but which key, why, and what to do.
fn rejected_finding(
    f: impl Fn(String) -> Finding,
    key: &str,
    alg: Algorithm,
    reason: Option<KeyRefusal>,
) -> Finding {
    let Some(reason) = reason else {
        return f(format!(
            "the key {key} is refused for {alg}: the crypto library does not accept it; the signature was not checked"
        ))
        .actual("key refused")
        .fix("Refetch the issuer's key set (its discovery document's jwks_uri); the key in it is damaged or not a public signing key.");
    };
    let fix = match reason {
        KeyRefusal::RsaTooSmall { .. } | KeyRefusal::RsaTooLarge { .. } => format!(
            "Entra ID signs with RSA 2048-bit keys: check that the key set is the token issuer's (its discovery document's jwks_uri). A provider of your own must sign with an RSA key of {MIN_RSA_BITS} to {MAX_RSA_BITS} bits."
        ),
        KeyRefusal::RsaExponent => "Entra ID's keys use the exponent 65537 (\"AQAB\"): the key set is damaged or not the issuer's; refetch it from the discovery document's jwks_uri.".to_owned(),
        KeyRefusal::EcNotOnCurve { .. } | KeyRefusal::Ed25519Invalid => "The key set is damaged or made up (an invalid public key is never used, as it would let forged signatures through): refetch it from the issuer's discovery document's jwks_uri.".to_owned(),
    };
    f(format!(
        "the key {key} is refused for {alg}: {reason}; the signature was not checked"
    ))
    .actual(format!("key refused: {reason}"))
    .fix(fix)
}

fn failure_finding(failure: &F, allowed: &str, note: &str) -> Finding {
    let f =
        |msg: String| Finding::fail(SIGNATURE, format!("{msg}{note}")).expected(allowed.to_owned());
    match failure {
        F::AlgNone => f("the token says alg \"none\": it is unsigned and is never accepted".into())
            .actual("none")
            .fix("This token was forged or made for testing. Get a real token from Entra ID."),
        F::AlgHmac(a) => f(format!("the token says alg \"{a}\", a shared-secret MAC; Entra ID signs with RS256, and a verifier holding public keys must never accept an HMAC"))
            .actual(a.clone())
            .fix("This token was not issued by Entra ID (or was forged). Get a real token from Entra ID."),
        F::AlgUnknown(a) => f(format!("the token's alg \"{a}\" is not a supported signature algorithm"))
            .actual(a.clone())
            .fix("Entra ID signs with RS256. Check that this token comes from Entra ID."),
        F::AlgNotAllowed { alg, .. } => f(format!("the token is signed with {alg}, which is not allowed (algorithms are pinned, never taken from the token)"))
            .actual(alg.as_str())
            .fix(format!("Entra ID signs with RS256. If this token comes from another provider that uses {alg}, allow it with --alg {alg}.")),
        F::AlgKeyMismatch { alg, key, key_type } => f(format!("the token's alg {alg} does not fit the key {key}, which is a {key_type} key"))
            .actual(alg.as_str())
            .fix("The algorithm must match the key type; a mismatch is a sign of a forged token (algorithm confusion)."),
        F::KeyAlgPinned { alg, key, key_alg } => f(format!("the key {key} is published for {key_alg} only, but the token says {alg}"))
            .actual(alg.as_str())
            .fix("The token's algorithm does not match its key; it was not signed by this key's owner."),
        F::KeyNotFound { kid, x5t, available } => {
            let named = match (kid, x5t) {
                (Some(k), Some(t)) => format!("kid \"{k}\" with x5t \"{t}\""),
                (Some(k), None) => format!("kid \"{k}\""),
                (None, Some(t)) => format!("x5t \"{t}\""),
                (None, None) => "no key id".into(),
            };
            let avail = if available.is_empty() { "none".into() } else { available.join(", ") };
            f(format!("no key in the key set matches the token's {named}; the set has: {avail}"))
                .actual(named)
                .fix("Use the key set of the token's issuer and tenant (its discovery document's jwks_uri). Entra rotates keys: fetch the current set. Tokens for an application with its own signing keys need the keys URL with ?appid=<client-id>.")
        }
        F::KeyUnusable { kid, reason } => f(format!(
            "the key {} is in the key set but cannot be used: {reason}",
            kid.as_deref().map(|k| format!("\"{k}\"")).unwrap_or_default()
        ))
        .fix("Fix or refetch the key set; a key must be a public signing key whose x5c certificate agrees with n/e."),
        F::KeyRejected { key, alg, reason } => rejected_finding(f, key, *alg, *reason),
        F::Invalid { key } => f(format!("the signature does not match the key {key}: the token was altered after signing, or signed by someone else"))
            .actual("invalid signature")
            .fix("Copy the token again, exactly. If it still fails, the token was not issued with this key set: check the tenant and the keys URL."),
        F::GraphNonce { key } => f(format!("the header carries a 'nonce': this is a Microsoft Graph token, whose signature is computed over a transformed header, so only Microsoft Graph can verify it (checked against {key})"))
            .actual("nonce in header (Microsoft Graph token)")
            .fix("Do not validate Graph tokens yourself, and do not send them to other APIs. For Azure Databricks ask for a token for the resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d (scope 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default)."),
        F::KeyIssuerMismatch { key, key_issuer, token_issuer } => f(format!(
            "the key {key} may only sign for the issuer \"{key_issuer}\", but the token's issuer is \"{token_issuer}\""
        ))
        .expected(key_issuer.clone())
        .actual(token_issuer.clone())
        .fix("A token signed with another issuer's key (for example a personal Microsoft account key) must be refused; get a token from your organisation's tenant."),
        F::KeyApplicationMismatch { key, application, audience } => f(format!(
            "the key {key} is application {application}'s own signing key (fetched with ?appid={application}), and may sign only tokens for that application, but the token is for {audience}"
        ))
        .expected(format!("aud {application} or api://{application}"))
        .actual(audience.clone())
        .fix("An application's own keys are held by whoever registered it; a token for another resource (Azure Databricks) signed with them is forged. Get a token from Entra ID."),
    }
}
