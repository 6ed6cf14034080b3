//! Sign-in: the token endpoints (v1.0 and v2.0), the authorize endpoint (with a consent
//! step and error redirects), the device-code endpoint and its verification page.
//! This file holds what they share: Entra's error shape, form parsing and the lookups
//! (tenant, app, user, resource); each endpoint has its own file.
//!
//! Every failure answers in Entra's error-body shape, with the `AADSTS` code and the
//! wording Entra uses, so that clients (and entra-doctor's `explain`) see what they would
//! see against the real service.

mod authorize;
mod client_auth;
mod consent;
mod device;
mod token;

pub(crate) use authorize::authorize;
pub(crate) use client_auth::assertion_in_time;
pub(crate) use consent::{adminconsent, grant_consent};
pub(crate) use device::{approve_device, devicecode, devicelogin, pending_user_codes};
pub(crate) use token::token;

/// `Authorization: Basic` client id and secret (form-decoded), for other token endpoints.
pub(crate) fn basic_credentials(headers: &axum::http::HeaderMap) -> Option<(String, String)> {
    client_auth::basic_auth(headers)
}

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::config::{AppRegistration, TenantConfig, UserAccount};
use crate::state::{Authority, Resource, Shared};
use crate::util::{entra_timestamp, now_secs, param, parse_form, random_guid, Form, Obj};
use crate::DATABRICKS_RESOURCE_ID;

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

/// A failure in Entra's shape.
pub(crate) struct Fail {
    status: StatusCode,
    error: &'static str,
    code: u32,
    text: String,
}

pub(crate) fn fail(
    status: StatusCode,
    error: &'static str,
    code: u32,
    text: impl Into<String>,
) -> Fail {
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

    /// Entra's JSON error body.
    pub(crate) fn body(&self, shared: &Shared) -> Obj {
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

/// The app the request's `client_id` names, and its tenant (the one [`tenant_for`]
/// found): `AADSTS900144` without a client id, `AADSTS700016` for an app not there.
fn find_app<'a>(
    tenant: Option<&'a TenantConfig>,
    segment: &str,
    client_id: Option<&str>,
) -> Result<(&'a TenantConfig, &'a AppRegistration), Fail> {
    let client_id = client_id.ok_or_else(|| missing("client_id"))?;
    tenant
        .and_then(|t| {
            t.apps
                .iter()
                .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
                .map(|a| (t, a))
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

/// The app a browser request (authorize, admin consent) names by `client_id`, and its
/// tenant; else the answer to give: Entra's unknown-tenant error, or an error page.
fn requested_app<'a>(
    shared: &'a Shared,
    segment: &str,
    form: &Form,
) -> Result<(&'a TenantConfig, &'a AppRegistration), Box<Response>> {
    let client_id = param(form, "client_id");
    let tenant = tenant_for(shared, segment, client_id)?;
    find_app(tenant, segment, client_id).map_err(|f| Box::new(f.page()))
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

fn public_flows_off() -> Fail {
    fail(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or \
         'client_secret'.",
    )
}
