//! The decoded view of a token: header and claims, each claim explained,
//! times shown absolute and relative. Renderers print it; nothing here
//! formats for a terminal.

use serde::Serialize;
use serde_json::Value;

use crate::catalogue::claims::{self, ClaimKind};
use crate::jws::Token;
use crate::summary::Summary;
use crate::timefmt::{relative, utc};

/// One header member or claim, explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The member's name.
    pub name: String,
    /// Its value, as the token has it.
    pub value: Value,
    /// What it means, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meaning: Option<&'static str>,
    /// For times: RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc: Option<String>,
    /// For times: relative to now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative: Option<String>,
}

/// A decoded token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decoded {
    /// What kind of token it is ([`crate::kind::Kind`]'s stable name), as
    /// Azure Databricks' default rules see it.
    pub kind: crate::kind::Kind,
    /// The header, as JSON.
    pub header: serde_json::Map<String, Value>,
    /// The claims, as JSON.
    pub payload: serde_json::Map<String, Value>,
    /// What the token is: kind, who, which app, times.
    pub summary: Summary,
    /// Header members, explained, in token order.
    pub header_entries: Vec<Entry>,
    /// Claims, explained, in token order.
    pub claims: Vec<Entry>,
}

static HEADER_MEANINGS: &[(&str, &str)] = &[
    ("typ", "Media type of the token; JWT for Entra tokens."),
    ("alg", "Signature algorithm the token claims; the checker pins its own list and never trusts this blindly."),
    ("kid", "Key ID: which of the issuer's published signing keys made the signature."),
    ("x5t", "SHA-1 thumbprint of the signing certificate; for Entra keys it equals the kid."),
    ("x5t#S256", "SHA-256 thumbprint of the signing certificate."),
    ("nonce", "Present on Microsoft Graph tokens: the signature covers a transformed header, so only Graph can verify it."),
    ("jku", "A URL of keys; never followed, because a token must not choose the keys that verify it."),
    ("x5u", "A URL of a certificate; never followed, because a token must not choose the keys that verify it."),
    ("jwk", "A key embedded in the token; never trusted, because a token must not carry its own verifier."),
    ("x5c", "A certificate chain embedded in the token; never trusted as the verifying key."),
    ("cty", "Content type of the payload; set only for nested tokens."),
    ("crit", "Extensions the verifier must understand; Entra never sets it."),
];

fn entry(
    name: &str,
    value: &Value,
    meaning: Option<&'static str>,
    is_time: bool,
    now: i64,
) -> Entry {
    let epoch = if is_time {
        value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
    } else {
        None
    };
    Entry {
        name: name.to_owned(),
        value: value.clone(),
        meaning,
        utc: epoch.map(utc),
        relative: epoch.map(|e| relative(e, now)),
    }
}

impl Decoded {
    /// Decodes a token as of `now` (for relative times).
    pub fn of(token: &Token, now: i64) -> Decoded {
        let header = token.header_value();
        let payload = token.payload_value();
        let header_entries = header
            .iter()
            .map(|(k, v)| {
                entry(
                    k,
                    v,
                    HEADER_MEANINGS
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, m)| *m),
                    false,
                    now,
                )
            })
            .collect();
        let claims = payload
            .iter()
            .map(|(k, v)| {
                let info = claims::lookup(k);
                entry(
                    k,
                    v,
                    info.map(|i| i.meaning),
                    info.is_some_and(|i| i.kind == ClaimKind::Time),
                    now,
                )
            })
            .collect();
        Decoded {
            kind: crate::rules::kind_of(&token.claims(), &crate::Policy::databricks(now)),
            summary: Summary::of(token, now),
            header,
            payload,
            header_entries,
            claims,
        }
    }
}
