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
}

impl CliError {
    /// The exit status for this error.
    pub fn exit_code(&self) -> u8 {
        2
    }
}
