//! The CLI's errors, and their one mapping to exit statuses.

use std::path::PathBuf;

use entra_token::KeyError;

/// What a command returns when it ran: did every check pass?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing failed.
    Ok,
    /// At least one finding failed (a malformed token included).
    Failed,
    /// A check could not run (for example a network step) but others did.
    Incomplete,
}

impl Outcome {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::Failed => 1,
            Outcome::Incomplete => 2,
        }
    }
}

/// Why a command could not run at all. Exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read standard input: {0}")]
    Stdin(std::io::Error),
    #[error("{what} is over the limit of {max} bytes")]
    TooLarge { what: String, max: usize },
    #[error("the key set {path} cannot be used: {source}")]
    Keys { path: PathBuf, source: KeyError },
    #[error("cannot write the output: {0}")]
    Write(std::io::Error),
    /// The input belongs to another command (a token given to `explain`,
    /// an error given to `check`): says which, with the command to run.
    #[error("{what}: run `{run}`")]
    OtherCommand { what: String, run: String },
}

impl CliError {
    /// The exit status for this error.
    pub fn exit_code(&self) -> u8 {
        2
    }

    /// A stable name for the kind of error, for `--json`.
    pub fn kind(&self) -> &'static str {
        match self {
            CliError::Usage(_) => "usage",
            CliError::Read { .. } => "read",
            CliError::Stdin(_) => "stdin",
            CliError::TooLarge { .. } => "too_large",
            CliError::Keys { .. } => "keys",
            CliError::Write(_) => "write",
            CliError::OtherCommand { .. } => "other_command",
        }
    }

    /// What to do about it, in one sentence.
    pub fn fix(&self, command: &str) -> String {
        match self {
            CliError::Usage(_) => {
                format!("see `entra-doctor {command} --help` for the arguments and examples")
            }
            CliError::Read { path, .. } => {
                format!("check that {} exists and is readable", path.display())
            }
            CliError::Stdin(_) => "pipe the input in, or pass it as an argument or @FILE".into(),
            CliError::TooLarge { .. } => {
                "pass only the token or the error text, without what surrounds it".into()
            }
            CliError::Keys { .. } => {
                "pass a JWKS (the tenant's jwks_uri), one JWK, or PEM certificates or public keys"
                    .into()
            }
            CliError::Write(_) => {
                "check that the output can be written (disk space, permissions)".into()
            }
            CliError::OtherCommand { run, .. } => run.clone(),
        }
    }

    /// Standard output was closed by the reader (`… | head -1`): not an
    /// error, as in ripgrep.
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, CliError::Write(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Writing output: a reader that stopped reading is not a failure, and the
/// command's own verdict stands.
pub fn closed_pipe_ok(written: Result<(), CliError>) -> Result<(), CliError> {
    match written {
        Err(e) if e.is_closed_pipe() => Ok(()),
        other => other,
    }
}
