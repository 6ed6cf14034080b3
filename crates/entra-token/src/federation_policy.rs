//! Databricks token federation policies: would a Databricks account accept
//! an external JWT (a GitHub Actions ID token, a Kubernetes service account
//! token, another IdP's token) in the RFC 8693 exchange at
//! `<host>/oidc/v1/token`?
//!
//! The policy is the account API's federation policy object
//! (`{"name", "uid", "oidc_policy": {"issuer", "audiences", "subject",
//! "subject_claim", "jwks_json"?}, "service_principal_id"?, ...}`), or its
//! `oidc_policy` alone. [`decide`] compares the token with it and gives a
//! typed [`Evaluation`]; [`describe`] turns that into findings of the usual
//! model (`signature`, `audience`, `issuer`, `lifetime`, `identity`), so the
//! verdict is decided the one way: valid only when the signature verified.
//!
//! The rules, as Databricks documents them: the issuer matches exactly; one
//! of the token's audiences is one of the policy's (none listed: the
//! Databricks account ID); the subject claim (default `sub`) equals the
//! policy's `subject` (required for a service principal policy); the token
//! is signed with RS256 or ES256; it has not expired. No clock skew is
//! assumed. Pure: "now" and the keys are inputs.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::alg::{Algorithm, HeaderAlg};
use crate::claims::{audiences, numeric_date, Claim};
use crate::findings::names::{AUDIENCE, IDENTITY, ISSUER, LIFETIME, SIGNATURE};
use crate::findings::{Finding, Report};
use crate::jws::Token;
use crate::keys::KeySet;
use crate::timefmt::utc;
use crate::verify::{verify_token, SignatureOutcome};

/// The largest policy file accepted, in bytes.
pub const MAX_POLICY_BYTES: usize = 64 * 1024;

/// The algorithms Databricks accepts on federated tokens.
pub const FEDERATION_ALGORITHMS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// Whose policy it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyKind {
    /// An account federation policy: the subject claim names a user or
    /// service principal of the account.
    Account,
    /// A service principal (workload identity) federation policy: the
    /// exchange names the service principal (`client_id`), and the token's
    /// subject must be the policy's.
    ServicePrincipal {
        /// `service_principal_id` (Databricks' numeric ID), when given.
        id: Option<String>,
    },
}

/// A federation policy, read from the account API's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationPolicy {
    /// `name` (`accounts/<id>/federationPolicies/<policy>` or
    /// `accounts/<id>/servicePrincipals/<sp>/federationPolicies/<policy>`).
    pub name: Option<String>,
    /// `uid`.
    pub uid: Option<String>,
    /// `oidc_policy.issuer`.
    pub issuer: String,
    /// `oidc_policy.audiences` (empty: the account ID).
    pub audiences: Vec<String>,
    /// `oidc_policy.subject`.
    pub subject: Option<String>,
    /// `oidc_policy.subject_claim` (default `sub`).
    pub subject_claim: String,
    /// `oidc_policy.jwks_json`, when the policy pins its keys.
    pub jwks_json: Option<String>,
    /// `oidc_policy.jwks_uri`, when the policy names where its keys are.
    pub jwks_uri: Option<String>,
    /// Account or service principal policy.
    pub kind: PolicyKind,
}

/// Why a policy file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

