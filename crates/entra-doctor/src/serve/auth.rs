//! GET /auth: the endpoint for reverse proxies (nginx `auth_request`,
//! Traefik forwardAuth, Envoy ext_authz over HTTP).
//!
//! Reads `Authorization: Bearer <token>`, runs every rule of the configured
//! policy, and answers
//! - 200 with `X-Auth-User`, `X-Auth-Tenant`, `X-Auth-Principal-Type` and
//!   `X-Auth-Object-Id` when the signature verified and no rule failed;
//! - 401 with `WWW-Authenticate: Bearer error="invalid_token",
//!   error_description="<check>: <message>"` otherwise (no token:
//!   `error="invalid_request"`);
//! - 503 when the keys could not be had (discovery down): the check did not
//!   run, so the token is not called invalid.
//!
//! Any method is accepted (nginx sends the original request's method); a
//! body is never read. The token is never logged nor echoed.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entra_token::input::{self, BearerError};
use entra_token::limits::MAX_TOKEN_BYTES;
use entra_token::rules::Detail;
use entra_token::summary::{principal, Principal};
use entra_token::{issuer, Policy, SignatureOutcome, Token};

use super::keysource::KeyFetchError;
use super::{sanitize, AppState};
use crate::pipeline::{self, Pending, Signature, Step};

/// The longest error_description sent.
const MAX_DESCRIPTION: usize = 300;

static X_AUTH_USER: HeaderName = HeaderName::from_static("x-auth-user");
static X_AUTH_TENANT: HeaderName = HeaderName::from_static("x-auth-tenant");
static X_AUTH_PRINCIPAL_TYPE: HeaderName = HeaderName::from_static("x-auth-principal-type");
static X_AUTH_OBJECT_ID: HeaderName = HeaderName::from_static("x-auth-object-id");

/// Outcome of GET /auth before it becomes a response.
enum Verdict {
    Allow(Box<Who>),
    /// `error` code of RFC 6750 and the description.
    Deny(&'static str, String),
    Unavailable(String),
}

/// Who the token speaks for, for the `X-Auth-*` headers.
struct Who {
    principal_type: &'static str,
    user: String,
    tenant: String,
    object_id: String,
}

pub async fn auth(State(st): State<Arc<AppState>>, req: Request) -> Response {
    // The request by value: its headers are read in place, not copied.
    respond(decide(&st, req.headers()).await)
}

fn who(token: &Token) -> Who {
    let c = token.claims();
    let text = |v: &Option<entra_token::claims::Raw<'_>>| {
        v.as_ref()
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let (principal_type, user, oid) = match principal(&c) {
        Principal::User { name, oid, .. } => ("user", name, oid),
        Principal::ServicePrincipal { app_id, oid, .. } => ("service_principal", app_id, oid),
        Principal::Unknown => ("unknown", String::new(), None),
    };
    let tenant = match c.tid.as_ref().and_then(|v| v.as_str()) {
        Some(t) => t.to_owned(),
        None => c
            .iss
            .as_ref()
            .and_then(|v| v.as_str())
            .and_then(issuer::parse)
            .map(|i| i.tenant)
            .unwrap_or_default(),
    };
    Who {
        principal_type,
        user,
        tenant,
        object_id: oid.unwrap_or_else(|| text(&c.oid)),
    }
}

/// The token in `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Result<&str, String> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err("no bearer token: send Authorization: Bearer <token>".into());
    };
    if values.next().is_some() {
        return Err("more than one Authorization header".into());
    }
    let value = value
        .to_str()
        .map_err(|_| "the Authorization header is not ASCII text".to_owned())?;
    input::bearer_header(value).map_err(|e| match e {
        BearerError::NotBearer { scheme } => format!(
            "the Authorization scheme is '{}', not Bearer",
            sanitize(&scheme, 20)
        ),
        BearerError::NoToken => "the Authorization header has 'Bearer' but no token".into(),
    })
}

async fn decide(st: &AppState, headers: &HeaderMap) -> Verdict {
    let text = match bearer(headers) {
        Ok(t) => t,
        Err(why) => return Verdict::Deny("invalid_request", why),
    };
    if text.len() > MAX_TOKEN_BYTES {
        return Verdict::Deny(
            "invalid_token",
            format!("format: the token is over the limit of {MAX_TOKEN_BYTES} bytes"),
        );
    }
    let policy = st.policy_at(st.now());
    let cache = st.token_cache.as_ref();
    // The one fast path (as batch's): from the cache, or parsed once; the
    // keys are awaited between its two steps.
    let pending = match pipeline::lookup(text, &policy, cache, |g| st.keys.is_current(g)) {
        Step::Done(fast) => {
            return refusal(&fast).unwrap_or_else(|| match Token::parse(text) {
                Ok(token) => allow(&token),
                // Cannot be: the token parsed when it was checked.
                Err(e) => Verdict::Deny("invalid_token", format!("format: {e}")),
            });
        }
        Step::NeedKeys(p) => p,
    };
    let fast = match signature(st, &pending, &policy).await {
        Ok(Found::Remembered(fast)) => fast,
        Ok(Found::Signature(sig, generation)) => {
            // Brief: a passing rule builds no message; only a failure's is sent.
            pending.finish(sig, generation, &policy, cache, Detail::Brief)
        }
        Err(KeyFetchError::Refused(why)) => {
            return Verdict::Deny("invalid_token", format!("signature: {why}"))
        }
        Err(KeyFetchError::Unavailable(why)) => return Verdict::Unavailable(why),
    };
    refusal(&fast).unwrap_or_else(|| allow(pending.token()))
}

