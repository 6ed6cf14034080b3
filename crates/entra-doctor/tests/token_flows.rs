#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `entra-doctor token` end to end against the emulator: every flow, its
//! success (the token then checked against the workspace) and its failures
//! (explained). Everything stays on 127.0.0.1.

use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use entra_emulator::{
    AppRegistration, ClientCertificate, Emulator, EmulatorConfig, Fault, MintRequest,
    RunningEmulator, TenantConfig, DATABRICKS_RESOURCE_ID, DEMO_MFA_USER, DEMO_PUBLIC_APP_ID,
    DEMO_SP_APP_ID, DEMO_SP_SECRET, DEMO_TENANT_ID, DEMO_UNCONSENTED_APP_ID, DEMO_USER,
    DEMO_USER_PASSWORD, DEMO_WORKSPACE,
};
use serde_json::Value;

const CERT_APP: &str = "c0c0c0c0-1111-4222-8333-444455556666";
const EXPIRED_APP: &str = "e0e0e0e0-1111-4222-8333-444455556666";
const NO_DATABRICKS_TENANT: &str = "11111111-2222-4333-8444-555555555555";

struct Emu {
    emu: RunningEmulator,
    cert: ClientCertificate,
    home: tempfile::TempDir,
}

fn start(device_interval: u64, device_lifetime: u64) -> Emu {
    let cert = ClientCertificate::generate("cert-app").unwrap();
    let mut cfg = EmulatorConfig::default().device_code(device_interval, device_lifetime);
    let t = cfg.tenants.remove(0);
    cfg.tenants.insert(
        0,
        t.app(AppRegistration::new(CERT_APP, "cert-app").certificate(cert.cert_pem.clone()))
            .app(
                AppRegistration::new(EXPIRED_APP, "old")
                    .secret_expiring("old-secret", 1_600_000_000),
            ),
    );
    let cfg = cfg.tenant(
        TenantConfig::new(NO_DATABRICKS_TENANT)
            .without_databricks()
            .app(AppRegistration::new(DEMO_SP_APP_ID, "ci").secret(DEMO_SP_SECRET)),
    );
    Emu {
        emu: Emulator::start_blocking(cfg).unwrap(),
        cert,
        home: tempfile::tempdir().unwrap(),
    }
}

