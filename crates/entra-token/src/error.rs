//! The engine's error types. Each names what is wrong and where; none is a
//! catch-all string. The binary maps them to exit codes in one place.

use crate::b64::B64Error;

/// One of the three parts of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The first part: the JOSE header (`alg`, `kid`, ...).
    Header,
    /// The second part: the claims.
    Payload,
    /// The third part: the signature bytes.
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
    /// The input is empty, or only whitespace and wrapping.
    #[error("no token: the input is empty")]
    Empty,
    /// The input is over [`crate::limits::MAX_TOKEN_BYTES`]; nothing of it was decoded.
    #[error("the token is {len} bytes, over the limit of {max} bytes")]
    TooLong {
        /// The input's length in bytes.
        len: usize,
        /// The limit it exceeds.
        max: usize,
    },
    /// What was pasted starts like JSON (e.g. `az account get-access-token`
    /// output) but does not parse.
    #[error("the pasted JSON is not valid JSON: {reason}")]
    InputJson {
        /// The JSON parser's message.
        reason: String,
    },
    /// The pasted JSON nests deeper than the limit, so it was not parsed.
    #[error("the pasted JSON nests deeper than {max} levels")]
    InputJsonTooDeep {
        /// The nesting limit.
        max: usize,
    },
    /// The pasted JSON parses but has none of the fields a token is found in.
    #[error("the pasted JSON has no token field (looked for accessToken, access_token, token, id_token)")]
    InputJsonNoToken,
    /// The pasted JSON has a token field whose value cannot be a token.
    #[error("the pasted JSON's '{field}' field cannot be a token: {reason}")]
    InputJsonField {
        /// The field's name, e.g. `accessToken`.
        field: &'static str,
        /// Why its value is not a token (not a string, empty, ...).
        reason: &'static str,
    },
    /// Whitespace or a control character inside the token (after the
    /// wrapping people paste around it was removed): a token split over lines.
    #[error("the token contains whitespace or a control character at offset {offset}; a token is one unbroken line")]
    Whitespace {
        /// Byte offset of the first such character in the token.
        offset: usize,
    },
    /// Five parts: an encrypted token (JWE), which cannot be read or verified here.
    #[error("the token has 5 dot-separated parts: it is an encrypted JWE, not a signed JWS; only its recipient can read it")]
    Jwe,
    /// Neither 3 parts (JWS) nor 5 (JWE).
    #[error("the token has {found} dot-separated part(s); a signed JWT has exactly 3 (header.payload.signature)")]
    PartCount {
        /// How many dot-separated parts the text has.
        found: usize,
    },
    /// The header or the payload is empty.
    #[error("the {part} is empty")]
    EmptyPart {
        /// The empty part.
        part: Part,
    },
    /// The third part is empty: an unsigned token (as `alg: none` makes).
    #[error("the signature (part 3) is empty: the token is unsigned")]
    EmptySignature,
    /// A part is not unpadded base64url.
    #[error("the {part} is not base64url: {reason}")]
    Base64 {
        /// The part that does not decode.
        part: Part,
        /// What is wrong with it, with the offset.
        reason: B64Error,
    },
    /// The header or payload decodes but is not valid JSON (including a
    /// duplicated member name).
    #[error("the {part} is not JSON: {reason}")]
    Json {
        /// The part that is not JSON.
        part: Part,
        /// The JSON scanner's message, with the offset.
        reason: String,
    },
    /// The header or payload is JSON but not an object.
    #[error("the {part} is JSON but not a JSON object")]
    NotObject {
        /// The part that is not an object.
        part: Part,
    },
    /// The header or payload nests deeper than [`crate::limits::MAX_JSON_DEPTH`].
    #[error("the {part} nests JSON deeper than {max} levels")]
    TooDeep {
        /// The part that nests too deep.
        part: Part,
        /// The nesting limit.
        max: usize,
    },
    /// The header has no `alg` member.
    #[error("the header has no 'alg'")]
    MissingAlg,
    /// The header's `alg` is present but not a JSON string.
    #[error("the header's 'alg' is not a string")]
    AlgNotString,
    /// The header lists critical extensions (`crit`); RFC 7515 requires
    /// rejecting a token whose `crit` the verifier does not understand. The
    /// string is the `crit` value as it appears.
    #[error("the header has 'crit' ({0}), an extension this verifier does not understand (RFC 7515 §4.1.11)")]
    Crit(String),
    /// More than one different token in the input; the engine does not guess.
    #[error("{found} different tokens in {where_}: which one to check is not clear")]
    Ambiguous {
        /// How many distinct tokens were found.
        found: usize,
        /// Where they were found, e.g. "Authorization headers".
        where_: &'static str,
    },
    /// The input was recognised (e.g. as a redirect URL) but holds no token.
    #[error("no token in {what}: looked for {looked_for}")]
    NoTokenIn {
        /// What the input was recognised as, e.g. "the URL".
        what: &'static str,
        /// Where in it a token was looked for.
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
    /// The input is over [`crate::limits::MAX_KEYSET_BYTES`]; nothing of it was parsed.
    #[error("the key set is {len} bytes, over the limit of {max}")]
    TooLarge {
        /// The input's length in bytes.
        len: usize,
        /// The limit it exceeds.
        max: usize,
    },
    /// The input is empty or only whitespace, or no keys were given.
    #[error("the key set is empty")]
    Empty,
    /// The input looks like JSON but does not parse; the parser's message.
    #[error("the key set is not JSON: {0}")]
    Json(String),
    /// The JSON nests deeper than the limit (the number), so it was not parsed.
    #[error("the key set JSON nests deeper than {0} levels")]
    TooDeep(usize),
    /// JSON that is neither `{"keys": [...]}` nor one JWK object.
    #[error("the JSON is neither a JWKS ({{\"keys\": [...]}}) nor a single JWK")]
    NotJwks,
    /// More keys than [`crate::limits::MAX_KEYS`].
    #[error("the key set has {found} keys, over the limit of {max}")]
    TooManyKeys {
        /// How many keys the set has.
        found: usize,
        /// The limit, [`crate::limits::MAX_KEYS`].
        max: usize,
    },
    /// The `keys` array is empty or every key in it was refused; the string
    /// says how many and the first reason.
    #[error("no usable key in the set: {0}")]
    NoUsableKey(String),
    /// PEM text whose armour or base64 is broken.
    #[error("PEM: {0}")]
    Pem(String),
    /// A PEM block of another kind (the label), e.g. a private key.
    #[error("PEM block '{0}' is not a certificate or public key")]
    PemLabel(String),
    /// An X.509 certificate (PEM, DER or a JWK's `x5c`) that cannot be read.
    #[error("certificate: {0}")]
    Certificate(String),
    /// A SubjectPublicKeyInfo that cannot be read or is of an unsupported kind.
    #[error("public key: {0}")]
    PublicKey(String),
    /// JSON that is something else people take for a key set (an OpenID
    /// discovery document); the string says what, and where its keys are.
    #[error("JWK: {0}")]
    Jwk(String),
    /// Not JSON, not PEM, and not DER either (judged by the first byte).
    #[error("the input is neither a JWKS, a JWK, nor a PEM certificate or public key")]
    UnknownFormat,
}
