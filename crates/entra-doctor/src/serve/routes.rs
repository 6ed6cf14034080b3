//! The routes: the page's assets, the JSON API and the health check.
//!
//! `POST /api/check` takes
//! `{"token": "...", "tenant"?: "...", "audience"?: "..." | ["..."],
//!   "jwks"?: "<pasted JWKS, JWK or PEM>", "at"?: "RFC 3339" | epoch,
//!   "workspace"?: "https://adb-....azuredatabricks.net"}`
//! and answers `check --json`'s object (`valid`, `complete`, `failed`,
//! `summary`, `findings`) plus `at` (the instant checked as of, RFC 3339),
//! `keys` (`"pasted"`, `"server"` (`--jwks`), `"discovery"` or `"none"`) and `decoded` (header and
//! claims explained, as `decode --json`; null when the token did not parse).
//! Absent fields take the server's flags (`--tenant`, `--audience`, `--jwks`,
//! `--at`); without a key set the keys come from discovery, as `check`'s,
//! with its `discovery` finding. A `workspace` runs `check`'s online steps
//! (the workspace's tenant, the token's membership: the token is sent to
//! that workspace, and only to an Azure Databricks host). The answer is 200 whether or not the token is valid; 4xx only for
//! a request that cannot be checked, as `{"error": code, "message": text}`.
//!
//! `POST /api/explain` takes `{"input": "...", "redirect_uri"?: "...",
//! "registered"?: ["..."], "tenant"?, "client_id"?, "flow"?, "resource"?,
//! "authority"?}` (the flags of `explain`) and answers `explain --json`'s
//! object: `report` (what was parsed: kind, codes, IDs, catalogue entries)
//! and `explanation` (`headline`, `advice`: [{`code`, `title`, `cause`,
//! `steps`, `links`}], `redirect`: the redirect-URI comparison,
//! `admin_consent_url`, `notes`). Text with nothing to explain: 422
//! `not_recognised`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use entra_explain as explain;
use entra_token::decode::Decoded;
use entra_token::limits::MAX_TOKEN_BYTES;
use entra_token::timefmt::{parse_instant, utc};
use entra_token::KeySet;
use serde::{Deserialize, Serialize};

use super::auth::auth;
use super::limits::{guard, read_body, ApiError, MAX_BODY_BYTES};
use super::AppState;
use crate::net::{self, OnlineOutcome};
use crate::pipeline;
use crate::render::json::{CheckJson, ExplainJson};

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// Every route, behind the guard.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/app.js", get(app_js))
        .route("/app.css", get(app_css))
        .route("/healthz", get(healthz))
        .route("/api/settings", get(api_settings))
        .route("/auth", any(auth))
        .route("/api/check", post(api_check).fallback(method_not_allowed))
        .route(
            "/api/explain",
            post(api_explain).fallback(method_not_allowed),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; see GET /, POST /api/check, POST /api/explain, GET /auth, GET /healthz",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "use POST with a JSON body",
    )
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    /// Where keys come from: "fixed" (--jwks) or "discovery".
    keys: &'static str,
    /// Entries in the verified-token cache; null when it is off.
    token_cache_entries: Option<usize>,
}

async fn api_settings(State(st): State<Arc<AppState>>) -> Response {
    json_response(StatusCode::OK, &st.page)
}

async fn healthz(State(st): State<Arc<AppState>>) -> Response {
    let h = Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        keys: if st.keys.is_discovery() {
            "discovery"
        } else {
            "fixed"
        },
        token_cache_entries: st.token_cache.as_ref().map(|c| c.len()),
    };
    json_response(StatusCode::OK, &h)
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut r = (status, body).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(e) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("cannot write the answer: {e}"),
        )
        .into_response(),
    }
}

/// Reads and parses a JSON body, bounded: 413 past the limit, 400 with
/// serde's message (line and column) for bad JSON or unknown fields.
async fn json_body<T: serde::de::DeserializeOwned>(
    req: Request,
    route: &str,
) -> Result<T, ApiError> {
    let (parts, body): (_, Body) = req.into_parts();
    let bytes = read_body(&parts.headers, body, MAX_BODY_BYTES).await?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "bad_json",
            format!("{route}: the body is empty; send a JSON object"),
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!("{route}: the body is not the JSON expected: {e}"),
        )
    })
}

/// One audience or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audiences {
    One(String),
    Many(Vec<String>),
}

/// An instant: RFC 3339 text or epoch seconds.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Instant {
    Epoch(i64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    token: String,
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    audience: Option<Audiences>,
    #[serde(default)]
    jwks: Option<String>,
    #[serde(default)]
    at: Option<Instant>,
    #[serde(default)]
    workspace: Option<String>,
}

#[derive(Serialize)]
struct CheckResponse<'a> {
    #[serde(flatten)]
    check: CheckJson<'a>,
    /// The instant the token was checked as of.
    at: String,
    /// Where the keys came from: "pasted", "server" or "none".
    keys: &'static str,
    /// Header and claims, explained; null when the token did not parse.
    decoded: Option<Decoded>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

