//! What a token is, in a few words: version, kind, who, for what, which
//! tenant, how long it stays valid.

use serde::Serialize;

use crate::catalogue::resources;
use crate::claims::{audiences, numeric_date, string, Claim, Claims};
use crate::issuer;
use crate::jws::Token;
use crate::timefmt::{relative, utc};

/// Access token or ID token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// An access token: meant for an API (its `aud`).
    Access,
    /// An ID token: meant for the client that signed the user in; APIs
    /// such as Databricks refuse it.
    Id,
}

/// Who a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A user, by the claim Databricks reads. A user token that carries no
    /// user name at all is named by its `oid` (or `sub`), with that claim.
    User {
        /// The user name (or the `oid`/`sub` when there is none).
        name: String,
        /// The claim `name` was read from, e.g. `upn`.
        claim: &'static str,
        /// The user's object ID (`oid`), when present.
        oid: Option<String>,
        /// Set when the user is a B2B guest of the token's tenant.
        guest: Option<Guest>,
    },
    /// An application (service principal).
    ServicePrincipal {
        /// The application (client) ID.
        app_id: String,
        /// The service principal's object ID (`oid`), when present.
        oid: Option<String>,
        /// The claim `app_id` was read from (`appid` or `azp`).
        claim: &'static str,
    },
    /// Neither could be told.
    Unknown,
}

/// Why a user looks like a B2B guest (an account from another tenant or a
/// personal Microsoft account, invited into the token's tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guest {
    /// What gave it away, for messages: `'idp' is https://sts.windows.net/…/, not the issuer`.
    pub evidence: String,
    /// The address inside a `live.com#user@outlook.com`-style name, or the
    /// `email` claim.
    pub email: Option<String>,
}

fn s<'a>(v: &Option<crate::claims::Raw<'a>>) -> Option<&'a str> {
    string(v).ok()
}

/// Tells user tokens from application tokens as Microsoft documents them:
/// `idtyp` ("app" or "user") when present; otherwise delegated tokens carry
/// `scp` and app-only tokens carry `roles` without `scp`; then a user name
/// means a user, and `oid` equal to `sub` (an app-only token's subject is
/// its service principal) an application. Only then does an `appid`/`azp`
/// alone make a service principal: every delegated token has one too (the
/// client the user signed in to, often the Azure CLI).
pub fn principal(c: &Claims<'_>) -> Principal {
    let oid = s(&c.oid).map(str::to_owned);
    let app = s(&c.appid)
        .map(|a| (a, "appid"))
        .or_else(|| s(&c.azp).map(|a| (a, "azp")));
    let user = s(&c.upn)
        .map(|u| (u, "upn"))
        .or_else(|| s(&c.unique_name).map(|u| (u, "unique_name")))
        .or_else(|| s(&c.preferred_username).map(|u| (u, "preferred_username")))
        .or_else(|| s(&c.email).map(|u| (u, "email")));
    let sub = s(&c.sub);
    #[derive(PartialEq)]
    enum Kind {
        User,
        App,
        Unknown,
    }
    let kind = match s(&c.idtyp) {
        Some(t) if t.eq_ignore_ascii_case("app") => Kind::App,
        Some(t) if t.eq_ignore_ascii_case("user") => Kind::User,
        _ if c.scp.is_some() => Kind::User,
        _ if user.is_some() => Kind::User,
        _ if c.roles.is_some() && app.is_some() => Kind::App,
        _ if oid.is_some() && oid.as_deref() == sub && app.is_some() => Kind::App,
        _ if app.is_some() => Kind::App,
        _ => Kind::Unknown,
    };
    match (kind, app) {
        (Kind::App, Some((app_id, claim))) => Principal::ServicePrincipal {
            app_id: app_id.to_owned(),
            oid,
            claim,
        },
        (Kind::User, _) => {
            let named = user
                .or_else(|| oid.as_deref().map(|o| (o, "oid")))
                .or_else(|| sub.map(|x| (x, "sub")));
            match named {
                Some((name, claim)) => Principal::User {
                    guest: guest(c, user.map(|(u, _)| u)),
                    name: name.to_owned(),
                    claim,
                    oid,
                },
                None => Principal::Unknown,
            }
        }
        _ => Principal::Unknown,
    }
}

