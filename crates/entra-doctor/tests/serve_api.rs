#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `serve`: the page's assets and headers, POST /api/check, the guards
//! (Host, Origin, Content-Type) and the health check.

use crate::serve_support;

use serde_json::{json, Value};
use serve_support::{example, Server, TENANT};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn statuses(v: &Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn status_of(v: &Value, check: &str) -> String {
    statuses(v)
        .into_iter()
        .find(|(c, _)| c == check)
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no {check} finding: {v}"))
}

#[test]
fn prints_the_url_first_and_serves_the_page_with_strict_headers() {
    let s = Server::with_examples(&[]);
    assert!(s.url.starts_with("http://127.0.0.1:"), "{}", s.url);
    for (path, ctype) in [
        ("/", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
    ] {
        let r = s.get(path, &[]);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ctype), "{path}");
        assert_eq!(r.header("content-security-policy"), Some(CSP), "{path}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert!(!r.body.is_empty());
    }
    let html = s.get("/", &[]).text();
    assert!(html.contains("<script src=\"/app.js\""));
    assert!(html.contains("id=\"token\""));
    assert!(html.contains("id=\"explain-input\""));
    // The API's answers carry the same headers.
    let r = s.get("/healthz", &[]);
    assert_eq!(r.header("content-security-policy"), Some(CSP));
}

#[test]
fn the_page_loads_nothing_from_elsewhere() {
    let s = Server::start(&[]);
    let html = s.get("/", &[]).text();
    let js = s.get("/app.js", &[]).text();
    let css = s.get("/app.css", &[]).text();
    // No remote script, style, font, image or frame; no inline script or style.
    for attr in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "<style",
        "style=\"",
        "onclick",
        "onload=",
    ] {
        assert!(!html.contains(attr), "index.html has {attr}");
    }
    assert!(
        html.matches("<script").count() == 1,
        "one script, external and same-origin"
    );
    for bad in ["@import", "url(", "@font-face"] {
        assert!(!css.contains(bad), "app.css has {bad}");
    }
    for bad in [
        "http://",
        "https://",
        "localStorage",
        "sessionStorage",
        "document.cookie",
        "innerHTML",
        "eval(",
    ] {
        assert!(!js.contains(bad), "app.js has {bad}");
    }
    // Inputs do not feed spelling services or autofill.
    assert!(html.contains(
        "id=\"token\" name=\"token\" rows=\"7\" spellcheck=\"false\" autocomplete=\"off\""
    ));
}

