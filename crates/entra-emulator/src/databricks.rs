//! The Azure Databricks workspace stand-in: token verification as the workspace does it
//! (jjwt-style messages) and the SCIM `Me` bodies.

use std::sync::Arc;

use aws_lc_rs::signature;
use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::config::{MemberKind, WorkspaceMember};
use crate::keys::SigningKey;
use crate::state::{read, Shared, WorkspaceState};
use crate::util::{b64url_decode, derived_digits, iso_seconds, now_millis, Obj};
use crate::DATABRICKS_RESOURCE_ID;

/// Why a request is refused: status and the Databricks `{error_code, message}` body.
#[derive(Debug)]
pub(crate) struct Reject {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl Reject {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    fn parse(exception: &str, detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            format!("Error while parsing token: io.jsonwebtoken.{exception}: {detail}"),
        )
    }

    pub(crate) fn body(&self) -> Obj {
        let mut o = Obj::new();
        o.push("error_code", self.status.as_u16().to_string())
            .push("message", self.message.as_str());
        o
    }
}

/// Who the token is for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Principal {
    User(String),
    ServicePrincipal(String),
}

const ALLOWED_CLOCK_SKEW_MS: i64 = 0;

/// Verifies the `Authorization` header as an Azure Databricks workspace does and finds
/// the workspace member it is for.
pub(crate) fn authenticate(
    shared: &Shared,
    ws: &WorkspaceState,
    authorization: Option<&[u8]>,
) -> Result<WorkspaceMember, Reject> {
    authenticate_with(shared, ws, authorization, &Management::default())
}

/// The headers of the service principal management-token path: an ARM token
/// of the same service principal, and the workspace's Azure resource ID.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Management<'a> {
    pub(crate) token: Option<&'a [u8]>,
    pub(crate) resource_id: Option<&'a [u8]>,
}

/// `X-Databricks-Azure-SP-Management-Token`.
pub(crate) const SP_MANAGEMENT_TOKEN_HEADER: &str = "x-databricks-azure-sp-management-token";
/// `X-Databricks-Azure-Workspace-Resource-Id`.
pub(crate) const WORKSPACE_RESOURCE_ID_HEADER: &str = "x-databricks-azure-workspace-resource-id";

/// The Azure Resource Manager audiences a management token may carry.
const ARM_AUDIENCES: [&str; 4] = [
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
    "https://management.azure.com/",
    "https://management.azure.com",
];

/// Like [`authenticate`], with the management-token headers: a service
/// principal that is not a member is let in when its ARM token verifies and
/// it is Contributor on the workspace resource named (Azure Databricks then
/// adds it to the workspace).
pub(crate) fn authenticate_with(
    shared: &Shared,
    ws: &WorkspaceState,
    authorization: Option<&[u8]>,
    mgmt: &Management<'_>,
) -> Result<WorkspaceMember, Reject> {
    let Some(raw) = authorization else {
        return Err(Reject::new(
            StatusCode::UNAUTHORIZED,
            "Credential was not sent or was of an unsupported type for this API.",
        ));
    };
    let text = std::str::from_utf8(raw)
        .map_err(|_| Reject::new(StatusCode::BAD_REQUEST, "Malformed Authorization header."))?;
    let mut parts = text.trim().splitn(2, ' ');
    let scheme = parts.next().unwrap_or_default();
    let token = parts.next().unwrap_or_default().trim();
    if !scheme.eq_ignore_ascii_case("bearer")
        || token.is_empty()
        || token.contains(char::is_whitespace)
    {
        return Err(Reject::new(
            StatusCode::BAD_REQUEST,
            "Malformed Authorization header: expected 'Bearer <token>'.",
        ));
    }
    let principal = verify_token(shared, ws, token, DATABRICKS_RESOURCE_ID)?;
    let member = ws
        .config
        .members
        .iter()
        .find(|m| match (&principal, m.kind) {
            (Principal::User(u), MemberKind::User) => m.name.eq_ignore_ascii_case(u),
            (Principal::ServicePrincipal(a), MemberKind::ServicePrincipal) => {
                m.name.eq_ignore_ascii_case(a)
            }
            _ => false,
        });
    match member {
        None => match (&principal, mgmt.token) {
            (Principal::ServicePrincipal(app), Some(m)) => {
                management_path(shared, ws, app, m, mgmt)
            }
            _ => Err(Reject::new(StatusCode::FORBIDDEN, "User not authorized.")),
        },
        Some(m) if !m.active => Err(Reject::new(
            StatusCode::FORBIDDEN,
            format!("User {} is deactivated in this workspace.", m.name),
        )),
        Some(m) => Ok(m.clone()),
    }
}

