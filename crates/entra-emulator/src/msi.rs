//! Managed identity token endpoints: the Azure Instance Metadata Service shape
//! (`/metadata/identity/oauth2/token`, header `Metadata: true`) and the App Service /
//! Functions shape (`IDENTITY_ENDPOINT` = `<base_url>/msi/token`, header
//! `X-IDENTITY-HEADER`). Served on the emulator's loopback listener only.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::config::{IdentityKind, ManagedIdentity};
use crate::mint::MintRequest;
use crate::state::Shared;
use crate::util::{now_secs, Obj};

/// Lifetime of managed identity tokens (IMDS announces 86399 s).
const MI_LIFETIME: i64 = 86_399;

/// The path App Service's `IDENTITY_ENDPOINT` names on the emulator.
pub(crate) const APP_SERVICE_PATH: &str = "/msi/token";

fn json(status: StatusCode, body: &Obj) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_json(),
    )
        .into_response()
}

fn imds_error(error: &str, description: &str) -> Response {
    let mut o = Obj::new();
    o.push("error", error)
        .push("error_description", description);
    json(StatusCode::BAD_REQUEST, &o)
}

fn app_service_error(status: StatusCode, message: &str) -> Response {
    let mut o = Obj::new();
    o.push("statusCode", status.as_u16())
        .push("message", message)
        .push("correlationId", crate::util::random_guid());
    json(status, &o)
}

fn query(q: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn param<'a>(q: &'a [(String, String)], names: &[&str]) -> Option<&'a str> {
    q.iter()
        .find(|(k, _)| names.contains(&k.as_str()))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

enum Pick<'a> {
    Found(&'a ManagedIdentity),
    NotFound,
    Ambiguous,
}

fn pick<'a>(shared: &'a Shared, q: &[(String, String)]) -> Pick<'a> {
    let ids = &shared.managed_identities;
    let by = |f: &dyn Fn(&ManagedIdentity) -> bool| ids.iter().find(|m| f(m));
    let found = if let Some(c) = param(q, &["client_id"]) {
        by(&|m| m.client_id.eq_ignore_ascii_case(c))
    } else if let Some(o) = param(q, &["object_id", "principal_id"]) {
        by(&|m| m.object_id.eq_ignore_ascii_case(o))
    } else if let Some(r) = param(q, &["msi_res_id", "mi_res_id"]) {
        by(&|m| {
            m.resource_id
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(r))
        })
    } else {
        let system = ids.iter().find(|m| m.kind == IdentityKind::SystemAssigned);
        let users: Vec<&ManagedIdentity> = ids
            .iter()
            .filter(|m| m.kind == IdentityKind::UserAssigned)
            .collect();
        match (system, users.as_slice()) {
            (Some(s), _) => Some(s),
            (None, [one]) => Some(*one),
            (None, []) => None,
            (None, _) => return Pick::Ambiguous,
        }
    };
    found.map_or(Pick::NotFound, Pick::Found)
}

const AMBIGUOUS: &str = "Multiple user assigned identities exist, please specify the clientId / \
                         resourceId of the identity in the token request";

/// Mints the identity's token: an app token (`idtyp` `app`) whose `appid` is the
/// identity's client id and `oid` its object id.
fn mint(shared: &Shared, mi: &ManagedIdentity, resource: &str) -> Result<String, String> {
    let mut req = MintRequest::service_principal(mi.client_id.clone())
        .tenant(mi.tenant_id.clone())
        .audience(resource.trim_end_matches("/.default").to_owned())
        .expires_in(MI_LIFETIME)
        .claim("oid", mi.object_id.as_str())
        .claim("sub", mi.object_id.as_str())
        .claim("idp", shared.issuers.v1(&mi.tenant_id));
    if let Some(r) = &mi.resource_id {
        req = req.claim("xms_mirid", r.as_str());
    }
    shared.mint(&req).map_err(|e| e.to_string())
}

/// `GET /metadata/identity/oauth2/token` (IMDS).
pub(crate) fn imds(shared: &Shared, headers: &HeaderMap, q: Option<&str>) -> Response {
    let metadata = headers
        .get("metadata")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !metadata {
        return imds_error("invalid_request", "Required metadata header not specified");
    }
    let q = query(q);
    if param(&q, &["api-version"]).is_none() {
        return imds_error(
            "invalid_request",
            "Required query variable 'api-version' is missing",
        );
    }
    let Some(resource) = param(&q, &["resource"]) else {
        return imds_error(
            "invalid_request",
            "Required query variable 'resource' is missing",
        );
    };
    let mi = match pick(shared, &q) {
        Pick::Found(m) => m,
        Pick::NotFound => return imds_error("invalid_request", "Identity not found"),
        Pick::Ambiguous => return imds_error("invalid_request", AMBIGUOUS),
    };
    match mint(shared, mi, resource) {
        Ok(token) => {
            let now = now_secs();
            let mut o = Obj::new();
            o.push("access_token", token)
                .push("client_id", mi.client_id.as_str())
                .push("expires_in", MI_LIFETIME.to_string())
                .push("expires_on", (now + MI_LIFETIME).to_string())
                .push("ext_expires_in", MI_LIFETIME.to_string())
                .push("not_before", (now - 300).to_string())
                .push("resource", resource)
                .push("token_type", "Bearer");
            json(StatusCode::OK, &o)
        }
        Err(e) => imds_error("invalid_request", &e),
    }
}

/// `GET <IDENTITY_ENDPOINT>` (App Service / Functions, api-version 2019-08-01).
pub(crate) fn app_service(shared: &Shared, headers: &HeaderMap, q: Option<&str>) -> Response {
    let given = headers
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok());
    if !given.is_some_and(|g| crate::util::ct_eq(g, &shared.identity_header)) {
        return app_service_error(
            StatusCode::UNAUTHORIZED,
            "The X-IDENTITY-HEADER request header is missing or does not match IDENTITY_HEADER.",
        );
    }
    let q = query(q);
    if param(&q, &["api-version"]) != Some("2019-08-01") {
        return app_service_error(
            StatusCode::BAD_REQUEST,
            "The api-version must be 2019-08-01.",
        );
    }
    let Some(resource) = param(&q, &["resource"]) else {
        return app_service_error(
            StatusCode::BAD_REQUEST,
            "Required query parameter 'resource' is missing.",
        );
    };
    let mi = match pick(shared, &q) {
        Pick::Found(m) => m,
        Pick::NotFound => return app_service_error(StatusCode::BAD_REQUEST, "Identity not found"),
        Pick::Ambiguous => return app_service_error(StatusCode::BAD_REQUEST, AMBIGUOUS),
    };
    match mint(shared, mi, resource) {
        Ok(token) => {
            let mut o = Obj::new();
            o.push("access_token", token)
                .push("expires_on", (now_secs() + MI_LIFETIME).to_string())
                .push("resource", resource)
                .push("token_type", "Bearer")
                .push("client_id", mi.client_id.as_str());
            json(StatusCode::OK, &o)
        }
        Err(e) => app_service_error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}
