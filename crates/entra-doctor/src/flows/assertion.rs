//! Client assertions (RFC 7523) signed with a certificate's private key, as
//! Entra takes them: RS256, `x5t` (base64url SHA-1 of the certificate) in the
//! header, `aud` the token endpoint, `iss` = `sub` = the client id.

use std::path::Path;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Bound on the PEM file.
const MAX_PEM: usize = 256 * 1024;

/// A certificate and its private key, from one PEM file (or two).
pub struct Certificate {
    key: RsaKeyPair,
    /// base64url(SHA-1(certificate DER)).
    pub x5t: String,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("x5t", &self.x5t)
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Reads a PEM file holding the certificate and its private key (PKCS#8
    /// `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`), as
    /// `AZURE_CLIENT_CERTIFICATE_PATH` takes it.
    pub fn from_file(path: &Path) -> Result<Certificate, String> {
        let meta =
            std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if meta.len() > MAX_PEM as u64 {
            return Err(format!("{} is over {MAX_PEM} bytes", path.display()));
        }
        let text =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Certificate::from_pem(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn from_pem(text: &[u8]) -> Result<Certificate, String> {
        let blocks = pem::parse_many(text).map_err(|e| format!("not PEM: {e}"))?;
        let cert = blocks.iter().find(|b| b.tag() == "CERTIFICATE").ok_or(
            "no CERTIFICATE block (the file must hold the certificate and its private key)",
        )?;
        let key = if let Some(k) = blocks.iter().find(|b| b.tag() == "PRIVATE KEY") {
            RsaKeyPair::from_pkcs8(k.contents())
                .map_err(|e| format!("the private key is not an RSA PKCS#8 key: {e}"))?
        } else if let Some(k) = blocks.iter().find(|b| b.tag() == "RSA PRIVATE KEY") {
            RsaKeyPair::from_der(k.contents())
                .map_err(|e| format!("the RSA private key cannot be read: {e}"))?
        } else {
            return Err("no PRIVATE KEY block (the file must hold the certificate and its private key; encrypted keys are not supported)".into());
        };
        let x5t = URL_SAFE_NO_PAD.encode(digest::digest(
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            cert.contents(),
        ));
        Ok(Certificate { key, x5t })
    }

    /// A signed assertion for `client_id` at the token endpoint `aud`, valid 10 minutes.
    pub fn assertion(&self, client_id: &str, aud: &str) -> Result<String, String> {
        let now = super::now();
        let jti = super::random_b64(16).map_err(|e| e.to_string())?;
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.x5t});
        let claims = serde_json::json!({
            "aud": aud, "iss": client_id, "sub": client_id, "jti": jti,
            "nbf": now, "iat": now, "exp": now + 600,
        });
        let signing = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &rng, signing.as_bytes(), &mut sig)
            .map_err(|_| "signing the client assertion failed".to_owned())?;
        Ok(format!("{signing}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}