/// The management-token path for a service principal that is not a member.
fn management_path(
    shared: &Shared,
    ws: &WorkspaceState,
    app: &str,
    raw: &[u8],
    mgmt: &Management<'_>,
) -> Result<WorkspaceMember, Reject> {
    let token = std::str::from_utf8(raw).unwrap_or("").trim();
    let token = token
        .strip_prefix("Bearer ")
        .or_else(|| token.strip_prefix("bearer "))
        .unwrap_or(token);
    if token.matches('.').count() != 2 {
        return Err(Reject::forbidden(
            "Invalid X-Databricks-Azure-SP-Management-Token: not a JWT.",
        ));
    }
    let arm = ARM_AUDIENCES
        .iter()
        .find(|a| token_audience(token).as_deref() == Some(**a))
        .copied()
        .unwrap_or(ARM_AUDIENCES[0]);
    let who = verify_token(shared, ws, token, arm).map_err(|r| {
        Reject::forbidden(format!(
            "Invalid X-Databricks-Azure-SP-Management-Token: {}",
            r.message
        ))
    })?;
    if who != Principal::ServicePrincipal(app.to_owned())
        && who != Principal::ServicePrincipal(app.to_ascii_lowercase())
    {
        return Err(Reject::forbidden(
            "The X-Databricks-Azure-SP-Management-Token is not for the service principal of the \
             Authorization token.",
        ));
    }
    let named = mgmt
        .resource_id
        .and_then(|r| std::str::from_utf8(r).ok())
        .map(str::trim)
        .unwrap_or("");
    if named.is_empty() {
        return Err(Reject::forbidden(
            "Missing X-Databricks-Azure-Workspace-Resource-Id header: the management token \
             needs the workspace's Azure resource ID.",
        ));
    }
    let ours = ws.config.azure_resource_id.as_deref().unwrap_or("");
    if !named.eq_ignore_ascii_case(ours) {
        return Err(Reject::forbidden(format!(
            "X-Databricks-Azure-Workspace-Resource-Id '{named}' is not this workspace's \
             resource ID."
        )));
    }
    let contributor = ws
        .config
        .resource_contributors
        .iter()
        .any(|c| c.eq_ignore_ascii_case(app));
    if !contributor {
        return Err(Reject::forbidden(format!(
            "Service principal {app} is not a member of this workspace and does not have \
             Contributor or Owner on the workspace resource {ours}."
        )));
    }
    Ok(WorkspaceMember::service_principal(app, app))
}

fn token_audience(token: &str) -> Option<String> {
    let p = token.split('.').nth(1)?;
    let claims: Map<String, Value> = serde_json::from_slice(&b64url_decode(p)?).ok()?;
    claims.get("aud").and_then(Value::as_str).map(str::to_owned)
}

