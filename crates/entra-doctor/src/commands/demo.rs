//! `demo`: the guide's story end to end, with no Azure account. A local
//! Entra ID and Azure Databricks stand-in (the emulator) runs in-process on
//! 127.0.0.1; the real flows, `explain` and `check` run against it:
//!
//! 1. a consent failure, explained, then fixed by an administrator's consent;
//! 2. a redirect URI mismatch, explained;
//! 3. a token obtained with authorization code + PKCE, and checked against
//!    the workspace;
//! 4. a token for the wrong audience (Azure Resource Manager), diagnosed;
//! 5. `auth`: the SDK picks another method than the service principal the
//!    user set up, and says why;
//! 6. `auth`: an expired personal access token, diagnosed, then a valid one.
//! 7. a managed identity on a VM with two user-assigned identities: none
//!    named, diagnosed; then named, a token checked against the workspace;
//! 8. workload identity federation from GitHub Actions on the wrong branch:
//!    AADSTS700213, and the subject compared with the federated credential.
//!
//! Exit status 0 when every step turned out as the story says.

use std::io::Write;
use std::time::Duration;

use entra_emulator::{
    AppRegistration, Emulator, EmulatorConfig, Platform, DEMO_PUBLIC_APP_ID, DEMO_SP_APP_ID,
    DEMO_SP_SECRET, DEMO_TENANT_ID, DEMO_UNCONSENTED_APP_ID, DEMO_USER, DEMO_USER_PASSWORD,
    DEMO_WORKSPACE,
};
use entra_explain::Context;

use entra_token::Policy;

use crate::cli::{DemoArgs, FlowName};
use crate::commands::check::check_with;
use crate::commands::now_or;
use crate::commands::token::{explain_flow, explain_refusal, report_checked};
use crate::error::{CliError, Outcome};
use crate::flows::loopback::{self, AuthCodeOptions, Browser, Loopback};
use crate::flows::secret::Secret;
use crate::flows::{
    self, ClientCredential, Endpoint, FlowError, Http, Target, TokenResponse, DATABRICKS_RESOURCE,
};
use crate::net::OnlineOptions;

/// A web app whose only redirect URI is its site: a CLI sign-in with it fails.
const WEB_APP_ID: &str = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";
/// Azure Resource Manager: a token for it is not a Databricks token.
const ARM_RESOURCE: &str = "https://management.core.windows.net/";

fn heading(out: &mut dyn Write, n: u32, title: &str) -> Result<(), CliError> {
    let bold = anstyle::Style::new().bold();
    writeln!(out, "\n{bold}── {n}. {title} ──{bold:#}\n").map_err(CliError::Write)
}

fn say(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    writeln!(out, "{text}").map_err(CliError::Write)
}

fn context(flow: FlowName, client_id: &str, resource: &str, authority: &str) -> Context {
    Context {
        flow: Some(explain_flow(flow).to_owned()),
        tenant: Some(DEMO_TENANT_ID.to_owned()),
        client_id: Some(client_id.to_owned()),
        resource: Some(resource.to_owned()),
        authority_host: Some(authority.to_owned()),
        ..Context::default()
    }
}

/// Checks a token as `token --authority AUTHORITY --workspace WORKSPACE
/// --allow-any-workspace-host --no-cache` would: the same plain values,
/// the same pipeline, the report on `out`.
fn check(
    authority: &str,
    workspace: &str,
    token: &str,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let options = OnlineOptions {
        workspace: Some(workspace.to_owned()),
        profile: None,
        allow_any_workspace_host: true,
        authority: Some(authority.to_owned()),
        client_id: None,
        offline: false,
        cache_dir: None,
        no_cache: true,
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(15),
        static_hosts: Vec::new(),
        tenant: None,
        issuer: None,
        have_key_file: false,
    };
    let policy = Policy::databricks(now_or(None)?);
    let checked = check_with(token, None, &options, policy, false)?;
    report_checked(&checked, out)
}