impl Emu {
    /// `entra-doctor token` with a clean environment, the emulator as the
    /// authority, the workspace for the check, no key cache.
    fn token(&self) -> Command {
        let mut c = Command::cargo_bin("entra-doctor").unwrap();
        c.env_clear()
            .env("HOME", self.home.path())
            .env("NO_COLOR", "1");
        c.args([
            "token",
            "--authority",
            self.emu.base_url(),
            "--no-cache",
            "--allow-any-workspace-host",
        ]);
        c.args([
            "--workspace",
            &self.emu.workspace_url(DEMO_WORKSPACE).unwrap(),
        ]);
        c.timeout(Duration::from_secs(90));
        c
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

fn sp_env(c: &mut Command, secret: &str) {
    c.env("AZURE_TENANT_ID", DEMO_TENANT_ID)
        .env("AZURE_CLIENT_ID", DEMO_SP_APP_ID)
        .env("AZURE_CLIENT_SECRET", secret);
}

/// A success: the token on stdout (one line), every check passed.
fn assert_token_ok(o: &Out) -> String {
    assert_eq!(o.code, 0, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    let token = o.stdout.trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "{token}");
    assert!(
        o.stderr.contains("Valid: every check passed."),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("PASS  membership"), "{}", o.stderr);
    token
}

/// A refusal, explained: exit 1, the code in the explanation, nothing on stdout.
fn assert_refused(o: &Out, code: &str) {
    assert_eq!(o.code, 1, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    assert!(o.stderr.contains("No token:"), "{}", o.stderr);
    assert!(o.stderr.contains(&format!("AADSTS{code}")), "{}", o.stderr);
    assert!(o.stderr.contains("cause"), "{}", o.stderr);
}

#[test]
fn client_secret_v1_v2_json_and_failures() {
    let e = start(5, 900);
    let mut c = e.token();
    sp_env(&mut c, DEMO_SP_SECRET);
    let o = run(c);
    assert_token_ok(&o);
    assert!(!o.stderr.contains(DEMO_SP_SECRET) && !o.stdout.contains(DEMO_SP_SECRET));

    let mut c = e.token();
    sp_env(&mut c, DEMO_SP_SECRET);
    c.args(["--v2", "--json"]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "accessToken",
            "expiresOn",
            "expires_on",
            "tenant",
            "tokenType"
        ]
    );
    assert_eq!(v["tenant"], DEMO_TENANT_ID);
    assert_eq!(v["tokenType"], "Bearer");
    assert!(v["expires_on"].as_i64().unwrap() > 0);
    assert!(v["expiresOn"].as_str().unwrap().ends_with(".000000"));

    // Wrong secret: explained, and the secret is never shown.
    let mut c = e.token();
    sp_env(&mut c, "wrong-secret-value");
    let o = run(c);
    assert_refused(&o, "7000215");
    assert!(!o.stderr.contains("wrong-secret-value"));

    // Expired secret.
    let mut c = e.token();
    c.env("AZURE_TENANT_ID", DEMO_TENANT_ID)
        .env("AZURE_CLIENT_ID", EXPIRED_APP)
        .env("AZURE_CLIENT_SECRET", "old-secret");
    assert_refused(&run(c), "7000222");

    // Unknown app, unknown tenant, Databricks not in the tenant.
    let mut c = e.token();
    c.env("AZURE_TENANT_ID", DEMO_TENANT_ID)
        .env("AZURE_CLIENT_ID", "99999999-1111-4222-8333-444455556666")
        .env("AZURE_CLIENT_SECRET", "x");
    assert_refused(&run(c), "700016");
    let mut c = e.token();
    sp_env(&mut c, DEMO_SP_SECRET);
    c.args(["--tenant", "00000000-1111-4222-8333-444455556666"]);
    assert_refused(&run(c), "90002");
    let mut c = e.token();
    sp_env(&mut c, DEMO_SP_SECRET);
    c.args(["--tenant", NO_DATABRICKS_TENANT]);
    assert_refused(&run(c), "500011");

    // v2 with a scope that is not /.default.
    let mut c = e.token();
    sp_env(&mut c, DEMO_SP_SECRET);
    c.args([
        "--scope",
        &format!("{DATABRICKS_RESOURCE_ID}/user_impersonation"),
    ]);
    assert_refused(&run(c), "70011");

    // JSON explanation on failure.
    let mut c = e.token();
    sp_env(&mut c, "nope");
    c.arg("--json");
    let o = run(c);
    assert_eq!(o.code, 1);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["report"]["codes"][0], 7000215, "{v}");
}

#[test]
fn client_certificate() {
    let e = start(5, 900);
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("client.pem");
    std::fs::write(&pem, e.cert.combined_pem()).unwrap();
    let mut c = e.token();
    c.env("AZURE_TENANT_ID", DEMO_TENANT_ID)
        .env("AZURE_CLIENT_ID", CERT_APP)
        .env("AZURE_CLIENT_CERTIFICATE_PATH", &pem);
    let o = run(c);
    // The app is not a workspace member: the token is fine, membership is not.
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("PASS  signature"), "{}", o.stderr);
    assert!(o.stderr.contains("FAIL  membership"), "{}", o.stderr);
    assert_eq!(o.stdout.trim().split('.').count(), 3);

    // --no-check: the token only.
    let mut c = e.token();
    c.args([
        "--tenant",
        DEMO_TENANT_ID,
        "--client-id",
        CERT_APP,
        "--certificate",
    ])
    .arg(&pem)
    .args(["--v2", "--no-check"]);
    assert_eq!(run(c).code, 0);

    // Another certificate: not registered on the app.
    let other = ClientCertificate::generate("other").unwrap();
    let pem2 = dir.path().join("other.pem");
    std::fs::write(&pem2, other.combined_pem()).unwrap();
    let mut c = e.token();
    c.args([
        "--tenant",
        DEMO_TENANT_ID,
        "--client-id",
        CERT_APP,
        "--flow",
        "client-certificate",
        "--certificate",
    ])
    .arg(&pem2);
    assert_refused(&run(c), "700027");

