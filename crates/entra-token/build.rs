//! Compiles the catalogue's claim meanings (data/claims.toml) into a static table, after checking it.

use std::fmt::Write as _;

use serde::Deserialize;

mod build_support;
use build_support::{check_text, read, write};

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
    println!("cargo:rerun-if-changed=build_support.rs");
    build_support::run(|out| {
        let claims: ClaimFile = read("data/claims.toml")?;
        write(&out.join("claims.rs"), &claims_table(&claims.claim)?)
    });
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
