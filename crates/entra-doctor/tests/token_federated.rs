#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `entra-doctor token --flow federated` against the emulator's workload
//! identity federation: the external token from a file, a variable, AKS's
//! variables or a loopback stand-in for GitHub Actions' ID-token request;
//! refusals explained and compared with the federated credentials. Every
//! address is 127.0.0.1.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assert_cmd::Command;
use entra_emulator::{
    AppRegistration, Emulator, EmulatorConfig, ExternalIssuer, FederatedCredential,
    RunningEmulator, DEMO_TENANT_ID, DEMO_WORKSPACE, FEDERATION_AUDIENCE,
};

const APP: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
const SUBJECT: &str = "repo:contoso/pipeline:ref:refs/heads/main";

struct Fed {
    emu: RunningEmulator,
    ext: ExternalIssuer,
    home: tempfile::TempDir,
}

fn start() -> Fed {
    let ext = ExternalIssuer::generate(ISSUER).unwrap();
    let mut cfg = EmulatorConfig::default();
    cfg.tenants[0] =
        cfg.tenants[0].clone().app(
            AppRegistration::new(APP, "federated-ci")
                .federated_credential(FederatedCredential::new(ISSUER, SUBJECT, ext.jwks())),
        );
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .service_principal(APP, "federated-ci");
    Fed {
        emu: Emulator::start_blocking(cfg).unwrap(),
        ext,
        home: tempfile::tempdir().unwrap(),
    }
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(mut c: Command) -> Out {
    let o = c.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

impl Fed {
    fn bare(&self) -> Command {
        let mut c = Command::cargo_bin("entra-doctor").unwrap();
        c.env_clear()
            .env("HOME", self.home.path())
            .env("NO_COLOR", "1");
        c.timeout(Duration::from_secs(60));
        c
    }

    /// `token --flow federated` for the app, the emulator as the authority.
    fn cmd(&self) -> Command {
        let mut c = self.bare();
        c.args([
            "token",
            "--flow",
            "federated",
            "--authority",
            self.emu.base_url(),
            "--tenant",
            DEMO_TENANT_ID,
            "--client-id",
            APP,
            "--no-cache",
            "--allow-any-workspace-host",
            "--workspace",
            &self.emu.workspace_url(DEMO_WORKSPACE).unwrap(),
        ]);
        c
    }

    fn token_file(&self, jwt: &str) -> std::path::PathBuf {
        let p = self.home.path().join(format!("ext-{}.jwt", jwt.len()));
        std::fs::write(&p, jwt).unwrap();
        p
    }
}

fn assert_valid(o: &Out) {
    assert_eq!(o.code, 0, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("Valid: every check passed."),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("PASS  membership"), "{}", o.stderr);
}

fn assert_never_whole(o: &Out, jwt: &str) {
    assert!(!o.stdout.contains(jwt), "the external token was printed");
    assert!(!o.stderr.contains(jwt), "the external token was printed");
}

#[test]
fn federated_token_file_gets_a_checked_token_and_shows_its_claims() {
    let f = start();
    let jwt = f.ext.token(SUBJECT, FEDERATION_AUDIENCE, 600);
    let mut c = f.cmd();
    c.arg("--federated-token-file").arg(f.token_file(&jwt));
    let o = run(c);
    assert_valid(&o);
    assert!(
        o.stderr.contains(&format!("sub  {SUBJECT}")),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains(&format!("iss  {ISSUER}")), "{}", o.stderr);
    assert!(o.stderr.contains("aud  api://AzureADTokenExchange"));
    assert_never_whole(&o, &jwt);
}

#[test]
fn federated_token_from_a_variable() {
    let f = start();
    let jwt = f.ext.token(SUBJECT, FEDERATION_AUDIENCE, 600);
    let mut c = f.cmd();
    c.env("MY_OIDC", &jwt)
        .args(["--federated-token-env", "MY_OIDC"]);
    let o = run(c);
    assert_valid(&o);
    assert_never_whole(&o, &jwt);
    let mut c = f.cmd();
    c.args(["--federated-token-env", "UNSET_VAR"]);
    let o = run(c);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("UNSET_VAR is not set"), "{}", o.stderr);
}

#[test]
fn aks_workload_identity_variables_under_flow_managed_identity() {
    let f = start();
    let jwt = f.ext.token(SUBJECT, FEDERATION_AUDIENCE, 600);
    let mut c = f.bare();
    // Should a regression probe IMDS, it finds a closed loopback port,
    // never 169.254.169.254.
    let no_imds = format!("http://127.0.0.1:{}", crate::online_common::closed_port());
    c.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", no_imds)
        .env("AZURE_FEDERATED_TOKEN_FILE", f.token_file(&jwt))
        .env("AZURE_CLIENT_ID", APP)
        .env("AZURE_TENANT_ID", DEMO_TENANT_ID)
        .env("AZURE_AUTHORITY_HOST", f.emu.base_url())
        .args([
            "token",
            "--flow",
            "managed-identity",
            "--no-cache",
            "--allow-any-workspace-host",
            "--workspace",
            &f.emu.workspace_url(DEMO_WORKSPACE).unwrap(),
        ]);
    let o = run(c);
    assert_valid(&o);
    assert!(o.stderr.contains("AKS workload identity"), "{}", o.stderr);
    assert_eq!(f.emu.request_count("/metadata/identity/oauth2/token"), 0);
}

/// A loopback stand-in for GitHub Actions' ID-token service: answers one
/// request with `{"value": jwt}` and keeps the request line and headers.
fn github_stand_in(jwt: String) -> (String, Arc<Mutex<String>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(String::new()));
    let keep = seen.clone();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut buf = vec![0u8; 16 * 1024];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            *keep.lock().unwrap() = String::from_utf8_lossy(&got).into_owned();
            let body = serde_json::json!({ "count": 1, "value": jwt }).to_string();
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (
        format!("http://127.0.0.1:{port}/_apis/distributedtask/token?api-version=2.0"),
        seen,
    )
}

