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

pub mod alg;
pub mod b64;
pub mod catalogue;
pub mod claims;
pub mod cloud;
pub mod decode;
pub mod error;
pub mod findings;
pub mod input;
pub mod issuer;
pub mod json;
pub mod jws;
pub mod keys;
pub mod limits;
pub mod policy;
pub mod rules;
pub mod summary;
pub mod tenant_id;
pub mod text;
pub mod timefmt;
pub mod verify;

pub use alg::Algorithm;
pub use error::{FormatError, KeyError, Part};
pub use findings::{Check, Finding, Report, Status, Verdict, VerdictSentence};
pub use jws::Token;
pub use keys::KeySet;
pub use policy::Policy;
pub use rules::{check_text, check_token};
pub use summary::Summary;
pub use verify::{verify_signature, verify_token, SignatureOutcome};
