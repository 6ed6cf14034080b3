//! JSON Web Keys (RFC 7517, RFC 7518 §6, RFC 8037) as Entra and other
//! OpenID providers publish them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

use crate::b64;
use crate::keys::cert;
use crate::keys::material::{KeyMaterial, KeySource, VerifyingKey};

/// The JWK members the engine reads.
#[derive(Debug, Default, Deserialize)]
struct RawJwk {
    kty: Option<Value>,
    #[serde(rename = "use")]
    use_: Option<Value>,
    key_ops: Option<Value>,
    alg: Option<Value>,
    kid: Option<Value>,
    x5t: Option<Value>,
    #[serde(rename = "x5t#S256")]
    x5t_s256: Option<Value>,
    n: Option<Value>,
    e: Option<Value>,
    crv: Option<Value>,
    x: Option<Value>,
    y: Option<Value>,
    d: Option<Value>,
    k: Option<Value>,
    x5c: Option<Value>,
    issuer: Option<Value>,
}

fn opt_string(v: &Option<Value>, name: &str) -> Result<Option<String>, String> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("'{name}' is not a string")),
    }
}

fn b64_member(v: &Option<Value>, name: &str) -> Result<Vec<u8>, String> {
    match v {
        None => Err(format!("'{name}' is missing")),
        Some(Value::String(s)) => {
            b64::decode(s.as_bytes()).map_err(|e| format!("'{name}' is not base64url: {e}"))
        }
        Some(_) => Err(format!("'{name}' is not a string")),
    }
}

