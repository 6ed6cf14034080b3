//! Facts the engine explains with: what each claim means and which resource
//! an audience names. (What each AADSTS error code means lives in the
//! `entra-explain` crate.)
//! The facts are Microsoft's; the words are ours.

pub mod claims;
pub mod resources;
