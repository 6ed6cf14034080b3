//! Signature verification: the algorithm is pinned by the caller, the key
//! comes only from the trusted key set, and the outcome says exactly why a
//! signature did not verify.

use aws_lc_rs::digest::{self, Digest};

use crate::alg::{Algorithm, HeaderAlg};
use crate::jws::Token;
use crate::keys::{KeyRefusal, KeySelection, KeySet, VerifyingKey};

/// Why one signature did not verify against one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// The key's type cannot serve the algorithm (an RSA key for ES256...).
    WrongKeyType,
    /// The crypto library refused the key for this algorithm (for example an
    /// RSA key under 2048 bits).
    KeyRejected,
    /// The signature does not match.
    BadSignature,
}

/// Verifies `signature` over `message` with `key` under `alg`. The one
/// primitive every other check builds on.
pub fn verify_signature(
    alg: Algorithm,
    key: &VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    if let (Some(_), Some(d)) = (pkcs1_prefix(alg), digest_algorithm(alg)) {
        // Some only for an RSA key aws-lc-rs accepts for `alg`.
        if key.rsa65537(alg).is_some() {
            return verify_signature_prehashed(alg, key, &digest::digest(d, message), signature);
        }
    }
    verify_signature_general(alg, key, message, signature)
}

/// The DigestInfo prefix of a PKCS#1 v1.5 algorithm.
fn pkcs1_prefix(alg: Algorithm) -> Option<&'static [u8]> {
    use crate::keys::rsa65537::{SHA256_PREFIX, SHA384_PREFIX, SHA512_PREFIX};
    match alg {
        Algorithm::RS256 => Some(SHA256_PREFIX),
        Algorithm::RS384 => Some(SHA384_PREFIX),
        Algorithm::RS512 => Some(SHA512_PREFIX),
        _ => None,
    }
}

/// The digest an algorithm signs, for the algorithms that hash first
/// (all but EdDSA).
pub fn digest_algorithm(alg: Algorithm) -> Option<&'static digest::Algorithm> {
    match alg {
        Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256 => Some(&digest::SHA256),
        Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 => Some(&digest::SHA384),
        Algorithm::RS512 | Algorithm::PS512 => Some(&digest::SHA512),
        Algorithm::EdDSA => None,
    }
}

/// Hashes a token's signing input with the digest its header's algorithm
/// uses, so that a caller that also needs the digest (the verified-token
/// caches) hashes the token once. `None` for EdDSA or an unusable `alg`.
pub fn prehash(token: &Token) -> Option<Digest> {
    match token.header().alg() {
        Ok(HeaderAlg::Supported(a)) => {
            digest_algorithm(a).map(|d| digest::digest(d, token.signing_input()))
        }
        _ => None,
    }
}

/// Like [`verify_signature`], with the message already hashed by the
/// algorithm's digest (see [`prehash`]).
pub fn verify_signature_prehashed(
    alg: Algorithm,
    key: &VerifyingKey,
    hashed: &Digest,
    signature: &[u8],
) -> Result<(), VerifyError> {
    if alg.family() != key.material.family() {
        return Err(VerifyError::WrongKeyType);
    }
    match digest_algorithm(alg) {
        Some(d) if d == hashed.algorithm() => {}
        _ => return Err(VerifyError::BadSignature),
    }
    let parsed = key.parsed(alg).ok_or(VerifyError::KeyRejected)?;
    if let (Some(prefix), Some(fast)) = (pkcs1_prefix(alg), key.rsa65537(alg)) {
        match fast.verify(prefix, hashed.as_ref(), signature) {
            Some(true) => return Ok(()),
            Some(false) => return Err(VerifyError::BadSignature),
            None => {} // the fast path could not run: the general one decides
        }
    }
    parsed
        .verify_digest_sig(hashed, signature)
        .map_err(|_| VerifyError::BadSignature)
}

/// The general path alone (aws-lc-rs), without the RSA e = 65537 fast
/// path: what [`verify_signature`] uses for every other key, and what the
/// tests compare the fast path with.
#[doc(hidden)]
pub fn verify_signature_general(
    alg: Algorithm,
    key: &VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    if alg.family() != key.material.family() {
        return Err(VerifyError::WrongKeyType);
    }
    let parsed = key.parsed(alg).ok_or(VerifyError::KeyRejected)?;
    parsed
        .verify_sig(message, signature)
        .map_err(|_| VerifyError::BadSignature)
}

