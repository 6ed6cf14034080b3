//! A strict, single-pass scanner for the JSON objects in a token's header
//! and payload: it checks the text is JSON (RFC 8259, as strictly as
//! `serde_json`: no trailing commas, no leading zeros, no `NaN`, no raw
//! control characters, no lone surrogates) and reports each top-level
//! member's name and where its value sits, building nothing.
//!
//! Every token passes through here, so it is written for speed: strings are
//! crossed with `memchr`, and nothing is allocated unless a member's name
//! has escapes. Depth is bounded by [`MAX_JSON_DEPTH`].

use std::borrow::Cow;
use std::fmt;

use crate::limits::MAX_JSON_DEPTH;

/// Why the text is not a JSON object, and the byte offset where it stops
/// being one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// What is wrong.
    pub what: Cow<'static, str>,
    /// Byte offset in the decoded JSON.
    pub offset: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

impl std::error::Error for JsonError {}

impl JsonError {
    fn at(offset: usize, what: &'static str) -> JsonError {
        JsonError {
            what: Cow::Borrowed(what),
            offset,
        }
    }

    /// A member the engine reads appears twice: two readers could see two
    /// values, so the token is refused.
    pub(crate) fn duplicate(name: &str, offset: usize) -> JsonError {
        JsonError {
            what: Cow::Owned(format!(
                "the member \"{}\" appears more than once",
                crate::text::clip(name, 40)
            )),
            offset,
        }
    }
}

/// One top-level member's value: the byte range of its JSON text, and
/// whether it is a string with escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub escaped: bool,
}

/// Scans `json`, which must be one JSON object (whitespace around it
/// allowed), and calls `member(name, span)` for each top-level member in
/// order: its name (unescaped) and where its value is. An error from
/// `member` stops the scan and is returned.
pub fn scan_object<'a, F>(json: &'a str, mut member: F) -> Result<(), JsonError>
where
    F: FnMut(Cow<'a, str>, Span) -> Result<(), JsonError>,
{
    let mut s = Scanner {
        b: json.as_bytes(),
        pos: 0,
    };
    s.ws();
    s.object_with(1, |name, name_escaped, span| {
        let raw = &json[name.clone()];
        let name =
            if name_escaped {
                Cow::Owned(unescape(raw).ok_or_else(|| {
                    JsonError::at(name.start, "a member name has an invalid escape")
                })?)
            } else {
                Cow::Borrowed(raw)
            };
        member(name, span)
    })?;
    s.ws();
    if s.pos != s.b.len() {
        return Err(JsonError::at(s.pos, "unexpected text after the object"));
    }
    Ok(())
}

struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn expect(&mut self, c: u8, what: &'static str) -> Result<(), JsonError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(JsonError::at(self.pos, what))
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// One value, at nesting `depth` (the enclosing object or array is 1).
    /// Returns whether it is a string with escapes.
    fn value(&mut self, depth: usize) -> Result<bool, JsonError> {
        let none = |r: Result<(), JsonError>| r.map(|()| false);
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'{') => none(self.object(depth + 1)),
            Some(b'[') => none(self.array(depth + 1)),
            Some(b't') => none(self.literal(b"true")),
            Some(b'f') => none(self.literal(b"false")),
            Some(b'n') => none(self.literal(b"null")),
            Some(b'-' | b'0'..=b'9') => none(self.number()),
            Some(_) => Err(JsonError::at(self.pos, "expected a value")),
            None => Err(JsonError::at(
                self.pos,
                "the text ends where a value was expected",
            )),
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), JsonError> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(JsonError::at(self.pos, "expected true, false or null"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), JsonError> {
        self.object_with(depth, |_, _, _| Ok(()))
    }

    /// An object at nesting `depth`, from its opening brace to past its
    /// closing one; `member` is told, for each member, where its name is
    /// (inside the quotes), whether the name has escapes, and where its
    /// value is.
    fn object_with<F>(&mut self, depth: usize, mut member: F) -> Result<(), JsonError>
    where
        F: FnMut(std::ops::Range<usize>, bool, Span) -> Result<(), JsonError>,
    {
        if depth > MAX_JSON_DEPTH {
            return Err(JsonError::at(self.pos, "the JSON nests too deeply"));
        }
        self.expect(b'{', "expected '{' to open an object")?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(JsonError::at(self.pos, "expected a member name in quotes"));
            }
            let name_start = self.pos + 1;
            let name_escaped = self.string()?;
            let name = name_start..self.pos - 1;
            self.ws();
            self.expect(b':', "expected ':' after a member name")?;
            self.ws();
            let start = self.pos;
            let escaped = self.value(depth)?;
            member(
                name,
                name_escaped,
                Span {
                    start,
                    end: self.pos,
                    escaped,
                },
            )?;
            self.ws();
            match self.next() {
                Some(b',') => continue,
                Some(b'}') => return Ok(()),
                _ => {
                    return Err(JsonError::at(
                        self.pos.saturating_sub(1),
                        "expected ',' or '}'",
                    ))
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_JSON_DEPTH {
            return Err(JsonError::at(self.pos, "the JSON nests too deeply"));
        }
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.value(depth)?;
            self.ws();
            match self.next() {
                Some(b',') => continue,
                Some(b']') => return Ok(()),
                _ => {
                    return Err(JsonError::at(
                        self.pos.saturating_sub(1),
                        "expected ',' or ']'",
                    ))
                }
            }
        }
    }

    /// A string, from its opening quote to past its closing one. Returns
    /// whether it had escapes.
    fn string(&mut self) -> Result<bool, JsonError> {
        self.pos += 1;
        let mut escaped = false;
        loop {
            self.pos += plain_run(&self.b[self.pos..]);
            match self.next() {
                Some(b'"') => return Ok(escaped),
                Some(b'\\') => {
                    escaped = true;
                    self.escape()?;
                }
                Some(_) => {
                    return Err(JsonError::at(
                        self.pos - 1,
                        "a control character must be escaped inside a string",
                    ))
                }
                None => return Err(JsonError::at(self.pos, "a string is not closed")),
            }
        }
    }

    /// The rest of an escape, after its backslash.
    fn escape(&mut self) -> Result<(), JsonError> {
        match self.next() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(()),
            Some(b'u') => {
                let at = self.pos - 2;
                let unit = self.hex4()?;
                match unit {
                    0xD800..=0xDBFF => {
                        if self.b[self.pos..].starts_with(b"\\u") {
                            self.pos += 2;
                            if (0xDC00..=0xDFFF).contains(&self.hex4()?) {
                                return Ok(());
                            }
                        }
                        Err(JsonError::at(at, "a \\u escape is a lone surrogate"))
                    }
                    0xDC00..=0xDFFF => Err(JsonError::at(at, "a \\u escape is a lone surrogate")),
                    _ => Ok(()),
                }
            }
            _ => Err(JsonError::at(
                self.pos.saturating_sub(1),
                "an invalid escape inside a string",
            )),
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .b
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| JsonError::at(self.pos, "a \\u escape needs four hex digits"))?;
        let mut v = 0u32;
        for &d in digits {
            let n = (d as char)
                .to_digit(16)
                .ok_or_else(|| JsonError::at(self.pos, "a \\u escape needs four hex digits"))?;
            v = v * 16 + n;
        }
        self.pos += 4;
        Ok(v)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<(), JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(JsonError::at(start, "a number has a leading zero"));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(JsonError::at(start, "a number needs a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(JsonError::at(self.pos, "a number needs a digit after '.'"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(JsonError::at(
                    self.pos,
                    "a number needs a digit in its exponent",
                ));
            }
            self.digits();
        }
        Ok(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }
}

