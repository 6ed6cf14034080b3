#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `serve`: GET /auth, the reverse-proxy endpoint.

use crate::serve_support;

use serve_support::{example, Resp, Server, TENANT};

fn description(r: &Resp) -> String {
    let h = r
        .header("www-authenticate")
        .unwrap_or_else(|| panic!("no WWW-Authenticate: {r:?}"));
    assert!(
        h.starts_with("Bearer realm=\"entra-doctor\", error=\""),
        "{h}"
    );
    let d = h
        .split("error_description=\"")
        .nth(1)
        .expect("error_description");
    d.strip_suffix('"').expect("closing quote").to_owned()
}

fn b64(bytes: &[u8]) -> String {
    serve_support::b64url(bytes)
}

/// A token with the example's payload and signature but another header:
/// the signature cannot verify, and the header says what we want.
fn with_header(header: &serde_json::Value) -> String {
    let t = example("databricks-token.jwt");
    let mut parts = t.split('.');
    let (_, p, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    format!("{}.{p}.{s}", b64(header.to_string().as_bytes()))
}

#[test]
fn a_valid_token_gets_200_with_who_it_is() {
    let s = Server::with_examples(&[]);
    let r = s.auth(Some(&example("databricks-token.jwt")));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("x-auth-user"), Some("ada@contoso.example"));
    assert_eq!(r.header("x-auth-tenant"), Some(TENANT));
    assert_eq!(r.header("x-auth-principal-type"), Some("user"));
    assert_eq!(
        r.header("x-auth-object-id"),
        Some("0b8e4c7a-1f2d-4e3b-9a5c-6d7e8f901234")
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(r.header("www-authenticate").is_none());

    let r = s.auth(Some(&example("service-principal-token.jwt")));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("x-auth-principal-type"), Some("service_principal"));
    assert_eq!(
        r.header("x-auth-user"),
        Some("6c1a9e4b-2f3d-4a5b-8c7d-9e0f1a2b3c4d")
    );
    assert_eq!(
        r.header("x-auth-object-id"),
        Some("5d4c3b2a-1908-4f7e-8d6c-5b4a39281706")
    );
}

