#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Databricks' OAuth endpoints refusing: the answers the real service gives
//! (from the Databricks SDKs' issues) and the emulator's, each explained.

use entra_explain::{
    explain, parse, parse_databricks_token_answer, Context, DatabricksProblem, InputKind,
};

const HOST: &str = "https://adb-1234567890123456.7.azuredatabricks.net";

fn token_url() -> String {
    format!("{HOST}/oidc/v1/token")
}

fn problem(status: u16, body: &str) -> (DatabricksProblem, entra_explain::ErrorReport) {
    let r = parse_databricks_token_answer(Some(status), body, &token_url());
    assert_eq!(r.kind, InputKind::DatabricksTokenEndpoint, "{body}");
    assert_eq!(r.http_status, Some(status));
    (r.databricks.first().expect(body).problem, r)
}

#[test]
fn invalid_client_is_the_oauth_secret_or_client_id() {
    let (p, r) = problem(
        401,
        r#"{"error_description":"Client authentication failed","error":"invalid_client"}"#,
    );
    assert_eq!(p, DatabricksProblem::OAuthInvalidClient);
    let ex = explain(&r, &Context::default());
    assert!(
        ex.headline
            .starts_with("Databricks OAuth refused the request"),
        "{}",
        ex.headline
    );
    assert!(ex.advice[0].steps[0].contains("Generate secret"));
    assert!(ex.advice[0].steps[0].contains("azure-client-secret"));
    // Pasted to `explain` as it is, the same.
    let r =
        parse(r#"{"error_description":"Client authentication failed","error":"invalid_client"}"#)
            .unwrap();
    assert_eq!(r.kind, InputKind::DatabricksTokenEndpoint);
    assert_eq!(
        r.databricks[0].problem,
        DatabricksProblem::OAuthInvalidClient
    );
}

#[test]
fn invalid_grant_refresh_and_pkce() {
    let (p, r) = problem(
        400,
        r#"{"error_description":"Refresh token is invalid or expired","error":"invalid_grant"}"#,
    );
    assert_eq!(p, DatabricksProblem::RefreshTokenInvalid);
    assert!(r.databricks[0]
        .fix
        .contains(&format!("databricks auth login --host {HOST}")));
    // The CLI's own words for it.
    let r = parse("Error: a new access token could not be retrieved because the refresh token is invalid. To reauthenticate, run `databricks auth login --host https://adb-1.2.azuredatabricks.net`").unwrap();
    assert_eq!(
        r.databricks[0].problem,
        DatabricksProblem::RefreshTokenInvalid
    );
    let (p, _) = problem(
        400,
        r#"{"error_description":"PKCE verification failed: code_verifier does not match code_challenge","error":"invalid_grant"}"#,
    );
    assert_eq!(p, DatabricksProblem::PkceMismatch);
    let (p, _) = problem(
        400,
        r#"{"error_description":"Authorization code is invalid or expired","error":"invalid_grant"}"#,
    );
    assert_eq!(p, DatabricksProblem::AuthorizationCodeInvalid);
    let (p, _) = problem(400, r#"{"error":"invalid_grant"}"#);
    assert_eq!(p, DatabricksProblem::OAuthInvalidGrant);
}

#[test]
fn redirect_uri_not_registered_names_uri_and_app() {
    let body = r#"{"error_description":"redirect_uri 'http://127.0.0.1:53890' not registered for OAuth application 'databricks-cli'","error":"invalid_request"}"#;
    let r = parse(body).unwrap();
    let f = &r.databricks[0];
    assert_eq!(f.problem, DatabricksProblem::RedirectUriNotRegistered);
    assert_eq!(f.found.as_deref(), Some("http://127.0.0.1:53890"));
    assert_eq!(f.expected.as_deref(), Some("databricks-cli"));
    assert!(f.fix.contains("http://localhost:8020"));
    let body = r#"{"error_description":"redirect_uri 'http://localhost:8020' not registered for OAuth application 'dbt-databricks'","error":"invalid_request"}"#;
    let f = &parse(body).unwrap().databricks[0];
    assert!(f.fix.contains("custom-app-integration update"), "{}", f.fix);
    // The emulator's authorize page.
    let page = "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Error</h1><p>invalid_request: The redirect_uri 'http://localhost:9999' is not registered for client 'databricks-cli'</p></body></html>";
    let r = parse_databricks_token_answer(Some(400), page, &format!("{HOST}/oidc/v1/authorize"));
    assert_eq!(
        r.databricks[0].problem,
        DatabricksProblem::RedirectUriNotRegistered
    );
    assert_eq!(
        r.databricks[0].found.as_deref(),
        Some("http://localhost:9999")
    );
}

#[test]
fn app_not_enabled_for_the_account() {
    let body = r#"{"error_description":"OAuth application with client_id: 'xxx123' not available in Databricks account 'abc456'.","error":"invalid_request"}"#;
    let (p, r) = problem(400, body);
    assert_eq!(p, DatabricksProblem::OAuthAppNotEnabled);
    assert_eq!(r.databricks[0].found.as_deref(), Some("xxx123"));
    assert!(r.databricks[0]
        .fix
        .contains("published-app-integration create"));
}

#[test]
fn oauth_not_supported_for_a_wrong_host() {
    // What the SDK says...
    let r = parse("default auth: oauth-m2m: oidc: databricks OAuth is not supported for this host. Config: host=https://example.com, client_id=abc, client_secret=***").unwrap();
    assert!(r
        .databricks
        .iter()
        .any(|f| f.problem == DatabricksProblem::OAuthNotSupported));
    // ... and what a host that is not Databricks answers.
    let r = parse_databricks_token_answer(
        Some(404),
        "<html><body>Not Found</body></html>",
        "https://example.com/oidc/v1/token",
    );
    let f = &r.databricks[0];
    assert_eq!(f.problem, DatabricksProblem::OAuthNotSupported);
    assert!(
        f.cause.starts_with("https://example.com does not serve"),
        "{}",
        f.cause
    );
    assert!(f
        .fix
        .contains("curl -s https://example.com/oidc/.well-known/oauth-authorization-server"));
}

#[test]
fn token_federation_failures_name_the_claim() {
    let cases = [
        ("Token exchange failed: no federation policy trusts the issuer 'https://token.actions.githubusercontent.com'", Some("iss"), Some("https://token.actions.githubusercontent.com")),
        ("Token exchange failed: the token audience 'api://AzureADTokenExchange' is not allowed by the federation policy", Some("aud"), Some("api://AzureADTokenExchange")),
        ("Token exchange failed: the token subject 'repo:contoso/etl:ref:refs/heads/dev' does not match the federation policy", Some("sub"), Some("repo:contoso/etl:ref:refs/heads/dev")),
        ("Token exchange failed: the subject token is expired", Some("exp"), None),
    ];
    for (desc, claim, found) in cases {
        let body =
            serde_json::json!({"error_description": desc, "error": "invalid_request"}).to_string();
        let (p, r) = problem(400, &body);
        assert_eq!(p, DatabricksProblem::FederationPolicyMismatch, "{desc}");
        let f = &r.databricks[0];
        assert_eq!(f.claim.as_deref(), claim, "{desc}");
        assert_eq!(f.found.as_deref(), found, "{desc}");
        assert!(f.fix.contains("federation-policy list"), "{desc}");
    }
}

#[test]
fn inactive_principal_scope_and_unknown_answers() {
    let (p, _) = problem(
        400,
        r#"{"error_description":"The service principal is not active in this workspace","error":"invalid_grant"}"#,
    );
    assert_eq!(p, DatabricksProblem::OAuthPrincipalInactive);
    let (p, r) = problem(
        400,
        r#"{"error_description":"Invalid scope: 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default","error":"invalid_scope"}"#,
    );
    assert_eq!(p, DatabricksProblem::OAuthInvalidScope);
    assert_eq!(
        r.databricks[0].found.as_deref(),
        Some("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default")
    );
    let (p, r) = problem(
        500,
        r#"{"error":"server_error","error_description":"boom"}"#,
    );
    assert_eq!(p, DatabricksProblem::OAuthRefused);
    assert!(r.databricks[0].cause.contains("HTTP 500"));
    let (p, _) = problem(400, "");
    assert_eq!(p, DatabricksProblem::OAuthRefused);
}

#[test]
fn entra_errors_are_never_taken_for_databricks_oauth() {
    let r = parse(r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#).unwrap();
    assert_eq!(r.kind, InputKind::TokenEndpointJson);
    assert!(r.databricks.is_empty());
}

#[test]
fn json_names_are_stable() {
    let r = parse_databricks_token_answer(
        Some(400),
        r#"{"error_description":"Refresh token is invalid or expired","error":"invalid_grant"}"#,
        &token_url(),
    );
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["kind"], "databricks_token_endpoint");
    assert_eq!(v["databricks"][0]["problem"], "refresh_token_invalid");
}

#[test]
fn cut_answers_never_panic() {
    let samples = [
        r#"{"error_description":"redirect_uri 'http://127.0.0.1:53890' not registered for OAuth application 'databricks-cli'","error":"invalid_request"}"#,
        r#"{"error_description":"Token exchange failed: the token subject 'repo:a/b:ref:refs/heads/é' does not match","error":"invalid_request"}"#,
        "default auth: cannot configure default credentials. Config: host=https://x, token=***. Env: DATABRICKS_TOKEN",
        "DefaultAzureCredential failed\n\tManagedIdentityCredential: Identity not found\n\tAzureCliCredential: az login",
    ];
    for s in samples {
        for end in (0..=s.len()).filter(|&i| s.is_char_boundary(i)) {
            let r = parse_databricks_token_answer(Some(400), &s[..end], "https://h/oidc/v1/token");
            let _ = explain(&r, &Context::default());
            if let Ok(r) = parse(&s[..end]) {
                let _ = explain(&r, &Context::default());
            }
        }
    }
}

#[test]
fn new_problem_names_read_well_in_json() {
    let name = |p: DatabricksProblem| serde_json::to_value(p).unwrap();
    assert_eq!(
        name(DatabricksProblem::OAuthInvalidClient),
        "oauth_invalid_client"
    );
    assert_eq!(
        name(DatabricksProblem::OAuthNotSupported),
        "oauth_not_supported"
    );
    assert_eq!(
        name(DatabricksProblem::FederationPolicyMismatch),
        "federation_policy_mismatch"
    );
    let chain = |p: entra_explain::ChainProblem| serde_json::to_value(p).unwrap();
    assert_eq!(
        chain(entra_explain::ChainProblem::AzurePowerShellUnavailable),
        "azure_powershell_unavailable"
    );
    assert_eq!(
        chain(entra_explain::ChainProblem::DatabricksOAuthNotSupported),
        "databricks_oauth_not_supported"
    );
}
