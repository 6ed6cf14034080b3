//! Compiles the catalogue's claim meanings (data/claims.toml) into a static table, after checking it.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Time,
    Plain,
}

/// One row of data/claims.toml.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimRow {
    name: String,
    kind: Kind,
    meaning: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimFile {
    claim: Vec<ClaimRow>,
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(message) = run() {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let out_dir = std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?;
    let out = Path::new(&out_dir);
    let claims: ClaimFile = read("data/claims.toml")?;
    write(&out.join("claims.rs"), &claims_table(&claims.claim)?)?;
    Ok(())
}

fn read<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, String> {
    println!("cargo:rerun-if-changed={path}");
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    toml::from_str(&text).map_err(|e| format!("{path}: {e}"))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A text field must hold something and stay on one line.
fn check_text(file: &str, row: &str, field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{file}: {row}: `{field}` is empty"));
    }
    if value.contains(['\n', '\r']) {
        return Err(format!("{file}: {row}: `{field}` spans lines"));
    }
    Ok(())
}

/// The claim rows as a Rust array expression, in the file's order; names must be unique.
fn claims_table(rows: &[ClaimRow]) -> Result<String, String> {
    const FILE: &str = "data/claims.toml";
    let mut out = String::from("[\n");
    let mut seen = std::collections::HashSet::new();
    for (i, r) in rows.iter().enumerate() {
        let row = format!("row {} ({:?})", i + 1, r.name);
        check_text(FILE, &row, "name", &r.name)?;
        check_text(FILE, &row, "meaning", &r.meaning)?;
        if !seen.insert(r.name.as_str()) {
            return Err(format!("{FILE}: {row}: claim listed twice"));
        }
        let kind = match r.kind {
            Kind::Time => "Time",
            Kind::Plain => "Plain",
        };
        let _ = writeln!(
            out,
            "    ClaimInfo {{ name: {:?}, kind: ClaimKind::{kind}, meaning: {:?} }},",
            r.name, r.meaning
        );
    }
    if rows.is_empty() {
        return Err(format!("{FILE}: no [[claim]] rows"));
    }
    out.push(']');
    Ok(out)
}
