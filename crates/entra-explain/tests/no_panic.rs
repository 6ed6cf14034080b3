#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Mutation smoke test: the explain parser, fed tens of thousands of damaged
//! versions of real error texts, returns a report or an error and never
//! panics, and neither does explaining what it returned.

// The same mutator as the engine's mutation test (tests/tests.rs).
use crate::mutate;

use mutate::{mutate, Rng};

#[test]
fn explain_parsing_never_panics() {
    let samples: [&[u8]; 6] = [
        br#"{"error":"invalid_grant","error_description":"AADSTS50126: Error validating credentials. Trace ID: a Correlation ID: b","error_codes":[50126]}"#,
        b"{'error': 'invalid_client', 'error_description': 'AADSTS7000215: Invalid client secret provided.', 'error_codes': [7000215]}",
        b"http://localhost:8400/?error=access_denied&error_description=AADSTS65004%3A+User+declined&state=x",
        b"DefaultAzureCredential failed to retrieve a token.\nAttempted credentials:\n\tEnvironmentCredential: missing environment variable AZURE_TENANT_ID\n\tManagedIdentityCredential: Multiple user assigned identities exist\n\tAzureCliCredential: Please run 'az login'",
        b"default auth: cannot configure default credentials. Config: host=https://adb-1.2.azuredatabricks.net, token=***. Env: DATABRICKS_HOST",
        br#"{"error_description":"Token exchange failed: the token subject 'repo:a/b:ref:refs/heads/main' does not match","error":"invalid_request"}"#,
    ];
    let mut rng = Rng(7);
    for i in 0..20_000 {
        let m = mutate(&mut rng, samples[i % samples.len()]);
        if let Ok(r) = entra_explain::parse(&String::from_utf8_lossy(&m)) {
            let _ = entra_explain::explain(&r, &Default::default());
        }
    }
}
