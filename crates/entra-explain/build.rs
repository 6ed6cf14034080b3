//! Compiles the AADSTS catalogue (data/aadsts.toml) into a static table, after checking it.

use std::fmt::Write as _;

use serde::Deserialize;

#[path = "../entra-token/build_support.rs"]
mod build_support;
use build_support::{check_text, read, write};

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
    println!("cargo:rerun-if-changed=../entra-token/build_support.rs");
    build_support::run(|out| {
        let codes: CodeFile = read("data/aadsts.toml")?;
        write(&out.join("aadsts.rs"), &aadsts_table(&codes.code)?)
    });
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
