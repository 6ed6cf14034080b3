//! # entra-token
//!
//! The engine of entra-doctor: it reads a Microsoft Entra ID token, verifies
//! its signature against trusted keys, and applies the rules Azure Databricks
//! (or another Entra-protected API) applies, returning *findings*: for each
//! rule a status, what was expected, what was found, and how to fix it.
//!
//! The engine does no I/O. It does not read files, open sockets or look at
//! the clock: the caller passes the token text, the key set's bytes and
//! "now". That keeps it fast, testable, and usable from the CLI, the web
//! page and the validation endpoint alike.
//!
//! ```
//! use entra_token::{check_text, KeySet, Policy};
//!
//! let keys = KeySet::parse(br#"{"keys": []}"#);
//! assert!(keys.is_err()); // an empty key set is an error, not a silent pass
//!
//! let policy = Policy::databricks(1_700_000_000);
//! let (_, report) = check_text("not a token", None, &policy);
//! assert!(!report.valid());
//! assert_eq!(report.findings[0].check, "format");
//! ```
//!
//! Design: keys are parsed once ([`KeySet`]) and shared across threads;
//! algorithms are pinned by the [`Policy`], never taken from the token; the
//! token's `jku`, `x5u`, `jwk` and `x5c` are never used to find a key.

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
pub mod decode;
pub mod findings;
pub mod input;
pub mod issuer;
pub mod keys;
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
pub use policy::Policy;
pub use rules::{check_text, check_token};
pub use summary::Summary;
pub use verify::{
    verify_signature, verify_token, verify_token_prehashed, SignatureFailure, SignatureOutcome,
    VerifyError,
};
