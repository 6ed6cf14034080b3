//! Compact JWS parsing (RFC 7515 §7.1): three base64url parts, a JSON header
//! and a JSON payload, each checked and bounded, each decoded once.

use serde_json::Value;

use crate::alg::HeaderAlg;
use crate::b64;
use crate::claims::{ClaimSpans, Claims};
use crate::error::{FormatError, Part};
use crate::limits::{json_depth_exceeds, MAX_JSON_DEPTH, MAX_TOKEN_BYTES};

crate::claims::members! {
    /// The JOSE header members the engine reads. Others stay in the raw JSON.
    /// `jku`, `x5u`, `jwk` and `x5c` are recorded only to say that they were
    /// ignored: a token never chooses the key that verifies it.
    Header, HeaderSpans {
        alg, typ, kid, x5t, x5t_s256 => "x5t#S256", nonce, jku, x5u, jwk, x5c, crit, cty, enc,
    }
}

impl<'a> Header<'a> {
    /// The `alg` value, classified.
    pub fn alg(&self) -> Result<HeaderAlg, FormatError> {
        match &self.alg {
            None => Err(FormatError::MissingAlg),
            Some(r) => r
                .as_str()
                .map(HeaderAlg::classify)
                .ok_or(FormatError::AlgNotString),
        }
    }

    /// `kid` when it is a string.
    pub fn kid(&self) -> Option<&'a str> {
        self.kid.and_then(|r| r.as_str())
    }

    /// `x5t` when it is a string.
    pub fn x5t(&self) -> Option<&'a str> {
        self.x5t.and_then(|r| r.as_str())
    }

    /// Names of header members that try to supply or point at a key. The
    /// engine never uses them; findings say so.
    pub fn key_hints(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.jku.is_some() {
            v.push("jku");
        }
        if self.x5u.is_some() {
            v.push("x5u");
        }
        if self.jwk.is_some() {
            v.push("jwk");
        }
        if self.x5c.is_some() {
            v.push("x5c");
        }
        v
    }
}

/// A header parsed on its own (outside a token), for tools and tests that
/// handle JOSE headers directly.
#[derive(Debug, Clone)]
pub struct OwnedHeader {
    json: String,
    spans: HeaderSpans,
    unescaped: Vec<String>,
}

impl OwnedHeader {
    /// Parses a header's JSON text.
    pub fn parse(json: &str) -> Result<OwnedHeader, crate::json::JsonError> {
        let mut unescaped = Vec::new();
        let spans = HeaderSpans::parse(json, &mut unescaped)?;
        Ok(OwnedHeader {
            json: json.to_owned(),
            spans,
            unescaped,
        })
    }

    /// The borrowed view.
    pub fn view(&self) -> Header<'_> {
        self.spans.resolve(&self.json, &self.unescaped)
    }
}

/// A parsed compact JWS. Nothing in it has been verified.
#[derive(Debug, Clone)]
pub struct Token {
    /// The compact token, then the decoded header JSON, then the decoded
    /// payload JSON: one allocation for the three.
    text: String,
    /// Length of `header.payload`, the signing input.
    signing_input_len: usize,
    /// Where the header JSON starts in `text`.
    header_at: usize,
    /// Where the payload JSON starts in `text` (it runs to the end).
    payload_at: usize,
    signature: Vec<u8>,
    header: HeaderSpans,
    claims: ClaimSpans,
    /// Members whose strings had escapes, unescaped once.
    unescaped: Vec<String>,
}