#[test]
fn check_a_valid_token_with_the_servers_keys() {
    let s = Server::with_examples(&[]);
    let r = s.post_json(
        "/api/check",
        &json!({ "token": example("databricks-token.jwt") }).to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["complete"], true, "{v}");
    assert_eq!(v["failed"], json!([]));
    assert_eq!(v["keys"], "server");
    assert!(statuses(&v).iter().all(|(_, st)| st == "pass"), "{v}");
    assert_eq!(v["summary"]["principal"], "ada@contoso.example");
    assert_eq!(v["summary"]["tenant"], TENANT);
    // decoded: header and claims, explained, with times.
    let d = &v["decoded"];
    assert_eq!(d["header"]["alg"], "RS256");
    assert_eq!(d["payload"]["tid"], TENANT);
    let exp = d["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "exp")
        .unwrap();
    assert_eq!(exp["utc"], "2099-01-01T00:00:00Z");
    assert!(exp["relative"].as_str().unwrap().starts_with("in "));
    assert!(exp["meaning"].as_str().is_some());
}

#[test]
fn check_answers_the_same_json_as_the_cli() {
    let s = Server::with_examples(&[]);
    let token = example("arm-token.jwt");
    let api = s
        .post_json(
            "/api/check",
            &json!({ "token": token, "at": "2030-01-01T00:00:00Z" }).to_string(),
        )
        .json();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_entra-doctor"))
        .args([
            "check",
            "--json",
            "--jwks",
            &serve_support::jwks_path(),
            "--tenant",
            TENANT,
            "--at",
            "2030-01-01T00:00:00Z",
            &token,
        ])
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in ["valid", "complete", "failed", "summary", "findings"] {
        assert_eq!(api[field], cli[field], "field {field}");
    }
    assert_eq!(api["failed"], json!(["audience"]));
    // The page shows the CLI's sentence.
    assert_eq!(api["verdict"], cli["verdict"]);
    assert_eq!(api["verdict"], "Not valid: 1 check(s) failed: audience.");
    assert_eq!(api["at"], "2030-01-01T00:00:00Z");
}

#[test]
fn body_fields_override_the_servers_defaults() {
    // A server without keys or tenant: the page pastes them.
    let s = Server::start(&[]);
    let token = example("databricks-token.jwt");
    let v = s
        .post_json("/api/check", &json!({ "token": token }).to_string())
        .json();
    // Discovery, offline and nothing cached: said, not guessed.
    assert_eq!(v["keys"], "none");
    assert_eq!(status_of(&v, "signature"), "skip");
    assert!(statuses(&v).iter().any(|(c, _)| c == "discovery"), "{v}");
    assert_eq!(status_of(&v, "tenant"), "skip");
    assert_eq!(v["complete"], false);

    let jwks = std::fs::read_to_string(serve_support::examples().join("jwks.json")).unwrap();
    let v = s
        .post_json(
            "/api/check",
            &json!({ "token": token, "jwks": jwks, "tenant": TENANT }).to_string(),
        )
        .json();
    assert_eq!(v["keys"], "pasted");
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["complete"], true, "{v}");

    // A PEM certificate works as well.
    let pem = std::fs::read_to_string(serve_support::examples().join("signing-cert.pem")).unwrap();
    let v = s
        .post_json(
            "/api/check",
            &json!({ "token": token, "jwks": pem }).to_string(),
        )
        .json();
    assert_eq!(status_of(&v, "signature"), "pass", "{v}");

    // Another tenant, another audience, a later instant.
    let v = s
        .post_json(
            "/api/check",
            &json!({ "token": token, "tenant": "11111111-2222-3333-4444-555555555555",
                     "audience": ["api://other"], "at": 4_102_444_800i64 + 86_400 * 365 })
            .to_string(),
        )
        .json();
    assert_eq!(status_of(&v, "tenant"), "fail");
    assert_eq!(status_of(&v, "audience"), "fail");
    assert_eq!(status_of(&v, "lifetime"), "fail");
}

#[test]
fn a_malformed_token_is_a_finding_not_an_error() {
    let s = Server::with_examples(&[]);
    let v = s
        .post_json("/api/check", r#"{"token": "not-a-token"}"#)
        .json();
    assert_eq!(v["valid"], false);
    assert_eq!(v["failed"], json!(["format"]));
    assert_eq!(v["summary"], Value::Null);
    assert_eq!(v["decoded"], Value::Null);
    // Bearer prefixes and az's JSON are accepted, as by the CLI.
    let token = example("databricks-token.jwt");
    let az = json!({ "accessToken": token, "tokenType": "Bearer" }).to_string();
    let v = s
        .post_json("/api/check", &json!({ "token": az }).to_string())
        .json();
    assert_eq!(v["valid"], true, "{v}");
    let v = s
        .post_json(
            "/api/check",
            &json!({ "token": format!("Bearer {token}") }).to_string(),
        )
        .json();
    assert_eq!(v["valid"], true, "{v}");
}

#[test]
fn a_workspace_url_is_reported_not_ignored() {
    let s = Server::with_examples(&[]);
    let token = example("databricks-token.jwt");
    let v = s
        .post_json(
            "/api/check",
            &json!({ "token": token, "workspace": "https://adb-1.2.azuredatabricks.net" })
                .to_string(),
        )
        .json();
    // Offline: the workspace steps say they could not run.
    assert!(statuses(&v).iter().any(|(c, _)| c == "workspace"), "{v}");
    assert_eq!(v["complete"], false, "{v}");
    for bad in ["ftp://x", "https://example.com"] {
        let r = s.post_json(
            "/api/check",
            &json!({ "token": token, "workspace": bad }).to_string(),
        );
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.json()["error"], "bad_workspace");
    }
}

