#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Online `check`, signing keys: OpenID discovery through the emulator,
//! v1 and v2, sovereign-cloud issuers, plain OIDC discovery, key rotation,
//! application-specific keys, key/issuer binding, the cache and --offline.

use crate::online_common;

use entra_emulator::{
    EmulatorConfig, IssuerConfig, KeyChoice, MintRequest, TenantConfig, TokenVersion,
    DEMO_APP_WITH_KEYS, DEMO_SP_APP_ID, DEMO_TENANT_ID, DEMO_USER,
};
use online_common::{cache_files, Setup};

fn v1_paths(t: &str) -> (String, String) {
    (
        format!("/{t}/.well-known/openid-configuration"),
        format!("/{t}/discovery/keys"),
    )
}

#[test]
fn v1_token_validates_through_discovery() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let r = s.check().run(&token);
    r.expect_code(0)
        .expect("discovery", "pass")
        .expect("signature", "pass");
    r.expect_msg(
        "discovery",
        &format!("{}/{DEMO_TENANT_ID}/discovery/keys", s.emu.base_url()),
    );
    r.expect_msg("discovery", "fetched now");
    assert_eq!(r.json["valid"], true);
    let (disc, keys) = v1_paths(DEMO_TENANT_ID);
    assert_eq!(
        (s.emu.request_count(&disc), s.emu.request_count(&keys)),
        (1, 1)
    );
    // Discovery comes just before the signature.
    let checks = r.checks();
    let d = checks.iter().position(|c| c == "discovery").unwrap();
    assert_eq!(checks[d + 1], "signature");
    // No workspace: the token went nowhere, and no workspace finding.
    assert!(!checks.iter().any(|c| c == "membership" || c == "workspace"));
}

#[test]
fn v2_token_uses_the_v2_documents() {
    let s = Setup::demo();
    let token = s
        .emu
        .mint(&MintRequest::service_principal(DEMO_SP_APP_ID).v2());
    let r = s.check().run(&token);
    r.expect_code(0).expect("signature", "pass");
    assert_eq!(
        s.emu.request_count(&format!(
            "/{DEMO_TENANT_ID}/v2.0/.well-known/openid-configuration"
        )),
        1
    );
    assert_eq!(
        s.emu
            .request_count(&format!("/{DEMO_TENANT_ID}/discovery/v2.0/keys")),
        1
    );
    assert_eq!(
        s.emu.request_count(&format!(
            "/{DEMO_TENANT_ID}/.well-known/openid-configuration"
        )),
        0
    );
}

#[test]
fn sovereign_cloud_issuers_validate_through_their_authority() {
    let cfg = EmulatorConfig::default().issuers(IssuerConfig::hosts(
        "sts.windows.net",
        "login.microsoftonline.us",
    ));
    let s = Setup::new(cfg);
    let token = s.emu.mint(&MintRequest::user(DEMO_USER).v2());
    let r = s.check().run(&token);
    r.expect_code(0)
        .expect("signature", "pass")
        .expect("issuer", "pass")
        .expect_msg("issuer", "Azure US Government");
}

#[test]
fn a_token_from_another_cloud_fails_discovery_on_the_issuer() {
    // The emulator plays the US Government cloud; the token claims the public cloud's issuer.
    let cfg = EmulatorConfig::default().issuers(IssuerConfig::hosts(
        "sts.windows.net",
        "login.microsoftonline.us",
    ));
    let s = Setup::new(cfg);
    let token = s
        .emu
        .mint(&MintRequest::user(DEMO_USER).v2().issuer(format!(
            "https://login.microsoftonline.com/{DEMO_TENANT_ID}/v2.0"
        )));
    let r = s.check().run(&token);
    r.expect_code(1)
        .expect("discovery", "fail")
        .expect("signature", "skip");
    r.expect_msg("discovery", "login.microsoftonline.us");
    assert!(r.fix("discovery").contains("--authority"));
}

