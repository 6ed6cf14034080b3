#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Databricks OAuth on a workspace: discovery, keys, M2M, U2M with PKCE, refresh, and the
//! workspace's check of the tokens it issued.

use crate::common;

use aws_lc_rs::digest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{client, no_redirect_client, post_form, scim_me, segment};
use entra_emulator::{
    Emulator, EmulatorConfig, RunningEmulator, WorkspaceConfig, DATABRICKS_CLI_CLIENT_ID,
    DATABRICKS_CLI_REDIRECT, DEMO_DATABRICKS_OAUTH_SECRET, DEMO_SP_APP_ID, DEMO_TENANT_ID,
    DEMO_USER, DEMO_WORKSPACE,
};
use serde_json::Value;

const OTHER_WS: &str = "adb-3333333333333333.3";
const NO_OAUTH_WS: &str = "adb-4444444444444444.4";

async fn start() -> RunningEmulator {
    let cfg = EmulatorConfig::default()
        .workspace(
            WorkspaceConfig::new(OTHER_WS, DEMO_TENANT_ID)
                .user(DEMO_USER, "Alice")
                .service_principal(DEMO_SP_APP_ID, "ci-pipeline")
                .oauth_secret(DEMO_SP_APP_ID, "dose-other"),
        )
        .workspace(WorkspaceConfig::new(NO_OAUTH_WS, DEMO_TENANT_ID).without_oauth());
    Emulator::start(cfg).await.expect("start")
}

fn ws(emu: &RunningEmulator, name: &str) -> String {
    emu.workspace_url(name).expect("workspace")
}

async fn m2m(emu: &RunningEmulator, name: &str, secret: &str) -> (u16, Value) {
    common::databricks_m2m(&format!("{}/oidc/v1/token", ws(emu, name)), secret).await
}