/// How many bytes at the start of `b` can sit in a string as they are: not
/// a quote, a backslash or a control character. Eight bytes at a time
/// (claim values are mostly short, too short for `memchr` to pay).
fn plain_run(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // A byte is flagged when it is zero after xor with '"' or '\\', or
        // below 0x20; the lowest flag is exact (borrows only run upwards).
        let quote = x ^ (ONES * b'"' as u64);
        let slash = x ^ (ONES * b'\\' as u64);
        let flags = ((quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (x.wrapping_sub(ONES * 0x20) & !x))
            & HIGH;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

/// Unescapes the inside of a JSON string already checked by the scanner.
/// `None` when an escape is invalid.
pub fn unescape(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let b = rest.as_bytes();
        let (c, used) = match b.get(i + 1)? {
            b'"' => ('"', 2),
            b'\\' => ('\\', 2),
            b'/' => ('/', 2),
            b'b' => ('\u{8}', 2),
            b'f' => ('\u{c}', 2),
            b'n' => ('\n', 2),
            b'r' => ('\r', 2),
            b't' => ('\t', 2),
            b'u' => {
                let hi = u32::from_str_radix(rest.get(i + 2..i + 6)?, 16).ok()?;
                if (0xD800..=0xDBFF).contains(&hi) {
                    if rest.get(i + 6..i + 8)? != "\\u" {
                        return None;
                    }
                    let lo = u32::from_str_radix(rest.get(i + 8..i + 12)?, 16).ok()?;
                    if !(0xDC00..=0xDFFF).contains(&lo) {
                        return None;
                    }
                    (
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?,
                        12,
                    )
                } else {
                    (char::from_u32(hi)?, 6)
                }
            }
            _ => return None,
        };
        out.push(c);
        rest = &rest[i + used..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(json: &str) -> Result<Vec<(String, String)>, JsonError> {
        let mut v = Vec::new();
        scan_object(json, |n, span| {
            v.push((n.into_owned(), json[span.start..span.end].to_owned()));
            Ok(())
        })?;
        Ok(v)
    }

    #[test]
    fn reports_top_level_members_with_their_json() {
        let m =
            members(r#" {"a":1, "b" : {"c":[1,2,{"d":null}]}, "\u0061x":"s\"t", "e":-0.5e+3} "#)
                .unwrap();
        assert_eq!(
            m,
            [
                ("a".into(), "1".into()),
                ("b".into(), r#"{"c":[1,2,{"d":null}]}"#.into()),
                ("ax".into(), r#""s\"t""#.into()),
                ("e".into(), "-0.5e+3".into()),
            ]
        );
        assert_eq!(members("{}").unwrap(), []);
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for bad in [
            "",
            "{",
            "}",
            "[]",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":NaN}"#,
            r#"{"a":tru}"#,
            r#"{"a":"x"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udc00x"}"#,
            r#"{"a":1} x"#,
            r#"{a:1}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":[1 2]}"#,
            r#"{"a":{"b":1,}}"#,
            r#"{"a":-}"#,
            r#"{"a":+1}"#,
        ] {
            assert!(members(bad).is_err(), "{bad:?} should be refused");
            assert!(
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(bad).is_err()
                    || bad.contains("\\ud800")
                    || bad.contains("\\udc00"),
                "{bad:?}: the test's expectation disagrees with serde_json"
            );
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
        assert!(members(&deep).is_err());
        let ok = format!("{{\"a\":{}1{}}}", "[".repeat(20), "]".repeat(20));
        assert!(members(&ok).is_ok());
    }

    #[test]
    fn unescapes_names_and_pairs() {
        assert_eq!(
            unescape(r#"a\u00e9\ud83d\ude00\n\/"#).as_deref(),
            Some("aé😀\n/")
        );
        assert_eq!(unescape(r#"\ud83d"#), None);
        assert_eq!(unescape(r#"\q"#), None);
    }

    #[test]
    fn plain_run_stops_at_the_first_special_byte() {
        for special in [b'"', b'\\', 0u8, 0x1f] {
            for at in 0..20 {
                let mut v = vec![b'a'; 20];
                v.extend_from_slice("é\u{7f}\u{80}".as_bytes());
                v[at] = special;
                // A later special byte does not move the answer.
                v.push(b'"');
                assert_eq!(plain_run(&v), at, "{special} at {at}");
            }
        }
        assert_eq!(plain_run("aé \u{7f}~".as_bytes()), 6);
        assert_eq!(plain_run(b""), 0);
    }

    /// Agrees with serde_json on whether a text is a JSON object, over
    /// every one-byte change of a token-shaped payload.
    #[test]
    fn agrees_with_serde_json_on_mutations() {
        let base = r#"{"aud":["a","b"],"exp":1700000000,"n":-1.5e3,"o":{"p":[true,false,null]},"s":"x\"y\u00e9"}"#;
        let alphabet = b"{}[]:,\"\\ -+.0123456789eEtrufalsn\tux";
        let mut checked = 0;
        for i in 0..base.len() {
            for &c in alphabet {
                let mut m = base.as_bytes().to_vec();
                m[i] = c;
                let Ok(text) = std::str::from_utf8(&m) else {
                    continue;
                };
                let ours = members(text).is_ok();
                let theirs =
                    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
                        .is_ok();
                assert_eq!(ours, theirs, "{text}");
                checked += 1;
            }
        }
        assert!(checked > 2000);
    }

    /// And over random multi-byte changes, insertions and cuts of real
    /// token payloads (a fixed seed: the same cases each run).
    #[test]
    fn agrees_with_serde_json_on_random_edits() {
        let bases = [
            r#"{"aud":"2ff814a6-3304-4ab8-85cb-cd0e6f879c1d","iss":"https:\/\/sts.windows.net\/t\/","iat":1700000000,"amr":["pwd","mfa"],"xms_tcdt":1.5e9,"n":null,"b":true,"o":{"a":[{"b":"\ud83d\ude00"}]}}"#,
            r#"{"typ":"JWT","alg":"RS256","x5t":"abc","kid":"abc","nonce":"x y"}"#,
        ];
        let alphabet = b"{}[]:,\"\\ -+.019eEtrufalsn\tu\x01ab";
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut rand = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut ok, mut bad) = (0, 0);
        for round in 0..20_000 {
            let mut m = bases[round % 2].as_bytes().to_vec();
            for _ in 0..1 + rand(3) {
                let i = rand(m.len());
                match rand(3) {
                    0 => m[i] = alphabet[rand(alphabet.len())],
                    1 => m.insert(i, alphabet[rand(alphabet.len())]),
                    _ => {
                        m.remove(i);
                    }
                }
            }
            let Ok(text) = std::str::from_utf8(&m) else {
                continue;
            };
            let ours = members(text).is_ok();
            // One deliberate difference: a number too large for an f64 is
            // still JSON here (a date claim holding it is then malformed).
            let theirs =
                match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
                    Ok(_) => true,
                    Err(e) => {
                        e.to_string().contains("number out of range")
                            && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
                    }
                };
            assert_eq!(ours, theirs, "{text}");
            if ours {
                ok += 1;
            } else {
                bad += 1;
            }
        }
        // Both verdicts were exercised.
        assert!(ok > 1000 && bad > 1000, "{ok} accepted, {bad} refused");
    }
}
