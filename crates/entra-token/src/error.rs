//! The engine's error types. Each names what is wrong and where; none is a
//! catch-all string. The binary maps them to exit codes in one place.

use crate::b64::B64Error;

/// One of the three parts of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Header,
    Payload,
    Signature,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Header => "header (part 1)",
            Part::Payload => "payload (part 2)",
            Part::Signature => "signature (part 3)",
        })
    }
}

/// Why a text is not a well-formed signed token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    #[error("no token: the input is empty")]
    Empty,
    #[error("the token is {len} bytes, over the limit of {max} bytes")]
    TooLong { len: usize, max: usize },
    #[error("the pasted JSON is not valid JSON: {reason}")]
    InputJson { reason: String },
    #[error("the pasted JSON nests deeper than {max} levels")]
    InputJsonTooDeep { max: usize },
    #[error("the pasted JSON has no token field (looked for accessToken, access_token, token, id_token)")]
    InputJsonNoToken,
    #[error("the pasted JSON's '{field}' field cannot be a token: {reason}")]
    InputJsonField {
        field: &'static str,
        reason: &'static str,
    },
    #[error("the token contains whitespace or a control character at offset {offset}; a token is one unbroken line")]
    Whitespace { offset: usize },
    #[error("the token has 5 dot-separated parts: it is an encrypted JWE, not a signed JWS; only its recipient can read it")]
    Jwe,
    #[error("the token has {found} dot-separated part(s); a signed JWT has exactly 3 (header.payload.signature)")]
    PartCount { found: usize },
    #[error("the {part} is empty")]
    EmptyPart { part: Part },
    #[error("the signature (part 3) is empty: the token is unsigned")]
    EmptySignature,
    #[error("the {part} is not base64url: {reason}")]
    Base64 { part: Part, reason: B64Error },
    #[error("the {part} is not JSON: {reason}")]
    Json { part: Part, reason: String },
    #[error("the {part} is JSON but not a JSON object")]
    NotObject { part: Part },
    #[error("the {part} nests JSON deeper than {max} levels")]
    TooDeep { part: Part, max: usize },
    #[error("the header has no 'alg'")]
    MissingAlg,
    #[error("the header's 'alg' is not a string")]
    AlgNotString,
    #[error("the header has 'crit' ({0}), an extension this verifier does not understand (RFC 7515 §4.1.11)")]
    Crit(String),
    #[error("{found} different tokens in {where_}: which one to check is not clear")]
    Ambiguous { found: usize, where_: &'static str },
    #[error("no token in {what}: looked for {looked_for}")]
    NoTokenIn {
        what: &'static str,
        looked_for: &'static str,
    },
}

impl FormatError {
    /// The part of the token the error is about, when it is about one.
    pub fn part(&self) -> Option<Part> {
        match self {
            FormatError::EmptyPart { part }
            | FormatError::Base64 { part, .. }
            | FormatError::Json { part, .. }
            | FormatError::NotObject { part }
            | FormatError::TooDeep { part, .. } => Some(*part),
            FormatError::EmptySignature => Some(Part::Signature),
            FormatError::MissingAlg | FormatError::AlgNotString | FormatError::Crit(_) => {
                Some(Part::Header)
            }
            _ => None,
        }
    }
}

/// Why a key or key set could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("the key set is {len} bytes, over the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("the key set is empty")]
    Empty,
    #[error("the key set is not JSON: {0}")]
    Json(String),
    #[error("the key set JSON nests deeper than {0} levels")]
    TooDeep(usize),
    #[error("the JSON is neither a JWKS ({{\"keys\": [...]}}) nor a single JWK")]
    NotJwks,
    #[error("the key set has {found} keys, over the limit of {max}")]
    TooManyKeys { found: usize, max: usize },
    #[error("no usable key in the set: {0}")]
    NoUsableKey(String),
    #[error("PEM: {0}")]
    Pem(String),
    #[error("PEM block '{0}' is not a certificate or public key")]
    PemLabel(String),
    #[error("certificate: {0}")]
    Certificate(String),
    #[error("public key: {0}")]
    PublicKey(String),
    #[error("JWK: {0}")]
    Jwk(String),
    #[error("the input is neither a JWKS, a JWK, nor a PEM certificate or public key")]
    UnknownFormat,
}