#[test]
fn github_actions_request_is_made_with_the_exchange_audience() {
    let f = start();
    let jwt = f.ext.token(SUBJECT, FEDERATION_AUDIENCE, 600);
    let (url, seen) = github_stand_in(jwt.clone());
    let mut c = f.cmd();
    c.env("ACTIONS_ID_TOKEN_REQUEST_URL", &url)
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token");
    let o = run(c);
    assert_valid(&o);
    assert_never_whole(&o, &jwt);
    assert!(!o.stderr.contains("gh-request-token"));
    let req = seen.lock().unwrap().clone();
    assert!(
        req.starts_with("GET /_apis/distributedtask/token?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange "),
        "{req}"
    );
    assert!(
        req.to_ascii_lowercase()
            .contains("authorization: bearer gh-request-token"),
        "{req}"
    );
}

#[test]
fn github_request_url_without_its_token_says_which_permission() {
    let f = start();
    let mut c = f.cmd();
    c.env("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/x");
    let o = run(c);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("id-token: write"), "{}", o.stderr);
}

const CREDS: &str = r#"[
  {"name": "prod-env", "issuer": "https://token.actions.githubusercontent.com", "subject": "repo:contoso/pipeline:environment:prod", "audiences": ["api://AzureADTokenExchange"]},
  {"name": "main-branch", "issuer": "https://token.actions.githubusercontent.com", "subject": "repo:contoso/pipeline:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"]}
]"#;