    // A PEM without a key: a usage error.
    let pem3 = dir.path().join("cert-only.pem");
    std::fs::write(&pem3, &e.cert.cert_pem).unwrap();
    let mut c = e.token();
    c.args([
        "--tenant",
        DEMO_TENANT_ID,
        "--client-id",
        CERT_APP,
        "--certificate",
    ])
    .arg(&pem3);
    let o = run(c);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("PRIVATE KEY"), "{}", o.stderr);
}

#[test]
fn password_flow_and_failures() {
    let e = start(5, 900);
    let user = |c: &mut Command, client: &str, upn: &str, pw: &str| {
        c.env("AZURE_TENANT_ID", DEMO_TENANT_ID)
            .env("AZURE_CLIENT_ID", client)
            .env("AZURE_USERNAME", upn)
            .env("AZURE_PASSWORD", pw);
    };
    let mut c = e.token();
    user(&mut c, DEMO_PUBLIC_APP_ID, DEMO_USER, DEMO_USER_PASSWORD);
    let o = run(c);
    assert_token_ok(&o);
    assert!(!o.stderr.contains(DEMO_USER_PASSWORD));

    // --password-stdin.
    let mut c = e.token();
    c.args([
        "--tenant",
        DEMO_TENANT_ID,
        "--client-id",
        DEMO_PUBLIC_APP_ID,
        "--username",
        DEMO_USER,
        "--password-stdin",
    ]);
    c.write_stdin(format!("{DEMO_USER_PASSWORD}\n"));
    assert_token_ok(&run(c));

    for (client, upn, pw, code) in [
        (DEMO_PUBLIC_APP_ID, DEMO_USER, "wrong-password", "50126"),
        (
            DEMO_PUBLIC_APP_ID,
            "ghost@contoso.onmicrosoft.com",
            "x",
            "50034",
        ),
        (
            DEMO_PUBLIC_APP_ID,
            DEMO_MFA_USER,
            DEMO_USER_PASSWORD,
            "50076",
        ),
        (
            DEMO_UNCONSENTED_APP_ID,
            DEMO_USER,
            DEMO_USER_PASSWORD,
            "65001",
        ),
        // A confidential app without public client flows, no secret given.
        (DEMO_SP_APP_ID, DEMO_USER, DEMO_USER_PASSWORD, "7000218"),
    ] {
        let mut c = e.token();
        user(&mut c, client, upn, pw);
        let o = run(c);
        assert_refused(&o, code);
        assert!(
            !o.stderr.contains(pw) || pw == "x",
            "password shown: {}",
            o.stderr
        );
        if code == "65001" {
            // The admin-consent URL is built for this tenant and client.
            let url = format!(
                "{}/{DEMO_TENANT_ID}/adminconsent?client_id={DEMO_UNCONSENTED_APP_ID}",
                e.emu.base_url()
            );
            assert!(o.stderr.contains(&url), "{}", o.stderr);
        }
    }
    // No password and no terminal: a usage error, nothing sent.
    let mut c = e.token();
    c.args([
        "--tenant",
        DEMO_TENANT_ID,
        "--client-id",
        DEMO_PUBLIC_APP_ID,
        "--username",
        DEMO_USER,
    ]);
    c.write_stdin("");
    let o = run(c);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("AZURE_PASSWORD"), "{}", o.stderr);
}

