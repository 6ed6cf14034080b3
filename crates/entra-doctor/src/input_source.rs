//! Reading inputs from arguments, standard input (`-`) or files (`@FILE`),
//! always with a size bound.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// Reads at most `max` bytes from a reader; more is an error, not a cut.
pub fn read_bounded(mut r: impl Read, max: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    r.by_ref().take(max as u64 + 1).read_to_end(&mut buf)?;
    Ok(if buf.len() > max { None } else { Some(buf) })
}

/// Reads a file with a bound.
pub fn read_file(path: &Path, max: usize, what: &str) -> Result<Vec<u8>, CliError> {
    let f = std::fs::File::open(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    read_bounded(f, max)
        .map_err(|source| CliError::Read {
            path: path.to_owned(),
            source,
        })?
        .ok_or_else(|| CliError::TooLarge {
            what: format!("{what} {}", path.display()),
            max,
        })
}

/// Resolves a token argument: the text itself, `-` for standard input, or
/// `@FILE`.
pub fn token_text(arg: Option<&str>, max: usize) -> Result<String, CliError> {
    let bytes = match arg {
        None => {
            return Err(CliError::Usage(
                "no token given: pass it as an argument, '-' to read standard input, or @FILE"
                    .into(),
            ))
        }
        Some("-") => read_bounded(std::io::stdin().lock(), max)
            .map_err(CliError::Stdin)?
            .ok_or_else(|| CliError::TooLarge {
                what: "the token on standard input".into(),
                max,
            })?,
        Some(a) if a.starts_with('@') => read_file(&PathBuf::from(&a[1..]), max, "the token file")?,
        Some(a) => return Ok(a.to_owned()),
    };
    String::from_utf8(bytes)
        .map_err(|_| CliError::Usage("the token input is not UTF-8 text".into()))
}
