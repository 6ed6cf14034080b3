//! `entra-doctor explain`: turns what people paste after a failed sign-in
//! into a structured explanation.
//!
//! [`parse`] recognises a bare AADSTS code, a message containing one, a raw
//! token-endpoint JSON error, an MSAL or azure-identity exception (including
//! MSAL Python's dict, printed with single quotes), a redirect URL carrying
//! `error=`, and an Azure Databricks 400/401/403 answer. It returns an
//! [`ErrorReport`]: the codes, OAuth error, IDs and, for each code, the
//! catalogue entry. [`explain`] then makes the fixes concrete with what the
//! caller knows ([`Context`]): the admin-consent URL for this tenant and
//! client, the registered redirect URIs, the flow in use.
//!
//! Everything here is pure: no I/O, no clock. Input is bounded
//! ([`MAX_INPUT_BYTES`]) and never causes a panic.

pub mod aadsts;
mod advise;
mod databricks;
mod lenient;
mod manifest;
mod parse;
mod redirect;
mod scan;

use serde::Serialize;

pub use advise::{admin_consent_url, explain, Advice, Explanation, Flow, DEFAULT_AUTHORITY_HOST};
pub use databricks::{DatabricksFinding, DatabricksProblem};
pub use manifest::registered_from_manifest;
pub use parse::parse;
pub use redirect::{
    compare_redirect_uris, compare_registered, Platform, PlatformMismatch, RedirectComparison,
    RegisteredUri, UriDifference,
};

/// The most text [`parse`] accepts, in bytes (64 KiB): far more than any
/// error message, exception or answer body.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// The largest app-registration manifest accepted, in bytes (1 MiB).
pub const MAX_MANIFEST_BYTES: usize = 1024 * 1024;

/// Microsoft's look-up page for a code.
pub fn lookup_url(code: u32) -> String {
    format!("https://login.microsoftonline.com/error?code={code}")
}

/// Why a text could not be explained, or a manifest not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExplainError {
    #[error("nothing to explain: the input is empty")]
    Empty,
    #[error("the input is {len} bytes, over the limit of {max} bytes; paste only the error message or answer body")]
    TooLarge { len: usize, max: usize },
    #[error("no AADSTS code, OAuth error or Azure Databricks error was found in the input; paste the error message, the token endpoint's JSON answer, the redirect URL with error=, or the Databricks answer body")]
    NotRecognised,
    #[error("the manifest is not valid JSON: {reason}")]
    ManifestJson { reason: String },
    #[error("the manifest nests JSON deeper than {max} levels")]
    ManifestTooDeep { max: usize },
    #[error("the manifest is not a JSON object")]
    ManifestNotObject,
    #[error("the manifest has no redirect URI fields (looked for replyUrlsWithType, replyUrls, web.redirectUris, publicClient.redirectUris, spa.redirectUris)")]
    ManifestNoRedirectFields,
}

/// What kind of text was pasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// `AADSTS65001` or `65001`.
    BareCode,
    /// Free text containing `AADSTS<code>: …` or an OAuth error.
    Message,
    /// The JSON error body of the token (or authorize) endpoint.
    TokenEndpointJson,
    /// An MSAL or azure-identity exception, or MSAL Python's result dict.
    LibraryException,
    /// A redirect URL carrying `error=` in its query or fragment.
    RedirectUrl,
    /// An Azure Databricks error answer (JSON, HTML or text).
    DatabricksResponse,
}

/// Details named inside the error description, used to make fixes concrete.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Hints {
    /// The redirect URI the request used (AADSTS50011's message names it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// The application (client) ID named in the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The tenant or directory named in the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The resource named in the message (AADSTS500011).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// One code, explained from the catalogue or, when unknown, generically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeEntry {
    pub code: u32,
    /// Whether the catalogue knows the code.
    pub known: bool,
    /// Microsoft's short name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'static str>,
    pub cause: String,
    pub fix: String,
    /// Microsoft's look-up page for the code.
    pub lookup_url: String,
}

/// What was found in the pasted text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorReport {
    pub kind: InputKind,
    /// The library whose exception it is (`MSAL Python`, `azure-identity`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<&'static str>,
    /// The HTTP status the text names, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Every AADSTS code, first (primary) first.
    pub codes: Vec<u32>,
    /// The OAuth error string (`invalid_grant`, …), or Databricks' error_code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suberror: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
    /// The `claims` challenge (Conditional Access / CAE), verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<String>,
    pub hints: Hints,
    /// Problems stated by a Databricks answer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub databricks: Vec<DatabricksFinding>,
    /// One entry per code, in the order of `codes`.
    pub entries: Vec<CodeEntry>,
}

impl ErrorReport {
    /// The first (primary) code.
    pub fn primary_code(&self) -> Option<u32> {
        self.codes.first().copied()
    }
}

/// What the caller knows about the failed request; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Context {
    /// The flow used: `device_code`, `auth_code`/`interactive`,
    /// `password`/`ropc`, `client_credentials`, `obo`, `refresh_token`,
    /// `azure_cli`, `managed_identity` (see [`Flow::from_name`]).
    pub flow: Option<String>,
    /// The tenant (GUID or domain) the request went to.
    pub tenant: Option<String>,
    /// The application (client) ID.
    pub client_id: Option<String>,
    /// The redirect URI the request sent.
    pub redirect_uri: Option<String>,
    /// The resource (API) requested, e.g. the Azure Databricks application ID.
    pub resource: Option<String>,
    /// Registered redirect URIs, platform unknown.
    pub registered_redirect_uris: Vec<String>,
    /// Registered redirect URIs with their platform (from
    /// [`registered_from_manifest`]).
    pub registered: Vec<RegisteredUri>,
    /// The authority host; [`DEFAULT_AUTHORITY_HOST`] when `None`.
    pub authority_host: Option<String>,
}