impl Token {
    /// Parses a compact JWS. `text` must already be the bare token (see
    /// [`crate::input::extract`] for pasted text).
    pub fn parse(text: &str) -> Result<Token, FormatError> {
        if text.is_empty() {
            return Err(FormatError::Empty);
        }
        if text.len() > MAX_TOKEN_BYTES {
            return Err(FormatError::TooLong {
                len: text.len(),
                max: MAX_TOKEN_BYTES,
            });
        }
        let mut dots = [0usize; 2];
        let mut count = 0;
        for at in memchr::memchr_iter(b'.', text.as_bytes()).take(5) {
            if count < 2 {
                dots[count] = at;
            }
            count += 1;
        }
        match count {
            2 => {}
            4 => return Err(FormatError::Jwe),
            n => return Err(FormatError::PartCount { found: n + 1 }),
        }
        let (h, p, s) = (
            &text[..dots[0]],
            &text[dots[0] + 1..dots[1]],
            &text[dots[1] + 1..],
        );
        if h.is_empty() {
            return Err(FormatError::EmptyPart { part: Part::Header });
        }
        if p.is_empty() {
            return Err(FormatError::EmptyPart {
                part: Part::Payload,
            });
        }
        if s.is_empty() {
            return Err(FormatError::EmptySignature);
        }
        let mut buf = Vec::with_capacity(text.len() + (h.len() + p.len()) * 3 / 4 + 4);
        buf.extend_from_slice(text.as_bytes());
        let mut unescaped = Vec::new();

        let header_at = buf.len();
        let header = {
            let json = decode_json_part(h, Part::Header, 0, &mut buf)?;
            let spans =
                HeaderSpans::parse(json, &mut unescaped).map_err(|e| FormatError::Json {
                    part: Part::Header,
                    reason: e.to_string(),
                })?;
            let view = spans.resolve(json, &unescaped);
            view.alg()?;
            if let Some(crit) = view.crit {
                return Err(FormatError::Crit(crit.json().to_owned()));
            }
            spans
        };
        let payload_at = buf.len();
        let claims = {
            let json = decode_json_part(p, Part::Payload, dots[0] + 1, &mut buf)?;
            ClaimSpans::parse(json, &mut unescaped).map_err(|e| FormatError::Json {
                part: Part::Payload,
                reason: e.to_string(),
            })?
        };
        let signature = decode_part(s, Part::Signature, dots[1] + 1)?;
        // Each part was checked as UTF-8 above: this cannot fail.
        let text = String::from_utf8(buf).map_err(|e| FormatError::Json {
            part: Part::Payload,
            reason: e.to_string(),
        })?;
        Ok(Token {
            text,
            signing_input_len: dots[1],
            header_at,
            payload_at,
            signature,
            header,
            claims,
            unescaped,
        })
    }

    /// The whole compact token.
    pub fn compact(&self) -> &str {
        &self.text[..self.header_at]
    }

    /// The bytes the signature covers: `base64url(header).base64url(payload)`.
    pub fn signing_input(&self) -> &[u8] {
        &self.text.as_bytes()[..self.signing_input_len]
    }

    /// The decoded signature.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The header members the engine reads, borrowed from the token.
    pub fn header(&self) -> Header<'_> {
        self.header.resolve(self.header_text(), &self.unescaped)
    }

    /// The claims the rules read, borrowed from the token.
    pub fn claims(&self) -> Claims<'_> {
        self.claims.resolve(self.payload_text(), &self.unescaped)
    }

    fn header_text(&self) -> &str {
        &self.text[self.header_at..self.payload_at]
    }

    fn payload_text(&self) -> &str {
        &self.text[self.payload_at..]
    }

    /// The decoded header JSON, as sent.
    pub fn header_json(&self) -> &[u8] {
        self.header_text().as_bytes()
    }

    /// The decoded payload JSON, as sent.
    pub fn payload_json(&self) -> &[u8] {
        self.payload_text().as_bytes()
    }

    /// The header as a JSON object (parsed on demand, for display).
    pub fn header_value(&self) -> serde_json::Map<String, Value> {
        serde_json::from_str(self.header_text()).unwrap_or_default()
    }

    /// The payload as a JSON object (parsed on demand, for display).
    pub fn payload_value(&self) -> serde_json::Map<String, Value> {
        serde_json::from_str(self.payload_text()).unwrap_or_default()
    }
}

/// Decodes a JSON part onto the end of `buf`: base64url, bounded depth, a
/// JSON object, UTF-8. Returns the decoded text.
fn decode_json_part<'b>(
    part_text: &str,
    part: Part,
    base: usize,
    buf: &'b mut Vec<u8>,
) -> Result<&'b str, FormatError> {
    let start = buf.len();
    b64::decode_append(part_text.as_bytes(), buf)
        .map_err(|reason| base64_error(base, part, reason))?;
    let bytes = &buf[start..];
    check_object(bytes, part)?;
    std::str::from_utf8(bytes).map_err(|e| FormatError::Json {
        part,
        reason: format!(
            "it is not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        ),
    })
}

fn decode_part(part_text: &str, part: Part, base: usize) -> Result<Vec<u8>, FormatError> {
    b64::decode(part_text.as_bytes()).map_err(|reason| base64_error(base, part, reason))
}

