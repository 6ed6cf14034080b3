//! Databricks OAuth on a workspace: discovery (`/oidc/.well-known/…`), the workspace's
//! signing keys, `/oidc/v1/authorize` (U2M, authorization code + PKCE) and
//! `/oidc/v1/token` (M2M client credentials, authorization code, refresh token), and
//! the check of the tokens it issued when they come back on the workspace's APIs.

use std::collections::HashMap;

use aws_lc_rs::{digest, signature};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::config::{
    MemberKind, WorkspaceMember, DATABRICKS_CLI_CLIENT_ID, DATABRICKS_CLI_REDIRECT,
};
use crate::databricks::Principal;
use crate::federation::JwsAlg;
use crate::state::{keys_doc_json, lock, Shared, WorkspaceState};
use crate::util::{
    b64url, b64url_decode, found, now_secs, param, parse_form, random_bytes, str_array, Obj,
};

/// Lifetime of the access tokens the workspace issues (Databricks: one hour).
pub(crate) const ACCESS_LIFETIME: i64 = 3600;
const CODE_LIFETIME: i64 = 300;
/// Bound on codes and refresh tokens kept at once.
const MAX_GRANTS: usize = 10_000;
/// Scopes the workspace knows.
const SCOPES: [&str; 6] = [
    "all-apis",
    "email",
    "offline_access",
    "openid",
    "profile",
    "sql",
];

/// Codes and refresh tokens issued at run time (all workspaces).
#[derive(Default)]
pub(crate) struct DbxState {
    codes: HashMap<String, Grant>,
    refresh: HashMap<String, Grant>,
}

#[derive(Clone)]
struct Grant {
    workspace: String,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    subject: String,
    scope: String,
    expires: i64,
}

/// The issuer of a workspace's tokens: `<workspace URL>/oidc`; of an account host's:
/// `<account host>/oidc/accounts/<account id>`.
pub(crate) fn issuer(ws: &WorkspaceState) -> String {
    if ws.account_host {
        format!("{}/oidc/accounts/{}", ws.url, ws.account_id)
    } else {
        format!("{}/oidc", ws.url)
    }
}

/// Body of both discovery documents.
pub(crate) fn discovery(ws: &WorkspaceState) -> Response {
    let base = issuer(ws);
    let mut o = Obj::new();
    o.push("authorization_endpoint", format!("{base}/v1/authorize"))
        .push("token_endpoint", format!("{base}/v1/token"))
        .push("issuer", base.as_str())
        .push("jwks_uri", format!("{base}/jwks.json"))
        .push("scopes_supported", str_array(&SCOPES))
        .push("response_types_supported", str_array(&["code", "id_token"]))
        .push(
            "response_modes_supported",
            str_array(&["query", "fragment", "form_post"]),
        )
        .push(
            "grant_types_supported",
            str_array(&[
                "client_credentials",
                "authorization_code",
                "refresh_token",
                TOKEN_EXCHANGE,
            ]),
        )
        .push("code_challenge_methods_supported", str_array(&["S256"]))
        .push(
            "token_endpoint_auth_methods_supported",
            str_array(&["client_secret_basic", "client_secret_post", "none"]),
        )
        .push("subject_types_supported", str_array(&["public"]))
        .push(
            "id_token_signing_alg_values_supported",
            str_array(&["RS256"]),
        )
        .push(
            "claims_supported",
            str_array(&["iss", "sub", "aud", "iat", "exp", "jti", "name", "email"]),
        )
        .push("request_uri_parameter_supported", false);
    json(StatusCode::OK, &o)
}

/// `GET /.well-known/databricks-config`: where the SDKs (0.6x and later) learn the OIDC
/// root, the account and the workspace id.
pub(crate) fn host_metadata(ws: &WorkspaceState) -> Response {
    let mut o = Obj::new();
    if ws.config.oauth {
        o.push("oidc_endpoint", issuer(ws));
    }
    o.push("account_id", ws.account_id.as_str())
        .push("workspace_id", ws.org_id.as_str())
        .push("cloud", "AZURE");
    json(StatusCode::OK, &o)
}

/// `GET /oidc/jwks.json`.
pub(crate) fn jwks(ws: &WorkspaceState) -> Response {
    let mut k = ws.key.bare_jwk();
    k.push("alg", "RS256");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        keys_doc_json(&[k]),
    )
        .into_response()
}

fn json(status: StatusCode, body: &Obj) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_json(),
    )
        .into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut o = Obj::new();
    o.push("error_description", description)
        .push("error", error);
    json(status, &o)
}