/// The result of checking a token's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureOutcome {
    /// Verified with the key named.
    Verified {
        /// The algorithm verified with (from the allowed list).
        alg: Algorithm,
        /// The key, as [`VerifyingKey::label`](crate::keys::VerifyingKey::label) names it.
        key: String,
        /// The key's own `issuer` member, when it has one.
        key_issuer: Option<String>,
    },
    /// Not verified, and why.
    Failed(SignatureFailure),
    /// No keys were given, so the signature was not checked: the token is
    /// not accepted (the verdict is incomplete).
    NoKeys,
    /// Not checked because the caller asked for the claims alone
    /// ([`Policy::skip_signature`](crate::Policy)): the token is not
    /// accepted either.
    Skipped,
}

impl SignatureOutcome {
    /// Whether the signature verified.
    pub fn is_verified(&self) -> bool {
        matches!(self, SignatureOutcome::Verified { .. })
    }
}

/// Why a token's signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureFailure {
    /// `alg: none`.
    AlgNone,
    /// An HMAC algorithm: a shared secret, never what Entra uses.
    AlgHmac(String),
    /// An algorithm the engine does not know.
    AlgUnknown(String),
    /// A supported algorithm that the policy does not allow.
    AlgNotAllowed {
        /// The header's algorithm.
        alg: Algorithm,
        /// What the policy allows.
        allowed: Vec<Algorithm>,
    },
    /// The header's `alg` needs another kind of key than the one selected.
    AlgKeyMismatch {
        /// The header's algorithm.
        alg: Algorithm,
        /// The key, as [`VerifyingKey::label`](crate::keys::VerifyingKey::label) names it.
        key: String,
        /// What kind of key it is, e.g. "RSA 2048-bit".
        key_type: String,
    },
    /// The JWK pins another `alg`.
    KeyAlgPinned {
        /// The header's algorithm.
        alg: Algorithm,
        /// The key, as [`VerifyingKey::label`](crate::keys::VerifyingKey::label) names it.
        key: String,
        /// The `alg` the JWK pins.
        key_alg: String,
    },
    /// No key in the set has the token's `kid`/`x5t`.
    KeyNotFound {
        /// The token's `kid`, if any.
        kid: Option<String>,
        /// The token's `x5t`, if any.
        x5t: Option<String>,
        /// Labels of the keys the set has (at most 20).
        available: Vec<String>,
    },
    /// The named key is in the set but could not be used.
    KeyUnusable {
        /// The key's `kid`, if any.
        kid: Option<String>,
        /// Why it was refused when the set was read.
        reason: String,
    },
    /// The key is refused for this algorithm before any signature is
    /// compared: too small or too large, not a point on its curve, ...
    KeyRejected {
        /// The key, as [`VerifyingKey::label`](crate::keys::VerifyingKey::label) names it.
        key: String,
        /// The algorithm it was to verify.
        alg: Algorithm,
        /// Why, when the key itself is refused (size, curve, exponent).
        reason: Option<KeyRefusal>,
    },
    /// The signature does not match the key.
    Invalid {
        /// The key, as [`VerifyingKey::label`](crate::keys::VerifyingKey::label) names it.
        key: String,
    },
    /// The header carries `nonce`: a Microsoft Graph token, signed over a
    /// transformed header; only Graph can verify it.
    GraphNonce {
        /// The key, as [`VerifyingKey::label`](crate::keys::VerifyingKey::label) names it.
        key: String,
    },
    /// The key carries an `issuer` that is not the token's issuer.
    KeyIssuerMismatch {
        /// The key, as [`VerifyingKey::label`](crate::keys::VerifyingKey::label) names it.
        key: String,
        /// The key's `issuer` member.
        key_issuer: String,
        /// The token's `iss`.
        token_issuer: String,
    },
    /// The key is an application's own key (fetched with `?appid=`), and
    /// the token is not for that application.
    KeyApplicationMismatch {
        /// The key, as [`VerifyingKey::label`](crate::keys::VerifyingKey::label) names it.
        key: String,
        /// The application the key belongs to.
        application: String,
        /// The token's `aud`.
        audience: String,
    },
}

/// Whether a token's audience is `application` (`<id>` or `api://<id>`,
/// case-insensitive): the only tokens an application's own signing keys may
/// verify. Every value of an array `aud` must name it.
pub fn audience_is_application(token: &Token, application: &str) -> bool {
    let claims = token.claims();
    match crate::claims::audiences(&claims.aud) {
        crate::claims::Claim::Present(auds) => {
            !application.is_empty()
                && !auds.is_empty()
                && auds.iter().all(|a| {
                    let id = a.strip_prefix("api://").unwrap_or(a);
                    id.eq_ignore_ascii_case(application)
                })
        }
        _ => false,
    }
}