fn verify_token(
    shared: &Shared,
    ws: &WorkspaceState,
    token: &str,
    audience: &str,
) -> Result<Principal, Reject> {
    let dots = token.matches('.').count();
    if dots == 0 {
        // Not a JWT: Databricks treats it as a personal access token.
        return personal_access_token(ws, token);
    }
    if dots != 2 {
        return Err(Reject::parse(
            "MalformedJwtException",
            format!("JWT strings must contain exactly 2 period characters. Found: {dots}"),
        ));
    }
    let mut segs = token.split('.');
    let (h64, p64, s64) = match (segs.next(), segs.next(), segs.next()) {
        (Some(h), Some(p), Some(s)) => (h, p, s),
        _ => {
            return Err(Reject::parse(
                "MalformedJwtException",
                "JWT strings must contain exactly 2 period characters. Found: 0",
            ))
        }
    };
    let header = decode_json_object(h64, "header")?;
    let claims = decode_json_object(p64, "payload")?;
    if let Some(iss) = claims.get("iss").and_then(Value::as_str) {
        if crate::dbx_oauth::is_databricks_issuer(shared, iss) {
            return crate::dbx_oauth::verify(shared, ws, token, &claims);
        }
    }

    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if s64.is_empty() || alg.eq_ignore_ascii_case("none") {
        return Err(Reject::parse(
            "UnsupportedJwtException",
            "Unsigned Claims JWTs are not supported.",
        ));
    }
    if alg != "RS256" {
        return Err(Reject::parse(
            "security.SignatureException",
            format!("Unsupported signature algorithm '{alg}': only RS256 is accepted."),
        ));
    }
    let sig = b64url_decode(s64).ok_or_else(|| {
        Reject::parse(
            "MalformedJwtException",
            "Unable to decode JWT signature: invalid Base64Url.",
        )
    })?;

    // Entra's signing keys (v1.0 set: organisational keys only, no consumer key).
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .or_else(|| header.get("x5t").and_then(Value::as_str));
    let keys: Vec<Arc<SigningKey>> = {
        let tenants = read(&shared.tenants);
        tenants
            .iter()
            .flat_map(|t| t.published())
            .filter(|k| kid.is_none_or(|kid| k.kid() == kid))
            .cloned()
            .collect()
    };
    if keys.is_empty() {
        return Err(Reject::parse(
            "security.SignatureException",
            format!(
                "No signing key with kid '{}' among the identity provider's published keys. \
                 JWT validity cannot be asserted and should not be trusted.",
                kid.unwrap_or("")
            ),
        ));
    }
    let input_len = h64.len() + 1 + p64.len();
    let signing_input = token.get(..input_len).unwrap_or("").as_bytes();
    let ok = keys.iter().any(|k| {
        signature::RsaPublicKeyComponents { n: k.n(), e: k.e() }
            .verify(&signature::RSA_PKCS1_2048_8192_SHA256, signing_input, &sig)
            .is_ok()
    });
    if !ok {
        return Err(Reject::parse(
            "security.SignatureException",
            "JWT signature does not match locally computed signature. JWT validity cannot be \
             asserted and should not be trusted.",
        ));
    }

    let now_ms = now_millis();
    if let Some(exp) = numeric_claim(&claims, "exp")? {
        let exp_ms = exp.saturating_mul(1000);
        if now_ms - ALLOWED_CLOCK_SKEW_MS > exp_ms {
            return Err(Reject::parse(
                "ExpiredJwtException",
                format!(
                    "JWT expired at {}. Current time: {}, a difference of {} milliseconds.  \
                     Allowed clock skew: {ALLOWED_CLOCK_SKEW_MS} milliseconds.",
                    iso_seconds(exp),
                    iso_seconds(now_ms / 1000),
                    now_ms - exp_ms
                ),
            ));
        }
    }
    if let Some(nbf) = numeric_claim(&claims, "nbf")? {
        let nbf_ms = nbf.saturating_mul(1000);
        if now_ms + ALLOWED_CLOCK_SKEW_MS < nbf_ms {
            return Err(Reject::parse(
                "PrematureJwtException",
                format!(
                    "JWT must not be accepted before {}. Current time: {}, a difference of {} \
                     milliseconds.  Allowed clock skew: {ALLOWED_CLOCK_SKEW_MS} milliseconds.",
                    iso_seconds(nbf),
                    iso_seconds(now_ms / 1000),
                    nbf_ms - now_ms
                ),
            ));
        }
    }

    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    if !aud_ok {
        return Err(incorrect_claim(&claims, "aud", audience));
    }
    let tid = &ws.config.tenant_id;
    let v1 = shared.issuers.v1(tid);
    let v2 = shared.issuers.v2(tid);
    let iss_ok = matches!(claims.get("iss"), Some(Value::String(i)) if *i == v1 || *i == v2);
    if !iss_ok {
        return Err(incorrect_claim(&claims, "iss", &v1));
    }
    principal(&claims).ok_or_else(|| {
        Reject::new(
            StatusCode::UNAUTHORIZED,
            "Error while parsing token: the token names no user (upn, unique_name, \
             preferred_username) and no application (appid, azp).",
        )
    })
}

