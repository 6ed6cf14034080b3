//! Turns what people paste into a compact token.
//!
//! Accepted around the token: surrounding whitespace and newlines, quotes,
//! a `Bearer ` prefix, a whole `Authorization: Bearer …` header line, and a
//! JSON object such as the output of `az account get-access-token`
//! (`accessToken`) or a token-endpoint answer (`access_token`, `id_token`),
//! a `curl` command (its `Authorization` header), a shell assignment
//! (`export DATABRICKS_TOKEN=…`, `VAR=…`), and a URL carrying the token in
//! its fragment or query (`#access_token=`, `?id_token=`, jwt.ms, jwt.io).
//! A token wrapped over several lines is joined by [`join_wrapped_lines`]
//! (it needs a new string, so the caller does it first).
//!
//! When the text holds more than one token, the one in the `Authorization`
//! header (or the `access_token` of a URL) is taken and the wrapping says
//! how many others were left; when there is no such rule to choose, it is
//! an error, never a silent pick.

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
    /// Taken from the `Authorization` header of a `curl` command (or of an
    /// HTTP request); `others` further tokens in the text were not taken.
    CurlHeader {
        /// How many further tokens were in the text.
        others: usize,
    },
    /// The value of a shell assignment (`export NAME=…`, `NAME=…`).
    ShellAssignment,
    /// A URL's parameter (`access_token`, `id_token`, `token`); `others`
    /// further token parameters were not taken.
    UrlParameter {
        /// The parameter's name.
        name: &'static str,
        /// How many further token parameters the URL has.
        others: usize,
    },
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
    // A bare token (what a batch holds, line after line) starts with the
    // base64url of '{"': no command, URL or assignment to look for.
    if !s.starts_with("eyJ") {
        if let Some(found) = from_command(s)? {
            return finish(found.0, found.1);
        }
        if let Some(found) = from_url(s)? {
            return finish(found.0, found.1);
        }
        if let Some(value) = shell_value(s) {
            s = value;
            wrapping = Wrapping::ShellAssignment;
        }
    }
    s = strip_quotes(s);
    if let Some(rest) = strip_prefix_ci(s, "authorization:") {
        s = rest.trim_start();
        wrapping = Wrapping::BearerPrefix;
    }
    if let Some(rest) = after_bearer(s, char::is_whitespace) {
        s = rest.trim_start();
        wrapping = Wrapping::BearerPrefix;
    }
    finish(strip_quotes(s.trim()), wrapping)
}

/// `s` after a leading scheme word `Bearer` (any case) that ends at `s`'s
/// end or at a character `space` accepts; `None` without that word.
fn after_bearer(s: &str, space: fn(char) -> bool) -> Option<&str> {
    strip_prefix_ci(s, "bearer").filter(|rest| rest.is_empty() || rest.starts_with(space))
}

/// Why an `Authorization` header value is not `Bearer <token>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerError {
    /// Another scheme (its first word, as sent).
    NotBearer {
        /// The scheme the header names instead of `Bearer`.
        scheme: String,
    },
    /// `Bearer` and nothing after it.
    NoToken,
}

/// The token of an `Authorization` header value, strictly (what an HTTP
/// server such as `serve`'s GET /auth takes): the scheme `Bearer` in any
/// case, a space, the token; surrounding spaces aside, nothing else is
/// unwrapped (no quotes, no command line, no JSON), unlike [`extract`].
pub fn bearer_header(value: &str) -> Result<&str, BearerError> {
    let value = value.trim();
    match after_bearer(value, |c| c == ' ') {
        Some(rest) if rest.trim().is_empty() => Err(BearerError::NoToken),
        Some(rest) => Ok(rest.trim()),
        None => Err(BearerError::NotBearer {
            scheme: value.split(' ').next().unwrap_or_default().to_owned(),
        }),
    }
}