#[test]
fn plain_oidc_discovery_with_issuer() {
    let s = Setup::new(EmulatorConfig::default().loopback_issuers());
    let token = s.emu.mint(&MintRequest::user(DEMO_USER).v2());
    let iss = s.emu.issuer(DEMO_TENANT_ID, TokenVersion::V2);
    assert!(iss.starts_with("http://127.0.0.1:"));
    let r = s.check().args(["--issuer", &iss]).run(&token);
    r.expect_code(0)
        .expect("signature", "pass")
        .expect("issuer", "pass")
        .expect("discovery", "pass");
    r.expect_msg(
        "discovery",
        &format!("{iss}/.well-known/openid-configuration"),
    );
    // Under --authority the same v2 issuer (<authority>/<tid>/v2.0) is
    // Entra-shaped, looked up at that authority and valid.
    let r = s.check().run(&token);
    r.expect_code(0).expect("issuer", "pass");
    // Without --issuer or --authority a non-Entra issuer is not looked up.
    let r = s.check_at(None).run(&token);
    r.expect("discovery", "skip")
        .expect("signature", "skip")
        .expect_code(1);
    assert!(r.message("discovery").contains("--issuer"));
    // A discovery document must name exactly the issuer asked for.
    let r = s.check().args(["--issuer", &format!("{iss}/")]).run(&token);
    r.expect("discovery", "fail").expect_code(1);
}

#[test]
fn tampered_token_fails_the_signature() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload =
        String::from_utf8(entra_token::b64::decode(parts[1].as_bytes()).unwrap()).unwrap();
    parts[1] = entra_token::b64::encode(payload.replace("alice", "mallory").as_bytes());
    let r = s.check().run(&parts.join("."));
    r.expect_code(1)
        .expect("discovery", "pass")
        .expect("signature", "fail")
        .expect_msg("signature", "does not match");
}

#[test]
fn a_key_published_nowhere_is_not_found() {
    let s = Setup::demo();
    let token = s
        .emu
        .mint(&MintRequest::user(DEMO_USER).key(KeyChoice::Foreign));
    let r = s.check().run(&token);
    r.expect_code(1)
        .expect("signature", "fail")
        .expect_msg("signature", "no key in the key set matches");
}

#[test]
fn consumer_key_cannot_sign_an_organisations_token() {
    let s = Setup::demo();
    let token = s
        .emu
        .mint(&MintRequest::user(DEMO_USER).v2().key(KeyChoice::Consumer));
    let r = s.check().run(&token);
    r.expect_code(1)
        .expect("signature", "fail")
        .expect_msg("signature", "may only sign for the issuer");
    r.expect_msg("signature", "9188040d-6c67-4c5b-b112-36a304b66dad");
}

#[test]
fn unknown_tenant_is_a_discovery_failure() {
    // Minted by one emulator, checked against another that does not know the tenant.
    let minter = Setup::new(
        EmulatorConfig::empty().tenant(TenantConfig::new("11111111-2222-4333-8444-555555555555")),
    );
    let token = minter.emu.mint(&MintRequest::user("bob@fabrikam.example"));
    let s = Setup::demo();
    let r = s.check().run(&token);
    r.expect_code(1)
        .expect("discovery", "fail")
        .expect_msg("discovery", "AADSTS90002")
        .expect("signature", "skip");
}

#[test]
fn key_rotation_refetches_once_and_not_too_often() {
    let s = Setup::demo();
    let (_, keys) = v1_paths(DEMO_TENANT_ID);
    let old = s.emu.mint(&MintRequest::user(DEMO_USER));
    s.check().run(&old).expect_code(0);
    assert_eq!(s.emu.request_count(&keys), 1);

    s.emu.rotate_keys(DEMO_TENANT_ID, false).unwrap();
    // An audience that is no application ID: no application key set to try.
    let no_app = s
        .emu
        .mint(&MintRequest::user(DEMO_USER).audience("https://api.example.invalid/"));
    // Fetched seconds ago: an unknown kid does not refetch yet.
    let r = s
        .check()
        .args(["--audience", "https://api.example.invalid/"])
        .run(&no_app);
    r.expect_code(1)
        .expect("signature", "fail")
        .expect_msg("discovery", "not refetched");
    assert_eq!(s.emu.request_count(&keys), 1);
    // With an application audience, the application's key set (served by
    // Entra with the tenant's current keys) has the new key, and the
    // message says what that may mean.
    let new = s.emu.mint(&MintRequest::user(DEMO_USER));
    let with_app = new.clone();
    let r = s.check().run(&with_app);
    r.expect_code(0)
        .expect("signature", "pass")
        .expect_msg("discovery", "rotated since the cached copy");
    assert_eq!(s.emu.request_count(&keys), 2, "one request, with ?appid=");
    s.emu.reset_request_counts();

    // Minutes later (the cache entry aged), the unknown kid refetches once.
    age_cache(&s, 600);
    let r = s.check().run(&new);
    r.expect_code(0)
        .expect("signature", "pass")
        .expect_msg("discovery", "fetched again");
    assert_eq!(s.emu.request_count(&keys), 1);
    // And now the new key is cached.
    s.check().run(&new).expect_code(0);
    assert_eq!(s.emu.request_count(&keys), 1);
}

