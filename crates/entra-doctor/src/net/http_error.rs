//! Why a network step failed: the failure classes, their messages, and how a reqwest error maps to one.

use std::fmt;
use std::time::Duration;

/// Which phase a timeout hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    Connect,
    Total,
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The URL is refused before any request (http to a non-loopback host, a
    /// scheme other than http/https, a host outside an allow-list...).
    Refused(String),
    /// The host name did not resolve.
    Dns(String),
    /// The TCP connection could not be made (refused, reset, unreachable).
    Connect(String),
    /// A bound was reached.
    Timeout {
        phase: TimeoutPhase,
        after: Duration,
    },
    /// TLS failed (handshake, certificate).
    Tls(String),
    /// The server answered with a status the step did not expect; the
    /// snippet is the start of the body, as text.
    Status { code: u16, snippet: String },
    /// The body is not JSON.
    NotJson(String),
    /// The body is JSON of the wrong shape (or another expected part of the
    /// answer, such as a header, is missing or wrong).
    Shape(String),
    /// The body is over the limit.
    TooLarge { limit: usize },
    /// A redirect leads back to a URL already visited.
    RedirectLoop { at: String },
    /// More redirects than allowed.
    TooManyRedirects { limit: usize },
    /// The connection closed or failed while the answer was being read.
    Io(String),
}

impl Cause {
    #[allow(dead_code)] // API for other commands (serve) and tests.
    /// A stable short name of the failure class (for JSON and tests).
    pub fn class(&self) -> &'static str {
        match self {
            Cause::Refused(_) => "refused",
            Cause::Dns(_) => "dns",
            Cause::Connect(_) => "connect",
            Cause::Timeout { .. } => "timeout",
            Cause::Tls(_) => "tls",
            Cause::Status { .. } => "status",
            Cause::NotJson(_) => "not-json",
            Cause::Shape(_) => "shape",
            Cause::TooLarge { .. } => "too-large",
            Cause::RedirectLoop { .. } => "redirect-loop",
            Cause::TooManyRedirects { .. } => "too-many-redirects",
            Cause::Io(_) => "io",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Refused(why) => write!(f, "not requested: {why}"),
            Cause::Dns(d) => write!(f, "DNS lookup failed: {d}"),
            Cause::Connect(d) => write!(f, "connection failed: {d}"),
            Cause::Timeout {
                phase: TimeoutPhase::Connect,
                after,
            } => {
                write!(f, "timed out connecting after {}", secs(*after))
            }
            Cause::Timeout {
                phase: TimeoutPhase::Total,
                after,
            } => {
                write!(f, "timed out: no complete answer within {}", secs(*after))
            }
            Cause::Tls(d) => write!(f, "TLS error: {d}"),
            Cause::Status { code, snippet } if snippet.is_empty() => write!(f, "HTTP {code}"),
            Cause::Status { code, snippet } => write!(f, "HTTP {code}: {snippet}"),
            Cause::NotJson(d) => write!(f, "the answer is not JSON: {d}"),
            Cause::Shape(d) => write!(f, "unexpected answer: {d}"),
            Cause::TooLarge { limit } => write!(f, "the answer is over the limit of {limit} bytes"),
            Cause::RedirectLoop { at } => write!(f, "redirect loop: {at} was already visited"),
            Cause::TooManyRedirects { limit } => write!(f, "more than {limit} redirects"),
            Cause::Io(d) => write!(f, "the connection failed while reading the answer: {d}"),
        }
    }
}

fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A failed network step: which step, which URL, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetError {
    /// The step, in words ("OpenID discovery", "signing keys", ...).
    pub step: &'static str,
    pub url: String,
    pub cause: Cause,
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: GET {}: {}", self.step, self.url, self.cause)
    }
}

impl std::error::Error for NetError {}

/// The next error in a chain. `io::Error::source` skips the error it wraps
/// (it returns that error's source), so wrapped errors are entered here.
fn next_in_chain<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a (dyn std::error::Error + 'static)> {
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        if let Some(inner) = io.get_ref() {
            return Some(inner);
        }
    }
    err.source()
}

/// Every error of a chain, outermost first.
fn walk<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        if out.len() > 32 {
            break;
        }
        out.push(err);
        cur = next_in_chain(err);
    }
    out
}

/// The error chain's texts.
fn chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    walk(e).iter().map(|e| e.to_string()).collect()
}

fn find_tls(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    walk(e)
        .iter()
        .find_map(|err| err.downcast_ref::<rustls::Error>().map(|t| t.to_string()))
}

fn find_io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    walk(e)
        .iter()
        .filter_map(|err| {
            err.downcast_ref::<std::io::Error>()
                .map(std::io::Error::kind)
        })
        .next_back()
}

/// The most specific text of an error chain (its last element).
fn root_text(parts: &[String]) -> String {
    parts.last().cloned().unwrap_or_default()
}

pub(super) fn classify(e: &reqwest::Error, connect_timeout: Duration) -> Cause {
    let parts = chain(e);
    if let Some(tls) = find_tls(e) {
        return Cause::Tls(tls);
    }
    if parts.iter().any(|p| p.starts_with("dns error")) {
        return Cause::Dns(root_text(&parts));
    }
    if e.is_timeout() {
        return Cause::Timeout {
            phase: TimeoutPhase::Connect,
            after: connect_timeout,
        };
    }
    if e.is_connect() {
        if let Some(kind) = find_io_kind(e) {
            let what = match kind {
                std::io::ErrorKind::ConnectionRefused => {
                    "connection refused (nothing listens on that port)".to_owned()
                }
                std::io::ErrorKind::ConnectionReset => "connection reset".to_owned(),
                _ => root_text(&parts),
            };
            return Cause::Connect(what);
        }
        return Cause::Connect(root_text(&parts));
    }
    // The request was sent and no answer came: a closed connection.
    let text = root_text(&parts);
    if text.contains("connection closed") || text.contains("IncompleteMessage") || e.is_request() {
        return Cause::Io(format!(
            "the server closed the connection without answering ({text})"
        ));
    }
    Cause::Io(text)
}

pub(super) fn classify_read(e: &reqwest::Error) -> Cause {
    if let Some(tls) = find_tls(e) {
        return Cause::Tls(tls);
    }
    Cause::Io(root_text(&chain(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_has_its_class_and_message() {
        let connect = Cause::Timeout {
            phase: TimeoutPhase::Connect,
            after: Duration::from_secs(5),
        };
        assert_eq!(connect.class(), "timeout");
        assert_eq!(connect.to_string(), "timed out connecting after 5 s");
        let total = Cause::Timeout {
            phase: TimeoutPhase::Total,
            after: Duration::from_millis(1500),
        };
        assert_eq!(
            total.to_string(),
            "timed out: no complete answer within 1.5 s"
        );
        let bare = Cause::Status {
            code: 404,
            snippet: String::new(),
        };
        assert_eq!(bare.to_string(), "HTTP 404");
        assert_eq!(bare.class(), "status");
        assert_eq!(
            Cause::RedirectLoop {
                at: "https://a/x".into()
            }
            .class(),
            "redirect-loop"
        );
        assert_eq!(
            Cause::TooLarge { limit: 10 }.to_string(),
            "the answer is over the limit of 10 bytes"
        );
        let e = NetError {
            step: "signing keys",
            url: "https://login.example/keys".into(),
            cause: Cause::Dns("no such host".into()),
        };
        assert_eq!(
            e.to_string(),
            "signing keys: GET https://login.example/keys: DNS lookup failed: no such host"
        );
    }
}
