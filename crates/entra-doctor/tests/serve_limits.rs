#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `serve`: bounds on what a client can make the server do: header size,
//! requests in flight, request time.

mod serve_support;

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
fn too_many_requests_at_once_get_503_with_a_message() {
    let s = Server::with_examples(&["--max-concurrent", "1"]);
    let mut held = stalled_post(&s);
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let r = s.get("/healthz", &[]);
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
    assert_eq!(s.get("/healthz", &[]).status, 200);
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