fn str_member(o: &Map<String, Value>, k: &str) -> Result<Option<String>, PolicyError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(PolicyError(format!(
            "'{k}' is {} instead of a string",
            json_kind(other)
        ))),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl FederationPolicy {
    /// Reads a policy: the API's object (with `oidc_policy`) or the bare
    /// `oidc_policy`. Unknown members are ignored (the API adds output
    /// fields); a wrong type, a missing issuer, or an oversized or too
    /// deeply nested file is an error.
    pub fn parse(text: &str) -> Result<FederationPolicy, PolicyError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(PolicyError(format!(
                "the policy is {} bytes, over the {MAX_POLICY_BYTES}-byte bound",
                text.len()
            )));
        }
        if crate::limits::json_depth_exceeds(text.as_bytes(), crate::limits::MAX_JSON_DEPTH) {
            return Err(PolicyError("the policy is nested too deeply".into()));
        }
        let v: Value = serde_json::from_str(text)
            .map_err(|e| PolicyError(format!("the policy is not JSON: {e}")))?;
        let Value::Object(outer) = v else {
            return Err(PolicyError(format!(
                "the policy is {} instead of an object",
                json_kind(&v)
            )));
        };
        if let Some(Value::Array(list)) = outer.get("policies") {
            return Err(PolicyError(format!(
                "the file is a list of {} policies (federation-policy list): give one of them (federation-policy get <id>)",
                list.len()
            )));
        }
        let (wrapper, oidc) = match outer.get("oidc_policy") {
            Some(Value::Object(o)) => (Some(&outer), o),
            Some(other) => {
                return Err(PolicyError(format!(
                    "'oidc_policy' is {} instead of an object",
                    json_kind(other)
                )))
            }
            None if outer.contains_key("issuer") => (None, &outer),
            None => {
                return Err(PolicyError(
                    "the policy has neither 'oidc_policy' nor 'issuer': give the account API's federation policy object (databricks account federation-policy get <id>) or its 'oidc_policy'".into(),
                ))
            }
        };
        let issuer = str_member(oidc, "issuer")?
            .filter(|i| !i.is_empty())
            .ok_or_else(|| PolicyError("the policy has no 'oidc_policy.issuer'".into()))?;
        let audiences = match oidc.get("audiences") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str().map(str::to_owned).ok_or_else(|| {
                        PolicyError(format!(
                            "'audiences' holds {} instead of strings",
                            json_kind(i)
                        ))
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(PolicyError(format!(
                    "'audiences' is {} instead of an array of strings",
                    json_kind(other)
                )))
            }
        };
        let subject = str_member(oidc, "subject")?.filter(|s| !s.is_empty());
        let subject_claim = str_member(oidc, "subject_claim")?
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "sub".to_owned());
        let name = match wrapper {
            Some(w) => str_member(w, "name")?,
            None => None,
        };
        let uid = match wrapper {
            Some(w) => str_member(w, "uid")?,
            None => None,
        };
        let sp_id = wrapper
            .and_then(|w| w.get("service_principal_id"))
            .and_then(|v| match v {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) => Some(s.clone()),
                _ => None,
            });
        let sp_by_name = name
            .as_deref()
            .is_some_and(|n| n.contains("/servicePrincipals/"));
        let kind = if sp_id.is_some() || sp_by_name || subject.is_some() {
            PolicyKind::ServicePrincipal { id: sp_id }
        } else {
            PolicyKind::Account
        };
        Ok(FederationPolicy {
            name,
            uid,
            issuer,
            audiences,
            subject,
            subject_claim,
            jwks_json: str_member(oidc, "jwks_json")?,
            jwks_uri: str_member(oidc, "jwks_uri")?,
            kind,
        })
    }

    /// The policy's name for messages: the last part of its `name`
    /// (`accounts/…/federationPolicies/<this>`), else its issuer.
    pub fn label(&self) -> String {
        match self.name.as_deref().and_then(|n| n.rsplit('/').next()) {
            Some(n) if !n.is_empty() => format!("the policy '{n}'"),
            _ => format!("the policy for {}", self.issuer),
        }
    }

    /// Whether it is a service principal (workload) policy.
    pub fn is_service_principal(&self) -> bool {
        matches!(self.kind, PolicyKind::ServicePrincipal { .. })
    }
}

/// What the evaluation is given besides the token and the policy.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The Databricks account ID: the audience when the policy lists none.
    pub account_id: Option<&'a str>,
    /// "Now", epoch seconds.
    pub now: i64,
    /// Keys of the policy's issuer, and where they came from; `None`: the
    /// signature is not verified (and the verdict is not valid).
    pub keys: Option<(&'a KeySet, &'a str)>,
}

/// The issuer rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerOutcome {
    /// Exactly the policy's.
    Match(String),
    /// Another issuer.
    Differs {
        /// The token's `iss`.
        token: String,
        /// The policy's issuer.
        policy: String,
    },
    /// No `iss`, or not a string.
    Missing(String),
}

