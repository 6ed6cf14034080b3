//! A bounded HTTP client: connect and total timeouts, a body cap read in
//! chunks, redirects handled here (bounded, loop-detected, never carrying a
//! token), and errors typed by cause (in `http_error.rs`) so that each
//! failure names its step, its URL and why.
//!
//! Reusable by any command (the CLI's `check` and a long-running server):
//! [`Client`] is cheap to clone and safe to share.

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{
    HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, USER_AGENT,
};
use url::Url;

use super::http_error::{classify, classify_read};
pub use super::http_error::{Cause, NetError, TimeoutPhase};

/// The largest response body read, in bytes (1 MiB).
pub const MAX_BODY: usize = 1024 * 1024;

/// The most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Default total timeout of one network step (all redirects and the body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// The client's bounds.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Bound on establishing a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Bound on a whole request: connection, redirects and body.
    pub timeout: Duration,
    /// The largest body accepted.
    pub max_body: usize,
    /// The most redirects followed.
    pub max_redirects: usize,
    /// When set, names resolve only through this table and every other name
    /// fails to resolve (tests use it so that no lookup leaves the machine).
    pub static_hosts: Option<Vec<(String, IpAddr)>>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_body: MAX_BODY,
            max_redirects: MAX_REDIRECTS,
            static_hosts: None,
        }
    }
}

/// What to do with a 3xx answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// Follow (bounded, loop-detected); only for requests without a token.
    Follow,
    /// Return the 3xx answer as it is.
    Return,
}

/// One GET. Its `Debug` never shows the token.
#[derive(Clone)]
pub struct Get<'a> {
    pub step: &'static str,
    pub url: Url,
    /// A bearer token to send. Requests with a token never follow redirects.
    pub bearer: Option<&'a str>,
    pub redirects: Redirects,
}

impl std::fmt::Debug for Get<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Get")
            .field("step", &self.step)
            .field("url", &self.url.as_str())
            .field("bearer", &self.bearer.map(|_| "[redacted]"))
            .field("redirects", &self.redirects)
            .finish()
    }
}

impl<'a> Get<'a> {
    /// A GET without a token that follows redirects.
    pub fn new(step: &'static str, url: Url) -> Get<'a> {
        Get {
            step,
            url,
            bearer: None,
            redirects: Redirects::Follow,
        }
    }
}

/// An answer, read whole (within the bounds).
#[derive(Debug, Clone)]
pub struct Response {
    /// The URL that answered (after redirects).
    pub url: Url,
    pub status: u16,
    pub location: Option<String>,
    #[allow(dead_code)] // API for other commands (serve).
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    #[allow(dead_code)] // API for other commands (serve).
    pub elapsed: Duration,
}

impl Response {
    /// The start of the body as one line of text, for messages.
    pub fn snippet(&self) -> String {
        snippet(&self.body)
    }
}

/// The start of a body as one line of text (at most 200 characters).
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(600)]);
    // Control characters (terminal escapes from a hostile server) become
    // spaces, then runs of white space one space.
    let visible: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let one_line: String = visible.split_whitespace().collect::<Vec<_>>().join(" ");
    entra_token::text::clip(&one_line, 200)
}

/// Whether a URL's host is a loopback address or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Refuses URLs that must not be requested: anything but https, except
/// plain http to a loopback host; user info in the URL.
pub fn check_url(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url) => {}
        "http" => return Err(format!("{url} uses http; only https is allowed (plain http only for loopback hosts such as 127.0.0.1)")),
        other => return Err(format!("{url} has the scheme '{other}'; only https is allowed")),
    }
    if url.host().is_none() {
        return Err(format!("{url} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{} carries user credentials; remove them",
            redact(url)
        ));
    }
    Ok(())
}

fn redact(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// A resolver answering only from a fixed table.
struct StaticResolver {
    hosts: Vec<(String, IpAddr)>,
}

impl reqwest::dns::Resolve for StaticResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let found = self
            .hosts
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(name.as_str()))
            .map(|(_, a)| *a);
        let name = name.as_str().to_owned();
        Box::pin(async move {
            match found {
                Some(ip) => {
                    let addrs: reqwest::dns::Addrs =
                        Box::new(std::iter::once(SocketAddr::new(ip, 0)));
                    Ok(addrs)
                }
                None => Err(format!("{name}: no such host (static host table)").into()),
            }
        })
    }
}