/// A 400 `invalid_grant`: a code, refresh token or principal the workspace refuses.
fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// A 400 `invalid_request` for missing token-request parameters.
fn missing(params: &str) -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        &format!("Missing required parameter: {params}"),
    )
}

fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", b64url(&random_bytes::<24>()))
}

fn s256(verifier: &str) -> String {
    b64url(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref())
}

fn bad_scope(scope: &str) -> Option<&str> {
    scope.split_whitespace().find(|s| !SCOPES.contains(s))
}

/// The token request's `scope` (default `all-apis`), or a 400 `invalid_scope` for a
/// scope the workspace does not know.
fn requested_scope(f: &[(String, String)]) -> Result<&str, Box<Response>> {
    let scope = param(f, "scope").unwrap_or("all-apis");
    match bad_scope(scope) {
        Some(bad) => Err(Box::new(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("Invalid scope: {bad}"),
        ))),
        None => Ok(scope),
    }
}

fn prune(map: &mut HashMap<String, Grant>, now: i64) {
    if map.len() >= MAX_GRANTS {
        map.retain(|_, g| g.expires > now);
    }
    if map.len() >= MAX_GRANTS {
        map.clear();
    }
}

/// The member a subject names, if active.
fn active_member<'a>(ws: &'a WorkspaceState, subject: &str) -> Option<&'a WorkspaceMember> {
    ws.config
        .members
        .iter()
        .find(|m| m.active && m.name.eq_ignore_ascii_case(subject))
}

// ---------------------------------------------------------------------------------------
// Authorize (U2M).

fn redirect_uri_registered(client_id: &str, uri: &str) -> bool {
    client_id == DATABRICKS_CLI_CLIENT_ID && uri == DATABRICKS_CLI_REDIRECT
}

fn error_page(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Error</h1>\
             <p>{message}</p></body></html>"
        ),
    )
        .into_response()
}

fn error_redirect(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Response {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("error", error)
        .append_pair("error_description", description);
    if let Some(s) = state {
        q.append_pair("state", s);
    }
    found(&format!("{redirect_uri}?{}", q.finish()))
}

/// `GET /oidc/v1/authorize`: signs in the `login_hint` member (else the first active
/// user) and redirects with a code. Client and redirect URI failures are an error page.
pub(crate) fn authorize(shared: &Shared, ws: &WorkspaceState, query: Option<&str>) -> Response {
    let q = parse_form(query.unwrap_or("").as_bytes());
    let Some(client_id) = param(&q, "client_id") else {
        return error_page("invalid_request: Missing required parameter: client_id");
    };
    if client_id != DATABRICKS_CLI_CLIENT_ID {
        return error_page(&format!(
            "invalid_client: Client '{client_id}' is not registered"
        ));
    }
    let Some(redirect_uri) = param(&q, "redirect_uri") else {
        return error_page("invalid_request: Missing required parameter: redirect_uri");
    };
    if !redirect_uri_registered(client_id, redirect_uri) {
        return error_page(&format!(
            "invalid_request: The redirect_uri '{redirect_uri}' is not registered for client \
             '{client_id}'"
        ));
    }
    let state = param(&q, "state");
    if param(&q, "response_type") != Some("code") {
        return error_redirect(
            redirect_uri,
            "unsupported_response_type",
            "Only response_type=code is supported",
            state,
        );
    }
    let scope = param(&q, "scope").unwrap_or("all-apis").to_owned();
    if let Some(bad) = bad_scope(&scope) {
        return error_redirect(
            redirect_uri,
            "invalid_scope",
            &format!("Invalid scope: {bad}"),
            state,
        );
    }
    let challenge = match (
        param(&q, "code_challenge"),
        param(&q, "code_challenge_method"),
    ) {
        (Some(c), Some("S256")) => c.to_owned(),
        (Some(_), _) => {
            return error_redirect(
                redirect_uri,
                "invalid_request",
                "code_challenge_method must be S256",
                state,
            )
        }
        (None, _) => {
            return error_redirect(
                redirect_uri,
                "invalid_request",
                "PKCE is required: missing code_challenge",
                state,
            )
        }
    };
    let user = match param(&q, "login_hint") {
        Some(h) => active_member(ws, h).filter(|m| m.kind == MemberKind::User),
        None => ws
            .config
            .members
            .iter()
            .find(|m| m.active && m.kind == MemberKind::User),
    };
    let Some(user) = user else {
        return error_redirect(
            redirect_uri,
            "access_denied",
            "The user is not a member of this workspace",
            state,
        );
    };
    let code = random_token("dcode");
    let now = now_secs();
    {
        let mut st = lock(&shared.dbx);
        prune(&mut st.codes, now);
        st.codes.insert(
            code.clone(),
            Grant {
                workspace: ws.config.name.clone(),
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                challenge,
                subject: user.name.clone(),
                scope,
                expires: now + CODE_LIFETIME,
            },
        );
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    out.append_pair("code", &code);
    if let Some(s) = state {
        out.append_pair("state", s);
    }
    found(&format!("{redirect_uri}?{}", out.finish()))
}

// ---------------------------------------------------------------------------------------
// Token endpoint.

fn client_credentials_of(
    headers: &HeaderMap,
    f: &[(String, String)],
) -> Option<(String, Option<String>)> {
    if let Some((id, secret)) = crate::signin::basic_credentials(headers) {
        return Some((id, Some(secret)));
    }
    param(f, "client_id").map(|id| (id.to_owned(), param(f, "client_secret").map(str::to_owned)))
}

/// `POST /oidc/v1/token`.
pub(crate) fn token(
    shared: &Shared,
    ws: &WorkspaceState,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let f = parse_form(body);
    let Some(grant) = param(&f, "grant_type") else {
        return missing("grant_type");
    };
    match grant {
        "client_credentials" => m2m(ws, headers, &f),
        "authorization_code" => redeem_code(shared, ws, headers, &f),
        "refresh_token" => refresh(shared, ws, headers, &f),
        TOKEN_EXCHANGE => exchange(shared, ws, &f),
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Unsupported grant_type: {other}"),
        ),
    }
}

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

fn exchange_failed(reason: &str) -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        &format!("Token exchange failed: {reason}"),
    )
}

