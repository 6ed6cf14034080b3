//! Sign-in: the token endpoints (v1.0 and v2.0), the authorize endpoint (with a consent
//! step and error redirects), the device-code endpoint and its verification page.
//!
//! Every failure answers in Entra's error-body shape, with the `AADSTS` code and the
//! wording Entra uses, so that clients (and entra-doctor's `explain`) see what they would
//! see against the real service.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::Value;

use crate::client_cert::RegisteredCert;
use crate::config::{AppRegistration, Mfa, Platform, TenantConfig, UserAccount};
use crate::mint::{MintRequest, Subject};
use crate::state::{lock, Authority, Shared};
use crate::util::{
    b64url, b64url_decode, entra_timestamp, now_secs, random_bytes, random_guid, Obj,
};
use crate::{Error, DATABRICKS_RESOURCE_ID};

/// Azure Resource Manager's application id.
const ARM_APP_ID: &str = "797f4846-ba00-4fd7-ba43-dac1f8f63013";
/// Microsoft Graph's application id.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// How long an authorization code lives.
const CODE_LIFETIME: i64 = 600;
/// Lifetime announced for issued access tokens.
const TOKEN_LIFETIME: i64 = 3599;
/// The client-assertion type of RFC 7523.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Bound on pending codes kept (oldest dropped first).
const MAX_PENDING: usize = 4096;

/// Codes and consents of a running emulator.
#[derive(Default)]
pub(crate) struct SigninState {
    codes: HashMap<String, AuthCode>,
    devices: Vec<DeviceCode>,
    /// (tenant id, client id, resource id) granted at run time.
    consents: Vec<(String, String, String)>,
}

struct AuthCode {
    tid: String,
    client_id: String,
    redirect_uri: String,
    platform: Platform,
    challenge: Option<(String, String)>,
    upn: String,
    resource: Resource,
    expires: i64,
}

struct DeviceCode {
    device_code: String,
    user_code: String,
    tid: String,
    client_id: String,
    resource: Resource,
    expires: i64,
    interval: u64,
    last_poll: Option<Instant>,
    approved: Option<String>,
}

#[derive(Clone)]
struct Resource {
    /// Canonical application id, lower case.
    id: String,
    /// `aud` of the tokens: the resource as requested.
    aud: String,
    /// Scopes as requested (v2.0), echoed in the answer.
    scope: Option<String>,
}

/// A failure in Entra's shape.
struct Fail {
    status: StatusCode,
    error: &'static str,
    code: u32,
    text: String,
}

fn fail(status: StatusCode, error: &'static str, code: u32, text: impl Into<String>) -> Fail {
    Fail {
        status,
        error,
        code,
        text: text.into(),
    }
}

fn missing(param: &str) -> Fail {
    fail(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        format!("The request body must contain the following parameter: '{param}'."),
    )
}

impl Fail {
    fn description(&self) -> (String, String, String, String) {
        let trace = random_guid();
        let correlation = random_guid();
        let ts = entra_timestamp(now_secs());
        let desc = format!(
            "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {ts}",
            self.code, self.text
        );
        (desc, trace, correlation, ts)
    }

    fn body(&self, shared: &Shared) -> Obj {
        let (desc, trace, correlation, ts) = self.description();
        let mut o = Obj::new();
        o.push("error", self.error)
            .push("error_description", desc)
            .push("error_codes", Value::Array(vec![Value::from(self.code)]))
            .push("timestamp", ts)
            .push("trace_id", trace)
            .push("correlation_id", correlation)
            .push(
                "error_uri",
                format!("{}/error?code={}", shared.base_url, self.code),
            );
        o
    }

    fn response(&self, shared: &Shared) -> Response {
        json(self.status, &self.body(shared))
    }

    /// Entra's error page (shown instead of a redirect when the redirect URI cannot be
    /// trusted).
    fn page(&self) -> Response {
        let (desc, _, _, _) = self.description();
        let escaped = desc
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace("\r\n", "<br>\n");
        (
            self.status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            format!(
                "<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body>\
                 <div id=\"error\"><p>Sorry, but we're having trouble signing you in.</p>\n\
                 <p>{escaped}</p></div></body></html>"
            ),
        )
            .into_response()
    }
}