pub fn run(args: DemoArgs) -> Result<Outcome, CliError> {
    let mut out = anstream::stdout();
    let out: &mut dyn Write = &mut out;
    say(out, "entra-doctor demo: the guide's story on a local Entra ID and Azure Databricks (nothing leaves 127.0.0.1).")?;
    let mut cfg = EmulatorConfig::default();
    add_auth_story_settings(&mut cfg);
    if let Some(t) = cfg.tenants.first_mut() {
        t.apps.push(
            AppRegistration::new(WEB_APP_ID, "notebook-portal")
                .secret("portal-secret")
                .redirect_uri("https://portal.contoso.com/signin-oidc", Platform::Web),
        );
    }
    let secretless = secretless_config(&mut cfg)?;
    let emu = Emulator::start_blocking(cfg)
        .map_err(|e| CliError::Usage(format!("cannot start the emulator: {e}")))?;
    let base = emu.base_url().to_owned();
    let ws = emu
        .workspace_url(DEMO_WORKSPACE)
        .ok_or_else(|| CliError::Usage("the demo workspace is missing".into()))?;
    say(
        out,
        &format!("Entra ID (tenant contoso.onmicrosoft.com, {DEMO_TENANT_ID}) at {base}"),
    )?;
    say(out, &format!("Azure Databricks workspace {DEMO_WORKSPACE} at {ws}; members: {DEMO_USER}, the service principal {DEMO_SP_APP_ID}"))?;

    let http =
        Http::new(Duration::from_secs(5), Duration::from_secs(15)).map_err(CliError::Usage)?;
    let ep = Endpoint {
        authority: base.clone(),
        tenant: DEMO_TENANT_ID.to_owned(),
    };
    let databricks = Target::V1 {
        resource: DATABRICKS_RESOURCE.to_owned(),
    };
    let rt = crate::commands::network_runtime()?;
    let mut as_told = true;

    // 1. Consent.
    heading(out, 1, "A new app, nobody consented: AADSTS65001")?;
    say(out, &format!("$ entra-doctor token --flow password --client-id {DEMO_UNCONSENTED_APP_ID} --username {DEMO_USER}\n"))?;
    let password = Secret::new(DEMO_USER_PASSWORD);
    let attempt = |client: &str| {
        rt.block_on(flows::password(
            &http,
            &ep,
            &databricks,
            client,
            None,
            DEMO_USER,
            &password,
        ))
    };
    match attempt(DEMO_UNCONSENTED_APP_ID) {
        Err(FlowError::Refused { url, status, body }) => {
            let ctx = context(
                FlowName::Password,
                DEMO_UNCONSENTED_APP_ID,
                DATABRICKS_RESOURCE,
                &base,
            );
            explain_refusal(out, &ctx, FlowName::Password, &url, status, &body)?;
        }
        other => {
            as_told = false;
            say(out, &format!("unexpected: {}", describe(&other)))?;
        }
    }
    let consent_url =
        entra_explain::admin_consent_url(&base, DEMO_TENANT_ID, DEMO_UNCONSENTED_APP_ID);
    say(
        out,
        &format!("\nAn administrator opens the admin-consent URL: {consent_url}"),
    )?;
    match rt.block_on(http.get(&consent_url)) {
        Ok((200, _, _)) => say(out, "Consent granted.")?,
        other => {
            as_told = false;
            say(
                out,
                &format!(
                    "unexpected answer to the consent URL: {:?}",
                    other.map(|(s, _, _)| s)
                ),
            )?;
        }
    }
    match attempt(DEMO_UNCONSENTED_APP_ID) {
        Ok(t) => say(out, &format!("Trying again: {}", got(&t)))?,
        other => {
            as_told = false;
            say(out, &format!("unexpected: {}", describe(&other)))?;
        }
    }

    // 2. Redirect URI.
    heading(
        out,
        2,
        "A sign-in whose redirect URI is not registered: AADSTS50011",
    )?;
    say(
        out,
        &format!("$ entra-doctor token --flow auth-code --client-id {WEB_APP_ID}\n"),
    )?;
    let r = rt.block_on(async {
        let lb = Loopback::bind(0).await?;
        let redirect = lb.redirect_uri.clone();
        let r = loopback::auth_code(
            &http,
            &ep,
            &databricks,
            WEB_APP_ID,
            lb,
            headless(&http),
            &|_| {},
        )
        .await;
        Ok::<_, FlowError>((redirect, r))
    });
    match r {
        Ok((redirect, Err(FlowError::Refused { url, status, body }))) => {
            let mut ctx = context(FlowName::AuthCode, WEB_APP_ID, DATABRICKS_RESOURCE, &base);
            ctx.redirect_uri = Some(redirect);
            ctx.registered_redirect_uris = vec!["https://portal.contoso.com/signin-oidc".into()];
            explain_refusal(out, &ctx, FlowName::AuthCode, &url, status, &body)?;
        }
        Ok((_, other)) => {
            as_told = false;
            say(out, &format!("unexpected: {}", describe(&other)))?;
        }
        Err(e) => return Err(CliError::Usage(e.to_string())),
    }

    // 3. A token, checked.
    heading(
        out,
        3,
        "A public client with http://localhost registered: a token, checked",
    )?;
    say(out, &format!("$ entra-doctor token --flow auth-code --client-id {DEMO_PUBLIC_APP_ID} --workspace {ws}\n"))?;
    let r = rt.block_on(async {
        let lb = Loopback::bind(0).await?;
        loopback::auth_code(
            &http,
            &ep,
            &databricks,
            DEMO_PUBLIC_APP_ID,
            lb,
            headless(&http),
            &|_| {},
        )
        .await
    });
    match r {
        Ok(t) => {
            say(out, &format!("{}\n", got(&t)))?;
            if check(&base, &ws, &t.access_token, out)? != Outcome::Ok {
                as_told = false;
            }
        }
        other => {
            as_told = false;
            say(out, &format!("unexpected: {}", describe(&other)))?;
        }
    }

    // 4. Wrong audience.
    heading(
        out,
        4,
        "A token for Azure Resource Manager sent to Databricks: the wrong audience",
    )?;
    say(out, &format!("$ entra-doctor token --flow client-secret --client-id {DEMO_SP_APP_ID} --resource {ARM_RESOURCE} --workspace {ws}\n"))?;
    let arm = Target::V1 {
        resource: ARM_RESOURCE.to_owned(),
    };
    let cred = ClientCredential::Secret(Secret::new(DEMO_SP_SECRET));
    match rt.block_on(flows::client_credentials(
        &http,
        &ep,
        &arm,
        DEMO_SP_APP_ID,
        &cred,
    )) {
        Ok(t) => {
            say(out, &format!("{}\n", got(&t)))?;
            if check(&base, &ws, &t.access_token, out)? != Outcome::Failed {
                as_told = false;
            }
        }
        other => {
            as_told = false;
            say(out, &format!("unexpected: {}", describe(&other)))?;
        }
    }
    as_told &= auth_stories(out, &base, &ws, &emu)?;
    // 7-8. Managed identity and workload identity federation.
    as_told &= story_managed_identity(out, 7, &rt, &base, &ws)?;
    as_told &= story_federation_subject(out, 8, &rt, &http, &ep, &ws, &secretless)?;
    let outcome = if as_told {
        say(
            out,
            "\nThe demo ran as the guide tells it. With a real tenant: entra-doctor token --help",
        )?;
        Outcome::Ok
    } else {
        say(
            out,
            "\nSome step did not turn out as the guide tells it (see above).",
        )?;
        Outcome::Failed
    };
    if args.keep {
        keep_running(out, &rt, &base, &ws)?;
    }
    rt.shutdown_timeout(Duration::from_millis(100));
    emu.shutdown();
    Ok(outcome)
}