/// B2B guest marks: `idp` present and not the issuer, a user name like
/// `live.com#user@outlook.com` (or a `#EXT#` UPN), or `acct` = 1.
fn guest(c: &Claims<'_>, name: Option<&str>) -> Option<Guest> {
    let inner = name.and_then(|n| {
        let (prefix, rest) = n.split_once('#')?;
        (!prefix.is_empty() && rest.contains('@') && !rest.contains('#')).then_some(rest)
    });
    let email = inner.or_else(|| s(&c.email)).map(str::to_owned);
    let iss = s(&c.iss).unwrap_or("");
    let tid = s(&c.tid)
        .map(str::to_owned)
        .or_else(|| issuer::parse(iss).map(|i| i.tenant));
    // The same tenant written in another issuer form (v1 against v2) or as
    // a bare tenant ID is not another identity provider.
    let same_tenant = |idp: &str| {
        let idp_tenant = issuer::parse(idp).map(|i| i.tenant);
        let idp_tenant = idp_tenant.as_deref().unwrap_or(idp);
        tid.as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(idp_tenant))
    };
    if let Some(idp) = s(&c.idp).filter(|i| !i.eq_ignore_ascii_case(iss) && !same_tenant(i)) {
        return Some(Guest {
            evidence: format!(
                "its 'idp' is {}, not the token's issuer",
                crate::text::clip(idp, 100)
            ),
            email,
        });
    }
    if let Some(n) = name.filter(|n| inner.is_some() || n.contains("#EXT#")) {
        return Some(Guest {
            evidence: format!("its user name {} is a guest's", crate::text::clip(n, 100)),
            email,
        });
    }
    if c.acct.is_some_and(|a| a.json() == "1") {
        return Some(Guest {
            evidence: "its 'acct' is 1 (a guest account)".into(),
            email,
        });
    }
    None
}

/// Access or ID token. ID tokens carry `nonce`, `at_hash` or `c_hash`, or
/// lack every mark of an access token (`scp`, `roles`, `appid`, `azp`, `idtyp`).
pub fn token_kind(c: &Claims<'_>) -> TokenKind {
    if c.nonce.is_some() || c.at_hash.is_some() || c.c_hash.is_some() {
        return TokenKind::Id;
    }
    if c.scp.is_some()
        || c.roles.is_some()
        || c.appid.is_some()
        || c.azp.is_some()
        || c.idtyp.is_some()
    {
        TokenKind::Access
    } else {
        TokenKind::Id
    }
}

/// The summary shown above the claims and returned by `decode --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// "v1", "v2" or "unknown".
    pub version: &'static str,
    /// Access token or ID token.
    pub kind: TokenKind,
    /// What the token is, among every kind told apart
    /// ([`crate::kind::Kind`]): under Azure Databricks' default rules
    /// here; `check` sets it under its own policy.
    pub token_kind: crate::kind::Kind,
    /// "user", "service_principal" or "unknown".
    pub principal_type: &'static str,
    /// The user name, or the application ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// The principal's object ID (`oid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// The audience, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The audience's name when it is a known API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The tenant ID: `tid`, or the tenant in `iss`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// `iss`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The header's `alg`, as written (not trusted: the policy pins it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// The header's `kid`, or its `x5t` when there is no `kid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// `iat`, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
    /// `exp`, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Seconds left until `exp` (negative once expired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_secs: Option<i64>,
    /// "valid, expires in 54 min", "not valid yet: valid from in 10 min"
    /// (`nbf` is in the future) or "expired 3 h 12 min ago".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity: Option<String>,
    /// Total lifetime `exp - nbf` (or `exp - iat`), seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_secs: Option<i64>,
    /// Microsoft Graph tokens carry a header `nonce`.
    pub graph_nonce: bool,
}

impl Summary {
    /// Summarises a token as of `now`, with no clock skew (`decode`).
    pub fn of(token: &Token, now: i64) -> Summary {
        Summary::of_with_skew(token, now, 0)
    }

    /// Summarises a token as `check` sees it under `policy`: its clock and
    /// skew, and its kind judged against the audiences the policy accepts
    /// (a token for the API asked for is an access token of that API). The
    /// one summary of `check`, the server and the Python package.
    pub fn of_checked(token: &Token, policy: &crate::Policy) -> Summary {
        let mut summary = Summary::of_with_skew(token, policy.now, policy.skew_secs);
        summary.token_kind = crate::rules::kind_of(&token.claims(), policy);
        summary
    }

