//! HTTP listeners: the Entra authority and one listener per Databricks workspace.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Path, RawQuery, Request, State};
use axum::handler::Handler;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::serve::IncomingStream;
use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::databricks;
use crate::discovery;
use crate::fault::{take_matching, Fault, MAX_OVERSIZED, MAX_STALL};
use crate::state::{keys_doc_json, lock, Shared, WorkspaceState};
use crate::util::{found, Obj};
use crate::DATABRICKS_RESOURCE_ID;

// ---------------------------------------------------------------------------------------
// A listener whose connections a handler can cut (for `Fault::CloseConnection`).

/// Per-connection information handed to handlers: the peer and a switch that, once
/// set, makes the connection fail every read and write, so hyper drops it unanswered.
#[derive(Clone, Debug)]
pub(crate) struct ConnMeta {
    #[allow(dead_code)]
    pub(crate) peer: SocketAddr,
    pub(crate) kill: Arc<AtomicBool>,
}

pub(crate) struct KillableListener(pub(crate) TcpListener);

pub(crate) struct KillableStream {
    inner: TcpStream,
    kill: Arc<AtomicBool>,
}

impl axum::serve::Listener for KillableListener {
    type Io = KillableStream;
    type Addr = ConnMeta;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let kill = Arc::new(AtomicBool::new(false));
                    return (
                        KillableStream {
                            inner: stream,
                            kill: kill.clone(),
                        },
                        ConnMeta { peer, kill },
                    );
                }
                // Out of file descriptors and the like: wait and try again.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ConnMeta {
            peer: self.0.local_addr()?,
            kill: Arc::new(AtomicBool::new(false)),
        })
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for ConnMeta {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

fn killed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "closed by fault injection",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::Acquire) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.load(Ordering::Acquire) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::Acquire) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

// ---------------------------------------------------------------------------------------
// Routers.

#[derive(Clone)]
struct AuthorityState(Arc<Shared>);

#[derive(Clone)]
struct WorkspaceRoute {
    shared: Arc<Shared>,
    name: String,
}

#[derive(Clone)]
struct Observe {
    shared: Arc<Shared>,
    workspace: Option<String>,
}

pub(crate) fn authority_router(shared: Arc<Shared>) -> Router {
    let observe = Observe {
        shared: shared.clone(),
        workspace: None,
    };
    Router::new()
        .route(
            "/{tenant}/.well-known/openid-configuration",
            get(openid_configuration::<V1>),
        )
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(openid_configuration::<V2>),
        )
        .route("/{tenant}/discovery/keys", get(keys::<V1>))
        .route("/{tenant}/discovery/v2.0/keys", get(keys::<V2>))
        .route("/{tenant}/oauth2/authorize", get(authorize::<V1>))
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize::<V2>))
        .route("/{tenant}/oauth2/token", post(token::<V1>))
        .route("/{tenant}/oauth2/v2.0/token", post(token::<V2>))
        .route("/{tenant}/oauth2/devicecode", post(devicecode::<V1>))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(devicecode::<V2>))
        .route("/devicelogin", get(devicelogin))
        .route("/metadata/identity/oauth2/token", get(mi_imds))
        .route(crate::msi::APP_SERVICE_PATH, get(mi_app_service))
        .route("/{tenant}/adminconsent", get(adminconsent))
        .route("/{tenant}/v2.0/adminconsent", get(adminconsent))
        .fallback(authority_not_found)
        .with_state(AuthorityState(shared))
        .layer(middleware::from_fn_with_state(observe, observe_mw))
}

pub(crate) fn workspace_router(shared: Arc<Shared>, name: String) -> Router {
    let observe = Observe {
        shared: shared.clone(),
        workspace: Some(name.clone()),
    };
    Router::new()
        .route("/aad/auth", get(aad_auth))
        .route("/api/2.0/preview/scim/v2/Me", get(scim_me))
        .route(
            "/oidc/.well-known/oauth-authorization-server",
            workspace_oidc(Oidc::Discovery),
        )
        .route(
            "/oidc/.well-known/openid-configuration",
            workspace_oidc(Oidc::Discovery),
        )
        .route("/oidc/jwks.json", workspace_oidc(Oidc::Jwks))
        .route("/.well-known/databricks-config", get(dbx_host_metadata))
        .route("/oidc/v1/authorize", workspace_oidc(Oidc::Authorize))
        .route("/oidc/v1/token", workspace_oidc(Oidc::Token))
        .fallback(workspace_not_found)
        .with_state(WorkspaceRoute { shared, name })
        .layer(middleware::from_fn_with_state(observe, observe_mw))
}

