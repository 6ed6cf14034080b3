#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! The integration tests of this crate, in one test binary (one link, one
//! harness): the shared helpers first, then one module per area. Add a test
//! file as `tests/<area>.rs` and name it here.

mod cli_support;
mod interop_support;
mod online_common;
mod serve_support;

mod auth_dry_run;
mod auth_run;
mod auth_run_interop;
mod auth_run_secretless;
mod auth_token_flows;
mod cli;
mod cli_explain;
mod cli_habits;
mod databricks_issuer_pinning;
mod demo_msi_wif;
mod demo_run;
mod key_cache_trust;
mod online_failures;
mod online_interop;
mod online_keys;
mod online_workspace;
mod sdk_parity;
mod serve_api;
mod serve_auth;
mod serve_browser;
mod serve_discovery;
mod serve_limits;
mod serve_nginx;
mod terminal_escapes;
mod token_dbx_federation;
mod token_dbx_federation_interop;
mod token_dbx_federation_sp_management;
mod token_federated;
mod token_federated_interop;
mod token_flows;
mod token_interop;
mod token_kinds;
mod token_msi;
mod token_msi_real_client;
mod token_settings;

/// A file in tests/ that is not named above would never be compiled
/// (`autotests = false`): every one must be.
#[test]
fn every_test_file_is_in_the_harness() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let harness = std::fs::read_to_string(dir.join("tests.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let (Some(stem), Some("rs")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        if stem != "tests" {
            assert!(
                harness.lines().any(|l| l == format!("mod {stem};")),
                "tests/{stem}.rs is not named in tests/tests.rs"
            );
        }
    }
}
