#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! The `serve` page in a real browser (Debian's Chromium, driven by
//! playwright-core; see `tests/browser/page.test.mjs`), run from `cargo
//! test` so that the README's one test command covers it. Needs
//! `npm ci --prefix crates/entra-doctor/tests/browser` and the `chromium`
//! package, which `.ci/run` installs; without them this test fails and says
//! so.

use std::path::Path;
use std::process::Command;

#[test]
fn the_page_works_in_chromium_and_asks_no_other_host() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "playwright-core is not installed: run `npm ci --prefix {}`",
        dir.display()
    );
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "Chromium is missing: apt-get install -y chromium"
    );
    // Entra ID for the redirect-target test: its authorize endpoint sends
    // the browser back to the page with the token in the fragment.
    let emu = entra_emulator::Emulator::start_blocking(entra_emulator::EmulatorConfig::default())
        .expect("the emulator starts");
    let out = Command::new("node")
        .arg("--test")
        .arg(dir.join("page.test.mjs"))
        .env("ENTRA_DOCTOR_BIN", env!("CARGO_BIN_EXE_entra-doctor"))
        .env("EMULATOR_URL", emu.base_url())
        .env("EMULATOR_TENANT", entra_emulator::DEMO_TENANT_ID)
        .env("EMULATOR_PUBLIC_APP", entra_emulator::DEMO_PUBLIC_APP_ID)
        .output()
        .expect("node (the machine's Node.js) runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser test failed:\n{stdout}\n{stderr}"
    );
    // node's runner closes with its counts; at least one test ran, none failed.
    assert!(stdout.contains("# fail 0"), "{stdout}");
    assert!(!stdout.contains("# pass 0"), "{stdout}");
}
