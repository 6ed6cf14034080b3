#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! A real peer: panva's `oidc-provider` (npm) on 127.0.0.1 issues tokens
//! shaped like GitHub Actions' (`sub` `repo:org/repo:ref:refs/heads/...`,
//! `aud` `api://AzureADTokenExchange`); the emulator trusts its key set in a
//! federated credential; `entra-doctor token --flow federated` exchanges
//! them. Needs Node.js and
//! `npm ci --prefix crates/entra-doctor/tests/interop/oidc-provider`.

use crate::interop_support;

use std::time::Duration;

use assert_cmd::Command;
use entra_emulator::{
    AppRegistration, Emulator, EmulatorConfig, FederatedCredential, DEMO_TENANT_ID, DEMO_WORKSPACE,
};

const APP: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const MAIN: &str = "repo:org/repo:ref:refs/heads/main";
const DEV: &str = "repo:org/repo:ref:refs/heads/dev";

#[test]
fn oidc_provider_tokens_federate_and_a_wrong_branch_is_named() {
    let p = interop_support::start("github-shaped.mjs", &["--subject", MAIN, "--subject", DEV]);
    let issuer = p.info["issuer"].as_str().unwrap().to_owned();
    let jwks = p.info["jwks"].to_string();
    let mut cfg = EmulatorConfig::default();
    cfg.tenants[0] = cfg.tenants[0].clone().app(
        AppRegistration::new(APP, "github-ci").federated_credential(FederatedCredential::new(
            issuer.clone(),
            MAIN,
            jwks,
        )),
    );
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .service_principal(APP, "github-ci");
    let emu = Emulator::start_blocking(cfg).unwrap();
    let home = tempfile::tempdir().unwrap();
    let creds = home.path().join("fic.json");
    std::fs::write(
        &creds,
        serde_json::json!([{
            "name": "main-branch", "issuer": issuer, "subject": MAIN,
            "audiences": ["api://AzureADTokenExchange"]
        }])
        .to_string(),
    )
    .unwrap();
    let run = |sub: &str| {
        let file = home.path().join(format!("{}.jwt", sub.len()));
        std::fs::write(&file, p.info["tokens"][sub].as_str().unwrap()).unwrap();
        let mut c = Command::cargo_bin("entra-doctor").unwrap();
        c.env_clear()
            .env("HOME", home.path())
            .env("NO_COLOR", "1")
            .args([
                "token",
                "--flow",
                "federated",
                "--authority",
                emu.base_url(),
                "--tenant",
                DEMO_TENANT_ID,
                "--client-id",
                APP,
                "--no-cache",
                "--allow-any-workspace-host",
                "--workspace",
                &emu.workspace_url(DEMO_WORKSPACE).unwrap(),
            ])
            .arg("--federated-token-file")
            .arg(&file)
            .arg("--federated-credential")
            .arg(&creds)
            .timeout(Duration::from_secs(60));
        let o = c.output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = run(MAIN);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Valid: every check passed."), "{err}");
    assert!(err.contains(&format!("sub  {MAIN}")), "{err}");
    let (code, err) = run(DEV);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("AADSTS700213"), "{err}");
    assert!(
        err.contains(&format!(
            "- subject (sub): the token has `{DEV}`, the credential expects `{MAIN}`."
        )),
        "{err}"
    );
    assert!(
        err.contains("First difference at character 30: `dev` presented, `main` expected."),
        "{err}"
    );
}