// ── The `auth` stories (5 and 6): what the Databricks SDK will use. ──

/// A personal access token of the demo user that expired in 2020.
const EXPIRED_PAT: &str = "dapi0000000000000000000000000000dead";
/// The Azure host the `auth` stories name; its requests go to the
/// emulator's workspace.
const STORY_HOST: &str = "https://adb-1234567890123456.7.azuredatabricks.net";

fn add_auth_story_settings(cfg: &mut EmulatorConfig) {
    if let Some(w) = cfg.workspaces.first_mut() {
        w.pats.push(
            entra_emulator::PersonalAccessToken::new(EXPIRED_PAT, DEMO_USER)
                .expires_at(1_577_836_800),
        );
    }
}

/// The environment of a story: these variables, a home of its own.
struct StoryEnv {
    vars: Vec<(&'static str, String)>,
    home: std::path::PathBuf,
}

impl crate::net::databrickscfg::Env for StoryEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
    fn home(&self) -> Option<std::path::PathBuf> {
        Some(self.home.clone())
    }
}

/// `auth` as the stories run it: text, the Entra authority and the
/// workspace on the emulator.
fn story_auth(
    out: &mut dyn Write,
    base: &str,
    ws: &str,
    env: &StoryEnv,
) -> Result<Outcome, CliError> {
    let args = crate::cli::AuthArgs {
        profile: None,
        host: None,
        dry_run: false,
        json: false,
        authority: Some(base.to_owned()),
        allow_any_workspace_host: true,
        cache_dir: Some(env.home.join("keys")),
        net: crate::cli::NetArgs::default(),
        test_host: vec![(STORY_HOST.to_owned(), ws.to_owned())],
    };
    crate::commands::auth::run_in(&args, env, out)
}

