//! A small, bounded reader for the object literals people paste: strict JSON,
//! and the Python `repr` of a dict (single-quoted strings, `True`, `False`,
//! `None`, tuples) that MSAL Python returns and many scripts print.
//!
//! It builds a [`serde_json::Value`] so the rest of the module handles both
//! shapes alike. It never panics on any input and refuses nesting deeper
//! than the limit it is given.

use serde_json::{Map, Number, Value};

/// Reads one value at the start of `s` (after optional whitespace) and
/// returns it with the byte offset just past it. `None` if `s` does not start
/// with a readable value or nests deeper than `max_depth`.
pub(crate) fn value_prefix(s: &str, max_depth: usize) -> Option<(Value, usize)> {
    let mut r = Reader {
        s,
        pos: 0,
        max_depth,
    };
    let v = r.value(0)?;
    Some((v, r.pos))
}

/// Reads `s` as exactly one value, allowing only whitespace around it.
pub(crate) fn value_complete(s: &str, max_depth: usize) -> Option<Value> {
    let (v, end) = value_prefix(s, max_depth)?;
    s.get(end..)?.trim().is_empty().then_some(v)
}

struct Reader<'a> {
    s: &'a str,
    pos: usize,
    max_depth: usize,
}

impl Reader<'_> {
    fn rest(&self) -> &str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        self.skip_ws();
        match self.peek()? {
            '{' => self.object(depth + 1),
            '[' => self.sequence(']', depth + 1),
            '(' => self.sequence(')', depth + 1),
            '"' | '\'' => self.string(false).map(Value::String),
            c if c == '-' || c.is_ascii_digit() => self.number(),
            c if c.is_ascii_alphabetic() => self.word(),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        if depth > self.max_depth {
            return None;
        }
        self.bump(); // '{'
        let mut map = Map::new();
        loop {
            self.skip_ws();
            if self.eat('}') {
                return Some(Value::Object(map));
            }
            let key = match self.value(depth)? {
                Value::String(s) => s,
                other => other.to_string(),
            };
            self.skip_ws();
            if !self.eat(':') {
                return None;
            }
            let v = self.value(depth)?;
            map.insert(key, v);
            self.skip_ws();
            if self.eat(',') {
                continue;
            }
            self.skip_ws();
            if self.eat('}') {
                return Some(Value::Object(map));
            }
            return None;
        }
    }

    fn sequence(&mut self, close: char, depth: usize) -> Option<Value> {
        if depth > self.max_depth {
            return None;
        }
        self.bump(); // '[' or '('
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.eat(close) {
                return Some(Value::Array(items));
            }
            items.push(self.value(depth)?);
            self.skip_ws();
            if self.eat(',') {
                continue;
            }
            if self.eat(close) {
                return Some(Value::Array(items));
            }
            return None;
        }
    }

    /// A quoted string. `raw` turns escapes off (Python `r'...'`).
    fn string(&mut self, raw: bool) -> Option<String> {
        let quote = self.bump()?;
        let mut out = String::new();
        loop {
            let c = self.bump()?;
            if c == quote {
                return Some(out);
            }
            if c != '\\' || raw {
                out.push(c);
                continue;
            }
            let e = self.bump()?;
            match e {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                '0' => out.push('\0'),
                '\\' | '\'' | '"' | '/' => out.push(e),
                'x' => out.push(self.hex_char(2)?),
                'u' => {
                    let hi = self.hex_value(4)?;
                    if (0xD800..0xDC00).contains(&hi) && self.rest().starts_with("\\u") {
                        self.pos += 2;
                        let lo = self.hex_value(4)?;
                        let combined = 0x10000 + ((hi - 0xD800) << 10) + lo.checked_sub(0xDC00)?;
                        out.push(char::from_u32(combined).unwrap_or('\u{fffd}'));
                    } else {
                        out.push(char::from_u32(hi).unwrap_or('\u{fffd}'));
                    }
                }
                'U' => out.push(self.hex_char(8)?),
                other => {
                    // Python keeps unknown escapes as written.
                    out.push('\\');
                    out.push(other);
                }
            }
        }
    }

    fn hex_value(&mut self, digits: usize) -> Option<u32> {
        let text = self.rest().get(..digits)?;
        let v = u32::from_str_radix(text, 16).ok()?;
        self.pos += digits;
        Some(v)
    }

    fn hex_char(&mut self, digits: usize) -> Option<char> {
        let v = self.hex_value(digits)?;
        Some(char::from_u32(v).unwrap_or('\u{fffd}'))
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        let rest = self.rest();
        let len = rest
            .char_indices()
            .take_while(|&(i, c)| {
                c.is_ascii_digit()
                    || c == '.'
                    || c == 'e'
                    || c == 'E'
                    || c == '_'
                    || ((c == '-' || c == '+')
                        && (i == 0 || matches!(rest.as_bytes().get(i - 1), Some(b'e' | b'E'))))
            })
            .count();
        let text: String = self
            .s
            .get(start..start + len)?
            .chars()
            .filter(|&c| c != '_')
            .collect();
        self.pos = start + len;
        if let Ok(i) = text.parse::<i64>() {
            return Some(Value::Number(i.into()));
        }
        if let Ok(u) = text.parse::<u64>() {
            return Some(Value::Number(u.into()));
        }
        let f = text.parse::<f64>().ok()?;
        Number::from_f64(f).map(Value::Number)
    }

    /// A bare word: a literal, or a Python string prefix such as `u'…'`.
    fn word(&mut self) -> Option<Value> {
        let rest = self.rest();
        let len = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .count();
        let word = rest.get(..len)?;
        let after = rest.get(len..).and_then(|r| r.chars().next());
        if len <= 2
            && matches!(after, Some('\'' | '"'))
            && word.chars().all(|c| "rRuUbBfF".contains(c))
        {
            let raw = word.contains(['r', 'R']);
            self.pos += len;
            return self.string(raw).map(Value::String);
        }
        let v = match word {
            "true" | "True" => Value::Bool(true),
            "false" | "False" => Value::Bool(false),
            "null" | "None" => Value::Null,
            _ => return None,
        };
        self.pos += len;
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_json_and_python_reprs_alike() {
        let py = r#"{'error': 'invalid_grant', 'error_codes': [50126], 'ok': True, 'x': None, 't': (1, 2.5), "d": "a\"b"}"#;
        let v = value_complete(py, 8).unwrap();
        assert_eq!(
            v,
            json!({"error": "invalid_grant", "error_codes": [50126], "ok": true, "x": null, "t": [1, 2.5], "d": "a\"b"})
        );
        let js = r#"{"a": "\u00e9\ud83d\ude00", "b": [true, false, null], "c": -12e2}"#;
        let v = value_complete(js, 8).unwrap();
        assert_eq!(v["a"], "é😀");
        assert_eq!(v["c"], json!(-1200.0));
    }

    #[test]
    fn decodes_python_escapes() {
        let v = value_complete(
            r"{'m': 'line\r\nnext \x41 \'q\' \d', 'r': r'a\nb', 'u': u'\u00fc'}",
            8,
        )
        .unwrap();
        assert_eq!(v["m"], "line\r\nnext A 'q' \\d");
        assert_eq!(v["r"], "a\\nb");
        assert_eq!(v["u"], "ü");
    }

    #[test]
    fn prefix_reports_where_it_stopped() {
        let s = "{'a': 1} trailing text";
        let (v, end) = value_prefix(s, 8).unwrap();
        assert_eq!(v, json!({"a": 1}));
        assert_eq!(&s[end..], " trailing text");
        assert!(value_complete(s, 8).is_none());
    }

    #[test]
    fn refuses_garbage_and_depth_without_panicking() {
        for bad in [
            "",
            "{",
            "{'a'",
            "{'a': }",
            "['a' 'b']",
            "{'a': 1,,}",
            "\\x",
            "{'a': '\\u12'}",
            "nope",
            "{'k': \"\\ud800\\u0041\"}",
        ] {
            let _ = value_complete(bad, 8);
        }
        assert!(value_complete("{'a': '\\u12'}", 8).is_none());
        assert!(value_complete(&"[".repeat(100), 32).is_none());
        assert!(value_complete("[[[1]]]", 2).is_none());
        assert!(value_complete("[[[1]]]", 3).is_some());
    }
}
