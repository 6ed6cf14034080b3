//! Entra workload identity federation: an app's federated identity credentials, and the
//! check of an external token presented as `client_assertion`. Also [`ExternalIssuer`],
//! a stand-in external identity provider (a CI system, a Kubernetes cluster) whose
//! signed tokens tests can present.

use std::sync::Arc;

use aws_lc_rs::signature;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::AppRegistration;
use crate::keys::SigningKey;
use crate::signin::{fail, Fail};
use crate::util::{b64url_decode, now_secs, Obj};
use crate::Error;

/// The audience Entra expects by default in federated tokens.
pub const FEDERATION_AUDIENCE: &str = "api://AzureADTokenExchange";

fn default_audiences() -> Vec<String> {
    vec![FEDERATION_AUDIENCE.into()]
}

/// A federated identity credential on an app registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederatedCredential {
    /// External issuer (`iss`), compared exactly (case-sensitive).
    pub issuer: String,
    /// External subject (`sub`), compared exactly (case-sensitive).
    pub subject: String,
    /// Accepted audiences (default `["api://AzureADTokenExchange"]`).
    #[serde(default = "default_audiences")]
    pub audiences: Vec<String>,
    /// The external issuer's key set (JWKS JSON text), inline to keep the emulator
    /// self-contained (Entra fetches it from the issuer's discovery document).
    pub jwks: String,
}

impl FederatedCredential {
    /// A credential for `issuer`/`subject` with the default audience, trusting `jwks`.
    pub fn new(
        issuer: impl Into<String>,
        subject: impl Into<String>,
        jwks: impl Into<String>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            subject: subject.into(),
            audiences: default_audiences(),
            jwks: jwks.into(),
        }
    }

    /// Replaces the accepted audiences.
    pub fn audiences(mut self, audiences: &[&str]) -> Self {
        self.audiences = audiences.iter().map(|a| (*a).to_owned()).collect();
        self
    }
}

/// A stand-in external OIDC issuer: an RSA key, its JWKS, and signed tokens.
#[derive(Clone)]
pub struct ExternalIssuer {
    /// The `iss` of its tokens.
    pub issuer: String,
    key: Arc<SigningKey>,
}

impl std::fmt::Debug for ExternalIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalIssuer")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl ExternalIssuer {
    /// Generates a key for an issuer.
    pub fn generate(issuer: impl Into<String>) -> Result<Self, Error> {
        Ok(Self {
            issuer: issuer.into(),
            key: Arc::new(SigningKey::generate("external-issuer")?),
        })
    }

    /// Its key set, JSON text.
    pub fn jwks(&self) -> String {
        crate::state::keys_doc_json(&[self.key.bare_jwk()])
    }

    /// A token with `iss` = the issuer, `sub`, `aud`, `iat`/`nbf` now, `exp` in
    /// `expires_in` seconds (negative: already expired), RS256 with `kid`.
    pub fn token(&self, sub: &str, aud: &str, expires_in: i64) -> String {
        self.token_with(sub, aud, expires_in, &[])
    }

    /// Like [`ExternalIssuer::token`], with extra string claims (e.g. `email`).
    pub fn token_with(
        &self,
        sub: &str,
        aud: &str,
        expires_in: i64,
        extra: &[(&str, &str)],
    ) -> String {
        let now = now_secs();
        let mut h = Obj::new();
        h.push("alg", "RS256")
            .push("typ", "JWT")
            .push("kid", self.key.kid());
        let mut c = Obj::new();
        c.push("iss", self.issuer.as_str())
            .push("sub", sub)
            .push("aud", aud)
            .push("iat", now.min(now + expires_in) - 60)
            .push("nbf", now.min(now + expires_in) - 60)
            .push("exp", now + expires_in);
        for (k, v) in extra {
            c.push(k, *v);
        }
        crate::mint::encode_signed(&h, &c, Some(&self.key)).unwrap_or_default()
    }
}

fn no_record(code: u32, what: &str, value: &str, app: &AppRegistration) -> Fail {
    fail(
        StatusCode::BAD_REQUEST,
        "invalid_client",
        code,
        format!(
            "No matching federated identity record found for presented assertion {what} \
             '{value}'. Please check your federated identity credential Subject, Audience and \
             Issuer against the presented assertion on app '{}'. \
             https://learn.microsoft.com/entra/workload-id/workload-identity-federation",
            app.client_id
        ),
    )
}