/// The audience rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudienceOutcome {
    /// One of the token's audiences is allowed.
    Match {
        /// The audience that matched.
        matched: String,
        /// Matched the default (the account ID).
        by_default: bool,
    },
    /// None is.
    Differs {
        /// The token's audiences.
        token: Vec<String>,
        /// What the policy allows.
        allowed: Vec<String>,
        /// The policy lists none, so the account ID is the audience.
        by_default: bool,
    },
    /// The policy lists no audience and the account ID is not known.
    DefaultUnknown {
        /// The token's audiences.
        token: Vec<String>,
    },
    /// No `aud`, or not a string or array of strings.
    Missing(String),
}

/// The subject rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectOutcome {
    /// The claim equals the policy's subject.
    Match {
        /// The claim read.
        claim: String,
        /// Its value.
        value: String,
    },
    /// Account policy: the claim's value names the Databricks user.
    Names {
        /// The claim read.
        claim: String,
        /// Its value.
        value: String,
    },
    /// Another subject.
    Differs {
        /// The claim read.
        claim: String,
        /// The token's value.
        token: String,
        /// The policy's subject.
        policy: String,
    },
    /// The claim is absent or not a string.
    Missing {
        /// The claim read.
        claim: String,
        /// What was there instead (empty when absent).
        what: String,
    },
    /// A service principal policy without a subject: Databricks refuses it.
    PolicyHasNoSubject,
}

/// The algorithm rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlgOutcome {
    /// RS256 or ES256.
    Allowed(Algorithm),
    /// Anything else, as the header says it.
    Refused(String),
}

/// The lifetime rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LifetimeOutcome {
    /// Not expired, not before `nbf`.
    Valid {
        /// `exp`.
        exp: i64,
    },
    /// `exp` is now or past.
    Expired {
        /// `exp`.
        exp: i64,
    },
    /// `nbf` is in the future.
    NotYet {
        /// `nbf`.
        nbf: i64,
    },
    /// No usable `exp`.
    NoExpiry(String),
}

/// The whole evaluation, decided; [`describe`] gives its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The issuer rule.
    pub issuer: IssuerOutcome,
    /// The audience rule.
    pub audience: AudienceOutcome,
    /// The subject rule.
    pub subject: SubjectOutcome,
    /// The algorithm rule.
    pub alg: AlgOutcome,
    /// The lifetime rule.
    pub lifetime: LifetimeOutcome,
    /// The signature, with the policy issuer's keys (`NoKeys` without them,
    /// or when the token is another issuer's).
    pub signature: SignatureOutcome,
    /// Where the keys came from (empty without keys).
    pub keys_from: String,
}

impl Evaluation {
    /// Whether every rule the policy states holds (the signature aside).
    pub fn claims_accepted(&self) -> bool {
        matches!(self.issuer, IssuerOutcome::Match(_))
            && matches!(self.audience, AudienceOutcome::Match { .. })
            && matches!(
                self.subject,
                SubjectOutcome::Match { .. } | SubjectOutcome::Names { .. }
            )
            && matches!(self.alg, AlgOutcome::Allowed(_))
            && matches!(self.lifetime, LifetimeOutcome::Valid { .. })
    }
}

fn claim_text(v: Option<&Value>) -> Result<String, String> {
    match v {
        None => Err(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("{} instead of a string", json_kind(other))),
    }
}

