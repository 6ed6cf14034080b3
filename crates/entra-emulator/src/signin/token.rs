//! The token endpoint (every grant) and the token answer it issues.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::client_auth::{authenticate_client, basic_auth, ClientAuth};
use super::consent::{consent_missing, consented};
use super::{
    fail, find_app, find_user, json, missing, param, parse_form, public_flows_off,
    resolve_resource, tenant_for, Fail, Form, TOKEN_LIFETIME,
};
use crate::config::{Mfa, Platform, TenantConfig};
use crate::mint::{MintRequest, Subject};
use crate::state::{lock, Resource, Shared};
use crate::util::{b64url, now_secs, Obj};
use crate::Error;

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
    let (t, app) = find_app(tenant, segment, client_id.as_deref())?;
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