/// RFC 8693 exchange of an external JWT under a federation policy of the host (or, on
/// a workspace, of its account).
fn exchange(shared: &Shared, ws: &WorkspaceState, f: &[(String, String)]) -> Response {
    let Some(subject_token) = param(f, "subject_token") else {
        return exchange_failed("missing subject_token");
    };
    if param(f, "subject_token_type") != Some(JWT_TOKEN_TYPE) {
        return exchange_failed(&format!("subject_token_type must be {JWT_TOKEN_TYPE}"));
    }
    let scope = match requested_scope(f) {
        Ok(scope) => scope,
        Err(r) => return *r,
    };
    let parts: Vec<&str> = subject_token.split('.').collect();
    let [h, c, s] = parts.as_slice() else {
        return exchange_failed("the subject token is not a JWT");
    };
    let decode = |seg: &str| -> Option<Map<String, Value>> {
        serde_json::from_slice(&b64url_decode(seg)?).ok()
    };
    let (Some(header), Some(claims), Some(sig)) = (decode(h), decode(c), b64url_decode(s)) else {
        return exchange_failed("the subject token is not a JWT");
    };
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => JwsAlg::Rs256,
        Some("ES256") => JwsAlg::Es256,
        _ => return exchange_failed("only RS256 and ES256 subject tokens are accepted"),
    };
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    let auds = crate::federation::audiences(&claims);
    let account_policies = if ws.account_host {
        Vec::new()
    } else {
        shared
            .account(&ws.account_id)
            .map(|a| a.config.federation_policies.clone())
            .unwrap_or_default()
    };
    let policies: Vec<&crate::config::FederationPolicy> = ws
        .config
        .federation_policies
        .iter()
        .chain(&account_policies)
        .filter(|p| p.issuer == iss)
        .collect();
    if policies.is_empty() {
        return exchange_failed(&format!("no federation policy trusts the issuer '{iss}'"));
    }
    let client_id = param(f, "client_id").map(str::to_ascii_lowercase);
    let policies: Vec<_> = policies
        .into_iter()
        .filter(|p| p.service_principal.as_deref() == client_id.as_deref())
        .collect();
    if policies.is_empty() {
        return exchange_failed(&match &client_id {
            Some(c) => format!("no federation policy of service principal '{c}' trusts the issuer '{iss}'"),
            None => format!("the federation policies for '{iss}' are service principal policies; pass client_id"),
        });
    }
    let aud_ok = |p: &&crate::config::FederationPolicy| {
        if p.audiences.is_empty() {
            auds.contains(&ws.account_id.as_str())
        } else {
            p.audiences.iter().any(|a| auds.contains(&a.as_str()))
        }
    };
    let Some(policy) = policies.iter().find(|p| aud_ok(p)) else {
        return exchange_failed(&format!(
            "the token audience '{}' is not allowed by the federation policy",
            auds.join(",")
        ));
    };
    let named = claims
        .get(&policy.subject_claim)
        .and_then(Value::as_str)
        .unwrap_or("");
    if named.is_empty() {
        return exchange_failed(&format!(
            "the token has no '{}' claim",
            policy.subject_claim
        ));
    }
    if policy.subject.as_deref().is_some_and(|s| s != named) {
        return exchange_failed(&format!(
            "the token subject '{named}' does not match the federation policy"
        ));
    }
    let signed = format!("{h}.{c}");
    if !crate::federation::signature_ok(&policy.jwks, &header, &signed, &sig, alg) {
        return exchange_failed(
            "the subject token signature does not verify with the issuer's keys",
        );
    }
    let now = now_secs();
    if claims
        .get("exp")
        .and_then(Value::as_i64)
        .is_none_or(|e| e <= now)
    {
        return exchange_failed("the subject token is expired");
    }
    let (member, client) = match &policy.service_principal {
        Some(sp) => (active_member(ws, sp), sp.clone()),
        None => (active_member(ws, named), "federated".to_owned()),
    };
    match member {
        Some(m) => {
            let client = if policy.service_principal.is_some() {
                m.name.clone()
            } else {
                client
            };
            issue(ws, &client, &m.name, scope, None)
        }
        None => exchange_failed(&format!("'{named}' is not an active member")),
    }
}

