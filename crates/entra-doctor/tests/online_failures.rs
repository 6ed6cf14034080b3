#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Online `check`, failures: each class of network failure, injected by the
//! emulator or met on 127.0.0.1, ends within its bound, names the step, the
//! URL and the cause, leaves the other findings standing, and exits 2.

use crate::online_common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use entra_emulator::{Fault, MintRequest, DEMO_TENANT_ID, DEMO_USER, DEMO_WORKSPACE};
use online_common::{closed_port, Run, Setup};

/// The bound given to each run (`--timeout`, `--connect-timeout`).
const BOUND_SECS: u64 = 1;

/// The bound plus a margin for starting the process on a loaded machine.
fn bound() -> Duration {
    Duration::from_secs(BOUND_SECS) + Duration::from_secs(6)
}

fn bounded(c: online_common::Cmd) -> online_common::Cmd {
    c.args([
        "--timeout",
        &BOUND_SECS.to_string(),
        "--connect-timeout",
        &BOUND_SECS.to_string(),
    ])
}

/// The keys could not be fetched: discovery skip naming the cause, the
/// signature skipped, every other token finding intact, exit 2.
fn keys_unavailable(r: &Run, cause: &str) {
    r.expect_code(2).within(bound());
    r.expect("discovery", "skip")
        .expect_msg("discovery", cause)
        .expect("signature", "skip");
    for c in ["format", "audience", "issuer", "lifetime", "identity"] {
        r.expect(c, "pass");
    }
    assert_eq!(r.json["complete"], false);
    assert_eq!(
        r.json["claims_valid"], true,
        "a network failure is not a failed finding"
    );
    assert_eq!(
        r.json["valid"], false,
        "but a token whose signature was not verified is not valid"
    );
}

fn demo_with(prefix: &str, fault: Fault) -> (Setup, String) {
    let s = Setup::demo();
    s.emu.set_fault(prefix, fault);
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    (s, token)
}

#[test]
fn closed_port_is_a_connection_failure() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let authority = format!("http://127.0.0.1:{}", closed_port());
    let r = bounded(s.check_at(Some(&authority))).run(&token);
    keys_unavailable(&r, "connection refused");
    r.expect_msg("discovery", "OpenID discovery")
        .expect_msg("discovery", &authority);
}

#[test]
fn unanswered_connection_times_out_connecting() {
    // A listener with a backlog of 0, filled, and never accepting: new
    // connections get no answer to their SYN and hang.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (listener, fillers) = rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = sock.listen(0).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut fillers = Vec::new();
        for _ in 0..4 {
            if let Ok(Ok(c)) = tokio::time::timeout(
                Duration::from_millis(200),
                tokio::net::TcpStream::connect(addr),
            )
            .await
            {
                fillers.push(c);
            }
        }
        (listener, fillers)
    });
    let port = listener.local_addr().unwrap().port();
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = s
        .check_at(Some(&format!("http://127.0.0.1:{port}")))
        .args(["--connect-timeout", "1", "--timeout", "10"])
        .run(&token);
    keys_unavailable(&r, "timed out connecting after 1 s");
    drop((listener, fillers));
}

#[test]
fn stalled_server_times_out_within_the_bound() {
    let (s, token) = demo_with("/", Fault::stall());
    let r = bounded(s.check()).run(&token);
    keys_unavailable(&r, "timed out");
    r.expect_msg("discovery", &format!("within {BOUND_SECS} s"));
}

#[test]
fn server_error_is_named_with_its_status() {
    let (s, token) = demo_with("/", Fault::status(500, "internal failure, try later"));
    let r = bounded(s.check()).run(&token);
    keys_unavailable(&r, "HTTP 500");
    r.expect_msg("discovery", "internal failure");
}

#[test]
fn garbage_is_not_json() {
    let (s, token) = demo_with("/", Fault::Garbage);
    let r = bounded(s.check()).run(&token);
    keys_unavailable(&r, "not JSON");
}

#[test]
fn oversized_body_is_refused() {
    let (s, token) = demo_with("/", Fault::oversized());
    let r = bounded(s.check()).run(&token);
    keys_unavailable(&r, "over the limit of 1048576 bytes");
}

#[test]
fn redirect_loop_is_detected() {
    let (s, token) = demo_with("/", Fault::RedirectLoop);
    let r = bounded(s.check()).run(&token);
    keys_unavailable(&r, "redirect loop");
    assert_eq!(
        s.emu.request_count(&format!(
            "/{DEMO_TENANT_ID}/.well-known/openid-configuration"
        )),
        1
    );
}

#[test]
fn closed_connection_is_named() {
    let (s, token) = demo_with("/", Fault::CloseConnection);
    let r = bounded(s.check()).run(&token);
    keys_unavailable(&r, "closed the connection");
}