/// Stories 5 and 6; true when both turned out as told.
fn auth_stories(
    out: &mut dyn Write,
    base: &str,
    ws: &str,
    emu: &entra_emulator::RunningEmulator,
) -> Result<bool, CliError> {
    let home = tempfile::tempdir()
        .map_err(|e| CliError::Usage(format!("cannot make a folder for the demo: {e}")))?;
    let mut as_told = wrong_method_story(out, base, ws, emu, home.path())?;
    as_told &= pat_story(out, base, ws, home.path())?;
    Ok(as_told)
}

/// Story 5: ARM_CLIENT_ID and ARM_CLIENT_SECRET are set for the service
/// principal, but DATABRICKS_AUTH_TYPE=azure-cli is left in the shell: an
/// explicit auth_type is the only method the SDKs try, so `az`'s user is
/// sent. (`az` here is a stand-in signed in as the demo user.)
fn wrong_method_story(
    out: &mut dyn Write,
    base: &str,
    ws: &str,
    emu: &entra_emulator::RunningEmulator,
    home: &std::path::Path,
) -> Result<bool, CliError> {
    heading(
        out,
        5,
        "The SDK uses another credential than the one you set up",
    )?;
    let bin = home.join("bin");
    let token = emu.mint(&entra_emulator::MintRequest::user(DEMO_USER));
    let answer = serde_json::json!({
        "accessToken": token,
        "expires_on": flows::now() + 3600,
        "tenant": DEMO_TENANT_ID,
        "tokenType": "Bearer",
    });
    let made = std::fs::create_dir_all(&bin).and_then(|()| {
        let az = bin.join("az");
        std::fs::write(
            &az,
            format!(
                "#!/bin/sh
echo '{answer}'
"
            ),
        )?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(())
    });
    made.map_err(|e| CliError::Usage(format!("cannot write the demo's stand-in az: {e}")))?;
    say(out, &format!("$ export DATABRICKS_HOST={STORY_HOST} ARM_TENANT_ID={DEMO_TENANT_ID} ARM_CLIENT_ID={DEMO_SP_APP_ID} ARM_CLIENT_SECRET=…"))?;
    say(
        out,
        "$ export DATABRICKS_AUTH_TYPE=azure-cli   # left over from another project",
    )?;
    say(
        out,
        "$ entra-doctor auth
",
    )?;
    let env = StoryEnv {
        vars: vec![
            ("DATABRICKS_HOST", STORY_HOST.to_owned()),
            ("ARM_TENANT_ID", DEMO_TENANT_ID.to_owned()),
            ("ARM_CLIENT_ID", DEMO_SP_APP_ID.to_owned()),
            ("ARM_CLIENT_SECRET", DEMO_SP_SECRET.to_owned()),
            ("DATABRICKS_AUTH_TYPE", "azure-cli".to_owned()),
            ("PATH", bin.display().to_string()),
        ],
        home: home.to_owned(),
    };
    // The user's token is valid: the verdict passes, and the credential
    // finding warns that the service principal was not used.
    let outcome = story_auth(out, base, ws, &env)?;
    say(
        out,
        "
The SDK sent the az user's token, not the service principal's: unset DATABRICKS_AUTH_TYPE.",
    )?;
    Ok(outcome == Outcome::Ok)
}

