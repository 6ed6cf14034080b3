//! `entra-doctor serve`: a private token page in the browser, and the same
//! engine as an endpoint for services and reverse proxies.
//!
//! | route | what |
//! |---|---|
//! | `GET /` (+ `/app.js`, `/app.css`) | the page; every asset is built into the binary |
//! | `POST /api/check` | `check --json`'s JSON, plus `decoded` (see [`routes`]) |
//! | `POST /api/explain` | the explanation of an AADSTS error |
//! | `GET /auth` (any method) | for reverse proxies: 200 + `X-Auth-*`, or 401 + `WWW-Authenticate` |
//! | `GET /healthz` | `{"status":"ok", ...}` |
//!
//! The server binds 127.0.0.1 unless told otherwise, keeps no token (no
//! storage, no logs), refuses other Host names on the page and API (DNS
//! rebinding) and cross-origin POSTs, and bounds everything a client sends:
//! header size and count and read time (hyper), body size and rate, request
//! time and requests in flight, with separate capacity for the requests
//! that carry a body and those that do not ([`limits`]).

mod auth;
pub(crate) mod keysource;
mod limits;
mod routes;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use entra_token::Policy;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::error::{CliError, Outcome};
use crate::net::{Online, Plan};

pub use keysource::KeySource;

use crate::pipeline::Remembered;
use crate::verified_cache::{Bounds, VerifiedCache};

/// What `serve` was asked for, already validated.
pub struct Config {
    pub bind: IpAddr,
    pub port: u16,
    pub open: bool,
    pub allow_hosts: Vec<String>,
    /// The rules of GET /auth, and the defaults of POST /api/check.
    pub policy: Policy,
    /// `--at`: a fixed "now" instead of the clock.
    pub fixed_now: Option<i64>,
    pub keys: KeySource,
    /// The network steps (discovery, workspace checks) and their plan.
    pub online: Option<(Arc<Online>, Plan)>,
    /// `--allow-any-workspace-host`: the page may name a workspace outside
    /// the Azure Databricks domains (the token is sent to it).
    pub allow_any_workspace_host: bool,
    /// Entries of the verified-token cache; `None` turns it off.
    pub token_cache_entries: Option<usize>,
    pub max_concurrent: usize,
    pub request_timeout: Duration,
    /// The settings given to `serve` that the page shows pre-filled.
    pub page: PageSettings,
}

/// `GET /api/settings`: what `serve` was given (`--tenant`, `--workspace`,
/// `--audience`, `--client-id`), for the page to pre-fill. No secret here.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PageSettings {
    pub tenant: Option<String>,
    pub workspace: Option<String>,
    pub audience: Option<String>,
    pub client_id: Option<String>,
}

/// What every handler shares.
pub struct AppState {
    pub policy: Policy,
    pub fixed_now: Option<i64>,
    pub keys: KeySource,
    pub online: Option<(Arc<Online>, Plan)>,
    pub allow_any_workspace_host: bool,
    pub token_cache: Option<VerifiedCache<Remembered>>,
    /// Host names the page and API answer to.
    pub allowed_hosts: Vec<String>,
    /// Slots of the requests that carry a body (POST /api/*): slow bodies
    /// can fill these, never the others.
    pub slots: Arc<Semaphore>,
    /// Slots of the requests without a body (GET /auth, /healthz, the page).
    pub bodiless_slots: Arc<Semaphore>,
    pub max_concurrent: usize,
    pub request_timeout: Duration,
    pub page: PageSettings,
}

impl AppState {
    pub fn new(config: Config) -> AppState {
        let mut allowed_hosts: Vec<String> =
            ["127.0.0.1", "localhost", "::1"].map(String::from).into();
        if !config.bind.is_unspecified() && !config.bind.is_loopback() {
            allowed_hosts.push(config.bind.to_string());
        }
        for h in &config.allow_hosts {
            let h = limits::host_name(h).to_owned();
            if !h.is_empty() && !allowed_hosts.iter().any(|a| a.eq_ignore_ascii_case(&h)) {
                allowed_hosts.push(h);
            }
        }
        AppState {
            policy: config.policy.clone(),
            fixed_now: config.fixed_now,
            keys: config.keys,
            online: config.online,
            allow_any_workspace_host: config.allow_any_workspace_host,
            token_cache: config
                .token_cache_entries
                .map(|n| VerifiedCache::new(Bounds::entries(n))),
            allowed_hosts,
            slots: Arc::new(Semaphore::new(config.max_concurrent)),
            bodiless_slots: Arc::new(Semaphore::new(config.max_concurrent)),
            max_concurrent: config.max_concurrent,
            request_timeout: config.request_timeout,
            page: config.page,
        }
    }