#[test]
fn any_method_is_accepted_and_a_body_is_ignored() {
    // nginx's auth_request sends the original request's method.
    let s = Server::with_examples(&[]);
    let auth = format!("Bearer {}", example("databricks-token.jwt"));
    let r = s.post("/auth", "ignored", &[("Authorization", &auth)]);
    assert_eq!(r.status, 200);
    let r = serve_support::send(
        s.addr,
        format!(
            "HEAD /auth HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn a_token_for_another_api_gets_401_saying_why() {
    let s = Server::with_examples(&[]);
    let r = s.auth(Some(&example("arm-token.jwt")));
    assert_eq!(r.status, 401);
    let h = r.header("www-authenticate").unwrap();
    assert!(h.contains("error=\"invalid_token\""), "{h}");
    let d = description(&r);
    assert!(d.starts_with("audience: "), "{d}");
    assert!(d.contains("Azure Resource Manager"), "{d}");
    assert!(r.header("x-auth-user").is_none());
}

#[test]
fn missing_or_malformed_credentials_get_401() {
    let s = Server::with_examples(&[]);
    let r = s.auth(None);
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("error=\"invalid_request\""));
    assert!(description(&r).contains("no bearer token"));

    let r = s.get("/auth", &[("Authorization", "Basic dXNlcjpwYXNz")]);
    assert_eq!(r.status, 401);
    assert!(
        description(&r).contains("not Bearer"),
        "{}",
        description(&r)
    );

    let r = s.auth(Some("not-a-token"));
    assert_eq!(r.status, 401);
    assert!(
        description(&r).starts_with("format: "),
        "{}",
        description(&r)
    );

    // Two Authorization headers: refused, not guessed.
    let t = example("databricks-token.jwt");
    let r = s.get(
        "/auth",
        &[
            ("Authorization", &format!("Bearer {t}")),
            ("Authorization", "Bearer x.y.z"),
        ],
    );
    assert_eq!(r.status, 401);
}

#[test]
fn an_altered_token_fails_its_signature() {
    let s = Server::with_examples(&[]);
    let t = example("databricks-token.jwt");
    let sig_start = t.rfind('.').unwrap() + 1;
    let mut bytes = t.into_bytes();
    let i = sig_start + 10;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(bytes).unwrap();
    let r = s.auth(Some(&altered));
    assert_eq!(r.status, 401);
    assert!(
        description(&r).starts_with("signature: "),
        "{}",
        description(&r)
    );
    // Again, from the cache: same answer.
    let again = s.auth(Some(&altered));
    assert_eq!(again.status, 401);
    assert_eq!(description(&again), description(&r));
}

#[test]
fn the_configured_rules_apply() {
    let token = example("databricks-token.jwt");
    // Another tenant.
    let jwks = serve_support::jwks_path();
    let s = Server::start(&[
        "--jwks",
        &jwks,
        "--tenant",
        "11111111-2222-3333-4444-555555555555",
    ]);
    let r = s.auth(Some(&token));
    assert_eq!(r.status, 401);
    // The issuer names the tenant too, and comes first.
    let d = description(&r);
    assert!(
        d.starts_with("issuer: ") && d.contains("11111111-2222-3333-4444-555555555555"),
        "{d}"
    );
    // Another audience.
    let s = Server::start(&["--jwks", &jwks, "--audience", "api://mine"]);
    assert!(description(&s.auth(Some(&token))).starts_with("audience: "));
    // After expiry (the clock fixed with --at).
    let s = Server::with_examples(&["--at", "2100-01-01T00:00:00Z"]);
    let r = s.auth(Some(&token));
    assert_eq!(r.status, 401);
    assert!(
        description(&r).starts_with("lifetime: "),
        "{}",
        description(&r)
    );
    // Only ES256 allowed.
    let s = Server::with_examples(&["--alg", "ES256"]);
    assert!(description(&s.auth(Some(&token))).starts_with("signature: "));
}

#[test]
fn without_keys_the_check_cannot_run_and_says_so() {
    // Discovery, offline, nothing cached: 503, not a verdict on the token.
    let s = Server::start(&[]);
    let r = s.auth(Some(&example("databricks-token.jwt")));
    assert_eq!(r.status, 503, "{r:?}");
    assert!(r.text().contains("offline"), "{}", r.text());
    assert!(r.header("retry-after").is_some());
    // With --tenant, a token of another tenant is refused without a lookup.
    let s = Server::start(&["--tenant", "11111111-2222-3333-4444-555555555555"]);
    let r = s.auth(Some(&example("databricks-token.jwt")));
    assert_eq!(r.status, 401, "{r:?}");
    assert!(
        description(&r).starts_with("issuer: "),
        "{}",
        description(&r)
    );
    // A token whose issuer is not Entra's: no keys can be looked up.
    let t = with_header(&serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": "x"}));
    let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
    parts[1] = serve_support::b64url(br#"{"iss":"https://evil.example/","aud":"2ff814a6-3304-4ab8-85cb-cd0e6f879c1d","exp":4070908800}"#);
    let r = Server::start(&[]).auth(Some(&parts.join(".")));
    assert_eq!(r.status, 401, "{r:?}");
    assert!(
        description(&r).contains("not an Entra ID issuer"),
        "{}",
        description(&r)
    );
}

#[test]
fn the_description_is_one_bounded_line_and_never_the_token() {
    let s = Server::with_examples(&[]);
    // A kid with CR/LF, quotes and a would-be header: it appears in the
    // signature message ("no key matches the token's kid …").
    let evil = with_header(
        &serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": "k\r\nX-Injected: 1\"\\"}),
    );
    let r = s.auth(Some(&evil));
    assert_eq!(r.status, 401);
    assert!(r.header("x-injected").is_none());
    let d = description(&r);
    assert!(
        !d.contains('\r') && !d.contains('\n') && !d.contains('"') && !d.contains('\\'),
        "{d}"
    );
    assert!(d.contains("X-Injected: 1"), "{d}");
    // Long: cut.
    let long =
        with_header(&serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": "k".repeat(5000)}));
    let r = s.auth(Some(&long));
    assert_eq!(r.status, 401);
    assert!(description(&r).chars().count() <= 300);
    // Never the token, nor its signature.
    for t in [
        example("arm-token.jwt"),
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln".to_owned(),
    ] {
        let r = s.auth(Some(&t));
        let sig = t.rsplit('.').next().unwrap();
        let all = format!("{:?} {}", r.headers, r.text());
        assert!(!all.contains(&t) && !all.contains(sig), "{all}");
    }
}

#[test]
fn the_verified_token_cache_holds_digests_and_can_be_off() {
    let token = example("databricks-token.jwt");
    let s = Server::with_examples(&[]);
    assert_eq!(s.get("/healthz", &[]).json()["token_cache_entries"], 0);
    for _ in 0..5 {
        assert_eq!(s.auth(Some(&token)).status, 200);
    }
    assert_eq!(s.get("/healthz", &[]).json()["token_cache_entries"], 1);
    // Time rules still run on a cached token: a second server with the
    // clock after expiry refuses even a token it has verified.
    let s = Server::with_examples(&["--no-token-cache"]);
    for _ in 0..3 {
        assert_eq!(s.auth(Some(&token)).status, 200);
    }
    assert!(s.get("/healthz", &[]).json()["token_cache_entries"].is_null());
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    use std::io::Write;
    let s = Server::with_examples(&[]);
    let token = example("databricks-token.jwt");
    let mut c = std::net::TcpStream::connect(s.addr).unwrap();
    let one = format!("GET /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n");
    let mut all = one.repeat(20);
    all.push_str(&format!("GET /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"));
    c.write_all(all.as_bytes()).unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut c, &mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 21);
}

#[test]
fn a_repeated_refused_token_gets_the_same_answer_from_the_cache() {
    // Refused after its signature verified (another API; a token of another
    // tenant), then asked again: the second answer comes from the
    // verified-token cache and says the same, for the same first failure.
    let s = Server::start(&[
        "--jwks",
        &serve_support::jwks_path(),
        "--tenant",
        "11111111-2222-3333-4444-555555555555",
    ]);
    for name in ["arm-token.jwt", "databricks-token.jwt"] {
        let token = example(name);
        let first = s.auth(Some(&token));
        assert_eq!(first.status, 401, "{first:?}");
        let second = s.auth(Some(&token));
        assert_eq!(second.status, 401, "{second:?}");
        assert_eq!(description(&first), description(&second));
    }
    assert_eq!(s.get("/healthz", &[]).json()["token_cache_entries"], 2);
}

#[test]
fn a_token_naming_a_key_the_server_lacks_is_not_remembered() {
    // Each request asks the key source again (Entra may have just published
    // the key), so the refusal is not cached.
    let s = Server::with_examples(&[]);
    let unknown =
        with_header(&serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": "not-published-yet"}));
    for _ in 0..3 {
        let r = s.auth(Some(&unknown));
        assert_eq!(r.status, 401, "{r:?}");
        assert!(description(&r).starts_with("signature: "), "{r:?}");
    }
    assert_eq!(s.get("/healthz", &[]).json()["token_cache_entries"], 0);
    // A token whose signature verified is remembered.
    assert_eq!(s.auth(Some(&example("databricks-token.jwt"))).status, 200);
    assert_eq!(s.get("/healthz", &[]).json()["token_cache_entries"], 1);
}