/// Story 6: a personal access token that expired, then a valid one.
fn pat_story(
    out: &mut dyn Write,
    base: &str,
    ws: &str,
    home: &std::path::Path,
) -> Result<bool, CliError> {
    heading(out, 6, "A personal access token that expired")?;
    say(
        out,
        &format!("$ export DATABRICKS_HOST={STORY_HOST} DATABRICKS_TOKEN=dapi…dead"),
    )?;
    say(
        out,
        "$ entra-doctor auth
",
    )?;
    let env = |token: &str| StoryEnv {
        vars: vec![
            ("DATABRICKS_HOST", STORY_HOST.to_owned()),
            ("DATABRICKS_TOKEN", token.to_owned()),
        ],
        home: home.to_owned(),
    };
    let expired = story_auth(out, base, ws, &env(EXPIRED_PAT))?;
    say(
        out,
        "
With a new token (Settings → Developer → Access tokens):
",
    )?;
    let fresh = story_auth(out, base, ws, &env(entra_emulator::DEMO_PAT))?;
    Ok(expired == Outcome::Failed && fresh == Outcome::Ok)
}
// ── Stories 7 and 8: managed identity and workload identity federation ──

/// The VM's two user-assigned identities (story 5).
const MI_BUILD: &str = "5e1f0000-0000-4000-8000-00000000b001";
const MI_DEPLOY: &str = "5e1f0000-0000-4000-8000-00000000d002";
/// The app GitHub Actions federates into (story 6), and its credential.
const CI_APP_ID: &str = "c1c1c1c1-0000-4000-8000-0000000000c1";
const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
const CI_SUBJECT: &str = "repo:contoso/pipelines:ref:refs/heads/main";
const CI_WRONG_SUBJECT: &str = "repo:contoso/pipelines:ref:refs/heads/release";

/// Adds what stories 5 and 6 need: two user-assigned identities (the first
/// a workspace member), the CI app with its federated credential, and the
/// stand-in GitHub issuer that signs the external tokens.
fn secretless_config(cfg: &mut EmulatorConfig) -> Result<entra_emulator::ExternalIssuer, CliError> {
    use entra_emulator::{ExternalIssuer, FederatedCredential, ManagedIdentity};
    let github = ExternalIssuer::generate(GITHUB_ISSUER)
        .map_err(|e| CliError::Usage(format!("cannot start the demo issuer: {e}")))?;
    let res = |n: &str| {
        format!("/subscriptions/0000/resourceGroups/demo/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{n}")
    };
    cfg.managed_identities.push(ManagedIdentity::user(
        DEMO_TENANT_ID,
        MI_BUILD,
        "5e1f0000-0000-4000-8000-0000000000f1",
        &res("build"),
    ));
    cfg.managed_identities.push(ManagedIdentity::user(
        DEMO_TENANT_ID,
        MI_DEPLOY,
        "5e1f0000-0000-4000-8000-0000000000f2",
        &res("deploy"),
    ));
    if let Some(t) = cfg.tenants.first_mut() {
        t.apps.push(
            AppRegistration::new(CI_APP_ID, "github-ci").federated_credential(
                FederatedCredential::new(GITHUB_ISSUER, CI_SUBJECT, github.jwks()),
            ),
        );
    }
    if let Some(w) = cfg.workspaces.first_mut() {
        *w = w
            .clone()
            .service_principal(MI_BUILD, "vm-build-identity")
            .service_principal(CI_APP_ID, "github-ci");
    }
    Ok(github)
}