#[derive(Clone)]
struct AccountRoute {
    shared: Arc<Shared>,
    id: String,
}

pub(crate) fn account_router(shared: Arc<Shared>, id: String) -> Router {
    let observe = Observe {
        shared: shared.clone(),
        workspace: Some(id.clone()),
    };
    Router::new()
        .route(
            "/oidc/accounts/{id}/.well-known/oauth-authorization-server",
            account_oidc(Oidc::Discovery),
        )
        .route(
            "/oidc/accounts/{id}/.well-known/openid-configuration",
            account_oidc(Oidc::Discovery),
        )
        .route("/oidc/accounts/{id}/jwks.json", account_oidc(Oidc::Jwks))
        .route(
            "/oidc/accounts/{id}/v1/authorize",
            account_oidc(Oidc::Authorize),
        )
        .route("/oidc/accounts/{id}/v1/token", account_oidc(Oidc::Token))
        .route("/api/2.0/accounts/{id}/scim/v2/Me", get(acct_me))
        .fallback(workspace_not_found)
        .with_state(AccountRoute { shared, id })
        .layer(middleware::from_fn_with_state(observe, observe_mw))
}

fn account_of<'a>(a: &'a AccountRoute, id: &str) -> Option<&'a WorkspaceState> {
    a.shared
        .account(&a.id)
        .filter(|acct| acct.account_id.eq_ignore_ascii_case(id))
}

async fn acct_me(
    State(a): State<AccountRoute>,
    Path(id): Path<String>,
    req: Request<Body>,
) -> Response {
    let Some(acct) = account_of(&a, &id) else {
        return workspace_not_found(req).await;
    };
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    match databricks::authenticate(&a.shared, acct, auth) {
        Ok(member) => databricks_json(None, StatusCode::OK, &databricks::me_body(acct, &member)),
        Err(reject) => databricks_json(None, reject.status, &reject.body()),
    }
}

// ---------------------------------------------------------------------------------------
// Counting and fault injection.

async fn observe_mw(State(o): State<Observe>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    o.shared.count(o.workspace.as_deref(), &path);
    let fault = take_matching(&mut lock(&o.shared.faults), o.workspace.as_deref(), &path);
    let Some(fault) = fault else {
        return next.run(req).await;
    };
    match fault {
        Fault::Status { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let ct = if serde_json::from_str::<serde_json::Value>(&body).is_ok() {
                "application/json; charset=utf-8"
            } else {
                "text/plain; charset=utf-8"
            };
            (status, [(header::CONTENT_TYPE, ct)], body).into_response()
        }
        Fault::Stall(d) => {
            wait(&o.shared, d).await;
            (StatusCode::GATEWAY_TIMEOUT, "stalled by fault injection").into_response()
        }
        Fault::Delay(d) => {
            wait(&o.shared, d).await;
            next.run(req).await
        }
        Fault::Garbage => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            b"\xff\xfe<html><body>Service Unavailable</body></html>{\"keys\": [\x00".to_vec(),
        )
            .into_response(),
        Fault::Oversized { bytes } => {
            let bytes = bytes.clamp(16, MAX_OVERSIZED);
            let mut body = Vec::with_capacity(bytes);
            body.extend_from_slice(b"{\"padding\":\"");
            body.resize(bytes - 2, b'a');
            body.extend_from_slice(b"\"}");
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body,
            )
                .into_response()
        }
        Fault::RedirectLoop => {
            let target = req
                .uri()
                .path_and_query()
                .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
            found(&target)
        }
        Fault::CloseConnection => {
            if let Some(ConnectInfo(meta)) = req.extensions().get::<ConnectInfo<ConnMeta>>() {
                meta.kill.store(true, Ordering::Release);
            }
            let mut r = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            r
        }
    }
}