#[test]
fn auth_code_with_pkce_through_the_browser_leg() {
    let e = start(5, 900);
    let auth = |client: &str| {
        let mut c = e.token();
        c.args([
            "--flow",
            "auth-code",
            "--headless-browser",
            "--tenant",
            DEMO_TENANT_ID,
            "--client-id",
            client,
        ]);
        c
    };
    let o = run(auth(DEMO_PUBLIC_APP_ID));
    let token = assert_token_ok(&o);
    let mut v2 = auth(DEMO_PUBLIC_APP_ID);
    v2.arg("--v2");
    assert_token_ok(&run(v2));
    // The user is the tenant's first (the emulator signs in by itself).
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["upn"], DEMO_USER);
    assert_eq!(claims["appid"], DEMO_PUBLIC_APP_ID);

    // Redirect URI not registered: Entra's error page, explained with the URI sent.
    let o = run(auth(DEMO_SP_APP_ID));
    assert_refused(&o, "50011");
    assert!(o.stderr.contains("http://localhost:"), "{}", o.stderr);

    // Consent missing: the error redirect, explained with the admin-consent URL.
    let o = run(auth(DEMO_UNCONSENTED_APP_ID));
    assert_refused(&o, "65001");
    assert!(o.stderr.contains("adminconsent?client_id="), "{}", o.stderr);

    // After an administrator consents, it works.
    e.emu.grant_consent(
        DEMO_TENANT_ID,
        DEMO_UNCONSENTED_APP_ID,
        DATABRICKS_RESOURCE_ID,
    );
    let mut c = auth(DEMO_UNCONSENTED_APP_ID);
    c.arg("--no-check");
    assert_eq!(run(c).code, 0);

    // Unknown app: the error page.
    assert_refused(&run(auth("99999999-1111-4222-8333-444455556666")), "700016");

    // A fixed port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut c = auth(DEMO_PUBLIC_APP_ID);
    c.args(["--redirect-port", &port.to_string(), "--no-check"]);
    assert_eq!(run(c).code, 0);

    // The headless browser refuses a non-loopback authority.
    let mut c = Command::cargo_bin("entra-doctor").unwrap();
    c.env_clear().env("HOME", e.home.path());
    c.args([
        "token",
        "--flow",
        "auth-code",
        "--headless-browser",
        "--tenant",
        DEMO_TENANT_ID,
    ]);
    let o = run(c);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("loopback"), "{}", o.stderr);
}

