//! Client certificates for app registrations: generated for tests and demos, and the
//! verification of client assertions signed with them.

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

use crate::util::{b64std, b64url};
use crate::Error;

/// An RSA-2048 key and a self-signed certificate for it, as a developer makes one for an
/// app registration (`az ad sp credential reset --create-cert`).
#[derive(Clone)]
pub struct ClientCertificate {
    /// The certificate, PEM (`-----BEGIN CERTIFICATE-----`): register it on the app.
    pub cert_pem: String,
    /// The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub key_pem: String,
    /// `x5t`: base64url(SHA-1(certificate DER)).
    pub x5t: String,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t", &self.x5t)
            .finish_non_exhaustive()
    }
}

fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = b64std(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

impl ClientCertificate {
    /// Generates a key and a self-signed certificate with this CN.
    pub fn generate(common_name: &str) -> Result<Self, Error> {
        let kp = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| Error::Crypto("RSA-2048 key generation failed".into()))?;
        let pkcs8 = kp
            .as_der()
            .map_err(|_| Error::Crypto("PKCS#8 export failed".into()))?;
        let cert_der = crate::keys::self_signed_cert(pkcs8.as_ref(), common_name)?;
        Ok(Self {
            cert_pem: pem_block("CERTIFICATE", &cert_der),
            key_pem: pem_block("PRIVATE KEY", pkcs8.as_ref()),
            x5t: thumbprint(&cert_der),
        })
    }

    /// Certificate and key in one PEM file, as `AZURE_CLIENT_CERTIFICATE_PATH` takes it.
    pub fn combined_pem(&self) -> String {
        format!("{}{}", self.key_pem, self.cert_pem)
    }
}

/// base64url(SHA-1(DER)).
pub(crate) fn thumbprint(der: &[u8]) -> String {
    b64url(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref())
}

/// A registered certificate: its thumbprint and its RSA public key (PKCS#1 DER).
pub(crate) struct RegisteredCert {
    pub(crate) x5t: String,
    pub(crate) x5t_s256: String,
    rsa_public_key: Vec<u8>,
}

impl RegisteredCert {
    /// Parses every `CERTIFICATE` block of the PEM text.
    pub(crate) fn parse_all(pem_text: &str) -> Vec<RegisteredCert> {
        let mut out = Vec::new();
        let mut rest = pem_text;
        while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
            let after = &rest[start + 27..];
            let Some(end) = after.find("-----END CERTIFICATE-----") else {
                break;
            };
            let b64: String = after[..end].split_whitespace().collect();
            rest = &after[end..];
            use base64::Engine as _;
            let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) else {
                continue;
            };
            let Ok((_, cert)) = x509_parser::parse_x509_certificate(&der) else {
                continue;
            };
            out.push(RegisteredCert {
                x5t: thumbprint(&der),
                x5t_s256: b64url(digest::digest(&digest::SHA256, &der).as_ref()),
                rsa_public_key: cert.public_key().subject_public_key.data.to_vec(),
            });
        }
        out
    }

    /// Verifies an RS256 signature.
    pub(crate) fn verify_rs256(&self, message: &[u8], sig: &[u8]) -> bool {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.rsa_public_key)
            .verify(message, sig)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificate_parses_back() {
        let c = ClientCertificate::generate("client").expect("generate");
        let parsed = RegisteredCert::parse_all(&c.combined_pem());
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].x5t, c.x5t);
    }
}