/// Compares the token with the policy.
pub fn decide(token: &Token, policy: &FederationPolicy, inputs: &Inputs<'_>) -> Evaluation {
    let claims = token.claims();
    let payload = token.payload_value();
    let issuer = match claim_text(payload.get("iss")) {
        Ok(iss) if iss == policy.issuer => IssuerOutcome::Match(iss),
        Ok(iss) => IssuerOutcome::Differs {
            token: iss,
            policy: policy.issuer.clone(),
        },
        Err(what) => IssuerOutcome::Missing(what),
    };
    let by_default = policy.audiences.is_empty();
    let allowed: Vec<String> = if by_default {
        inputs.account_id.map(str::to_owned).into_iter().collect()
    } else {
        policy.audiences.clone()
    };
    let audience = match audiences(&claims.aud) {
        Claim::Present(auds) => {
            let auds: Vec<String> = auds.iter().map(Cow::to_string).collect();
            if by_default && allowed.is_empty() {
                AudienceOutcome::DefaultUnknown { token: auds }
            } else if let Some(m) = auds.iter().find(|a| allowed.contains(a)) {
                AudienceOutcome::Match {
                    matched: m.clone(),
                    by_default,
                }
            } else {
                AudienceOutcome::Differs {
                    token: auds,
                    allowed,
                    by_default,
                }
            }
        }
        Claim::Missing => AudienceOutcome::Missing(String::new()),
        Claim::Malformed(what) => AudienceOutcome::Missing(what),
    };
    let claim = policy.subject_claim.clone();
    let subject = match (claim_text(payload.get(&claim)), &policy.subject) {
        (Err(what), _) => SubjectOutcome::Missing { claim, what },
        (Ok(value), Some(want)) if value == *want => SubjectOutcome::Match { claim, value },
        (Ok(value), Some(want)) => SubjectOutcome::Differs {
            claim,
            token: value,
            policy: want.clone(),
        },
        (Ok(_), None) if policy.is_service_principal() => SubjectOutcome::PolicyHasNoSubject,
        (Ok(value), None) => SubjectOutcome::Names { claim, value },
    };
    let alg = match token.header().alg() {
        Ok(HeaderAlg::Supported(a)) if FEDERATION_ALGORITHMS.contains(&a) => AlgOutcome::Allowed(a),
        Ok(HeaderAlg::Supported(a)) => AlgOutcome::Refused(a.as_str().to_owned()),
        Ok(HeaderAlg::None) => AlgOutcome::Refused("none".into()),
        Ok(HeaderAlg::Hmac(a)) | Ok(HeaderAlg::Unknown(a)) => AlgOutcome::Refused(a),
        Err(_) => AlgOutcome::Refused(String::new()),
    };
    let lifetime = match (numeric_date(&claims.exp), numeric_date(&claims.nbf)) {
        (Claim::Present(exp), _) if exp <= inputs.now => LifetimeOutcome::Expired { exp },
        (Claim::Present(_), Claim::Present(nbf)) if nbf > inputs.now => {
            LifetimeOutcome::NotYet { nbf }
        }
        (Claim::Present(exp), _) => LifetimeOutcome::Valid { exp },
        (Claim::Missing, _) => LifetimeOutcome::NoExpiry("no 'exp' claim".into()),
        (Claim::Malformed(w), _) => LifetimeOutcome::NoExpiry(format!("'exp' is {w}")),
    };
    // Keys are the policy issuer's: they say nothing of another issuer's token.
    let (signature, keys_from) = match inputs.keys {
        Some((keys, from)) if matches!(issuer, IssuerOutcome::Match(_)) => (
            verify_token(token, keys, &FEDERATION_ALGORITHMS),
            from.to_owned(),
        ),
        _ => (SignatureOutcome::NoKeys, String::new()),
    };
    Evaluation {
        issuer,
        audience,
        subject,
        alg,
        lifetime,
        signature,
        keys_from,
    }
}

