#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! A real peer through `auth`: panva's `oidc-provider` (npm) on 127.0.0.1
//! issues tokens shaped like GitHub Actions' ID tokens; the emulator's app
//! trusts its key set in a federated credential. `auth` chooses azure-msi on
//! AKS (the token in `AZURE_FEDERATED_TOKEN_FILE`), exchanges it and checks
//! the Entra token end to end; a token of another branch is refused with
//! the subject named. Needs Node.js and
//! `npm ci --prefix crates/entra-doctor/tests/interop/oidc-provider`.

use crate::interop_support;
use crate::online_common;

use entra_emulator::{
    AppRegistration, EmulatorConfig, FederatedCredential, DEMO_TENANT_ID, DEMO_WORKSPACE,
};
use online_common::{bare_cmd, Cmd, Run, Setup};

const AZURE_HOST: &str = "https://adb-1234567890123456.7.azuredatabricks.net";
const APP: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const MAIN: &str = "repo:org/repo:ref:refs/heads/main";
const DEV: &str = "repo:org/repo:ref:refs/heads/dev";

fn finding<'a>(r: &'a Run, check: &str) -> &'a serde_json::Value {
    r.json["report"]["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["check"] == check))
        .unwrap_or_else(|| panic!("no '{check}' finding: {}\n{}", r.stdout, r.stderr))
}

#[test]
fn oidc_provider_tokens_run_through_auth_on_aks_and_a_wrong_branch_is_named() {
    let p = interop_support::start("github-shaped.mjs", &["--subject", MAIN, "--subject", DEV]);
    let issuer = p.info["issuer"].as_str().unwrap().to_owned();
    let jwks = p.info["jwks"].to_string();
    let mut cfg = EmulatorConfig::default();
    cfg.tenants[0] = cfg.tenants[0].clone().app(
        AppRegistration::new(APP, "github-ci")
            .federated_credential(FederatedCredential::new(issuer, MAIN, jwks)),
    );
    cfg.workspaces[0] = cfg.workspaces[0]
        .clone()
        .service_principal(APP, "github-ci");
    let s = Setup::new(cfg);
    let run = |sub: &str| {
        let file = s.home.path().join(format!("{}.jwt", sub.len()));
        std::fs::write(&file, p.info["tokens"][sub].as_str().unwrap()).unwrap();
        let mut c = bare_cmd(s.home.path());
        c.args([
            "auth",
            "--json",
            "--test-resolve",
            "localhost=127.0.0.1",
            "--cache-dir",
        ]);
        c.arg(s.cache.path());
        Cmd(c)
            .env("DATABRICKS_HOST", AZURE_HOST)
            .env("ARM_USE_MSI", "true")
            .env("AZURE_FEDERATED_TOKEN_FILE", &file)
            .env("AZURE_CLIENT_ID", APP)
            .env("AZURE_TENANT_ID", DEMO_TENANT_ID)
            .args(["--authority", s.emu.base_url(), "--test-host"])
            .arg(format!("{AZURE_HOST}={}", s.ws(DEMO_WORKSPACE)))
            .run_plain()
    };
    let r = run(MAIN);
    assert_eq!(r.json["auth_type"], "azure-msi", "{}", r.stdout);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["valid"], true);
    assert_eq!(finding(&r, "signature")["status"], "pass");
    assert_eq!(finding(&r, "membership")["status"], "pass");
    assert!(
        finding(&r, "credential")["message"]
            .as_str()
            .unwrap()
            .contains(&format!("sub {MAIN}")),
        "{}",
        r.stdout
    );
    let r = run(DEV);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["valid"], false);
    let cred = finding(&r, "credential");
    assert_eq!(cred["status"], "fail");
    assert!(
        cred["message"]
            .as_str()
            .unwrap()
            .contains(&format!("sub '{DEV}'")),
        "{}",
        r.stdout
    );
    assert_eq!(r.json["explanation"]["report"]["codes"][0], 700213);
}
