//! `lifetime`: `nbf` <= now < `exp`, with clock skew.

use crate::claims::{numeric_date, Claim};
use crate::findings::{names::LIFETIME, Finding, Status};
use crate::policy::Policy;
use crate::timefmt::{relative, span, utc};

use super::Outcome;

/// The time claims, read once: all the `lifetime` rule needs, so that a
/// caller that remembers them can rerun the rule at another "now".
#[derive(Debug, Clone, PartialEq)]
pub struct Times {
    /// `exp`: the token is refused from this second on (plus the skew).
    pub exp: Claim<i64>,
    /// `nbf`: the token is refused before this second (minus the skew).
    pub nbf: Claim<i64>,
    /// `iat`: when it was issued; only a warning when in the future.
    pub iat: Claim<i64>,
}

impl Times {
    /// Reads the time claims.
    pub fn of(c: &crate::claims::Claims<'_>) -> Times {
        Times {
            exp: numeric_date(&c.exp),
            nbf: numeric_date(&c.nbf),
            iat: numeric_date(&c.iat),
        }
    }
}

/// What the `lifetime` rule found. `exp` and `nbf` are the token's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LifetimeOutcome {
    /// Valid now.
    Pass { exp: i64, nbf: Option<i64> },
    /// No `exp` claim.
    ExpMissing,
    /// `exp` is not a NumericDate.
    ExpMalformed(String),
    /// `nbf` is not a NumericDate.
    NbfMalformed(String),
    /// Expired, beyond the clock skew.
    Expired { exp: i64, nbf: Option<i64> },
    /// Not valid yet, beyond the clock skew.
    NotYet { exp: i64, nbf: i64 },
    /// Not valid yet, but within the clock skew.
    NotYetWithinSkew { exp: i64, nbf: i64 },
    /// Expired, but within the clock skew.
    ExpiredWithinSkew { exp: i64, nbf: Option<i64> },
    /// Issued in the future, beyond the clock skew.
    IssuedInFuture {
        exp: i64,
        nbf: Option<i64>,
        iat: i64,
    },
}

impl Outcome for LifetimeOutcome {
    fn status(&self) -> Status {
        match self {
            LifetimeOutcome::Pass { .. } => Status::Pass,
            LifetimeOutcome::NotYetWithinSkew { .. }
            | LifetimeOutcome::ExpiredWithinSkew { .. }
            | LifetimeOutcome::IssuedInFuture { .. } => Status::Warn,
            _ => Status::Fail,
        }
    }
}

/// Decides whether `nbf` <= `policy.now` < `exp`, with the clock skew.
pub(crate) fn decide(t: &Times, policy: &Policy) -> LifetimeOutcome {
    let now = policy.now;
    let skew = policy.skew_secs;
    let exp = match &t.exp {
        Claim::Present(e) => *e,
        Claim::Missing => return LifetimeOutcome::ExpMissing,
        Claim::Malformed(what) => return LifetimeOutcome::ExpMalformed(what.clone()),
    };
    let nbf = match &t.nbf {
        Claim::Present(n) => Some(*n),
        Claim::Missing => None,
        Claim::Malformed(what) => return LifetimeOutcome::NbfMalformed(what.clone()),
    };
    if now >= exp.saturating_add(skew) {
        return LifetimeOutcome::Expired { exp, nbf };
    }
    if let Some(n) = nbf {
        if now < n.saturating_sub(skew) {
            return LifetimeOutcome::NotYet { exp, nbf: n };
        }
        if now < n {
            return LifetimeOutcome::NotYetWithinSkew { exp, nbf: n };
        }
    }
    if now >= exp {
        return LifetimeOutcome::ExpiredWithinSkew { exp, nbf };
    }
    if let Claim::Present(iat) = t.iat {
        if iat > now.saturating_add(skew) {
            return LifetimeOutcome::IssuedInFuture { exp, nbf, iat };
        }
    }
    LifetimeOutcome::Pass { exp, nbf }
}