/// Moves every cache entry's fetch time back by `secs`.
fn age_cache(s: &Setup, secs: i64) {
    for f in cache_files(s.cache.path()) {
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let t = v["fetched_at"].as_i64().unwrap();
        v["fetched_at"] = (t - secs).into();
        std::fs::write(&f, serde_json::to_vec(&v).unwrap()).unwrap();
    }
}

#[test]
fn application_specific_keys_from_the_tokens_audience() {
    let s = Setup::demo();
    // A token issued to the application itself, signed with its own key.
    let token = s.emu.mint(
        &MintRequest::service_principal(DEMO_APP_WITH_KEYS)
            .audience(DEMO_APP_WITH_KEYS)
            .key(KeyChoice::AppSpecific(DEMO_APP_WITH_KEYS.into())),
    );
    let r = s
        .check()
        .args(["--audience", DEMO_APP_WITH_KEYS])
        .run(&token);
    r.expect_code(0)
        .expect("signature", "pass")
        .expect_msg("discovery", &format!("?appid={DEMO_APP_WITH_KEYS}"));
    r.expect_msg("discovery", "application's own keys");
}

#[test]
fn a_client_with_its_own_key_cannot_sign_for_another_audience() {
    // Whoever registered an application with its own signing key holds that
    // key: a token for Azure Databricks naming that client in 'appid' and
    // signed with it is a forgery, and the client's keys are never fetched.
    let s = Setup::demo();
    let forged = s.emu.mint(
        &MintRequest::service_principal(DEMO_APP_WITH_KEYS)
            .key(KeyChoice::AppSpecific(DEMO_APP_WITH_KEYS.into())),
    );
    let r = s.check().run(&forged);
    r.expect_code(1).expect("signature", "fail");
}

#[test]
fn a_configured_client_id_never_selects_application_keys() {
    // A token for Azure Databricks signed with an application's own key: the
    // application's owner holds that key, so the token is forged, however
    // the client ID is configured (flag, ARM_CLIENT_ID, a profile).
    let s = Setup::demo();
    let forged = s
        .emu
        .mint(&MintRequest::user(DEMO_USER).key(KeyChoice::AppSpecific(DEMO_APP_WITH_KEYS.into())));
    let app_keys = format!("appid={DEMO_APP_WITH_KEYS}");
    let r = s.check().run(&forged);
    r.expect_code(1).expect("signature", "fail");
    let r = s
        .check()
        .args(["--client-id", DEMO_APP_WITH_KEYS])
        .run(&forged);
    r.expect_code(1).expect("signature", "fail");
    assert_eq!(r.json["valid"], false);
    assert!(
        !r.message("discovery").contains(&format!("?{app_keys}")),
        "{}",
        r.message("discovery")
    );
    r.expect_msg("discovery", "is not the token's audience");
    let r = s
        .check()
        .env("ARM_CLIENT_ID", DEMO_APP_WITH_KEYS)
        .run(&forged);
    r.expect_code(1).expect("signature", "fail");
    std::fs::write(
        s.home.path().join(".databrickscfg"),
        format!(
            "[emu]\nhost = {}\nazure_tenant_id = {DEMO_TENANT_ID}\nazure_client_id = {DEMO_APP_WITH_KEYS}\n",
            s.ws(entra_emulator::DEMO_WORKSPACE)
        ),
    )
    .unwrap();
    let r = s
        .check()
        .args(["--profile", "emu", "--allow-any-workspace-host"])
        .run(&forged);
    r.expect_code(1).expect("signature", "fail");
    // The application's keys were never asked for.
    let keys = format!("/{DEMO_TENANT_ID}/discovery/keys?{app_keys}");
    assert_eq!(s.emu.request_count(&keys), 0, "{keys}");
}