/// Sleeps for `d` (at most [`MAX_STALL`]) or until shutdown.
async fn wait(shared: &Shared, d: Duration) {
    let mut rx = shared.shutdown.clone();
    tokio::select! {
        () = tokio::time::sleep(d.min(MAX_STALL)) => {}
        _ = rx.wait_for(|stop| *stop) => {}
    }
}

// ---------------------------------------------------------------------------------------
// Entra handlers.

fn json(status: StatusCode, body: String) -> Response {
    let cache = if status.is_success() {
        "max-age=86400, private"
    } else {
        "no-store, no-cache"
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CACHE_CONTROL, cache),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body,
    )
        .into_response()
}

fn appid_of(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "appid")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

fn unknown_tenant(shared: &Shared, segment: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        discovery::unknown_tenant_error(shared, segment).to_json(),
    )
}

// Each Entra endpoint comes in v1.0 and v2.0; a handler takes the version as `V2`.
const V1: bool = false;
const V2: bool = true;

async fn openid_configuration<const V2: bool>(
    State(AuthorityState(s)): State<AuthorityState>,
    Path(tenant): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    match s.authority(&tenant) {
        Some(a) => json(
            StatusCode::OK,
            discovery::document(&s, &a, &tenant, appid_of(q.as_deref()).as_deref(), V2).to_json(),
        ),
        None => unknown_tenant(&s, &tenant),
    }
}

async fn keys<const V2: bool>(
    State(AuthorityState(s)): State<AuthorityState>,
    Path(tenant): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    match s.authority(&tenant) {
        Some(a) => json(
            StatusCode::OK,
            keys_doc_json(&s.key_set(&a, V2, appid_of(q.as_deref()).as_deref())),
        ),
        None => unknown_tenant(&s, &tenant),
    }
}

async fn authorize<const V2: bool>(
    State(AuthorityState(s)): State<AuthorityState>,
    Path(tenant): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    crate::signin::authorize(&s, &tenant, V2, q.as_deref())
}

async fn token<const V2: bool>(
    State(AuthorityState(s)): State<AuthorityState>,
    Path(tenant): Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    crate::signin::token(&s, &tenant, V2, &headers, &body)
}

async fn devicecode<const V2: bool>(
    State(AuthorityState(s)): State<AuthorityState>,
    Path(tenant): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    crate::signin::devicecode(&s, &tenant, V2, &body)
}

async fn adminconsent(
    State(AuthorityState(s)): State<AuthorityState>,
    Path(tenant): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    crate::signin::adminconsent(&s, &tenant, q.as_deref())
}

async fn mi_imds(
    State(AuthorityState(s)): State<AuthorityState>,
    headers: axum::http::HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    crate::msi::imds(&s, &headers, q.as_deref())
}

async fn mi_app_service(
    State(AuthorityState(s)): State<AuthorityState>,
    headers: axum::http::HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    crate::msi::app_service(&s, &headers, q.as_deref())
}

async fn devicelogin(
    State(AuthorityState(s)): State<AuthorityState>,
    RawQuery(q): RawQuery,
) -> Response {
    crate::signin::devicelogin(&s, q.as_deref())
}

async fn authority_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html><html><body><h2>404 - Not Found</h2></body></html>",
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------
// Databricks workspace handlers.

fn databricks_json(ws_org_id: Option<&str>, status: StatusCode, body: &Obj) -> Response {
    let mut r = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_json(),
    )
        .into_response();
    if let Some(Ok(v)) = ws_org_id.map(HeaderValue::from_str) {
        r.headers_mut().insert("x-databricks-org-id", v);
    }
    r
}