#[test]
fn subject_mismatch_names_the_claim_the_credential_and_the_position() {
    let f = start();
    let jwt = f.ext.token(
        "repo:contoso/pipeline:ref:refs/heads/dev",
        FEDERATION_AUDIENCE,
        600,
    );
    let creds = f.home.path().join("fic.json");
    std::fs::write(&creds, CREDS).unwrap();
    let mut c = f.cmd();
    c.arg("--federated-token-file")
        .arg(f.token_file(&jwt))
        .arg("--federated-credential")
        .arg(&creds);
    let o = run(c);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    assert!(o.stderr.contains("AADSTS700213"), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("Nearest federated credential: 'main-branch'"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("- subject (sub): the token has `repo:contoso/pipeline:ref:refs/heads/dev`, the credential expects `repo:contoso/pipeline:ref:refs/heads/main`."),
        "{}",
        o.stderr
    );
    // "repo:contoso/pipeline:ref:refs/heads/" is 37 characters.
    assert!(
        o.stderr
            .contains("First difference at character 38: `dev` presented, `main` expected."),
        "{}",
        o.stderr
    );
    assert_never_whole(&o, &jwt);
}

#[test]
fn subject_mismatch_in_json_carries_the_differing_claim_and_position() {
    let f = start();
    let jwt = f.ext.token(
        "repo:contoso/pipeline:environment:Prod",
        FEDERATION_AUDIENCE,
        600,
    );
    let creds = f.home.path().join("fic.json");
    std::fs::write(&creds, CREDS).unwrap();
    let mut c = f.cmd();
    c.arg("--json")
        .arg("--federated-token-file")
        .arg(f.token_file(&jwt))
        .arg("--federated-credential")
        .arg(&creds);
    let o = run(c);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["report"]["codes"][0], 700213, "{v}");
    assert_eq!(
        v["external_token"]["sub"], "repo:contoso/pipeline:environment:Prod",
        "{v}"
    );
    assert_eq!(
        v["external_token"]["sub"],
        "repo:contoso/pipeline:environment:Prod"
    );
    let fc = &v["federated_credential"];
    // Nearest: the environment credential; only the letter case differs, and
    // the comparison is case-sensitive.
    assert_eq!(fc["name"], "prod-env", "{v}");
    assert_eq!(fc["matched"], false);
    let d = &fc["differences"][0];
    assert_eq!(d["claim"], "sub");
    assert_eq!(d["expected"], "repo:contoso/pipeline:environment:prod");
    // "repo:contoso/pipeline:environment:" is 34 characters.
    assert_eq!(d["position"], 35);
    assert_eq!(d["case_only"], true);
    assert_never_whole(&o, &jwt);
}

#[test]
fn issuer_trailing_slash_and_audience_are_compared_with_a_single_credential() {
    let f = start();
    let jwt = f.ext.token(SUBJECT, "api://Other", 600);
    let creds = f.home.path().join("one.json");
    std::fs::write(
        &creds,
        r#"{"name": "ci", "issuer": "https://token.actions.githubusercontent.com/", "subject": "repo:contoso/pipeline:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"]}"#,
    )
    .unwrap();
    let mut c = f.cmd();
    c.arg("--federated-token-file")
        .arg(f.token_file(&jwt))
        .arg("--federated-credential")
        .arg(&creds);
    let o = run(c);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("AADSTS700212"), "{}", o.stderr);
    assert!(o.stderr.contains("- issuer (iss)"), "{}", o.stderr);
    assert!(o.stderr.contains("Trailing slash"), "{}", o.stderr);
    assert!(o
        .stderr
        .contains("- audience (aud): the token has `api://Other`"));
}

#[test]
fn refusal_without_credentials_file_says_how_to_get_it() {
    let f = start();
    let jwt = f.ext.token(SUBJECT, FEDERATION_AUDIENCE, -120);
    let mut c = f.cmd();
    c.arg("--federated-token-file").arg(f.token_file(&jwt));
    let o = run(c);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("AADSTS700024"), "{}", o.stderr);
    assert!(o.stderr.contains("s ago)"), "{}", o.stderr);
    assert!(
        o.stderr
            .contains(&format!("az ad app federated-credential list --id {APP}")),
        "{}",
        o.stderr
    );
}

#[test]
fn bad_inputs_are_usage_errors_before_any_request() {
    let f = start();
    let bad = f.home.path().join("bad.json");
    std::fs::write(&bad, "[]").unwrap();
    let jwt = f.ext.token(SUBJECT, FEDERATION_AUDIENCE, 600);
    let mut c = f.cmd();
    c.arg("--federated-token-file")
        .arg(f.token_file(&jwt))
        .arg("--federated-credential")
        .arg(&bad);
    let o = run(c);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("no federated credential"), "{}", o.stderr);
    let mut c = f.cmd();
    c.arg("--federated-token-file")
        .arg(f.token_file("not a jwt"));
    let o = run(c);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("not a JWT"), "{}", o.stderr);
    let mut c = f.cmd();
    c.args(["--federated-token-file", "/nonexistent/token"]);
    let o = run(c);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("cannot read"), "{}", o.stderr);
    assert_eq!(
        f.emu
            .request_count(&format!("/{DEMO_TENANT_ID}/oauth2/token")),
        0
    );
}