/// The bounded client.
#[derive(Clone)]
pub struct Client {
    inner: reqwest::Client,
    cfg: Arc<HttpConfig>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("cfg", &self.cfg).finish()
    }
}

impl Client {
    /// Builds a client. Fails only if the TLS backend cannot start.
    pub fn new(cfg: HttpConfig) -> Result<Client, String> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(cfg.connect_timeout)
            .pool_max_idle_per_host(4)
            .https_only(false);
        if let Some(hosts) = &cfg.static_hosts {
            b = b
                .dns_resolver(Arc::new(StaticResolver {
                    hosts: hosts.clone(),
                }))
                .no_proxy();
        }
        let inner = b
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        Ok(Client {
            inner,
            cfg: Arc::new(cfg),
        })
    }

    /// The bounds in force.
    #[allow(dead_code)] // API for other commands (serve).
    pub fn config(&self) -> &HttpConfig {
        &self.cfg
    }

    /// One GET, within the total timeout, answered with any status.
    pub async fn get(&self, req: Get<'_>) -> Result<Response, NetError> {
        let started = Instant::now();
        let step = req.step;
        let first = req.url.to_string();
        let timeout = self.cfg.timeout;
        match tokio::time::timeout(timeout, self.get_inner(req, started)).await {
            Ok(r) => r,
            Err(_) => Err(NetError {
                step,
                url: first,
                cause: Cause::Timeout {
                    phase: TimeoutPhase::Total,
                    after: timeout,
                },
            }),
        }
    }

    /// A GET that must answer 2xx with a JSON object.
    pub async fn get_json(
        &self,
        req: Get<'_>,
    ) -> Result<(serde_json::Map<String, serde_json::Value>, Response), NetError> {
        let step = req.step;
        let resp = self.get(req).await?;
        let url = resp.url.to_string();
        if !(200..300).contains(&resp.status) {
            return Err(NetError {
                step,
                url,
                cause: Cause::Status {
                    code: resp.status,
                    snippet: resp.snippet(),
                },
            });
        }
        let value = parse_json_object(&resp.body).map_err(|cause| NetError { step, url, cause })?;
        Ok((value, resp))
    }

    async fn get_inner(&self, req: Get<'_>, started: Instant) -> Result<Response, NetError> {
        let step = req.step;
        let mut url = req.url.clone();
        let mut visited: HashSet<String> = HashSet::new();
        let mut hops = 0usize;
        loop {
            let err = |cause: Cause, at: &Url| NetError {
                step,
                url: at.to_string(),
                cause,
            };
            check_url(&url).map_err(|why| err(Cause::Refused(why), &url))?;
            visited.insert(url.to_string());
            let mut rb = self
                .inner
                .get(url.clone())
                .header(
                    USER_AGENT,
                    concat!("entra-doctor/", env!("CARGO_PKG_VERSION")),
                )
                .header(ACCEPT, "application/json");
            if let Some(token) = req.bearer {
                let mut v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                    err(
                        Cause::Refused(
                            "the token holds characters not allowed in an HTTP header".into(),
                        ),
                        &url,
                    )
                })?;
                v.set_sensitive(true);
                rb = rb.header(AUTHORIZATION, v);
            }
            let resp = rb
                .send()
                .await
                .map_err(|e| err(classify(&e, self.cfg.connect_timeout), &url))?;
            let status = resp.status().as_u16();
            let header = |name| {
                resp.headers()
                    .get(name)
                    .and_then(|v: &HeaderValue| v.to_str().ok())
                    .map(str::to_owned)
            };
            let location = header(LOCATION);
            let content_type = header(CONTENT_TYPE);
            if (300..400).contains(&status)
                && req.redirects == Redirects::Follow
                && req.bearer.is_none()
            {
                let Some(loc) = location else {
                    return Err(err(
                        Cause::Shape(format!("HTTP {status} redirect without a Location header")),
                        &url,
                    ));
                };
                let next = url.join(&loc).map_err(|e| {
                    err(
                        Cause::Shape(format!(
                            "HTTP {status} redirect to an invalid Location '{}': {e}",
                            entra_token::text::clip(&loc, 100)
                        )),
                        &url,
                    )
                })?;
                if visited.contains(next.as_str()) {
                    return Err(err(
                        Cause::RedirectLoop {
                            at: next.to_string(),
                        },
                        &url,
                    ));
                }
                hops += 1;
                if hops > self.cfg.max_redirects {
                    return Err(err(
                        Cause::TooManyRedirects {
                            limit: self.cfg.max_redirects,
                        },
                        &url,
                    ));
                }
                if url.scheme() == "https" && next.scheme() == "http" {
                    return Err(err(
                        Cause::Refused(format!("redirect from https to http ({next})")),
                        &url,
                    ));
                }
                url = next;
                continue;
            }
            let declared = header(CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
            let body = read_body(resp, declared, self.cfg.max_body)
                .await
                .map_err(|c| err(c, &url))?;
            return Ok(Response {
                url,
                status,
                location,
                content_type,
                body,
                elapsed: started.elapsed(),
            });
        }
    }
}

