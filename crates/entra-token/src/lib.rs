//! # entra-token
//!
//! The engine of entra-doctor: it reads a Microsoft Entra ID token, verifies
//! its signature against trusted keys, and applies the rules Azure Databricks
//! (or another Entra-protected API) applies. The answer is a [`Report`]: one
//! [`Finding`] per rule (a [`Status`], what was expected, what was found, how
//! to fix it) and one [`Verdict`].
//!
//! ```
//! use entra_token::{check_text, KeySet, Policy, Verdict};
//!
//! // The trusted keys: parsed once, then shared by every check (and thread).
//! let keys = KeySet::parse(include_bytes!("../../../examples/jwks.json")).expect("a JWKS");
//!
//! // Azure Databricks' rules, as of a fixed "now" (2026-05-28): the engine
//! // has no clock. The tenant is the workspace's.
//! let mut policy = Policy::databricks(1_780_000_000);
//! policy.tenant = Some("8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f".into());
//!
//! // What people paste: a bare token, `Bearer …`, a header line, az JSON.
//! let pasted = include_str!("../../../examples/databricks-token.jwt");
//! let (token, report) = check_text(pasted, Some(&keys), &policy);
//!
//! assert!(token.is_some());
//! assert!(report.valid(), "{:#?}", report.findings);
//! assert_eq!(report.verdict(), Verdict::Valid);
//! for finding in &report.findings {
//!     println!("{} {}: {}", finding.status.as_str(), finding.check, finding.message);
//! }
//! ```
//!
//! A forged token fails, whatever its header asks for. Here the example's
//! claims and signature under a header that says `alg: none`:
//!
//! ```
//! use entra_token::{check_text, Check, KeySet, Policy, Status, Verdict};
//!
//! let keys = KeySet::parse(include_bytes!("../../../examples/jwks.json")).unwrap();
//! let policy = Policy::databricks(1_780_000_000);
//! let genuine = include_str!("../../../examples/databricks-token.jwt").trim();
//! let (_header, rest) = genuine.split_once('.').unwrap();
//! // base64url of {"alg":"none","typ":"JWT"}
//! let forged = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{rest}");
//!
//! let (_, report) = check_text(&forged, Some(&keys), &policy);
//! assert_eq!(report.get(Check::Format).unwrap().status, Status::Pass);
//! assert_eq!(report.get(Check::Signature).unwrap().status, Status::Fail);
//! assert_eq!(report.verdict(), Verdict::Invalid);
//!
//! // Without keys nothing is verified, so nothing is valid either.
//! let (_, report) = check_text(genuine, None, &policy);
//! assert_eq!(report.verdict(), Verdict::Incomplete);
//!
//! // Bad input is a typed error or a failing finding, never a panic.
//! assert!(KeySet::parse(br#"{"keys": []}"#).is_err());
//! let (_, report) = check_text("not a token", None, &policy);
//! assert_eq!(report.findings[0].check, Check::Format);
//! assert_eq!(report.findings[0].status, Status::Fail);
//! ```
//!
//! ## What lives where
//!
//! A check runs in this order, each step in its module:
//!
//! - [`input`]: what people paste (`Bearer …`, an `Authorization:` line, a
//!   `curl` command, `az account get-access-token` JSON, a URL) → the
//!   compact token, and how it was wrapped.
//! - `jws` ([`Token`], [`Header`]): the compact JWS, each part checked and
//!   bounded; typed header and [`claims`] found in one pass by a strict
//!   JSON scanner (a claim the rules read that appears twice is an error).
//! - [`keys`] ([`KeySet`]): JWKS, JWK, PEM or DER certificates and public
//!   keys → verifying keys, each parsed once per algorithm; choosing the key
//!   by `kid` or `x5t`.
//! - `verify` ([`verify_token`], [`SignatureOutcome`], [`SignatureFailure`]):
//!   the signature, with the algorithm pinned by the policy; why it failed.
//! - [`rules`] ([`check_text`], [`check_token`]): one finding per rule:
//!   format, signature, audience, issuer, tenant, lifetime, identity.
//! - [`findings`] ([`Report`], [`Finding`], [`Verdict`]): the model every
//!   renderer consumes; the verdict is decided here and only here.
//! - [`summary`] ([`Summary`]) and [`decode`]: what a token is, and every
//!   claim explained.
//!
//! And beside it: [`catalogue`] (claim meanings and known resources, as
//! data), [`issuer`] (Entra issuer shapes and clouds), [`tenant_id`] (the one
//! grammar of a tenant: a GUID or a verified domain name), [`timefmt`] (UTC and relative times from a
//! given "now"), [`text`] (clipping, redacting a
//! token, making text safe for a terminal) and [`limits`]
//! (every bound on untrusted input). [`Policy`] holds the rules' settings,
//! each default stated; errors are typed ([`FormatError`], [`KeyError`],
//! [`VerifyError`]).
//!
//! ## What the engine never does
//!
//! No I/O, no clock, no environment, no network: it reads no file, opens no
//! socket, never looks at the time or an environment variable. The caller
//! passes the token text, the key set's bytes and "now" ([`Policy::now`]).
//! Fetching keys (and trusting where they came from) is the caller's job.
//! That keeps every verdict reproducible from its inputs, the tests free of
//! clocks and servers, and the same engine behind the CLI, the web page and
//! the validation endpoint.
//!
//! ## Security choices
//!
//! - The algorithm is pinned by [`Policy::algorithms`] (RS256 by default),
//!   never taken from the token; `alg: none` and HMAC fail with or without
//!   keys.
//! - Keys come only from the trusted [`KeySet`] the caller gives. The
//!   token's `jku`, `x5u`, `jwk` and `x5c` are ignored: a token cannot
//!   bring its own key.
//! - The verdict is [`Verdict::Valid`] only when the signature verified with
//!   a trusted key and no finding failed. Without keys, or with
//!   [`Policy::skip_signature`] (claims alone, on request), it is at best
//!   [`Verdict::Incomplete`], never valid.
//! - Nothing panics on input, and every size and depth is bounded
//!   ([`limits`]).

#![deny(missing_docs)]

// Internals: private, or hidden from the documentation where the crate's own
// tests and benches (or the binary's tests) reach in by path. Their public
// types are re-exported below.
#[doc(hidden)]
pub mod alg;
#[doc(hidden)]
pub mod b64;
mod error;
mod json;
#[doc(hidden)]
pub mod jws;
mod policy;
#[doc(hidden)]
pub mod verify;

pub mod catalogue;
pub mod claims;
pub mod cloud;
pub mod decode;
pub mod federation_policy;
pub mod findings;
pub mod input;
pub mod issuer;
pub mod keys;
pub mod kind;
pub mod limits;
pub mod rules;
pub mod summary;
pub mod tenant_id;
pub mod text;
pub mod timefmt;

pub use alg::{Algorithm, HeaderAlg, KeyFamily, UnsupportedAlgorithm};
pub use b64::B64Error;
pub use error::{FormatError, KeyError, Part};
pub use findings::{Check, Finding, Report, Status, Verdict, VerdictSentence};
pub use jws::{Header, Token};
pub use keys::KeySet;
pub use kind::Kind;
pub use policy::Policy;
pub use rules::{check_text, check_token};
pub use summary::Summary;
pub use verify::{
    verify_signature, verify_token, verify_token_prehashed, SignatureFailure, SignatureOutcome,
    VerifyError,
};