#[test]
fn bad_requests_get_a_4xx_with_a_message() {
    let s = Server::with_examples(&[]);
    let cases: &[(&str, u16, &str, &str)] = &[
        ("{not json", 400, "bad_json", "not the JSON expected"),
        ("", 400, "bad_json", "empty"),
        ("[]", 400, "bad_json", "expected struct"),
        (r#"{"tokn": "x"}"#, 400, "bad_json", "unknown field `tokn`"),
        (
            r#"{"tenant": "x"}"#,
            400,
            "bad_json",
            "missing field `token`",
        ),
        (r#"{"token": 5}"#, 400, "bad_json", "expected a string"),
        (
            r#"{"token": "a.b.c", "at": "yesterday"}"#,
            400,
            "bad_at",
            "neither RFC 3339",
        ),
        (
            r#"{"token": "a.b.c", "jwks": "{\"keys\": []}"}"#,
            400,
            "bad_jwks",
            "key set cannot be used",
        ),
        (
            r#"{"token": "a.b.c", "jwks": "hello"}"#,
            400,
            "bad_jwks",
            "neither a JWKS",
        ),
    ];
    for (body, status, code, words) in cases {
        let r = s.post_json("/api/check", body);
        assert_eq!(r.status, *status, "{body}: {}", r.text());
        let v = r.json();
        assert_eq!(v["error"], *code, "{body}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains(words),
            "{body}: {v}"
        );
    }
    // Deep nesting is refused by the parser, not a crash.
    let deep = format!("{{\"token\": {}}}", "[".repeat(10_000));
    let r = s.post_json("/api/check", &deep);
    assert_eq!(r.status, 400);
    // The server is still up.
    assert_eq!(s.get("/healthz", &[]).status, 200);
}

#[test]
fn an_oversized_body_gets_413_with_a_message() {
    let s = Server::with_examples(&[]);
    // Declared too large: refused before reading.
    let req = format!(
        "POST /api/check HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n",
        s.host()
    );
    let r = serve_support::send(s.addr, req.as_bytes());
    assert_eq!(r.status, 413);
    let v = r.json();
    assert_eq!(v["error"], "too_large");
    assert!(
        v["message"].as_str().unwrap().contains("over the limit"),
        "{v}"
    );
    // Sent in full: drained, then refused, and the client reads the answer.
    let big = format!("{{\"token\": \"{}\"}}", "a".repeat(3 * 1024 * 1024));
    let r = s.post_json("/api/check", &big);
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.json()["error"], "too_large");
    // A token over 128 KiB inside a body under the limit.
    let big = format!("{{\"token\": \"{}\"}}", "a".repeat(200 * 1024));
    let r = s.post_json("/api/check", &big);
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(s.get("/healthz", &[]).status, 200);
}

#[test]
fn only_this_servers_page_may_post() {
    let s = Server::with_examples(&[]);
    let body = json!({ "token": example("databricks-token.jwt") }).to_string();
    let own = format!("http://{}", s.host());
    let r = s.post(
        "/api/check",
        &body,
        &[
            ("Content-Type", "application/json"),
            ("Origin", &own),
            ("Sec-Fetch-Site", "same-origin"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    for (origin, site) in [
        ("https://evil.example", "cross-site"),
        ("null", "cross-site"),
        ("http://localhost:1", "same-site"),
    ] {
        let r = s.post(
            "/api/check",
            &body,
            &[
                ("Content-Type", "application/json"),
                ("Origin", origin),
                ("Sec-Fetch-Site", site),
            ],
        );
        assert_eq!(r.status, 403, "{origin}");
        assert_eq!(r.json()["error"], "cross_origin");
    }
    // A form post (text/plain, the CSRF classic) is refused.
    let r = s.post("/api/check", &body, &[("Content-Type", "text/plain")]);
    assert_eq!(r.status, 415);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("application/json"));
    // No CORS: a preflight gets no Access-Control-Allow-Origin.
    let req = format!(
        "OPTIONS /api/check HTTP/1.1\r\nHost: {}\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n",
        s.host()
    );
    let r = serve_support::send(s.addr, req.as_bytes());
    assert!(r.header("access-control-allow-origin").is_none());
    assert!(r.status >= 400);
}

#[test]
fn other_host_names_are_refused_against_dns_rebinding() {
    let s = Server::with_examples(&["--allow-host", "doctor.test"]);
    let port = s.addr.port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "localhost".to_owned(),
        format!("doctor.test:{port}"),
    ] {
        let r = serve_support::send(
            s.addr,
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        assert_eq!(r.status, 200, "{host}");
    }
    for host in [format!("evil.example:{port}"), "attacker.test".to_owned()] {
        let r = serve_support::send(
            s.addr,
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        assert_eq!(r.status, 403, "{host}");
        assert_eq!(r.json()["error"], "host_not_allowed");
        let r = serve_support::send(
            s.addr,
            format!("POST /api/check HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}").as_bytes(),
        );
        assert_eq!(r.status, 403, "{host}");
    }
    // Services may call /auth and /healthz by any name (a proxy's upstream name).
    let r = serve_support::send(
        s.addr,
        b"GET /healthz HTTP/1.1\r\nHost: entra-doctor.internal\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 200);
}

#[test]
fn healthz_routes_and_methods() {
    let s = Server::with_examples(&[]);
    let v = s.get("/healthz", &[]).json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["keys"], "fixed");
    assert_eq!(
        Server::start(&[]).get("/healthz", &[]).json()["keys"],
        "discovery"
    );
    let r = s.get("/api/check", &[]);
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["error"], "method_not_allowed");
    let r = s.get("/nope", &[]);
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "not_found");
}

#[test]
fn explain_an_aadsts_error_with_the_redirect_comparison() {
    let s = Server::start(&[]);
    let input = "AADSTS50011: The redirect URI 'http://localhost:8020/callback' specified in the request does not match the redirect URIs configured for the application '6c1a9e4b-2f3d-4a5b-8c7d-9e0f1a2b3c4d'.";
    let r = s.post_json(
        "/api/explain",
        &json!({ "input": input, "registered": ["http://localhost:8020/callback/", "https://example.test/cb"] }).to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let x = &v["explanation"];
    assert_eq!(x["codes"], json!([50011]));
    assert!(x["headline"].as_str().unwrap().contains("50011"));
    assert_eq!(x["advice"][0]["code"], 50011);
    assert!(!x["advice"][0]["steps"].as_array().unwrap().is_empty());
    let rc = &x["redirect"];
    assert_eq!(rc["matched"], false);
    assert_eq!(rc["nearest"]["url"], "http://localhost:8020/callback/");
    assert_eq!(rc["differences"][0]["kind"], "trailing_slash");
    assert_eq!(
        v["report"]["hints"]["client_id"],
        "6c1a9e4b-2f3d-4a5b-8c7d-9e0f1a2b3c4d"
    );

    // The same JSON as `explain --json`.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_entra-doctor"))
        .args([
            "explain",
            "--json",
            "--registered",
            "http://localhost:8020/callback/",
            "--registered",
            "https://example.test/cb",
            input,
        ])
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, cli);

    // A JSON error body from the token endpoint.
    let body = r#"{"error":"invalid_grant","error_description":"AADSTS65001: The user or administrator has not consented to use the application with ID 'x'.\r\nTrace ID: 0b1c2d3e-0000-0000-0000-000000000000","error_codes":[65001]}"#;
    let v = s
        .post_json(
            "/api/explain",
            &json!({ "input": body, "tenant": TENANT }).to_string(),
        )
        .json();
    assert_eq!(v["explanation"]["codes"], json!([65001]));
    assert_eq!(v["report"]["error"], "invalid_grant");

    // Nothing to explain, empty, bad JSON.
    let r = s.post_json(
        "/api/explain",
        &json!({ "input": "hello there" }).to_string(),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"], "not_recognised");
    let r = s.post_json("/api/explain", &json!({ "input": "" }).to_string());
    assert_eq!(r.status, 400);
    let r = s.post_json("/api/explain", r#"{"text": "AADSTS50011"}"#);
    assert_eq!(r.status, 400);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("unknown field `text`"));
}

/// `--open` hands the page's URL to the desktop's opener (`xdg-open` on
/// Linux; here a stand-in on PATH that writes down what it was given), and
/// without one the server says so and keeps serving.
#[test]
fn open_hands_the_url_to_the_browser_opener() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::PermissionsExt;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let dir = std::env::temp_dir().join(format!("entra-doctor-open-{}", std::process::id()));
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let record = dir.join("opened.txt");
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", record.display()),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();

    let serve = |path: &std::path::Path| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_entra-doctor"))
            .env("PATH", path)
            .env_remove("DATABRICKS_HOST")
            .args(["serve", "--port", "0", "--offline", "--no-cache", "--open"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut url)
            .unwrap();
        (child, url.trim().to_owned())
    };

    let (mut child, url) = serve(&bin);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let deadline = Instant::now() + Duration::from_secs(15);
    let opened = loop {
        if let Ok(s) = std::fs::read_to_string(&record) {
            if !s.is_empty() {
                break s;
            }
        }
        assert!(Instant::now() < deadline, "the opener was not called");
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(opened, url);

    // No opener: a clear message, and the server still answers.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (mut child, url) = serve(&empty);
    let addr: std::net::SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let resp = serve_support::send(
        addr,
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(resp.status, 200);
    let _ = child.kill();
    let mut err = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let _ = child.wait();
    assert!(err.contains("cannot open a browser"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pasted_shapes_and_a_wrapped_token_check_as_on_the_command_line() {
    let s = Server::with_examples(&[]);
    let t = example("databricks-token.jwt");
    let wrapped = t
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    for pasted in [
        wrapped,
        format!("curl -H 'Authorization: Bearer {t}' https://adb-1.2.azuredatabricks.net/api/2.0/clusters/list"),
        format!("https://jwt.ms/#access_token={t}&token_type=Bearer"),
        format!("export DATABRICKS_TOKEN={t}"),
    ] {
        let r = s.post_json("/api/check", &json!({ "token": pasted }).to_string());
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        assert_eq!(status_of(&v, "signature"), "pass", "{pasted:.40}: {v}");
        assert_eq!(v["summary"]["principal"], "ada@contoso.example");
    }
}

#[test]
fn settings_given_to_serve_are_served_for_the_page() {
    let s = Server::start(&[
        "--tenant",
        TENANT,
        "--audience",
        "api://x",
        "--client-id",
        "3c2f8a91-5d6e-4b7a-8c9d-0e1f2a3b4c5d",
    ]);
    let v = s.get("/api/settings", &[]).json();
    assert_eq!(v["tenant"], TENANT);
    assert_eq!(v["audience"], "api://x");
    assert_eq!(v["client_id"], "3c2f8a91-5d6e-4b7a-8c9d-0e1f2a3b4c5d");
    assert_eq!(v["workspace"], Value::Null);
    // Nothing given: every field null, never a default passed off as given.
    let v = Server::start(&[]).get("/api/settings", &[]).json();
    for k in ["tenant", "audience", "client_id", "workspace"] {
        assert_eq!(v[k], Value::Null, "{k}: {v}");
    }
}