/// The `lifetime` finding from the time claims, as of `policy.now`. With
/// `brief`, a pass carries no message.
pub fn lifetime_of(t: &Times, policy: &Policy, brief: bool) -> Finding {
    let o = decide(t, policy);
    if brief && o.status() == Status::Pass {
        return Finding::pass(LIFETIME, String::new());
    }
    describe(&o, policy)
}

/// The finding for an outcome: the words.
pub(crate) fn describe(o: &LifetimeOutcome, policy: &Policy) -> Finding {
    let now = policy.now;
    let skew = policy.skew_secs;
    let (exp, nbf) = match o {
        LifetimeOutcome::ExpMissing => {
            return Finding::fail(
                LIFETIME,
                "the token has no 'exp' claim: it never expires, which Entra ID never issues",
            )
            .actual("(absent)")
            .fix("Get a real token from Entra ID.")
        }
        LifetimeOutcome::ExpMalformed(what) => {
            return Finding::fail(LIFETIME, format!("'exp' is {what}"))
                .expected("a number of seconds since 1970 (NumericDate)")
                .fix("Get a real token from Entra ID.")
        }
        LifetimeOutcome::NbfMalformed(what) => {
            return Finding::fail(LIFETIME, format!("'nbf' is {what}"))
                .expected("a number of seconds since 1970 (NumericDate)")
        }
        LifetimeOutcome::Pass { exp, nbf }
        | LifetimeOutcome::Expired { exp, nbf }
        | LifetimeOutcome::ExpiredWithinSkew { exp, nbf }
        | LifetimeOutcome::IssuedInFuture { exp, nbf, .. } => (*exp, *nbf),
        LifetimeOutcome::NotYet { exp, nbf } | LifetimeOutcome::NotYetWithinSkew { exp, nbf } => {
            (*exp, Some(*nbf))
        }
    };
    let window = match nbf {
        Some(n) => format!("{} to {}", utc(n), utc(exp)),
        None => format!("until {}", utc(exp)),
    };
    let at = format!("checked at {} with {} s clock skew", utc(now), skew);
    match *o {
        LifetimeOutcome::Expired { .. } => Finding::fail(LIFETIME, format!("expired {} (at {}; {at})", relative(exp, now), utc(exp)))
            .expected(format!("now < exp + {skew} s"))
            .actual(window)
            .fix("Get a new token: Entra access tokens live 60-90 minutes. Tools should refresh before 'exp' (MSAL and azure-identity do it when you call them for each request instead of keeping one token)."),
        LifetimeOutcome::NotYet { nbf: n, .. } => Finding::fail(LIFETIME, format!("not valid yet: valid from {} ({}; {at})", utc(n), relative(n, now)))
            .expected(format!("nbf - {skew} s <= now"))
            .actual(window)
            .fix("This machine's clock or the checker's is wrong by more than the skew; synchronise clocks (NTP) or wait."),
        LifetimeOutcome::NotYetWithinSkew { nbf: n, .. } => Finding::warn(
                LIFETIME,
                format!(
                    "valid from {}, {} after now, accepted only thanks to the clock skew",
                    utc(n),
                    span(n - now)
                ),
            )
            .expected("nbf <= now")
            .actual(window)
            .fix("Clocks differ between the issuer and this machine; synchronise with NTP."),
        LifetimeOutcome::ExpiredWithinSkew { .. } => Finding::warn(
            LIFETIME,
            format!(
                "expired {} but still within the {skew} s clock skew",
                relative(exp, now)
            ),
        )
        .expected("now < exp")
        .actual(window)
        .fix("Get a new token now; it will be refused within minutes."),
        LifetimeOutcome::IssuedInFuture { iat, .. } => Finding::warn(
                LIFETIME,
                format!(
                    "issued {} — in the future: clocks disagree",
                    relative(iat, now)
                ),
            )
            .actual(window)
            .fix("Synchronise this machine's clock (NTP)."),
        // A pass (the claim errors were described above).
        _ => Finding::pass(
            LIFETIME,
            format!("valid until {} ({}; {at})", utc(exp), relative(exp, now)),
        )
        .expected(format!("nbf <= now < exp (± {skew} s)"))
        .actual(window),
    }
}