fn json(status: StatusCode, body: &Obj) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store, no-cache"),
        ],
        body.to_json(),
    )
        .into_response()
}

fn html(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!("<!DOCTYPE html><html><body><p>{text}</p></body></html>"),
    )
        .into_response()
}

type Form = Vec<(String, String)>;

fn param<'a>(form: &'a Form, name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

fn parse_form(bytes: &[u8]) -> Form {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

// ---------------------------------------------------------------------------------------
// Lookups.

/// The tenant a request is for: by the URL's segment, or for an alias the tenant that
/// registers the client.
fn tenant_for<'a>(
    shared: &'a Shared,
    segment: &str,
    client_id: Option<&str>,
) -> Result<Option<&'a TenantConfig>, Box<Response>> {
    match shared.authority(segment) {
        None => Err(Box::new(json(
            StatusCode::BAD_REQUEST,
            &crate::discovery::unknown_tenant_error(shared, segment),
        ))),
        Some(Authority::Tenant(id)) => Ok(shared.tenant_configs.iter().find(|t| t.id == id)),
        Some(_) => Ok(client_id.and_then(|c| {
            shared
                .tenant_configs
                .iter()
                .find(|t| t.apps.iter().any(|a| a.client_id.eq_ignore_ascii_case(c)))
        })),
    }
}

fn find_app<'a>(
    tenant: Option<&'a TenantConfig>,
    segment: &str,
    client_id: &str,
) -> Result<&'a AppRegistration, Fail> {
    tenant
        .and_then(|t| {
            t.apps
                .iter()
                .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
        })
        .ok_or_else(|| {
            fail(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                700016,
                format!(
                    "Application with identifier '{client_id}' was not found in the directory \
                     '{segment}'. This can happen if the application has not been installed by \
                     the administrator of the tenant or consented to by any user in the tenant. \
                     You may have sent your authentication request to the wrong tenant."
                ),
            )
        })
}

fn tenant_name(t: &TenantConfig) -> String {
    t.domain.clone().unwrap_or_else(|| t.id.clone())
}

fn find_user<'a>(t: &'a TenantConfig, upn: &str) -> Result<&'a UserAccount, Fail> {
    t.users
        .iter()
        .find(|u| u.upn.eq_ignore_ascii_case(upn))
        .ok_or_else(|| {
            fail(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                50034,
                format!(
                    "The user account {{EUII Hidden}} does not exist in the {} directory. To sign \
                     into this application, the account must be added to the directory.",
                    t.id
                ),
            )
        })
}

/// Resolves the `resource` (v1.0) or `scope` (v2.0) of a request.
fn resolve_resource(t: &TenantConfig, form: &Form, v2: bool) -> Result<Resource, Fail> {
    let (base, scope) = if v2 {
        let scope = param(form, "scope").ok_or_else(|| missing("scope"))?;
        let main = scope
            .split_whitespace()
            .find(|s| !matches!(*s, "openid" | "profile" | "offline_access" | "email"))
            .ok_or_else(|| {
                fail(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    70011,
                    format!(
                        "The provided request must include a 'scope' input parameter. The \
                         provided value for the input parameter 'scope' ('{scope}') is not valid."
                    ),
                )
            })?;
        let base = match main.rsplit_once('/') {
            Some((b, _)) if !b.is_empty() => b.to_owned(),
            _ => "https://graph.microsoft.com".to_owned(),
        };
        (base, Some(scope.to_owned()))
    } else {
        (
            param(form, "resource")
                .ok_or_else(|| missing("resource"))?
                .to_owned(),
            None,
        )
    };
    let key = base.trim_end_matches('/').to_ascii_lowercase();
    let mut known: Vec<(String, Vec<String>)> = vec![
        (
            ARM_APP_ID.into(),
            vec![
                "https://management.core.windows.net".into(),
                "https://management.azure.com".into(),
            ],
        ),
        (
            GRAPH_APP_ID.into(),
            vec!["https://graph.microsoft.com".into()],
        ),
    ];
    if t.databricks_installed {
        known.push((DATABRICKS_RESOURCE_ID.into(), Vec::new()));
    }
    for a in &t.apps {
        known.push((a.client_id.clone(), vec![format!("api://{}", a.client_id)]));
    }
    let id = known
        .iter()
        .find(|(id, aliases)| *id == key || aliases.contains(&key))
        .map(|(id, _)| id.clone())
        .ok_or_else(|| {
            fail(
                StatusCode::BAD_REQUEST,
                "invalid_resource",
                500011,
                format!(
                    "The resource principal named {base} was not found in the tenant named {}. \
                     This can happen if the application has not been installed by the \
                     administrator of the tenant or consented to by any user in the tenant. You \
                     might have sent your authentication request to the wrong tenant.",
                    tenant_name(t)
                ),
            )
        })?;
    Ok(Resource {
        id,
        aud: base,
        scope,
    })
}