async fn api_check(State(st): State<Arc<AppState>>, req: Request) -> Result<Response, ApiError> {
    let mut body: CheckRequest = json_body(req, "/api/check").await?;
    if body.token.len() > MAX_TOKEN_BYTES * 2 {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the token is {} bytes, over the limit of {MAX_TOKEN_BYTES} bytes",
                body.token.len()
            ),
        ));
    }
    // A token wrapped over lines (a terminal, an e-mail), as the CLI joins it.
    if let Some(joined) = entra_token::input::join_wrapped_lines(&body.token) {
        body.token = joined;
    }
    let now = match body.at {
        None => st.now(),
        Some(Instant::Epoch(n)) => n,
        Some(Instant::Text(t)) if t.trim().is_empty() => st.now(),
        Some(Instant::Text(t)) => {
            parse_instant(&t).map_err(|e| ApiError::bad_request("bad_at", format!("at: {e}")))?
        }
    };
    let mut policy = st.policy_at(now);
    if let Some(t) = non_empty(body.tenant) {
        policy.tenant = Some(t);
    }
    match body.audience {
        Some(Audiences::One(a)) if !a.trim().is_empty() => {
            policy.audiences = vec![a.trim().to_owned()]
        }
        Some(Audiences::Many(list)) => {
            let list: Vec<String> = list
                .into_iter()
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect();
            if !list.is_empty() {
                policy.audiences = list;
            }
        }
        _ => {}
    }
    let allow_any = st.allow_any_workspace_host;
    let workspace = match non_empty(body.workspace) {
        Some(w) if w.len() > 2048 => {
            return Err(ApiError::bad_request(
                "bad_workspace",
                "workspace: the URL is too long",
            ))
        }
        Some(w) => Some(
            crate::net::workspace::parse_host(&w, "workspace", allow_any)
                .map_err(|e| ApiError::bad_request("bad_workspace", e))?,
        ),
        None => None,
    };
    // Keys: pasted, else the server's fixed set, else discovery (below).
    let (keys, mut source): (Option<Arc<KeySet>>, &'static str) = match non_empty(body.jwks) {
        Some(text) => {
            let set = tokio::task::spawn_blocking(move || KeySet::parse(text.as_bytes()))
                .await
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "reading the key set stopped",
                    )
                })?
                .map_err(|e| {
                    ApiError::bad_request(
                        "bad_jwks",
                        format!("jwks: the pasted key set cannot be used: {e}"),
                    )
                })?;
            (Some(Arc::new(set)), "pasted")
        }
        None => (
            st.keys.fixed_set(),
            if st.keys.is_discovery() {
                "none"
            } else {
                "server"
            },
        ),
    };
    // The network steps, as `check` runs them: discovery when no key set is
    // at hand, the workspace's tenant and membership when one is named.
    // The token is read once (`check`'s pipeline); the steps and the rules
    // see the same.
    let parsed = pipeline::parse(&body.token);
    let mut outcome = OnlineOutcome::default();
    if let Some((_, plan)) = &st.online {
        pipeline::apply_plan(&mut policy, plan);
    }
    if let Some(ws) = &workspace {
        policy.databricks_host = Some(ws.display());
    }
    // A personal access token: only the workspace named can check it.
    if let (Some(pat), Some((online, plan)), Some(ws)) = (parsed.pat(), &st.online, &workspace) {
        let mut plan = plan.clone();
        plan.workspace = Some(ws.clone());
        outcome = crate::net::pat::run(online, &plan, pat).await;
    }
    if let (Some(token), Some((online, plan))) = (parsed.token(), &st.online) {
        let discover = keys.is_none() && st.keys.is_discovery();
        if discover || workspace.is_some() {
            let mut plan = plan.clone();
            plan.discover_keys = discover;
            plan.workspace = workspace;
            plan.configured_tenant = policy
                .tenant
                .clone()
                .map(|t| (t, "the tenant given".to_owned()));
            outcome = net::run(online, &plan, token).await;
            if outcome.keys.is_some() && keys.is_none() {
                source = "discovery";
            }
        }
    }
    let work = move || -> Result<Vec<u8>, ApiError> {
        let checked = pipeline::finish(parsed, keys.as_deref(), &mut policy, &outcome);
        let (token, report, summary, kind) =
            (checked.token, checked.report, checked.summary, checked.kind);
        let decoded = token.as_ref().map(|t| Decoded::of(t, policy.now));
        let answer = CheckResponse {
            check: CheckJson::new(&report, summary.as_ref()).or_kind(kind),
            at: utc(policy.now),
            keys: source,
            decoded,
        };
        serde_json::to_vec(&answer).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })
    };
    let bytes = tokio::task::spawn_blocking(work).await.map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the check stopped unexpectedly",
        )
    })??;
    let mut r = (StatusCode::OK, bytes).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplainRequest {
    input: String,
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    registered: Vec<String>,
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    flow: Option<String>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    authority: Option<String>,
}

async fn api_explain(State(_st): State<Arc<AppState>>, req: Request) -> Result<Response, ApiError> {
    let body: ExplainRequest = json_body(req, "/api/explain").await?;
    if body.registered.len() > 200 || body.registered.iter().any(|u| u.len() > 4096) {
        return Err(ApiError::bad_request(
            "bad_registered",
            "registered: at most 200 redirect URIs of at most 4096 bytes each",
        ));
    }
    let report = explain::parse(&body.input).map_err(|e| match e {
        explain::ExplainError::TooLarge { .. } => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", e.to_string())
        }
        explain::ExplainError::Empty => ApiError::bad_request("empty", e.to_string()),
        _ => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_recognised",
            e.to_string(),
        ),
    })?;
    let ctx = explain::Context {
        flow: non_empty(body.flow),
        tenant: non_empty(body.tenant),
        client_id: non_empty(body.client_id),
        redirect_uri: non_empty(body.redirect_uri),
        resource: non_empty(body.resource),
        authority_host: non_empty(body.authority),
        registered_redirect_uris: body
            .registered
            .into_iter()
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty())
            .collect(),
        ..explain::Context::default()
    };
    let explanation = explain::explain(&report, &ctx);
    Ok(json_response(
        StatusCode::OK,
        &ExplainJson {
            report: &report,
            explanation: &explanation,
        },
    ))
}
