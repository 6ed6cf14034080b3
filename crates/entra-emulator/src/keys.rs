//! RSA-2048 signing keys with self-signed certificates, published as Entra publishes them.

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{self, KeyPair as _};
use serde_json::Value;

use crate::util::{b64std, b64url, random_bytes, Obj};
use crate::Error;

/// Subject and issuer CN of Entra's organisational signing certificates.
pub(crate) const ENTRA_CERT_CN: &str = "accounts.accesscontrol.windows.net";
/// Subject and issuer CN of the Microsoft-account (consumer) signing certificates.
pub(crate) const CONSUMER_CERT_CN: &str = "Live ID STS Signing Public Key";

/// One RSA key pair with its certificate and its JWK identity.
pub(crate) struct SigningKey {
    key_pair: KeyPair,
    n: Vec<u8>,
    e: Vec<u8>,
    cert_der: Vec<u8>,
    kid: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates an RSA-2048 key pair and a self-signed certificate with the given CN,
    /// valid from an hour ago for five years (as Entra's are). `kid` = `x5t` =
    /// base64url(SHA-1(certificate DER)).
    pub(crate) fn generate(common_name: &str) -> Result<Self, Error> {
        let key_pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| Error::Crypto("RSA-2048 key generation failed".into()))?;
        let pkcs8 = key_pair
            .as_der()
            .map_err(|_| Error::Crypto("PKCS#8 export failed".into()))?;
        let cert_der = self_signed_cert(pkcs8.as_ref(), common_name)?;
        let components = PublicKeyComponents::<Vec<u8>>::from(key_pair.public_key());
        let kid = b64url(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &cert_der).as_ref());
        Ok(Self {
            key_pair,
            n: strip_leading_zeros(components.n),
            e: strip_leading_zeros(components.e),
            cert_der,
            kid,
        })
    }

    /// The key id (also the `x5t`).
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// Modulus, big-endian without leading zeros.
    pub(crate) fn n(&self) -> &[u8] {
        &self.n
    }

    /// Public exponent, big-endian without leading zeros.
    pub(crate) fn e(&self) -> &[u8] {
        &self.e
    }

    /// Signs with RSASSA-PKCS1-v1_5 SHA-256 (JWS `RS256`).
    pub(crate) fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut sig = vec![0u8; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
            .map_err(|_| Error::Crypto("RS256 signing failed".into()))?;
        Ok(sig)
    }

    /// The JWK as Entra publishes it: `kty`, `use`, `kid`, `x5t`, `n`, `e`, `x5c` and,
    /// in v2.0 key sets, `issuer`.
    pub(crate) fn jwk(&self, issuer: Option<&str>) -> Obj {
        let mut o = Obj::new();
        o.push("kty", "RSA")
            .push("use", "sig")
            .push("kid", self.kid.as_str())
            .push("x5t", self.kid.as_str())
            .push("n", b64url(&self.n))
            .push("e", b64url(&self.e))
            .push(
                "x5c",
                Value::Array(vec![Value::from(b64std(&self.cert_der))]),
            );
        if let Some(iss) = issuer {
            o.push("issuer", iss);
        }
        o
    }

    /// The public JWK without its certificate members (`x5t`, `x5c`), as an issuer that
    /// is not Entra (a Databricks host, an external identity provider) publishes it.
    pub(crate) fn bare_jwk(&self) -> Obj {
        let mut k = self.jwk(None);
        k.remove("x5c");
        k.remove("x5t");
        k
    }
}

fn strip_leading_zeros(mut v: Vec<u8>) -> Vec<u8> {
    let first = v
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(v.len().saturating_sub(1));
    v.drain(..first);
    v
}

pub(crate) fn self_signed_cert(pkcs8: &[u8], common_name: &str) -> Result<Vec<u8>, Error> {
    let cert_err = |e: rcgen::Error| Error::Certificate(e.to_string());
    let signer = rcgen::KeyPair::try_from(pkcs8).map_err(cert_err)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(cert_err)?;
    let mut dn = rcgen::DistinguishedName::new();
    // Entra's certificates encode the CN as a PrintableString.
    let cn = match rcgen::string::PrintableString::try_from(common_name) {
        Ok(p) => rcgen::DnValue::PrintableString(p),
        Err(_) => rcgen::DnValue::Utf8String(common_name.to_owned()),
    };
    dn.push(rcgen::DnType::CommonName, cn);
    params.distinguished_name = dn;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(5 * 365);
    let mut serial = random_bytes::<8>();
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    let cert = params.self_signed(&signer).map_err(cert_err)?;
    Ok(cert.der().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_signs_and_verifies() {
        let k = SigningKey::generate(ENTRA_CERT_CN).expect("key");
        assert_eq!(k.n().len(), 256);
        assert_eq!(k.e(), &[1, 0, 1]);
        let sig = k.sign_rs256(b"hello").expect("sign");
        let pk = signature::RsaPublicKeyComponents { n: k.n(), e: k.e() };
        pk.verify(&signature::RSA_PKCS1_2048_8192_SHA256, b"hello", &sig)
            .expect("verify");
        let jwk = k.jwk(None).into_value();
        assert_eq!(jwk["kid"], jwk["x5t"]);
    }
}
