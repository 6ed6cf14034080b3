//! Compact JWS parsing (RFC 7515 §7.1): three base64url parts, a JSON header
//! and a JSON payload, each checked and bounded, each decoded once.

use serde::Deserialize;
use serde_json::Value;

use crate::alg::HeaderAlg;
use crate::b64;
use crate::claims::Claims;
use crate::error::{FormatError, Part};
use crate::limits::{json_depth_exceeds, MAX_JSON_DEPTH, MAX_TOKEN_BYTES};

/// The JOSE header fields the engine reads. Others stay in the raw JSON.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Header {
    pub alg: Option<Value>,
    pub typ: Option<Value>,
    pub kid: Option<Value>,
    pub x5t: Option<Value>,
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: Option<Value>,
    /// Microsoft Graph tokens carry a `nonce` that changes the signed bytes.
    pub nonce: Option<Value>,
    /// Never followed: recorded only to say that it was ignored.
    pub jku: Option<Value>,
    /// Never followed: recorded only to say that it was ignored.
    pub x5u: Option<Value>,
    /// Never trusted: recorded only to say that it was ignored.
    pub jwk: Option<Value>,
    /// Never trusted: recorded only to say that it was ignored.
    pub x5c: Option<Value>,
    pub crit: Option<Value>,
    pub cty: Option<Value>,
    pub enc: Option<Value>,
}

impl Header {
    /// The `alg` value, classified.
    pub fn alg(&self) -> Result<HeaderAlg, FormatError> {
        match &self.alg {
            None => Err(FormatError::MissingAlg),
            Some(Value::String(s)) => Ok(HeaderAlg::classify(s)),
            Some(_) => Err(FormatError::AlgNotString),
        }
    }

    /// `kid` when it is a string.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_ref().and_then(Value::as_str)
    }

    /// `x5t` when it is a string.
    pub fn x5t(&self) -> Option<&str> {
        self.x5t.as_ref().and_then(Value::as_str)
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

/// A parsed compact JWS. Nothing in it has been verified.
#[derive(Debug, Clone)]
pub struct Token {
    compact: String,
    /// Length of `header.payload`, the signing input.
    signing_input_len: usize,
    header_json: Vec<u8>,
    payload_json: Vec<u8>,
    signature: Vec<u8>,
    header: Header,
    claims: Claims,
}

impl Token {
    /// Parses a compact JWS. `text` must already be the bare token (see
    /// [`crate::input::extract`] for pasted text).
    pub fn parse(text: &str) -> Result<Token, FormatError> {
        let mut scratch = Vec::new();
        Self::parse_with(text, &mut scratch)
    }

    /// Parses, reusing `scratch` for the signature's decoding, and keeping
    /// the header and payload JSON.
    pub fn parse_with(text: &str, _scratch: &mut Vec<u8>) -> Result<Token, FormatError> {
        if text.is_empty() {
            return Err(FormatError::Empty);
        }
        if text.len() > MAX_TOKEN_BYTES {
            return Err(FormatError::TooLong {
                len: text.len(),
                max: MAX_TOKEN_BYTES,
            });
        }
        let dots: Vec<usize> = text.match_indices('.').map(|(i, _)| i).take(5).collect();
        match dots.len() {
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
        let header_json = decode_part(h, Part::Header, 0)?;
        check_object(&header_json, Part::Header)?;
        let header: Header =
            serde_json::from_slice(&header_json).map_err(|e| FormatError::Json {
                part: Part::Header,
                reason: e.to_string(),
            })?;
        header.alg()?;
        if let Some(crit) = &header.crit {
            return Err(FormatError::Crit(crit.to_string()));
        }
        let payload_json = decode_part(p, Part::Payload, dots[0] + 1)?;
        check_object(&payload_json, Part::Payload)?;
        let claims: Claims =
            serde_json::from_slice(&payload_json).map_err(|e| FormatError::Json {
                part: Part::Payload,
                reason: e.to_string(),
            })?;
        let signature = decode_part(s, Part::Signature, dots[1] + 1)?;
        Ok(Token {
            compact: text.to_owned(),
            signing_input_len: dots[1],
            header_json,
            payload_json,
            signature,
            header,
            claims,
        })
    }

    /// The whole compact token.
    pub fn compact(&self) -> &str {
        &self.compact
    }

    /// The bytes the signature covers: `base64url(header).base64url(payload)`.
    pub fn signing_input(&self) -> &[u8] {
        &self.compact.as_bytes()[..self.signing_input_len]
    }

    /// The decoded signature.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The typed header fields.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The typed claims the rules use.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The decoded header JSON, as sent.
    pub fn header_json(&self) -> &[u8] {
        &self.header_json
    }

    /// The decoded payload JSON, as sent.
    pub fn payload_json(&self) -> &[u8] {
        &self.payload_json
    }

    /// The header as a JSON object (parsed on demand, for display).
    pub fn header_value(&self) -> serde_json::Map<String, Value> {
        serde_json::from_slice(&self.header_json).unwrap_or_default()
    }

    /// The payload as a JSON object (parsed on demand, for display).
    pub fn payload_value(&self) -> serde_json::Map<String, Value> {
        serde_json::from_slice(&self.payload_json).unwrap_or_default()
    }
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
