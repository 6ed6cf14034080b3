//! Key material and the verifying key that caches its parsed forms.

use std::fmt;
use std::sync::OnceLock;

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};

use crate::alg::{Algorithm, KeyFamily};
use crate::keys::cert::CertInfo;

/// Raw public key material, normalised (no leading zero bytes in RSA
/// integers; EC points uncompressed).
#[derive(Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// An RSA public key.
    Rsa {
        /// The modulus, big-endian.
        n: Vec<u8>,
        /// The public exponent, big-endian (65537 for every Entra key).
        e: Vec<u8>,
    },
    /// An EC public key on P-256 (ES256).
    EcP256 {
        /// The uncompressed point, `04 || x || y`.
        point: Vec<u8>,
    },
    /// An EC public key on P-384 (ES384).
    EcP384 {
        /// The uncompressed point, `04 || x || y`.
        point: Vec<u8>,
    },
    /// An Ed25519 public key (EdDSA).
    Ed25519 {
        /// The 32-byte public key.
        key: Vec<u8>,
    },
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} key", self.describe())
    }
}

impl KeyMaterial {
    /// The key's family.
    pub fn family(&self) -> KeyFamily {
        match self {
            KeyMaterial::Rsa { .. } => KeyFamily::Rsa,
            KeyMaterial::EcP256 { .. } => KeyFamily::EcP256,
            KeyMaterial::EcP384 { .. } => KeyFamily::EcP384,
            KeyMaterial::Ed25519 { .. } => KeyFamily::Ed25519,
        }
    }

    /// "RSA 2048-bit", "EC P-256", ...
    pub fn describe(&self) -> String {
        match self {
            KeyMaterial::Rsa { n, .. } => format!("RSA {}-bit", rsa_bits(n)),
            other => other.family().to_string(),
        }
    }

    /// RSA: strips leading zero bytes so that equal keys compare equal.
    pub(crate) fn rsa(n: &[u8], e: &[u8]) -> KeyMaterial {
        KeyMaterial::Rsa {
            n: strip_zeros(n).to_vec(),
            e: strip_zeros(e).to_vec(),
        }
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

fn rsa_bits(n: &[u8]) -> usize {
    match n.first() {
        Some(&top) => n.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    }
}

/// RSA moduli from this size up are accepted (smaller keys are too weak).
pub const MIN_RSA_BITS: usize = 2048;
/// RSA moduli above this size are refused: a bound on the work one
/// verification may cost (the limit of aws-lc's RSA verifiers).
pub const MAX_RSA_BITS: usize = 8192;

/// Why a key in the trusted set is refused for verifying at all, before
/// any signature is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// An RSA modulus under [`MIN_RSA_BITS`].
    RsaTooSmall {
        /// The modulus' size in bits.
        bits: usize,
    },
    /// An RSA modulus over [`MAX_RSA_BITS`].
    RsaTooLarge {
        /// The modulus' size in bits.
        bits: usize,
    },
    /// An RSA public exponent the crypto library does not accept (even,
    /// 1, or too large).
    RsaExponent,
    /// EC coordinates that are not a point on the named curve.
    EcNotOnCurve {
        /// The curve the key claims.
        curve: KeyFamily,
    },
    /// An Ed25519 public key the crypto library does not accept.
    Ed25519Invalid,
}

impl fmt::Display for KeyRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRefusal::RsaTooSmall { bits } => write!(
                f,
                "it is an RSA {bits}-bit key, under the minimum of {MIN_RSA_BITS} bits (too weak to trust)"
            ),
            KeyRefusal::RsaTooLarge { bits } => write!(
                f,
                "it is an RSA {bits}-bit key, over the bound of {MAX_RSA_BITS} bits (a bound on the work of one verification)"
            ),
            KeyRefusal::RsaExponent => {
                f.write_str("its RSA exponent 'e' is not usable (it must be odd and at least 3)")
            }
            KeyRefusal::EcNotOnCurve { curve } => {
                write!(f, "its coordinates x, y are not a point on the {curve} curve")
            }
            KeyRefusal::Ed25519Invalid => f.write_str("it is not a valid Ed25519 public key"),
        }
    }
}

/// Where a key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The n-th key (from 0) of a JWKS.
    Jwk { index: usize },
    /// A PEM or DER certificate.
    Certificate,
    /// A PEM public key.
    PublicKey,
}

