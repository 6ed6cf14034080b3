//! The claims and header members the rules read: located once in the
//! decoded JSON, borrowed from it on every read, never copied into
//! `serde_json::Value`s. "Missing" stays apart from "present but malformed".

use serde_json::value::RawValue;
use serde_json::Value;

/// A claim's value as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim<T> {
    /// The claim is absent.
    Missing,
    /// The claim is present with the wrong JSON type; the text says what it is.
    Malformed(String),
    /// The claim is present and well-typed.
    Present(T),
}

impl<T> Claim<T> {
    /// The value, when present and well-typed.
    pub fn ok(self) -> Option<T> {
        match self {
            Claim::Present(v) => Some(v),
            _ => None,
        }
    }
}

/// One member's value, borrowed from the token: its JSON text as sent and,
/// when it is a string, the string itself (unescaped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw<'a> {
    json: &'a str,
    text: Option<&'a str>,
}

impl<'a> Raw<'a> {
    /// The value's JSON text, as in the token.
    pub fn json(&self) -> &'a str {
        self.json
    }

    /// The string, when the value is a JSON string.
    pub fn as_str(&self) -> Option<&'a str> {
        self.text
    }

    /// The value as a `serde_json::Value` (parsed on demand, for display).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.json).unwrap_or(Value::Null)
    }

    /// "a string", "a number", ...: the JSON type, for messages.
    pub fn kind(&self) -> &'static str {
        match self.json.as_bytes().first() {
            Some(b'"') => "a string",
            Some(b'{') => "an object",
            Some(b'[') => "an array",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            _ => "a number",
        }
    }
}

/// Where a member's value sits in the decoded JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Member {
    start: u32,
    end: u32,
    text: Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    /// Not a string.
    None,
    /// A string without escapes: its characters, in place.
    Inline(u32, u32),
    /// A string with escapes: unescaped once, kept by the token.
    Owned(u32),
}

impl Member {
    /// The member whose value `span` (found by [`crate::json::scan_object`])
    /// locates in `base`, its string unescaped if needed.
    pub(crate) fn locate(
        base: &str,
        span: crate::json::Span,
        unescaped: &mut Vec<String>,
    ) -> Result<Member, crate::json::JsonError> {
        let (start, end) = (span.start, span.end);
        let raw = base.get(start..end).unwrap_or("");
        let text = if raw.len() >= 2 && raw.starts_with('"') {
            let inner = &raw[1..raw.len() - 1];
            if !span.escaped {
                Text::Inline(start as u32 + 1, end as u32 - 1)
            } else {
                let s = crate::json::unescape(inner).ok_or(crate::json::JsonError {
                    what: "a string has an invalid escape".into(),
                    offset: start,
                })?;
                unescaped.push(s);
                Text::Owned(unescaped.len() as u32 - 1)
            }
        } else {
            Text::None
        };
        Ok(Member {
            start: start as u32,
            end: end as u32,
            text,
        })
    }

    /// The borrowed value.
    pub(crate) fn resolve<'a>(&self, base: &'a str, unescaped: &'a [String]) -> Raw<'a> {
        let json = base
            .get(self.start as usize..self.end as usize)
            .unwrap_or("null");
        let text = match self.text {
            Text::None => None,
            Text::Inline(s, e) => base.get(s as usize..e as usize),
            Text::Owned(i) => unescaped.get(i as usize).map(String::as_str),
        };
        Raw { json, text }
    }
}

/// Declares a set of members: the borrowed view (`$name<'a>`), where its
/// members are (`$spans`) and how they are found (`$raw`).
macro_rules! members {
    ($(#[$m:meta])* $name:ident, $spans:ident { $($(#[$fm:meta])* $field:ident $(=> $json:literal)?),* $(,)? }) => {
        /// Where each member sits in the decoded JSON.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub(crate) struct $spans {
            $( $field: Option<crate::claims::Member>, )*
        }

        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name<'a> {
            $(
                $(#[$fm])*
                #[doc = concat!("The `", crate::claims::member_name!($field $(, $json)?), "` member as it appears, or `None` when absent.")]
                pub $field: Option<crate::claims::Raw<'a>>,
            )*
        }

        impl $spans {
            /// Checks that `json` is a JSON object and finds the members.
            /// A member read here that appears twice is an error, so that no
            /// two readers can see two values.
            pub(crate) fn parse(json: &str, unescaped: &mut Vec<String>) -> Result<$spans, crate::json::JsonError> {
                let mut spans = $spans::default();
                crate::json::scan_object(json, |name, span| {
                    let slot = match &*name {
                        $( crate::claims::member_name!($field $(, $json)?) => &mut spans.$field, )*
                        _ => return Ok(()),
                    };
                    if slot.is_some() {
                        return Err(crate::json::JsonError::duplicate(&name, span.start));
                    }
                    *slot = Some(crate::claims::Member::locate(json, span, unescaped)?);
                    Ok(())
                })?;
                Ok(spans)
            }

            /// The borrowed view.
            pub(crate) fn resolve<'a>(&self, json: &'a str, unescaped: &'a [String]) -> $name<'a> {
                $name { $( $field: self.$field.map(|m| m.resolve(json, unescaped)), )* }
            }
        }
    };
}

/// A member's JSON name: its field name, or the name given with `=>`.
macro_rules! member_name {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident, $json:literal) => {
        $json
    };
}
pub(crate) use member_name;
pub(crate) use members;

members! {
    /// The registered and Entra-specific claims the rules use. Every other
    /// claim stays in the raw payload, for display.
    Claims, ClaimSpans {
        aud, iss, tid, exp, nbf, iat, ver, sub, oid, upn, unique_name, preferred_username, email, name,
        appid, azp, app_displayname, idtyp, scp, roles, nonce, at_hash, c_hash, idp, acct,
        client_id, scope,
    }
}

