#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `serve`: bounds on what a client can make the server do: header size,
//! requests in flight (with and without a body), request time, body rate.

use crate::serve_support;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serve_support::{read_response, Server};

/// Opens a POST whose body never comes: the request holds its slot.
fn stalled_post(s: &Server) -> TcpStream {
    let mut c = TcpStream::connect(s.addr).unwrap();
    let head = format!(
        "POST /api/check HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"tok",
        s.host()
    );
    c.write_all(head.as_bytes()).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    c
}

#[test]
fn huge_headers_get_431() {
    let s = Server::with_examples(&[]);
    let big = "a".repeat(100 * 1024);
    let r = s.get("/auth", &[("Authorization", &format!("Bearer {big}"))]);
    assert_eq!(r.status, 431);
    // Too many header fields, too.
    let many: Vec<(String, String)> = (0..200)
        .map(|i| (format!("X-H{i}"), "v".to_owned()))
        .collect();
    let refs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = s.get("/healthz", &refs);
    assert_eq!(r.status, 431);
    // A 64 KiB token still fits (the engine's own limit answers).
    let t = format!(
        "{}.{}.{}",
        "a".repeat(30_000),
        "b".repeat(30_000),
        "c".repeat(5_000)
    );
    let r = s.get("/auth", &[("Authorization", &format!("Bearer {t}"))]);
    assert_eq!(r.status, 401);
    assert_eq!(s.get("/healthz", &[]).status, 200);
}

#[test]
fn too_many_requests_with_a_body_get_503_while_auth_and_healthz_answer() {
    let s = Server::with_examples(&["--max-concurrent", "1"]);
    let mut held = stalled_post(&s);
    std::thread::sleep(Duration::from_millis(200));
    // The request without a body has slots of its own: answered at once.
    let started = Instant::now();
    assert_eq!(s.get("/healthz", &[]).status, 200);
    let token = serve_support::example("databricks-token.jwt");
    assert_eq!(s.auth(Some(&token)).status, 200);
    assert!(started.elapsed() < Duration::from_millis(900));
    // Another request with a body waits for a slot, then gets 503.
    let started = Instant::now();
    let r = s.post_json("/api/explain", r#"{"input": "AADSTS65001"}"#);
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for a slot first"
    );
    assert_eq!(r.header("retry-after"), Some("1"));
    let v = r.json();
    assert_eq!(v["error"], "busy");
    assert!(v["message"].as_str().unwrap().contains("retry"));
    // Once the stalled request ends, requests go through again.
    held.write_all(b"en\": \"x\"}").unwrap();
    held.write_all(&[b' '; 100]).unwrap();
    let _ = read_response(&mut held);
    let r = s.post_json("/api/explain", r#"{"input": "AADSTS65001"}"#);
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn slow_bodies_do_not_starve_auth_and_healthz() {
    // More connections trickling bodies (1 byte a second) than there are
    // slots: /auth and /healthz still answer at once, and each slow body
    // gets 408 after the grace, not after the 30 s request timeout.
    const SLOW: usize = 520;
    let s = Server::with_examples(&[]);
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..SLOW).map(|_| stalled_post(&s)).collect();
    let token = serve_support::example("databricks-token.jwt");
    for second in 0..4 {
        for c in &mut slow {
            let _ = c.write_all(b"e");
        }
        let t = Instant::now();
        let h = s.get("/healthz", &[]);
        assert_eq!(h.status, 200, "{}", h.text());
        assert_eq!(s.auth(Some(&token)).status, 200);
        assert_eq!(s.auth(Some("not.a.token")).status, 401);
        assert!(
            t.elapsed() < Duration::from_millis(800),
            "second {second}: answered in {:?}",
            t.elapsed()
        );
        std::thread::sleep(Duration::from_millis(1000).saturating_sub(t.elapsed()));
    }
    // Every slow body holding a slot is refused as too slow, within
    // seconds; the ones beyond the 512 slots got 503 at once.
    let mut too_slow = 0;
    for c in &mut slow {
        let r = read_response(c);
        match r.status {
            408 => {
                assert_eq!(r.json()["error"], "slow_body", "{}", r.text());
                too_slow += 1;
            }
            503 => assert_eq!(r.json()["error"], "busy", "{}", r.text()),
            other => panic!("{other}: {}", r.text()),
        }
    }
    assert_eq!(too_slow, 512);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    // And a body sent at once is still read.
    let r = s.post_json("/api/explain", r#"{"input": "AADSTS65001"}"#);
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn a_request_that_takes_too_long_gets_408() {
    let s = Server::with_examples(&["--request-timeout", "1"]);
    let started = Instant::now();
    let mut c = stalled_post(&s);
    let r = read_response(&mut c);
    assert_eq!(r.status, 408, "{}", r.text());
    assert_eq!(r.json()["error"], "timeout");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(s.get("/healthz", &[]).status, 200);
}

#[test]
fn many_clients_at_once_are_all_answered() {
    let s = Server::with_examples(&[]);
    let token = serve_support::example("databricks-token.jwt");
    let handles: Vec<_> = (0..32)
        .map(|i| {
            let addr = s.addr;
            let token = token.clone();
            std::thread::spawn(move || {
                let t = if i % 2 == 0 { token } else { "bad".to_owned() };
                let req = format!("GET /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nConnection: close\r\n\r\n");
                serve_support::send(addr, req.as_bytes()).status
            })
        })
        .collect();
    let codes: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 16);
    assert_eq!(codes.iter().filter(|&&c| c == 401).count(), 16);
}

#[test]
fn a_busy_port_and_bad_flags_are_clear_errors() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_entra-doctor"))
        .args(["serve", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on 127.0.0.1:"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_entra-doctor"))
        .args(["serve", "--max-concurrent", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-concurrent"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_entra-doctor"))
        .args(["serve", "--jwks", "/nonexistent/jwks.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