/// Whether an assertion is an external (federated) token rather than the app's own
/// certificate assertion: its `iss` is not the client id, and the app has federated
/// credentials or the header names no certificate thumbprint.
pub(crate) fn is_external(
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
    app: &AppRegistration,
) -> bool {
    let foreign_iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .is_some_and(|i| !i.eq_ignore_ascii_case(&app.client_id));
    let thumbprint = header.contains_key("x5t") || header.contains_key("x5t#S256");
    foreign_iss && (!app.federated_credentials.is_empty() || !thumbprint)
}

/// Checks an external token against the app's federated credentials.
pub(crate) fn verify_federated(
    app: &AppRegistration,
    signed: &str,
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
    sig: &[u8],
) -> Result<(), Fail> {
    let claim = |n: &str| claims.get(n).and_then(Value::as_str).unwrap_or("");
    let (iss, sub) = (claim("iss"), claim("sub"));
    let auds = audiences(claims);
    if app.federated_credentials.is_empty() {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            70021,
            format!(
                "No matching federated identity record found for presented assertion. \
                 Assertion Issuer: '{iss}'. Assertion Subject: '{sub}'. Assertion Audience: \
                 '{}'. The app '{}' has no federated identity credentials.",
                auds.join(","),
                app.client_id
            ),
        ));
    }
    let by_issuer: Vec<&FederatedCredential> = app
        .federated_credentials
        .iter()
        .filter(|f| f.issuer == iss)
        .collect();
    if by_issuer.is_empty() {
        return Err(no_record(700211, "issuer", iss, app));
    }
    let by_subject: Vec<&&FederatedCredential> =
        by_issuer.iter().filter(|f| f.subject == sub).collect();
    if by_subject.is_empty() {
        return Err(no_record(700213, "subject", sub, app));
    }
    let Some(cred) = by_subject
        .iter()
        .find(|f| f.audiences.iter().any(|a| auds.contains(&a.as_str())))
    else {
        return Err(no_record(700212, "audience", &auds.join(","), app));
    };
    if !signature_ok(&cred.jwks, header, signed, sig, JwsAlg::Rs256) {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            "Client assertion failed signature validation: the presented token is not \
             signed by a key of the external issuer's key set.",
        ));
    }
    crate::signin::assertion_in_time(claims)
}

/// The signature algorithms of the external tokens the emulator checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JwsAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256, by an RSA key.
    Rs256,
    /// ECDSA P-256 with SHA-256 (JWS form: `r || s`, 64 bytes), by an EC P-256 key.
    Es256,
}

/// Whether a key of the set (JWKS JSON text) of the algorithm's type verifies `sig` over
/// `signed`. When the header and a key both name a `kid`, they must agree.
pub(crate) fn signature_ok(
    jwks: &str,
    header: &Map<String, Value>,
    signed: &str,
    sig: &[u8],
    alg: JwsAlg,
) -> bool {
    let Ok(Value::Object(set)) = serde_json::from_str::<Value>(jwks) else {
        return false;
    };
    let kid = header.get("kid").and_then(Value::as_str);
    let Some(keys) = set.get("keys").and_then(Value::as_array) else {
        return false;
    };
    keys.iter().any(|k| {
        let s = |n: &str| k.get(n).and_then(Value::as_str);
        let b = |n: &str| s(n).and_then(b64url_decode);
        if kid.is_some_and(|kid| s("kid").is_some_and(|x| x != kid)) {
            return false;
        }
        match alg {
            JwsAlg::Rs256 => {
                let (Some("RSA"), Some(n), Some(e)) = (s("kty"), b("n"), b("e")) else {
                    return false;
                };
                signature::RsaPublicKeyComponents { n: &n, e: &e }
                    .verify(
                        &signature::RSA_PKCS1_2048_8192_SHA256,
                        signed.as_bytes(),
                        sig,
                    )
                    .is_ok()
            }
            JwsAlg::Es256 => {
                let (Some("EC"), Some("P-256"), Some(x), Some(y)) =
                    (s("kty"), s("crv"), b("x"), b("y"))
                else {
                    return false;
                };
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
                    .verify(signed.as_bytes(), sig)
                    .is_ok()
            }
        }
    })
}

/// The token's audiences: `aud` as one string or an array of them.
pub(crate) fn audiences(claims: &Map<String, Value>) -> Vec<&str> {
    match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(l)) => l.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}