fn client_auth_failed() -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Client authentication failed",
    )
}

fn m2m(ws: &WorkspaceState, headers: &HeaderMap, f: &[(String, String)]) -> Response {
    let Some((client_id, Some(secret))) = client_credentials_of(headers, f) else {
        return client_auth_failed();
    };
    let known = ws.config.oauth_secrets.iter().any(|s| {
        s.client_id.eq_ignore_ascii_case(&client_id) && crate::util::ct_eq(&s.secret, &secret)
    });
    if !known {
        return client_auth_failed();
    }
    let scope = match requested_scope(f) {
        Ok(scope) => scope,
        Err(r) => return *r,
    };
    let sp = ws.config.members.iter().find(|m| {
        m.kind == MemberKind::ServicePrincipal && m.name.eq_ignore_ascii_case(&client_id)
    });
    match sp {
        Some(m) if m.active => issue(ws, &client_id.to_ascii_lowercase(), &m.name, scope, None),
        _ => invalid_grant("The service principal is not active in this workspace"),
    }
}

/// A code or refresh token just taken out of its store: it counts only on the
/// workspace it was issued for, unexpired, and presented by the client it was issued to.
/// `invalid` is the `invalid_grant` description for an unknown, foreign or expired one.
fn spend(
    g: Option<Grant>,
    ws: &WorkspaceState,
    headers: &HeaderMap,
    f: &[(String, String)],
    invalid: &str,
) -> Result<Grant, Box<Response>> {
    let Some(g) = g.filter(|g| g.workspace == ws.config.name && g.expires > now_secs()) else {
        return Err(Box::new(invalid_grant(invalid)));
    };
    let client_id = client_credentials_of(headers, f).map(|(id, _)| id);
    if client_id.as_deref() != Some(g.client_id.as_str()) {
        return Err(Box::new(client_auth_failed()));
    }
    Ok(g)
}

fn redeem_code(
    shared: &Shared,
    ws: &WorkspaceState,
    headers: &HeaderMap,
    f: &[(String, String)],
) -> Response {
    let (Some(code), Some(verifier), Some(redirect_uri)) = (
        param(f, "code"),
        param(f, "code_verifier"),
        param(f, "redirect_uri"),
    ) else {
        return missing("code, code_verifier or redirect_uri");
    };
    let g = lock(&shared.dbx).codes.remove(code);
    let g = match spend(
        g,
        ws,
        headers,
        f,
        "Authorization code is invalid or expired",
    ) {
        Ok(g) => g,
        Err(r) => return *r,
    };
    if g.redirect_uri != redirect_uri {
        return invalid_grant("redirect_uri does not match the one of the authorization request");
    }
    if !crate::util::ct_eq(&s256(verifier), &g.challenge) {
        return invalid_grant(
            "PKCE verification failed: code_verifier does not match code_challenge",
        );
    }
    let refresh = store_refresh(shared, &g);
    issue(ws, &g.client_id, &g.subject, &g.scope, refresh)
}