fn quoted(v: &[String]) -> String {
    v.iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first position where two strings differ, for messages ("differs at
/// character 27").
fn first_difference(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count() + 1
}

/// The evaluation as findings (`signature`, `audience`, `issuer`,
/// `lifetime`, `identity`), each failure naming the differing value and the
/// fix. The caller adds the `format` finding.
pub fn describe(e: &Evaluation, policy: &FederationPolicy, token: &Token) -> Report {
    let label = policy.label();
    let mut findings = Vec::new();

    findings.push(match (&e.alg, &e.signature) {
        (AlgOutcome::Refused(a), _) => Finding::fail(
            SIGNATURE,
            format!("the token is signed with '{a}': Databricks token federation accepts RS256 and ES256 only"),
        )
        .expected("RS256 or ES256")
        .actual(a.clone())
        .fix("Configure the identity provider to sign its tokens with RS256 (RSA) or ES256 (EC P-256)."),
        (_, SignatureOutcome::NoKeys) | (_, SignatureOutcome::Skipped) => {
            let why = if matches!(e.issuer, IssuerOutcome::Match(_)) {
                "no keys of the policy's issuer were at hand"
            } else {
                "the token is not the policy issuer's, so the issuer's keys say nothing about it"
            };
            Finding::skip(SIGNATURE, format!("not verified: {why}; Databricks fetches the issuer's keys from its OpenID discovery (or the policy's jwks_json)"))
                .fix(format!("Run online so that the keys come from {}/.well-known/openid-configuration, or give them with --jwks FILE.", policy.issuer.trim_end_matches('/')))
        }
        (AlgOutcome::Allowed(_), sig) => {
            let mut p = crate::policy::Policy::databricks(0);
            p.algorithms = FEDERATION_ALGORITHMS.to_vec();
            let mut f = crate::rules::signature_finding(token, sig, &p);
            if sig.is_verified() && !e.keys_from.is_empty() {
                f.message = format!("{} (keys from {})", f.message, e.keys_from);
            }
            f
        }
    });

    findings.push(match &e.audience {
        AudienceOutcome::Match { matched, by_default } => Finding::pass(
            AUDIENCE,
            if *by_default {
                format!("the audience '{matched}' is the account ID, which {label} expects as it lists no audiences")
            } else {
                format!("the audience '{matched}' is one {label} allows")
            },
        )
        .actual(matched.clone()),
        AudienceOutcome::Differs { token, allowed, by_default } => {
            let how = if *by_default {
                format!("{label} lists no audiences, so the token's audience must be the Databricks account ID")
            } else {
                format!("{label} allows {}", quoted(allowed))
            };
            // The SDKs ask GitHub for the workspace's token endpoint when
            // token_audience is not set.
            let sdk_default = if token.iter().any(|a| a.ends_with("/oidc/v1/token")) {
                " The Databricks SDKs ask GitHub Actions for the workspace's token endpoint as the audience unless token_audience (DATABRICKS_TOKEN_AUDIENCE) is set: set it to an allowed audience."
            } else {
                ""
            };
            Finding::fail(AUDIENCE, format!("the token's audience {} is not allowed: {how}", quoted(token)))
                .expected(allowed.join(" or "))
                .actual(token.join(", "))
                .fix(format!(
                    "Ask the identity provider for a token with the audience {} (GitHub Actions: core.getIDToken('<audience>') or the 'audience' input), or add '{}' to the policy's audiences.{sdk_default}",
                    quoted(allowed),
                    token.first().map(String::as_str).unwrap_or("")
                ))
        }
        AudienceOutcome::DefaultUnknown { token } => Finding::skip(
            AUDIENCE,
            format!("{label} lists no audiences, so the token's audience must be the Databricks account ID, which is not known here (the token has {})", quoted(token)),
        )
        .actual(token.join(", "))
        .fix("Give the account ID (DATABRICKS_ACCOUNT_ID, or account_id in the profile), or list the audiences in the policy."),
        AudienceOutcome::Missing(what) => Finding::fail(
            AUDIENCE,
            if what.is_empty() { "the token has no 'aud' claim".to_owned() } else { format!("the token's 'aud' is {what}") },
        )
        .expected(if policy.audiences.is_empty() { "the account ID".to_owned() } else { policy.audiences.join(" or ") })
        .fix("Ask the identity provider for a token with an audience the policy allows."),
    });

    findings.push(match &e.issuer {
        IssuerOutcome::Match(i) => Finding::pass(ISSUER, format!("the issuer '{i}' is exactly the one {label} names")).actual(i.clone()),
        IssuerOutcome::Differs { token: t, policy: p } => {
            let near = if t.eq_ignore_ascii_case(p) {
                " (they differ only in letter case; the comparison is exact)".to_owned()
            } else if t.trim_end_matches('/') == p.trim_end_matches('/') {
                " (they differ only in a trailing '/'; the comparison is exact)".to_owned()
            } else {
                format!(" (they differ from character {})", first_difference(t, p))
            };
            Finding::fail(ISSUER, format!("the token's issuer '{t}' is not the one {label} names, '{p}'{near}"))
                .expected(p.clone())
                .actual(t.clone())
                .fix(format!("Set the policy's oidc_policy.issuer to '{t}' exactly (if that issuer is to be trusted), or use a token of '{p}'."))
        }
        IssuerOutcome::Missing(what) => Finding::fail(
            ISSUER,
            if what.is_empty() { "the token has no 'iss' claim".to_owned() } else { format!("the token's 'iss' is {what}") },
        )
        .expected(policy.issuer.clone())
        .fix("Use an ID token of the identity provider the policy names."),
    });

    findings.push(match &e.lifetime {
        LifetimeOutcome::Valid { exp } => Finding::pass(LIFETIME, format!("valid until {}", utc(*exp))).actual(utc(*exp)),
        LifetimeOutcome::Expired { exp } => Finding::fail(LIFETIME, format!("the token expired at {}", utc(*exp)))
            .actual(utc(*exp))
            .fix("Get a fresh token from the identity provider just before the exchange (CI ID tokens live minutes: request it in the step that uses it)."),
        LifetimeOutcome::NotYet { nbf } => Finding::fail(LIFETIME, format!("the token is not valid before {}", utc(*nbf)))
            .actual(utc(*nbf))
            .fix("Synchronise this machine's clock (NTP), or wait."),
        LifetimeOutcome::NoExpiry(what) => Finding::fail(LIFETIME, format!("the token has no usable expiry: {what}"))
            .fix("Databricks exchanges only tokens with an 'exp' claim; use the identity provider's ID token."),
    });

    findings.push(match &e.subject {
        SubjectOutcome::Match { claim, value } => Finding::pass(IDENTITY, format!("the '{claim}' claim '{value}' is the subject {label} requires")).actual(value.clone()),
        SubjectOutcome::Names { claim, value } => Finding::pass(
            IDENTITY,
            format!("the '{claim}' claim '{value}' names the Databricks user or service principal (it must exist in the account)"),
        )
        .actual(value.clone()),
        SubjectOutcome::Differs { claim, token: t, policy: p } => Finding::fail(
            IDENTITY,
            format!("the token's '{claim}' is '{t}', not the subject {label} requires, '{p}' (they differ from character {})", first_difference(t, p)),
        )
        .expected(p.clone())
        .actual(t.clone())
        .fix(format!("Run the workload where the policy expects it (for GitHub Actions the subject carries the repository, branch or environment), or set the policy's subject to '{t}'.")),
        SubjectOutcome::Missing { claim, what } => Finding::fail(
            IDENTITY,
            if what.is_empty() { format!("the token has no '{claim}' claim, which {label} reads as the subject") } else { format!("the token's '{claim}' is {what}") },
        )
        .expected(policy.subject.clone().unwrap_or_else(|| format!("a '{claim}' claim")))
        .fix(format!("Set the policy's subject_claim to a claim the token has, or have the identity provider add '{claim}'.")),
        SubjectOutcome::PolicyHasNoSubject => Finding::fail(IDENTITY, format!("{label} is a service principal policy without a subject; Databricks requires one"))
            .fix("Set oidc_policy.subject to the workload's subject (e.g. repo:<org>/<repo>:environment:<env>)."),
    });

    Report { findings }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_oidc_policy_and_the_api_object_read_alike() {
        let bare = FederationPolicy::parse(r#"{"issuer":"https://i","audiences":["a"]}"#).unwrap();
        let api = FederationPolicy::parse(
            r#"{"name":"accounts/x/federationPolicies/p","uid":"u","oidc_policy":{"issuer":"https://i","audiences":["a"]},"create_time":"2025-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(bare.issuer, api.issuer);
        assert_eq!(bare.audiences, api.audiences);
        assert_eq!(api.subject_claim, "sub");
        assert_eq!(api.kind, PolicyKind::Account);
        assert_eq!(api.uid.as_deref(), Some("u"));
        assert_eq!(api.label(), "the policy 'p'");
        assert_eq!(bare.label(), "the policy for https://i");
    }

    #[test]
    fn a_service_principal_policy_is_recognised_by_name_id_or_subject() {
        for text in [
            r#"{"name":"accounts/x/servicePrincipals/42/federationPolicies/p","oidc_policy":{"issuer":"https://i"}}"#,
            r#"{"service_principal_id":42,"oidc_policy":{"issuer":"https://i"}}"#,
            r#"{"issuer":"https://i","subject":"repo:o/r:ref:refs/heads/main"}"#,
        ] {
            assert!(
                FederationPolicy::parse(text)
                    .unwrap()
                    .is_service_principal(),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_policy_files_are_refused_with_the_reason() {
        let e = |t: &str| FederationPolicy::parse(t).unwrap_err().0;
        assert!(e("[]").contains("instead of an object"));
        assert!(e(r#"{"oidc_policy":{"audiences":["a"]}}"#).contains("no 'oidc_policy.issuer'"));
        assert!(e(r#"{"issuer":"https://i","audiences":"a"}"#).contains("'audiences' is a string"));
        assert!(e(r#"{"x":1}"#).contains("neither 'oidc_policy' nor 'issuer'"));
        assert!(e(r#"{"policies":[{},{}]}"#).contains("a list of 2 policies"));
        assert!(e(&" ".repeat(MAX_POLICY_BYTES + 1)).contains("bound"));
        assert!(e(&format!("{}{}", "[".repeat(100), "]".repeat(100))).contains("nested"));
    }

    #[test]
    fn first_difference_counts_from_one() {
        assert_eq!(first_difference("abc", "abd"), 3);
        assert_eq!(first_difference("x", "y"), 1);
    }
    fn b64(s: &str) -> String {
        crate::b64::encode(s.as_bytes())
    }

    /// A token with these claims and `alg`; the signature is not real.
    fn token(alg: &str, claims: &str) -> Token {
        let h = b64(&format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"k"}}"#));
        Token::parse(&format!("{h}.{}.c2ln", b64(claims))).unwrap()
    }

    const NOW: i64 = 1_800_000_000;

    fn sp_policy() -> FederationPolicy {
        FederationPolicy::parse(
            r#"{"name":"accounts/acc/servicePrincipals/7/federationPolicies/gh","oidc_policy":{"issuer":"https://token.actions.githubusercontent.com","audiences":["https://github.com/contoso"],"subject":"repo:contoso/app:environment:prod"}}"#,
        )
        .unwrap()
    }

    fn claims(iss: &str, aud: &str, sub: &str, exp: i64) -> String {
        format!(
            r#"{{"iss":"{iss}","aud":"{aud}","sub":"{sub}","exp":{exp},"nbf":{}}}"#,
            NOW - 60
        )
    }

    fn eval(t: &Token, p: &FederationPolicy, account: Option<&str>) -> (Evaluation, Report) {
        let e = decide(
            t,
            p,
            &Inputs {
                account_id: account,
                now: NOW,
                keys: None,
            },
        );
        let r = describe(&e, p, t);
        (e, r)
    }

    const GH: &str = "https://token.actions.githubusercontent.com";
    const AUD: &str = "https://github.com/contoso";
    const SUB: &str = "repo:contoso/app:environment:prod";

    #[test]
    fn a_matching_token_is_accepted_but_not_valid_without_keys() {
        let t = token("RS256", &claims(GH, AUD, SUB, NOW + 600));
        let (e, r) = eval(&t, &sp_policy(), None);
        assert!(e.claims_accepted(), "{r:#?}");
        assert!(r.claims_valid());
        assert_eq!(r.verdict(), crate::Verdict::Incomplete);
        assert_eq!(r.get(SIGNATURE).unwrap().status, crate::Status::Skip);
    }

    #[test]
    fn each_policy_failure_names_the_differing_value() {
        let p = sp_policy();
        let cases = [
            (
                token(
                    "RS256",
                    &claims(
                        "https://token.actions.githubusercontent.com/",
                        AUD,
                        SUB,
                        NOW + 600,
                    ),
                ),
                ISSUER,
                "https://token.actions.githubusercontent.com/",
                "trailing '/'",
            ),
            (
                token(
                    "RS256",
                    &claims(GH, "https://github.com/other", SUB, NOW + 600),
                ),
                AUDIENCE,
                "https://github.com/other",
                "is not allowed",
            ),
            (
                token(
                    "RS256",
                    &claims(GH, AUD, "repo:contoso/app:ref:refs/heads/dev", NOW + 600),
                ),
                IDENTITY,
                "repo:contoso/app:ref:refs/heads/dev",
                "character 18",
            ),
            (
                token("HS256", &claims(GH, AUD, SUB, NOW + 600)),
                SIGNATURE,
                "HS256",
                "RS256 and ES256 only",
            ),
            (
                token("PS256", &claims(GH, AUD, SUB, NOW + 600)),
                SIGNATURE,
                "PS256",
                "RS256 and ES256 only",
            ),
            (
                token("RS256", &claims(GH, AUD, SUB, NOW - 1)),
                LIFETIME,
                &utc(NOW - 1),
                "expired",
            ),
        ];
        for (t, check, actual, words) in cases {
            let (e, r) = eval(&t, &p, None);
            assert!(!e.claims_accepted() || check == SIGNATURE);
            let f = r.get(check).unwrap();
            assert_eq!(f.status, crate::Status::Fail, "{f:#?}");
            assert_eq!(f.actual.as_deref(), Some(actual), "{f:#?}");
            assert!(f.message.contains(words), "{}", f.message);
            assert!(f.fix.is_some());
            assert_eq!(r.verdict(), crate::Verdict::Invalid);
            // Only that rule failed.
            assert_eq!(r.failed().count(), 1, "{r:#?}");
        }
    }

    #[test]
    fn an_es256_token_passes_the_algorithm_rule() {
        let t = token("ES256", &claims(GH, AUD, SUB, NOW + 600));
        let (e, _) = eval(&t, &sp_policy(), None);
        assert_eq!(e.alg, AlgOutcome::Allowed(Algorithm::ES256));
    }

    #[test]
    fn an_account_policy_without_audiences_expects_the_account_id() {
        let p = FederationPolicy::parse(
            r#"{"oidc_policy":{"issuer":"https://idp","subject_claim":"email"}}"#,
        )
        .unwrap();
        let c = |aud: &str| {
            format!(
                r#"{{"iss":"https://idp","aud":"{aud}","email":"u@contoso.com","exp":{}}}"#,
                NOW + 60
            )
        };
        let (e, _) = eval(&token("RS256", &c("acc-1")), &p, Some("acc-1"));
        assert!(e.claims_accepted());
        assert_eq!(
            e.subject,
            SubjectOutcome::Names {
                claim: "email".into(),
                value: "u@contoso.com".into()
            }
        );
        let (_, r) = eval(&token("RS256", &c("other")), &p, Some("acc-1"));
        let f = r.get(AUDIENCE).unwrap();
        assert_eq!(
            (f.expected.as_deref(), f.actual.as_deref()),
            (Some("acc-1"), Some("other"))
        );
        assert!(f.message.contains("lists no audiences"));
        // The account ID not known: said, not guessed.
        let (e, r) = eval(&token("RS256", &c("acc-1")), &p, None);
        assert!(matches!(e.audience, AudienceOutcome::DefaultUnknown { .. }));
        assert_eq!(r.get(AUDIENCE).unwrap().status, crate::Status::Skip);
        // Without the subject claim.
        let t = token(
            "RS256",
            &format!(
                r#"{{"iss":"https://idp","aud":"acc-1","sub":"x","exp":{}}}"#,
                NOW + 60
            ),
        );
        let (_, r) = eval(&t, &p, Some("acc-1"));
        assert!(r
            .get(IDENTITY)
            .unwrap()
            .message
            .contains("no 'email' claim"));
    }

    #[test]
    fn keys_of_the_policy_issuer_are_not_used_for_another_issuers_token() {
        let keys = KeySet::parse(include_bytes!("../../../examples/jwks.json")).unwrap();
        let with_keys = |t: &Token| {
            decide(
                t,
                &sp_policy(),
                &Inputs {
                    account_id: None,
                    now: NOW,
                    keys: Some((&keys, "test")),
                },
            )
        };
        let t = token(
            "RS256",
            &claims("https://evil.example", AUD, SUB, NOW + 600),
        );
        let e = with_keys(&t);
        assert_eq!(e.signature, SignatureOutcome::NoKeys);
        // The policy issuer's token is checked against them (and fails: the signature is fake).
        let t = token("RS256", &claims(GH, AUD, SUB, NOW + 600));
        let e = with_keys(&t);
        assert!(matches!(e.signature, SignatureOutcome::Failed(_)));
        assert_eq!(
            describe(&e, &sp_policy(), &t).verdict(),
            crate::Verdict::Invalid
        );
    }
}