    /// "Now": `--at` if given, else the clock.
    pub fn now(&self) -> i64 {
        self.fixed_now.unwrap_or_else(clock)
    }

    /// The configured policy as of `now`.
    pub fn policy_at(&self, now: i64) -> Policy {
        let mut p = self.policy.clone();
        p.now = now;
        p
    }
}

fn clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Makes text safe for a header's quoted string or a one-line message: no
/// control characters (CR and LF above all), no quotes or backslashes, at
/// most `max` characters.
pub fn sanitize(s: &str, max: usize) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_control() {
                ' '
            } else if c == '"' {
                '\''
            } else if c == '\\' {
                '/'
            } else {
                c
            }
        })
        .collect();
    let cleaned: String = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    entra_token::text::clip(&cleaned, max)
}

/// What the start-up needs after the state took the rest.
struct Start {
    bind: IpAddr,
    port: u16,
    open: bool,
}

/// Runs the server until Ctrl-C (or SIGTERM).
pub fn run(mut config: Config) -> Result<Outcome, CliError> {
    let rt = runtime()
        .map_err(|e| CliError::Usage(format!("cannot start the server's runtime: {e}")))?;
    // --workspace without --tenant: /auth requires the workspace's tenant.
    if config.policy.tenant.is_none() {
        if let Some((online, plan)) = &config.online {
            if let Some(ws) = &plan.workspace {
                let found = rt
                    .block_on(crate::net::workspace::tenant(online, ws))
                    .map_err(|m| {
                        CliError::Usage(format!(
                            "cannot find the tenant of the workspace {}: {}; give it with --tenant",
                            ws.display(),
                            crate::net::workspace::miss_text(&m)
                        ))
                    })?;
                config.policy.tenant = Some(found.tenant);
            }
        }
    }
    let start = Start {
        bind: config.bind,
        port: config.port,
        open: config.open,
    };
    let state = Arc::new(AppState::new(config));
    rt.block_on(serve(start, state))
}

/// The server's threads: one per core (at most [`MAX_THREADS`]), each with
/// a single-threaded runtime of its own that serves the connections it is
/// handed from start to end, instead of one work-stealing runtime: the
/// requests a proxy sends on a kept-alive connection gain nothing from
/// moving between threads. Measured with bench/serve-auth.sh on a busy
/// machine: the same CPU time and context switches per request, more
/// requests per second for /auth (see the README). A slow request (a large
/// pasted key set) delays only the connections of its own thread.
fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, MAX_THREADS)
}

/// The most threads the server runs (one per core up to this).
const MAX_THREADS: usize = 64;

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Connections handed to a thread of its own runtime.
type Handoff = tokio::sync::mpsc::UnboundedSender<(std::net::TcpStream, OwnedSemaphorePermit)>;

/// Starts the threads besides this one; each serves the connections it is
/// handed on its own runtime.
fn start_threads(
    http: &http1::Builder,
    app: &axum::Router,
    stop_rx: &watch::Receiver<bool>,
) -> Vec<Handoff> {
    let mut handoffs = Vec::new();
    for _ in 1..threads() {
        let (tx, mut rx) =
            tokio::sync::mpsc::unbounded_channel::<(std::net::TcpStream, OwnedSemaphorePermit)>();
        let (http, app, stop_rx) = (http.clone(), app.clone(), stop_rx.clone());
        // A thread that cannot start leaves its share to the others.
        let Ok(rt) = runtime() else {
            break;
        };
        std::thread::spawn(move || {
            rt.block_on(async move {
                while let Some((stream, permit)) = rx.recv().await {
                    if let Ok(stream) = TcpStream::from_std(stream) {
                        spawn_connection(stream, &http, &app, permit, stop_rx.clone());
                    }
                }
            })
        });
        handoffs.push(tx);
    }
    handoffs
}

/// Serves one connection on the current runtime until it closes or the
/// server stops.
fn spawn_connection(
    stream: TcpStream,
    http: &http1::Builder,
    app: &axum::Router,
    permit: OwnedSemaphorePermit,
    mut stop_rx: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
    tokio::spawn(async move {
        tokio::pin!(conn);
        tokio::select! {
            _ = conn.as_mut() => {}
            _ = stop_rx.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(Duration::from_secs(5), conn.as_mut()).await;
            }
        }
        drop(permit);
    });
}

