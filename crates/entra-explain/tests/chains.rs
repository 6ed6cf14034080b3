#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Credential chains and federation errors, fed the libraries' real wording:
//! each credential's reason is found, in order, with a concrete fix.

use entra_explain::{explain, parse, ChainProblem, Context, InputKind};

fn problems(text: &str) -> Vec<(String, ChainProblem)> {
    let r = parse(text).unwrap();
    r.chain
        .expect("a chain is recognised")
        .attempts
        .into_iter()
        .map(|a| (a.credential, a.problem))
        .collect()
}

const PY_DAC: &str = "azure.core.exceptions.ClientAuthenticationError: DefaultAzureCredential failed to retrieve a token from the included credentials.
Attempted credentials:
\tEnvironmentCredential: EnvironmentCredential authentication unavailable. Environment variables are not fully configured.
Visit https://aka.ms/azsdk/python/identity/environmentcredential/troubleshoot to troubleshoot this issue.
\tWorkloadIdentityCredential: WorkloadIdentityCredential authentication unavailable. The workload options are not fully configured. See the troubleshooting guide for more information: https://aka.ms/azsdk/python/identity/workloadidentitycredential/troubleshoot. Missing required arguments: 'tenant_id', 'client_id', 'token_file_path'.
\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable, no response from the IMDS endpoint.
\tSharedTokenCacheCredential: SharedTokenCacheCredential authentication unavailable. No accounts were found in the cache.
\tAzureCliCredential: Azure CLI not found on path
\tAzurePowerShellCredential: PowerShell is not installed
\tAzureDeveloperCliCredential: Azure Developer CLI could not be found. Please visit https://aka.ms/azure-dev for installation instructions and then,once installed, authenticate to your Azure account using 'azd auth login'.
To mitigate this issue, please refer to the troubleshooting guidelines here at https://aka.ms/azsdk/python/identity/defaultazurecredential/troubleshoot.";

#[test]
fn default_azure_credential_python_lists_each_credential_in_order() {
    let got = problems(PY_DAC);
    let want = [
        (
            "EnvironmentCredential",
            ChainProblem::EnvironmentNotConfigured,
        ),
        (
            "WorkloadIdentityCredential",
            ChainProblem::WorkloadIdentityNotConfigured,
        ),
        (
            "ManagedIdentityCredential",
            ChainProblem::ManagedIdentityUnreachable,
        ),
        (
            "SharedTokenCacheCredential",
            ChainProblem::SharedTokenCacheEmpty,
        ),
        ("AzureCliCredential", ChainProblem::AzureCliNotFound),
        (
            "AzurePowerShellCredential",
            ChainProblem::AzurePowerShellUnavailable,
        ),
        (
            "AzureDeveloperCliCredential",
            ChainProblem::AzureDeveloperCliUnavailable,
        ),
    ];
    let want: Vec<(String, ChainProblem)> =
        want.iter().map(|(c, p)| ((*c).to_owned(), *p)).collect();
    assert_eq!(got, want);
    let r = parse(PY_DAC).unwrap();
    assert_eq!(r.kind, InputKind::LibraryException);
    assert_eq!(r.library, Some("azure-identity"));
    let chain = r.chain.as_ref().unwrap();
    assert_eq!(chain.name, "DefaultAzureCredential");
    let wi = &chain.attempts[1];
    assert_eq!(
        wi.missing,
        [
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "AZURE_FEDERATED_TOKEN_FILE"
        ]
    );
    // The continuation line stays with its credential.
    assert!(chain.attempts[0]
        .said
        .contains("environmentcredential/troubleshoot"));
    let ex = explain(&r, &Context::default());
    assert_eq!(
        ex.headline,
        "DefaultAzureCredential: no credential got a token (7 tried)"
    );
    assert_eq!(ex.advice.len(), 7);
    assert!(ex.advice[2]
        .title
        .starts_with("ManagedIdentityCredential: "));
    assert!(ex.advice[2].cause.contains("169.254.169.254"));
    assert!(ex.advice[2].steps[0].contains("NO_PROXY=169.254.169.254"));
    assert!(ex.advice[1].steps[0].contains("azure.workload.identity/use"));
    assert!(ex.notes.iter().any(|n| n.contains("stops at the first")));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["chain"]["attempts"][2]["problem"],
        "managed_identity_unreachable"
    );
    assert_eq!(
        json["chain"]["attempts"][0]["problem"],
        "environment_not_configured"
    );
}

