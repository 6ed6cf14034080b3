//! Bounds and guards: every request passes here first.
//!
//! - security headers on every response (CSP, nosniff, no-referrer,
//!   no-store, no framing);
//! - the Host check (DNS rebinding) for the page and the API;
//! - the Origin and Content-Type checks for POSTs (no cross-origin calls);
//! - the concurrency limit: a short wait for a slot, then 503; requests
//!   that carry a body (POST /api/*) and those that do not (GET /auth,
//!   /healthz, the page) have separate slots, so clients sending bodies
//!   slowly cannot make /auth refuse everyone;
//! - the request timeout (body included): 408;
//! - the bounded body reader: 413 past the limit, and 408 for a body that
//!   arrives too slowly (after a short grace, a minimum average rate).
//!
//! Header size and header-read time are bounded by hyper (see `mod.rs`).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::Serialize;

use super::AppState;

/// The largest request body accepted (the page may paste a key set of up to
/// 1 MiB, JSON-escaped, with a token).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024 + 512 * 1024;
/// The largest request head (request line and headers). A token is at most
/// 64 KiB; Entra's are a few KiB.
pub const MAX_HEADER_BYTES: usize = 80 * 1024;
/// The most header fields in a request.
pub const MAX_HEADERS: usize = 64;
/// How long a client may take to send the request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request body may take before [`MIN_BODY_RATE`] applies.
pub const BODY_GRACE: Duration = Duration::from_secs(5);
/// The slowest average rate, in bytes per second, a body may arrive at once
/// [`BODY_GRACE`] has passed: a body of n bytes gets `BODY_GRACE + n /
/// MIN_BODY_RATE` in all (2.5 MiB: 85 s; a token: 5 s).
pub const MIN_BODY_RATE: u64 = 32 * 1024;
/// How long a request waits for a free slot before 503.
pub const QUEUE_WAIT: Duration = Duration::from_secs(1);
/// Open connections at most; more are closed at once.
pub const MAX_CONNECTIONS: usize = 4096;
/// The most of an oversized body read and dropped before answering 413, so
/// that the client sees the answer rather than a reset connection.
const MAX_DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// The page's Content-Security-Policy: nothing from anywhere but here.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// An error answer: `{"error": code, "message": text}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&ErrorBody {
            error: self.code,
            message: &self.message,
        })
        .unwrap_or_else(|_| b"{\"error\":\"internal\"}".to_vec());
        let mut r = (self.status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if matches!(
            self.status,
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
        ) {
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        r
    }
}

/// Adds the security headers. GET /auth's answers go to a proxy, never to a
/// browser as a page: they carry only `no-store` and `nosniff`.
fn secure(headers: &mut HeaderMap, page_or_api: bool) {
    if !page_or_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        return;
    }
    const SET: [(HeaderName, &str); 8] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ),
    ];
    for (name, value) in SET {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// The host part of a Host header: `localhost:8080` → `localhost`,
/// `[::1]:80` → `::1`.
pub fn host_name(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Whether a path is for browsers (page and API), and so guarded against
/// DNS rebinding. GET /auth and GET /healthz are for services and proxies,
/// which send their own Host.
fn browser_facing(path: &str) -> bool {
    !(path == "/auth" || path == "/healthz")
}

fn check_host(st: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "host_not_allowed",
            "the request has no Host header",
        ));
    };
    let name = host_name(host);
    if st
        .allowed_hosts
        .iter()
        .any(|a| a.eq_ignore_ascii_case(name))
    {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "host_not_allowed",
        format!(
            "this server answers only to {} (a guard against DNS rebinding); start it with --allow-host {} to allow this name",
            st.allowed_hosts.join(", "),
            crate::serve::sanitize(name, 100)
        ),
    ))
}

fn check_post(headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let same = origin
            .to_str()
            .ok()
            .is_some_and(|o| o.eq_ignore_ascii_case(&format!("http://{host}")));
        if !same {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_origin",
                "cross-origin requests are refused: only this server's own page may call the API",
            ));
        }
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_origin",
                format!(
                    "cross-origin requests are refused (Sec-Fetch-Site: {})",
                    crate::serve::sanitize(site, 30)
                ),
            ));
        }
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON, with Content-Type: application/json",
        ));
    }
    Ok(())
}

/// The middleware in front of every route.
pub async fn guard(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let page_or_api = req.uri().path() != "/auth";
    let mut response = match guarded(&st, req, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    secure(response.headers_mut(), page_or_api);
    response
}

async fn guarded(st: &AppState, req: Request, next: Next) -> Result<Response, ApiError> {
    let path = req.uri().path();
    if browser_facing(path) {
        check_host(st, req.headers())?;
        if !matches!(*req.method(), Method::GET | Method::HEAD) && path.starts_with("/api/") {
            check_post(req.headers())?;
        }
    }
    // Only the API's routes read a body; every other route gets its own
    // slots, which slow bodies cannot take.
    let (slots, what) = if path.starts_with("/api/") {
        (&st.slots, "requests with a body")
    } else {
        (&st.bodiless_slots, "requests")
    };
    let permit = match slots.clone().try_acquire_owned() {
        Ok(p) => p,
        Err(_) => match tokio::time::timeout(QUEUE_WAIT, slots.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            _ => {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    format!(
                        "the server is handling {} {what} already; retry shortly",
                        st.max_concurrent
                    ),
                ))
            }
        },
    };
    let r = tokio::time::timeout(st.request_timeout, next.run(req)).await;
    drop(permit);
    r.map_err(|_| {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the request took longer than {} s",
                st.request_timeout.as_secs()
            ),
        )
    })
}

/// Reads a request body of at most `max` bytes. Past it: 413, after
/// draining a bounded amount so the client reads the answer. A body still
/// arriving after `BODY_GRACE + received / MIN_BODY_RATE`: 408.
pub async fn read_body(headers: &HeaderMap, body: Body, max: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = |n: Option<u64>| {
        let got = n.map(|n| format!(" ({n} bytes)")).unwrap_or_default();
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request body is over the limit of {max} bytes{got}; a token is at most 64 KiB and a key set 1 MiB"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared {
        if n > max as u64 {
            if n <= MAX_DRAIN_BYTES as u64 {
                drain(body, MAX_DRAIN_BYTES).await;
            }
            return Err(too_large(Some(n)));
        }
    }
    let mut body = body;
    let mut buf = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    let started = tokio::time::Instant::now();
    loop {
        let allowed = BODY_GRACE + Duration::from_millis(buf.len() as u64 * 1000 / MIN_BODY_RATE);
        let frame = match tokio::time::timeout_at(started + allowed, body.frame()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "slow_body",
                    format!(
                        "the request body came too slowly ({} bytes in {} s; after {} s a body must arrive at {} KiB/s at least)",
                        buf.len(),
                        started.elapsed().as_secs(),
                        BODY_GRACE.as_secs(),
                        MIN_BODY_RATE / 1024
                    ),
                ))
            }
        };
        let frame = frame.map_err(|e| {
            ApiError::bad_request("bad_body", format!("cannot read the request body: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > max {
                drain(body, MAX_DRAIN_BYTES).await;
                return Err(too_large(None));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf)
}

async fn drain(mut body: Body, max: usize) {
    let mut seen = 0usize;
    let read = async {
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(d) = frame.into_data() {
                seen += d.len();
                if seen > max {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), read).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names() {
        assert_eq!(host_name("localhost:8080"), "localhost");
        assert_eq!(host_name("127.0.0.1"), "127.0.0.1");
        assert_eq!(host_name("[::1]:4000"), "::1");
        assert_eq!(host_name("evil.example:80"), "evil.example");
    }
}
