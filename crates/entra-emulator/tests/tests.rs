#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! The integration tests of this crate, in one test binary (one link, one
//! harness): the shared helpers first, then one module per area. Add a test
//! file as `tests/<area>.rs` and name it here.

mod common;

mod databricks_account;
mod databricks_oauth;
mod entra;
mod faults;
mod federation;
mod managed_identity;
mod pat;
mod real_clients;
mod signin;
mod sp_management_token;
mod token_federation;
mod workspace;

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
