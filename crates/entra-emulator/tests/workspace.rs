#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! The Azure Databricks side: tenant discovery through /aad/auth and token checks of
//! the SCIM `Me` endpoint.

use crate::common;

use common::{client, no_redirect_client, scim_me, scim_me_url, segment};
use entra_emulator::{
    Emulator, EmulatorConfig, HeaderValue, KeyChoice, MintRequest, RunningEmulator, TenantConfig,
    TimeSpec, WorkspaceConfig, WorkspaceMember, CONSUMER_TENANT_ID, DATABRICKS_RESOURCE_ID,
    DEMO_APP_WITH_KEYS, DEMO_SP_APP_ID, DEMO_TENANT_ID, DEMO_USER, DEMO_WORKSPACE,
};
use serde_json::Value;

const OTHER_TENANT: &str = "11111111-2222-4333-8444-555555555555";

async fn start() -> RunningEmulator {
    let cfg = EmulatorConfig::default()
        .tenant(TenantConfig::new(OTHER_TENANT).domain("fabrikam.onmicrosoft.com"))
        .workspace(
            WorkspaceConfig::new("adb-2222222222222222.2", OTHER_TENANT)
                .user("bob@fabrikam.onmicrosoft.com", "Bob Fabrikam")
                .member(
                    WorkspaceMember::user("carol@fabrikam.onmicrosoft.com", "Carol").inactive(),
                ),
        );
    Emulator::start(cfg).await.expect("start")
}

async fn me(emu: &RunningEmulator, token: &str) -> (u16, Value) {
    scim_me(emu, DEMO_WORKSPACE, token).await
}

fn message(body: &Value) -> &str {
    body["message"].as_str().expect("message")
}

#[tokio::test]
async fn aad_auth_redirect_names_the_tenant() {
    let emu = start().await;
    for (ws, tid) in [
        (DEMO_WORKSPACE, DEMO_TENANT_ID),
        ("adb-2222222222222222.2", OTHER_TENANT),
    ] {
        let url = format!("{}/aad/auth", emu.workspace_url(ws).expect("ws"));
        let r = no_redirect_client().get(&url).send().await.expect("get");
        assert!(matches!(r.status().as_u16(), 302 | 303));
        let loc = r
            .headers()
            .get("location")
            .expect("Location")
            .to_str()
            .expect("ascii")
            .to_owned();
        let parsed = url::Url::parse(&loc).expect("absolute URL");
        // How the Databricks SDKs read it: the first path segment.
        let first = parsed.path().split('/').nth(1).expect("segment");
        assert_eq!(first, tid);
        assert!(loc.starts_with(&format!("{}/{tid}/oauth2/authorize?", emu.base_url())));
        assert!(parsed
            .query_pairs()
            .any(|(k, v)| k == "client_id" && v == DATABRICKS_RESOURCE_ID));
        assert_eq!(emu.workspace_tenant(ws).as_deref(), Some(tid));
    }
    emu.shutdown_async().await;
}

#[tokio::test]
async fn members_get_their_scim_identity() {
    let emu = start().await;
    let (s, body) = me(&emu, &emu.mint(&MintRequest::user(DEMO_USER))).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["userName"], DEMO_USER);
    assert_eq!(body["displayName"], "Alice Example");
    assert_eq!(body["active"], true);
    assert_eq!(body["emails"][0]["value"], DEMO_USER);
    assert!(body["id"].is_string());
    assert!(body["groups"].is_array() && body["entitlements"].is_array());
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:schemas:core:2.0:User"
    );

    // v2.0 token (preferred_username), case-insensitive user name.
    let (s, _) = me(
        &emu,
        &emu.mint(&MintRequest::user(DEMO_USER.to_uppercase()).v2()),
    )
    .await;
    assert_eq!(s, 200);

    for sp in [
        MintRequest::service_principal(DEMO_SP_APP_ID),
        MintRequest::service_principal(DEMO_SP_APP_ID).v2(),
    ] {
        let (s, body) = me(&emu, &emu.mint(&sp)).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["applicationId"], DEMO_SP_APP_ID);
        assert_eq!(body["displayName"], "ci-pipeline");
        assert_eq!(body["active"], true);
    }

    // A member of the other workspace, with a token of its tenant.
    let t = emu.mint(&MintRequest::user("bob@fabrikam.onmicrosoft.com").tenant(OTHER_TENANT));
    let (s, body) = scim_me(&emu, "adb-2222222222222222.2", &t).await;
    assert_eq!(s, 200, "{body}");
    // Token still valid after a rotation that keeps the old key.
    emu.rotate_keys(DEMO_TENANT_ID, true).expect("rotate");
    let prev = emu.mint(&MintRequest::user(DEMO_USER).key(KeyChoice::Previous));
    assert_eq!(me(&emu, &prev).await.0, 200);
    emu.shutdown_async().await;
}

