#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Fault injection and request counters.

use crate::common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::{client, get_status, no_redirect_client};
use entra_emulator::{Fault, MintRequest, TokenVersion, DEMO_TENANT_ID, DEMO_USER, DEMO_WORKSPACE};

fn keys_path() -> String {
    format!("/{DEMO_TENANT_ID}/discovery/keys")
}

#[tokio::test]
async fn counters_count_every_request() {
    let emu = common::start_demo().await;
    let url = emu.jwks_url(DEMO_TENANT_ID, TokenVersion::V1);
    assert_eq!(emu.total_requests(), 0);
    for _ in 0..3 {
        client().get(&url).send().await.expect("get");
    }
    client()
        .get(format!("{url}?appid=x"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        emu.request_count(&keys_path()),
        4,
        "query strings are not part of the path"
    );
    assert_eq!(emu.request_count("/nowhere"), 0);
    client()
        .get(format!("{}/nowhere", emu.base_url()))
        .send()
        .await
        .expect("get");
    assert_eq!(emu.request_count("/nowhere"), 1);
    assert_eq!(emu.total_requests(), 5);
    assert_eq!(emu.request_counts().get(&keys_path()), Some(&4));
    emu.reset_request_counts();
    assert_eq!(emu.total_requests(), 0);
    emu.shutdown_async().await;
}

#[tokio::test]
async fn status_garbage_oversized_and_redirect_faults() {
    let emu = common::start_demo().await;
    let url = emu.jwks_url(DEMO_TENANT_ID, TokenVersion::V1);

    emu.set_fault(
        &keys_path(),
        Fault::status(503, r#"{"error":"temporarily_unavailable"}"#),
    );
    let r = client().get(&url).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 503);
    assert!(r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json")));
    assert_eq!(
        r.text().await.expect("body"),
        r#"{"error":"temporarily_unavailable"}"#
    );
    // Other paths are untouched.
    let other = emu.discovery_url(DEMO_TENANT_ID, TokenVersion::V1);
    assert_eq!(get_status(&other).await, 200);

    emu.set_fault(&keys_path(), Fault::Garbage);
    let r = client().get(&url).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 200);
    let body = r.bytes().await.expect("body");
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());

    emu.set_fault(&keys_path(), Fault::oversized());
    let r = client().get(&url).send().await.expect("get");
    let body = r.bytes().await.expect("body");
    assert_eq!(body.len(), 2 * 1024 * 1024);
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok());

    emu.set_fault(&keys_path(), Fault::RedirectLoop);
    let r = no_redirect_client()
        .get(format!("{url}?appid=1"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some(format!("{}?appid=1", keys_path()).as_str())
    );
    let err = client()
        .get(&url)
        .send()
        .await
        .expect_err("too many redirects");
    assert!(err.is_redirect(), "{err}");

    emu.clear_faults();
    assert_eq!(get_status(&url).await, 200);

    // A fault for the next request only.
    emu.set_fault_times("/", Fault::status(500, "boom"), 1);
    let r = client().get(&url).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 500);
    assert_eq!(r.text().await.expect("text"), "boom");
    assert_eq!(get_status(&url).await, 200);
    emu.shutdown_async().await;
}

#[tokio::test]
async fn stall_outlasts_the_client_timeout_and_ends_at_shutdown() {
    let emu = common::start_demo().await;
    let url = emu.jwks_url(DEMO_TENANT_ID, TokenVersion::V1);
    emu.set_fault(&keys_path(), Fault::stall());
    let quick = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let t0 = Instant::now();
    let err = quick.get(&url).send().await.expect_err("timeout");
    assert!(err.is_timeout(), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(5));

    // A delayed answer arrives, late.
    emu.set_fault(&keys_path(), Fault::Delay(Duration::from_millis(400)));
    let t0 = Instant::now();
    let r = client().get(&url).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 200);
    assert!(t0.elapsed() >= Duration::from_millis(400));

    // A stalled request in flight does not hold up shutdown.
    emu.set_fault(&keys_path(), Fault::stall());
    let pending = tokio::spawn({
        let url = url.clone();
        async move { client().get(&url).send().await.map(|r| r.status().as_u16()) }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t0 = Instant::now();
    emu.shutdown_async().await;
    assert!(t0.elapsed() < Duration::from_secs(10));
    let outcome = tokio::time::timeout(Duration::from_secs(10), pending)
        .await
        .expect("the stalled request ended")
        .expect("join");
    assert!(matches!(outcome, Ok(504) | Err(_)), "{outcome:?}");
}

#[tokio::test]
async fn close_connection_sends_nothing() {
    let emu = common::start_demo().await;
    let url = emu.jwks_url(DEMO_TENANT_ID, TokenVersion::V1);
    emu.set_fault(&keys_path(), Fault::CloseConnection);
    let err = client().get(&url).send().await.expect_err("no response");
    assert!(!err.is_timeout(), "{err}");
    assert!(err.status().is_none());

    // At the TCP level: the connection ends without a single byte.
    let addr = emu.base_url().trim_start_matches("http://").to_owned();
    let path = keys_path();
    let received = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("write");
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        buf
    })
    .await
    .expect("join");
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );

    // The listener still serves other connections.
    emu.clear_faults();
    assert_eq!(get_status(&url).await, 200);
    emu.shutdown_async().await;
}

#[tokio::test]
async fn workspace_faults_are_separate() {
    let emu = common::start_demo().await;
    let ws = emu.workspace_url(DEMO_WORKSPACE).expect("ws");
    emu.set_workspace_fault(
        DEMO_WORKSPACE,
        "/api/",
        Fault::status(
            429,
            r#"{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}"#,
        ),
    )
    .expect("fault");
    assert!(emu
        .set_workspace_fault("nope", "/", Fault::Garbage)
        .is_err());
    let token = emu.mint(&MintRequest::user(DEMO_USER));
    let r = client()
        .get(format!("{ws}/api/2.0/preview/scim/v2/Me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 429);
    // /aad/auth on the workspace and the Entra listener are unaffected.
    let r = no_redirect_client()
        .get(format!("{ws}/aad/auth"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 302);
    let r = client()
        .get(emu.jwks_url(DEMO_TENANT_ID, TokenVersion::V2))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(emu.workspace_request_count(DEMO_WORKSPACE, "/aad/auth"), 1);
    emu.shutdown_async().await;
}