fn finish(s: &str, wrapping: Wrapping) -> Result<(&str, Wrapping), FormatError> {
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

/// The characters of a compact JWS.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Token-shaped words: `eyJ…` runs of base64url with two dots.
fn token_words(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.match_indices("eyJ").filter_map(move |(at, _)| {
        // Only the start of a word: not in the middle of another token.
        if s[..at].chars().next_back().is_some_and(is_token_char) {
            return None;
        }
        let len = s[at..]
            .find(|c: char| !is_token_char(c))
            .unwrap_or(s.len() - at);
        let word = &s[at..at + len];
        (word.matches('.').count() == 2).then_some((at, word))
    })
}

/// A `curl` command, or an HTTP request as text: the token of its
/// `Authorization: Bearer` header. Two different Authorization tokens are
/// an error; without one, a single token elsewhere is taken, several are
/// an error.
fn from_command(s: &str) -> Result<Option<(&str, Wrapping)>, FormatError> {
    let command = s.strip_prefix("$ ").unwrap_or(s);
    let is_curl = command.starts_with("curl") && command[4..].starts_with(char::is_whitespace);
    let is_request = s.contains('\n')
        && s.lines()
            .skip(1)
            .any(|l| strip_prefix_ci(l.trim_start(), "authorization:").is_some());
    if !is_curl && !is_request {
        return Ok(None);
    }
    let lower = s.to_ascii_lowercase();
    let mut header: Option<(usize, &str)> = None;
    for (at, _) in lower.match_indices("authorization:") {
        let rest = &s[at + "authorization:".len()..];
        let rest = rest.trim_start_matches([' ', '\t']);
        let rest = strip_prefix_ci(rest, "bearer")
            .map(|r| r.trim_start_matches([' ', '\t']))
            .unwrap_or(rest);
        let len = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
        let value = &rest[..len];
        let offset = s.len() - rest.len();
        match header {
            Some((_, v)) if v != value => {
                return Err(FormatError::Ambiguous {
                    found: 2,
                    where_: "Authorization headers",
                })
            }
            Some(_) => {}
            None => header = Some((offset, value)),
        }
    }
    let words: Vec<(usize, &str)> = token_words(s).collect();
    match header {
        Some((offset, value)) => {
            let others = words
                .iter()
                .filter(|(at, w)| *at != offset && *w != value)
                .count();
            Ok(Some((value, Wrapping::CurlHeader { others })))
        }
        None => match words.as_slice() {
            [] => Err(FormatError::NoTokenIn {
                what: "the command",
                looked_for: "an 'Authorization: Bearer' header or an eyJ… token",
            }),
            [(_, w)] => Ok(Some((w, Wrapping::CurlHeader { others: 0 }))),
            more => Err(FormatError::Ambiguous {
                found: more.len(),
                where_: "the command, and none in an Authorization header",
            }),
        },
    }
}

const URL_PARAMETERS: [&str; 4] = ["access_token", "id_token", "token", "value"];

/// A URL (a redirect, jwt.ms, jwt.io) with the token as a parameter of its
/// fragment or query: `access_token` first, then `id_token`, `token`.
fn from_url(s: &str) -> Result<Option<(&str, Wrapping)>, FormatError> {
    let Some(scheme_end) = s.find("://") else {
        return Ok(None);
    };
    let scheme = &s[..scheme_end];
    if scheme.is_empty()
        || scheme.len() > 32
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        || s.contains(char::is_whitespace)
    {
        return Ok(None);
    }
    let params = s[scheme_end..]
        .split(['?', '#', '&'])
        .skip(1)
        .filter_map(|p| p.split_once('='));
    let mut found: Vec<(&'static str, &str)> = Vec::new();
    let mut has_error = false;
    for (k, v) in params {
        has_error |= k == "error";
        if let Some(name) = URL_PARAMETERS.iter().find(|n| **n == k) {
            if !found.iter().any(|(_, seen)| *seen == v) {
                found.push((name, v));
            }
        }
    }
    if found.is_empty() {
        // A redirect with error=…: not a token at all (`explain` reads it).
        return if has_error {
            Ok(None)
        } else {
            Err(FormatError::NoTokenIn {
                what: "the URL",
                looked_for: "an access_token, id_token or token parameter",
            })
        };
    }
    let others = found.len() - 1;
    let (name, value) = URL_PARAMETERS
        .iter()
        .find_map(|n| found.iter().find(|(f, _)| f == n))
        .copied()
        .unwrap_or(found[0]);
    if value.contains('%') {
        return Err(FormatError::InputJsonField {
            field: name,
            reason: "it is percent-encoded, which a token never is",
        });
    }
    Ok(Some((value, Wrapping::UrlParameter { name, others })))
}

/// `export NAME=value`, `NAME=value`, `$env:NAME = value`, `set NAME=value`:
/// the value (quotes are removed afterwards). One line only.
fn shell_value(s: &str) -> Option<&str> {
    if s.contains('\n') {
        return None;
    }
    let rest = ["export ", "set ", "$env:"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .unwrap_or(s)
        .trim_start();
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    if name_len == 0 || rest.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let after = rest[name_len..].trim_start();
    let value = after.strip_prefix('=')?;
    Some(value.trim().trim_end_matches(';').trim())
}

/// A token wrapped over several lines (a terminal, an e-mail), joined: only
/// when every line is base64url (or dots) and the result has the three
/// parts of one token. `None` when the text is not like that.
pub fn join_wrapped_lines(text: &str) -> Option<String> {
    let t = text.trim();
    if !t.contains('\n') || t.len() > MAX_TOKEN_BYTES * 2 {
        return None;
    }
    let mut joined = String::with_capacity(t.len());
    for line in t.lines() {
        let line = line.trim();
        if line.is_empty() || !line.chars().all(is_token_char) {
            return None;
        }
        joined.push_str(line);
    }
    (joined.matches('.').count() == 2).then_some(joined)
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
    fn bearer_header_takes_exactly_bearer_and_a_token() {
        assert_eq!(bearer_header("Bearer  a.b.c "), Ok("a.b.c"));
        assert_eq!(bearer_header("bearer a.b.c"), Ok("a.b.c"));
        assert_eq!(bearer_header("Bearer"), Err(BearerError::NoToken));
        assert_eq!(bearer_header("Bearer   "), Err(BearerError::NoToken));
        assert_eq!(
            bearer_header("Basic dXNlcjpwYXNz"),
            Err(BearerError::NotBearer {
                scheme: "Basic".into()
            })
        );
        // What `extract` unwraps is not a header value.
        assert!(bearer_header("Bearer\ta.b.c").is_err());
        assert!(bearer_header("Bearerx a.b.c").is_err());
        assert!(bearer_header("Authorization: Bearer a.b.c").is_err());
        assert!(bearer_header("a.b.c").is_err());
    }

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

    const T: &str = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln";
    const U: &str = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ5In0.b3RoZXI";

    #[test]
    fn takes_the_authorization_header_of_a_curl_command() {
        let line = format!("curl -s -H 'Authorization: Bearer {T}' https://adb-1.2.azuredatabricks.net/api/2.0/clusters/list");
        assert_eq!(
            extract(&line).unwrap(),
            (T, Wrapping::CurlHeader { others: 0 })
        );
        let whole = format!("$ curl -X POST \\\n  --header \"authorization: bearer {T}\" \\\n  -d '{{}}' https://x.example/api");
        assert_eq!(extract(&whole).unwrap().0, T);
        // A second token elsewhere: the header's is taken, and counted.
        let two = format!("curl -H 'Authorization: Bearer {T}' -H 'X-Databricks-Azure-SP-Management-Token: {U}' https://x");
        assert_eq!(
            extract(&two).unwrap(),
            (T, Wrapping::CurlHeader { others: 1 })
        );
        // Two different Authorization headers: no silent pick.
        let clash =
            format!("curl -H 'Authorization: Bearer {T}' -H 'Authorization: Bearer {U}' https://x");
        assert!(matches!(
            extract(&clash),
            Err(FormatError::Ambiguous { found: 2, .. })
        ));
        // No header and two tokens: an error too; one token: taken.
        let loose = format!("curl -d 'a={T}&b={U}' https://x");
        assert!(matches!(
            extract(&loose),
            Err(FormatError::Ambiguous { .. })
        ));
        assert_eq!(
            extract(&format!("curl -d 'assertion={T}' https://x"))
                .unwrap()
                .0,
            T
        );
        assert!(matches!(
            extract("curl https://x"),
            Err(FormatError::NoTokenIn { .. })
        ));
        // An HTTP request as text.
        let request =
            format!("GET /api/2.0/clusters/list HTTP/1.1\nHost: x\nAuthorization: Bearer {T}\n");
        assert_eq!(extract(&request).unwrap().0, T);
    }

    #[test]
    fn takes_the_value_of_a_shell_assignment() {
        for line in [
            format!("export DATABRICKS_TOKEN={T}"),
            format!("export DATABRICKS_TOKEN=\"{T}\""),
            format!("TOKEN='{T}'"),
            format!("$env:DATABRICKS_TOKEN = \"{T}\""),
            format!("set TOKEN={T}"),
        ] {
            assert_eq!(
                extract(&line).unwrap(),
                (T, Wrapping::ShellAssignment),
                "{line}"
            );
        }
        assert_eq!(
            extract(&format!("Bearer {T}")).unwrap().1,
            Wrapping::BearerPrefix
        );
    }

    #[test]
    fn takes_the_token_parameter_of_a_url() {
        let jwt_ms = format!("https://jwt.ms/#access_token={T}&token_type=Bearer&expires_in=3599");
        assert_eq!(
            extract(&jwt_ms).unwrap(),
            (
                T,
                Wrapping::UrlParameter {
                    name: "access_token",
                    others: 0
                }
            )
        );
        let query = format!("http://localhost:8400/callback?id_token={T}&state=x");
        assert_eq!(extract(&query).unwrap().0, T);
        assert_eq!(
            extract(&format!("https://jwt.io/#debugger-io?token={T}"))
                .unwrap()
                .0,
            T
        );
        // Implicit flow with both: the access token, and the other counted.
        let both = format!("https://app.example/#id_token={U}&access_token={T}&state=1");
        assert_eq!(
            extract(&both).unwrap(),
            (
                T,
                Wrapping::UrlParameter {
                    name: "access_token",
                    others: 1
                }
            )
        );
        assert!(matches!(
            extract("https://app.example/#state=1"),
            Err(FormatError::NoTokenIn { .. })
        ));
        assert!(extract(&format!("https://a/#access_token={T}%2E")).is_err());
    }

    #[test]
    fn joins_a_token_wrapped_over_lines_only_when_every_line_is_base64url() {
        let wrapped = format!("{}\n{}\r\n  {}\n", &T[..10], &T[10..30], &T[30..]);
        assert_eq!(join_wrapped_lines(&wrapped).as_deref(), Some(T));
        assert_eq!(join_wrapped_lines(T), None, "one line: nothing to join");
        assert_eq!(join_wrapped_lines(&format!("{T}\n{U}")), None, "two tokens");
        assert_eq!(
            join_wrapped_lines(&format!("{}\nnot base64!\n{}", &T[..10], &T[10..])),
            None
        );
        assert_eq!(
            join_wrapped_lines(&format!("{}\n\n{}", &T[..10], &T[10..])),
            None
        );
    }

    #[test]
    fn pasted_shapes_never_panic_whatever_their_pieces() {
        // Every sequence of up to four pieces: prefixes, separators, token
        // parts and multi-byte characters that could split a slice.
        let pieces = [
            "curl ",
            "$ ",
            "-H '",
            "Authorization:",
            " Bearer ",
            "eyJ",
            "a.b",
            ".",
            "'",
            "\"",
            "\n",
            "export ",
            "X=",
            "$env:",
            "https://",
            "#",
            "?",
            "&",
            "access_token=",
            "=",
            "é",
            "€x",
            " ",
            "{",
        ];
        let n = pieces.len();
        let mut buf = String::new();
        for a in 0..n {
            for b in 0..n {
                for c in 0..n {
                    for d in 0..n {
                        buf.clear();
                        for k in [a, b, c, d] {
                            buf.push_str(pieces[k]);
                        }
                        let _ = extract(&buf);
                        let _ = join_wrapped_lines(&buf);
                    }
                }
            }
        }
    }

    #[test]
    fn bounds_length() {
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(matches!(extract(&long), Err(FormatError::TooLong { .. })));
    }
}
