//! Strict base64url (RFC 4648 §5, no padding), as JWS requires (RFC 7515 §2).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Why a part is not base64url.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum B64Error {
    /// A byte outside the base64url alphabet, with its position.
    InvalidByte {
        /// Byte offset in the encoded part.
        offset: usize,
        /// The byte found there.
        byte: u8,
    },
    /// A length no base64 encoding can have (4n+1).
    InvalidLength,
    /// Padding (`=`), which JWS forbids.
    Padding,
    /// Unused bits in the last character are not zero: not the canonical
    /// encoding, so the same bytes could be written two ways.
    NonCanonical,
}

impl std::fmt::Display for B64Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            B64Error::InvalidByte { offset, byte } => {
                if byte.is_ascii_graphic() {
                    write!(
                        f,
                        "character '{}' at offset {offset} is not base64url (A-Z a-z 0-9 - _)",
                        *byte as char
                    )
                } else {
                    write!(
                        f,
                        "byte 0x{byte:02x} at offset {offset} is not base64url (A-Z a-z 0-9 - _)"
                    )
                }
            }
            B64Error::InvalidLength => f.write_str("its length is not a possible base64url length"),
            B64Error::Padding => f.write_str("it has '=' padding, which JWS forbids"),
            B64Error::NonCanonical => {
                f.write_str("its last character has non-zero unused bits (not canonical base64url)")
            }
        }
    }
}

/// Decodes base64url without padding, rejecting anything non-canonical.
pub fn decode(input: &[u8]) -> Result<Vec<u8>, B64Error> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4 + 3);
    decode_append(input, &mut out)?;
    Ok(out)
}

/// Decodes onto the end of `out` (what it held stays); on error `out` is
/// as it was. The SIMD decoder is strict (no padding, canonical last
/// symbol) and about ten times faster; on failure the scalar decoder says
/// why.
pub fn decode_append(input: &[u8], out: &mut Vec<u8>) -> Result<(), B64Error> {
    let len = out.len();
    if base64_simd::URL_SAFE_NO_PAD
        .decode_append(input, out)
        .is_ok()
    {
        return Ok(());
    }
    out.truncate(len);
    match URL_SAFE_NO_PAD.decode_vec(input, out) {
        Ok(()) => Ok(()),
        Err(e) => {
            out.truncate(len);
            Err(classify(input, e))
        }
    }
}

fn classify(input: &[u8], e: base64::DecodeError) -> B64Error {
    use base64::DecodeError as D;
    if let Some(pos) = input.iter().position(|&b| b == b'=') {
        let _ = pos;
        return B64Error::Padding;
    }
    match e {
        D::InvalidByte(offset, byte) => B64Error::InvalidByte { offset, byte },
        D::InvalidLength(_) => B64Error::InvalidLength,
        D::InvalidLastSymbol(_, _) => B64Error::NonCanonical,
        D::InvalidPadding => B64Error::Padding,
    }
}

/// Encodes bytes as base64url without padding.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(decode(encode(b"hello?>").as_bytes()).unwrap(), b"hello?>");
    }

    #[test]
    fn fast_and_slow_decoders_agree() {
        // Every 0-3 byte tail and every last symbol: both decoders must take
        // and refuse the same inputs.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .";
        for prefix in ["", "aGVsbG8", "aGVsbG8x", "aGVsbG8xMg"] {
            for &c in alphabet {
                let mut input = prefix.as_bytes().to_vec();
                input.push(c);
                let fast = base64_simd::URL_SAFE_NO_PAD.decode_to_vec(&input).ok();
                let slow = URL_SAFE_NO_PAD.decode(&input).ok();
                assert_eq!(fast, slow, "{:?}", String::from_utf8_lossy(&input));
            }
        }
    }

    #[test]
    fn rejects_padding_standard_alphabet_and_noncanonical() {
        assert_eq!(decode(b"aGk="), Err(B64Error::Padding));
        assert!(matches!(
            decode(b"a+b/"),
            Err(B64Error::InvalidByte { byte: b'+', .. })
        ));
        assert_eq!(decode(b"aGl"), Err(B64Error::NonCanonical));
        assert_eq!(decode(b"a"), Err(B64Error::InvalidLength));
    }
}
