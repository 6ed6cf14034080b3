//! The device-code flow: the devicecode endpoint, pending codes and the verification page.

use axum::http::StatusCode;
use axum::response::Response;

use super::{
    find_app, html, json, param, parse_form, resolve_resource, tenant_for, Fail, MAX_PENDING,
};
use crate::state::{lock, DeviceCode, Shared};
use crate::util::{b64url, now_secs, random_bytes, Obj};
use crate::Error;

/// `POST /<tenant>/oauth2/devicecode` (v1.0) and `/<tenant>/oauth2/v2.0/devicecode`.
pub(crate) fn devicecode(shared: &Shared, segment: &str, v2: bool, body: &[u8]) -> Response {
    let form = parse_form(body);
    let client_id = param(&form, "client_id").map(str::to_owned);
    let tenant = match tenant_for(shared, segment, client_id.as_deref()) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let result = (|| -> Result<Response, Fail> {
        let (t, app) = find_app(tenant, segment, client_id.as_deref())?;
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