#[tokio::test]
async fn wrong_audience_is_an_incorrect_claim() {
    let emu = start().await;
    let t =
        emu.mint(&MintRequest::user(DEMO_USER).audience("https://management.core.windows.net/"));
    let (s, body) = me(&emu, &t).await;
    assert_eq!(s, 401);
    assert_eq!(body["error_code"], "401");
    assert!(
        message(&body).ends_with(
            "io.jsonwebtoken.IncorrectClaimException: Expected aud claim to be: \
             2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, but was: https://management.core.windows.net/."
        ),
        "{body}"
    );
    let t = emu.mint(&MintRequest::user(DEMO_USER).without_claim("aud"));
    let (s, body) = me(&emu, &t).await;
    assert_eq!(s, 401);
    assert!(
        message(&body).contains("Expected aud claim to be: 2ff814a6"),
        "{body}"
    );
    emu.shutdown_async().await;
}

#[tokio::test]
async fn wrong_issuer_is_an_incorrect_claim() {
    let emu = start().await;
    let expected = format!("https://sts.windows.net/{DEMO_TENANT_ID}/");
    let bad_iss = format!("https://sts.windows.net/{OTHER_TENANT}/");
    let (s, body) = me(
        &emu,
        &emu.mint(&MintRequest::user(DEMO_USER).issuer(bad_iss.clone())),
    )
    .await;
    assert_eq!(s, 401);
    assert!(
        message(&body).ends_with(&format!(
            "io.jsonwebtoken.IncorrectClaimException: Expected iss claim to be: {expected}, but was: {bad_iss}."
        )),
        "{body}"
    );
    // A valid token of another tenant, sent to this tenant's workspace.
    let t = emu.mint(&MintRequest::user(DEMO_USER).tenant(OTHER_TENANT));
    let (s, body) = me(&emu, &t).await;
    assert_eq!(s, 401);
    assert!(
        message(&body).contains("Expected iss claim to be"),
        "{body}"
    );
    // Consumer-tenant token.
    let t = emu.mint(
        &MintRequest::user("someone@outlook.com")
            .tenant(CONSUMER_TENANT_ID)
            .v2(),
    );
    assert_eq!(me(&emu, &t).await.0, 401);
    emu.shutdown_async().await;
}

#[tokio::test]
async fn expired_and_premature_tokens() {
    let emu = start().await;
    let t = emu.mint(&MintRequest::user(DEMO_USER).expired(600));
    let exp = segment(&t, 1)["exp"].as_i64().expect("exp");
    let (s, body) = me(&emu, &t).await;
    assert_eq!(s, 401);
    let m = message(&body);
    assert!(
        m.contains("io.jsonwebtoken.ExpiredJwtException: JWT expired at "),
        "{m}"
    );
    assert!(m.contains("Allowed clock skew: 0 milliseconds"), "{m}");
    let at = time::OffsetDateTime::from_unix_timestamp(exp).expect("time");
    assert!(m.contains(&format!(
        "{:04}-{:02}-{:02}T",
        at.year(),
        u8::from(at.month()),
        at.day()
    )));

    let t = emu.mint(
        &MintRequest::user(DEMO_USER)
            .not_before(TimeSpec::FromNow(600))
            .expires_at(TimeSpec::FromNow(4000)),
    );
    let (s, body) = me(&emu, &t).await;
    assert_eq!(s, 401);
    assert!(message(&body).contains("PrematureJwtException"), "{body}");
    emu.shutdown_async().await;
}

