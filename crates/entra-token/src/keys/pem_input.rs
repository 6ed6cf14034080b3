//! PEM input: certificates, SubjectPublicKeyInfo and PKCS#1 RSA public keys.

use crate::error::KeyError;
use crate::keys::cert;
use crate::keys::material::{KeySource, VerifyingKey};

/// Reads every PEM block in `text` as a key. Private keys are refused by
/// name, so that nobody pastes one by mistake and thinks it was used.
pub(crate) fn parse(text: &str) -> Result<Vec<VerifyingKey>, KeyError> {
    let blocks = pem::parse_many(text).map_err(|e| KeyError::Pem(e.to_string()))?;
    if blocks.is_empty() {
        return Err(KeyError::Pem("no PEM block found".into()));
    }
    let mut keys = Vec::with_capacity(blocks.len());
    for block in blocks {
        let key = match block.tag() {
            "CERTIFICATE" => {
                let (material, info) = cert::from_der(block.contents())?;
                let mut k = VerifyingKey::new(material, KeySource::Certificate);
                k.x5t = Some(info.x5t.clone());
                k.x5t_s256 = Some(info.x5t_s256.clone());
                k.cert = Some(info);
                k
            }
            "PUBLIC KEY" => VerifyingKey::new(cert::spki_from_der(block.contents())?, KeySource::PublicKey),
            "RSA PUBLIC KEY" => VerifyingKey::new(cert::pkcs1_from_der(block.contents())?, KeySource::PublicKey),
            tag if tag.contains("PRIVATE KEY") => {
                return Err(KeyError::PemLabel(format!(
                    "{tag}: a private key; give the certificate or public key instead, and keep the private key secret"
                )))
            }
            tag => return Err(KeyError::PemLabel(tag.to_owned())),
        };
        keys.push(key);
    }
    Ok(keys)
}