#[test]
fn default_azure_credential_with_escaped_newlines_and_an_entra_refusal() {
    // As a Python repr or a log line prints it: \n and \t written out.
    let t = r"stderr='DefaultAzureCredential failed to retrieve a token from the included credentials.\nAttempted credentials:\n\tEnvironmentCredential: Authentication failed: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '0d0c1e2a-1111-4222-8333-444455556666'.\n\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable, no response from the IMDS endpoint. invalid_request\n\tAzureCliCredential: Failed to invoke the Azure CLI'";
    let r = parse(t).unwrap();
    let c = r.chain.as_ref().unwrap();
    assert_eq!(c.attempts.len(), 3);
    assert_eq!(c.attempts[0].problem, ChainProblem::EntraRefused);
    assert_eq!(c.attempts[0].codes, [7000215]);
    assert_eq!(
        c.attempts[1].problem,
        ChainProblem::ManagedIdentityUnreachable
    );
    assert_eq!(c.attempts[2].problem, ChainProblem::AzureCliNotFound);
    assert_eq!(r.codes, [7000215]);
    let ex = explain(&r, &Context::default());
    assert!(
        ex.headline
            .contains("Entra ID refused EnvironmentCredential"),
        "{}",
        ex.headline
    );
    // The chain's attempts, then the code's own advice.
    assert_eq!(ex.advice.len(), 4);
    assert_eq!(ex.advice[3].code, Some(7000215));
    assert!(ex.advice[0].steps[0].contains("AADSTS7000215"));
}

#[test]
fn default_azure_credential_dotnet_bullets() {
    let t = "Azure.Identity.CredentialUnavailableException: DefaultAzureCredential failed to retrieve a token from the included credentials. See the troubleshooting guide for more information. https://aka.ms/azsdk/net/identity/defaultazurecredential/troubleshoot
- EnvironmentCredential authentication unavailable. Environment variables are not fully configured. See the troubleshooting guide for more information. https://aka.ms/azsdk/net/identity/environmentcredential/troubleshoot
- WorkloadIdentityCredential authentication unavailable. The workload options are not fully configured. See the troubleshooting guide for more information. https://aka.ms/azsdk/net/identity/workloadidentitycredential/troubleshoot
- ManagedIdentityCredential authentication unavailable. No response received from the managed identity endpoint.
- AzureCliCredential authentication failed: Please run 'az login' to set up account";
    let got = problems(t);
    assert_eq!(
        got.iter().map(|(_, p)| *p).collect::<Vec<_>>(),
        [
            ChainProblem::EnvironmentNotConfigured,
            ChainProblem::WorkloadIdentityNotConfigured,
            ChainProblem::ManagedIdentityUnreachable,
            ChainProblem::AzureCliNotLoggedIn,
        ]
    );
    let r = parse(t).unwrap();
    let ex = explain(&r, &Context::default());
    assert!(ex.advice[3].steps[0].contains("az login"));
}