fn consented(shared: &Shared, tid: &str, app: &AppRegistration, resource: &Resource) -> bool {
    app.consented
        .iter()
        .any(|r| r.eq_ignore_ascii_case(&resource.id))
        || lock(&shared.signin)
            .consents
            .iter()
            .any(|(t, c, r)| t == tid && *c == app.client_id && *r == resource.id)
}

fn consent_missing(app: &AppRegistration) -> Fail {
    fail(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        65001,
        format!(
            "The user or administrator has not consented to use the application with ID '{}' \
             named '{}'. Send an interactive authorization request for this user and resource.",
            app.client_id, app.display_name
        ),
    )
}

fn public_flows_off() -> Fail {
    fail(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or \
         'client_secret'.",
    )
}

// ---------------------------------------------------------------------------------------
// Client authentication.

#[derive(PartialEq, Eq)]
enum ClientAuth {
    Confidential,
    Public,
}

fn authenticate_client(
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
                crate::util::iso_seconds(now),
                crate::util::iso_seconds(nbf),
                crate::util::iso_seconds(exp)
            ),
        ));
    }
    Ok(())
}

/// `Authorization: Basic` client credentials (client_secret_basic).
fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
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

// ---------------------------------------------------------------------------------------
// Issuing.

fn issue(
    shared: &Shared,
    tid: &str,
    client_id: &str,
    upn: Option<&str>,
    resource: &Resource,
    v2: bool,
) -> Result<Response, Fail> {
    let mut req = match upn {
        Some(u) => MintRequest::user(u),
        None => MintRequest::service_principal(client_id),
    };
    if let Subject::User(u) = &mut req.subject {
        u.client_app_id = client_id.to_owned();
    }
    let req = req
        .tenant(tid)
        .audience(resource.aud.clone())
        .expires_in(TOKEN_LIFETIME);
    let token = shared.mint(&req).map_err(|e: Error| {
        fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            50000,
            format!("There was an error issuing a token: {e}"),
        )
    })?;
    let now = now_secs();
    let mut o = Obj::new();
    o.push("token_type", "Bearer");
    if v2 {
        let scope = resource
            .scope
            .clone()
            .unwrap_or_else(|| format!("{}/.default", resource.aud));
        o.push("scope", scope)
            .push("expires_in", TOKEN_LIFETIME)
            .push("ext_expires_in", TOKEN_LIFETIME);
    } else {
        if upn.is_some() {
            o.push("scope", "user_impersonation");
        }
        o.push("expires_in", TOKEN_LIFETIME.to_string())
            .push("ext_expires_in", TOKEN_LIFETIME.to_string())
            .push("expires_on", (now + TOKEN_LIFETIME).to_string())
            .push("not_before", (now - 300).to_string())
            .push("resource", resource.aud.as_str());
    }
    o.push("access_token", token);
    Ok(json(StatusCode::OK, &o))
}

// ---------------------------------------------------------------------------------------
// Token endpoint.

/// `POST /<tenant>/oauth2/token` (v1.0) and `/<tenant>/oauth2/v2.0/token` (v2.0).
pub(crate) fn token(
    shared: &Shared,
    segment: &str,
    v2: bool,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let form = parse_form(body);
    let basic = basic_auth(headers);
    let client_id = param(&form, "client_id")
        .map(str::to_owned)
        .or_else(|| basic.as_ref().map(|(id, _)| id.clone()));
    let tenant = match tenant_for(shared, segment, client_id.as_deref()) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    match token_inner(shared, segment, tenant, v2, &form, client_id, basic) {
        Ok(r) => r,
        Err(f) => f.response(shared),
    }
}

