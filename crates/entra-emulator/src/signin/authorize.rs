//! The authorize endpoint: redirect-URI check, sign-in, consent step, codes and error redirects.

use axum::http::StatusCode;
use axum::response::Response;

use super::consent::{consent_missing, consented, grant_consent};
use super::{
    fail, find_user, html, missing, param, parse_form, requested_app, resolve_resource, Fail,
    CODE_LIFETIME, MAX_PENDING, TOKEN_LIFETIME,
};
use crate::config::{AppRegistration, Platform, TenantConfig};
use crate::mint::{MintRequest, Subject};
use crate::state::{lock, AuthCode, Resource, Shared};
use crate::util::{b64url, found, now_secs, random_bytes, random_guid};

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

/// `GET /<tenant>/oauth2/authorize` (v1.0) and `/<tenant>/oauth2/v2.0/authorize` (v2.0).
///
/// Sign-in is automatic: the user named by `login_hint`, else the tenant's first user.
/// Consent is given automatically when the app lets users consent and `prompt` is not
/// `none`; otherwise the request fails with `AADSTS65001`.
pub(crate) fn authorize(shared: &Shared, segment: &str, v2: bool, query: Option<&str>) -> Response {
    let form = parse_form(query.unwrap_or("").as_bytes());
    let (t, app) = match requested_app(shared, segment, &form) {
        Ok(found) => found,
        Err(r) => return *r,
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