/// Why a checked token is refused: its first failure, or a signature not
/// verified; `None` when it is accepted.
fn refusal(fast: &pipeline::Fast) -> Option<Verdict> {
    if let Some(f) = fast.first_failure() {
        return Some(Verdict::Deny(
            "invalid_token",
            format!("{}: {}", f.check, f.message),
        ));
    }
    if !fast.signature_verified() {
        return Some(Verdict::Deny(
            "invalid_token",
            "signature: not checked, so not accepted: the server has no signing keys (start it with --jwks)".into(),
        ));
    }
    None
}

/// An accepted token: who it speaks for, in the `X-Auth-*` headers.
fn allow(token: &Token) -> Verdict {
    Verdict::Allow(Box::new(who(token)))
}

/// What the key step found for a token the cache did not answer.
enum Found {
    /// Checked before with the keys just found.
    Remembered(pipeline::Fast),
    /// The outcome, and the generation of the keys it was reached with.
    Signature(Signature, Option<u64>),
}

/// The signature outcome with the source's keys for the token. A token
/// naming a key the set lacks asks the source to refresh once.
async fn signature(
    st: &AppState,
    pending: &Pending,
    policy: &Policy,
) -> Result<Found, KeyFetchError> {
    let token = pending.token();
    let cache = st.token_cache.as_ref();
    let Some(mut keys) = st.keys.keys_for(token, st.policy.tenant.as_deref()).await? else {
        return Ok(Found::Signature(Signature::NoKeys(None), None));
    };
    if let Some(hit) = pending.remembered(cache, keys.generation, policy) {
        return Ok(Found::Remembered(hit));
    }
    let mut outcome = pending.verify(&keys.set, policy);
    if key_not_found(&outcome) {
        if let Some(newer) = st.keys.refresh(token, keys.generation).await? {
            keys = newer;
            if let Some(hit) = pending.remembered(cache, keys.generation, policy) {
                return Ok(Found::Remembered(hit));
            }
            outcome = pending.verify(&keys.set, policy);
        }
    }
    // A key still missing is not remembered: the next request asks the
    // source again (its refetch is throttled), so a token signed with a key
    // Entra has just published passes once the source has it.
    let generation = (!key_not_found(&outcome)).then_some(keys.generation);
    Ok(Found::Signature(Signature::Checked(outcome), generation))
}

fn key_not_found(outcome: &SignatureOutcome) -> bool {
    matches!(
        outcome,
        SignatureOutcome::Failed(entra_token::verify::SignatureFailure::KeyNotFound { .. })
    )
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(&percent_non_visible(s)).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Header values must be visible ASCII: other bytes (a name with accents)
/// are percent-encoded as UTF-8, and so is `%` itself.
fn percent_non_visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes().take(1024) {
        if ((0x21..0x7f).contains(&b) && b != b'%') || b == b' ' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn respond(v: Verdict) -> Response {
    match v {
        Verdict::Allow(s) => {
            let mut r = StatusCode::OK.into_response();
            let h = r.headers_mut();
            h.insert(X_AUTH_USER.clone(), header_value(&s.user));
            h.insert(X_AUTH_TENANT.clone(), header_value(&s.tenant));
            h.insert(
                X_AUTH_PRINCIPAL_TYPE.clone(),
                HeaderValue::from_static(s.principal_type),
            );
            h.insert(X_AUTH_OBJECT_ID.clone(), header_value(&s.object_id));
            r
        }
        Verdict::Deny(code, why) => {
            let why = sanitize(&why, MAX_DESCRIPTION);
            let challenge = format!(
                "Bearer realm=\"entra-doctor\", error=\"{code}\", error_description=\"{why}\""
            );
            let mut r = (StatusCode::UNAUTHORIZED, format!("401 {code}: {why}\n")).into_response();
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            r
        }
        Verdict::Unavailable(why) => {
            let why = sanitize(&why, MAX_DESCRIPTION);
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "5")],
                format!("503 the signing keys cannot be had: {why}\n"),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert!(bearer(&h).is_err());
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  a.b.c "),
        );
        assert_eq!(bearer(&h).ok(), Some("a.b.c"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer a.b.c"),
        );
        assert_eq!(bearer(&h).ok(), Some("a.b.c"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic dXNlcjpwYXNz"),
        );
        assert!(bearer(&h).unwrap_err().contains("Basic"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer"));
        assert!(bearer(&h).is_err());
    }

    #[test]
    fn header_values_are_visible_ascii() {
        assert_eq!(
            percent_non_visible("ada@contoso.example"),
            "ada@contoso.example"
        );
        assert_eq!(percent_non_visible("Zoë 100%"), "Zo%C3%AB 100%25");
        assert_eq!(percent_non_visible("a\r\nb"), "a%0D%0Ab");
    }
}