    /// Summarises a token as `check` sees it: as of `now` with the
    /// policy's clock skew, so that `validity` agrees with the `lifetime`
    /// finding (a token before `nbf` is "not valid yet", one accepted only
    /// thanks to the skew says so).
    pub fn of_with_skew(token: &Token, now: i64, skew: i64) -> Summary {
        let c = token.claims();
        let iss = s(&c.iss);
        let version = match s(&c.ver) {
            Some("1.0") => "v1",
            Some("2.0") => "v2",
            _ => match iss.and_then(issuer::parse).map(|i| i.version) {
                Some(issuer::IssuerVersion::V1) => "v1",
                Some(issuer::IssuerVersion::V2) => "v2",
                None => "unknown",
            },
        };
        // A token Databricks issued: `sub` is the user (or the service
        // principal, when it equals `client_id`), and it is an access token.
        let databricks = iss.and_then(crate::kind::databricks_issuer).is_some();
        let dbx_principal =
            databricks
                .then(|| s(&c.sub))
                .flatten()
                .map(|sub| match s(&c.client_id) {
                    Some(client) if client.eq_ignore_ascii_case(sub) => {
                        ("service_principal", Some(sub.to_owned()), None)
                    }
                    _ => ("user", Some(sub.to_owned()), None),
                });
        let (principal_type, principal_name, object_id) = match dbx_principal {
            Some(p) => p,
            None => match principal(&c) {
                Principal::User { name, oid, .. } => ("user", Some(name), oid),
                Principal::ServicePrincipal { app_id, oid, .. } => {
                    ("service_principal", Some(app_id), oid)
                }
                Principal::Unknown => ("unknown", None, s(&c.oid).map(str::to_owned)),
            },
        };
        let audience = match audiences(&c.aud) {
            Claim::Present(a) => Some(a.join(", ")),
            _ => None,
        };
        let resource = match audiences(&c.aud) {
            Claim::Present(a) => a
                .iter()
                .find_map(|x| resources::lookup(x))
                .map(|r| r.name.to_owned()),
            _ => None,
        };
        let exp = numeric_date(&c.exp).ok();
        let nbf = numeric_date(&c.nbf).ok();
        let iat = numeric_date(&c.iat).ok();
        let tenant = s(&c.tid)
            .map(str::to_owned)
            .or_else(|| iss.and_then(issuer::parse).map(|i| i.tenant));
        let h = token.header();
        Summary {
            version,
            kind: if databricks {
                TokenKind::Access
            } else {
                token_kind(&c)
            },
            token_kind: crate::rules::kind_of(&c, &crate::Policy::databricks(now)),
            principal_type,
            principal: principal_name,
            object_id,
            audience,
            resource,
            tenant,
            issuer: iss.map(str::to_owned),
            algorithm: h.alg.and_then(|v| v.as_str()).map(str::to_owned),
            key_id: h.kid().or_else(|| h.x5t()).map(str::to_owned),
            issued_at: iat.map(utc),
            expires_at: exp.map(utc),
            expires_in_secs: exp.map(|e| e.saturating_sub(now)),
            validity: exp.map(|e| validity(e, nbf, now, skew)),
            lifetime_secs: exp.and_then(|e| nbf.or(iat).map(|start| e.saturating_sub(start))),
            graph_nonce: h.nonce.is_some(),
        }
    }
}

/// The validity text, with the same bounds as the `lifetime` rule.
fn validity(exp: i64, nbf: Option<i64>, now: i64, skew: i64) -> String {
    let within = format!("accepted only within the {skew} s clock skew");
    if now >= exp.saturating_add(skew) {
        return format!("expired {}", relative(exp, now));
    }
    if let Some(n) = nbf {
        if now < n.saturating_sub(skew) {
            return format!("not valid yet: valid from {}", relative(n, now));
        }
        if now < n {
            return format!(
                "valid from {} ({within}), expires {}",
                relative(n, now),
                relative(exp, now)
            );
        }
    }
    if now >= exp {
        return format!("expired {} ({within})", relative(exp, now));
    }
    format!("valid, expires {}", relative(exp, now))
}
