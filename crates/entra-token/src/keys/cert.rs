//! X.509 certificates and SubjectPublicKeyInfo: only what is needed to get
//! the public key out and name the certificate. No chain building: Entra's
//! signing certificates are self-signed, and trust comes from where the key
//! set was fetched, not from the certificate.

use aws_lc_rs::digest;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::b64;
use crate::error::KeyError;
use crate::keys::material::KeyMaterial;

/// What a certificate says about itself, for display and for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// The subject's distinguished name, as text.
    pub subject: String,
    /// Start of validity, epoch seconds. Not enforced: trust comes from
    /// where the key set was fetched.
    pub not_before: i64,
    /// End of validity, epoch seconds. Not enforced either.
    pub not_after: i64,
    /// base64url(SHA-1(DER)): Entra's `x5t` and, for Entra keys, the `kid`.
    pub x5t: String,
    /// base64url(SHA-256(DER)).
    pub x5t_s256: String,
}

const OID_EC_P256: &str = "1.2.840.10045.3.1.7";
const OID_EC_P384: &str = "1.3.132.0.34";
const OID_ED25519: &str = "1.3.101.112";

/// Reads a DER certificate: its key and its description.
pub(crate) fn from_der(der: &[u8]) -> Result<(KeyMaterial, CertInfo), KeyError> {
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|e| KeyError::Certificate(e.to_string()))?;
    if !rest.is_empty() {
        return Err(KeyError::Certificate(format!(
            "{} trailing bytes after the certificate",
            rest.len()
        )));
    }
    let material = spki_material(cert.public_key())?;
    let info = CertInfo {
        subject: cert.subject().to_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        x5t: b64::encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref()),
        x5t_s256: b64::encode(digest::digest(&digest::SHA256, der).as_ref()),
    };
    Ok((material, info))
}

/// Reads a DER SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`).
pub(crate) fn spki_from_der(der: &[u8]) -> Result<KeyMaterial, KeyError> {
    let (rest, spki) =
        SubjectPublicKeyInfo::from_der(der).map_err(|e| KeyError::PublicKey(e.to_string()))?;
    if !rest.is_empty() {
        return Err(KeyError::PublicKey(format!(
            "{} trailing bytes after the key",
            rest.len()
        )));
    }
    spki_material(&spki)
}

/// Reads a DER PKCS#1 RSAPublicKey (`BEGIN RSA PUBLIC KEY`).
pub(crate) fn pkcs1_from_der(der: &[u8]) -> Result<KeyMaterial, KeyError> {
    let (rest, key) = x509_parser::public_key::RSAPublicKey::from_der(der)
        .map_err(|e| KeyError::PublicKey(e.to_string()))?;
    if !rest.is_empty() {
        return Err(KeyError::PublicKey(format!(
            "{} trailing bytes after the key",
            rest.len()
        )));
    }
    Ok(KeyMaterial::rsa(key.modulus, key.exponent))
}

fn spki_material(spki: &SubjectPublicKeyInfo<'_>) -> Result<KeyMaterial, KeyError> {
    let alg_oid = spki.algorithm.algorithm.to_id_string();
    if alg_oid == OID_ED25519 {
        let key = spki.subject_public_key.data.to_vec();
        if key.len() != 32 {
            return Err(KeyError::PublicKey(format!(
                "an Ed25519 key is 32 bytes, not {}",
                key.len()
            )));
        }
        return Ok(KeyMaterial::Ed25519 { key });
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => Ok(KeyMaterial::rsa(rsa.modulus, rsa.exponent)),
        Ok(PublicKey::EC(point)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())
                .unwrap_or_default();
            let point = point.data().to_vec();
            match curve.as_str() {
                OID_EC_P256 => Ok(KeyMaterial::EcP256 { point }),
                OID_EC_P384 => Ok(KeyMaterial::EcP384 { point }),
                other => Err(KeyError::PublicKey(format!("unsupported EC curve {other}"))),
            }
        }
        Ok(_) => Err(KeyError::PublicKey(format!(
            "unsupported key algorithm {alg_oid}"
        ))),
        Err(e) => Err(KeyError::PublicKey(e.to_string())),
    }
}