/// The token's audience as text, for messages.
fn audience_text(token: &Token) -> String {
    let claims = token.claims();
    match crate::claims::audiences(&claims.aud) {
        crate::claims::Claim::Present(auds) => auds.join(", "),
        _ => "(none)".into(),
    }
}

/// The checks of the header's `alg` that need no key: `none`, HMAC, an
/// unknown algorithm and one the policy does not allow fail whether or not
/// keys are at hand.
pub fn check_alg(token: &Token, allowed: &[Algorithm]) -> Result<Algorithm, SignatureFailure> {
    use SignatureFailure as F;
    let alg = match token.header().alg() {
        Ok(HeaderAlg::Supported(a)) => a,
        Ok(HeaderAlg::None) => return Err(F::AlgNone),
        Ok(HeaderAlg::Hmac(a)) => return Err(F::AlgHmac(a)),
        Ok(HeaderAlg::Unknown(a)) => return Err(F::AlgUnknown(a)),
        // Parsing already refused these; stay total anyway.
        Err(_) => return Err(F::AlgUnknown(String::new())),
    };
    if !allowed.contains(&alg) {
        return Err(F::AlgNotAllowed {
            alg,
            allowed: allowed.to_vec(),
        });
    }
    Ok(alg)
}

/// Whether a key's `issuer` member allows a token issuer. Microsoft
/// publishes Entra keys with the template `{tenantid}`, filled with the
/// token's `tid`; consumer-account keys carry a fixed tenant.
pub fn key_issuer_allows(key_issuer: &str, token_iss: &str, token_tid: Option<&str>) -> bool {
    let filled = match token_tid {
        Some(tid) => key_issuer.replace("{tenantid}", tid),
        None => key_issuer.to_owned(),
    };
    if filled.eq_ignore_ascii_case(token_iss) {
        return true;
    }
    // The same keys sign v1 and v2 tokens; Microsoft publishes the v2
    // issuer on them. A v1 token of the same tenant and cloud is allowed;
    // two v2 issuers must match exactly (another cloud is another issuer).
    match (
        crate::issuer::parse(&filled),
        crate::issuer::parse(token_iss),
    ) {
        (Some(k), Some(t)) if t.version == crate::issuer::IssuerVersion::V1 => {
            k.tenant.eq_ignore_ascii_case(&t.tenant)
                && crate::issuer::v1_host_for_authority(&k.host)
                    == crate::issuer::v1_host_for_authority(&t.host)
        }
        _ => false,
    }
}

/// Checks a token's signature against a trusted key set, with the algorithms
/// the policy allows. The token's `jku`, `x5u`, `jwk` and `x5c` are ignored.
pub fn verify_token(token: &Token, keys: &KeySet, allowed: &[Algorithm]) -> SignatureOutcome {
    verify_token_prehashed(token, keys, allowed, None)
}

