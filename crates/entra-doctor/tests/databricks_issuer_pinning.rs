//! A Databricks-issued token is accepted only from the host (and, on the
//! shared accounts host, the account) it is checked against: signed by a
//! trusted key is not enough when the token names its own issuer.

use crate::cli_support::{check_json, jwks_file, sign, status, NOW, TENANT};
use crate::serve_support::Server;

use serde_json::{json, Value};

const WS: &str = "https://adb-1111111111111111.11.azuredatabricks.net";
const ACCOUNTS: &str = "https://accounts.azuredatabricks.net";
const ACCOUNT: &str = "9a8b7c6d-1111-4222-8333-444455556666";

fn dbx_claims(iss: &str) -> Value {
    json!({"iss": iss, "aud": "x", "sub": "someone", "client_id": "someone",
        "scope": "all-apis", "iat": NOW - 60, "exp": NOW + 3000})
}

#[test]
fn a_databricks_token_from_any_host_is_not_valid_without_a_workspace() {
    let t = sign(&dbx_claims("https://evil.example.com/oidc"));
    let (code, v) = check_json(&t, &["--tenant", TENANT]);
    assert_ne!(code, 0, "{v}");
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["kind"], "databricks_oauth", "{v}");
    assert_eq!(status(&v, "issuer"), "fail", "{v}");
    // A pinned tenant: a Databricks token is no token of that tenant.
    assert_eq!(status(&v, "tenant"), "fail", "{v}");
    let (code, v) = check_json(&t, &[]);
    assert_eq!((code, status(&v, "issuer").as_str()), (1, "fail"), "{v}");
}

#[test]
fn a_databricks_token_of_the_workspace_given_is_valid_and_another_hosts_is_not() {
    let good = sign(&dbx_claims(&format!("{WS}/oidc")));
    let (code, v) = check_json(&good, &["--workspace", WS]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = check_json(&good, &["--workspace", WS, "--audience", "api://other"]);
    assert_ne!(code, 0, "{v}");
    // With --audience for another API the token is that API's: not Entra's issuer.
    assert_eq!(v["valid"], false, "{v}");
    let evil = sign(&dbx_claims("https://evil.example.com/oidc"));
    let (code, v) = check_json(&evil, &["--workspace", WS]);
    assert_eq!((code, status(&v, "issuer").as_str()), (1, "fail"), "{v}");
}

#[test]
fn an_account_token_on_the_accounts_host_needs_the_configured_account_id() {
    let t = sign(&dbx_claims(&format!("{ACCOUNTS}/oidc/accounts/{ACCOUNT}")));
    let run = |account: Option<&str>| {
        let dir = tempfile::tempdir().unwrap();
        let jwks = jwks_file(&dir);
        let mut c = crate::cli_support::cmd();
        if let Some(a) = account {
            c.env("DATABRICKS_ACCOUNT_ID", a);
        }
        c.args(["check", "--json", "--at", &NOW.to_string(), "--jwks"])
            .arg(&jwks)
            .args(["--workspace", ACCOUNTS])
            .arg(&t);
        let out = c.output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap_or(-1), v)
    };
    // No account ID configured: anyone's account token would pass.
    let (code, v) = run(None);
    assert_eq!((code, status(&v, "issuer").as_str()), (1, "fail"), "{v}");
    // Another account's token.
    let (code, v) = run(Some("00000000-0000-4000-8000-000000000000"));
    assert_eq!((code, status(&v, "issuer").as_str()), (1, "fail"), "{v}");
    let (code, v) = run(Some(ACCOUNT));
    assert_eq!(code, 0, "{v}");
}

#[test]
fn auth_refuses_a_databricks_token_unless_it_comes_from_the_serve_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = jwks_file(&dir).display().to_string();
    let at = NOW.to_string();
    let evil = sign(&dbx_claims("https://evil.example.com/oidc"));
    let good = sign(&dbx_claims(&format!("{WS}/oidc")));
    let s = Server::start(&["--jwks", &jwks, "--tenant", TENANT, "--at", &at]);
    let r = s.auth(Some(&evil));
    assert_eq!(r.status, 401, "{}", r.text());
    drop(s);
    let s = Server::start(&[
        "--jwks",
        &jwks,
        "--workspace",
        WS,
        "--tenant",
        TENANT,
        "--at",
        &at,
    ]);
    let r = s.auth(Some(&good));
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.auth(Some(&evil));
    assert_eq!(r.status, 401, "{}", r.text());
}
