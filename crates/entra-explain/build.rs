//! Compiles the AADSTS catalogue (data/aadsts.toml) into a static table, after checking it.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

/// One row of data/aadsts.toml.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeRow {
    code: u32,
    name: String,
    cause: String,
    fix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeFile {
    code: Vec<CodeRow>,
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
    let codes: CodeFile = read("data/aadsts.toml")?;
    write(&out.join("aadsts.rs"), &aadsts_table(&codes.code)?)?;
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

/// The AADSTS rows as a Rust array expression; codes must be unique and ascending.
fn aadsts_table(rows: &[CodeRow]) -> Result<String, String> {
    const FILE: &str = "data/aadsts.toml";
    let mut out = String::from("[\n");
    let mut previous: Option<u32> = None;
    for (i, r) in rows.iter().enumerate() {
        let row = format!("row {} (AADSTS{})", i + 1, r.code);
        if let Some(p) = previous {
            if r.code == p {
                return Err(format!("{FILE}: {row}: code listed twice"));
            }
            if r.code < p {
                return Err(format!(
                    "{FILE}: {row}: out of order (after AADSTS{p}); keep the codes ascending"
                ));
            }
        }
        previous = Some(r.code);
        check_text(FILE, &row, "name", &r.name)?;
        check_text(FILE, &row, "cause", &r.cause)?;
        check_text(FILE, &row, "fix", &r.fix)?;
        let _ = writeln!(
            out,
            "    AadstsCode {{ code: {}, name: {:?}, cause: {:?}, fix: {:?} }},",
            r.code, r.name, r.cause, r.fix
        );
    }
    if rows.is_empty() {
        return Err(format!("{FILE}: no [[code]] rows"));
    }
    out.push(']');
    Ok(out)
}
