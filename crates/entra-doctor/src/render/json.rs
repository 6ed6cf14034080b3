//! JSON output (`--json`). Field names are stable and documented in the
//! README.

use std::io::Write;

use entra_token::{Finding, Report, Summary, VerdictSentence};
use serde::Serialize;

use crate::error::CliError;

/// The JSON shape of `check --json`.
#[derive(Debug, Serialize)]
pub struct CheckJson<'a> {
    /// What was checked (`entra_access`, `databricks_pat`, ...: see the
    /// README); null when it is not recognised (it did not parse).
    pub kind: Option<entra_token::Kind>,
    /// The token is accepted: the signature verified with a trusted key
    /// and no finding failed.
    pub valid: bool,
    /// No finding failed; the signature may not have been checked (what
    /// `--skip-signature` answers for).
    pub claims_valid: bool,
    /// Every check ran (none skipped).
    pub complete: bool,
    /// Names of the failed checks.
    pub failed: Vec<&'static str>,
    /// The verdict in one sentence, as the text output ends with it.
    pub verdict: VerdictSentence,
    /// What the token is; null when it did not parse.
    pub summary: Option<&'a Summary>,
    pub findings: &'a [Finding],
}

impl<'a> CheckJson<'a> {
    pub fn new(report: &'a Report, summary: Option<&'a Summary>) -> CheckJson<'a> {
        CheckJson {
            kind: summary.map(|s| s.token_kind),
            valid: report.valid(),
            claims_valid: report.claims_valid(),
            complete: report.complete(),
            failed: report.failed().collect(),
            verdict: report.verdict_sentence(),
            summary,
            findings: &report.findings,
        }
    }
}

impl CheckJson<'_> {
    /// Sets the kind when there is no summary to take it from (a personal
    /// access token).
    pub fn or_kind(mut self, kind: Option<entra_token::Kind>) -> Self {
        self.kind = self.kind.or(kind);
        self
    }
}

/// The JSON shape of `explain --json` (and `POST /api/explain`).
#[derive(Debug, Serialize)]
pub struct ExplainJson<'a> {
    /// What was recognised in the input: kind, codes, IDs, catalogue entries.
    pub report: &'a entra_explain::ErrorReport,
    /// Cause and fix, made concrete with what is known.
    pub explanation: &'a entra_explain::Explanation,
}

/// The `explain --json` document of `report` and `explanation` on standard
/// output (`explain`, and `token`'s refusals with `--json`).
pub fn write_explanation(
    report: &entra_explain::ErrorReport,
    explanation: &entra_explain::Explanation,
) -> Result<(), CliError> {
    write(
        &mut anstream::stdout(),
        &ExplainJson {
            report,
            explanation,
        },
    )
}

/// Writes pretty JSON and a newline.
pub fn write<T: Serialize>(out: &mut impl Write, value: &T) -> Result<(), CliError> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(|e| CliError::Write(e.into()))?;
    out.write_all(b"\n").map_err(CliError::Write)
}
