//! Helpers shared by the conformance suites (`wycheproof.rs`,
//! `jose_cookbook.rs`): test-data paths, hex and base64url, JWK clean-up, and
//! a signature-level compact JWS check built from the engine's own parts.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::PathBuf;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use entra_token::alg::HeaderAlg;
use entra_token::jws::{Header, OwnedHeader};
use entra_token::keys::KeySelection;
use entra_token::verify::verify_signature;
use entra_token::{Algorithm, FormatError, KeySet, Part};
use serde_json::Value;

/// `../shared/testdata/<sub>`, next to the workspace.
pub fn testdata(sub: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ))
    .join(sub)
}

/// Reads and parses a JSON file, panicking with the path on failure.
pub fn read_json(path: &std::path::Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a text file, panicking with the path on failure.
pub fn read_text(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes lowercase or uppercase hex (no `hex` crate among the dependencies).
pub fn hex(s: &str) -> Vec<u8> {
    fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("not a hex digit: {:?}", c as char),
        }
    }
    let b = s.as_bytes();
    assert!(
        b.len() % 2 == 0,
        "odd-length hex string ({} digits)",
        b.len()
    );
    b.chunks_exact(2)
        .map(|p| (nibble(p[0]) << 4) | nibble(p[1]))
        .collect()
}

/// base64url without padding, as JOSE writes it.
pub fn b64u(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Lenient base64url decoding for test data (the engine's own decoder is
/// strict and is what the checks use).
pub fn b64u_decode(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .unwrap_or_else(|e| panic!("test data is not base64url ({e}): {s}"))
}

/// Private members of RSA, EC and OKP JWKs (RFC 7518 §6.2.2, §6.3.2; RFC 8037).
pub const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// The public part of a JWK (or of each JWK of a JWKS).
pub fn strip_private(jwk: &Value) -> Value {
    let mut v = jwk.clone();
    if let Some(keys) = v.get_mut("keys").and_then(Value::as_array_mut) {
        for k in keys {
            *k = strip_private(k);
        }
        return v;
    }
    if let Some(obj) = v.as_object_mut() {
        for m in PRIVATE_MEMBERS {
            obj.remove(m);
        }
    }
    v
}

/// `KeySet::from_json` on a JSON value.
pub fn keyset(v: &Value) -> Result<KeySet, entra_token::KeyError> {
    KeySet::from_json(&serde_json::to_vec(v).expect("a JSON value serialises"))
}

/// Whether `Token::parse` refused the text *only* because its payload is not a
/// JSON object. The engine verifies JWTs (RFC 7519 §7.2: the payload is a
/// claims set); RFC 7515 allows any octets as payload, and the Wycheproof and
/// RFC 7520 vectors mostly sign text ("foo", "It's a dangerous business..."),
/// which the engine refuses before looking at the signature.
pub fn is_non_jwt_payload(e: &FormatError) -> bool {
    matches!(
        e,
        FormatError::Json {
            part: Part::Payload,
            ..
        } | FormatError::NotObject {
            part: Part::Payload
        } | FormatError::EmptyPart {
            part: Part::Payload
        }
    )
}

/// Signature-level verification of a compact JWS, assembled from the engine's
/// parts exactly as `verify_token` uses them — strict base64url
/// (`entra_token::b64`), the engine's `Header` and `HeaderAlg` classification,
/// `KeySet::select` for the `kid`, the JWK `alg` pin, `verify_signature` — but
/// without `Token::parse`'s requirement that the payload be a JWT claims set.
/// It lets the vectors whose payload is plain text still exercise the
/// engine's signature path. Returns the algorithm that verified, or why not.
pub fn verify_compact_signature(
    compact: &str,
    keys: &KeySet,
    allowed: &[Algorithm],
) -> Result<Algorithm, String> {
    if let Some(i) = compact
        .bytes()
        .position(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(format!("whitespace or control character at offset {i}"));
    }
    let parts: Vec<&str> = compact.split('.').collect();
    let [h, p, s] = parts.as_slice() else {
        return Err(format!("{} parts, not 3", parts.len()));
    };
    if h.is_empty() {
        return Err("empty header".into());
    }
    if s.is_empty() {
        return Err("empty signature".into());
    }
    let header_json = entra_token::b64::decode(h.as_bytes()).map_err(|e| format!("header: {e}"))?;
    if header_json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err("header is not a JSON object".into());
    }
    let header_text = std::str::from_utf8(&header_json).map_err(|e| format!("header JSON: {e}"))?;
    let owned = OwnedHeader::parse(header_text).map_err(|e| format!("header JSON: {e}"))?;
    let header: Header<'_> = owned.view();
    if header.crit.is_some() {
        return Err("header has 'crit'".into());
    }
    let alg = match header.alg().map_err(|e| e.to_string())? {
        HeaderAlg::Supported(a) => a,
        other => return Err(format!("alg not supported: {other:?}")),
    };
    if !allowed.contains(&alg) {
        return Err(format!("alg {alg} not allowed"));
    }
    entra_token::b64::decode(p.as_bytes()).map_err(|e| format!("payload: {e}"))?;
    let signature =
        entra_token::b64::decode(s.as_bytes()).map_err(|e| format!("signature: {e}"))?;
    let signing_input = &compact.as_bytes()[..h.len() + 1 + p.len()];
    let candidates = match keys.select(&header) {
        KeySelection::Matched { keys, .. } | KeySelection::Unnamed { keys } => keys,
        KeySelection::NotFound { kid, x5t } => {
            return Err(format!("no key for kid {kid:?} / x5t {x5t:?}"))
        }
        KeySelection::Unusable { problem } => {
            return Err(format!("key unusable: {}", problem.reason))
        }
    };
    let mut last = String::from("no candidate key");
    for key in candidates {
        if let Some(key_alg) = &key.alg {
            if key_alg != alg.as_str() {
                last = format!("key {} pins alg {key_alg}, token says {alg}", key.label());
                continue;
            }
        }
        match verify_signature(alg, key, signing_input, &signature) {
            Ok(()) => return Ok(alg),
            Err(e) => last = format!("{e:?} with key {}", key.label()),
        }
    }
    Err(last)
}

/// Flips one bit of one byte of `payload`, choosing a lowercase ASCII letter
/// (after the first `"` when there is one) so that a JSON payload stays valid
/// JSON and the change is caught by the signature, not by the parser.
pub fn tamper(payload: &[u8]) -> Vec<u8> {
    let start = payload.iter().position(|&b| b == b'"').map_or(0, |i| i + 1);
    let i = payload[start..]
        .iter()
        .position(|b| (b'b'..=b'y').contains(b))
        .map(|i| i + start)
        .or_else(|| (!payload.is_empty()).then_some(0))
        .expect("a non-empty payload to tamper with");
    let mut out = payload.to_vec();
    out[i] ^= 0x01;
    out
}

/// The compact JWS with its payload replaced by a tampered copy.
pub fn tamper_compact(compact: &str) -> String {
    let mut parts = compact.splitn(3, '.');
    let (h, p, s) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    format!("{h}.{}.{s}", b64u(&tamper(&b64u_decode(p))))
}