#[tokio::test]
async fn non_members_are_forbidden() {
    let emu = start().await;
    let (s, body) = me(
        &emu,
        &emu.mint(&MintRequest::user("mallory@contoso.onmicrosoft.com")),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(body["error_code"], "403");
    assert_eq!(message(&body), "User not authorized.");
    let (s, _) = me(
        &emu,
        &emu.mint(&MintRequest::service_principal(DEMO_APP_WITH_KEYS)),
    )
    .await;
    assert_eq!(s, 403);
    // A member of another workspace only.
    let t = emu.mint(&MintRequest::user("bob@fabrikam.onmicrosoft.com"));
    assert_eq!(me(&emu, &t).await.0, 403);
    // Deactivated member.
    let t = emu.mint(&MintRequest::user("carol@fabrikam.onmicrosoft.com").tenant(OTHER_TENANT));
    let (s, body) = scim_me(&emu, "adb-2222222222222222.2", &t).await;
    assert_eq!(s, 403);
    assert!(message(&body).contains("deactivated"), "{body}");
    emu.shutdown_async().await;
}

#[tokio::test]
async fn bad_signatures_and_keys() {
    let emu = start().await;
    let kid = emu.current_kid(DEMO_TENANT_ID).expect("kid");
    let mismatch = "io.jsonwebtoken.security.SignatureException: JWT signature does not match \
                    locally computed signature.";

    // Signed by an unpublished key but claiming the current kid.
    let forged = emu.mint(
        &MintRequest::user(DEMO_USER)
            .key(KeyChoice::Foreign)
            .kid(HeaderValue::Set(kid.clone())),
    );
    let (s, body) = me(&emu, &forged).await;
    assert_eq!(s, 401);
    assert!(message(&body).contains(mismatch), "{body}");

    // Tampered payload.
    let good = emu.mint(&MintRequest::user(DEMO_USER));
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut claims = segment(&good, 1);
    claims["upn"] = Value::from("admin@contoso.onmicrosoft.com");
    parts[1] = base64_url(&serde_json::to_vec(&claims).expect("json"));
    let (s, body) = me(&emu, &parts.join(".")).await;
    assert_eq!(s, 401);
    assert!(message(&body).contains(mismatch), "{body}");

    // Keys Databricks does not use: unpublished, app-specific, consumer.
    for key in [
        KeyChoice::Foreign,
        KeyChoice::AppSpecific(DEMO_APP_WITH_KEYS.into()),
        KeyChoice::Consumer,
    ] {
        let t = emu.mint(&MintRequest::user(DEMO_USER).key(key.clone()));
        let (s, body) = me(&emu, &t).await;
        assert_eq!(s, 401, "{key:?}");
        assert!(
            message(&body).contains("SignatureException"),
            "{key:?}: {body}"
        );
    }

    // Withdrawn key after rotation.
    emu.rotate_keys(DEMO_TENANT_ID, false).expect("rotate");
    let t = emu.mint(&MintRequest::user(DEMO_USER).key(KeyChoice::Previous));
    assert_eq!(me(&emu, &t).await.0, 401);

    // Algorithms other than RS256, unsigned tokens.
    let t = emu.mint(&MintRequest::user(DEMO_USER).alg("HS256"));
    assert_eq!(me(&emu, &t).await.0, 401);
    let t = emu.mint(
        &MintRequest::user(DEMO_USER)
            .alg("none")
            .key(KeyChoice::Unsigned),
    );
    let (s, body) = me(&emu, &t).await;
    assert_eq!(s, 401);
    assert!(message(&body).contains("UnsupportedJwtException"), "{body}");
    emu.shutdown_async().await;
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn authorization_header_problems() {
    let emu = start().await;
    let url = scim_me_url(&emu, DEMO_WORKSPACE);
    let r = client().get(&url).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 401);
    for bad in ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a b"] {
        let r = client()
            .get(&url)
            .header("Authorization", bad)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status().as_u16(), 400, "{bad:?}");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["error_code"], "400");
    }
    let r = client()
        .get(&url)
        .header("Authorization", b"Bearer \xff\xfe".as_slice())
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 400);
    // Not a JWT at all: an unknown personal access token.
    let (s, body) = me(&emu, "dapi0123456789abcdef").await;
    assert_eq!(s, 403);
    assert_eq!(message(&body), "Invalid access token.");
    for junk in ["a.b", "a.b.c.d", "!!!.???.###", "e30.e30.e30"] {
        let (s, body) = me(&emu, junk).await;
        assert_eq!(s, 401, "{junk}: {body}");
        assert!(
            message(&body).contains("io.jsonwebtoken."),
            "{junk}: {body}"
        );
    }
    // Unknown Databricks API paths answer like Databricks.
    let r = client()
        .get(format!(
            "{}/api/2.0/clusters/list",
            emu.workspace_url(DEMO_WORKSPACE).expect("ws")
        ))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 404);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error_code"], "ENDPOINT_NOT_FOUND");
    // Counters per workspace path.
    assert_eq!(
        emu.workspace_request_count(DEMO_WORKSPACE, "/api/2.0/preview/scim/v2/Me"),
        11
    );
    emu.shutdown_async().await;
}
