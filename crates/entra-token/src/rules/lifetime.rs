//! `lifetime`: `nbf` <= now < `exp`, with clock skew.

use crate::claims::{numeric_date, Claim};
use crate::findings::{names::LIFETIME, Finding};
use crate::policy::Policy;
use crate::timefmt::{relative, span, utc};

/// The time claims, read once: all the `lifetime` rule needs, so that a
/// caller that remembers them can rerun the rule at another "now".
#[derive(Debug, Clone, PartialEq)]
pub struct Times {
    pub exp: Claim<i64>,
    pub nbf: Claim<i64>,
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

pub(crate) fn lifetime(c: &crate::claims::Claims<'_>, policy: &Policy, brief: bool) -> Finding {
    lifetime_of(&Times::of(c), policy, brief)
}

/// The `lifetime` finding from the time claims, as of `policy.now`. With
/// `brief`, a pass carries no message.
pub fn lifetime_of(t: &Times, policy: &Policy, brief: bool) -> Finding {
    let now = policy.now;
    let skew = policy.skew_secs;
    let exp = match t.exp.clone() {
        Claim::Present(e) => e,
        Claim::Missing => {
            return Finding::fail(
                LIFETIME,
                "the token has no 'exp' claim: it never expires, which Entra ID never issues",
            )
            .actual("(absent)")
            .fix("Get a real token from Entra ID.")
        }
        Claim::Malformed(what) => {
            return Finding::fail(LIFETIME, format!("'exp' is {what}"))
                .expected("a number of seconds since 1970 (NumericDate)")
                .fix("Get a real token from Entra ID.")
        }
    };
    let nbf = match t.nbf.clone() {
        Claim::Present(n) => Some(n),
        Claim::Missing => None,
        Claim::Malformed(what) => {
            return Finding::fail(LIFETIME, format!("'nbf' is {what}"))
                .expected("a number of seconds since 1970 (NumericDate)")
        }
    };
    if brief
        && now < exp
        && nbf.is_none_or(|n| n <= now)
        && t.iat
            .clone()
            .ok()
            .is_none_or(|iat| iat <= now.saturating_add(skew))
    {
        return Finding::pass(LIFETIME, String::new());
    }
    let window = match nbf {
        Some(n) => format!("{} to {}", utc(n), utc(exp)),
        None => format!("until {}", utc(exp)),
    };
    let at = format!("checked at {} with {} s clock skew", utc(now), skew);
    if now >= exp.saturating_add(skew) {
        return Finding::fail(LIFETIME, format!("expired {} (at {}; {at})", relative(exp, now), utc(exp)))
            .expected(format!("now < exp + {skew} s"))
            .actual(window)
            .fix("Get a new token: Entra access tokens live 60-90 minutes. Tools should refresh before 'exp' (MSAL and azure-identity do it when you call them for each request instead of keeping one token).");
    }
    if let Some(n) = nbf {
        if now < n.saturating_sub(skew) {
            return Finding::fail(LIFETIME, format!("not valid yet: valid from {} ({}; {at})", utc(n), relative(n, now)))
                .expected(format!("nbf - {skew} s <= now"))
                .actual(window)
                .fix("This machine's clock or the checker's is wrong by more than the skew; synchronise clocks (NTP) or wait.");
        }
        if now < n {
            return Finding::warn(
                LIFETIME,
                format!(
                    "valid from {}, {} after now, accepted only thanks to the clock skew",
                    utc(n),
                    span(n - now)
                ),
            )
            .expected("nbf <= now")
            .actual(window)
            .fix("Clocks differ between the issuer and this machine; synchronise with NTP.");
        }
    }
    if now >= exp {
        return Finding::warn(
            LIFETIME,
            format!(
                "expired {} but still within the {skew} s clock skew",
                relative(exp, now)
            ),
        )
        .expected("now < exp")
        .actual(window)
        .fix("Get a new token now; it will be refused within minutes.");
    }
    if let Claim::Present(iat) = t.iat {
        if iat > now.saturating_add(skew) {
            return Finding::warn(
                LIFETIME,
                format!(
                    "issued {} — in the future: clocks disagree",
                    relative(iat, now)
                ),
            )
            .actual(window)
            .fix("Synchronise this machine's clock (NTP).");
        }
    }
    Finding::pass(
        LIFETIME,
        format!("valid until {} ({}; {at})", utc(exp), relative(exp, now)),
    )
    .expected(format!("nbf <= now < exp (± {skew} s)"))
    .actual(window)
}