async fn aad_auth(State(w): State<WorkspaceRoute>) -> Response {
    let Some(ws) = w.shared.workspace(&w.name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let redirect_uri = format!("{}/aad/redirect", ws.url);
    let state = crate::util::b64url(&crate::util::random_bytes::<16>());
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", DATABRICKS_RESOURCE_ID)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("state", &state)
        .finish();
    let location = format!(
        "{}/{}/oauth2/authorize?{query}",
        w.shared.base_url, ws.config.tenant_id
    );
    found(&location)
}

async fn scim_me(State(w): State<WorkspaceRoute>, req: Request) -> Response {
    let Some(ws) = w.shared.workspace(&w.name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    let h = |n: &str| req.headers().get(n).map(HeaderValue::as_bytes);
    let mgmt = databricks::Management {
        token: h(databricks::SP_MANAGEMENT_TOKEN_HEADER),
        resource_id: h(databricks::WORKSPACE_RESOURCE_ID_HEADER),
    };
    match databricks::authenticate_with(&w.shared, ws, auth, &mgmt) {
        Ok(member) => databricks_json(
            Some(&ws.org_id),
            StatusCode::OK,
            &databricks::me_body(ws, &member),
        ),
        Err(reject) => databricks_json(Some(&ws.org_id), reject.status, &reject.body()),
    }
}

/// The workspace, if it serves Databricks OAuth.
fn oauth_workspace(w: &WorkspaceRoute) -> Option<&WorkspaceState> {
    w.shared.workspace(&w.name).filter(|ws| ws.config.oauth)
}

async fn dbx_host_metadata(State(w): State<WorkspaceRoute>, req: Request<Body>) -> Response {
    match w.shared.workspace(&w.name) {
        Some(ws) => crate::dbx_oauth::host_metadata(ws),
        None => workspace_not_found(req).await,
    }
}

/// The Databricks OAuth endpoints, which a workspace (with OAuth on) and an account host
/// serve alike, each below its own issuer path.
#[derive(Clone, Copy)]
enum Oidc {
    Discovery,
    Jwks,
    Authorize,
    Token,
}

impl Oidc {
    /// The answer for `site`, the workspace or account the request names (`None`: 404).
    async fn serve(self, shared: &Shared, site: Option<&WorkspaceState>, req: Request) -> Response {
        let Some(ws) = site else {
            return workspace_not_found(req).await;
        };
        match self {
            Oidc::Discovery => crate::dbx_oauth::discovery(ws),
            Oidc::Jwks => crate::dbx_oauth::jwks(ws),
            Oidc::Authorize => crate::dbx_oauth::authorize(shared, ws, req.uri().query()),
            Oidc::Token => {
                let (parts, body) = req.into_parts();
                match axum::body::to_bytes(body, 64 * 1024).await {
                    Ok(bytes) => crate::dbx_oauth::token(shared, ws, &parts.headers, &bytes),
                    Err(_) => {
                        (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response()
                    }
                }
            }
        }
    }

    /// Routes `handler` by the endpoint's method: POST for the token endpoint, else GET.
    fn method<H, T, S>(self, handler: H) -> MethodRouter<S>
    where
        H: Handler<T, S>,
        T: 'static,
        S: Clone + Send + Sync + 'static,
    {
        match self {
            Oidc::Token => post(handler),
            Oidc::Discovery | Oidc::Jwks | Oidc::Authorize => get(handler),
        }
    }
}

/// A workspace's `/oidc/…` endpoint (404 when its OAuth is off).
fn workspace_oidc(endpoint: Oidc) -> MethodRouter<WorkspaceRoute> {
    endpoint.method(
        move |State(w): State<WorkspaceRoute>, req: Request| async move {
            endpoint.serve(&w.shared, oauth_workspace(&w), req).await
        },
    )
}

/// An account host's `/oidc/accounts/<id>/…` endpoint (404 for another account id).
fn account_oidc(endpoint: Oidc) -> MethodRouter<AccountRoute> {
    endpoint.method(
        move |State(a): State<AccountRoute>, Path(id): Path<String>, req: Request| async move {
            endpoint.serve(&a.shared, account_of(&a, &id), req).await
        },
    )
}

async fn workspace_not_found(req: Request<Body>) -> Response {
    let mut o = Obj::new();
    o.push("error_code", "ENDPOINT_NOT_FOUND").push(
        "message",
        format!("No API found for '{} {}'", req.method(), req.uri().path()),
    );
    databricks_json(None, StatusCode::NOT_FOUND, &o)
}
