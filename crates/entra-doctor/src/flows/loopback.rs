//! Authorization code with PKCE on a loopback redirect: a listener on
//! 127.0.0.1, the browser (opened, printed, or for tests and the demo an HTTP
//! client that follows the redirect), the `state` check, and the code redeemed.

use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::flows::{random_b64, redeem_code, Endpoint, FlowError, Http, Target, TokenResponse};

/// Bound on the redirect request's head.
const MAX_HEAD: usize = 16 * 1024;

/// How the authorize URL reaches a browser.
#[derive(Clone)]
pub enum Browser {
    /// Open the default browser, and print the URL.
    Open,
    /// Print the URL only.
    Print,
    /// Fetch it with this client and follow the redirect (tests, demo): no
    /// sign-in page is shown, the authority must sign in by itself.
    Headless(Http),
}

/// The loopback listener and its redirect URI.
pub struct Loopback {
    listener: TcpListener,
    pub redirect_uri: String,
}

impl Loopback {
    /// Binds 127.0.0.1 on `port` (0: a free one). The redirect URI is
    /// `http://localhost:<port>`, as Entra matches it for public clients.
    pub async fn bind(port: u16) -> Result<Loopback, FlowError> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            FlowError::Failed(format!(
                "cannot listen on 127.0.0.1:{port} for the redirect: {e}"
            ))
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| FlowError::Failed(e.to_string()))?
            .port();
        Ok(Loopback {
            listener,
            redirect_uri: format!("http://localhost:{port}"),
        })
    }
}

/// Options of the flow.
pub struct AuthCodeOptions {
    pub browser: Browser,
    /// How long to wait for the redirect.
    pub timeout: Duration,
    pub login_hint: Option<String>,
    pub prompt: Option<String>,
}

/// The whole flow: authorize in the browser, catch the redirect, redeem the code.
pub async fn auth_code(
    http: &Http,
    ep: &Endpoint,
    target: &Target,
    client_id: &str,
    lb: Loopback,
    opts: AuthCodeOptions,
    notify: &dyn Fn(&str),
) -> Result<TokenResponse, FlowError> {
    let mut url = url::Url::parse(&ep.authorize_url(target))
        .map_err(|e| FlowError::Failed(format!("authorize URL: {e}")))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &lb.redirect_uri)
            .append_pair("response_mode", "query");
        match target {
            Target::V1 { resource } => q.append_pair("resource", resource),
            Target::V2 { scope } => q.append_pair("scope", scope),
        };
    }
    let (code, verifier) = browser_code(url, &lb, &opts, notify).await?;
    redeem_code(
        http,
        ep,
        target,
        client_id,
        &code,
        &lb.redirect_uri,
        &verifier,
    )
    .await
}

/// The browser's half of an authorization code flow with PKCE: `authorize`
/// (with the caller's parameters) gets `state`, the S256 challenge and the
/// options' hints, reaches the browser, and the redirect's code comes back
/// with the verifier to redeem it with.
pub async fn browser_code(
    mut authorize: url::Url,
    lb: &Loopback,
    opts: &AuthCodeOptions,
    notify: &dyn Fn(&str),
) -> Result<(String, String), FlowError> {
    let verifier = random_b64(32)?;
    let challenge = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    let state = random_b64(16)?;
    {
        let mut q = authorize.query_pairs_mut();
        q.append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(h) = &opts.login_hint {
            q.append_pair("login_hint", h);
        }
        if let Some(p) = &opts.prompt {
            q.append_pair("prompt", p);
        }
    }
    let url = authorize.to_string();
    let browser = async {
        match &opts.browser {
            Browser::Headless(h) => headless(h, &url, &lb.redirect_uri).await,
            b => {
                if matches!(b, Browser::Open) && open_browser(&url) {
                    notify(&format!(
                        "Opened the browser for sign-in. If nothing appears, open:\n  {url}"
                    ));
                } else {
                    notify(&format!("Open this URL in a browser to sign in:\n  {url}"));
                }
                std::future::pending::<FlowError>().await
            }
        }
    };
    let code = tokio::select! {
        r = wait_for_redirect(&lb.listener, &state, opts.timeout) => r?,
        e = browser => return Err(e),
    };
    Ok((code, verifier))
}

fn open_browser(url: &str) -> bool {
    let mut cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    cmd.arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// The browser's part, done by an HTTP client: follows redirects (to
/// loopback only, relative ones resolved, cookies kept in a small jar) until
/// the redirect URI is reached; a page on the way is the provider's error
/// page. Never returns once the redirect is delivered.
async fn headless(http: &Http, url: &str, redirect_uri: &str) -> FlowError {
    let mut next = url.to_owned();
    let mut jar: Vec<(String, String)> = Vec::new();
    for _ in 0..10 {
        let target = next.replacen("http://localhost:", "http://127.0.0.1:", 1);
        let parsed = match url::Url::parse(&target) {
            Ok(u) => u,
            Err(e) => return FlowError::Failed(format!("redirect to a bad URL: {e}")),
        };
        if !matches!(parsed.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback()) {
            return FlowError::Failed(format!(
                "the headless browser follows loopback URLs only, not {}",
                parsed.origin().ascii_serialization()
            ));
        }
        let delivering = next.starts_with(redirect_uri);
        let cookie = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        match http.get_with_cookies(&target, &cookie).await {
            Err(e) => return e,
            Ok(_) if delivering => return std::future::pending().await,
            Ok((status, _, Some(loc), set)) if (300..400).contains(&status) => {
                remember(&mut jar, &set);
                next = match parsed.join(&loc) {
                    Ok(u) => u.to_string(),
                    Err(e) => return FlowError::Failed(format!("redirect to a bad URL: {e}")),
                };
                // Keep the redirect URI's spelling (localhost) to recognise it.
                if next
                    .replacen("http://127.0.0.1:", "http://localhost:", 1)
                    .starts_with(redirect_uri)
                {
                    next = next.replacen("http://127.0.0.1:", "http://localhost:", 1);
                }
            }
            Ok((status, body, _, _)) => {
                return FlowError::Refused {
                    url: strip_query(url),
                    status: Some(status),
                    body: page_text(&String::from_utf8_lossy(&body)),
                };
            }
        }
    }
    FlowError::Failed("too many redirects in the sign-in".into())
}

/// Keeps `name=value` of each `Set-Cookie` (attributes ignored; an empty
/// value or a past expiry removes it).
fn remember(jar: &mut Vec<(String, String)>, set: &[String]) {
    for c in set {
        let first = c.split(';').next().unwrap_or("");
        let Some((k, v)) = first.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim().to_owned(), v.trim().to_owned());
        jar.retain(|(n, _)| *n != k);
        let expired = c.to_ascii_lowercase().contains("expires=thu, 01 jan 1970");
        if !v.is_empty() && !expired && jar.len() < 50 {
            jar.push((k, v));
        }
    }
}

fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_owned()
}

/// The text of an HTML page: tags dropped, a few entities decoded.
pub fn page_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Waits for the redirect with `code` or `error`; checks `state`.
async fn wait_for_redirect(
    listener: &TcpListener,
    state: &str,
    timeout: Duration,
) -> Result<String, FlowError> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let accepted = tokio::time::timeout(left, listener.accept()).await.map_err(|_| {
            FlowError::Failed(format!(
                "no redirect came back within {}s. If the browser shows an error (for example AADSTS50011), run 'entra-doctor explain' on its text",
                timeout.as_secs()
            ))
        })?;
        let Ok((mut stream, _)) = accepted else {
            continue;
        };
        let Ok(Some(target)) =
            tokio::time::timeout(Duration::from_secs(5), read_target(&mut stream)).await
        else {
            continue;
        };
        let Ok(u) = url::Url::parse(&format!("http://localhost{target}")) else {
            respond(&mut stream, 400, "Bad request.").await;
            continue;
        };
        let q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
        let get = |k: &str| q.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
        if u.path() != "/" || (get("code").is_none() && get("error").is_none()) {
            respond(&mut stream, 404, "Not the sign-in redirect.").await;
            continue;
        }
        if get("state").as_deref() != Some(state) {
            respond(
                &mut stream,
                400,
                "The sign-in answer did not carry the state this sign-in sent; it was ignored.",
            )
            .await;
            return Err(FlowError::Failed(
                "the redirect's state does not match the one sent: the answer was refused (it may come from another sign-in, or be forged)".into(),
            ));
        }
        if let Some(error) = get("error") {
            respond(
                &mut stream,
                200,
                "Sign-in failed. Return to the terminal for the cause and the fix.",
            )
            .await;
            let body = serde_json::json!({
                "error": error,
                "error_description": get("error_description").unwrap_or_default(),
                "error_uri": get("error_uri"),
            });
            return Err(FlowError::Refused {
                url: "the redirect".into(),
                status: None,
                body: body.to_string(),
            });
        }
        respond(
            &mut stream,
            200,
            "Signed in. You can close this window and return to the terminal.",
        )
        .await;
        return get("code").ok_or_else(|| FlowError::Failed("no code".into()));
    }
}

/// The request target of `GET <target> HTTP/1.1`.
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() + n > MAX_HEAD {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next()?.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(t)) if t.starts_with('/') => Some(t.to_owned()),
        _ => None,
    }
}

async fn respond(stream: &mut TcpStream, status: u16, text: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = format!("<!DOCTYPE html><html><head><title>entra-doctor</title></head><body><p>{text}</p></body></html>");
    let resp = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(resp.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn send(port: u16, target: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out).await;
        out
    }

    #[tokio::test]
    async fn redirect_state_is_checked() {
        let lb = Loopback::bind(0).await.unwrap();
        let port: u16 = lb.redirect_uri.rsplit(':').next().unwrap().parse().unwrap();
        let wait = wait_for_redirect(&lb.listener, "good", Duration::from_secs(5));
        let client = async {
            assert!(send(port, "/favicon.ico").await.starts_with("HTTP/1.1 404"));
            send(port, "/?code=c&state=evil").await
        };
        let (r, answer) = tokio::join!(wait, client);
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(matches!(r, Err(FlowError::Failed(m)) if m.contains("state")));

        let lb = Loopback::bind(0).await.unwrap();
        let port: u16 = lb.redirect_uri.rsplit(':').next().unwrap().parse().unwrap();
        let wait = wait_for_redirect(&lb.listener, "good", Duration::from_secs(5));
        let (r, _) = tokio::join!(wait, send(port, "/?code=the-code&state=good"));
        assert_eq!(r.unwrap(), "the-code");

        let lb = Loopback::bind(0).await.unwrap();
        let r = wait_for_redirect(&lb.listener, "good", Duration::from_millis(100)).await;
        assert!(matches!(r, Err(FlowError::Failed(m)) if m.contains("no redirect")));
    }

    #[test]
    fn cookie_jar() {
        let mut jar = Vec::new();
        remember(&mut jar, &["a=1; path=/x; httponly".into(), "b=2".into()]);
        remember(
            &mut jar,
            &["a=; expires=Thu, 01 Jan 1970 00:00:00 GMT".into()],
        );
        assert_eq!(jar, vec![("b".to_owned(), "2".to_owned())]);
    }

    #[test]
    fn page_text_strips_tags() {
        assert_eq!(
            page_text("<p>AADSTS50011: a &amp; b</p><br>x"),
            "AADSTS50011: a & b x"
        );
    }
}