async fn read_body(
    mut resp: reqwest::Response,
    declared: Option<u64>,
    max: usize,
) -> Result<Vec<u8>, Cause> {
    if declared.is_some_and(|n| n > max as u64) {
        return Err(Cause::TooLarge { limit: max });
    }
    let mut body = Vec::with_capacity(declared.map_or(8 * 1024, |n| n as usize));
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max {
                    return Err(Cause::TooLarge { limit: max });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(classify_read(&e)),
        }
    }
}

/// Parses a body that must be a JSON object.
pub fn parse_json_object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, Cause> {
    if entra_token::limits::json_depth_exceeds(body, entra_token::limits::MAX_JSON_DEPTH) {
        return Err(Cause::Shape(format!(
            "JSON nested deeper than {} levels",
            entra_token::limits::MAX_JSON_DEPTH
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        let start = snippet(body);
        if start.is_empty() {
            Cause::NotJson(format!("{e} (empty body)"))
        } else {
            Cause::NotJson(format!("{e}; it starts with: {start}"))
        }
    })?;
    match value {
        serde_json::Value::Object(m) => Ok(m),
        other => Err(Cause::Shape(format!(
            "a JSON {} where an object was expected",
            json_kind(&other)
        ))),
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn debug_never_shows_the_token_and_snippets_drop_control_characters() {
        let get = Get {
            step: "membership",
            url: Url::parse("https://adb-1.2.azuredatabricks.net/").unwrap(),
            bearer: Some("eyJhbGciOi.secret.token"),
            redirects: Redirects::Return,
        };
        let shown = format!("{get:?}");
        assert!(
            !shown.contains("secret") && shown.contains("[redacted]"),
            "{shown}"
        );
        assert_eq!(snippet(b"a\x1b[31mred\x07 b"), "a [31mred b");
    }

    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(check_url(&Url::parse("https://login.microsoftonline.com/x").unwrap()).is_ok());
        assert!(check_url(&Url::parse("http://127.0.0.1:8080/x").unwrap()).is_ok());
        assert!(check_url(&Url::parse("http://127.1.2.3/x").unwrap()).is_ok());
        assert!(check_url(&Url::parse("http://[::1]:80/x").unwrap()).is_ok());
        assert!(check_url(&Url::parse("http://localhost:80/x").unwrap()).is_ok());
        assert!(check_url(&Url::parse("http://login.microsoftonline.com/x").unwrap()).is_err());
        assert!(check_url(&Url::parse("http://10.0.0.1/x").unwrap()).is_err());
        assert!(check_url(&Url::parse("ftp://127.0.0.1/x").unwrap()).is_err());
        assert!(check_url(&Url::parse("https://u:p@example.com/x").unwrap()).is_err());
    }

    #[test]
    fn snippets_are_one_bounded_line() {
        let s = snippet(b"<html>\n  <title>Error 401</title>\n</html>");
        assert_eq!(s, "<html> <title>Error 401</title> </html>");
        assert!(snippet(&[b'a'; 5000]).chars().count() <= 201);
    }

    #[test]
    fn json_object_errors_name_the_class() {
        assert_eq!(parse_json_object(b"{\"a\":1}").unwrap().len(), 1);
        assert!(matches!(
            parse_json_object(b"<html>"),
            Err(Cause::NotJson(_))
        ));
        assert!(matches!(parse_json_object(b"[1]"), Err(Cause::Shape(_))));
        assert!(matches!(
            parse_json_object(&[0xff, 0xfe]),
            Err(Cause::NotJson(_))
        ));
    }
}