#[test]
fn a_token_for_another_audience_cannot_borrow_cached_application_keys() {
    // Fill the cache with the application's own keys (a token for it)...
    let s = Setup::demo();
    let for_app = s.emu.mint(
        &MintRequest::service_principal(DEMO_APP_WITH_KEYS)
            .audience(DEMO_APP_WITH_KEYS)
            .key(KeyChoice::AppSpecific(DEMO_APP_WITH_KEYS.into())),
    );
    s.check()
        .args(["--audience", DEMO_APP_WITH_KEYS])
        .run(&for_app)
        .expect_code(0);
    // ...then a token for another audience naming that application
    // (`api://` form too) cannot borrow them, offline from the cache either.
    for aud in [
        entra_emulator::DATABRICKS_RESOURCE_ID.to_owned(),
        "api://11111111-2222-4333-8444-555555555555".to_owned(),
    ] {
        let forged = s.emu.mint(
            &MintRequest::service_principal(DEMO_APP_WITH_KEYS)
                .audience(&aud)
                .key(KeyChoice::AppSpecific(DEMO_APP_WITH_KEYS.into())),
        );
        for offline in [false, true] {
            let mut c = s.check().args(["--audience", aud.as_str()]);
            if offline {
                c = c.arg("--offline");
            }
            let r = c.run(&forged);
            assert_ne!(r.code, 0, "{aud} offline={offline}: {}", r.stdout);
            assert_eq!(r.json["valid"], false);
            assert_ne!(r.status("signature"), "pass", "{aud} offline={offline}");
        }
    }
}

#[test]
fn second_run_makes_no_request() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    s.check().run(&token).expect_code(0);
    let after_first = s.emu.total_requests();
    assert_eq!(after_first, 2);
    assert_eq!(s.cache_files().len(), 2, "one file per URL");
    let r = s.check().run(&token);
    r.expect_code(0)
        .expect("signature", "pass")
        .expect_msg("discovery", "from the cache");
    assert_eq!(s.emu.total_requests(), after_first);
}

#[test]
fn no_cache_fetches_every_time_and_writes_nothing() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let run = || {
        let mut c = online_common::bare_cmd(s.home.path());
        c.args([
            "check",
            "--json",
            "--test-resolve",
            "localhost=127.0.0.1",
            "--no-cache",
            "--authority",
            s.emu.base_url(),
        ]);
        online_common::Cmd(c).run(&token)
    };
    run().expect_code(0);
    run().expect_code(0);
    assert_eq!(s.emu.total_requests(), 4);
    assert!(cache_files(&s.home.path().join(".cache")).is_empty());
}

#[test]
fn default_cache_folder_is_the_platforms() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let mut c = online_common::bare_cmd(s.home.path());
    c.args([
        "check",
        "--json",
        "--test-resolve",
        "localhost=127.0.0.1",
        "--authority",
        s.emu.base_url(),
    ]);
    online_common::Cmd(c).run(&token).expect_code(0);
    let dir = s
        .home
        .path()
        .join(".cache")
        .join("entra-doctor")
        .join("keys");
    assert_eq!(
        cache_files(&dir).len(),
        2,
        "cache files in {}",
        dir.display()
    );
}

#[test]
fn offline_never_touches_the_network() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    // Nothing cached: the signature cannot be checked, and nothing is requested.
    // Nothing verified: the verdict is incomplete (exit 2), never valid.
    let r = s.check().arg("--offline").run(&token);
    assert_eq!(r.json["valid"], false);
    r.expect_code(2)
        .expect("discovery", "skip")
        .expect("signature", "skip")
        .expect_msg("discovery", "--offline");
    assert_eq!(s.emu.total_requests(), 0);
    // Once cached, offline checks use the cache.
    s.check().run(&token).expect_code(0);
    let n = s.emu.total_requests();
    let r = s.check().arg("--offline").run(&token);
    r.expect_code(0).expect("signature", "pass");
    // Even with a workspace named, offline asks nothing.
    let r = s
        .check_ws("adb-1234567890123456.7")
        .arg("--offline")
        .run(&token);
    r.expect("membership", "skip")
        .expect("workspace", "skip")
        .expect("signature", "pass");
    assert_eq!(s.emu.total_requests(), n);
}

#[test]
fn key_file_means_no_discovery() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    let jwks = s.emu.jwks(DEMO_TENANT_ID, TokenVersion::V1).unwrap();
    let path = s.home.path().join("jwks.json");
    std::fs::write(&path, jwks.to_string()).unwrap();
    let r = s.check().arg("--jwks").arg(&path).run(&token);
    r.expect_code(0).expect("signature", "pass");
    assert!(!r.checks().iter().any(|c| c == "discovery"));
    assert_eq!(s.emu.total_requests(), 0);
}