/// Starts `token --flow device-code`, approves the code when it appears,
/// returns the run.
fn device_run(e: &Emu, client: &str, approve: bool, extra: &[&str]) -> Out {
    let bin = assert_cmd::cargo::cargo_bin("entra-doctor");
    let mut c = StdCommand::new(bin);
    c.env_clear()
        .env("HOME", e.home.path())
        .env("NO_COLOR", "1");
    c.args([
        "token",
        "--flow",
        "device-code",
        "--authority",
        e.emu.base_url(),
        "--no-cache",
    ]);
    c.args([
        "--allow-any-workspace-host",
        "--workspace",
        &e.emu.workspace_url(DEMO_WORKSPACE).unwrap(),
    ]);
    c.args(["--tenant", DEMO_TENANT_ID, "--client-id", client])
        .args(extra);
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    if approve {
        let started = Instant::now();
        loop {
            if let Some(code) = e.emu.pending_user_codes().first() {
                e.emu.approve_device_code(code, Some(DEMO_USER)).unwrap();
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no device code requested"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[test]
fn device_code_polling_success_and_consent() {
    let e = start(1, 30);
    let o = device_run(&e, DEMO_PUBLIC_APP_ID, true, &[]);
    assert_token_ok(&o);
    assert!(
        o.stderr.contains("/devicelogin") && o.stderr.contains("enter the code"),
        "{}",
        o.stderr
    );
    let o = device_run(&e, DEMO_PUBLIC_APP_ID, true, &["--v2"]);
    assert_token_ok(&o);
    let o = device_run(&e, DEMO_UNCONSENTED_APP_ID, true, &[]);
    assert_refused(&o, "65001");
    // Public client flows off.
    let o = device_run(&e, DEMO_SP_APP_ID, true, &[]);
    assert_refused(&o, "7000218");
}

#[test]
fn device_code_slow_down_then_success() {
    let e = start(1, 60);
    let body = serde_json::json!({"error":"slow_down","error_description":"AADSTS70016: slow down","error_codes":[70016]});
    e.emu.set_fault_times(
        &format!("/{DEMO_TENANT_ID}/oauth2/token"),
        Fault::status(400, body.to_string()),
        1,
    );
    let started = Instant::now();
    let o = device_run(&e, DEMO_PUBLIC_APP_ID, true, &["--no-check"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // 1 s, then 1 + 5 s after slow_down.
    assert!(
        started.elapsed() >= Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn device_code_expires() {
    let e = start(1, 2);
    let started = Instant::now();
    let o = device_run(&e, DEMO_PUBLIC_APP_ID, false, &[]);
    // Entra's expired_token (explained), or our own deadline, whichever comes first.
    if o.code == 1 {
        assert_refused(&o, "70019");
    } else {
        assert_eq!(o.code, 2, "{}", o.stderr);
        assert!(o.stderr.contains("expired"), "{}", o.stderr);
    }
    assert!(started.elapsed() < Duration::from_secs(20));
}

fn fake_az(dir: &Path, script_body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("az");
    std::fs::write(&p, format!("#!/bin/sh\n{script_body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn azure_cli_flow() {
    let e = start(5, 900);
    let dir = tempfile::tempdir().unwrap();
    let token = e.emu.mint(&MintRequest::user(DEMO_USER));
    fake_az(
        dir.path(),
        &format!(
            "[ \"$1 $2 $5 $6\" = \"account get-access-token --resource {DATABRICKS_RESOURCE_ID}\" ] || {{ echo \"bad args: $*\" >&2; exit 3; }}\n\
             printf '%s' '{{\"accessToken\":\"{token}\",\"expiresOn\":\"2030-01-01 00:00:00.000000\",\"expires_on\":1893456000,\"subscription\":\"sub-1\",\"tenant\":\"{DEMO_TENANT_ID}\",\"tokenType\":\"Bearer\"}}'"
        ),
    );
    let mut c = e.token();
    c.env("PATH", dir.path());
    let o = run(c);
    assert_eq!(assert_token_ok(&o), token);
    let mut c = e.token();
    c.env("PATH", dir.path()).args(["--json", "--no-check"]);
    let o = run(c);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["subscription"], "sub-1");
    assert_eq!(v["expires_on"], 1_893_456_000);

    // az refuses: its message is explained.
    fake_az(
        dir.path(),
        "echo \"ERROR: AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d'.\" >&2\nexit 1",
    );
    let mut c = e.token();
    c.env("PATH", dir.path()).args(["--flow", "azure-cli"]);
    assert_refused(&run(c), "50076");

    // No az at all.
    let empty = tempfile::tempdir().unwrap();
    let mut c = e.token();
    c.env("PATH", empty.path());
    let o = run(c);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("not found on PATH"), "{}", o.stderr);
}

/// Runs `entra-doctor ARGS` on a pseudo-terminal (util-linux `script`), so
/// standard error is a terminal; returns everything it showed. `during`
/// runs while it does.
fn on_a_terminal(e: &Emu, args: &[&str], env: &[(&str, &str)], during: impl FnOnce()) -> String {
    let bin = assert_cmd::cargo::cargo_bin("entra-doctor");
    let mut line = bin.display().to_string();
    for a in args {
        assert!(!a.contains('\''));
        line.push_str(&format!(" '{a}'"));
    }
    let child = StdCommand::new("script")
        .args(["-qefc", &line, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", e.home.path())
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) is needed for this test");
    during();
    let o = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn token_shows_a_spinner_per_network_step_on_a_terminal_and_nothing_when_piped() {
    let e = start(1, 30);
    let ws = e.emu.workspace_url(DEMO_WORKSPACE).unwrap();
    let args = [
        "token",
        "--flow",
        "client-secret",
        "--authority",
        e.emu.base_url(),
        "--no-cache",
        "--allow-any-workspace-host",
        "--workspace",
        &ws,
    ];
    let env = [
        ("AZURE_TENANT_ID", DEMO_TENANT_ID),
        ("AZURE_CLIENT_ID", DEMO_SP_APP_ID),
        ("AZURE_CLIENT_SECRET", DEMO_SP_SECRET),
    ];
    let shown = on_a_terminal(&e, &args, &env, || {});
    assert!(
        shown.contains("✓\u{1b}[0m asking 127.0.0.1 for a token (client credentials): done"),
        "{shown}"
    );
    // Piped: the same run shows no progress at all.
    let mut c = e.token();
    c.args(["--flow", "client-secret"]);
    sp_env(&mut c, DEMO_SP_SECRET);
    let o = run(c);
    assert_token_ok(&o);
    assert!(!o.stderr.contains("asking 127.0.0.1"), "{}", o.stderr);
    assert!(!o.stderr.contains('\u{1b}'), "{}", o.stderr);
}

#[test]
fn device_code_shows_the_code_the_url_and_a_countdown() {
    let e = start(1, 30);
    let ws = e.emu.workspace_url(DEMO_WORKSPACE).unwrap();
    let args = [
        "token",
        "--flow",
        "device-code",
        "--authority",
        e.emu.base_url(),
        "--no-cache",
        "--allow-any-workspace-host",
        "--workspace",
        &ws,
        "--tenant",
        DEMO_TENANT_ID,
        "--client-id",
        DEMO_PUBLIC_APP_ID,
    ];
    let mut code = String::new();
    let shown = on_a_terminal(&e, &args, &[], || {
        let started = Instant::now();
        loop {
            if let Some(c) = e.emu.pending_user_codes().first() {
                code = c.clone();
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no device code requested"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // Long enough for the countdown to be drawn.
        std::thread::sleep(Duration::from_millis(1500));
        e.emu.approve_device_code(&code, Some(DEMO_USER)).unwrap();
    });
    assert!(
        shown.contains("/devicelogin") && shown.contains(&code),
        "{shown}"
    );
    let waiting = format!("waiting for the sign-in with the code {code} (0:");
    let at = shown
        .find(&waiting)
        .unwrap_or_else(|| panic!("no countdown in {shown}"));
    assert!(shown[at..].contains(" left)"), "{shown}");
    assert!(
        shown.contains(&format!(
            "waiting for the sign-in with the code {code}: done"
        )),
        "{shown}"
    );
}

#[test]
fn a_second_token_within_the_lifetime_comes_from_the_cache_without_a_sign_in() {
    let e = start(1, 30);
    let cache = tempfile::tempdir().unwrap();
    let token_path = format!("/{DEMO_TENANT_ID}/oauth2/token");
    let ws = e.emu.workspace_url(DEMO_WORKSPACE).unwrap();
    let get = |extra: &[&str]| {
        let mut c = Command::cargo_bin("entra-doctor").unwrap();
        c.env_clear()
            .env("HOME", e.home.path())
            .env("NO_COLOR", "1")
            .args([
                "token",
                "--flow",
                "client-secret",
                "--authority",
                e.emu.base_url(),
            ])
            .args(["--allow-any-workspace-host", "--workspace", &ws])
            .args(extra)
            .timeout(Duration::from_secs(60));
        sp_env(&mut c, DEMO_SP_SECRET);
        run(c)
    };
    let dir = cache.path().to_str().unwrap();
    let first = get(&["--cache-dir", dir]);
    let t1 = assert_token_ok(&first);
    assert_eq!(e.emu.request_count(&token_path), 1);
    let second = get(&["--cache-dir", dir]);
    let t2 = assert_token_ok(&second);
    assert_eq!(t1, t2, "the same token");
    assert_eq!(
        e.emu.request_count(&token_path),
        1,
        "no second request to Entra ID"
    );
    assert!(
        second.stderr.contains("Using the cached token"),
        "{}",
        second.stderr
    );
    // Another resource is another entry; --no-cache always asks.
    let third = get(&["--cache-dir", dir, "--v2"]);
    assert_token_ok(&third);
    assert_eq!(
        e.emu
            .request_count(&format!("/{DEMO_TENANT_ID}/oauth2/v2.0/token")),
        1
    );
    let fourth = get(&["--no-cache"]);
    assert_token_ok(&fourth);
    assert_eq!(e.emu.request_count(&token_path), 2);
    // The file: private, and no refresh token in it.
    let file = cache.path().join("token-cache.json");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("refresh"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A changed secret is tried for real (and refused), not answered from
    // the cache.
    let mut c = Command::cargo_bin("entra-doctor").unwrap();
    c.env_clear()
        .env("HOME", e.home.path())
        .env("NO_COLOR", "1")
        .args([
            "token",
            "--flow",
            "client-secret",
            "--authority",
            e.emu.base_url(),
        ])
        .args(["--no-check", "--cache-dir", dir])
        .env("AZURE_TENANT_ID", DEMO_TENANT_ID)
        .env("AZURE_CLIENT_ID", DEMO_SP_APP_ID)
        .env("AZURE_CLIENT_SECRET", "a-wrong-secret");
    let o = run(c);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(!o.stderr.contains("Using the cached token"));
    assert_eq!(e.emu.request_count(&token_path), 3);
}