/// Story 5: IMDS with two user-assigned identities and none named, then
/// with `--client-id`.
fn story_managed_identity(
    out: &mut dyn Write,
    n: u32,
    rt: &tokio::runtime::Runtime,
    base: &str,
    ws: &str,
) -> Result<bool, CliError> {
    use crate::flows::msi::{self, Identity, MsiRequest, Source};
    heading(
        out,
        n,
        "A VM with two user-assigned managed identities, none named",
    )?;
    say(
        out,
        &format!(
            "$ entra-doctor token --flow managed-identity --imds-endpoint {base} --workspace {ws}
"
        ),
    )?;
    let databricks = Target::V1 {
        resource: DATABRICKS_RESOURCE.to_owned(),
    };
    let imds = Source::Imds {
        base: base.to_owned(),
        from: "--imds-endpoint".into(),
    };
    let mut as_told = true;
    let req = MsiRequest::new(imds.clone(), Identity::Default, &databricks);
    match rt.block_on(msi::get_token(&req, Duration::from_secs(15))) {
        Err(FlowError::Refused { url, status, body }) => match msi::diagnose(&body, &req) {
            Some(d) => {
                let answer = msi::answer_message(&body).unwrap_or_default();
                super::token_secretless::write_msi_refusal(out, &url, status, &answer, &d)?;
            }
            None => {
                as_told = false;
                say(out, &format!("unexpected: {body}"))?;
            }
        },
        other => {
            as_told = false;
            say(out, &format!("unexpected: {}", describe(&other)))?;
        }
    }
    say(out, &format!("
$ entra-doctor token --flow managed-identity --imds-endpoint {base} --client-id {MI_BUILD} --workspace {ws}
"))?;
    let req = MsiRequest::new(imds, Identity::ClientId(MI_BUILD.into()), &databricks);
    match rt.block_on(msi::get_token(&req, Duration::from_secs(15))) {
        Ok(t) => {
            say(
                out,
                &format!(
                    "{}
",
                    got(&t)
                ),
            )?;
            if check(base, ws, &t.access_token, out)? != Outcome::Ok {
                as_told = false;
            }
        }
        other => {
            as_told = false;
            say(out, &format!("unexpected: {}", describe(&other)))?;
        }
    }
    Ok(as_told)
}

/// Story 6: GitHub Actions on the release branch, the credential naming
/// main: AADSTS700213, explained and compared.
fn story_federation_subject(
    out: &mut dyn Write,
    n: u32,
    rt: &tokio::runtime::Runtime,
    http: &Http,
    ep: &Endpoint,
    ws: &str,
    github: &entra_emulator::ExternalIssuer,
) -> Result<bool, CliError> {
    use crate::flows::federated::{self, ExternalSource, FederatedCredential};
    heading(
        out,
        n,
        "GitHub Actions on the wrong branch: AADSTS700213, the subject compared",
    )?;
    say(out, &format!("$ entra-doctor token --flow federated --client-id {CI_APP_ID} --federated-credential fic.json --workspace {ws}   # in a job on refs/heads/release
"))?;
    let databricks = Target::V1 {
        resource: DATABRICKS_RESOURCE.to_owned(),
    };
    let jwt = Secret::new(github.token(CI_WRONG_SUBJECT, federated::TOKEN_EXCHANGE_AUDIENCE, 600));
    let src = ExternalSource::GitHub {
        request_url: String::new(),
        request_token: Secret::new(""),
        audience: federated::TOKEN_EXCHANGE_AUDIENCE.into(),
    };
    let ext = federated::decode_external(jwt.expose()).map_err(CliError::Usage)?;
    super::token_secretless::show_external(out, &src, &ext);
    let mut as_told = true;
    match rt.block_on(federated::exchange(http, ep, &databricks, CI_APP_ID, &jwt)) {
        Err(FlowError::Refused { url, status, body }) => {
            let ctx = context(
                FlowName::Federated,
                CI_APP_ID,
                DATABRICKS_RESOURCE,
                &ep.authority,
            );
            explain_refusal(out, &ctx, FlowName::Federated, &url, status, &body)?;
            let creds = [FederatedCredential {
                name: "main-branch".into(),
                issuer: GITHUB_ISSUER.into(),
                subject: CI_SUBJECT.into(),
                audiences: vec![federated::TOKEN_EXCHANGE_AUDIENCE.into()],
            }];
            say(out, "")?;
            match federated::compare(&ext, &creds) {
                Some(c) if c.mismatches.iter().any(|m| m.claim == "sub") => {
                    for line in federated::comparison_lines(&c) {
                        say(out, &line)?;
                    }
                }
                _ => as_told = false,
            }
        }
        other => {
            as_told = false;
            say(out, &format!("unexpected: {}", describe(&other)))?;
        }
    }
    say(
        out,
        "
The same job on main:",
    )?;
    let jwt = Secret::new(github.token(CI_SUBJECT, federated::TOKEN_EXCHANGE_AUDIENCE, 600));
    match rt.block_on(federated::exchange(http, ep, &databricks, CI_APP_ID, &jwt)) {
        Ok(t) => say(out, &got(&t))?,
        other => {
            as_told = false;
            say(out, &format!("unexpected: {}", describe(&other)))?;
        }
    }
    Ok(as_told)
}

// ── end of stories 7 and 8 ──

/// `--keep`: the exports and commands that work against this emulator from
/// another terminal, then wait for Ctrl-C (or SIGTERM).
fn keep_running(
    out: &mut dyn Write,
    rt: &tokio::runtime::Runtime,
    base: &str,
    ws: &str,
) -> Result<(), CliError> {
    heading(
        out,
        9,
        "Your turn: the emulator keeps running (Ctrl-C stops it)",
    )?;
    say(out, "In another terminal:\n")?;
    say(
        out,
        &format!("export AZURE_AUTHORITY_HOST={base} AZURE_TENANT_ID={DEMO_TENANT_ID} DATABRICKS_HOST={ws}"),
    )?;
    say(out, "")?;
    say(out, &format!("TOKEN=$(entra-doctor token --flow auth-code --client-id {DEMO_PUBLIC_APP_ID} --allow-any-workspace-host)"))?;
    say(out, &format!("entra-doctor token --flow client-secret --client-id {DEMO_SP_APP_ID} --allow-any-workspace-host   # AZURE_CLIENT_SECRET: the demo secret"))?;
    say(out, &format!("entra-doctor token --flow password --client-id {DEMO_UNCONSENTED_APP_ID} --username {DEMO_USER} --allow-any-workspace-host"))?;
    say(out, "entra-doctor check \"$TOKEN\" --authority \"$AZURE_AUTHORITY_HOST\" --allow-any-workspace-host")?;
    say(out, &format!("entra-doctor explain AADSTS65001 --authority \"$AZURE_AUTHORITY_HOST\" --tenant {DEMO_TENANT_ID} --client-id {DEMO_UNCONSENTED_APP_ID}"))?;
    say(
        out,
        "\nThe demo users, apps, password and secret are listed in the README (\"The emulator\").",
    )?;
    out.flush().map_err(CliError::Write)?;
    rt.block_on(crate::serve::shutdown_signal());
    say(out, "Stopped.")
}

fn headless(http: &Http) -> AuthCodeOptions {
    AuthCodeOptions {
        browser: Browser::Headless(http.clone()),
        timeout: Duration::from_secs(30),
        login_hint: Some(DEMO_USER.to_owned()),
        prompt: None,
    }
}

fn got(t: &TokenResponse) -> String {
    let head: String = t.access_token.chars().take(24).collect();
    format!(
        "got a token ({head}…), valid until {}",
        entra_token::timefmt::utc(t.expires_on)
    )
}

fn describe(r: &Result<TokenResponse, FlowError>) -> String {
    match r {
        Ok(t) => got(t),
        Err(FlowError::Refused { body, .. }) => entra_token::text::clip(body, 300).to_string(),
        Err(e) => e.to_string(),
    }
}
