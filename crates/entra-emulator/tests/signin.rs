#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Sign-in endpoints: token (v1.0, v2.0), authorize, device code; each grant's success
//! and Entra's errors; issued tokens pass the workspace's own check.

use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use entra_emulator::{
    AppRegistration, ClientCertificate, Emulator, EmulatorConfig, Mfa, Platform, RunningEmulator,
    TenantConfig, UserAccount, WorkspaceConfig, DATABRICKS_RESOURCE_ID, DEMO_MFA_USER,
    DEMO_PUBLIC_APP_ID, DEMO_SP_APP_ID, DEMO_SP_SECRET, DEMO_TENANT_ID, DEMO_UNCONSENTED_APP_ID,
    DEMO_USER, DEMO_USER_PASSWORD, DEMO_WORKSPACE,
};
use serde_json::Value;

const CERT_APP: &str = "c0c0c0c0-1111-4222-8333-444455556666";
const WEB_APP: &str = "0eb0eb00-1111-4222-8333-444455556666";
const EXPIRED_APP: &str = "e0e0e0e0-1111-4222-8333-444455556666";
const OTHER_TENANT: &str = "11111111-2222-4333-8444-555555555555";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn start(cert: &ClientCertificate) -> RunningEmulator {
    let mut cfg = EmulatorConfig::default().device_code(1, 3);
    let t = cfg.tenants.remove(0);
    let t = t
        .app(
            AppRegistration::new(CERT_APP, "cert-app")
                .certificate(cert.cert_pem.clone())
                .consent(DATABRICKS_RESOURCE_ID),
        )
        .app(
            AppRegistration::new(WEB_APP, "web-app")
                .secret("web-secret")
                .redirect_uri("https://app.example/cb", Platform::Web)
                .consent(DATABRICKS_RESOURCE_ID),
        )
        .app(AppRegistration::new(EXPIRED_APP, "old").secret_expiring("old-secret", 1_600_000_000))
        .user(UserAccount::new("enrol@contoso.onmicrosoft.com", "pw").mfa(Mfa::Registration));
    cfg.tenants.insert(0, t);
    cfg = cfg
        .tenant(
            TenantConfig::new(OTHER_TENANT)
                .without_databricks()
                .app(AppRegistration::new(DEMO_SP_APP_ID, "ci").secret(DEMO_SP_SECRET)),
        )
        .workspace(WorkspaceConfig::new("adb-2.2", OTHER_TENANT));
    Emulator::start(cfg).await.expect("start")
}

async fn post(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    crate::common::post_form(url, form, None).await
}

fn assert_entra_error(body: &Value, error: &str, code: u64) {
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"][0], code, "{body}");
    let desc = body["error_description"].as_str().unwrap();
    assert!(desc.starts_with(&format!("AADSTS{code}: ")), "{desc}");
    assert!(desc.contains("\r\nTrace ID: ") && desc.contains("\r\nCorrelation ID: "));
    for k in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(body[k].is_string(), "{k} in {body}");
    }
}

async fn scim_ok(emu: &RunningEmulator, token: &str) -> u16 {
    crate::common::scim_me(emu, DEMO_WORKSPACE, token).await.0
}

fn assertion(cert: &ClientCertificate, client_id: &str, aud: &str, exp_delta: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let header = serde_json::json!({"alg":"RS256","typ":"JWT","x5t":cert.x5t});
    let claims = serde_json::json!({"aud":aud,"iss":client_id,"sub":client_id,"jti":"j1",
        "nbf":now-60,"exp":now+exp_delta});
    let signing = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let b64: String = cert
        .key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let kp = RsaKeyPair::from_pkcs8(&STANDARD.decode(b64).unwrap()).unwrap();
    let mut sig = vec![0u8; kp.public_modulus_len()];
    kp.sign(
        &RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        signing.as_bytes(),
        &mut sig,
    )
    .unwrap();
    format!("{signing}.{}", URL_SAFE_NO_PAD.encode(sig))
}