/// A key ready to verify: its identifiers, its material, and its parsed
/// forms, made once per algorithm on first use and then shared by every
/// thread.
pub struct VerifyingKey {
    /// The key's `kid`, which a token's header names to pick it.
    pub kid: Option<String>,
    /// base64url(SHA-1) of its certificate, from the JWK or computed from
    /// the certificate.
    pub x5t: Option<String>,
    /// base64url(SHA-256) of its certificate, when known.
    pub x5t_s256: Option<String>,
    /// The JWK's own `alg`, when it pins one.
    pub alg: Option<String>,
    /// The JWK's `use` (`sig` for signing keys).
    pub use_: Option<String>,
    /// Microsoft's `issuer` member of v2.0 keys: the issuer this key may sign for.
    pub issuer: Option<String>,
    /// The application whose own keys these are (fetched with
    /// `?appid=<application>`): they may verify only tokens whose `aud` is
    /// that application (`<id>` or `api://<id>`), never a token for another
    /// resource. `None` for a tenant's keys and a key file.
    pub application: Option<String>,
    /// Where the key was read from.
    pub source: KeySource,
    /// The certificate the key came from or was checked against.
    pub cert: Option<CertInfo>,
    /// The public key itself.
    pub material: KeyMaterial,
    parsed: [OnceLock<Option<ParsedPublicKey>>; 9],
    /// The RSA e = 65537 fast path, when it applies.
    rsa65537: OnceLock<Option<super::rsa65537::Rsa65537>>,
    /// [`label`](VerifyingKey::label), formatted once: every verified
    /// token names its key (a copy of this text, not a `format!` each time;
    /// not a shared `Arc` either, whose count every thread would write).
    label_text: OnceLock<String>,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("x5t", &self.x5t)
            .field("material", &self.material)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    pub(crate) fn new(material: KeyMaterial, source: KeySource) -> VerifyingKey {
        VerifyingKey {
            kid: None,
            x5t: None,
            x5t_s256: None,
            alg: None,
            use_: None,
            issuer: None,
            application: None,
            source,
            cert: None,
            material,
            parsed: Default::default(),
            rsa65537: OnceLock::new(),
            label_text: OnceLock::new(),
        }
    }

    /// [`label`](VerifyingKey::label), formatted on first use (after the
    /// key's identifiers are set) and copied from then on.
    pub(crate) fn label_copy(&self) -> String {
        self.label_text.get_or_init(|| self.label()).clone()
    }

    /// A short name for messages: `kid "abc"`, or the key's kind.
    pub fn label(&self) -> String {
        match (&self.kid, &self.x5t) {
            (Some(k), _) => format!("kid \"{k}\""),
            (None, Some(t)) => format!("x5t \"{t}\""),
            (None, None) => self.material.describe(),
        }
    }

    /// The parsed key for `alg`, or `None` when the key cannot serve it
    /// (wrong family, or a key the crypto library rejects).
    pub fn parsed(&self, alg: Algorithm) -> Option<&ParsedPublicKey> {
        self.parsed[alg.index()]
            .get_or_init(|| self.parse_for(alg))
            .as_ref()
    }

    /// The PKCS#1 v1.5 fast path for this key, when it is an RSA key with
    /// exponent 65537 that aws-lc-rs accepts for `alg` (see
    /// [`super::rsa65537`]).
    pub(crate) fn rsa65537(&self, alg: Algorithm) -> Option<&super::rsa65537::Rsa65537> {
        self.parsed(alg)?;
        self.rsa65537
            .get_or_init(|| match &self.material {
                KeyMaterial::Rsa { n, e } => super::rsa65537::Rsa65537::new(n, e),
                _ => None,
            })
            .as_ref()
    }

    fn parse_for(&self, alg: Algorithm) -> Option<ParsedPublicKey> {
        if alg.family() != self.material.family() {
            return None;
        }
        match &self.material {
            KeyMaterial::Rsa { n, e } => {
                // aws-lc parses any size and refuses only when verifying,
                // which would read as a bad signature: refuse here.
                if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&rsa_bits(n)) {
                    return None;
                }
                let params: &'static signature::RsaParameters = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                    Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
                    _ => return None,
                };
                RsaPublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                }
                .to_parsed_public_key(params)
                .ok()
            }
            KeyMaterial::EcP256 { point } => {
                ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).ok()
            }
            KeyMaterial::EcP384 { point } => {
                ParsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point).ok()
            }
            KeyMaterial::Ed25519 { key } => ParsedPublicKey::new(&signature::ED25519, key).ok(),
        }
    }

    /// Why this key is refused for `alg`, when it is of `alg`'s family and
    /// [`VerifyingKey::parsed`] gives nothing for it.
    pub fn refusal(&self, alg: Algorithm) -> Option<KeyRefusal> {
        if alg.family() != self.material.family() || self.parsed(alg).is_some() {
            return None;
        }
        Some(match &self.material {
            KeyMaterial::Rsa { n, .. } => match rsa_bits(n) {
                bits if bits < MIN_RSA_BITS => KeyRefusal::RsaTooSmall { bits },
                bits if bits > MAX_RSA_BITS => KeyRefusal::RsaTooLarge { bits },
                _ => KeyRefusal::RsaExponent,
            },
            KeyMaterial::EcP256 { .. } | KeyMaterial::EcP384 { .. } => KeyRefusal::EcNotOnCurve {
                curve: self.material.family(),
            },
            KeyMaterial::Ed25519 { .. } => KeyRefusal::Ed25519Invalid,
        })
    }

    /// RSA modulus size in bits, when RSA.
    pub fn rsa_bits(&self) -> Option<usize> {
        match &self.material {
            KeyMaterial::Rsa { n, .. } => Some(rsa_bits(n)),
            _ => None,
        }
    }
}