/// Reads one JWK. The error text says why the key cannot be used.
pub(crate) fn parse(value: &Value, index: usize) -> Result<VerifyingKey, (Option<String>, String)> {
    let raw: RawJwk = serde_json::from_value(value.clone())
        .map_err(|e| (None, format!("not a JWK object: {e}")))?;
    let kid = opt_string(&raw.kid, "kid").map_err(|e| (None, e))?;
    let fail = |reason: String| (kid.clone(), reason);
    if raw.d.is_some() || raw.k.is_some() {
        return Err(fail(
            "it holds private or secret key material ('d' or 'k'); publish only public keys".into(),
        ));
    }
    let use_ = opt_string(&raw.use_, "use").map_err(fail)?;
    if let Some(u) = &use_ {
        if u != "sig" {
            return Err(fail(format!(
                "its 'use' is \"{u}\", not \"sig\": it is not a signing key"
            )));
        }
    }
    if let Some(ops) = &raw.key_ops {
        let ops: Vec<&str> = ops
            .as_array()
            .ok_or_else(|| fail("'key_ops' is not an array".into()))?
            .iter()
            .map(|o| o.as_str().unwrap_or(""))
            .collect();
        if !ops.contains(&"verify") {
            return Err(fail(format!(
                "its 'key_ops' ({}) does not include \"verify\": it is not meant for checking signatures",
                ops.join(", ")
            )));
        }
    }
    let kty = opt_string(&raw.kty, "kty")
        .map_err(fail)?
        .ok_or_else(|| fail("'kty' is missing".into()))?;
    let from_members: Option<KeyMaterial> =
        match kty.as_str() {
            "RSA" => match (&raw.n, &raw.e) {
                (None, None) => None,
                _ => {
                    let n = b64_member(&raw.n, "n").map_err(fail)?;
                    let e = b64_member(&raw.e, "e").map_err(fail)?;
                    Some(KeyMaterial::rsa(&n, &e))
                }
            },
            "EC" => {
                let crv = opt_string(&raw.crv, "crv")
                    .map_err(fail)?
                    .unwrap_or_default();
                let size = match crv.as_str() {
                    "P-256" => 32,
                    "P-384" => 48,
                    other => {
                        return Err(fail(format!(
                            "unsupported EC curve \"{other}\" (P-256 and P-384 are supported)"
                        )))
                    }
                };
                let x = b64_member(&raw.x, "x").map_err(fail)?;
                let y = b64_member(&raw.y, "y").map_err(fail)?;
                if x.len() != size || y.len() != size {
                    return Err(fail(format!("{crv} coordinates must be {size} bytes each")));
                }
                let mut point = Vec::with_capacity(1 + 2 * size);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Some(if size == 32 {
                    KeyMaterial::EcP256 { point }
                } else {
                    KeyMaterial::EcP384 { point }
                })
            }
            "OKP" => {
                let crv = opt_string(&raw.crv, "crv")
                    .map_err(fail)?
                    .unwrap_or_default();
                if crv != "Ed25519" {
                    return Err(fail(format!(
                        "unsupported OKP curve \"{crv}\" (Ed25519 is supported)"
                    )));
                }
                let x = b64_member(&raw.x, "x").map_err(fail)?;
                if x.len() != 32 {
                    return Err(fail("an Ed25519 'x' must be 32 bytes".into()));
                }
                Some(KeyMaterial::Ed25519 { key: x })
            }
            "oct" => return Err(fail(
                "it is a symmetric ('oct') key; token signatures are checked with public keys only"
                    .into(),
            )),
            other => return Err(fail(format!("unsupported key type \"{other}\""))),
        };

    // The first x5c certificate holds the same key (RFC 7517 §4.7).
    let mut cert_info = None;
    let from_cert = match &raw.x5c {
        None => None,
        Some(Value::Array(items)) if !items.is_empty() => {
            let first = items[0]
                .as_str()
                .ok_or_else(|| fail("'x5c' holds a non-string".into()))?;
            let der = STANDARD.decode(first.as_bytes()).map_err(|e| {
                fail(format!(
                    "'x5c[0]' is not base64 (x5c uses standard base64, not base64url): {e}"
                ))
            })?;
            let (material, info) =
                cert::from_der(&der).map_err(|e| fail(format!("'x5c[0]': {e}")))?;
            cert_info = Some(info);
            Some(material)
        }
        Some(_) => return Err(fail("'x5c' is not a non-empty array".into())),
    };
    let material = match (from_members, from_cert) {
        (Some(m), Some(c)) => {
            if m != c {
                return Err(fail(
                    "its x5c certificate holds a different public key than its n/e members: the key set is inconsistent".into(),
                ));
            }
            m
        }
        (Some(m), None) => m,
        (None, Some(c)) => c,
        (None, None) => {
            return Err(fail(
                "it has neither key members (n/e, x/y) nor an x5c certificate".into(),
            ))
        }
    };
    if material.family().to_string() != family_of_kty(&kty, &material) {
        return Err(fail(format!(
            "its 'kty' is \"{kty}\" but its certificate holds a {} key",
            material.describe()
        )));
    }

    let x5t = opt_string(&raw.x5t, "x5t").map_err(fail)?;
    let x5t_s256 = opt_string(&raw.x5t_s256, "x5t#S256").map_err(fail)?;
    if let Some(info) = &cert_info {
        if let Some(t) = &x5t {
            if *t != info.x5t {
                return Err(fail(format!(
                    "its 'x5t' \"{t}\" is not the SHA-1 thumbprint of its x5c certificate (\"{}\")",
                    info.x5t
                )));
            }
        }
        if let Some(t) = &x5t_s256 {
            if *t != info.x5t_s256 {
                return Err(fail(
                    "its 'x5t#S256' is not the SHA-256 thumbprint of its x5c certificate".into(),
                ));
            }
        }
    }
    let mut key = VerifyingKey::new(material, KeySource::Jwk { index });
    key.x5t = x5t.or_else(|| cert_info.as_ref().map(|c| c.x5t.clone()));
    key.x5t_s256 = x5t_s256.or_else(|| cert_info.as_ref().map(|c| c.x5t_s256.clone()));
    key.kid = kid;
    key.alg = opt_string(&raw.alg, "alg").map_err(|e| (key.kid.clone(), e))?;
    key.use_ = use_;
    key.issuer = opt_string(&raw.issuer, "issuer").map_err(|e| (key.kid.clone(), e))?;
    key.cert = cert_info;
    Ok(key)
}

fn family_of_kty(kty: &str, material: &KeyMaterial) -> String {
    match kty {
        "RSA" => "RSA".into(),
        // EC and OKP keys name their curve; the curve was checked above.
        _ => material.family().to_string(),
    }
}
