#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Databricks token federation with a real third-party issuer: panva's
//! `oidc-provider` (npm) on 127.0.0.1 issues the external token; the
//! emulator's workspace trusts it under a service principal federation
//! policy; `token --flow databricks-federation --policy` verifies the token
//! with the keys from the provider's own discovery, and the exchange works.
//!
//! Needs Node.js (20 or later) and the provider's packages:
//! `npm ci --prefix crates/entra-doctor/tests/interop/oidc-provider`.
//! Without them the test fails, saying so.

use crate::interop_support;
use crate::online_common;

use base64::Engine as _;
use entra_emulator::{EmulatorConfig, FederationPolicy, DEMO_SP_APP_ID, DEMO_WORKSPACE};
use online_common::{bare_cmd, Cmd, Setup};
use serde_json::Value;

const AUD: &str = "https://github.com/contoso";

fn claims(token: &str) -> Value {
    let p = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap(),
    )
    .unwrap()
}

/// The provider's key set, read the way Databricks reads it: its discovery's jwks_uri.
fn provider_jwks(discovery: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = reqwest::Client::builder().no_proxy().build().unwrap();
        let meta: Value = c.get(discovery).send().await.unwrap().json().await.unwrap();
        c.get(meta["jwks_uri"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    })
}

#[test]
fn an_oidc_provider_token_is_verified_by_discovery_and_exchanged() {
    let p = interop_support::start("provider.mjs", &["--audience", AUD]);
    let issuer = p.info["issuer"].as_str().unwrap().to_owned();
    let token = p.info["token"].as_str().unwrap().to_owned();
    let sub = claims(&token)["sub"].as_str().unwrap().to_owned();
    let jwks = provider_jwks(p.info["discovery"].as_str().unwrap());
    let mut cfg = EmulatorConfig::default();
    cfg.workspaces[0] = cfg.workspaces[0].clone().federation_policy(
        FederationPolicy::new(issuer.clone(), jwks)
            .audiences(&[AUD])
            .for_service_principal(DEMO_SP_APP_ID, sub.clone()),
    );
    let s = Setup::new(cfg);
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        format!(
            r#"{{"oidc_policy":{{"issuer":"{issuer}","audiences":["{AUD}"],"subject":"{sub}"}}}}"#
        ),
    )
    .unwrap();
    let run = |t: &str| {
        let f = dir.path().join("subject.jwt");
        std::fs::write(&f, t).unwrap();
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
        .arg(&policy)
        .arg("--subject-token-file")
        .arg(&f);
        Cmd(c).run_plain()
    };
    let r = run(&token);
    r.expect_code(0);
    let sig = r
        .stderr
        .lines()
        .find(|l| l.contains("signature"))
        .unwrap()
        .to_owned();
    assert!(
        sig.starts_with("PASS") && sig.contains(&format!("keys from {issuer}")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("The policy accepts the token's claims."));
    assert_eq!(r.stdout.trim().split('.').count(), 3);

    // The provider's token with a claim changed: the signature no longer verifies,
    // and Databricks (the emulator) refuses it as well.
    let r = run(p.info["tampered"].as_str().unwrap());
    r.expect_code(1);
    let sig = r
        .stderr
        .lines()
        .find(|l| l.contains("signature"))
        .unwrap()
        .to_owned();
    assert!(sig.starts_with("FAIL"), "{}", r.stderr);
    assert!(r.stderr.contains("Token exchange failed"), "{}", r.stderr);
}
