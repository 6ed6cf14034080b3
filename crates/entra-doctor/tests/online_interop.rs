#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Interop with a real third-party OpenID provider: panva's `oidc-provider`
//! (npm), started on 127.0.0.1 by tests/interop/oidc-provider/provider.mjs,
//! once with an Entra-shaped issuer (`/<tenant>/v2.0`) and once with a plain
//! one. A token it issues validates through discovery; a tampered one fails.
//!
//! Needs Node.js (20 or later) and the provider's packages:
//! `npm ci --prefix crates/entra-doctor/tests/interop/oidc-provider`.
//! Without them the test fails, saying so.

use crate::interop_support;
use crate::online_common;

use interop_support::ProviderProcess;
use online_common::{bare_cmd, Cmd, Run};

use crate::interop_support::TENANT;

fn check(p: &ProviderProcess, token_field: &str, extra: &[&str]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let mut c = bare_cmd(home.path());
    c.args([
        "check",
        "--json",
        "--test-resolve",
        "localhost=127.0.0.1",
        "--no-cache",
    ]);
    c.args(["--issuer", p.info["issuer"].as_str().unwrap()]);
    c.args(["--audience", p.info["audience"].as_str().unwrap()]);
    c.args(extra);
    Cmd(c).run(p.info[token_field].as_str().unwrap())
}

#[test]
fn entra_shaped_issuer_validates_through_discovery() {
    let p = interop_support::start("provider.mjs", &["--tenant", TENANT]);
    let issuer = p.info["issuer"].as_str().unwrap();
    assert!(issuer.ends_with(&format!("/{TENANT}/v2.0")), "{issuer}");
    let r = check(&p, "token", &["--tenant", TENANT]);
    r.expect_code(0);
    for c in [
        "format",
        "discovery",
        "signature",
        "audience",
        "issuer",
        "tenant",
        "lifetime",
        "identity",
    ] {
        r.expect(c, "pass");
    }
    r.expect_msg(
        "discovery",
        &format!("{issuer}/.well-known/openid-configuration"),
    );
    r.expect_msg("signature", p.info["kid"].as_str().unwrap());

    let r = check(&p, "tampered", &["--tenant", TENANT]);
    r.expect_code(1)
        .expect("discovery", "pass")
        .expect("signature", "fail")
        .expect_msg("signature", "does not match");
}

/// A real provider's v2 token under a custom authority: its issuer
/// `<authority>/<tenant>/v2.0` is Entra-shaped, so `--authority` alone (no
/// `--issuer`) finds its discovery document and validates it, as
/// `--issuer` does.
#[test]
fn entra_shaped_issuer_validates_under_a_custom_authority() {
    let p = interop_support::start("provider.mjs", &["--tenant", TENANT]);
    let issuer = p.info["issuer"].as_str().unwrap();
    let authority = issuer
        .strip_suffix(&format!("/{TENANT}/v2.0"))
        .expect("an Entra-shaped issuer");
    let run = |token_field: &str, extra: &[&str]| {
        let home = tempfile::tempdir().unwrap();
        let mut c = bare_cmd(home.path());
        c.args([
            "check",
            "--json",
            "--test-resolve",
            "localhost=127.0.0.1",
            "--no-cache",
            "--audience",
            p.info["audience"].as_str().unwrap(),
        ]);
        c.args(extra);
        Cmd(c).run(p.info[token_field].as_str().unwrap())
    };
    let r = run("token", &["--authority", authority, "--tenant", TENANT]);
    r.expect_code(0);
    for c in ["discovery", "signature", "issuer", "tenant", "audience"] {
        r.expect(c, "pass");
    }
    assert_eq!(r.json["kind"], "entra_access");
    r.expect_msg(
        "discovery",
        &format!("{issuer}/.well-known/openid-configuration"),
    );
    let r = run("tampered", &["--authority", authority, "--tenant", TENANT]);
    r.expect_code(1).expect("signature", "fail");
    // Without the authority it is no Entra ID issuer (and not looked up).
    let r = run("token", &["--tenant", TENANT]);
    r.expect("issuer", "fail").expect("signature", "skip");
}

#[test]
fn plain_issuer_validates_through_discovery() {
    let p = interop_support::start("provider.mjs", &[]);
    let issuer = p.info["issuer"].as_str().unwrap().to_owned();
    assert!(issuer.ends_with("/oidc"), "{issuer}");
    let r = check(&p, "token", &[]);
    r.expect_code(0)
        .expect("discovery", "pass")
        .expect("signature", "pass")
        .expect("issuer", "pass")
        .expect("audience", "pass");
    let r = check(&p, "tampered", &[]);
    r.expect_code(1).expect("signature", "fail");
    // Another issuer string (a trailing slash) is refused by discovery.
    let home = tempfile::tempdir().unwrap();
    let mut c = bare_cmd(home.path());
    c.args([
        "check",
        "--json",
        "--test-resolve",
        "localhost=127.0.0.1",
        "--no-cache",
        "--issuer",
        &format!("{issuer}/"),
    ]);
    c.args(["--audience", p.info["audience"].as_str().unwrap()]);
    let r = Cmd(c).run(p.info["token"].as_str().unwrap());
    r.expect_code(1).expect("discovery", "fail");
}