#[test]
fn concurrent_checks_work_and_share_the_cache() {
    let s = Setup::demo();
    let token = s.emu.mint(&MintRequest::user(DEMO_USER));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| s.check().run(&token)))
            .collect();
        for h in handles {
            h.join().unwrap().expect_code(0);
        }
    });
    // Separate processes may each fetch; afterwards the cache answers.
    let n = s.emu.total_requests();
    assert!(n <= 8);
    s.check().run(&token).expect_code(0);
    assert_eq!(s.emu.total_requests(), n);
}

#[test]
fn batch_fetches_keys_by_discovery_once_per_issuer() {
    let s = Setup::demo();
    let good: Vec<String> = (0..6)
        .map(|i| {
            s.emu
                .mint(&MintRequest::user(DEMO_USER).claim("uti", format!("u{i}")))
        })
        .collect();
    let forged = s
        .emu
        .mint(&MintRequest::user(DEMO_USER).key(KeyChoice::AppSpecific(DEMO_APP_WITH_KEYS.into())));
    let mut lines = good.clone();
    lines.push(forged);
    let run = |extra: &[&str], input: &str| {
        let mut c = online_common::bare_cmd(s.home.path());
        c.args([
            "check",
            "--batch",
            "-",
            "--threads",
            "2",
            "--test-resolve",
            "localhost=127.0.0.1",
            "--cache-dir",
        ])
        .arg(s.cache.path())
        .args(["--authority", s.emu.base_url(), "--tenant", DEMO_TENANT_ID])
        .args(extra)
        .write_stdin(input.to_owned());
        c.output().unwrap()
    };
    let out = run(&["--client-id", DEMO_APP_WITH_KEYS], &lines.join("\n"));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let results: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 7, "{err}");
    for r in &results[..6] {
        assert_eq!(r["valid"], true, "{r} {err}");
    }
    assert_eq!(results[6]["valid"], false, "{}", results[6]);
    assert_eq!(results[6]["failed"], serde_json::json!(["signature"]));
    assert!(err.contains("7 token(s): 6 valid, 1 not valid"), "{err}");
    assert_eq!(out.status.code(), Some(1), "{err}");
    // One discovery document for the whole batch, and the key set once,
    // plus one refetch for the forged line's unknown kid (keys rotate).
    let (disc, keys) = v1_paths(DEMO_TENANT_ID);
    assert_eq!(s.emu.request_count(&disc), 1);
    assert_eq!(s.emu.request_count(&keys), 2);
    // Offline, from the cache: the same verdicts, no request.
    let before = s.emu.total_requests();
    let out = run(&["--offline"], &good.join("\n"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(s.emu.total_requests(), before);
}

#[test]
fn odd_tenants_fail_online_without_a_request() {
    // The default online run: a tenant that is neither a GUID nor a domain
    // name is never looked up, and the issuer and tenant rules fail on it.
    let s = Setup::demo();
    for t in ["x_y", "a b", "..x"] {
        let token = s.emu.mint(
            &MintRequest::user(DEMO_USER)
                .claim("tid", t)
                .issuer(format!("https://sts.windows.net/{t}/")),
        );
        let r = s.check().run(&token);
        r.expect_code(1)
            .expect("issuer", "fail")
            .expect("tenant", "fail")
            .expect("signature", "skip");
        assert_eq!(r.json["valid"], false);
    }
    assert_eq!(s.emu.total_requests(), 0);
}

/// Under `--authority`, the tenant of a v2 issuer goes into the discovery
/// URL's path only when it is a tenant ID or a domain name: `..%2F` or a
/// `?` there sends nothing.
#[test]
fn a_tenant_with_path_or_query_characters_under_authority_sends_no_request() {
    let s = Setup::demo();
    let base = s.emu.base_url().trim_end_matches('/').to_owned();
    for tenant in ["..%2F..%2Fevil", "x?next=1", "a%23b"] {
        let mut claims = crate::cli_support::sp_claims();
        claims["iss"] = serde_json::json!(format!("{base}/{tenant}/v2.0"));
        let token = crate::cli_support::sign(&claims);
        s.emu.reset_request_counts();
        let r = s.check().run(&token);
        assert_ne!(r.code, 0, "{tenant}: {}", r.stdout);
        assert_eq!(r.json["valid"], false, "{tenant}");
        assert_eq!(
            s.emu.total_requests(),
            0,
            "{tenant}: {:?}",
            s.emu.request_counts()
        );
    }
}