#[tokio::test]
async fn client_credentials_secret_v1_v2_and_errors() {
    let cert = ClientCertificate::generate("cert-app").unwrap();
    let emu = start(&cert).await;
    let v1 = format!("{}/{DEMO_TENANT_ID}/oauth2/token", emu.base_url());
    let v2 = format!("{}/{DEMO_TENANT_ID}/oauth2/v2.0/token", emu.base_url());
    let (s, b) = post(
        &v1,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", DEMO_SP_APP_ID),
            ("client_secret", DEMO_SP_SECRET),
            ("resource", DATABRICKS_RESOURCE_ID),
        ],
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["token_type"], "Bearer");
    assert!(b["expires_on"].is_string() && b["expires_in"].is_string());
    assert_eq!(
        scim_ok(&emu, b["access_token"].as_str().unwrap()).await,
        200
    );

    let scope = format!("{DATABRICKS_RESOURCE_ID}/.default");
    let (s, b) = post(
        &v2,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", DEMO_SP_APP_ID),
            ("client_secret", DEMO_SP_SECRET),
            ("scope", &scope),
        ],
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["expires_in"], 3599);
    assert_eq!(
        scim_ok(&emu, b["access_token"].as_str().unwrap()).await,
        200
    );

    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str, u64);
    let cases: Vec<Case> = vec![
        (
            vec![("client_secret", "wrong")],
            401,
            "invalid_client",
            7000215,
        ),
        (vec![], 401, "invalid_client", 7000218),
    ];
    for (extra, status, error, code) in cases {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", DEMO_SP_APP_ID),
            ("resource", DATABRICKS_RESOURCE_ID),
        ];
        form.extend(extra);
        let (s, b) = post(&v1, &form).await;
        assert_eq!(s, status, "{b}");
        assert_entra_error(&b, error, code);
    }
    let (s, b) = post(
        &v1,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", EXPIRED_APP),
            ("client_secret", "old-secret"),
            ("resource", DATABRICKS_RESOURCE_ID),
        ],
    )
    .await;
    assert_eq!(s, 401);
    assert_entra_error(&b, "invalid_client", 7000222);
    let (_, b) = post(
        &v1,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "99999999-1111-4222-8333-444455556666"),
            ("client_secret", "x"),
            ("resource", DATABRICKS_RESOURCE_ID),
        ],
    )
    .await;
    assert_entra_error(&b, "unauthorized_client", 700016);
    let (_, b) = post(
        &v2,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", DEMO_SP_APP_ID),
            ("client_secret", DEMO_SP_SECRET),
            ("scope", DATABRICKS_RESOURCE_ID),
        ],
    )
    .await;
    assert_entra_error(&b, "invalid_scope", 70011);
    let (s, b) = post(
        &format!(
            "{}/00000000-1111-4222-8333-444455556666/oauth2/token",
            emu.base_url()
        ),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(s, 400);
    assert_entra_error(&b, "invalid_tenant", 90002);
    // Databricks is not in the other tenant.
    let (_, b) = post(
        &format!("{}/{OTHER_TENANT}/oauth2/token", emu.base_url()),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", DEMO_SP_APP_ID),
            ("client_secret", DEMO_SP_SECRET),
            ("resource", DATABRICKS_RESOURCE_ID),
        ],
    )
    .await;
    assert_entra_error(&b, "invalid_resource", 500011);
    let (_, b) = post(&v1, &[("client_id", DEMO_SP_APP_ID)]).await;
    assert_entra_error(&b, "invalid_request", 900144);
}

#[tokio::test]
async fn client_credentials_with_a_certificate() {
    let cert = ClientCertificate::generate("cert-app").unwrap();
    let emu = start(&cert).await;
    let v2 = format!("{}/{DEMO_TENANT_ID}/oauth2/v2.0/token", emu.base_url());
    let scope = format!("{DATABRICKS_RESOURCE_ID}/.default");
    let send = |a: String| {
        let v2 = v2.clone();
        let scope = scope.clone();
        async move {
            post(
                &v2,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", CERT_APP),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &a),
                    ("scope", &scope),
                ],
            )
            .await
        }
    };
    let (s, b) = send(assertion(&cert, CERT_APP, &v2, 600)).await;
    assert_eq!(s, 200, "{b}");
    let other = ClientCertificate::generate("other").unwrap();
    let (_, b) = send(assertion(&other, CERT_APP, &v2, 600)).await;
    assert_entra_error(&b, "invalid_client", 700027);
    let (_, b) = send(assertion(&cert, CERT_APP, &v2, -600)).await;
    assert_entra_error(&b, "invalid_client", 700024);
    let (_, b) = send("not.a.jwt".into()).await;
    assert_entra_error(&b, "invalid_request", 50027);
}

