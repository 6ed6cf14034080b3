//! What the build scripts of entra-token and entra-explain share: running
//! one, reading a TOML data file, writing the generated table and checking
//! a text field. Both include this file (`mod build_support;`, and from
//! entra-explain by `#[path]`); each watches it (`cargo:rerun-if-changed`).

use std::path::Path;

/// Runs `generate` with the `OUT_DIR`; an error stops the build with its
/// message.
pub fn run(generate: impl FnOnce(&Path) -> Result<(), String>) {
    println!("cargo:rerun-if-changed=build.rs");
    let result = std::env::var("OUT_DIR")
        .map_err(|e| format!("OUT_DIR: {e}"))
        .and_then(|out| generate(Path::new(&out)));
    if let Err(message) = result {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

/// The TOML file at `path` (from the package's root), watched.
pub fn read<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, String> {
    println!("cargo:rerun-if-changed={path}");
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    toml::from_str(&text).map_err(|e| format!("{path}: {e}"))
}

pub fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A text field must hold something and stay on one line.
pub fn check_text(file: &str, row: &str, field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{file}: {row}: `{field}` is empty"));
    }
    if value.contains(['\n', '\r']) {
        return Err(format!("{file}: {row}: `{field}` spans lines"));
    }
    Ok(())
}
