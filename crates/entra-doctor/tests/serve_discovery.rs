#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `serve` without --jwks: GET /auth and POST /api/check find the keys by
//! OpenID discovery, through the shared cache, against the emulator on
//! 127.0.0.1. One fetch serves every request waiting for it.

use crate::serve_support;

use entra_emulator::{
    Emulator, EmulatorConfig, MintRequest, RunningEmulator, DEMO_TENANT_ID, DEMO_USER,
};
use serde_json::json;
use serve_support::Server;

struct Setup {
    emu: RunningEmulator,
    _cache: tempfile::TempDir,
    server: Server,
}

fn setup(extra: &[&str]) -> Setup {
    let emu = Emulator::start_blocking(EmulatorConfig::default()).expect("emulator starts");
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().display().to_string();
    let mut args = vec![
        "--authority",
        emu.base_url(),
        "--test-resolve",
        "localhost=127.0.0.1",
        "--cache-dir",
        &cache_dir,
    ];
    args.extend_from_slice(extra);
    let server = Server::start_with(&args);
    Setup {
        emu,
        _cache: cache,
        server,
    }
}

fn paths() -> (String, String) {
    (
        format!("/{DEMO_TENANT_ID}/.well-known/openid-configuration"),
        format!("/{DEMO_TENANT_ID}/discovery/keys"),
    )
}

