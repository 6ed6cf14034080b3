//! Client authentication at the token endpoint: secret (body or Basic), certificate assertion, or none (public).

use axum::http::{header, HeaderMap, StatusCode};
use base64::Engine as _;
use serde_json::Value;

use super::{fail, param, Fail, Form, JWT_BEARER};
use crate::client_cert::RegisteredCert;
use crate::config::AppRegistration;
use crate::util::{b64url_decode, iso_seconds, now_secs};

#[derive(PartialEq, Eq)]
pub(super) enum ClientAuth {
    Confidential,
    Public,
}

pub(super) fn authenticate_client(
    app: &AppRegistration,
    secret: Option<&str>,
    form: &Form,
) -> Result<ClientAuth, Fail> {
    if let Some(secret) = secret {
        let now = now_secs();
        return match app.secrets.iter().find(|s| s.value == secret) {
            Some(s) if s.expires_at.is_some_and(|e| e <= now) => Err(fail(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000222,
                format!(
                    "The provided client secret keys for app '{}' are expired. Visit the Azure \
                     portal to create new keys for your app: \
                     https://aka.ms/NewClientSecret, or consider using certificate credentials \
                     for added security: https://aka.ms/certCreds.",
                    app.client_id
                ),
            )),
            Some(_) => Ok(ClientAuth::Confidential),
            None => Err(fail(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request \
                     is the client secret value, not the client secret ID, for a secret added to \
                     app '{}'.",
                    app.client_id
                ),
            )),
        };
    }
    if let Some(assertion) = param(form, "client_assertion") {
        if param(form, "client_assertion_type") != Some(JWT_BEARER) {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                50027,
                "JWT token is invalid or malformed. client_assertion_type must be \
                 urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
            ));
        }
        verify_assertion(app, assertion)?;
        return Ok(ClientAuth::Confidential);
    }
    Ok(ClientAuth::Public)
}

fn verify_assertion(app: &AppRegistration, assertion: &str) -> Result<(), Fail> {
    let malformed = |why: &str| {
        fail(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            format!("JWT token is invalid or malformed. {why}"),
        )
    };
    let parts: Vec<&str> = assertion.split('.').collect();
    let [h, c, s] = parts.as_slice() else {
        return Err(malformed("The assertion is not a JWS with three segments."));
    };
    let decode = |seg: &str| -> Option<serde_json::Map<String, Value>> {
        serde_json::from_slice(&b64url_decode(seg)?).ok()
    };
    let header = decode(h).ok_or_else(|| malformed("The header is not base64url JSON."))?;
    let claims = decode(c).ok_or_else(|| malformed("The claims are not base64url JSON."))?;
    let sig = b64url_decode(s).ok_or_else(|| malformed("The signature is not base64url."))?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(malformed("Only RS256 client assertions are accepted."));
    }
    if crate::federation::is_external(&header, &claims, app) {
        return crate::federation::verify_federated(
            app,
            &format!("{h}.{c}"),
            &header,
            &claims,
            &sig,
        );
    }
    let x5t = header.get("x5t").and_then(Value::as_str);
    let x5t_s256 = header.get("x5t#S256").and_then(Value::as_str);
    let certs: Vec<RegisteredCert> = app
        .certificates
        .iter()
        .flat_map(|p| RegisteredCert::parse_all(p))
        .collect();
    let cert = certs
        .iter()
        .find(|k| x5t.is_some_and(|t| t == k.x5t) || x5t_s256.is_some_and(|t| t == k.x5t_s256));
    let Some(cert) = cert else {
        let thumb: String = x5t
            .and_then(b64url_decode)
            .map(|b| b.iter().map(|x| format!("{x:02X}")).collect())
            .unwrap_or_default();
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            format!(
                "The certificate with identifier used to sign the client assertion is not \
                 registered on application. [Reason - The key was not found., Thumbprint of key \
                 used by client: '{thumb}', Please visit the Azure Portal, Graph Explorer or \
                 directly use MS Graph to see configured keys for app Id '{}'. Review the \
                 documentation at https://docs.microsoft.com/en-us/graph/deployments to \
                 determine the corresponding service endpoint and \
                 https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http \
                 to build a query request URL, such as \
                 'https://graph.microsoft.com/beta/applications/{}']",
                app.client_id, app.client_id
            ),
        ));
    };
    let signed = format!("{h}.{c}");
    if !cert.verify_rs256(signed.as_bytes(), &sig) {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            "Client assertion failed signature validation.",
        ));
    }
    let claim = |n: &str| claims.get(n).and_then(Value::as_str);
    if !claim("iss").is_some_and(|i| i.eq_ignore_ascii_case(&app.client_id))
        || !claim("sub").is_some_and(|i| i.eq_ignore_ascii_case(&app.client_id))
    {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        ));
    }
    if !claim("aud").is_some_and(|a| a.contains("/oauth2/")) {
        return Err(malformed("The 'aud' claim must be the token endpoint."));
    }
    assertion_in_time(&claims)
}

/// Entra's time check of a client assertion (the app's own or a federated token): not
/// expired, and valid from at most five minutes ahead (`AADSTS700024`).
pub(crate) fn assertion_in_time(claims: &serde_json::Map<String, Value>) -> Result<(), Fail> {
    let now = now_secs();
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(0);
    if exp <= now || nbf > now + 300 {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {}, \
                 assertion valid from {}, expiry time of assertion {}.",
                iso_seconds(now),
                iso_seconds(nbf),
                iso_seconds(exp)
            ),
        ));
    }
    Ok(())
}

/// `Authorization: Basic` client credentials (client_secret_basic).
pub(super) fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v.strip_prefix("Basic ")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((dec(id)?, dec(secret)?))
}
