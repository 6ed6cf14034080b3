//! A set of trusted verifying keys, and choosing the key for a token.

use serde_json::Value;

use crate::error::KeyError;
use crate::jws::Header;
use crate::keys::material::{KeySource, VerifyingKey};
use crate::keys::{cert, jwk, pem_input};
use crate::limits::{json_depth_exceeds, MAX_JSON_DEPTH, MAX_KEYS, MAX_KEYSET_BYTES};

/// A key in the set that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProblem {
    /// Position in the JWKS, from 0.
    pub index: usize,
    /// The key's `kid`, when it has one.
    pub kid: Option<String>,
    /// Why it was refused, in a sentence.
    pub reason: String,
}

/// The trusted keys: parsed once, shared by every check.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<VerifyingKey>,
    problems: Vec<KeyProblem>,
}

/// Which keys may have signed a token.
#[derive(Debug)]
pub enum KeySelection<'a> {
    /// The keys whose `kid` (or `x5t`) matches; usually one.
    Matched {
        /// Which header member matched: `"kid"` or `"x5t"`.
        by: &'static str,
        /// The matching keys.
        keys: Vec<&'a VerifyingKey>,
    },
    /// The token names no key, or the set's keys carry no names (bare
    /// public keys): every usable key is a candidate.
    Unnamed {
        /// Every usable key in the set.
        keys: Vec<&'a VerifyingKey>,
    },
    /// The token names a key the set does not have.
    NotFound {
        /// The token's `kid`, if any.
        kid: Option<String>,
        /// The token's `x5t`, if any.
        x5t: Option<String>,
    },
    /// The token names a key that is in the set but unusable.
    Unusable {
        /// Why that key was refused when the set was read.
        problem: &'a KeyProblem,
    },
}

impl KeySet {
    /// Reads a key set from bytes: a JWKS, a single JWK, PEM certificates or
    /// public keys, or one DER certificate. The format is detected.
    pub fn parse(bytes: &[u8]) -> Result<KeySet, KeyError> {
        if bytes.len() > MAX_KEYSET_BYTES {
            return Err(KeyError::TooLarge {
                len: bytes.len(),
                max: MAX_KEYSET_BYTES,
            });
        }
        let trimmed = trim_ascii(bytes);
        if trimmed.is_empty() {
            return Err(KeyError::Empty);
        }
        if trimmed[0] == b'{' {
            return Self::from_json(trimmed);
        }
        if trimmed.starts_with(b"-----BEGIN") {
            let text =
                std::str::from_utf8(trimmed).map_err(|_| KeyError::Pem("not UTF-8 text".into()))?;
            return Self::from_keys(pem_input::parse(text)?);
        }
        if trimmed[0] == 0x30 {
            let (material, info) = cert::from_der(trimmed)?;
            let mut k = VerifyingKey::new(material, KeySource::Certificate);
            k.x5t = Some(info.x5t.clone());
            k.x5t_s256 = Some(info.x5t_s256.clone());
            k.cert = Some(info);
            return Self::from_keys(vec![k]);
        }
        Err(KeyError::UnknownFormat)
    }