#[test]
fn wrong_shape_is_named() {
    let (s, token) = demo_with("/", Fault::status(200, r#"{"issuer": "x"}"#));
    let r = bounded(s.check()).run(&token);
    keys_unavailable(&r, "no 'jwks_uri'");
}

#[test]
fn key_set_failure_names_the_keys_step() {
    let (s, token) = demo_with(
        &format!("/{DEMO_TENANT_ID}/discovery/keys"),
        Fault::status(503, "busy"),
    );
    let r = bounded(s.check()).run(&token);
    keys_unavailable(&r, "signing keys: GET");
    r.expect_msg("discovery", "HTTP 503");
}

#[test]
fn unusable_key_set_is_named() {
    let (s, token) = demo_with(
        &format!("/{DEMO_TENANT_ID}/discovery/keys"),
        Fault::status(200, r#"{"keys": []}"#),
    );
    let r = bounded(s.check()).run(&token);
    keys_unavailable(&r, "not a usable key set");
}

#[test]
fn dns_failure_is_named() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    // The default authority; the static host table knows only localhost.
    let r = bounded(s.check_at(None)).run(&token);
    keys_unavailable(&r, "DNS lookup failed");
    r.expect_msg("discovery", "https://login.microsoftonline.com/");
}

#[test]
fn tls_failure_is_named() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    // https to a plain-http server: the TLS handshake fails.
    let authority = s.emu.base_url().replace("http://", "https://");
    let r = bounded(s.check_at(Some(&authority))).run(&token);
    keys_unavailable(&r, "TLS error");
}

#[test]
fn slow_answer_body_times_out() {
    // A server that sends headers and then trickles the body forever.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten().take(2) {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                let _ = conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{");
                for _ in 0..100 {
                    std::thread::sleep(Duration::from_millis(100));
                    if conn.write_all(b" ").is_err() {
                        return;
                    }
                }
            });
        }
    });
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = bounded(s.check_at(Some(&format!("http://127.0.0.1:{port}")))).run(&token);
    keys_unavailable(&r, "timed out");
}

#[test]
fn workspace_failures_leave_the_token_findings() {
    let s = Setup::demo();
    s.emu
        .set_workspace_fault(DEMO_WORKSPACE, "/", Fault::stall())
        .unwrap();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = bounded(s.check_ws(DEMO_WORKSPACE)).run(&token);
    r.expect_code(2).within(bound());
    r.expect("workspace", "skip")
        .expect_msg("workspace", "workspace tenant: GET")
        .expect_msg("workspace", "/aad/auth");
    r.expect("membership", "skip")
        .expect_msg("membership", "timed out")
        .expect_msg("membership", "/api/2.0/preview/scim/v2/Me");
    r.expect("tenant", "skip")
        .expect_msg("tenant", "could not be found");
    for c in [
        "discovery",
        "signature",
        "audience",
        "issuer",
        "lifetime",
        "identity",
    ] {
        r.expect(c, "pass");
    }
}

#[test]
fn workspace_that_is_not_azure_databricks() {
    let s = Setup::demo();
    s.emu
        .set_workspace_fault(
            DEMO_WORKSPACE,
            "/aad/auth",
            Fault::status(200, "<html>welcome</html>"),
        )
        .unwrap();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = bounded(s.check_ws(DEMO_WORKSPACE)).run(&token);
    r.expect_code(2).expect("workspace", "skip").expect_msg(
        "workspace",
        "does not look like an Azure Databricks workspace",
    );
    r.expect("membership", "pass");
}

#[test]
fn workspace_server_error_with_a_configured_tenant() {
    let s = Setup::demo();
    s.emu
        .set_workspace_fault(DEMO_WORKSPACE, "/", Fault::status(502, "bad gateway"))
        .unwrap();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = bounded(s.check_ws(DEMO_WORKSPACE))
        .args(["--tenant", DEMO_TENANT_ID])
        .run(&token);
    // The configured tenant stands in: the tenant rule still runs.
    r.expect_code(2)
        .expect("tenant", "pass")
        .expect("workspace", "skip")
        .expect_msg("workspace", "--tenant is used instead");
    r.expect("membership", "skip")
        .expect_msg("membership", "HTTP 502");
}

#[test]
fn a_failed_finding_and_a_failed_step_exit_2() {
    let s = Setup::demo();
    s.emu
        .set_workspace_fault(DEMO_WORKSPACE, "/api/", Fault::status(500, "oops"))
        .unwrap();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER).expired(7200));
    let r = bounded(s.check_ws(DEMO_WORKSPACE)).run(&token);
    r.expect("lifetime", "fail").expect("membership", "skip");
    r.expect_code(2);
    assert_eq!(r.json["valid"], false);
}