/// The message Databricks gives for PATs when the admin has switched them off.
pub(crate) const PATS_DISABLED: &str =
    "Personal access tokens are disabled for this workspace. Ask your workspace admin.";

/// A personal access token: known, not revoked, not expired, PATs allowed. Databricks
/// answers an unknown, revoked or expired PAT alike: 403 "Invalid access token.".
fn personal_access_token(ws: &WorkspaceState, token: &str) -> Result<Principal, Reject> {
    let pat = ws
        .config
        .pats
        .iter()
        .find(|p| crate::util::ct_eq(&p.token, token));
    if ws.config.pats_disabled && token.starts_with("dapi") {
        return Err(Reject::forbidden(PATS_DISABLED));
    }
    let Some(pat) =
        pat.filter(|p| !p.revoked && p.expires_at.is_none_or(|t| t > now_millis() / 1000))
    else {
        return Err(Reject::forbidden("Invalid access token."));
    };
    let owner = ws
        .config
        .members
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(&pat.owner));
    Ok(match owner.map(|m| m.kind) {
        Some(MemberKind::ServicePrincipal) => Principal::ServicePrincipal(pat.owner.clone()),
        _ => Principal::User(pat.owner.clone()),
    })
}

fn incorrect_claim(claims: &Map<String, Value>, name: &str, expected: &str) -> Reject {
    match claims.get(name) {
        None | Some(Value::Null) => Reject::parse(
            "MissingClaimException",
            format!(
                "Expected {name} claim to be: {expected}, but was not present in the JWT claims."
            ),
        ),
        Some(v) => {
            let shown = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Reject::parse(
                "IncorrectClaimException",
                format!("Expected {name} claim to be: {expected}, but was: {shown}."),
            )
        }
    }
}

fn numeric_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, Reject> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))),
        Some(other) => Err(Reject::parse(
            "MalformedJwtException",
            format!("Invalid JWT Claims '{name}' value: {other} is not a number."),
        )),
    }
}

fn decode_json_object(seg: &str, what: &str) -> Result<Map<String, Value>, Reject> {
    let bytes = b64url_decode(seg).ok_or_else(|| {
        Reject::parse(
            "MalformedJwtException",
            format!("Unable to decode JWT {what}: invalid Base64Url."),
        )
    })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Reject::parse(
            "MalformedJwtException",
            format!("Unable to read JWT {what} as a JSON object."),
        )),
    }
}