async fn serve(config: Start, state: Arc<AppState>) -> Result<Outcome, CliError> {
    let want = SocketAddr::new(config.bind, config.port);
    let listener = TcpListener::bind(want)
        .await
        .map_err(|e| CliError::Usage(format!("cannot listen on {want}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Usage(format!("cannot listen on {want}: {e}")))?;
    let url = page_url(addr);
    {
        // The URL first, alone on its line: scripts and tests read it.
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{url}");
        let _ = out.flush();
    }
    announce(&config, &state, &url);
    if config.open {
        open_browser(&url);
    }

    let app = routes::router(state.clone());
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits::HEADER_READ_TIMEOUT)
        .max_header_size(limits::MAX_HEADER_BYTES)
        .max_headers(limits::MAX_HEADERS)
        .keep_alive(true);
    let connections = Arc::new(Semaphore::new(limits::MAX_CONNECTIONS));
    let (stop_tx, stop_rx) = watch::channel(false);
    let handoffs = start_threads(&http, &app, &stop_rx);
    let mut turn = 0usize;
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _peer) = match accepted {
                    Ok(a) => a,
                    Err(_) => {
                        // Out of descriptors or a reset before accept: wait a moment.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let Ok(permit) = connections.clone().try_acquire_owned() else {
                    drop(stream);
                    continue;
                };
                // In turn: this thread, then each of the others.
                turn = (turn + 1) % (handoffs.len() + 1);
                match (turn.checked_sub(1).and_then(|i| handoffs.get(i)), stream.into_std()) {
                    (Some(to), Ok(std_stream)) => {
                        let _ = to.send((std_stream, permit));
                    }
                    (None, Ok(std_stream)) => {
                        if let Ok(stream) = TcpStream::from_std(std_stream) {
                            spawn_connection(stream, &http, &app, permit, stop_rx.clone());
                        }
                    }
                    (_, Err(_)) => {}
                }
            }
            _ = &mut stop => break,
        }
    }
    let _ = stop_tx.send(true);
    drop(listener);
    // Give open connections a moment to finish.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while connections.available_permits() < limits::MAX_CONNECTIONS
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("entra-doctor serve: stopped");
    Ok(Outcome::Ok)
}

fn page_url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

/// Returns on Ctrl-C or, on Unix, SIGTERM (`serve`, and `demo --keep`).
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The start-up message, on standard error (standard output has the URL).
fn announce(config: &Start, state: &AppState, url: &str) {
    let mut lines = vec![
        format!("entra-doctor serve: open {url} (Ctrl-C to stop)"),
        "  the page and POST /api/check, POST /api/explain; GET /auth for reverse proxies; GET /healthz".to_owned(),
    ];
    lines.push(format!("  signing keys: {}", state.keys.describe()));
    if let Some(problem) = state.online.as_ref().and_then(|(o, _)| o.cache.check_dir()) {
        lines.push(format!("  warning: {problem}"));
    }
    lines.push(format!(
        "  /auth accepts audience {}{}",
        state.policy.audiences.join(", "),
        match &state.policy.tenant {
            Some(t) => format!(", tenant {t}"),
            None => String::new(),
        }
    ));
    if state.policy.tenant.is_none() {
        lines.push(
            "  warning: no --tenant: GET /auth accepts tokens of every tenant these keys sign for"
                .to_owned(),
        );
    }
    match &state.token_cache {
        Some(c) => lines.push(format!(
            "  verified-token cache: on, {} entries",
            c.capacity()
        )),
        None => lines.push("  verified-token cache: off".to_owned()),
    }
    if let Some(at) = state.fixed_now {
        lines.push(format!(
            "  clock fixed at {} (--at)",
            entra_token::timefmt::utc(at)
        ));
    }
    if !config.bind.is_loopback() {
        lines.push(format!(
            "  warning: listening on {}, not loopback: other machines can reach /auth and /healthz; the page and API answer only to {}",
            config.bind,
            state.allowed_hosts.join(", ")
        ));
    }
    let mut err = anstream::stderr();
    for l in lines {
        use std::io::Write;
        let _ = writeln!(err, "{l}");
    }
}

/// Opens the page in the default browser; a failure is only reported.
fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open").arg(url).spawn()
    } else if cfg!(windows) {
        std::process::Command::new("cmd")
            .args(["/C", "start", "", url])
            .spawn()
    } else {
        std::process::Command::new("xdg-open").arg(url).spawn()
    };
    match cmd {
        Ok(mut child) => {
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
        Err(e) => eprintln!("entra-doctor serve: cannot open a browser ({e}); open {url} yourself"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_removes_line_breaks_and_quotes() {
        assert_eq!(sanitize("a\r\nb \"c\" \\d", 100), "a b 'c' /d");
        assert_eq!(sanitize(&"x".repeat(500), 10).chars().count(), 10);
    }
}
