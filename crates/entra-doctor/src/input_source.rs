//! Reading inputs from arguments, standard input (`-`) or files (`@FILE`),
//! always with a size bound.

use std::io::{IsTerminal, Read};
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
    let none_given = || {
        CliError::Usage(
            "no token given: pass it as an argument, '-' to read standard input, or @FILE".into(),
        )
    };
    let bytes = match arg {
        // `echo $T | entra-doctor decode`: standard input when it is not a
        // terminal; nothing there is the same as nothing given.
        None if !std::io::stdin().is_terminal() => {
            let bytes = read_bounded(std::io::stdin().lock(), max)
                .map_err(CliError::Stdin)?
                .ok_or_else(|| CliError::TooLarge {
                    what: "the input on standard input".into(),
                    max,
                })?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(none_given());
            }
            bytes
        }
        None => return Err(none_given()),
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

/// A token argument as [`token_text`] reads it, with a token wrapped over
/// several lines joined into one.
pub fn pasted_token(arg: Option<&str>, max: usize) -> Result<String, CliError> {
    let text = token_text(arg, max)?;
    Ok(entra_token::input::join_wrapped_lines(&text).unwrap_or(text))
}