/// Sends the same request from `n` threads at once; the statuses.
fn burst(s: &Server, n: usize, token: &str) -> Vec<u16> {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (addr, token, b) = (s.addr, token.to_owned(), barrier.clone());
            std::thread::spawn(move || {
                let req = format!("GET /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
                b.wait();
                serve_support::send(addr, req.as_bytes()).status
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn one_fetch_serves_every_waiting_request() {
    let s = setup(&["--tenant", DEMO_TENANT_ID]);
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let codes = burst(&s.server, 40, &token);
    assert!(codes.iter().all(|&c| c == 200), "{codes:?}");
    let (disc, keys) = paths();
    assert_eq!(
        s.emu.request_count(&disc),
        1,
        "{:?}",
        s.emu.request_counts()
    );
    assert_eq!(
        s.emu.request_count(&keys),
        1,
        "{:?}",
        s.emu.request_counts()
    );
    // Later requests: no fetch at all.
    let r = s.server.auth(Some(&token));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-auth-user"), Some(DEMO_USER));
    assert_eq!(r.header("x-auth-tenant"), Some(DEMO_TENANT_ID));
    assert_eq!(s.emu.request_count(&keys), 1);
    assert_eq!(s.server.get("/healthz", &[]).json()["keys"], "discovery");
}

#[test]
fn an_unknown_kid_does_not_make_every_request_fetch() {
    let s = setup(&[
        "--tenant",
        DEMO_TENANT_ID,
        "--audience",
        "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d",
        "--audience",
        "https://api.example.invalid/",
    ]);
    let (_, keys) = paths();
    assert_eq!(
        s.server
            .auth(Some(&s.emu.mint(&MintRequest::user(DEMO_USER))))
            .status,
        200
    );
    s.emu.rotate_keys(DEMO_TENANT_ID, false).unwrap();
    // A token signed with the new key whose audience is no application ID
    // (no application key set to try): the set was fetched seconds ago, so
    // it is not refetched (the shared cache's throttle), however many
    // requests ask.
    let new = s
        .emu
        .mint(&MintRequest::user(DEMO_USER).audience("https://api.example.invalid/"));
    let codes = burst(&s.server, 20, &new);
    assert!(codes.iter().all(|&c| c == 401), "{codes:?}");
    assert_eq!(
        s.emu.request_count(&keys),
        1,
        "{:?}",
        s.emu.request_counts()
    );
    let r = s.server.auth(Some(&new));
    assert!(
        r.header("www-authenticate")
            .unwrap()
            .contains("signature: "),
        "{r:?}"
    );
    // With an application audience, the application's key URL (served with
    // the tenant's current keys) is fetched once for all of them.
    let with_app = s.emu.mint(&MintRequest::user(DEMO_USER));
    let codes = burst(&s.server, 20, &with_app);
    assert!(codes.iter().all(|&c| c == 200), "{codes:?}");
    assert_eq!(
        s.emu.request_count(&keys),
        2,
        "{:?}",
        s.emu.request_counts()
    );
}

#[test]
fn tokens_of_other_tenants_make_no_request() {
    let s = setup(&["--tenant", "11111111-2222-3333-4444-555555555555"]);
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = s.server.auth(Some(&token));
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().contains("issuer: "));
    assert!(
        s.emu.request_counts().is_empty(),
        "{:?}",
        s.emu.request_counts()
    );
}

#[test]
fn the_page_checks_through_discovery_too() {
    let s = setup(&[]);
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let v = s
        .server
        .post_json(
            "/api/check",
            &json!({ "token": token, "tenant": DEMO_TENANT_ID }).to_string(),
        )
        .json();
    assert_eq!(v["keys"], "discovery", "{v}");
    assert_eq!(v["valid"], true, "{v}");
    let checks: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert!(checks.contains(&"discovery"), "{checks:?}");
    // A workspace of the emulator: its tenant and the membership, as `check --workspace`.
    let ws = s.emu.workspace_url(entra_emulator::DEMO_WORKSPACE).unwrap();
    let r = s.server.post_json(
        "/api/check",
        &json!({ "token": token, "workspace": ws }).to_string(),
    );
    // The emulator's workspace host is not an Azure Databricks domain: refused
    // unless the server allows any host.
    assert_eq!(r.status, 400, "{}", r.text());
    let s2 = setup(&["--allow-any-workspace-host"]);
    let token = s2.emu.mint(&MintRequest::user(DEMO_USER));
    let ws = s2
        .emu
        .workspace_url(entra_emulator::DEMO_WORKSPACE)
        .unwrap();
    let v = s2
        .server
        .post_json(
            "/api/check",
            &json!({ "token": token, "workspace": ws }).to_string(),
        )
        .json();
    let checks: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["check"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert!(checks.contains(&("workspace", "pass")), "{v}");
    assert!(checks.contains(&("tenant", "pass")), "{v}");
    assert!(checks.iter().any(|(c, _)| *c == "membership"), "{v}");
}

#[test]
fn a_workspace_gives_auth_its_tenant() {
    let emu = Emulator::start_blocking(EmulatorConfig::default()).expect("emulator starts");
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().display().to_string();
    let ws = emu.workspace_url(entra_emulator::DEMO_WORKSPACE).unwrap();
    let server = Server::start_with(&[
        "--authority",
        emu.base_url(),
        "--test-resolve",
        "localhost=127.0.0.1",
        "--cache-dir",
        &cache_dir,
        "--workspace",
        &ws,
        "--allow-any-workspace-host",
    ]);
    let token = emu.mint(&MintRequest::user(DEMO_USER));
    let r = server.auth(Some(&token));
    assert_eq!(r.status, 200, "{r:?}");
    // Looked up once, at start.
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(
        server
            .stderr()
            .contains(&format!("tenant {DEMO_TENANT_ID}")),
        "{}",
        server.stderr()
    );
    // A workspace that cannot be reached: serve does not start.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_entra-doctor"))
        .args([
            "serve",
            "--workspace",
            "http://127.0.0.1:9",
            "--allow-any-workspace-host",
            "--no-cache",
            "--connect-timeout",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot find the tenant of the workspace"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unknown_tenant_storm_makes_few_fetches() {
    // No --tenant: every issuer's keys are looked up. 100 requests naming a
    // tenant Entra does not know (a burst, then one after another) must not
    // make 100 discovery fetches: the failure is remembered.
    let s = setup(&[]);
    const UNKNOWN: &str = "0badc0de-1111-4222-8333-444455556666";
    let token = s
        .emu
        .mint(&MintRequest::user(DEMO_USER).issuer(format!("https://sts.windows.net/{UNKNOWN}/")));
    let mut codes = burst(&s.server, 50, &token);
    for _ in 0..50 {
        codes.push(s.server.auth(Some(&token)).status);
    }
    assert!(codes.iter().all(|&c| c == 401), "{codes:?}");
    let r = s.server.auth(Some(&token));
    let why = r.header("www-authenticate").unwrap();
    assert!(why.contains("does not know the token"), "{why}");
    let disc = format!("/{UNKNOWN}/.well-known/openid-configuration");
    let hits = s.emu.request_count(&disc);
    assert!(
        (1..=3).contains(&hits),
        "{hits} fetches: {:?}",
        s.emu.request_counts()
    );
    // The tenant the emulator knows still works at once.
    let good = s.emu.mint(&MintRequest::user(DEMO_USER));
    assert_eq!(s.server.auth(Some(&good)).status, 200);
}

#[test]
fn many_unknown_tenants_are_bounded_by_the_global_fetch_rate() {
    // A distinct made-up tenant per request: each is a new URL, so only the
    // global budget (a burst, then a few a second) bounds the fetches.
    let s = setup(&[]);
    let tokens: Vec<String> = (0..120)
        .map(|i| {
            s.emu.mint(&MintRequest::user(DEMO_USER).issuer(format!(
                "https://sts.windows.net/0badc0de-1111-4222-8333-{i:012}/"
            )))
        })
        .collect();
    let started = std::time::Instant::now();
    let mut refused_or_busy = 0;
    for t in &tokens {
        match s.server.auth(Some(t)).status {
            401 | 503 => refused_or_busy += 1,
            other => panic!("{other}"),
        }
    }
    assert_eq!(refused_or_busy, tokens.len());
    let secs = started.elapsed().as_secs_f64();
    let fetched: u64 = s
        .emu
        .request_counts()
        .iter()
        .filter(|(k, _)| k.contains("0badc0de"))
        .map(|(_, v)| v)
        .sum();
    let bound = 32.0 + 4.0 * secs + 1.0;
    assert!(
        (fetched as f64) <= bound && fetched >= 32,
        "{fetched} fetches in {secs:.1} s (bound {bound:.0})"
    );
}

#[test]
fn auth_refuses_a_token_signed_with_the_configured_clients_own_key() {
    // The server is configured with a client ID whose application has its
    // own signing key; a token for Azure Databricks signed with that key is
    // a forgery by the application's owner: 401, no X-Auth-User.
    let s = setup(&["--client-id", entra_emulator::DEMO_APP_WITH_KEYS]);
    let forged = s.emu.mint(&MintRequest::user(DEMO_USER).key(
        entra_emulator::KeyChoice::AppSpecific(entra_emulator::DEMO_APP_WITH_KEYS.into()),
    ));
    let r = s.server.auth(Some(&forged));
    assert_eq!(r.status, 401, "{}", r.text());
    assert!(r.header("x-auth-user").is_none());
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("signature: "));
    let app_keys = format!(
        "/{DEMO_TENANT_ID}/discovery/keys?appid={}",
        entra_emulator::DEMO_APP_WITH_KEYS
    );
    assert_eq!(s.emu.request_count(&app_keys), 0);
    // The page's API agrees.
    let v = s
        .server
        .post_json("/api/check", &json!({ "token": forged }).to_string())
        .json();
    assert_eq!(v["valid"], false, "{v}");
    // A real token still passes.
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    assert_eq!(s.server.auth(Some(&token)).status, 200);
}

#[test]
fn odd_tenants_are_refused_by_auth_and_the_api_without_a_request() {
    let s = setup(&[]);
    for t in ["x_y", "a b", "..x"] {
        let token = s.emu.mint(
            &MintRequest::user(DEMO_USER)
                .claim("tid", t)
                .issuer(format!("https://sts.windows.net/{t}/")),
        );
        let r = s.server.auth(Some(&token));
        assert_eq!(r.status, 401, "{t}: {}", r.text());
        let v = s
            .server
            .post_json("/api/check", &json!({ "token": token }).to_string())
            .json();
        assert_eq!(v["valid"], false, "{t}: {v}");
        let tenant = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == "tenant")
            .unwrap();
        assert_eq!(tenant["status"], "fail", "{t}: {v}");
    }
    assert!(
        s.emu.request_counts().is_empty(),
        "{:?}",
        s.emu.request_counts()
    );
}

#[test]
fn api_check_without_keys_is_never_valid() {
    // Offline and nothing cached: no keys at all.
    let emu = Emulator::start_blocking(EmulatorConfig::default()).expect("emulator starts");
    let server = Server::start(&[]);
    let token = emu.mint(&MintRequest::user(DEMO_USER));
    let v = server
        .post_json(
            "/api/check",
            &json!({ "token": token, "tenant": DEMO_TENANT_ID }).to_string(),
        )
        .json();
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["claims_valid"], true, "{v}");
    assert_eq!(v["keys"], "none", "{v}");
    assert_eq!(server.auth(Some(&token)).status, 503);
    // alg none fails outright, keys or not.
    let payload = token.split('.').nth(1).unwrap();
    let none = format!(
        "{}.{payload}.",
        serve_support::b64url(br#"{"alg":"none","typ":"JWT"}"#)
    );
    let v = server
        .post_json("/api/check", &json!({ "token": none }).to_string())
        .json();
    assert_eq!(v["valid"], false, "{v}");
    assert!(
        v["failed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "signature" || c == "format"),
        "{v}"
    );
}