/// A whitespace or control byte inside a part is most often a token split
/// over lines when copied: say so rather than "not base64url".
fn base64_error(base: usize, part: Part, reason: b64::B64Error) -> FormatError {
    if let b64::B64Error::InvalidByte { offset, byte } = reason {
        if byte.is_ascii_whitespace() || byte.is_ascii_control() {
            return FormatError::Whitespace {
                offset: base + offset,
            };
        }
    }
    FormatError::Base64 { part, reason }
}

fn check_object(json: &[u8], part: Part) -> Result<(), FormatError> {
    if json_depth_exceeds(json, MAX_JSON_DEPTH) {
        return Err(FormatError::TooDeep {
            part,
            max: MAX_JSON_DEPTH,
        });
    }
    let first = json.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return Ok(());
    }
    match first {
        Some(b'{') => Ok(()),
        Some(_) => {
            // Say "not JSON" when it is not, and "not an object" when it is.
            match serde_json::from_slice::<serde::de::IgnoredAny>(json) {
                Ok(_) => Err(FormatError::NotObject { part }),
                Err(e) => Err(FormatError::Json {
                    part,
                    reason: e.to_string(),
                }),
            }
        }
        None => Err(FormatError::Json {
            part,
            reason: "it decodes to nothing but whitespace".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64::encode;

    fn tok(h: &str, p: &str, s: &str) -> String {
        format!("{}.{}.{}", encode(h.as_bytes()), encode(p.as_bytes()), s)
    }

    #[test]
    fn parses_a_token_and_keeps_its_parts() {
        let t = tok(
            r#"{"alg":"RS256","kid":"k1"}"#,
            r#"{"aud":"a","exp":5}"#,
            "c2ln",
        );
        let parsed = Token::parse(&t).unwrap();
        assert_eq!(parsed.header().kid(), Some("k1"));
        assert_eq!(parsed.signature(), b"sig");
        assert_eq!(
            parsed.signing_input(),
            t.rsplit_once('.').unwrap().0.as_bytes()
        );
    }

    #[test]
    fn names_each_malformation() {
        let h = r#"{"alg":"RS256"}"#;
        assert_eq!(
            Token::parse("a.b").unwrap_err(),
            FormatError::PartCount { found: 2 }
        );
        assert_eq!(Token::parse("a.b.c.d.e").unwrap_err(), FormatError::Jwe);
        assert_eq!(
            Token::parse(&tok(h, "{}", "")).unwrap_err(),
            FormatError::EmptySignature
        );
        assert!(matches!(
            Token::parse("a!.b.c").unwrap_err(),
            FormatError::Base64 {
                part: Part::Header,
                ..
            }
        ));
        assert!(matches!(
            Token::parse(&tok("nope", "{}", "c2ln")).unwrap_err(),
            FormatError::Json {
                part: Part::Header,
                ..
            }
        ));
        assert_eq!(
            Token::parse(&tok(h, "[1]", "c2ln")).unwrap_err(),
            FormatError::NotObject {
                part: Part::Payload
            }
        );
        assert_eq!(
            Token::parse(&tok(r#"{"typ":"JWT"}"#, "{}", "c2ln")).unwrap_err(),
            FormatError::MissingAlg
        );
        assert!(matches!(
            Token::parse(&tok(h, "{}", "c2l=")).unwrap_err(),
            FormatError::Base64 {
                part: Part::Signature,
                ..
            }
        ));
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
        assert!(matches!(
            Token::parse(&tok(h, &deep, "c2ln")).unwrap_err(),
            FormatError::TooDeep {
                part: Part::Payload,
                ..
            }
        ));
        assert!(matches!(
            Token::parse(&tok(h, r#"{"aud":"a","aud":"b"}"#, "c2ln")).unwrap_err(),
            FormatError::Json { .. }
        ));
        assert!(matches!(
            Token::parse(&tok(r#"{"alg":"RS256","crit":["exp"]}"#, "{}", "c2ln")).unwrap_err(),
            FormatError::Crit(_)
        ));
    }

    #[test]
    fn a_line_break_inside_is_named_with_its_offset() {
        let t = tok(r#"{"alg":"RS256"}"#, r#"{"a":1}"#, "c2ln");
        let broken = format!("{}\n{}", &t[..30], &t[30..]);
        assert_eq!(
            Token::parse(&broken).unwrap_err(),
            FormatError::Whitespace { offset: 30 }
        );
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        for s in ["..", "...", "\u{0}.a.b", "é.é.é", ".a.b", "a..b"] {
            assert!(Token::parse(s).is_err(), "{s:?}");
        }
    }
}
