#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! End-to-end tests of `explain`.

use crate::cli_support;

use cli_support::cmd;
use serde_json::Value;

fn explain_json(args: &[&str]) -> (i32, Value) {
    let out = cmd()
        .arg("explain")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), v)
}

#[test]
fn a_token_endpoint_error_body_keeps_its_ids_and_gets_a_concrete_consent_url() {
    let body = r#"{"error":"invalid_grant","error_description":"AADSTS65001: The user or administrator has not consented to use the application with ID 'c0ffee00-0000-4000-8000-000000000001'. Trace ID: 0d3f9b2e-1111-4222-8333-444455556666 Correlation ID: 9a8b7c6d-1111-4222-8333-444455556666 Timestamp: 2026-11-28 10:00:00Z","error_codes":[65001],"timestamp":"2026-11-28 10:00:00Z","trace_id":"0d3f9b2e-1111-4222-8333-444455556666","correlation_id":"9a8b7c6d-1111-4222-8333-444455556666"}"#;
    let (code, v) = explain_json(&[
        body,
        "--tenant",
        "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f",
        "--client-id",
        "c0ffee00-0000-4000-8000-000000000001",
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["report"]["codes"][0], 65001);
    assert_eq!(
        v["report"]["trace_id"],
        "0d3f9b2e-1111-4222-8333-444455556666"
    );
    assert_eq!(
        v["report"]["correlation_id"],
        "9a8b7c6d-1111-4222-8333-444455556666"
    );
    assert_eq!(
        v["explanation"]["admin_consent_url"],
        "https://login.microsoftonline.com/8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f/adminconsent?client_id=c0ffee00-0000-4000-8000-000000000001"
    );
    assert!(v["explanation"].to_string().contains("user_impersonation"));
}

#[test]
fn redirect_mismatch_shows_what_differs() {
    let (code, v) = explain_json(&[
        "AADSTS50011",
        "--redirect-uri",
        "http://localhost:8400/cb",
        "--registered",
        "https://localhost:8400/cb",
    ]);
    assert_eq!(code, 0);
    let r = &v["explanation"]["redirect"];
    assert_eq!(r["matched"], false);
    assert_eq!(r["differences"][0]["kind"], "scheme");
}

#[test]
fn unknown_codes_get_general_guidance_and_the_lookup_page() {
    let (code, v) = explain_json(&["AADSTS9999999"]);
    assert_eq!(code, 0);
    assert_eq!(v["report"]["entries"][0]["known"], false);
    assert!(v["report"]["entries"][0]["lookup_url"]
        .as_str()
        .unwrap()
        .ends_with("code=9999999"));
}

#[test]
fn text_output_and_unrecognisable_input() {
    let out = cmd().args(["explain", "7000218"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.to_lowercase().contains("public client"), "{text}");
    let out = cmd().args(["explain", "hello there"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot explain"));
    let out = cmd()
        .args(["explain", "-"])
        .write_stdin("x".repeat(100 * 1024))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_databricks_wrong_audience_answer_is_explained() {
    let body = r#"{"error_code":"401","message":"Unable to authenticate: io.jsonwebtoken.IncorrectClaimException: Expected aud claim to be: 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, but was: https://management.core.windows.net/."}"#;
    let (code, v) = explain_json(&[body]);
    assert_eq!(code, 0, "{v}");
    assert!(
        v.to_string().contains(
            "az account get-access-token --resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
        ),
        "{v}"
    );
}

#[test]
fn a_default_azure_credential_message_is_explained_credential_by_credential() {
    let text = "DefaultAzureCredential failed to retrieve a token from the included credentials.\nAttempted credentials:\n\tEnvironmentCredential: EnvironmentCredential authentication unavailable. Environment variables are not fully configured.\n\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable, no response from the IMDS endpoint.\n\tAzureCliCredential: Azure CLI not found on path";
    let (code, v) = explain_json(&[text]);
    assert_eq!(code, 0, "{v}");
    let attempts = &v["report"]["chain"]["attempts"];
    assert_eq!(v["report"]["chain"]["name"], "DefaultAzureCredential");
    assert_eq!(attempts[0]["credential"], "EnvironmentCredential");
    assert_eq!(attempts[1]["problem"], "managed_identity_unreachable");
    assert_eq!(attempts[2]["problem"], "azure_cli_not_found");
    assert_eq!(v["explanation"]["advice"].as_array().unwrap().len(), 3);
    assert!(v["explanation"]["headline"]
        .as_str()
        .unwrap()
        .starts_with("DefaultAzureCredential: no credential got a token"));
}

#[test]
fn a_databricks_sdk_default_auth_error_lists_what_each_method_lacks() {
    let text = "default auth: cannot configure default credentials, please check https://docs.databricks.com/en/dev-tools/auth.html#databricks-client-unified-authentication to configure credentials for your preferred authentication method. Config: host=https://adb-1234567890123456.7.azuredatabricks.net. Env: DATABRICKS_HOST";
    let (code, v) = explain_json(&[text]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["report"]["library"], "Databricks SDK");
    let attempts = v["report"]["chain"]["attempts"].as_array().unwrap();
    assert_eq!(attempts[0]["problem"], "no_method_configured");
    let pat = attempts.iter().find(|a| a["credential"] == "pat").unwrap();
    assert_eq!(pat["missing"][0], "token");
}

#[test]
fn a_databricks_oauth_answer_is_explained() {
    let body = r#"{"error_description":"redirect_uri 'http://127.0.0.1:53890' not registered for OAuth application 'databricks-cli'","error":"invalid_request"}"#;
    let (code, v) = explain_json(&[body]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["report"]["kind"], "databricks_token_endpoint");
    let f = &v["report"]["databricks"][0];
    assert_eq!(f["problem"], "redirect_uri_not_registered");
    assert_eq!(f["found"], "http://127.0.0.1:53890");
}

#[test]
fn a_federation_subject_mismatch_names_the_subject() {
    let text = "AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:contoso/etl:environment:prod'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.";
    let out = cmd()
        .args([
            "explain",
            text,
            "--client-id",
            "0d0c1e2a-1111-4222-8333-444455556666",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("subject (sub)"), "{stdout}");
    assert!(
        stdout.contains("repo:contoso/etl:environment:prod"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "az ad app federated-credential list --id 0d0c1e2a-1111-4222-8333-444455556666"
        ),
        "{stdout}"
    );
}

#[test]
fn a_credential_error_given_to_check_points_to_explain() {
    for text in [
        "ManagedIdentityCredential authentication unavailable, no response from the IMDS endpoint.",
        "default auth: cannot configure default credentials. Config: host=https://adb-1.2.azuredatabricks.net",
    ] {
        let out = cmd().args(["check", text]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("that is an error") && err.contains("entra-doctor explain"),
            "{err}"
        );
    }
}
