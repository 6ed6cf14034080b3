//! # entra-explain
//!
//! Explains what people paste after a failed Microsoft Entra ID sign-in, and
//! how to fix it: the engine of `entra-doctor explain`, of `POST /api/explain`
//! and of the advice `entra-doctor token` prints when Entra refuses a token.
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
//! ```
//! use entra_explain::{explain, parse, Context, InputKind};
//!
//! let pasted = "AADSTS65001: The user or administrator has not consented to use \
//!               the application with ID '0d0c1e2a-1111-4222-8333-444455556666' named 'dbx-tool'.";
//! let report = parse(pasted).expect("an AADSTS message is recognised");
//! assert_eq!(report.kind, InputKind::Message);
//! assert_eq!(report.primary_code(), Some(65001));
//! assert_eq!(report.hints.client_id.as_deref(), Some("0d0c1e2a-1111-4222-8333-444455556666"));
//!
//! let ctx = Context {
//!     tenant: Some("contoso.onmicrosoft.com".into()),
//!     ..Context::default()
//! };
//! let explanation = explain(&report, &ctx);
//! assert!(explanation.headline.starts_with("AADSTS65001"));
//! assert_eq!(
//!     explanation.admin_consent_url.as_deref(),
//!     Some("https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=0d0c1e2a-1111-4222-8333-444455556666"),
//! );
//!
//! // Text with nothing to explain is an error, never an empty explanation.
//! assert!(parse("hello").is_err());
//! ```
//!
//! ## What lives where
//!
//! - parse: `parse` (the entry point), with `scan` (case-insensitive search,
//!   IDs, timestamps), `lenient` (JSON as libraries print it: single quotes,
//!   Python's `True`/`None`), `databricks` ([`classify_databricks_answer`],
//!   the one classifier of Databricks' answers, and
//!   [`parse_databricks_token_answer`] for its OAuth endpoints) and `chains`
//!   (credential chains: DefaultAzureCredential's message, a Databricks SDK's
//!   `default auth:` error, one [`CredentialAttempt`] per credential).
//! - advise: [`explain`], [`Flow`] and [`admin_consent_url`]: the concrete
//!   steps for each code and Databricks problem.
//! - redirect and manifest: [`compare_redirect_uris`] and [`compare_registered`]
//!   say how a requested redirect URI differs from the registered ones;
//!   [`registered_from_manifest`] reads those from an app-registration manifest.
//! - [`aadsts`]: the AADSTS catalogue, compiled from `data/aadsts.toml` by
//!   `build.rs`, which checks it (unique ascending codes, no empty field).
//!
//! Everything here is pure: no I/O, no clock, no environment. Input is bounded
//! ([`MAX_INPUT_BYTES`], [`MAX_MANIFEST_BYTES`]) and never causes a panic.
//! It uses the verifier (`entra-token`) only for a few facts and helpers
//! (known resources, tenant-ID shapes, JSON depth limits); the verifier does
//! not depend on it, so a proxy that only verifies tokens does not carry it.

#![deny(missing_docs)]

pub mod aadsts;
mod advise;
mod chains;
mod databricks;
mod lenient;
mod manifest;
mod parse;
mod redirect;
mod scan;

use serde::Serialize;

pub use advise::{admin_consent_url, explain, Advice, Explanation, Flow, DEFAULT_AUTHORITY_HOST};
pub use chains::{Chain, ChainProblem, CredentialAttempt, SdkSetting};
pub use databricks::classify_databricks_answer;
pub use databricks::{DatabricksFinding, DatabricksProblem};
pub use manifest::registered_from_manifest;
pub use parse::{parse, parse_databricks_token_answer};
pub use redirect::{
    compare_redirect_uris, compare_registered, first_difference, Platform, PlatformMismatch,
    RedirectComparison, RegisteredUri, TextDifference, UriDifference,
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
    /// The input is empty or only white space.
    #[error("nothing to explain: the input is empty")]
    Empty,
    /// The input is over [`MAX_INPUT_BYTES`].
    #[error("the input is {len} bytes, over the limit of {max} bytes; paste only the error message or answer body")]
    TooLarge {
        /// The input's length, in bytes.
        len: usize,
        /// The limit, in bytes ([`MAX_INPUT_BYTES`]).
        max: usize,
    },
    /// Nothing in the input is an AADSTS code, an OAuth error or a Databricks error.
    #[error("no AADSTS code, OAuth error or Azure Databricks error was found in the input; paste the error message, the token endpoint's JSON answer, the redirect URL with error=, or the Databricks answer body")]
    NotRecognised,
    /// The manifest does not parse as JSON.
    #[error("the manifest is not valid JSON: {reason}")]
    ManifestJson {
        /// What the JSON parser said.
        reason: String,
    },
    /// The manifest nests arrays and objects too deeply to be read safely.
    #[error("the manifest nests JSON deeper than {max} levels")]
    ManifestTooDeep {
        /// The deepest nesting accepted.
        max: usize,
    },
    /// The manifest is JSON but not an object.
    #[error("the manifest is not a JSON object")]
    ManifestNotObject,
    /// The manifest has none of the fields that hold redirect URIs.
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
    /// A refusal of Databricks' OAuth endpoints (`/oidc/v1/token`, the
    /// authorize page, the token federation exchange).
    DatabricksTokenEndpoint,
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
    /// The external token's issuer (`iss`), as a federation error names it
    /// (AADSTS70021, AADSTS700211).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assertion_issuer: Option<String>,
    /// The external token's subject (`sub`), as a federation error names it
    /// (AADSTS70021, AADSTS700213, AADSTS7002138).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assertion_subject: Option<String>,
    /// The external token's audience (`aud`), as a federation error names it
    /// (AADSTS70021, AADSTS700212).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assertion_audience: Option<String>,
    /// When the assertion expired, as AADSTS700024 says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assertion_expires: Option<String>,
}

/// One code, explained from the catalogue or, when unknown, generically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeEntry {
    /// The number after `AADSTS`.
    pub code: u32,
    /// Whether the catalogue knows the code.
    pub known: bool,
    /// Microsoft's short name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'static str>,
    /// Why the error happens.
    pub cause: String,
    /// What to do about it.
    pub fix: String,
    /// Microsoft's look-up page for the code.
    pub lookup_url: String,
}

/// What was found in the pasted text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorReport {
    /// What kind of text it was.
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
    /// The `suberror` member (`basic_action`, `consent_required`, …), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suberror: Option<String>,
    /// The error description, cut to 4000 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The `Trace ID` Entra gave the failed request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// The `Correlation ID` of the failed request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// When Entra answered, as the text gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The `error_uri` member, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
    /// The `claims` challenge (Conditional Access / CAE), verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<String>,
    /// Details the description names (redirect URI, client, tenant, resource).
    pub hints: Hints,
    /// Problems stated by a Databricks answer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub databricks: Vec<DatabricksFinding>,
    /// A credential chain (DefaultAzureCredential, a single azure-identity
    /// credential, a Databricks SDK `default auth:` error), one attempt per
    /// credential or method, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<Chain>,
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
