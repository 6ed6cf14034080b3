#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `token --flow databricks-federation`: the external token evaluated
//! against the federation policy given (each failure with the differing
//! value), then exchanged at the emulator's workspace or account, and the
//! Databricks token checked. The external issuer (discovery, keys) and
//! GitHub's ID token endpoint are a small loopback server of this test.

use crate::online_common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use entra_emulator::{
    AccountConfig, EmulatorConfig, ExternalIssuer, FederationPolicy, DEMO_SP_APP_ID, DEMO_USER,
    DEMO_WORKSPACE,
};
use online_common::{bare_cmd, Cmd, Run, Setup};

const ACCOUNT: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const AUD: &str = "https://github.com/contoso";
const SUB: &str = "repo:contoso/pipeline:environment:prod";

/// A loopback HTTP server: the external issuer's discovery and keys, and a
/// GitHub Actions ID token endpoint. Records the requests' first lines and
/// Authorization headers.
struct IssuerServer {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl IssuerServer {
    fn start(jwks: Arc<Mutex<String>>, gh_token: Arc<Mutex<String>>) -> IssuerServer {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (seen2, base) = (Arc::clone(&seen), url.clone());
        std::thread::spawn(move || {
            for stream in l.incoming() {
                let Ok(mut s) = stream else { continue };
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut first = String::new();
                if r.read_line(&mut first).is_err() {
                    continue;
                }
                let mut auth = String::new();
                let mut len = 0usize;
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                    let lower = h.to_ascii_lowercase();
                    if lower.starts_with("authorization:") {
                        auth = h["authorization:".len()..].trim().to_owned();
                    }
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                let _ = r.read_exact(&mut body);
                seen2
                    .lock()
                    .unwrap()
                    .push(format!("{} {auth}", first.trim()));
                let path = first.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let (status, text) = if path == "/.well-known/openid-configuration" {
                    (
                        200,
                        format!(r#"{{"issuer":"{base}","jwks_uri":"{base}/keys"}}"#),
                    )
                } else if path == "/keys" {
                    (200, jwks.lock().unwrap().clone())
                } else if path.starts_with("/gh-token") {
                    if auth == "Bearer gh-request-token" {
                        (
                            200,
                            format!(r#"{{"value":"{}"}}"#, gh_token.lock().unwrap()),
                        )
                    } else {
                        (401, r#"{"message":"bad token"}"#.to_owned())
                    }
                } else {
                    (404, "{}".to_owned())
                };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        IssuerServer { url, seen }
    }
}

struct Fixture {
    s: Setup,
    issuer: ExternalIssuer,
    server: IssuerServer,
    gh_token: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let jwks = Arc::new(Mutex::new(String::new()));
    let gh_token = Arc::new(Mutex::new(String::new()));
    let server = IssuerServer::start(Arc::clone(&jwks), Arc::clone(&gh_token));
    let issuer = ExternalIssuer::generate(server.url.clone()).unwrap();
    *jwks.lock().unwrap() = issuer.jwks();
    let mut cfg = EmulatorConfig::default().account(
        AccountConfig::new(ACCOUNT)
            .member(entra_emulator::WorkspaceMember::user(DEMO_USER, "Alice"))
            .federation_policy(
                FederationPolicy::new(server.url.clone(), issuer.jwks()).subject_claim("email"),
            ),
    );
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .account(ACCOUNT)
        .federation_policy(
            FederationPolicy::new(server.url.clone(), issuer.jwks())
                .audiences(&[AUD])
                .for_service_principal(DEMO_SP_APP_ID, SP_SUBJECT_IN_EMULATOR),
        );
    Fixture {
        s: Setup::new(cfg),
        issuer,
        server,
        gh_token,
        dir: tempfile::tempdir().unwrap(),
    }
}

const SP_SUBJECT_IN_EMULATOR: &str = SUB;

impl Fixture {
    fn file(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    /// The service principal policy, in the account API's shape.
    fn sp_policy(&self) -> String {
        self.file(
            "policy.json",
            &format!(
                r#"{{"name":"accounts/{ACCOUNT}/servicePrincipals/4711/federationPolicies/github-prod","uid":"0123","oidc_policy":{{"issuer":"{}","audiences":["{AUD}"],"subject":"{SUB}"}},"service_principal_id":4711,"create_time":"2025-06-01T00:00:00Z"}}"#,
                self.server.url
            ),
        )
    }

    fn token_cmd(&self) -> Cmd {
        let mut c = bare_cmd(self.s.home.path());
        c.args([
            "token",
            "--flow",
            "databricks-federation",
            "--allow-any-workspace-host",
            "--authority",
            self.s.emu.base_url(),
            "--no-cache",
        ]);
        Cmd(c)
    }

    fn ws_cmd(&self, subject_token: &str) -> Cmd {
        let f = self.file("subject.jwt", subject_token);
        self.token_cmd().args([
            "--workspace",
            &self.s.ws(DEMO_WORKSPACE),
            "--client-id",
            DEMO_SP_APP_ID,
            "--subject-token-file",
            &f,
        ])
    }
}

fn assert_no_secret(r: &Run, subject: &str) {
    assert!(!r.stderr.contains(subject), "the external token is printed");
}

#[test]
fn a_service_principal_policy_accepts_a_matching_token_and_the_exchange_succeeds() {
    let f = fixture();
    let t = f.issuer.token(SUB, AUD, 600);
    let r = f.ws_cmd(&t).args(["--policy", &f.sp_policy()]).run_plain();
    assert!(
        r.stderr.contains("The policy accepts the token's claims."),
        "{}",
        r.stderr
    );
    // Verified with the keys the policy's issuer publishes (its discovery).
    assert!(
        r.stderr
            .contains(&format!("keys from {}/keys", f.server.url)),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("Got a Databricks token from the workspace"),
        "{}",
        r.stderr
    );
    let access = r.stdout.trim();
    assert_eq!(access.split('.').count(), 3, "{}", r.stdout);
    assert_ne!(access, t.as_str());
    assert_no_secret(&r, &t);
    // The Databricks token is checked as `check` checks: the workspace knows it.
    let member = r
        .stderr
        .lines()
        .find(|l| l.contains("membership"))
        .unwrap_or_else(|| panic!("no membership finding: {}", r.stderr));
    assert!(
        member.starts_with("PASS") && member.contains(DEMO_SP_APP_ID),
        "{member}"
    );
    // Only the policy's issuer was asked for keys.
    let seen = f.server.seen.lock().unwrap().clone();
    assert!(seen
        .iter()
        .any(|l| l.starts_with("GET /.well-known/openid-configuration")));
}

#[test]
fn each_policy_failure_is_diagnosed_with_the_differing_value() {
    let f = fixture();
    let policy = f.sp_policy();
    let other = ExternalIssuer::generate("https://token.actions.githubusercontent.com").unwrap();
    let cases = [
        (
            other.token(SUB, AUD, 600),
            "issuer",
            "https://token.actions.githubusercontent.com",
        ),
        (
            f.issuer.token(SUB, "https://github.com/other-org", 600),
            "audience",
            "https://github.com/other-org",
        ),
        (
            f.issuer
                .token("repo:contoso/pipeline:ref:refs/heads/main", AUD, 600),
            "identity",
            "repo:contoso/pipeline:ref:refs/heads/main",
        ),
        (f.issuer.token(SUB, AUD, -600), "lifetime", "expired at"),
    ];
    for (t, check, value) in cases {
        let r = f.ws_cmd(&t).args(["--policy", &policy]).run_plain();
        r.expect_code(1);
        let line = r
            .stderr
            .lines()
            .find(|l| l.starts_with("FAIL") && l.contains(check))
            .unwrap_or_else(|| panic!("no failing {check}: {}", r.stderr));
        assert!(
            line.contains(value) || r.stderr.contains(&format!("found      {value}")),
            "{check}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("The policy does not accept the token"),
            "{}",
            r.stderr
        );
        // Databricks refused it too; its answer is shown.
        assert!(r.stderr.contains("Token exchange failed"), "{}", r.stderr);
        assert!(r.stdout.trim().is_empty(), "{}", r.stdout);
        assert_no_secret(&r, &t);
    }
}

#[test]
fn an_hs256_token_fails_the_algorithm_rule() {
    let f = fixture();
    // Same claims, header alg HS256: refused before any key is used.
    let good = f.issuer.token(SUB, AUD, 600);
    let mut parts = good.split('.');
    let (_, p, s) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
    use base64::Engine as _;
    let h =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let t = format!("{h}.{p}.{s}");
    let r = f.ws_cmd(&t).args(["--policy", &f.sp_policy()]).run_plain();
    r.expect_code(1);
    assert!(
        r.stderr.contains("signed with 'HS256'") && r.stderr.contains("RS256 and ES256 only"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_account_policy_exchange_at_the_account_host() {
    let f = fixture();
    let t = f
        .issuer
        .token_with("idp-user-42", ACCOUNT, 600, &[("email", DEMO_USER)]);
    let policy = f.file(
        "account-policy.json",
        &format!(
            r#"{{"name":"accounts/{ACCOUNT}/federationPolicies/idp","oidc_policy":{{"issuer":"{}","subject_claim":"email"}}}}"#,
            f.server.url
        ),
    );
    let file = f.file("subject.jwt", &t);
    let r = f
        .token_cmd()
        .args([
            "--workspace",
            &f.s.emu.account_url(ACCOUNT).unwrap(),
            "--account-host",
            "--subject-token-file",
            &file,
            "--policy",
            &policy,
        ])
        .env("DATABRICKS_ACCOUNT_ID", ACCOUNT)
        .run_plain();
    assert!(
        r.stderr.contains("is the account ID, which"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!(
            "Got a Databricks token from the account {ACCOUNT}"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout.trim().split('.').count(), 3);
    // The account ID missing: a usage error naming it.
    let r = f
        .token_cmd()
        .args([
            "--workspace",
            &f.s.emu.account_url(ACCOUNT).unwrap(),
            "--account-host",
            "--subject-token-file",
            &file,
        ])
        .run_plain();
    r.expect_code(2);
    assert!(r.stderr.contains("DATABRICKS_ACCOUNT_ID"), "{}", r.stderr);
}

#[test]
fn the_external_token_comes_from_github_actions_or_the_environment() {
    let f = fixture();
    let ws = f.s.ws(DEMO_WORKSPACE);
    let t = f.issuer.token(SUB, AUD, 600);
    *f.gh_token.lock().unwrap() = t.clone();
    let r = f
        .token_cmd()
        .args([
            "--workspace",
            &ws,
            "--client-id",
            DEMO_SP_APP_ID,
            "--no-check",
        ])
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/gh-token?api-version=2.0", f.server.url),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token")
        .env("DATABRICKS_TOKEN_AUDIENCE", AUD)
        .run_plain();
    r.expect_code(0);
    let seen = f.server.seen.lock().unwrap().clone();
    let gh = seen.iter().find(|l| l.contains("/gh-token")).unwrap();
    assert!(
        gh.contains("audience=https%3A%2F%2Fgithub.com%2Fcontoso")
            && gh.contains("api-version=2.0"),
        "{gh}"
    );
    assert!(!r.stderr.contains("gh-request-token"), "{}", r.stderr);
    // DATABRICKS_OIDC_TOKEN comes before GitHub.
    let r = f
        .token_cmd()
        .args([
            "--workspace",
            &ws,
            "--client-id",
            DEMO_SP_APP_ID,
            "--no-check",
        ])
        .env("DATABRICKS_OIDC_TOKEN", &t)
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:1/nothing")
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "x")
        .run_plain();
    r.expect_code(0);
    assert!(
        r.stderr.contains("DATABRICKS_OIDC_TOKEN") || r.stdout.split('.').count() == 3,
        "{}",
        r.stderr
    );
    // Nothing configured: a usage error listing the sources.
    let r = f.token_cmd().args(["--workspace", &ws]).run_plain();
    r.expect_code(2);
    assert!(
        r.stderr.contains("--subject-token-file") && r.stderr.contains("DATABRICKS_OIDC_TOKEN"),
        "{}",
        r.stderr
    );
}

#[test]
fn without_a_policy_a_refusal_says_how_to_see_which_claim_differs() {
    let f = fixture();
    let t = f.issuer.token(SUB, "https://github.com/other-org", 600);
    let r = f.ws_cmd(&t).run_plain();
    r.expect_code(1);
    assert!(r.stderr.contains("Token exchange failed"), "{}", r.stderr);
    assert!(r.stderr.contains("--policy FILE"), "{}", r.stderr);
    // What the token says is shown, and that its signature was not verified.
    assert!(
        r.stderr
            .contains(&format!("sub {SUB}, aud https://github.com/other-org"))
            && r.stderr.contains("signature is not verified"),
        "{}",
        r.stderr
    );
    // No keys were fetched: no issuer was named.
    assert!(f.server.seen.lock().unwrap().is_empty());
}

#[test]
fn a_bad_policy_file_is_a_clear_usage_error() {
    let f = fixture();
    let t = f.issuer.token(SUB, AUD, 600);
    let bad = f.file("bad.json", r#"{"oidc_policy":{"audiences":["x"]}}"#);
    let r = f.ws_cmd(&t).args(["--policy", &bad]).run_plain();
    r.expect_code(2);
    assert!(r.stderr.contains("no 'oidc_policy.issuer'"), "{}", r.stderr);
}

#[test]
fn a_policy_without_audiences_expects_the_account_id_the_workspace_names() {
    let f = fixture();
    let policy = f.file(
        "account-policy.json",
        &format!(
            r#"{{"oidc_policy":{{"issuer":"{}","subject_claim":"email"}}}}"#,
            f.server.url
        ),
    );
    let ws = f.s.ws(DEMO_WORKSPACE);
    let run = |aud: &str| {
        let t = f
            .issuer
            .token_with("u-1", aud, 600, &[("email", DEMO_USER)]);
        let file = f.file("subject.jwt", &t);
        f.token_cmd()
            .args([
                "--workspace",
                &ws,
                "--subject-token-file",
                &file,
                "--policy",
                &policy,
                "--no-check",
            ])
            .run_plain()
    };
    // No DATABRICKS_ACCOUNT_ID: the account ID comes from the workspace's host metadata.
    let r = run(ACCOUNT);
    r.expect_code(0);
    assert!(r.stderr.contains("is the account ID"), "{}", r.stderr);
    let r = run(&format!("{ws}/oidc/v1/token"));
    r.expect_code(1);
    assert!(
        r.stderr.contains("lists no audiences")
            && r.stderr.contains(&format!("expected   {ACCOUNT}"))
            && r.stderr.contains("DATABRICKS_TOKEN_AUDIENCE"),
        "{}",
        r.stderr
    );
}

#[test]
fn show_config_says_what_the_exchange_would_use_and_sends_nothing() {
    let f = fixture();
    let ws = f.s.ws(DEMO_WORKSPACE);
    let t = f.issuer.token(SUB, AUD, 600);
    let r = f
        .token_cmd()
        .args([
            "--workspace",
            &ws,
            "--client-id",
            DEMO_SP_APP_ID,
            "--show-config",
        ])
        .env("DATABRICKS_OIDC_TOKEN", &t)
        .run_plain();
    r.expect_code(0);
    assert!(
        r.stdout.contains(&format!("{ws}/oidc/v1/token"))
            && r.stdout
                .contains("the environment variable DATABRICKS_OIDC_TOKEN")
            && r.stdout
                .contains(&format!("{DEMO_SP_APP_ID}  (--client-id)")),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(&t));
    assert_eq!(
        f.s.emu
            .workspace_request_count(DEMO_WORKSPACE, "/oidc/v1/token"),
        0
    );
}

#[test]
fn keys_from_a_discovery_document_of_another_issuer_are_not_used() {
    let f = fixture();
    // The policy and the token say "<server>/"; the server's discovery says "<server>".
    let slash = format!("{}/", f.server.url);
    let other = ExternalIssuer::generate(slash.clone()).unwrap();
    let policy = f.file(
        "slash-policy.json",
        &format!(
            r#"{{"oidc_policy":{{"issuer":"{slash}","audiences":["{AUD}"],"subject":"{SUB}"}}}}"#
        ),
    );
    let r = f
        .ws_cmd(&other.token(SUB, AUD, 600))
        .args(["--policy", &policy])
        .run_plain();
    let sig = r
        .stderr
        .lines()
        .find(|l| l.contains("signature"))
        .unwrap()
        .to_owned();
    assert!(
        sig.starts_with("SKIP") && sig.contains("its keys are not used"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("The policy accepts the token's claims."));
    assert!(!f
        .server
        .seen
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.starts_with("GET /keys")));
}

#[test]
fn an_es256_token_is_verified_and_exchanged() {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    use base64::Engine as _;
    const EC_ISSUER: &str = "https://ec-idp.example";
    let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let point = key.public_key().as_ref().to_vec();
    let jwks = format!(
        r#"{{"keys":[{{"kty":"EC","crv":"P-256","kid":"ec-1","use":"sig","x":"{}","y":"{}"}}]}}"#,
        b64(&point[1..33]),
        b64(&point[33..65])
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let h = b64(br#"{"alg":"ES256","typ":"JWT","kid":"ec-1"}"#);
    let c = b64(format!(
        r#"{{"iss":"{EC_ISSUER}","aud":"{AUD}","sub":"{SUB}","iat":{now},"exp":{}}}"#,
        now + 600
    )
    .as_bytes());
    let sig = key
        .sign(&SystemRandom::new(), format!("{h}.{c}").as_bytes())
        .unwrap();
    let token = format!("{h}.{c}.{}", b64(sig.as_ref()));

    let mut cfg = EmulatorConfig::default();
    cfg.workspaces[0] = cfg.workspaces[0].clone().federation_policy(
        FederationPolicy::new(EC_ISSUER, jwks.clone())
            .audiences(&[AUD])
            .for_service_principal(DEMO_SP_APP_ID, SUB),
    );
    let s = Setup::new(cfg);
    let dir = tempfile::tempdir().unwrap();
    let w = |n: &str, t: &str| {
        let p = dir.path().join(n);
        std::fs::write(&p, t).unwrap();
        p
    };
    let mut c = bare_cmd(s.home.path());
    c.args([
        "token",
        "--flow",
        "databricks-federation",
        "--allow-any-workspace-host",
        "--no-cache",
        "--no-check",
        "--workspace",
        &s.ws(DEMO_WORKSPACE),
        "--client-id",
        DEMO_SP_APP_ID,
    ])
    .arg("--policy")
    .arg(w(
        "p.json",
        &format!(r#"{{"oidc_policy":{{"issuer":"{EC_ISSUER}","audiences":["{AUD}"],"subject":"{SUB}"}}}}"#),
    ))
    .arg("--jwks")
    .arg(w("jwks.json", &jwks))
    .arg("--subject-token-file")
    .arg(w("t.jwt", &token));
    let r = Cmd(c).run_plain();
    r.expect_code(0);
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("signature"))
        .unwrap()
        .to_owned();
    assert!(
        line.starts_with("PASS") && line.contains("ES256") && line.contains("--jwks"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout.trim().split('.').count(), 3);
}