fn store_refresh(shared: &Shared, g: &Grant) -> Option<String> {
    if !g.scope.split_whitespace().any(|s| s == "offline_access") {
        return None;
    }
    let rt = random_token("doau");
    let now = now_secs();
    let mut st = lock(&shared.dbx);
    prune(&mut st.refresh, now);
    let mut g = g.clone();
    g.expires = now + 90 * 24 * 3600;
    st.refresh.insert(rt.clone(), g);
    Some(rt)
}

fn refresh(
    shared: &Shared,
    ws: &WorkspaceState,
    headers: &HeaderMap,
    f: &[(String, String)],
) -> Response {
    let Some(rt) = param(f, "refresh_token") else {
        return missing("refresh_token");
    };
    // Refresh tokens rotate: the one presented is spent.
    let g = lock(&shared.dbx).refresh.remove(rt);
    let g = match spend(g, ws, headers, f, "Refresh token is invalid or expired") {
        Ok(g) => g,
        Err(r) => return *r,
    };
    if active_member(ws, &g.subject).is_none() {
        return invalid_grant("The user is not active in this workspace");
    }
    let next = store_refresh(shared, &g);
    issue(ws, &g.client_id, &g.subject, &g.scope, next)
}

fn issue(
    ws: &WorkspaceState,
    client_id: &str,
    subject: &str,
    scope: &str,
    refresh: Option<String>,
) -> Response {
    let now = now_secs();
    let mut h = Obj::new();
    h.push("kid", ws.key.kid())
        .push("typ", "at+jwt")
        .push("alg", "RS256");
    let mut c = Obj::new();
    c.push("client_id", client_id)
        .push("scope", scope)
        .push("sub", subject)
        .push("iss", issuer(ws))
        .push("aud", client_id)
        .push("iat", now)
        .push("exp", now + ACCESS_LIFETIME)
        .push("jti", crate::util::random_guid());
    let token = match crate::mint::encode_signed(&h, &c, Some(&ws.key)) {
        Ok(t) => t,
        Err(e) => {
            return oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &format!("token signing failed: {e}"),
            )
        }
    };
    let mut o = Obj::new();
    o.push("access_token", token);
    if let Some(rt) = refresh {
        o.push("refresh_token", rt);
    }
    o.push("scope", scope)
        .push("token_type", "Bearer")
        .push("expires_in", ACCESS_LIFETIME);
    json(StatusCode::OK, &o)
}

// ---------------------------------------------------------------------------------------
// Tokens coming back.

/// Whether `iss` names a Databricks OAuth issuer of this emulator (a workspace's or an
/// account host's).
pub(crate) fn is_databricks_issuer(shared: &Shared, iss: &str) -> bool {
    shared
        .workspaces
        .iter()
        .chain(&shared.accounts)
        .any(|w| issuer(w) == iss)
}

/// Checks a Databricks-issued token: it must be this host's, or (on a workspace) its
/// account's; signed by the issuer's key, not expired. Databricks answers every failure
/// with the generic "Invalid access token."
pub(crate) fn verify(
    shared: &Shared,
    ws: &WorkspaceState,
    token: &str,
    claims: &Map<String, Value>,
) -> Result<Principal, crate::databricks::Reject> {
    let invalid = || crate::databricks::Reject::forbidden("Invalid access token.");
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    let own = issuer(ws) == iss;
    let from_account = !ws.account_host
        && shared
            .account(&ws.account_id)
            .is_some_and(|a| issuer(a) == iss);
    let signer = if own {
        ws
    } else if from_account {
        shared.account(&ws.account_id).ok_or_else(invalid)?
    } else {
        return Err(invalid());
    };
    let (input, sig) = token.rsplit_once('.').ok_or_else(invalid)?;
    let sig = b64url_decode(sig).ok_or_else(invalid)?;
    signature::RsaPublicKeyComponents {
        n: signer.key.n(),
        e: signer.key.e(),
    }
    .verify(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        input.as_bytes(),
        &sig,
    )
    .map_err(|_| invalid())?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(invalid)?;
    if exp <= now_secs() {
        return Err(invalid());
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?;
    let client = claims
        .get("client_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    Ok(if sub.eq_ignore_ascii_case(client) {
        Principal::ServicePrincipal(sub.to_owned())
    } else {
        Principal::User(sub.to_owned())
    })
}
