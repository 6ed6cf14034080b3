//! Turns what people paste into a compact token.
//!
//! Accepted around the token: surrounding whitespace and newlines, quotes,
//! a `Bearer ` prefix, a whole `Authorization: Bearer …` header line, and a
//! JSON object such as the output of `az account get-access-token`
//! (`accessToken`) or a token-endpoint answer (`access_token`, `id_token`).

use crate::error::FormatError;
use crate::limits::{json_depth_exceeds, MAX_JSON_DEPTH, MAX_TOKEN_BYTES};

/// Where the token was found in the pasted text, for the explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapping {
    /// The text was the bare token.
    Bare,
    /// A `Bearer ` prefix or an `Authorization:` header line was removed.
    BearerPrefix,
    /// Taken from a JSON object's named field.
    JsonField(&'static str),
}

/// Extracts the compact token from pasted text, returning it with how it was
/// wrapped. Fails with a [`FormatError`] when nothing token-shaped is left.
pub fn extract(text: &str) -> Result<(&str, Wrapping), FormatError> {
    // Bound before any work: a pasted JSON object is allowed some slack.
    if text.len() > MAX_TOKEN_BYTES * 2 {
        return Err(FormatError::TooLong {
            len: text.len(),
            max: MAX_TOKEN_BYTES,
        });
    }
    let mut s = text.trim();
    let mut wrapping = Wrapping::Bare;
    if s.starts_with('{') {
        return from_json(s);
    }
    s = strip_quotes(s);
    if let Some(rest) = strip_prefix_ci(s, "authorization:") {
        s = rest.trim_start();
        wrapping = Wrapping::BearerPrefix;
    }
    if let Some(rest) = strip_prefix_ci(s, "bearer") {
        if rest.is_empty() || rest.starts_with(char::is_whitespace) {
            s = rest.trim_start();
            wrapping = Wrapping::BearerPrefix;
        }
    }
    s = strip_quotes(s.trim());
    if s.is_empty() {
        return Err(FormatError::Empty);
    }
    if s.len() > MAX_TOKEN_BYTES {
        return Err(FormatError::TooLong {
            len: s.len(),
            max: MAX_TOKEN_BYTES,
        });
    }
    Ok((s, wrapping))
}

fn strip_quotes(s: &str) -> &str {
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].trim();
        }
    }
    s
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

const JSON_FIELDS: [&str; 4] = ["accessToken", "access_token", "token", "id_token"];

fn from_json(s: &str) -> Result<(&str, Wrapping), FormatError> {
    if json_depth_exceeds(s.as_bytes(), MAX_JSON_DEPTH) {
        return Err(FormatError::InputJsonTooDeep {
            max: MAX_JSON_DEPTH,
        });
    }
    // Borrow the field's text straight from the input: a token has no escapes.
    let map: std::collections::HashMap<&str, &serde_json::value::RawValue> =
        serde_json::from_str(s).map_err(|e| FormatError::InputJson {
            reason: e.to_string(),
        })?;
    for field in JSON_FIELDS {
        if let Some(raw) = map.get(field) {
            let text = raw.get();
            let inner = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .ok_or(FormatError::InputJsonField {
                    field,
                    reason: "it is not a string",
                })?;
            if inner.contains('\\') {
                return Err(FormatError::InputJsonField {
                    field,
                    reason: "it contains escapes, which a token never does",
                });
            }
            let inner = inner.trim();
            if inner.is_empty() {
                return Err(FormatError::Empty);
            }
            if inner.len() > MAX_TOKEN_BYTES {
                return Err(FormatError::TooLong {
                    len: inner.len(),
                    max: MAX_TOKEN_BYTES,
                });
            }
            return Ok((inner, Wrapping::JsonField(field)));
        }
    }
    Err(FormatError::InputJsonNoToken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_people_paste() {
        assert_eq!(extract("  a.b.c \n").unwrap(), ("a.b.c", Wrapping::Bare));
        assert_eq!(
            extract("Bearer a.b.c").unwrap(),
            ("a.b.c", Wrapping::BearerPrefix)
        );
        assert_eq!(
            extract("authorization: bearer  a.b.c").unwrap(),
            ("a.b.c", Wrapping::BearerPrefix)
        );
        assert_eq!(extract("\"a.b.c\"").unwrap().0, "a.b.c");
        assert_eq!(extract("'Bearer a.b.c'").unwrap().0, "a.b.c");
        let az =
            r#"{"accessToken": "a.b.c", "expiresOn": "2026-01-01 10:00:00.000000", "tenant": "t"}"#;
        assert_eq!(
            extract(az).unwrap(),
            ("a.b.c", Wrapping::JsonField("accessToken"))
        );
        assert_eq!(
            extract(r#"{"token_type":"Bearer","access_token":"x.y.z"}"#)
                .unwrap()
                .0,
            "x.y.z"
        );
    }

    #[test]
    fn rejects_empty_and_useless_json() {
        assert_eq!(extract("   "), Err(FormatError::Empty));
        assert_eq!(extract("Bearer "), Err(FormatError::Empty));
        assert_eq!(extract(r#"{"foo": 1}"#), Err(FormatError::InputJsonNoToken));
        assert!(matches!(
            extract(r#"{"accessToken": 5}"#),
            Err(FormatError::InputJsonField { .. })
        ));
        assert!(matches!(
            extract("{not json"),
            Err(FormatError::InputJson { .. })
        ));
    }

    #[test]
    fn bounds_length() {
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(matches!(extract(&long), Err(FormatError::TooLong { .. })));
    }
}