#[test]
fn default_azure_credential_go_with_several_identities() {
    let t = "DefaultAzureCredential: failed to acquire a token.
Attempted credentials:
\tEnvironmentCredential: missing environment variable AZURE_TENANT_ID
\tWorkloadIdentityCredential: no client ID specified. Check pod configuration or set ClientID in the options
\tManagedIdentityCredential: failed to authenticate a system assigned identity. The endpoint responded with {\"error\":\"invalid_request\",\"error_description\":\"Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request\"}
\tAzureCLICredential: fork/exec /bin/sh: permission denied.";
    let r = parse(t).unwrap();
    let c = r.chain.as_ref().unwrap();
    assert_eq!(c.attempts.len(), 4);
    assert_eq!(c.attempts[0].missing, ["AZURE_TENANT_ID"]);
    assert_eq!(c.attempts[1].missing, ["AZURE_CLIENT_ID"]);
    assert_eq!(
        c.attempts[2].problem,
        ChainProblem::ManagedIdentityAmbiguous
    );
    assert_eq!(c.attempts[3].credential, "AzureCLICredential");
    let ex = explain(&r, &Context::default());
    assert!(ex.advice[2].steps[0].contains("AZURE_CLIENT_ID"));
    assert!(ex.advice[2].steps[0].contains("az vm identity show"));
}

#[test]
fn managed_identity_credential_alone() {
    let cases = [
        ("ManagedIdentityCredential authentication unavailable. No identity has been assigned to this resource.", ChainProblem::ManagedIdentityNotAssigned),
        ("ManagedIdentityCredential authentication unavailable. The requested identity has not been assigned to this resource.", ChainProblem::ManagedIdentityNotFound),
        ("Azure.Identity.AuthenticationFailedException: ManagedIdentityCredential authentication failed: Service request failed.\nStatus: 400 (Bad Request)\nContent: {\"statusCode\":400,\"message\":\"No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.\"}", ChainProblem::ManagedIdentityNotFound),
        ("ManagedIdentityCredential: Authentication failed. Message Attempted to use the IMDS endpoint, but it is not available.", ChainProblem::ManagedIdentityUnreachable),
    ];
    for (text, want) in cases {
        let r = parse(text).unwrap();
        let c = r.chain.as_ref().unwrap_or_else(|| panic!("{text}"));
        assert_eq!(c.name, "ManagedIdentityCredential", "{text}");
        assert_eq!(c.attempts.len(), 1, "{text}");
        assert_eq!(c.attempts[0].problem, want, "{text}");
        let ex = explain(&r, &Context::default());
        assert!(
            ex.headline.starts_with("ManagedIdentityCredential: "),
            "{}",
            ex.headline
        );
    }
}

#[test]
fn identity_endpoint_answers_without_a_credential_name() {
    // What IMDS (and the emulator) answer, pasted as they are.
    let r =
        parse(r#"{"error":"invalid_request","error_description":"Identity not found"}"#).unwrap();
    let c = r.chain.as_ref().unwrap();
    assert_eq!(
        c.attempts[0].problem,
        ChainProblem::ManagedIdentityNotAssigned
    );
    let ex = explain(&r, &Context::default());
    assert!(ex.advice[0].steps[0].contains("az vm identity assign"));
    let r = parse(r#"{"error":"invalid_request","error_description":"Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"}"#).unwrap();
    assert_eq!(
        r.chain.unwrap().attempts[0].problem,
        ChainProblem::ManagedIdentityAmbiguous
    );
}

#[test]
fn the_emulators_identity_endpoint_answers() {
    // IMDS's and App Service's shapes, as the emulator answers them.
    let cases = [
        (
            r#"{"error":"invalid_request","error_description":"Required metadata header not specified"}"#,
            ChainProblem::ManagedIdentityBadRequest,
        ),
        (
            r#"{"statusCode":401,"message":"The X-IDENTITY-HEADER request header is missing or does not match IDENTITY_HEADER.","correlationId":"c0ffee00-1234-4abc-8def-0123456789ab"}"#,
            ChainProblem::ManagedIdentityBadRequest,
        ),
        (
            r#"{"statusCode":400,"message":"Identity not found","correlationId":"c0ffee00-1234-4abc-8def-0123456789ab"}"#,
            ChainProblem::ManagedIdentityNotAssigned,
        ),
        (
            r#"{"statusCode":400,"message":"Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request","correlationId":"c0ffee00-1234-4abc-8def-0123456789ab"}"#,
            ChainProblem::ManagedIdentityAmbiguous,
        ),
    ];
    for (body, want) in cases {
        let r = parse(body).unwrap_or_else(|e| panic!("{body}: {e}"));
        let c = r.chain.unwrap_or_else(|| panic!("{body}"));
        assert_eq!(c.attempts[0].problem, want, "{body}");
    }
}

#[test]
fn tenant_clash_of_the_cli_under_a_managed_identity() {
    let t = "default auth: azure-cli: cannot get access token: ERROR: Tenant shouldn't be specified for managed identity account\n. Config: host=https://adb-1234567890123456.7.azuredatabricks.net, azure_tenant_id=aaaaaaaa-1111-4111-8111-111111111111. Env: DATABRICKS_HOST, ARM_TENANT_ID";
    let r = parse(t).unwrap();
    assert_eq!(r.library, Some("Databricks SDK"));
    let c = r.chain.as_ref().unwrap();
    assert_eq!(c.attempts[0].credential, "azure-cli");
    assert_eq!(
        c.attempts[0].problem,
        ChainProblem::ManagedIdentityTenantClash
    );
    assert!(c.attempts[0].fix.contains("azure_use_msi = true"));
    assert_eq!(c.env, ["DATABRICKS_HOST", "ARM_TENANT_ID"]);
    // The same words under azure-identity's AzureCliCredential.
    let r = parse(
        "AzureCliCredential: ERROR: Tenant shouldn't be specified for managed identity account",
    )
    .unwrap();
    assert_eq!(
        r.chain.unwrap().attempts[0].problem,
        ChainProblem::ManagedIdentityTenantClash
    );
}

#[test]
fn workload_identity_file_unreadable_and_refused() {
    let r = parse("WorkloadIdentityCredential: [Errno 2] No such file or directory: '/var/run/secrets/azure/tokens/azure-identity-token'").unwrap();
    assert_eq!(
        r.chain.unwrap().attempts[0].problem,
        ChainProblem::FederatedTokenFileUnreadable
    );
    let t = "WorkloadIdentityCredential: Authentication failed: AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:etl:runner'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.";
    let r = parse(t).unwrap();
    assert_eq!(
        r.chain.as_ref().unwrap().attempts[0].problem,
        ChainProblem::EntraRefused
    );
    assert_eq!(
        r.hints.assertion_subject.as_deref(),
        Some("system:serviceaccount:etl:runner")
    );
    let ex = explain(&r, &Context::default());
    let steps = ex.advice[1].steps.join("\n");
    assert!(
        steps.contains("namespace `etl`, service account `runner`"),
        "{steps}"
    );
}

#[test]
fn databricks_sdk_cannot_configure_default_credentials() {
    let t = "Error: default auth: cannot configure default credentials, please check https://docs.databricks.com/en/dev-tools/auth.html#databricks-client-unified-authentication to configure credentials for your preferred authentication method. Config: host=https://adb-1234567890123456.7.azuredatabricks.net, profile=dev, azure_client_id=0d0c1e2a-1111-4222-8333-444455556666. Env: DATABRICKS_HOST, ARM_CLIENT_ID";
    let r = parse(t).unwrap();
    assert_eq!(r.kind, InputKind::LibraryException);
    assert_eq!(r.library, Some("Databricks SDK"));
    let c = r.chain.as_ref().unwrap();
    assert_eq!(c.attempts[0].problem, ChainProblem::NoMethodConfigured);
    let by = |m: &str| c.attempts.iter().find(|a| a.credential == m).unwrap();
    assert_eq!(by("pat").missing, ["token"]);
    assert_eq!(by("oauth-m2m").missing, ["client_id", "client_secret"]);
    // azure_client_id is there: the secret is what azure-client-secret lacks.
    assert_eq!(by("azure-client-secret").missing, ["azure_client_secret"]);
    assert!(by("azure-msi").cause.contains("azure_use_msi"));
    assert_eq!(c.config[0].name, "host");
    assert_eq!(c.env, ["DATABRICKS_HOST", "ARM_CLIENT_ID"]);
    let ex = explain(&r, &Context::default());
    assert_eq!(
        ex.headline,
        "Databricks SDK: no authentication method could be configured"
    );
    assert!(ex.advice[0].steps[0].contains("auth --dry-run"));
}

#[test]
fn databricks_sdk_never_echoes_a_secret() {
    let t = "default auth: cannot configure default credentials. Config: host=https://adb-1.2.azuredatabricks.net, token=dapi0123456789abcdef0123456789abcdef, client_secret=dose1234. Env: DATABRICKS_TOKEN";
    let r = parse(t).unwrap();
    let json = serde_json::to_string(&r.chain).unwrap();
    assert!(!json.contains("dapi0123456789abcdef"), "{json}");
    assert!(!json.contains("dose1234"), "{json}");
    let c = r.chain.unwrap();
    assert!(c
        .config
        .iter()
        .any(|s| s.name == "token" && s.value == "***"));
}

#[test]
fn databricks_sdk_named_method_failures() {
    let r = parse("default auth: oauth-m2m: oidc: databricks OAuth is not supported for this host. Config: host=https://example.com, client_id=abc, client_secret=***").unwrap();
    let a = &r.chain.as_ref().unwrap().attempts[0];
    assert_eq!(a.credential, "oauth-m2m");
    assert_eq!(a.problem, ChainProblem::DatabricksOAuthNotSupported);
    let r = parse("default auth: azure-cli: cannot get access token: ERROR: Please run 'az login' to setup account.. Config: host=https://adb-1.2.azuredatabricks.net").unwrap();
    assert_eq!(
        r.chain.unwrap().attempts[0].problem,
        ChainProblem::AzureCliNotLoggedIn
    );
    let r = parse("validate: more than one authorization method configured: azure and pat. Config: host=https://adb-1.2.azuredatabricks.net, token=***, azure_client_id=x, azure_client_secret=***").unwrap();
    let a = &r.chain.as_ref().unwrap().attempts[0];
    assert_eq!(a.problem, ChainProblem::ConflictingMethods);
    assert!(a.fix.contains("auth_type"));
}

#[test]
fn ordinary_errors_have_no_chain() {
    for t in [
        "AADSTS65001",
        r#"{"error":"invalid_grant","error_description":"AADSTS50126: Error validating credentials."}"#,
        "Error 403 Invalid access token.",
    ] {
        assert!(parse(t).unwrap().chain.is_none(), "{t}");
    }
}

const APP: &str = "0d0c1e2a-1111-4222-8333-444455556666";

#[test]
fn federation_codes_are_catalogued_with_concrete_fixes() {
    for code in [70021, 700211, 700212, 700213, 700024, 7002138, 50027] {
        let c = entra_explain::aadsts::lookup(code).unwrap_or_else(|| panic!("AADSTS{code}"));
        assert!(!c.fix.is_empty(), "AADSTS{code}");
    }
    for code in [70021, 700211, 700212, 700213, 7002138] {
        let fix = entra_explain::aadsts::lookup(code).unwrap().fix;
        assert!(
            fix.contains("az ad app federated-credential"),
            "AADSTS{code}: {fix}"
        );
    }
}

#[test]
fn aadsts70021_names_the_three_values_and_the_listing_command() {
    let t = r#"{"error":"unauthorized_client","error_description":"AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://token.actions.githubusercontent.com'. Assertion Subject: 'repo:contoso/etl:ref:refs/heads/feature-x'. Assertion Audience: 'api://AzureADTokenExchange'. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation Trace ID: 5a3e1c90-6b1f-4a53-9f0e-2c7d8e9f0a11","error_codes":[70021]}"#;
    let r = parse(t).unwrap();
    assert_eq!(
        r.hints.assertion_issuer.as_deref(),
        Some("https://token.actions.githubusercontent.com")
    );
    assert_eq!(
        r.hints.assertion_subject.as_deref(),
        Some("repo:contoso/etl:ref:refs/heads/feature-x")
    );
    assert_eq!(
        r.hints.assertion_audience.as_deref(),
        Some("api://AzureADTokenExchange")
    );
    let ex = explain(
        &r,
        &Context {
            client_id: Some(APP.into()),
            ..Context::default()
        },
    );
    let steps = ex.advice[0].steps.join("\n");
    assert!(
        steps.contains("sub `repo:contoso/etl:ref:refs/heads/feature-x`"),
        "{steps}"
    );
    assert!(
        steps.contains(&format!("az ad app federated-credential list --id {APP}")),
        "{steps}"
    );
    assert!(
        steps.contains("repository `contoso/etl`, from a branch"),
        "{steps}"
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["hints"]["assertion_subject"],
        "repo:contoso/etl:ref:refs/heads/feature-x"
    );
}

#[test]
fn each_federation_code_names_the_claim_that_differs() {
    let cases = [
        (700211, "No matching federated identity record found for presented assertion issuer 'https://vstoken.dev.azure.com/11111111-2222-4333-8444-555555555555'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", "issuer (iss)", "https://vstoken.dev.azure.com/11111111-2222-4333-8444-555555555555"),
        (700212, "No matching federated identity record found for presented assertion audience 'https://github.com/contoso'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", "audience (aud)", "https://github.com/contoso"),
        (700213, "No matching federated identity record found for presented assertion subject 'repo:contoso/etl:environment:prod'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.", "subject (sub)", "repo:contoso/etl:environment:prod"),
        (7002138, "No matching federated identity record found for presented assertion subject 'repo:Contoso/ETL:ref:refs/heads/main'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison.", "other letter case", "repo:Contoso/ETL:ref:refs/heads/main"),
    ];
    for (code, msg, claim, value) in cases {
        let t = format!("AADSTS{code}: {msg} on app '{APP}'.");
        let r = parse(&t).unwrap();
        assert_eq!(r.codes, [code]);
        assert_eq!(r.hints.client_id.as_deref(), Some(APP), "AADSTS{code}");
        let ex = explain(&r, &Context::default());
        let steps = ex.advice[0].steps.join("\n");
        assert!(steps.contains(claim), "AADSTS{code}: {steps}");
        assert!(
            steps.contains(&format!("`{value}`")),
            "AADSTS{code}: {steps}"
        );
        assert!(
            steps.contains(&format!("--id {APP}")),
            "AADSTS{code}: {steps}"
        );
    }
    // An environment in the subject: GitHub sends it instead of the branch.
    let r = parse(&format!("AADSTS700213: {}", cases[2].1)).unwrap();
    let steps = explain(&r, &Context::default()).advice[0].steps.join("\n");
    assert!(steps.contains("names an environment"), "{steps}");
}

#[test]
fn aadsts700024_gives_the_expiry() {
    let t = "AADSTS700024: Client assertion is not within its valid time range. Current time: 2025-02-03T04:05:06.0000000Z, assertion valid from 2025-02-03T03:50:00.0000000Z, expiry time of assertion 2025-02-03T04:00:00.0000000Z. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .";
    let r = parse(t).unwrap();
    assert_eq!(
        r.hints.assertion_expires.as_deref(),
        Some("2025-02-03T04:00:00.0000000Z")
    );
    let steps = explain(&r, &Context::default()).advice[0].steps.join("\n");
    assert!(
        steps.contains("expired at 2025-02-03T04:00:00.0000000Z"),
        "{steps}"
    );
    assert!(
        steps.contains("read it again just before the request"),
        "{steps}"
    );
}

#[test]
fn chained_token_credential_javascript_names_credentials_by_their_words() {
    let t = "AggregateAuthenticationError: ChainedTokenCredential authentication failed.
CredentialUnavailableError: EnvironmentCredential is unavailable. No underlying credential could be used. To troubleshoot, visit https://aka.ms/azsdk/js/identity/environmentcredential/troubleshoot.
CredentialUnavailableError: ManagedIdentityCredential: Authentication failed. Message Attempted to use the IMDS endpoint, but it is not available.
CredentialUnavailableError: Azure CLI could not be found. Please visit https://aka.ms/azure-cli for installation instructions and then, once installed, authenticate to your Azure account using 'az login'.";
    let r = parse(t).unwrap();
    let c = r.chain.unwrap();
    assert_eq!(c.name, "ChainedTokenCredential");
    let got: Vec<(&str, ChainProblem)> = c
        .attempts
        .iter()
        .map(|a| (a.credential.as_str(), a.problem))
        .collect();
    assert_eq!(
        got,
        [
            (
                "EnvironmentCredential",
                ChainProblem::EnvironmentNotConfigured
            ),
            (
                "ManagedIdentityCredential",
                ChainProblem::ManagedIdentityUnreachable
            ),
            // "… could not be found … then … 'az login'": not installed.
            ("AzureCliCredential", ChainProblem::AzureCliNotFound),
        ]
    );
}