    /// Reads a JWKS (`{"keys": [...]}`) or one JWK.
    pub fn from_json(bytes: &[u8]) -> Result<KeySet, KeyError> {
        if bytes.len() > MAX_KEYSET_BYTES {
            return Err(KeyError::TooLarge {
                len: bytes.len(),
                max: MAX_KEYSET_BYTES,
            });
        }
        if json_depth_exceeds(bytes, MAX_JSON_DEPTH) {
            return Err(KeyError::TooDeep(MAX_JSON_DEPTH));
        }
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| KeyError::Json(e.to_string()))?;
        let obj = value.as_object().ok_or(KeyError::NotJwks)?;
        let items: Vec<Value> = if let Some(keys) = obj.get("keys") {
            keys.as_array().ok_or(KeyError::NotJwks)?.clone()
        } else if obj.contains_key("kty") {
            vec![value.clone()]
        } else if let Some(uri) = obj.get("jwks_uri").and_then(Value::as_str) {
            return Err(KeyError::Jwk(format!(
                "this is an OpenID discovery document, not a key set; its keys are at {uri}"
            )));
        } else {
            return Err(KeyError::NotJwks);
        };
        if items.len() > MAX_KEYS {
            return Err(KeyError::TooManyKeys {
                found: items.len(),
                max: MAX_KEYS,
            });
        }
        let mut set = KeySet::default();
        for (index, item) in items.iter().enumerate() {
            match jwk::parse(item, index) {
                Ok(k) => set.keys.push(k),
                Err((kid, reason)) => set.problems.push(KeyProblem { index, kid, reason }),
            }
        }
        if set.keys.is_empty() {
            let why = match set.problems.first() {
                Some(p) => format!(
                    "{} key(s), none usable; the first: {}",
                    set.problems.len(),
                    p.reason
                ),
                None => "the 'keys' array is empty".into(),
            };
            return Err(KeyError::NoUsableKey(why));
        }
        Ok(set)
    }

    /// A set made of keys already read.
    pub fn from_keys(keys: Vec<VerifyingKey>) -> Result<KeySet, KeyError> {
        if keys.is_empty() {
            return Err(KeyError::Empty);
        }
        if keys.len() > MAX_KEYS {
            return Err(KeyError::TooManyKeys {
                found: keys.len(),
                max: MAX_KEYS,
            });
        }
        Ok(KeySet {
            keys,
            problems: Vec::new(),
        })
    }

    /// Joins another set into this one (for example a tenant's keys and an
    /// application's keys).
    pub fn extend(&mut self, other: KeySet) {
        self.keys.extend(other.keys);
        self.problems.extend(other.problems);
    }

    /// Binds every key of the set to one application: the set was fetched
    /// with `?appid=<application>` (that application's own signing keys),
    /// so its keys may verify only tokens issued *to* that application
    /// (`aud` is `<application>` or `api://<application>`). The binding
    /// travels with the keys, whichever cache holds them.
    pub fn restrict_to_application(&mut self, application: &str) {
        for k in &mut self.keys {
            k.application = Some(application.to_owned());
        }
    }

    /// The usable keys.
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// The keys that were in the input but could not be used.
    pub fn problems(&self) -> &[KeyProblem] {
        &self.problems
    }

    /// Whether the set holds a usable key with this `kid`.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    /// Chooses the keys that may have signed a token with this header.
    /// The token's `jku`, `x5u`, `jwk` and `x5c` are never consulted.
    pub fn select(&self, header: &Header<'_>) -> KeySelection<'_> {
        let kid = header.kid();
        let x5t = header.x5t();
        if let Some(kid) = kid {
            // A key without its own kid (a PEM certificate) matches by its
            // certificate thumbprint: Entra's kid is the x5t.
            let keys: Vec<_> = self
                .keys
                .iter()
                .filter(|k| match &k.kid {
                    Some(k_kid) => k_kid == kid,
                    None => {
                        k.x5t.as_deref() == Some(kid) || (x5t.is_some() && k.x5t.as_deref() == x5t)
                    }
                })
                .collect();
            if !keys.is_empty() {
                // When both sides carry a certificate thumbprint, they must
                // agree: same kid, other certificate is not the same key.
                let agreeing: Vec<_> = keys
                    .iter()
                    .copied()
                    .filter(|k| match (x5t, &k.x5t) {
                        (Some(t), Some(kt)) => t == kt,
                        _ => true,
                    })
                    .collect();
                if agreeing.is_empty() {
                    return KeySelection::NotFound {
                        kid: Some(kid.to_owned()),
                        x5t: x5t.map(str::to_owned),
                    };
                }
                return KeySelection::Matched {
                    by: "kid",
                    keys: agreeing,
                };
            }
            if let Some(problem) = self.problems.iter().find(|p| p.kid.as_deref() == Some(kid)) {
                return KeySelection::Unusable { problem };
            }
            if self.keys.iter().all(|k| k.kid.is_none() && k.x5t.is_none()) {
                // Bare public keys name nothing: every one is a candidate.
                return KeySelection::Unnamed {
                    keys: self.keys.iter().collect(),
                };
            }
            return KeySelection::NotFound {
                kid: Some(kid.to_owned()),
                x5t: x5t.map(str::to_owned),
            };
        }
        if let Some(x5t) = x5t {
            // Entra's v1 tokens of 2014-2015 name their key by x5t only; Entra
            // keys have kid == x5t.
            let keys: Vec<_> = self
                .keys
                .iter()
                .filter(|k| k.x5t.as_deref() == Some(x5t) || k.kid.as_deref() == Some(x5t))
                .collect();
            if !keys.is_empty() {
                return KeySelection::Matched { by: "x5t", keys };
            }
            if let Some(problem) = self.problems.iter().find(|p| p.kid.as_deref() == Some(x5t)) {
                return KeySelection::Unusable { problem };
            }
            return KeySelection::NotFound {
                kid: None,
                x5t: Some(x5t.to_owned()),
            };
        }
        KeySelection::Unnamed {
            keys: self.keys.iter().collect(),
        }
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}
