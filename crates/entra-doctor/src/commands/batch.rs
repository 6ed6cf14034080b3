//! Placeholder, replaced below.
use crate::cli::CheckArgs;
use crate::error::{CliError, Outcome};
pub fn run(_a: CheckArgs) -> Result<Outcome, CliError> { Err(CliError::Usage("batch".into())) }
