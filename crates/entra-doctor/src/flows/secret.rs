//! Secrets (client secrets, passwords): never printed, never in `Debug`, and
//! passwords asked for without echo.

use std::io::{BufRead, IsTerminal, Write};

/// A secret value. `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The value, for the request body only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Reads one line (without its line ending) from standard input.
pub fn read_line_stdin() -> Result<Secret, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take_line(&mut line)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(Secret::new(line.trim_end_matches(['\r', '\n'])))
}

trait TakeLine {
    fn take_line(&mut self, buf: &mut String) -> std::io::Result<usize>;
}

impl<R: BufRead> TakeLine for R {
    fn take_line(&mut self, buf: &mut String) -> std::io::Result<usize> {
        // Bounded: a password is not a megabyte.
        let mut limited = std::io::Read::take(self, 64 * 1024);
        std::io::BufRead::read_line(&mut limited, buf)
    }
}

/// Asks for a password on the terminal with echo turned off (`stty -echo`).
/// Refuses when standard input is not a terminal (use `--password-stdin`).
pub fn prompt_password(prompt: &str) -> Result<Secret, String> {
    if !std::io::stdin().is_terminal() {
        return Err("no password: set AZURE_PASSWORD, or pass --password-stdin and write it to standard input".into());
    }
    if !stty("-echo") {
        return Err(
            "cannot turn off the terminal echo; set AZURE_PASSWORD or use --password-stdin".into(),
        );
    }
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let line = read_line_stdin();
    stty("echo");
    let _ = writeln!(err);
    line
}

fn stty(arg: &str) -> bool {
    std::process::Command::new("stty")
        .arg(arg)
        .stdin(std::process::Stdio::inherit())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "*** ***");
        assert_eq!(s.expose(), "hunter2");
    }
}