#[tokio::test]
async fn password_grant_and_its_errors() {
    let cert = ClientCertificate::generate("cert-app").unwrap();
    let emu = start(&cert).await;
    let v1 = format!("{}/{DEMO_TENANT_ID}/oauth2/token", emu.base_url());
    let form = |client: &'static str, user: &'static str, pw: &'static str| {
        vec![
            ("grant_type", "password"),
            ("client_id", client),
            ("username", user),
            ("password", pw),
            ("resource", DATABRICKS_RESOURCE_ID),
        ]
    };
    let (s, b) = post(
        &v1,
        &form(DEMO_PUBLIC_APP_ID, DEMO_USER, DEMO_USER_PASSWORD),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        scim_ok(&emu, b["access_token"].as_str().unwrap()).await,
        200
    );
    for (f, error, code) in [
        (
            form(DEMO_PUBLIC_APP_ID, DEMO_USER, "nope"),
            "invalid_grant",
            50126,
        ),
        (
            form(DEMO_PUBLIC_APP_ID, "ghost@contoso.onmicrosoft.com", "x"),
            "invalid_grant",
            50034,
        ),
        (
            form(DEMO_PUBLIC_APP_ID, DEMO_MFA_USER, DEMO_USER_PASSWORD),
            "invalid_grant",
            50076,
        ),
        (
            form(DEMO_PUBLIC_APP_ID, "enrol@contoso.onmicrosoft.com", "pw"),
            "invalid_grant",
            50079,
        ),
        (
            form(DEMO_UNCONSENTED_APP_ID, DEMO_USER, DEMO_USER_PASSWORD),
            "invalid_grant",
            65001,
        ),
        (
            form(WEB_APP, DEMO_USER, DEMO_USER_PASSWORD),
            "invalid_client",
            7000218,
        ),
    ] {
        let (_, b) = post(&v1, &f).await;
        assert_entra_error(&b, error, code);
    }
}

fn query_of(location: &str) -> Vec<(String, String)> {
    let u = url::Url::parse(location).unwrap();
    u.query_pairs().into_owned().collect()
}

fn q<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    pairs.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn authorization_code_with_pkce() {
    let cert = ClientCertificate::generate("cert-app").unwrap();
    let emu = start(&cert).await;
    let base = emu.base_url().to_owned();
    let verifier = "x".repeat(50);
    let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ));
    let scope = format!("{DATABRICKS_RESOURCE_ID}/.default offline_access");
    let authorize = |client: &str, redirect: &str| {
        let mut u =
            url::Url::parse(&format!("{base}/{DEMO_TENANT_ID}/oauth2/v2.0/authorize")).unwrap();
        u.query_pairs_mut()
            .append_pair("client_id", client)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect)
            .append_pair("scope", &scope)
            .append_pair("state", "st4te")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        u.to_string()
    };
    let r = client()
        .get(authorize(DEMO_PUBLIC_APP_ID, "http://localhost:43210"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.starts_with("http://localhost:43210/?code="), "{loc}");
    let pairs = query_of(&loc);
    assert_eq!(q(&pairs, "state"), Some("st4te"));
    let code = q(&pairs, "code").unwrap().to_owned();
    let token_url = format!("{base}/{DEMO_TENANT_ID}/oauth2/v2.0/token");
    let redeem = |code: String, verifier: String| {
        let token_url = token_url.clone();
        async move {
            post(
                &token_url,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", DEMO_PUBLIC_APP_ID),
                    ("code", &code),
                    ("redirect_uri", "http://localhost:43210"),
                    ("code_verifier", &verifier),
                ],
            )
            .await
        }
    };
    let (s, b) = redeem(code.clone(), "wrong".into()).await;
    assert_eq!(s, 400);
    assert_entra_error(&b, "invalid_grant", 501481);
    // The code is gone once tried.
    let (_, b) = redeem(code, verifier.clone()).await;
    assert_entra_error(&b, "invalid_grant", 54005);
    let r = client()
        .get(authorize(DEMO_PUBLIC_APP_ID, "http://localhost:43210"))
        .send()
        .await
        .unwrap();
    let code = q(&query_of(r.headers()["location"].to_str().unwrap()), "code")
        .unwrap()
        .to_owned();
    let (s, b) = redeem(code, verifier).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        scim_ok(&emu, b["access_token"].as_str().unwrap()).await,
        200
    );

    // Redirect URI not registered: an error page, no redirect.
    let r = client()
        .get(authorize(DEMO_PUBLIC_APP_ID, "http://127.0.0.1:5000/cb"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("AADSTS50011"));
    // Consent missing and users may not consent: an error redirect.
    let r = client()
        .get(authorize(DEMO_UNCONSENTED_APP_ID, "http://localhost:1234"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let pairs = query_of(r.headers()["location"].to_str().unwrap());
    assert_eq!(q(&pairs, "error"), Some("consent_required"));
    assert!(q(&pairs, "error_description")
        .unwrap()
        .starts_with("AADSTS65001"));
    assert_eq!(q(&pairs, "state"), Some("st4te"));
    // After admin consent, it works.
    emu.grant_consent(
        DEMO_TENANT_ID,
        DEMO_UNCONSENTED_APP_ID,
        DATABRICKS_RESOURCE_ID,
    );
    let r = client()
        .get(authorize(DEMO_UNCONSENTED_APP_ID, "http://localhost:1234"))
        .send()
        .await
        .unwrap();
    assert!(q(&query_of(r.headers()["location"].to_str().unwrap()), "code").is_some());
    // A web app's code needs the secret.
    let r = client()
        .get(authorize(WEB_APP, "https://app.example/cb"))
        .send()
        .await
        .unwrap();
    let code = q(&query_of(r.headers()["location"].to_str().unwrap()), "code")
        .unwrap()
        .to_owned();
    let (_, b) = post(
        &token_url,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", WEB_APP),
            ("code", &code),
            ("redirect_uri", "https://app.example/cb"),
            ("code_verifier", &"x".repeat(50)),
        ],
    )
    .await;
    assert_entra_error(&b, "invalid_client", 7000218);
    // Unknown app: an error page.
    let r = client()
        .get(authorize(
            "99999999-1111-4222-8333-444455556666",
            "http://localhost",
        ))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("AADSTS700016"));
}