#[tokio::test]
async fn discovery_documents_point_at_the_workspace_oidc_endpoints() {
    let emu = start().await;
    let host = ws(&emu, DEMO_WORKSPACE);
    for path in [
        "/oidc/.well-known/oauth-authorization-server",
        "/oidc/.well-known/openid-configuration",
    ] {
        let (s, d) = common::get_json(&format!("{host}{path}")).await;
        assert_eq!(s, 200, "{path}");
        assert_eq!(d["issuer"], format!("{host}/oidc"));
        assert_eq!(d["token_endpoint"], format!("{host}/oidc/v1/token"));
        assert_eq!(
            d["authorization_endpoint"],
            format!("{host}/oidc/v1/authorize")
        );
        assert_eq!(d["jwks_uri"], format!("{host}/oidc/jwks.json"));
        assert!(d["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&Value::from("all-apis")));
        assert_eq!(
            d["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
    }
}

#[tokio::test]
async fn m2m_token_is_a_workspace_signed_jwt_accepted_by_scim_me() {
    let emu = start().await;
    let host = ws(&emu, DEMO_WORKSPACE);
    let (s, body) = m2m(&emu, DEMO_WORKSPACE, DEMO_DATABRICKS_OAUTH_SECRET).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "all-apis");
    assert_eq!(body["expires_in"], 3600);
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    let h = segment(token, 0);
    let c = segment(token, 1);
    assert_eq!(h["alg"], "RS256");
    assert_eq!(c["iss"], format!("{host}/oidc"));
    assert_eq!(c["sub"], DEMO_SP_APP_ID);
    assert_eq!(c["client_id"], DEMO_SP_APP_ID);
    assert_eq!(c["scope"], "all-apis");
    assert!(c["exp"].as_i64().unwrap() > c["iat"].as_i64().unwrap());

    // The kid is in the workspace's key set.
    let (_, jwks) = common::get_json(&format!("{host}/oidc/jwks.json")).await;
    assert_eq!(jwks["keys"][0]["kid"], h["kid"]);
    assert_eq!(jwks["keys"][0]["kty"], "RSA");

    let (s, me_body) = scim_me(&emu, DEMO_WORKSPACE, token).await;
    assert_eq!(s, 200, "{me_body}");
    assert_eq!(me_body["applicationId"], DEMO_SP_APP_ID);
}

#[tokio::test]
async fn m2m_wrong_or_missing_secret_is_invalid_client() {
    let emu = start().await;
    let (s, body) = m2m(&emu, DEMO_WORKSPACE, "dose-wrong").await;
    assert_eq!(s, 401);
    assert_eq!(body["error"], "invalid_client");
    let (s, body) = post_form(
        &format!("{}/oidc/v1/token", ws(&emu, DEMO_WORKSPACE)),
        &[("grant_type", "client_credentials")],
        None,
    )
    .await;
    assert_eq!(s, 401);
    assert_eq!(body["error"], "invalid_client");
    // The other workspace's secret is not this workspace's.
    let (s, _) = m2m(&emu, DEMO_WORKSPACE, "dose-other").await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn m2m_unknown_scope_is_invalid_scope() {
    let emu = start().await;
    let (s, body) = post_form(
        &format!("{}/oidc/v1/token", ws(&emu, DEMO_WORKSPACE)),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "all-apis admin"),
        ],
        Some((DEMO_SP_APP_ID, DEMO_DATABRICKS_OAUTH_SECRET)),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(body["error"], "invalid_scope");
}

#[tokio::test]
async fn token_of_one_workspace_is_refused_by_another() {
    let emu = start().await;
    let (_, body) = m2m(&emu, OTHER_WS, "dose-other").await;
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(scim_me(&emu, OTHER_WS, token).await.0, 200);
    let (s, refused) = scim_me(&emu, DEMO_WORKSPACE, token).await;
    assert_eq!(s, 403);
    assert_eq!(refused["message"], "Invalid access token.");
}

#[tokio::test]
async fn tampered_workspace_token_is_refused() {
    let emu = start().await;
    let (_, body) = m2m(&emu, DEMO_WORKSPACE, DEMO_DATABRICKS_OAUTH_SECRET).await;
    let token = body["access_token"].as_str().unwrap();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims = segment(token, 1);
    claims["sub"] = Value::from(DEMO_USER);
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    let (s, _) = scim_me(&emu, DEMO_WORKSPACE, &parts.join(".")).await;
    assert_eq!(s, 403);
}

fn pkce() -> (String, String) {
    let verifier = "a-verifier-of-enough-length-0123456789-abcdefghijk".to_owned();
    let challenge = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    (verifier, challenge)
}

async fn authorize(emu: &RunningEmulator, query: &[(&str, &str)]) -> reqwest::Response {
    no_redirect_client()
        .get(format!("{}/oidc/v1/authorize", ws(emu, DEMO_WORKSPACE)))
        .query(query)
        .send()
        .await
        .expect("request")
}

/// The Databricks CLI's U2M request (PKCE S256, scope `all-apis offline_access`), with
/// `extra` parameters.
async fn cli_authorize(
    emu: &RunningEmulator,
    challenge: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut query = vec![
        ("response_type", "code"),
        ("client_id", DATABRICKS_CLI_CLIENT_ID),
        ("redirect_uri", DATABRICKS_CLI_REDIRECT),
        ("scope", "all-apis offline_access"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    query.extend_from_slice(extra);
    authorize(emu, &query).await
}

fn location_params(r: &reqwest::Response) -> (String, Vec<(String, String)>) {
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let u = url::Url::parse(&loc).unwrap();
    let base = format!(
        "{}://{}{}",
        u.scheme(),
        u.host_str().unwrap(),
        u.port().map(|p| format!(":{p}")).unwrap_or_default()
    );
    (base, u.query_pairs().into_owned().collect())
}

fn get<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn u2m_code_with_pkce_then_refresh_gives_user_tokens() {
    let emu = start().await;
    let (verifier, challenge) = pkce();
    let r = cli_authorize(&emu, &challenge, &[("state", "st-1")]).await;
    assert_eq!(r.status().as_u16(), 302);
    let (base, params) = location_params(&r);
    assert_eq!(base, DATABRICKS_CLI_REDIRECT);
    assert_eq!(get(&params, "state"), Some("st-1"));
    let code = get(&params, "code").unwrap().to_owned();
    let url = format!("{}/oidc/v1/token", ws(&emu, DEMO_WORKSPACE));

    // A wrong verifier spends nothing we can reuse: the code is single-use.
    let (s, body) = post_form(
        &url,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            (
                "code_verifier",
                "not-the-verifier-not-the-verifier-not-the-verifier",
            ),
            ("redirect_uri", DATABRICKS_CLI_REDIRECT),
            ("client_id", DATABRICKS_CLI_CLIENT_ID),
        ],
        None,
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(body["error"], "invalid_grant");

    // A fresh code, redeemed properly.
    let r = cli_authorize(&emu, &challenge, &[]).await;
    let code = get(&location_params(&r).1, "code").unwrap().to_owned();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", verifier.as_str()),
        ("redirect_uri", DATABRICKS_CLI_REDIRECT),
        ("client_id", DATABRICKS_CLI_CLIENT_ID),
    ];
    let (s, body) = post_form(&url, &form, None).await;
    assert_eq!(s, 200, "{body}");
    let access = body["access_token"].as_str().unwrap();
    let c = segment(access, 1);
    assert_eq!(c["sub"], DEMO_USER);
    assert_eq!(c["client_id"], DATABRICKS_CLI_CLIENT_ID);
    let (s, me_body) = scim_me(&emu, DEMO_WORKSPACE, access).await;
    assert_eq!(s, 200, "{me_body}");
    assert_eq!(me_body["userName"], DEMO_USER);

    // Redeeming the same code again fails.
    let (s, again) = post_form(&url, &form, None).await;
    assert_eq!(s, 400);
    assert_eq!(again["error"], "invalid_grant");

    // Refresh rotates the refresh token.
    let rt = body["refresh_token"].as_str().unwrap().to_owned();
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
        ("client_id", DATABRICKS_CLI_CLIENT_ID),
    ];
    let (s, refreshed) = post_form(&url, &refresh_form, None).await;
    assert_eq!(s, 200, "{refreshed}");
    assert_eq!(
        segment(refreshed["access_token"].as_str().unwrap(), 1)["sub"],
        DEMO_USER
    );
    assert_ne!(refreshed["refresh_token"].as_str().unwrap(), rt);
    let (s, spent) = post_form(&url, &refresh_form, None).await;
    assert_eq!(s, 400);
    assert_eq!(spent["error"], "invalid_grant");
}

#[tokio::test]
async fn u2m_unregistered_redirect_uri_is_an_error_page_not_a_redirect() {
    let emu = start().await;
    let (_, challenge) = pkce();
    for redirect in ["http://localhost:8021", "http://evil.example/cb"] {
        let r = authorize(
            &emu,
            &[
                ("response_type", "code"),
                ("client_id", DATABRICKS_CLI_CLIENT_ID),
                ("redirect_uri", redirect),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
        assert_eq!(r.status().as_u16(), 400, "{redirect}");
        assert!(r.headers().get("location").is_none());
        assert!(r.text().await.unwrap().contains("is not registered"));
    }
    let r = authorize(
        &emu,
        &[
            ("response_type", "code"),
            ("client_id", "someone-else"),
            ("redirect_uri", DATABRICKS_CLI_REDIRECT),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn u2m_without_pkce_redirects_with_invalid_request() {
    let emu = start().await;
    let r = authorize(
        &emu,
        &[
            ("response_type", "code"),
            ("client_id", DATABRICKS_CLI_CLIENT_ID),
            ("redirect_uri", DATABRICKS_CLI_REDIRECT),
            ("state", "s"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 302);
    let (_, p) = location_params(&r);
    assert_eq!(get(&p, "error"), Some("invalid_request"));
    assert_eq!(get(&p, "state"), Some("s"));
    assert!(get(&p, "code").is_none());
}

#[tokio::test]
async fn workspace_without_oauth_answers_404_on_oidc_paths() {
    let emu = start().await;
    let host = ws(&emu, NO_OAUTH_WS);
    let r = client()
        .get(format!(
            "{host}/oidc/.well-known/oauth-authorization-server"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error_code"], "ENDPOINT_NOT_FOUND");
    let (s, _) = m2m(&emu, NO_OAUTH_WS, "x").await;
    assert_eq!(s, 404);
}