/// Reads a string claim.
pub fn string<'a>(v: &Option<Raw<'a>>) -> Claim<&'a str> {
    match v {
        None => Claim::Missing,
        Some(r) => match r.as_str() {
            Some(s) => Claim::Present(s),
            None => Claim::Malformed(format!("{} instead of a string", r.kind())),
        },
    }
}

/// Reads a NumericDate (RFC 7519 §2): seconds since the epoch. Fractions are
/// allowed and truncated; strings, even of digits, are malformed.
pub fn numeric_date(v: &Option<Raw<'_>>) -> Claim<i64> {
    let Some(r) = v else { return Claim::Missing };
    if let Some(s) = r.as_str() {
        return Claim::Malformed(format!(
            "the string \"{}\" instead of a number of seconds",
            crate::text::clip(s, 40)
        ));
    }
    if r.kind() != "a number" {
        return Claim::Malformed(format!("{} instead of a number of seconds", r.kind()));
    }
    // Dates beyond ±1e15 s (31 million years) are refused, integer or
    // not: arithmetic on them must not overflow.
    if let Ok(i) = r.json().parse::<i64>() {
        return if i.unsigned_abs() < 1_000_000_000_000_000 {
            Claim::Present(i)
        } else {
            Claim::Malformed(format!("{i} is out of range for a date"))
        };
    }
    match r.json().parse::<f64>() {
        Ok(f) if f.is_finite() && f.abs() < 1e15 => Claim::Present(f.trunc() as i64),
        _ => Claim::Malformed(format!(
            "{} is out of range for a date",
            crate::text::clip(r.json(), 40)
        )),
    }
}

/// Reads `aud`: one string, or an array of strings (RFC 7519 §4.1.3).
pub fn audiences<'a>(v: &Option<Raw<'a>>) -> Claim<Vec<std::borrow::Cow<'a, str>>> {
    use std::borrow::Cow;
    let Some(r) = v else { return Claim::Missing };
    if let Some(s) = r.as_str() {
        return Claim::Present(vec![Cow::Borrowed(s)]);
    }
    if r.kind() != "an array" {
        return Claim::Malformed(format!(
            "{} instead of a string or array of strings",
            r.kind()
        ));
    }
    let items: Vec<&RawValue> = match serde_json::from_str(r.json()) {
        Ok(items) => items,
        Err(e) => return Claim::Malformed(format!("an unreadable array: {e}")),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match serde_json::from_str::<Cow<'a, str>>(item.get()) {
            Ok(s) => out.push(s),
            Err(_) => {
                let kind = Raw {
                    json: item.get(),
                    text: None,
                }
                .kind();
                return Claim::Malformed(format!("an array holding {kind}"));
            }
        }
    }
    if out.is_empty() {
        Claim::Malformed("an empty array".into())
    } else {
        Claim::Present(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: &str) -> (ClaimSpans, Vec<String>) {
        let mut un = Vec::new();
        (ClaimSpans::parse(json, &mut un).unwrap(), un)
    }

    #[test]
    fn missing_is_not_malformed() {
        let json = r#"{"exp":"123","nbf":12.9,"aud":["a","b\/c"],"iss":1,"tid":null,"roles":[1]}"#;
        let (spans, un) = claims(json);
        let c = spans.resolve(json, &un);
        assert_eq!(numeric_date(&c.iat), Claim::Missing);
        assert!(matches!(numeric_date(&c.exp), Claim::Malformed(_)));
        assert_eq!(numeric_date(&c.nbf), Claim::Present(12));
        let auds: Vec<String> = audiences(&c.aud)
            .ok()
            .unwrap()
            .into_iter()
            .map(|s| s.into_owned())
            .collect();
        assert_eq!(auds, ["a", "b/c"]);
        assert!(matches!(string(&c.iss), Claim::Malformed(_)));
        assert_eq!(
            string(&c.tid),
            Claim::Malformed("null instead of a string".into())
        );
        assert!(matches!(audiences(&c.roles), Claim::Malformed(_)));
    }

    #[test]
    fn dates_beyond_any_token_are_malformed_not_overflowing() {
        let json = r#"{"exp":9223372036854775807,"nbf":-9223372036854775808,"iat":1e300}"#;
        let (spans, un) = claims(json);
        let c = spans.resolve(json, &un);
        assert!(matches!(numeric_date(&c.exp), Claim::Malformed(_)));
        assert!(matches!(numeric_date(&c.nbf), Claim::Malformed(_)));
        assert!(matches!(numeric_date(&c.iat), Claim::Malformed(_)));
    }

    #[test]
    fn escaped_strings_are_unescaped_once() {
        let json = r#"{"iss":"https:\/\/sts.windows.net\/t\/","upn":"plain"}"#;
        let (spans, un) = claims(json);
        assert_eq!(un.len(), 1);
        let c = spans.resolve(json, &un);
        assert_eq!(string(&c.iss), Claim::Present("https://sts.windows.net/t/"));
        assert_eq!(string(&c.upn), Claim::Present("plain"));
        assert_eq!(c.iss.unwrap().json(), r#""https:\/\/sts.windows.net\/t\/""#);
    }

    #[test]
    fn duplicate_members_are_refused() {
        let mut un = Vec::new();
        assert!(ClaimSpans::parse(r#"{"aud":"a","aud":"b"}"#, &mut un).is_err());
        assert!(ClaimSpans::parse(r#"{"x":1,"x":2}"#, &mut un).is_ok());
    }
}