fn principal(claims: &Map<String, Value>) -> Option<Principal> {
    let s = |k: &str| {
        claims
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let app = s("appid").or_else(|| s("azp"));
    let user = s("upn")
        .or_else(|| s("unique_name"))
        .or_else(|| s("preferred_username"))
        .or_else(|| s("email"));
    if s("idtyp") == Some("app") || user.is_none() {
        return app.map(|a| Principal::ServicePrincipal(a.to_owned()));
    }
    user.map(|u| Principal::User(u.to_owned()))
}

/// The SCIM body of `GET /api/2.0/preview/scim/v2/Me`.
pub(crate) fn me_body(ws: &WorkspaceState, m: &WorkspaceMember) -> Obj {
    let id = derived_digits(
        &format!("scim:{}:{}", ws.config.name, m.name.to_ascii_lowercase()),
        16,
    );
    let groups: Vec<Value> = m
        .groups
        .iter()
        .map(|g| {
            let gid = derived_digits(&format!("group:{}:{g}", ws.config.name), 16);
            let mut o = Map::new();
            o.insert("display".into(), Value::from(g.as_str()));
            o.insert("type".into(), Value::from("direct"));
            o.insert("value".into(), Value::from(gid.as_str()));
            o.insert("$ref".into(), Value::from(format!("Groups/{gid}")));
            Value::Object(o)
        })
        .collect();
    let entitlement = |v: &str| {
        let mut o = Map::new();
        o.insert("value".into(), Value::from(v));
        Value::Object(o)
    };
    let entitlements = Value::Array(vec![
        entitlement("workspace-access"),
        entitlement("databricks-sql-access"),
    ]);
    let mut o = Obj::new();
    match m.kind {
        MemberKind::User => {
            let mut email = Map::new();
            email.insert("type".into(), Value::from("work"));
            email.insert("value".into(), Value::from(m.name.as_str()));
            email.insert("primary".into(), Value::from(true));
            let (given, family) = m
                .display_name
                .split_once(' ')
                .unwrap_or((m.display_name.as_str(), ""));
            let mut name = Map::new();
            name.insert("givenName".into(), Value::from(given));
            name.insert("familyName".into(), Value::from(family));
            o.push("emails", Value::Array(vec![Value::Object(email)]))
                .push("groups", Value::Array(groups))
                .push("entitlements", entitlements)
                .push("displayName", m.display_name.as_str())
                .push(
                    "schemas",
                    Value::Array(vec![
                        Value::from("urn:ietf:params:scim:schemas:core:2.0:User"),
                        Value::from("urn:ietf:params:scim:schemas:extension:workspace:2.0:User"),
                    ]),
                )
                .push("name", Value::Object(name))
                .push("active", m.active)
                .push("id", id)
                .push("userName", m.name.as_str());
        }
        MemberKind::ServicePrincipal => {
            o.push(
                "schemas",
                Value::Array(vec![Value::from(
                    "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal",
                )]),
            )
            .push("id", id)
            .push("applicationId", m.name.as_str())
            .push("userName", m.name.as_str())
            .push("displayName", m.display_name.as_str())
            .push("groups", Value::Array(groups))
            .push("entitlements", entitlements)
            .push("active", m.active);
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn principal_kinds() {
        let user = obj(serde_json::json!({"upn": "a@b", "appid": "x"}));
        assert_eq!(principal(&user), Some(Principal::User("a@b".into())));
        let app = obj(serde_json::json!({"idtyp": "app", "appid": "x"}));
        assert_eq!(
            principal(&app),
            Some(Principal::ServicePrincipal("x".into()))
        );
        let v2app = obj(serde_json::json!({"azp": "y"}));
        assert_eq!(
            principal(&v2app),
            Some(Principal::ServicePrincipal("y".into()))
        );
        assert_eq!(principal(&Map::new()), None);
    }

    #[test]
    fn claim_messages() {
        let c = obj(serde_json::json!({"aud": "https://management.core.windows.net/"}));
        let r = incorrect_claim(&c, "aud", DATABRICKS_RESOURCE_ID);
        assert!(r.message.ends_with(
            "io.jsonwebtoken.IncorrectClaimException: Expected aud claim to be: \
             2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, but was: https://management.core.windows.net/."
        ));
        let r = incorrect_claim(&Map::new(), "iss", "x");
        assert!(r.message.contains("MissingClaimException"));
    }
}