#[tokio::test]
async fn device_code_pending_slow_down_approved_expired() {
    let cert = ClientCertificate::generate("cert-app").unwrap();
    let emu = start(&cert).await;
    let base = emu.base_url().to_owned();
    let (s, dc) = post(
        &format!("{base}/{DEMO_TENANT_ID}/oauth2/v2.0/devicecode"),
        &[
            ("client_id", DEMO_PUBLIC_APP_ID),
            ("scope", &format!("{DATABRICKS_RESOURCE_ID}/.default")),
        ],
    )
    .await;
    assert_eq!(s, 200, "{dc}");
    assert_eq!(dc["interval"], 1);
    assert!(dc["verification_uri"]
        .as_str()
        .unwrap()
        .ends_with("/devicelogin"));
    let device_code = dc["device_code"].as_str().unwrap().to_owned();
    let token_url = format!("{base}/{DEMO_TENANT_ID}/oauth2/v2.0/token");
    let poll = || async {
        post(
            &token_url,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", DEMO_PUBLIC_APP_ID),
                ("device_code", &device_code),
            ],
        )
        .await
    };
    let (_, b) = poll().await;
    assert_entra_error(&b, "authorization_pending", 70016);
    let (_, b) = poll().await;
    assert_eq!(b["error"], "slow_down");
    assert_eq!(
        emu.pending_user_codes(),
        vec![dc["user_code"].as_str().unwrap().to_owned()]
    );
    // The verification page approves it.
    let page = client()
        .get(format!(
            "{base}/devicelogin?user_code={}&login_hint={DEMO_USER}",
            dc["user_code"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let (s, b) = poll().await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        scim_ok(&emu, b["access_token"].as_str().unwrap()).await,
        200
    );

    // v1 endpoint, then let it expire.
    let (_, dc) = post(
        &format!("{base}/{DEMO_TENANT_ID}/oauth2/devicecode"),
        &[
            ("client_id", DEMO_PUBLIC_APP_ID),
            ("resource", DATABRICKS_RESOURCE_ID),
        ],
    )
    .await;
    assert_eq!(dc["interval"], "1");
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let (_, b) = post(
        &format!("{base}/{DEMO_TENANT_ID}/oauth2/token"),
        &[
            ("grant_type", "device_code"),
            ("client_id", DEMO_PUBLIC_APP_ID),
            ("code", dc["device_code"].as_str().unwrap()),
            ("resource", DATABRICKS_RESOURCE_ID),
        ],
    )
    .await;
    assert_entra_error(&b, "expired_token", 70019);
}

#[tokio::test]
async fn basic_auth_v1_authorize_and_admin_consent() {
    let cert = ClientCertificate::generate("cert-app").unwrap();
    let emu = start(&cert).await;
    let base = emu.base_url().to_owned();
    // client_secret_basic.
    let r = client()
        .post(format!("{base}/{DEMO_TENANT_ID}/oauth2/token"))
        .basic_auth(DEMO_SP_APP_ID, Some(DEMO_SP_SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", DATABRICKS_RESOURCE_ID),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // v1 authorize with resource, by domain, prompt=none without consent.
    let mut u =
        url::Url::parse(&format!("{base}/contoso.onmicrosoft.com/oauth2/authorize")).unwrap();
    u.query_pairs_mut()
        .append_pair("client_id", DEMO_UNCONSENTED_APP_ID)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", "http://localhost:9999")
        .append_pair("resource", DATABRICKS_RESOURCE_ID)
        .append_pair("prompt", "none");
    let r = client().get(u.as_str()).send().await.unwrap();
    let pairs = query_of(r.headers()["location"].to_str().unwrap());
    assert_eq!(q(&pairs, "error"), Some("consent_required"));
    // Admin consent, then the password grant works for that app.
    let page = client()
        .get(format!(
            "{base}/{DEMO_TENANT_ID}/adminconsent?client_id={DEMO_UNCONSENTED_APP_ID}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let (s, b) = post(
        &format!("{base}/{DEMO_TENANT_ID}/oauth2/token"),
        &[
            ("grant_type", "password"),
            ("client_id", DEMO_UNCONSENTED_APP_ID),
            ("username", DEMO_USER),
            ("password", DEMO_USER_PASSWORD),
            ("resource", DATABRICKS_RESOURCE_ID),
        ],
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["scope"], "user_impersonation");
    // Unsupported grant.
    let (_, b) = post(
        &format!("{base}/{DEMO_TENANT_ID}/oauth2/token"),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", DEMO_SP_APP_ID),
            ("client_secret", DEMO_SP_SECRET),
        ],
    )
    .await;
    assert_entra_error(&b, "unsupported_grant_type", 70003);
}

#[tokio::test]
async fn implicit_grant_returns_the_token_in_the_redirect_fragment() {
    let cert = ClientCertificate::generate("cert-app").unwrap();
    let emu = start(&cert).await;
    let base = emu.base_url().to_owned();
    let mut u = url::Url::parse(&format!("{base}/{DEMO_TENANT_ID}/oauth2/authorize")).unwrap();
    u.query_pairs_mut()
        .append_pair("client_id", DEMO_PUBLIC_APP_ID)
        .append_pair("response_type", "token")
        .append_pair("redirect_uri", "http://localhost:8400/")
        .append_pair("resource", DATABRICKS_RESOURCE_ID)
        .append_pair("state", "s1");
    let r = client().get(u.as_str()).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(loc.query(), None, "nothing in the query: {loc}");
    assert_eq!(&loc[..url::Position::AfterPath], "http://localhost:8400/");
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(loc.fragment().unwrap().as_bytes())
            .into_owned()
            .collect();
    assert_eq!(q(&pairs, "token_type"), Some("Bearer"));
    assert_eq!(q(&pairs, "state"), Some("s1"));
    let token = q(&pairs, "access_token").unwrap();
    let payload: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["aud"], DATABRICKS_RESOURCE_ID);
    assert_eq!(payload["upn"], DEMO_USER);
    assert_eq!(payload["appid"], DEMO_PUBLIC_APP_ID);
    // Another response type is still refused, at the redirect URI.
    let mut u = url::Url::parse(&format!("{base}/{DEMO_TENANT_ID}/oauth2/authorize")).unwrap();
    u.query_pairs_mut()
        .append_pair("client_id", DEMO_PUBLIC_APP_ID)
        .append_pair("response_type", "id_token")
        .append_pair("redirect_uri", "http://localhost:8400/");
    let r = client().get(u.as_str()).send().await.unwrap();
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.contains("error=unsupported_response_type"), "{loc}");
}