/// Like [`verify_token`], reusing a digest from [`prehash`] when given.
pub fn verify_token_prehashed(
    token: &Token,
    keys: &KeySet,
    allowed: &[Algorithm],
    hashed: Option<&Digest>,
) -> SignatureOutcome {
    use SignatureFailure as F;
    let header = token.header();
    let alg = match check_alg(token, allowed) {
        Ok(a) => a,
        Err(f) => return SignatureOutcome::Failed(f),
    };
    let candidates = match keys.select(&header) {
        KeySelection::Matched { keys, .. } | KeySelection::Unnamed { keys } => keys,
        KeySelection::NotFound { kid, x5t } => {
            let available = keys
                .keys()
                .iter()
                .map(VerifyingKey::label)
                .take(20)
                .collect();
            return SignatureOutcome::Failed(F::KeyNotFound {
                kid,
                x5t,
                available,
            });
        }
        KeySelection::Unusable { problem } => {
            return SignatureOutcome::Failed(F::KeyUnusable {
                kid: problem.kid.clone(),
                reason: problem.reason.clone(),
            })
        }
    };
    let mut last = None;
    for key in &candidates {
        if let Some(app) = &key.application {
            // An application's own key: only for tokens issued to it. Not
            // even tried otherwise.
            if !audience_is_application(token, app) {
                keep_most_specific(
                    &mut last,
                    F::KeyApplicationMismatch {
                        key: key.label(),
                        application: app.clone(),
                        audience: audience_text(token),
                    },
                );
                continue;
            }
        }
        if let Some(key_alg) = &key.alg {
            if key_alg != alg.as_str() {
                keep_most_specific(
                    &mut last,
                    F::KeyAlgPinned {
                        alg,
                        key: key.label(),
                        key_alg: key_alg.clone(),
                    },
                );
                continue;
            }
        }
        let result = match hashed {
            Some(h) if digest_algorithm(alg).is_some_and(|d| d == h.algorithm()) => {
                verify_signature_prehashed(alg, key, h, token.signature())
            }
            _ => verify_signature(alg, key, token.signing_input(), token.signature()),
        };
        match result {
            Ok(()) => {
                if let Some(ki) = &key.issuer {
                    // Read only when a key binds an issuer.
                    let claims = token.claims();
                    let token_iss = claims.iss.and_then(|v| v.as_str());
                    let token_tid = claims.tid.and_then(|v| v.as_str());
                    let iss = token_iss.unwrap_or("");
                    if !key_issuer_allows(ki, iss, token_tid) {
                        return SignatureOutcome::Failed(F::KeyIssuerMismatch {
                            key: key.label(),
                            key_issuer: ki.clone(),
                            token_issuer: iss.to_owned(),
                        });
                    }
                }
                return SignatureOutcome::Verified {
                    alg,
                    key: key.label_copy(),
                    key_issuer: key.issuer.clone(),
                };
            }
            Err(VerifyError::WrongKeyType) => keep_most_specific(
                &mut last,
                F::AlgKeyMismatch {
                    alg,
                    key: key.label(),
                    key_type: key.material.describe(),
                },
            ),
            Err(VerifyError::KeyRejected) => keep_most_specific(
                &mut last,
                F::KeyRejected {
                    key: key.label(),
                    alg,
                    reason: key.refusal(alg),
                },
            ),
            Err(VerifyError::BadSignature) => keep_most_specific(
                &mut last,
                if header.nonce.is_some() {
                    F::GraphNonce { key: key.label() }
                } else {
                    F::Invalid { key: key.label() }
                },
            ),
        }
    }
    SignatureOutcome::Failed(last.unwrap_or(F::KeyNotFound {
        kid: None,
        x5t: None,
        available: Vec::new(),
    }))
}

/// How telling a failure is, when several keys were tried: a key of the
/// right type that rejects the signature says more than a key of the wrong
/// type.
fn specificity(f: &SignatureFailure) -> u8 {
    match f {
        SignatureFailure::Invalid { .. } | SignatureFailure::GraphNonce { .. } => 3,
        SignatureFailure::KeyApplicationMismatch { .. } => 2,
        SignatureFailure::KeyRejected { .. } => 2,
        SignatureFailure::KeyAlgPinned { .. } => 1,
        _ => 0,
    }
}

fn keep_most_specific(last: &mut Option<SignatureFailure>, new: SignatureFailure) {
    if last
        .as_ref()
        .is_none_or(|old| specificity(&new) >= specificity(old))
    {
        *last = Some(new);
    }
}

#[cfg(test)]
mod tests {
    use super::key_issuer_allows;

    const ORG: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const MSA: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

    #[test]
    fn templated_key_issuer_binds_to_the_tokens_tenant() {
        let k = "https://login.microsoftonline.com/{tenantid}/v2.0";
        assert!(key_issuer_allows(
            k,
            &format!("https://login.microsoftonline.com/{ORG}/v2.0"),
            Some(ORG)
        ));
        assert!(key_issuer_allows(
            k,
            &format!("https://sts.windows.net/{ORG}/"),
            Some(ORG)
        ));
        assert!(!key_issuer_allows(
            k,
            &format!("https://login.microsoftonline.com/{ORG}/v2.0"),
            Some(MSA)
        ));
    }

    #[test]
    fn a_v2_key_issuer_of_one_cloud_refuses_another_clouds_v2_token() {
        let k = "https://login.microsoftonline.com/{tenantid}/v2.0";
        assert!(!key_issuer_allows(
            k,
            &format!("https://login.microsoftonline.us/{ORG}/v2.0"),
            Some(ORG)
        ));
    }

    #[test]
    fn consumer_key_refuses_an_organisations_token() {
        let k = format!("https://login.microsoftonline.com/{MSA}/v2.0");
        assert!(!key_issuer_allows(
            &k,
            &format!("https://login.microsoftonline.com/{ORG}/v2.0"),
            Some(ORG)
        ));
        assert!(!key_issuer_allows(
            &k,
            &format!("https://sts.windows.net/{ORG}/"),
            Some(ORG)
        ));
        assert!(key_issuer_allows(
            &k,
            &format!("https://login.microsoftonline.com/{MSA}/v2.0"),
            Some(MSA)
        ));
    }
}