fn token_inner(
    shared: &Shared,
    segment: &str,
    tenant: Option<&TenantConfig>,
    v2: bool,
    form: &Form,
    client_id: Option<String>,
    basic: Option<(String, String)>,
) -> Result<Response, Fail> {
    let grant = param(form, "grant_type").ok_or_else(|| missing("grant_type"))?;
    let client_id = client_id.ok_or_else(|| missing("client_id"))?;
    let app = find_app(tenant, segment, &client_id)?;
    let Some(t) = tenant else {
        return Err(missing("client_id"));
    };
    let secret = param(form, "client_secret").or(basic.as_ref().map(|(_, s)| s.as_str()));
    let auth = authenticate_client(app, secret, form)?;
    match grant {
        "client_credentials" => {
            if auth == ClientAuth::Public {
                return Err(public_flows_off());
            }
            if v2 {
                let scope = param(form, "scope").ok_or_else(|| missing("scope"))?;
                if !scope.trim().ends_with("/.default") {
                    return Err(fail(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        70011,
                        format!(
                            "The provided request must include a 'scope' input parameter. The \
                             provided value for the input parameter 'scope' is not valid. The \
                             scope {scope} is not valid. For the client credentials flow the \
                             scope must end with /.default."
                        ),
                    ));
                }
            }
            let resource = resolve_resource(t, form, v2)?;
            issue(shared, &t.id, &app.client_id, None, &resource, v2)
        }
        "password" => {
            let username = param(form, "username").ok_or_else(|| missing("username"))?;
            let password = form
                .iter()
                .find(|(k, _)| k == "password")
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| missing("password"))?;
            if auth == ClientAuth::Public && !app.public_client_flows {
                return Err(public_flows_off());
            }
            let resource = resolve_resource(t, form, v2)?;
            let user = find_user(t, username)?;
            if user.password != password {
                return Err(fail(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    50126,
                    "Error validating credentials due to invalid username or password.",
                ));
            }
            match user.mfa {
                Mfa::None => {}
                Mfa::Required => {
                    return Err(fail(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        50076,
                        format!(
                            "Due to a configuration change made by your administrator, or \
                             because you moved to a new location, you must use multi-factor \
                             authentication to access '{}'.",
                            resource.id
                        ),
                    ))
                }
                Mfa::Registration => {
                    return Err(fail(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        50079,
                        "Due to a configuration change made by your administrator, or because \
                         you moved to a new location, you must enroll in multi-factor \
                         authentication to access this resource.",
                    ))
                }
            }
            if !consented(shared, &t.id, app, &resource) {
                return Err(consent_missing(app));
            }
            issue(
                shared,
                &t.id,
                &app.client_id,
                Some(&user.upn),
                &resource,
                v2,
            )
        }
        "authorization_code" => {
            let code = param(form, "code").ok_or_else(|| missing("code"))?;
            let entry = lock(&shared.signin).codes.remove(code);
            let bad = |what: &str| {
                fail(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    70000,
                    format!("The provided value for the '{what}' parameter is not valid."),
                )
            };
            let entry = entry.ok_or_else(|| {
                fail(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    54005,
                    "OAuth2 Authorization code was already redeemed, please retry with a new \
                     valid code or use an existing refresh token.",
                )
            })?;
            if entry.tid != t.id || !entry.client_id.eq_ignore_ascii_case(&app.client_id) {
                return Err(bad("code"));
            }
            if entry.expires <= now_secs() {
                return Err(fail(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    70008,
                    "The provided authorization code or refresh token has expired due to \
                     inactivity. Send a new interactive authorization request for this user and \
                     resource.",
                ));
            }
            if param(form, "redirect_uri") != Some(entry.redirect_uri.as_str()) {
                return Err(fail(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    500117,
                    "The reply uri specified in the request isn't expected. The 'redirect_uri' \
                     must be the one sent in the authorization request.",
                ));
            }
            if let Some((challenge, method)) = &entry.challenge {
                let verifier = param(form, "code_verifier").unwrap_or("");
                let computed = if method == "S256" {
                    b64url(
                        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes())
                            .as_ref(),
                    )
                } else {
                    verifier.to_owned()
                };
                if verifier.is_empty() || computed != *challenge {
                    return Err(fail(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        501481,
                        "The Code_Verifier does not match the code_challenge supplied in the \
                         authorization request.",
                    ));
                }
            }
            if auth == ClientAuth::Public && entry.platform == Platform::Web {
                return Err(public_flows_off());
            }
            issue(
                shared,
                &t.id,
                &app.client_id,
                Some(&entry.upn),
                &entry.resource,
                v2,
            )
        }
        "urn:ietf:params:oauth:grant-type:device_code" | "device_code" => {
            let dc = param(form, "device_code")
                .or_else(|| param(form, "code"))
                .ok_or_else(|| missing("device_code"))?;
            let mut st = lock(&shared.signin);
            let idx = st
                .devices
                .iter()
                .position(|d| d.device_code == dc && d.tid == t.id)
                .ok_or_else(|| {
                    fail(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        70000,
                        "The provided value for the 'device_code' parameter is not valid.",
                    )
                })?;
            let now = now_secs();
            let Some(d) = st.devices.get_mut(idx) else {
                return Err(missing("device_code"));
            };
            if !d.client_id.eq_ignore_ascii_case(&app.client_id) {
                return Err(fail(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    70000,
                    "The device code was issued to another client.",
                ));
            }
            if d.expires <= now {
                st.devices.remove(idx);
                return Err(fail(
                    StatusCode::BAD_REQUEST,
                    "expired_token",
                    70019,
                    "Verification code expired.",
                ));
            }
            let Some(upn) = d.approved.clone() else {
                let too_fast = d
                    .last_poll
                    .is_some_and(|p| p.elapsed() < Duration::from_millis(d.interval * 500));
                d.last_poll = Some(Instant::now());
                return Err(if too_fast {
                    fail(
                        StatusCode::BAD_REQUEST,
                        "slow_down",
                        70016,
                        "OAuth 2.0 device flow error. Polling too frequently: wait the interval \
                         between requests.",
                    )
                } else {
                    fail(
                        StatusCode::BAD_REQUEST,
                        "authorization_pending",
                        70016,
                        "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                    )
                });
            };
            let resource = d.resource.clone();
            st.devices.remove(idx);
            drop(st);
            if auth == ClientAuth::Public && !app.public_client_flows {
                return Err(public_flows_off());
            }
            if !consented(shared, &t.id, app, &resource) {
                return Err(consent_missing(app));
            }
            issue(shared, &t.id, &app.client_id, Some(&upn), &resource, v2)
        }
        other => Err(fail(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{other}'."),
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Device code.

/// `POST /<tenant>/oauth2/devicecode` (v1.0) and `/<tenant>/oauth2/v2.0/devicecode`.
pub(crate) fn devicecode(shared: &Shared, segment: &str, v2: bool, body: &[u8]) -> Response {
    let form = parse_form(body);
    let client_id = param(&form, "client_id").map(str::to_owned);
    let tenant = match tenant_for(shared, segment, client_id.as_deref()) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let result = (|| -> Result<Response, Fail> {
        let client_id = client_id.ok_or_else(|| missing("client_id"))?;
        let app = find_app(tenant, segment, &client_id)?;
        let Some(t) = tenant else {
            return Err(missing("client_id"));
        };
        let resource = resolve_resource(t, &form, v2)?;
        let alphabet = b"BCDFGHJKLMNPQRSTVWXZ23456789";
        let user_code: String = random_bytes::<9>()
            .iter()
            .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
            .collect();
        let device_code = b64url(&random_bytes::<48>());
        let cfg = &shared.device_config;
        let mut st = lock(&shared.signin);
        if st.devices.len() >= MAX_PENDING {
            st.devices.remove(0);
        }
        st.devices.push(DeviceCode {
            device_code: device_code.clone(),
            user_code: user_code.clone(),
            tid: t.id.clone(),
            client_id: app.client_id.clone(),
            resource,
            expires: now_secs() + i64::try_from(cfg.expires_in).unwrap_or(900),
            interval: cfg.interval,
            last_poll: None,
            approved: None,
        });
        let uri = format!("{}/devicelogin", shared.base_url);
        let message = format!(
            "To sign in, use a web browser to open the page {uri} and enter the code {user_code} \
             to authenticate."
        );
        let mut o = Obj::new();
        o.push("user_code", user_code)
            .push("device_code", device_code);
        if v2 {
            o.push("verification_uri", uri)
                .push("expires_in", cfg.expires_in)
                .push("interval", cfg.interval);
        } else {
            o.push("verification_url", uri)
                .push("expires_in", cfg.expires_in.to_string())
                .push("interval", cfg.interval.to_string());
        }
        o.push("message", message);
        Ok(json(StatusCode::OK, &o))
    })();
    result.unwrap_or_else(|f| f.response(shared))
}

/// Approves a pending device code as a user (what the user does on the verification page).
pub(crate) fn approve_device(
    shared: &Shared,
    user_code: &str,
    upn: Option<&str>,
) -> Result<String, Error> {
    let mut st = lock(&shared.signin);
    let now = now_secs();
    let d = st
        .devices
        .iter_mut()
        .find(|d| d.user_code.eq_ignore_ascii_case(user_code.trim()) && d.expires > now)
        .ok_or_else(|| Error::Config(format!("no pending device code '{user_code}'")))?;
    let t = shared
        .tenant_configs
        .iter()
        .find(|t| t.id == d.tid)
        .ok_or_else(|| Error::UnknownTenant(d.tid.clone()))?;
    let user = match upn {
        Some(u) => t.users.iter().find(|x| x.upn.eq_ignore_ascii_case(u)),
        None => t.users.first(),
    }
    .ok_or_else(|| Error::Config(format!("no such user in tenant {}", t.id)))?;
    d.approved = Some(user.upn.clone());
    Ok(user.upn.clone())
}

/// User codes waiting for approval.
pub(crate) fn pending_user_codes(shared: &Shared) -> Vec<String> {
    let now = now_secs();
    lock(&shared.signin)
        .devices
        .iter()
        .filter(|d| d.approved.is_none() && d.expires > now)
        .map(|d| d.user_code.clone())
        .collect()
}

/// Records a consent (what an administrator's "Grant admin consent" does).
pub(crate) fn grant_consent(shared: &Shared, tid: &str, client_id: &str, resource: &str) {
    lock(&shared.signin).consents.push((
        tid.to_ascii_lowercase(),
        client_id.to_ascii_lowercase(),
        resource.to_ascii_lowercase(),
    ));
}

/// `GET /devicelogin?user_code=…&login_hint=…`: signs in and approves the code.
pub(crate) fn devicelogin(shared: &Shared, query: Option<&str>) -> Response {
    let form = parse_form(query.unwrap_or("").as_bytes());
    let Some(code) = param(&form, "user_code") else {
        return html(
            StatusCode::OK,
            "Enter code: pass ?user_code=CODE&amp;login_hint=UPN to sign in.",
        );
    };
    match approve_device(shared, code, param(&form, "login_hint")) {
        Ok(upn) => html(
            StatusCode::OK,
            &format!("{upn} signed in. You can close this window."),
        ),
        Err(e) => html(StatusCode::BAD_REQUEST, &format!("{e}")),
    }
}

/// `GET /<tenant>/adminconsent?client_id=…` (and `/<tenant>/v2.0/adminconsent`): an
/// administrator grants the app's permissions (here: Azure Databricks) in the tenant.
pub(crate) fn adminconsent(shared: &Shared, segment: &str, query: Option<&str>) -> Response {
    let form = parse_form(query.unwrap_or("").as_bytes());
    let client_id = param(&form, "client_id").map(str::to_owned);
    let tenant = match tenant_for(shared, segment, client_id.as_deref()) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let Some(client_id) = client_id else {
        return missing("client_id").page();
    };
    let app = match find_app(tenant, segment, &client_id) {
        Ok(a) => a,
        Err(f) => return f.page(),
    };
    let Some(t) = tenant else {
        return missing("client_id").page();
    };
    grant_consent(shared, &t.id, &app.client_id, DATABRICKS_RESOURCE_ID);
    html(
        StatusCode::OK,
        &format!(
            "Admin consent granted: '{}' ({}) may call Azure Databricks on behalf of the users of \
             {}.",
            app.display_name,
            app.client_id,
            tenant_name(t)
        ),
    )
}

// ---------------------------------------------------------------------------------------
// Authorize.

fn redirect_matches(registered: &str, given: &str, platform: Platform) -> bool {
    if registered == given {
        return true;
    }
    // Entra ignores the port of loopback redirect URIs of public clients.
    let (Ok(r), Ok(g)) = (url::Url::parse(registered), url::Url::parse(given)) else {
        return false;
    };
    platform == Platform::Public
        && r.scheme() == "http"
        && g.scheme() == "http"
        && matches!(r.host_str(), Some("localhost" | "127.0.0.1"))
        && r.host_str() == g.host_str()
        && r.port().is_none()
        && r.path() == g.path()
}

fn error_redirect(redirect_uri: &str, state: Option<&str>, f: &Fail, shared: &Shared) -> Response {
    let Ok(mut u) = url::Url::parse(redirect_uri) else {
        return f.page();
    };
    let (desc, _, _, _) = f.description();
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("error", f.error)
            .append_pair("error_description", &desc)
            .append_pair(
                "error_uri",
                &format!("{}/error?code={}", shared.base_url, f.code),
            );
        if let Some(s) = state {
            q.append_pair("state", s);
        }
    }
    found(u.as_str())
}

/// The implicit grant's answer: `redirect_uri#access_token=…&token_type=Bearer&…`.
fn implicit_redirect(
    shared: &Shared,
    t: &TenantConfig,
    app: &AppRegistration,
    upn: &str,
    resource: &Resource,
    redirect_uri: &str,
    state: Option<&str>,
) -> Response {
    let mut req = MintRequest::user(upn);
    if let Subject::User(u) = &mut req.subject {
        u.client_app_id = app.client_id.clone();
    }
    let req = req
        .tenant(&t.id)
        .audience(resource.aud.clone())
        .expires_in(TOKEN_LIFETIME);
    let Ok(token) = shared.mint(&req) else {
        return html(StatusCode::INTERNAL_SERVER_ERROR, "cannot issue a token");
    };
    let Ok(mut u) = url::Url::parse(redirect_uri) else {
        return html(StatusCode::BAD_REQUEST, "bad redirect URI");
    };
    let mut fragment = url::form_urlencoded::Serializer::new(String::new());
    fragment
        .append_pair("access_token", &token)
        .append_pair("token_type", "Bearer")
        .append_pair("expires_in", &TOKEN_LIFETIME.to_string());
    if let Some(s) = state {
        fragment.append_pair("state", s);
    }
    fragment.append_pair("session_state", &random_guid());
    u.set_fragment(Some(&fragment.finish()));
    found(u.as_str())
}

fn found(location: &str) -> Response {
    match header::HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `GET /<tenant>/oauth2/authorize` (v1.0) and `/<tenant>/oauth2/v2.0/authorize` (v2.0).
///
/// Sign-in is automatic: the user named by `login_hint`, else the tenant's first user.
/// Consent is given automatically when the app lets users consent and `prompt` is not
/// `none`; otherwise the request fails with `AADSTS65001`.
pub(crate) fn authorize(shared: &Shared, segment: &str, v2: bool, query: Option<&str>) -> Response {
    let form = parse_form(query.unwrap_or("").as_bytes());
    let client_id = param(&form, "client_id").map(str::to_owned);
    let tenant = match tenant_for(shared, segment, client_id.as_deref()) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let Some(client_id) = client_id else {
        return missing("client_id").page();
    };
    let app = match find_app(tenant, segment, &client_id) {
        Ok(a) => a,
        Err(f) => return f.page(),
    };
    let Some(t) = tenant else {
        return missing("client_id").page();
    };
    let given = param(&form, "redirect_uri");
    let matched = match given {
        Some(g) => app
            .redirect_uris
            .iter()
            .find(|r| redirect_matches(&r.uri, g, r.platform))
            .map(|r| (g.to_owned(), r.platform)),
        None if app.redirect_uris.len() == 1 => app
            .redirect_uris
            .first()
            .map(|r| (r.uri.clone(), r.platform)),
        None => return missing("redirect_uri").page(),
    };
    let Some((redirect_uri, platform)) = matched else {
        return fail(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50011,
            format!(
                "The redirect URI '{}' specified in the request does not match the redirect URIs \
                 configured for the application '{}'. Make sure the redirect URI sent in the \
                 request matches one added to your application in the Azure portal. Navigate to \
                 https://aka.ms/redirectUriMismatchError to learn more about how to fix this.",
                given.unwrap_or(""),
                app.client_id
            ),
        )
        .page();
    };
    let state = param(&form, "state");
    let redirect_err = |f: Fail| error_redirect(&redirect_uri, state, &f, shared);
    // The implicit grant (response_type=token): the access token comes back
    // in the redirect URI's fragment, as for a page registered as jwt.ms is.
    let implicit = param(&form, "response_type") == Some("token");
    if !implicit && param(&form, "response_type") != Some("code") {
        return redirect_err(fail(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            700054,
            "response_type 'code' or 'token' are the only response types this emulator supports.",
        ));
    }
    let resource = match resolve_resource(t, &form, v2) {
        Ok(r) => r,
        Err(f) => return redirect_err(f),
    };
    let user = match param(&form, "login_hint") {
        Some(h) => match find_user(t, h) {
            Ok(u) => u,
            Err(f) => return redirect_err(f),
        },
        None => match t.users.first() {
            Some(u) => u,
            None => return html(StatusCode::OK, "No user can sign in to this tenant."),
        },
    };
    if !consented(shared, &t.id, app, &resource) {
        let prompt_none = param(&form, "prompt") == Some("none");
        if app.user_consent && !prompt_none {
            grant_consent(shared, &t.id, &app.client_id, &resource.id);
        } else {
            let mut f = consent_missing(app);
            f.error = "consent_required";
            return redirect_err(f);
        }
    }
    if implicit {
        return implicit_redirect(shared, t, app, &user.upn, &resource, &redirect_uri, state);
    }
    let challenge = param(&form, "code_challenge").map(|c| {
        (
            c.to_owned(),
            param(&form, "code_challenge_method")
                .unwrap_or("plain")
                .to_owned(),
        )
    });
    if let Some((_, m)) = &challenge {
        if m != "S256" && m != "plain" {
            return redirect_err(fail(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                501491,
                "Invalid size of Code_Challenge parameter or unsupported code_challenge_method.",
            ));
        }
    }
    let code = b64url(&random_bytes::<48>());
    {
        let mut st = lock(&shared.signin);
        if st.codes.len() >= MAX_PENDING {
            st.codes.retain(|_, c| c.expires > now_secs());
        }
        st.codes.insert(
            code.clone(),
            AuthCode {
                tid: t.id.clone(),
                client_id: app.client_id.clone(),
                redirect_uri: redirect_uri.clone(),
                platform,
                challenge,
                upn: user.upn.clone(),
                resource,
                expires: now_secs() + CODE_LIFETIME,
            },
        );
    }
    let Ok(mut u) = url::Url::parse(&redirect_uri) else {
        return html(StatusCode::BAD_REQUEST, "bad redirect URI");
    };
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("code", &code);
        if let Some(s) = state {
            q.append_pair("state", s);
        }
        q.append_pair("session_state", &random_guid());
    }
    found(u.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_ports_are_ignored_for_public_clients_only() {
        assert!(redirect_matches(
            "http://localhost",
            "http://localhost:8400",
            Platform::Public
        ));
        assert!(!redirect_matches(
            "http://localhost",
            "http://localhost:8400",
            Platform::Web
        ));
        assert!(!redirect_matches(
            "http://localhost",
            "http://localhost:8400/cb",
            Platform::Public
        ));
        assert!(redirect_matches(
            "https://app/cb",
            "https://app/cb",
            Platform::Web
        ));
    }
}
