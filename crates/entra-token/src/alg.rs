//! JWS signature algorithms (RFC 7518 §3, RFC 8037) that the engine can verify.

use std::fmt;
use std::str::FromStr;

/// An asymmetric JWS algorithm the engine verifies.
///
/// Entra ID signs with `RS256` only; the others serve other OpenID providers
/// and the test vectors. HMAC and `none` are deliberately absent: a verifier
/// that holds only public keys must never accept them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256: what Entra ID signs with.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519 (RFC 8037).
    EdDSA,
}

/// The family of key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    /// An RSA key (RS* and PS*).
    Rsa,
    /// An EC key on P-256 (ES256).
    EcP256,
    /// An EC key on P-384 (ES384).
    EcP384,
    /// An Ed25519 key (EdDSA).
    Ed25519,
}

impl fmt::Display for KeyFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyFamily::Rsa => "RSA",
            KeyFamily::EcP256 => "EC P-256",
            KeyFamily::EcP384 => "EC P-384",
            KeyFamily::Ed25519 => "Ed25519 (OKP)",
        })
    }
}

impl Algorithm {
    /// Every supported algorithm, in a stable order.
    pub const ALL: [Algorithm; 9] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// The key family this algorithm needs.
    pub fn family(self) -> KeyFamily {
        match self {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyFamily::Rsa,
            Algorithm::ES256 => KeyFamily::EcP256,
            Algorithm::ES384 => KeyFamily::EcP384,
            Algorithm::EdDSA => KeyFamily::Ed25519,
        }
    }

    /// A dense index, for per-algorithm tables.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a token's `alg` header names, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderAlg {
    /// A supported asymmetric algorithm.
    Supported(Algorithm),
    /// `none`: an unsigned token.
    None,
    /// HS256/384/512: a shared-secret MAC, never valid for Entra tokens.
    Hmac(String),
    /// Anything else.
    Unknown(String),
}

impl HeaderAlg {
    /// Classifies an `alg` value. Matching is exact and case-sensitive, as
    /// RFC 7515 requires: `rs256` is not `RS256`.
    pub fn classify(alg: &str) -> HeaderAlg {
        match alg.parse::<Algorithm>() {
            Ok(a) => HeaderAlg::Supported(a),
            Err(_) if alg == "none" || alg.eq_ignore_ascii_case("none") => HeaderAlg::None,
            Err(_) if matches!(alg, "HS256" | "HS384" | "HS512") => HeaderAlg::Hmac(alg.to_owned()),
            Err(_) => HeaderAlg::Unknown(alg.to_owned()),
        }
    }
}

/// The error for an algorithm name the engine does not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported algorithm '{0}' (supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA)")]
pub struct UnsupportedAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnsupportedAlgorithm;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnsupportedAlgorithm(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_is_case_sensitive_and_names_dangerous_algs() {
        assert_eq!(
            HeaderAlg::classify("RS256"),
            HeaderAlg::Supported(Algorithm::RS256)
        );
        assert_eq!(HeaderAlg::classify("none"), HeaderAlg::None);
        assert_eq!(HeaderAlg::classify("NoNe"), HeaderAlg::None);
        assert_eq!(
            HeaderAlg::classify("HS256"),
            HeaderAlg::Hmac("HS256".into())
        );
        assert_eq!(
            HeaderAlg::classify("rs256"),
            HeaderAlg::Unknown("rs256".into())
        );
    }

    #[test]
    fn index_is_dense() {
        for (i, a) in Algorithm::ALL.iter().enumerate() {
            assert_eq!(a.index(), i);
        }
    }
}
