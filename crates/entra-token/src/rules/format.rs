//! `format`: the token parses.

use crate::error::{FormatError, Part};
use crate::findings::{names::FORMAT, Finding};
use crate::input::Wrapping;
use crate::jws::Token;

pub(crate) fn format_pass(token: &Token, wrapping: Wrapping) -> Finding {
    let how = match wrapping {
        Wrapping::Bare => String::new(),
        Wrapping::BearerPrefix => " (after removing the 'Bearer' prefix)".into(),
        Wrapping::JsonField(f) => format!(" (taken from the JSON field '{f}')"),
        Wrapping::CurlHeader { others } => {
            format!(
                " (taken from the Authorization header{})",
                others_note(others)
            )
        }
        Wrapping::ShellAssignment => " (taken from the shell assignment)".into(),
        Wrapping::UrlParameter { name, others } => {
            format!(
                " (taken from the URL's '{name}' parameter{})",
                others_note(others)
            )
        }
    };
    Finding::pass(
        FORMAT,
        format!(
            "a signed JWT (JWS compact form), {} bytes: {}-byte header, {}-byte payload, {}-byte signature{how}",
            token.compact().len(),
            token.header_json().len(),
            token.payload_json().len(),
            token.signature().len()
        ),
    )
}

fn others_note(others: usize) -> String {
    match others {
        0 => String::new(),
        1 => "; the text holds 1 other token, not checked".into(),
        n => format!("; the text holds {n} other tokens, not checked"),
    }
}

/// The failing `format` finding for a parse error.
pub fn format_failure(e: &FormatError) -> Finding {
    let fix = match e {
        FormatError::Empty => "Pass the token as an argument, '-' to read standard input, or @FILE.",
        FormatError::TooLong { .. } => "Check that only one token was pasted; Entra tokens are a few KiB.",
        FormatError::Whitespace { .. } => "Copy the token again as one line; line breaks from a terminal or an e-mail split it.",
        FormatError::Jwe => "An encrypted token is not meant to be read by you; ask for an access token for Azure Databricks instead.",
        FormatError::PartCount { .. } | FormatError::EmptyPart { .. } => {
            "The token was cut or joined when copied; copy it whole (three parts separated by dots)."
        }
        FormatError::EmptySignature => "An unsigned token is never accepted; get a real token from Entra ID.",
        FormatError::Base64 { part: Part::Signature, .. } => {
            "The signature was altered or cut when copied; copy the token again."
        }
        FormatError::Base64 { .. } | FormatError::Json { .. } | FormatError::NotObject { .. } => {
            "This is not an Entra ID token, or it was altered; copy it again from its source."
        }
        FormatError::TooDeep { .. } => "No real token nests so deep; this input is not an Entra ID token.",
        FormatError::Crit(_) => "Entra ID never sets 'crit'; this token was not issued by Entra ID.",
        FormatError::MissingAlg | FormatError::AlgNotString => "Entra ID always sets 'alg'; this token was not issued by it.",
        FormatError::Ambiguous { .. } => "Pass only the token to check, or put it in the Authorization header of the command.",
        _ => "Check what was pasted: a JWT, 'Bearer <JWT>', or the JSON of 'az account get-access-token'.",
    };
    let mut f = Finding::fail(FORMAT, e.to_string()).fix(fix);
    if let Some(part) = e.part() {
        f = f.actual(part.to_string());
    }
    f
}
